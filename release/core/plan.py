"""Plans, pure: RepoState + Policy + Request + gathered Facts -> NotReady or an ordered Plan.

No I/O here: whatever a gate needs from the world (origin's refs, CODEOWNERS, the diff since the
last RC, an unfinished journal) is gathered by `release.flow` into `Facts` first. Gates that need
a live service (tests, milestone, CI) are engine steps from their own modules; the plan only
places them. A gate that cannot apply to this repository is shown as skipped with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from release.core import gates as g
from release.core.gates import Gate
from release.core.policy import Policy
from release.core.routing import python_index
from release.core.version import (
    TagSet,
    Version,
    final_of,
    next_major,
    next_minor,
    next_patch,
    next_rc,
)
from release.core.windows import window_for
from release.errors import ConfigError, NotReady, ReleaseError, VersionError

KINDS = ("patch", "minor", "major", "rc", "final")


def kind_of(version: Version, had_rcs: bool) -> str:
    """The command that makes `version`: rc1 of X.0.0 a major, of X.Y.0 a minor, a later RC an
    rc, a final with RCs before it a final, X.Y.0 without RCs a minor/major, else a patch."""
    if version.is_rc:
        if (version.rc or 0) > 1:
            return "rc"
        return "major" if version.minor == 0 and version.patch == 0 else "minor"
    if version.patch:
        return "patch"
    if had_rcs:
        return "final"
    return "major" if version.minor == 0 else "minor"


@dataclass(frozen=True)
class Request:
    """What the release owner asked for (task flags)."""

    kind: str
    commit: str | None = None  # minor/major: start from this commit on main
    line: tuple[int, int] | None = None  # patch/rc/final: the line, when not on its branch
    override: str | None = None  # window override reason (final)
    owner: str | None = None  # release owner identity (login or e-mail)
    force: bool = False  # patch on an unsupported / end-of-life line
    force_reason: str | None = None  # why --force (journaled)
    allow_empty: bool = False  # patch/rc with no commit since the last tag of its line
    posted: str = ""  # resume: a lost announcement is "yes" there (--announced) or "no" (--repost)
    version: str | None = None  # --version: release exactly this one (journaled as forced)


@dataclass
class Facts:
    """What the plan needs from the world, read by the flow before planning (no I/O here)."""

    now: int
    owner: str = ""
    codeowners_path: str | None = None
    tag_signing: dict[str, Any] | None = None  # the signing setup when sign_tags is set
    codeowners_text: str | None = None
    origin_refs: dict[str, str] = field(default_factory=dict)  # ls-remote: full ref -> sha (peeled)
    origin_error: str = ""  # origin could not be read (no remote, refused connection)
    local_tip: str = ""  # tip of the branch the release is made on (before the release)
    origin_tip_known_locally: bool = True  # origin's branch tip is an object we have
    origin_is_ancestor: bool = True  # origin's branch tip is an ancestor of local_tip
    commit_sha: str | None = None  # --commit resolved
    commit_on_main: bool = True
    promotion_files: list[str] | None = None  # files changed since the last RC's commit (final)
    promotion_content: list[str] = field(
        default_factory=list
    )  # version files that differ beyond the version
    since_last: tuple[str, int] | None = (
        None  # (last tag of the line, commits since it on the branch)
    )
    rc1_published: int | None = None  # when rc1 was published (its journal), for the window
    rc1_unpublished: bool = False  # rc1's release is journaled here but not published yet
    rc1_other_dates: dict[str, int] = field(default_factory=dict)  # e.g. its GitHub pre-release
    stray_finals: list[str] = field(default_factory=list)  # finals of the line not on its branch
    owner_source: str = ""  # where the owner identity came from (--owner, GitHub login, git)
    owner_error: str = ""  # the owner could not be established (one line)
    owner_for_other: bool = False  # --owner names someone else than the git identity
    owner_reason: str = ""  # why (--reason), required when owner_for_other
    resume: dict[str, Any] | None = (
        None  # an unfinished journal for this kind: {version, base, commit}
    )
    tag_commit: str | None = None  # local commit of the release tag, if it exists
    branch_exists: bool = False  # the release branch exists locally
    supported: list[str] = field(default_factory=list)
    version_file_errors: list[str] = field(
        default_factory=list
    )  # unreadable version files at the base


@dataclass
class Plan:
    kind: str
    version: Version
    tag: str
    branch: str
    base: str  # the commit the release starts from
    create_branch: bool
    gates: list[Gate]
    notes: list[str] = field(default_factory=list)
    override: dict[str, str] | None = None
    window: dict[str, Any] | None = None
    last_rc: str | None = None  # final: tag of the RC being promoted
    owner: str = ""  # the release owner the gate checked
    owner_source: str = ""  # where that identity came from
    force: bool = False  # --force given
    forced_version: str = ""  # --version given: the version the kind would have made instead
    reason: str = ""  # --reason (journaled): why --force, or why --owner acts for another
    steps: list[Any] = field(default_factory=list)  # filled by steps.pipeline (steps are adapters)

    @property
    def failed(self) -> list[Gate]:
        return [g for g in self.gates if not g.ok and not g.skipped]

    def require_ready(self) -> None:
        """Raise NotReady listing every failed gate (each with its reason and fix)."""
        if self.failed:
            raise NotReady([g.reason for g in self.failed], f"{self.kind} {self.version}")


def target(
    state: Any, policy: Policy, req: Request, facts: Facts
) -> tuple[Version, str, list[str]]:
    """The version and branch for the request (or a resumed unfinished release)."""
    if req.kind not in KINDS:
        raise VersionError(f"'{req.kind}' is not a release kind", f"use one of {', '.join(KINDS)}")
    tags: TagSet = state.tagset
    notes: list[str] = []
    if facts.resume:
        v = Version.parse(facts.resume["version"])
        why = facts.resume.get("reconstructed")
        source = facts.resume.get("source")
        notes.append(
            f"resuming the unfinished release of {v} ({why}; no journal)"
            if why
            else f"resuming the unfinished release of {v} ({source})"
            if source
            else f"resuming the unfinished release of {v} (journal .git/release/{v}.json)"
        )
        if req.version and Version.parse(req.version) != v:
            raise NotReady(
                [
                    f"--version {req.version}: the unfinished release of {v} comes first "
                    f"(re-run without --version to finish it, or release.abort {v})"
                ],
                req.kind,
            )
        return v, policy.branch_for(v.line), notes
    if req.version:
        return forced_target(tags, policy, req)
    if req.kind == "patch":
        line = req.line or policy.line_of_branch(state.branch)
        if line is None:
            raise NotReady(
                [
                    f"patch releases are made from a release branch, and {state.branch or 'HEAD'} is not one "
                    f"(switch to {policy.branch_pattern.format(major='X', minor='Y')} or pass --line X.Y)"
                ],
                "patch",
            )
        nxt = next_patch(tags, line)
        return nxt.version, policy.branch_for(line), list(nxt.notes)
    if req.kind in ("minor", "major"):
        nxt = next_minor(tags) if req.kind == "minor" else next_major(tags)
        if req.kind not in policy.rc_required and nxt.version.rc == 1:
            # no release candidates for this type: cut the branch and release X.Y.0 itself
            notes = [f"{req.kind} releases go without release candidates (rc_required)"]
            return nxt.version.base, policy.branch_for(nxt.version.line), notes
        if nxt.version.rc and nxt.version.rc > 1:
            raise NotReady(
                [
                    f"{nxt.version.base} already has release candidates on {policy.branch_for(nxt.version.line)}; "
                    "use release.rc for the next one or release.final to promote"
                ],
                req.kind,
            )
        return nxt.version, policy.branch_for(nxt.version.line), list(nxt.notes)
    line = req.line or policy.line_of_branch(state.branch)
    nxt = next_rc(tags, line) if req.kind == "rc" else final_of(tags, line)
    return nxt.version, policy.branch_for(nxt.version.line), list(nxt.notes)


def forced_target(tags: TagSet, policy: Policy, req: Request) -> tuple[Version, str, list[str]]:
    """`--version V`: release exactly V instead of the kind's own next version, when V is one
    the kind can make from this history: never below what its line has, never a second time,
    and of the kind's shape (a patch X.Y.Z with Z > 0 on a line with a final; an RC of an open
    X.Y.0; the final of an X.Y.0 with RCs; a minor or major X.Y.0 (rcN when the type has RCs)
    on a line that has nothing yet, above every final)."""
    assert req.version
    v = Version.parse(req.version)
    kind, line = req.kind, v.line

    def no(why: str) -> NotReady:
        return NotReady([f"--version {v}: {why}"], kind)

    if req.line is not None and req.line != line:
        raise no(f"is not on the line {req.line[0]}.{req.line[1]} given with --line")
    finals = tags.finals_of_line(line)
    on_line: list[Version] = [t.version for t in finals if t.version is not None] + [
        t.version for t in tags.rcs if t.version is not None and t.version.line == line
    ]
    top = max(on_line, key=lambda x: x._key()) if on_line else None
    if kind == "patch":
        if v.rc is not None or v.patch == 0:
            raise no("a patch is X.Y.Z with Z > 0, without rc")
        if not finals:
            raise no(f"line {line[0]}.{line[1]} has no final release to patch yet")
    elif kind == "rc":
        if v.rc is None or v.patch != 0:
            raise no("an RC of the train is X.Y.0rcN")
        if tags.has_final(v.base):
            raise no(f"{v.base} is already final")
        if not tags.rcs_of(v.base):
            raise no(f"{v.base} has no release candidate yet (start it with release.minor)")
    elif kind == "final":
        if v.rc is not None or v.patch != 0:
            raise no("a final promotes X.Y.0")
        if not tags.rcs_of(v):
            raise no(f"{v} has no release candidate to promote")
    else:  # minor, major
        rc_form = kind in policy.rc_required
        if v.patch != 0 or (kind == "major" and v.minor != 0) or (v.rc is not None) != rc_form:
            shape = "X.0.0" if kind == "major" else "X.Y.0"
            raise no(f"a {kind} here is {shape}{'rcN' if rc_form else ''}")
        if finals:
            raise no(f"line {line[0]}.{line[1]} has finals already; use release.patch")
        if on_line:
            raise no(f"line {line[0]}.{line[1]} has {top} already; use release.rc or release.final")
        high = tags.highest_final()
        if high is not None and v.base._key() <= high._key():
            raise no(f"is not above the highest final {high}")
    if top is not None and v._key() <= top._key():
        raise no(f"is not above {top}, the highest version of its line here")
    own, why = own_next(
        tags, policy, kind, req.line or (line if kind in TRAIN_FROM_BRANCH else None)
    )
    said = f"{own}" if own is not None else f"none ({why})"
    notes = [f"version forced with --version {v}; the {kind} of this history would be {said}"]
    return v, policy.branch_for(line), notes


def make_plan(state: Any, policy: Policy, req: Request, facts: Facts) -> Plan:
    """Decide version, branch and gates (failed gates are in `plan.failed`; see require_ready)."""
    if req.kind not in KINDS:
        raise VersionError(f"'{req.kind}' is not a release kind", f"use one of {', '.join(KINDS)}")
    version, branch, notes = target(state, policy, req, facts)
    tags: TagSet = state.tagset
    tag = version.tag(policy.tag_pattern)
    create_branch = req.kind in ("minor", "major") or bool(
        facts.resume and facts.resume.get("create_branch")
    )
    recorded = (facts.resume or {}).get("commit")
    base = (
        (facts.resume or {}).get("base")
        or (facts.commit_sha if create_branch else "")
        or facts.local_tip
    )
    gates: list[Gate] = [
        g.clean_tree(state.dirty),
        *g.start_point(req.kind, state.branch, req.commit, facts, policy, branch),
        g.tag_signing(policy, facts.tag_signing),
        g.in_sync(
            facts,
            policy,
            sync_branch=policy.main_branch if (create_branch and not facts.resume) else branch,
            create_branch=create_branch,
            recorded=recorded,
        ),
        g.tag_is_new(tag, facts, policy, recorded),
        g.version_files(facts.version_file_errors),
        g.npm_version(version, policy),
        g.release_owner(facts, policy),
    ]
    if req.kind == "patch":
        gates.append(g.supported_line(tags, policy, version.line, req.force))
    if req.kind in ("patch", "rc") and not facts.resume:
        gates.append(g.changes_since_last(facts.since_last, branch, req.allow_empty))
    if req.kind == "patch" and facts.stray_finals:
        gates.append(g.finals_on_branch(facts.stray_finals, branch, req.force, req.force_reason))
    plan_override = None
    window = None
    last_rc = None
    if req.kind == "final":
        rcs = tags.rcs_of(version)
        last_rc = rcs[-1].name if rcs else None
        w = window_for(
            version,
            policy,
            tags,
            published=facts.rc1_published,
            other_dates=facts.rc1_other_dates,
        )
        if facts.rc1_unpublished and facts.rc1_published is None:
            gates.append(g.window_not_started(version))
        elif w is not None:
            window = w.as_dict()
            gates.append(g.testing_window(w, facts.now, req.override))
            if req.override and w.is_open(facts.now):
                plan_override = {"gate": "window", "reason": req.override, "who": facts.owner}
        gates.append(
            g.promotion(
                facts.promotion_files or [],
                allowed_promotion_files(policy),
                branch,
                last_rc,
                facts.promotion_content,
            )
        )

    return Plan(
        kind=req.kind,
        version=version,
        tag=tag,
        branch=branch,
        base=base,
        create_branch=create_branch,
        gates=gates,
        notes=notes,
        override=plan_override,
        window=window,
        last_rc=last_rc,
        owner=facts.owner,
        owner_source=facts.owner_source,
        force=req.force,
        reason=req.force_reason or "",
        forced_version=next((n for n in notes if n.startswith("version forced with")), ""),
    )


LOCK_FILES = {"uv.lock": "pyproject.toml", "package-lock.json": "package.json"}  # lock: manifest


def lock_dirs(policy: Policy) -> list[str]:
    """Directories whose lock files a release refreshes: the root and each package's path."""
    out = ["."]
    for pkg in policy.packages:
        d = pkg.path.strip("/") or "."
        if d not in out:
            out.append(d)
    return out if policy.refresh_locks else []


def allowed_promotion_files(policy: Policy) -> set[str]:
    """Files a final may change relative to its last RC: the version files, the changelog and
    the lock files the release refreshes (regenerated from the checked manifests)."""
    allowed = {*([policy.changelog] if policy.changelog else []), *policy.version_files}
    for pkg in policy.packages:
        for vf in pkg.version_files:
            allowed.add(_join(pkg.path, vf))
    for d in lock_dirs(policy):
        for lock in LOCK_FILES:
            allowed.add(_join(d, lock))
    return allowed


def version_file_paths(policy: Policy) -> list[tuple[str, list[str]]]:
    """(repo-relative version file, pins) for every package, in package order."""
    out: list[tuple[str, list[str]]] = [(vf, []) for vf in policy.version_files]
    for pkg in policy.packages:
        for vf in pkg.version_files:
            out.append((_join(pkg.path, vf), list(pkg.pins)))
    return out


def _join(base: str, rel: str) -> str:
    base = base.strip("/")
    return rel if base in ("", ".") else f"{base}/{rel}"


# ---- release trains (commands/train.py) ---------------------------------------------------------
# One version across several repositories, clients before the server: the order of the members
# (`train_order`: depends_on, stable in the listed order; the repository holding the train is not
# listed and always goes last), the version a member's own history gives (`own_next`), the one
# line that refuses a member before anything is done (`train_refusal`), the unfinished train
# journal a re-run resumes (`train_resume`), and what the train's one announcement lists
# (`train_artifacts`, `with_train_members`).

TRAIN_FROM_BRANCH = ("patch", "rc", "final")  # kinds made from release-X.Y.x, never from main


def train_order(members: Sequence[Any]) -> list[str]:
    """Member names in dependency order: each after the members it `depends_on`, otherwise in
    the listed order. An unknown name, a member depending on itself, or a cycle is a
    ConfigError naming the key."""
    by_name = {m.name: m for m in members}
    for i, m in enumerate(members):
        for dep in m.depends_on:
            if dep == m.name:
                raise ConfigError(
                    f"[tool.release].train[{i}] ({m.name}) depends_on itself", "remove it"
                )
            if dep not in by_name:
                raise ConfigError(
                    f"[tool.release].train[{i}] ({m.name}) depends_on {dep!r}, which is not a "
                    "member of the train",
                    f"known members: {', '.join(by_name) or 'none'} (this repository is always "
                    "the last member and is not listed)",
                )
    done: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ConfigError(
                f"[tool.release].train depends_on has a cycle: {cycle}", "remove one edge"
            )
        visiting.append(name)
        for dep in by_name[name].depends_on:
            visit(dep)
        visiting.pop()
        done.append(name)

    for m in members:
        visit(m.name)
    return done


def own_next(
    tags: TagSet, policy: Policy, kind: str, line: tuple[int, int] | None
) -> tuple[Version | None, str]:
    """(the version `kind` gives from this history, '') or (None, why there is none): what the
    member's own `release.<kind>` would plan when it resumes nothing (as `target` does)."""
    try:
        if kind in ("minor", "major"):
            nxt = next_minor(tags) if kind == "minor" else next_major(tags)
            if kind not in policy.rc_required and nxt.version.rc == 1:
                return nxt.version.base, ""
            return nxt.version, ""
        if line is None:
            return None, f"a {kind} needs a release line"
        if kind == "patch":
            return next_patch(tags, line).version, ""
        nxt = next_rc(tags, line) if kind == "rc" else final_of(tags, line)
        return nxt.version, ""
    except (ReleaseError, IndexError) as exc:
        return None, exc.message if isinstance(exc, ReleaseError) else f"no {kind} on this line"


def train_refusal(
    name: str,
    kind: str,
    train: Version,
    own: Version | None,
    *,
    why: str = "",
    tag: str = "",
    tag_there: bool = False,
    branch: str = "",
    branch_there: bool = True,
) -> str:
    """The one line that refuses member `name` before anything happens, or '' when it agrees:
    its own next version must be the train's, the train's tag must be new there, and a patch,
    RC or final needs the member's release branch (it is never made from main)."""
    if kind in TRAIN_FROM_BRANCH and not branch_there:
        return (
            f"{name}: has no {branch}, here or on its remote; a {kind} of the train is made from "
            f"{branch}, never from main (push {branch} there first)"
        )
    there = f" (tag {tag} exists there)" if tag_there else ""
    if own is None:
        return f"{name}: has no next {kind} of its own ({why}), the train's is {train}{there}"
    if own != train:
        return f"{name}: its next {kind} is {own}, the train's is {train}{there}"
    if tag_there:
        return f"{name}: tag {tag} already exists there; the train would release {train} again"
    return ""


def train_resume(
    journals: Sequence[tuple[str, dict[str, Any]]], kind: str, line: tuple[int, int] | None
) -> str | None:
    """The version of the newest unfinished train journal of this kind (and line, for a patch,
    RC or final), which a re-run of the same command resumes; None: start a new train."""
    found: list[Version] = []
    for version, data in journals:
        meta = data.get("train") or {}
        if data.get("complete") or meta.get("kind") != kind:
            continue
        try:
            v = Version.parse(version)
        except ReleaseError:
            continue
        if kind in TRAIN_FROM_BRANCH and line is not None and v.line != line:
            continue
        found.append(v)
    return max(found).pep440() if found else None


def train_artifacts(policy: Policy, version: Version) -> list[str]:
    """What one member's release publishes, one short phrase per package."""
    out: list[str] = []
    for pkg in policy.publish_order():
        if pkg.kind == "python":
            index = python_index(version, policy.repositories).label
            out.append(f"{pkg.name} {version.pep440()} on {index}")
        elif pkg.kind == "npm":
            out.append(f"{pkg.name}@{version.semver()} on npm")
        elif pkg.kind == "docker":
            for v in pkg.variants or [""]:
                image = pkg.image.replace("{variant}", v)
                out.append(f"{image}:{version.docker_tag()}")
    return out


def with_train_members(
    text: str, members: Sequence[tuple[str, str, list[str]]], limit: int = 1900
) -> str:
    """An announcement (the last release's) with the train's other members added before its
    closing link: one line per member, its tag and what it published; bounded by `limit`."""
    if not members:
        return text
    lines = ["Released with it:"]
    for name, tag, made in members:
        lines.append(f"- {name} {tag}" + (f": {', '.join(made)}" if made else ""))
    block = "\n".join(lines)
    body = text.rstrip("\n")
    head, sep, last = body.rpartition("\n")
    if sep and last.startswith("Full release notes:"):
        body, tail = head.rstrip("\n"), last
    else:
        tail = ""
    room = limit - len(body) - len(tail) - 4
    if len(block) > room:
        block = block[: max(room - 1, 0)].rstrip() + "…" if room > 20 else ""
    parts = [p for p in (body, block, tail) if p]
    return "\n\n".join(parts)
