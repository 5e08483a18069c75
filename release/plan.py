"""Plans, pure: RepoState + Policy + Request + gathered Facts -> NotReady or an ordered Plan.

No I/O here: whatever a gate needs from the world (origin's refs, CODEOWNERS, the diff since the
last RC, an unfinished journal) is gathered by `release.flow` into `Facts` first. Gates that need
a live service (tests, milestone, CI) are engine steps from their own modules; the plan only
places them. A gate that cannot apply to this repository is shown as skipped with its reason.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from . import codeowners
from .errors import NotReady, VersionError
from .policy import Policy
from .version import (
    TagSet,
    Version,
    final_of,
    next_major,
    next_minor,
    next_patch,
    next_rc,
)

KINDS = ("patch", "minor", "major", "rc", "final")
DAY = 86400


@dataclass(frozen=True)
class Request:
    """What the release owner asked for (task flags)."""

    kind: str
    commit: str | None = None  # minor/major: start from this commit on main
    line: tuple[int, int] | None = None  # patch/rc/final: the line, when not on its branch
    override: str | None = None  # window override reason (final)
    owner: str | None = None  # release owner identity (login or e-mail)
    force: bool = False  # patch on an unsupported / end-of-life line


@dataclass
class Facts:
    """What the plan needs from the world, read by the flow before planning (no I/O here)."""

    now: int
    owner: str = ""
    codeowners_path: str | None = None
    codeowners_text: str | None = None
    origin_refs: dict[str, str] = field(default_factory=dict)  # ls-remote: full ref -> sha (peeled)
    origin_error: str = ""  # origin could not be read (no remote, refused connection)
    local_tip: str = ""  # tip of the branch the release is made on (before the release)
    origin_tip_known_locally: bool = True  # origin's branch tip is an object we have
    origin_is_ancestor: bool = True  # origin's branch tip is an ancestor of local_tip
    local_is_ancestor: bool = True  # local_tip is an ancestor of origin's tip
    commit_sha: str | None = None  # --commit resolved
    commit_on_main: bool = True
    promotion_files: list[str] | None = None  # files changed since the last RC's commit (final)
    resume: dict[str, Any] | None = None  # an unfinished journal for this kind: {version, base, commit}
    tag_commit: str | None = None  # local commit of the release tag, if it exists
    branch_exists: bool = False  # the release branch exists locally
    supported: list[str] = field(default_factory=list)
    version_file_errors: list[str] = field(default_factory=list)  # unreadable version files at the base


@dataclass
class Gate:
    name: str
    ok: bool
    reason: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else ("ok" if self.ok else "FAILED")


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
    steps: list[Any] = field(default_factory=list)  # filled by release.flow (steps are adapters)

    @property
    def failed(self) -> list[Gate]:
        return [g for g in self.gates if not g.ok and not g.skipped]

    def require_ready(self) -> None:
        """Raise NotReady listing every failed gate (each with its reason and fix)."""
        if self.failed:
            raise NotReady([g.reason for g in self.failed], f"{self.kind} {self.version}")


def _date(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).date().isoformat()


def line_kind(version: Version) -> str:
    """The release type a version belongs to: major (X.0.0), minor (X.Y.0) or patch."""
    if version.patch != 0:
        return "patch"
    return "major" if version.minor == 0 else "minor"


def target(state: Any, policy: Policy, req: Request, facts: Facts) -> tuple[Version, str, list[str]]:
    """The version and branch for the request (or a resumed unfinished release)."""
    if req.kind not in KINDS:
        raise VersionError(f"'{req.kind}' is not a release kind", f"use one of {', '.join(KINDS)}")
    tags: TagSet = state.tagset
    notes: list[str] = []
    if facts.resume:
        v = Version.parse(facts.resume["version"])
        notes.append(f"resuming the unfinished release of {v} (journal .git/release/{v}.json)")
        return v, policy.branch_for(v.line), notes
    if req.kind == "patch":
        line = req.line or policy.line_of_branch(state.branch)
        if line is None:
            raise NotReady(
                [f"patch releases are made from a release branch, and {state.branch or 'HEAD'} is not one "
                 f"(switch to {policy.branch_pattern.format(major='X', minor='Y')} or pass --line X.Y)"],
                "patch",
            )
        nxt = next_patch(tags, line)
        return nxt.version, policy.branch_for(line), list(nxt.notes)
    if req.kind in ("minor", "major"):
        nxt = next_minor(tags) if req.kind == "minor" else next_major(tags)
        if nxt.version.rc and nxt.version.rc > 1:
            raise NotReady(
                [f"{nxt.version.base} already has release candidates on {policy.branch_for(nxt.version.line)}; "
                 "use release.rc for the next one or release.final to promote"],
                req.kind,
            )
        return nxt.version, policy.branch_for(nxt.version.line), list(nxt.notes)
    line = req.line or policy.line_of_branch(state.branch)
    nxt = next_rc(tags, line) if req.kind == "rc" else final_of(tags, line)
    return nxt.version, policy.branch_for(nxt.version.line), list(nxt.notes)


def make_plan(state: Any, policy: Policy, req: Request, facts: Facts) -> Plan:
    """Decide version, branch and gates (failed gates are in `plan.failed`; see require_ready)."""
    if req.kind not in KINDS:
        raise VersionError(f"'{req.kind}' is not a release kind", f"use one of {', '.join(KINDS)}")
    version, branch, notes = target(state, policy, req, facts)
    tags: TagSet = state.tagset
    tag = version.tag(policy.tag_pattern)
    create_branch = req.kind in ("minor", "major") or bool(facts.resume and facts.resume.get("create_branch"))
    recorded = (facts.resume or {}).get("commit")
    base = (facts.resume or {}).get("base") or (facts.commit_sha if create_branch else "") or facts.local_tip
    gates: list[Gate] = []

    # -- the working tree and the branch -------------------------------------------------------
    tracked = [d for d in state.dirty if not d.startswith("??")]
    gates.append(Gate("clean tree", not tracked,
                      "" if not tracked else f"uncommitted changes in {', '.join(d[3:] for d in tracked[:5])} "
                      "(commit or stash them)"))
    if req.kind in ("minor", "major"):
        on_main = state.branch == policy.main_branch or req.commit is not None or bool(facts.resume)
        gates.append(Gate("on main", on_main, "" if on_main else
                          f"{req.kind} releases are cut from {policy.main_branch}; you are on "
                          f"{state.branch or 'a detached HEAD'} (git switch {policy.main_branch}, or pass --commit SHA)"))
        if req.commit is not None:
            ok = facts.commit_sha is not None and facts.commit_on_main
            why = (f"--commit {req.commit} is not a commit of this repository" if facts.commit_sha is None
                   else f"--commit {req.commit} is not on {policy.remote}/{policy.main_branch}")
            gates.append(Gate("commit on main", ok, "" if ok else why + " (pick a commit on main)"))
    else:
        exists = facts.branch_exists
        gates.append(Gate("release branch", exists, "" if exists else f"branch {branch} does not exist "
                          f"(fetch it: git fetch {policy.remote} {branch}:{branch})"))

    # -- in sync with origin ---------------------------------------------------------------------
    sync_branch = policy.main_branch if (create_branch and not facts.resume) else branch
    origin_ref = f"refs/heads/{sync_branch}"
    origin_sha = facts.origin_refs.get(origin_ref)
    if facts.origin_error:
        gates.append(Gate("in sync with origin", False, f"cannot read {policy.remote}: {facts.origin_error}"))
    elif origin_sha is None:
        ok = create_branch  # a new release branch is not on origin yet
        gates.append(Gate("in sync with origin", ok, "" if ok else
                          f"{sync_branch} is not on {policy.remote} (push it first: git push {policy.remote} {sync_branch})"))
    elif not facts.origin_tip_known_locally or not facts.origin_is_ancestor:
        gates.append(Gate("in sync with origin", False,
                          f"{sync_branch} is behind {policy.remote}/{sync_branch} (git pull --ff-only first)"))
    elif origin_sha != facts.local_tip and not (recorded and facts.local_tip == recorded):
        gates.append(Gate("in sync with origin", False,
                          f"{sync_branch} has commits that are not on {policy.remote} "
                          f"(push them through review first)"))
    else:
        gates.append(Gate("in sync with origin", True))

    # -- the tag is not elsewhere --------------------------------------------------------------
    remote_tag = facts.origin_refs.get(f"refs/tags/{tag}")
    clash = []
    for where, sha in (("locally", facts.tag_commit), (f"on {policy.remote}", remote_tag)):
        if sha and sha != recorded:
            clash.append(f"{tag} already exists {where} at {sha[:12]}")
    gates.append(Gate("tag is new", not clash, "; ".join(clash) + (
        " (tags are immutable; find out who made it)" if clash else "")))

    # -- version files hold a version at the base commit ------------------------------------------
    errors = facts.version_file_errors
    gates.append(Gate("version files", not errors, "; ".join(errors)))

    # -- release owner in CODEOWNERS -------------------------------------------------------------
    if facts.codeowners_text is None:
        if policy.require_codeowners:
            gates.append(Gate("release owner", False, "no CODEOWNERS file (.github/CODEOWNERS, CODEOWNERS or "
                              "docs/CODEOWNERS); add one listing the release owners"))
        else:
            gates.append(Gate("release owner", True, "require_codeowners = false", skipped=True))
    else:
        owners = codeowners.parse(facts.codeowners_text)
        ok, why = codeowners.is_owner(owners, facts.owner, allow_teams=policy.allow_teams,
                                      team_members=policy.teams)
        gates.append(Gate("release owner", ok, why if ok else
                          f"{why} ({facts.codeowners_path}); pass --owner LOGIN of a listed owner"))

    # -- line support (patch) --------------------------------------------------------------------
    if req.kind == "patch":
        from .schedule import line_support

        ok, why = line_support(tags, policy, version.line)
        gates.append(Gate("supported line", ok or req.force, why if ok else why + (
            " (--force given)" if req.force else "; pass --force to patch it anyway")))

    # -- final: window and provable promotion -------------------------------------------------------
    plan_override = None
    window = None
    last_rc = None
    if req.kind == "final":
        rcs = tags.rcs_of(version)
        last_rc = rcs[-1].name if rcs else None
        first = next((t for t in rcs if t.version and t.version.rc == 1), rcs[0] if rcs else None)
        kind = line_kind(version)
        days = policy.window_days(kind)
        if first is not None and first.date:
            ends = first.date + days * DAY
            window = {"rc1": first.name, "rc1_date": _date(first.date), "days": days, "ends": _date(ends)}
            if facts.now < ends:
                msg = (f"window for {version} closes {_date(ends)} ({first.name} tagged {_date(first.date)}, "
                       f"{kind} needs {days} days)")
                if req.override:
                    plan_override = {"gate": "window", "reason": req.override, "who": facts.owner}
                    gates.append(Gate("testing window", True, f"{msg}; overridden: {req.override}"))
                else:
                    gates.append(Gate("testing window", False, msg + "; use --override 'reason' to release now"))
            else:
                gates.append(Gate("testing window", True, f"closed {_date(ends)}"))
        files = facts.promotion_files or []
        allowed = allowed_promotion_files(policy)
        extra = [f for f in files if f not in allowed]
        gates.append(Gate("promotion is provable", not extra, "" if not extra else
                          f"{branch} changed since {last_rc}: {', '.join(extra[:8])}"
                          f"{' ...' if len(extra) > 8 else ''} (cut another RC with release.rc)"))

    plan = Plan(
        kind=req.kind, version=version, tag=tag, branch=branch, base=base, create_branch=create_branch,
        gates=gates, notes=notes, override=plan_override, window=window, last_rc=last_rc,
    )
    return plan


def allowed_promotion_files(policy: Policy) -> set[str]:
    """Files a final may change relative to its last RC: the version files and the changelog."""
    allowed = {policy.changelog, *policy.version_files}
    for pkg in policy.packages:
        for vf in pkg.version_files:
            allowed.add(_join(pkg.path, vf))
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
