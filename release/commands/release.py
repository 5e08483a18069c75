"""One release, end to end: read the world, plan (pure), show, run the engine, report.

    open_session -> gather Facts -> plan.make_plan -> steps -> engine.run -> summary

Every release kind goes through `prepare` and `execute`; only the Request differs. `--dry-run`
runs the same plan with the same probes and writes nothing (no journal, no lock).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release import engine
from release.adapters.git import GitRepo
from release.core.codeowners import LOCATIONS
from release.core.gates import Gate
from release.core.lines import supported_lines
from release.core.plan import Facts, Plan, Request, make_plan, target
from release.core.version import Version
from release.errors import Aborted, AlreadyReleased, ConflictError, GitError, ReleaseError
from release.journal import Journal, Lock
from release.session import Session, open_session
from release.session import now as session_clock
from release.steps.pipeline import release_steps
from release.world import World


@dataclass
class Prepared:
    session: Session
    plan: Plan
    world: World
    journal: Journal


# ---- gathering facts (I/O, read-only) ---------------------------------------------------------


def find_resume(s: Session, req: Request) -> dict[str, Any] | None:
    """An unfinished journal for this kind (and line) to resume instead of starting anew."""
    git_dir = s.state.git_dir
    line = req.line or s.policy.line_of_branch(s.state.branch)
    for version, j in Journal.scan(git_dir):
        if j is None:
            continue  # another version's unreadable journal: reported when that one runs
        meta = j.data.get("release") or {}
        if meta.get("kind") != req.kind or j.data.get("complete"):
            continue
        try:
            v = Version.parse(version)
        except ReleaseError:
            continue
        if req.kind in ("patch", "rc", "final") and line is not None and v.line != line:
            continue
        if (
            s.state.tagset.has_final(v)
            and not v.is_rc
            and req.kind != "final"
            and req.kind != "patch"
        ):
            continue
        return {
            "version": version,
            "base": meta.get("base"),
            "commit": j.facts("git:commit").get("sha"),
            "create_branch": meta.get("create_branch", False),
        }
    return mirrored_journal(s, req, line) or unpublished_tag(s, req, line)


def _matches(req: Request, line: tuple[int, int] | None, v: Version, kind: str) -> bool:
    """Would this command resume a release of version `v` made by `kind`?"""
    if kind != req.kind:
        return False
    return not (req.kind in ("patch", "rc", "final") and line is not None and v.line != line)


def mirrored_journal(
    s: Session, req: Request, line: tuple[int, int] | None
) -> dict[str, Any] | None:
    """An unfinished release mirrored on the remote by another clone (a CI runner that is gone):
    its journal is brought here and the release resumed, never skipped for the next version."""
    if not s.fetched:
        return None  # --offline, or the remote cannot be read (the gates say so)
    repo = GitRepo(s.root, s.policy.remote)
    try:
        there = repo.remote_journals()
    except ReleaseError:
        return None
    local = dict(Journal.scan(s.state.git_dir))
    known = sorted(((v, name) for name in there if (v := _parse(name)) is not None), reverse=True)
    for v, version in known:
        if local.get(version) is not None:
            continue  # ours is here (and the local scan did not pick it): keep ours
        text = repo.read_remote_journal(version)
        data = _journal_data(text)
        meta = (data or {}).get("release") or {}
        if (
            data is None
            or data.get("complete")
            or not _matches(req, line, v, str(meta.get("kind")))
        ):
            continue
        Journal.adopt(s.state.git_dir, version, data)
        return {
            "version": version,
            "base": meta.get("base"),
            "commit": ((data.get("steps") or {}).get("git:commit") or {})
            .get("facts", {})
            .get("sha"),
            "create_branch": meta.get("create_branch", False),
            "source": f"its journal was mirrored on {s.policy.remote} by the run that "
            "published it, and is now .git/release/" + f"{version}.json",
        }
    return None


def _parse(version: str) -> Version | None:
    try:
        return Version.parse(version)
    except ReleaseError:
        return None


def _journal_data(text: str | None) -> dict[str, Any] | None:
    """A mirrored journal's data when it has a journal's shape, else None."""
    import json

    from release.journal import shape_problem

    try:
        data = json.loads(text or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) and not shape_problem(data) else None


def unpublished_tag(
    s: Session, req: Request, line: tuple[int, int] | None
) -> dict[str, Any] | None:
    """A release tag made here but not on the remote, whose journal is gone (moved aside as
    advised, or lost): resume that version, never skip it for the next one."""
    tags = s.state.tagset
    pool = [t for t in [*tags.finals, *tags.rcs] if t.version is not None and t.sha]
    if req.kind in ("minor", "major"):
        pool = [t for t in pool if t.version and t.version.patch == 0]
        if req.kind == "major":
            pool = [t for t in pool if t.version and t.version.minor == 0]
    elif line is not None:
        pool = [t for t in pool if t.version and t.version.line == line]
        want_rc = req.kind == "rc"
        pool = [t for t in pool if t.version and t.version.is_rc == want_rc]
    else:
        return None
    if not pool:
        return None
    newest = max(pool, key=lambda t: t.version)  # type: ignore[arg-type, return-value]
    repo = GitRepo(s.root, s.policy.remote)
    try:
        on_remote = repo.remote_refs(f"refs/tags/{newest.name}")
    except ReleaseError:
        return None  # the gates say that the remote cannot be read
    if on_remote.get(f"refs/tags/{newest.name}"):
        return None
    subject = repo.git("log", "-1", "--format=%s", newest.sha, "--", check=False).stdout.strip()
    if subject != f"chore(release): {newest.name}":
        return None  # not a release commit of this toolkit: the tag gate asks who made it
    assert newest.version is not None
    branch = s.policy.branch_for(newest.version.line)
    try:
        branch_on_remote = bool(repo.remote_refs(f"refs/heads/{branch}"))
    except ReleaseError:
        branch_on_remote = True
    return {
        "version": newest.version.pep440(),
        "base": None,
        "commit": newest.sha,
        "create_branch": req.kind in ("minor", "major") and not branch_on_remote,
        "reconstructed": f"{newest.name} is tagged here but not on {s.policy.remote}",
    }


def finished_release(s: Session, req: Request) -> str:
    """'' unless this command's release is complete and nothing changed since: the same kind
    (and line) has a complete journal whose tag is still the tip of its branch (for a cut, main
    is still at its base). Then a re-run (a CI retry) is a no-op, never a second release."""
    git_dir = s.state.git_dir
    line = req.line or s.policy.line_of_branch(s.state.branch)
    tags = s.state.tagset
    best: tuple[Version, str] | None = None
    for name, j in Journal.scan(git_dir):
        try:
            v = Version.parse(name)
        except ReleaseError:
            continue
        if j is None:
            continue
        data = j.data
        meta = data.get("release") or {}
        if not data.get("complete") or meta.get("kind") != req.kind:
            continue
        if req.kind in ("patch", "rc", "final") and line is not None and v.line != line:
            continue
        tag_sha = s.state.tag_sha(meta.get("tag", ""))
        if not tag_sha:
            continue
        if req.kind in ("minor", "major"):
            bump = ((data.get("steps") or {}).get("git:dev-bump") or {}).get("facts", {}).get("sha")
            still = s.state.branches.get(s.policy.main_branch) in {meta.get("base"), bump} - {None}
        else:
            still = s.state.branches.get(meta.get("branch", "")) == tag_sha
            newer = [
                t
                for t in tags.finals_of_line(v.line) + tags.rcs_of(v.base)
                if t.version and t.version > v
            ]
            still = still and not newer
        if still and (best is None or v > best[0]):
            best = (
                v,
                f"{meta['tag']} is already released (complete journal, tag at {tag_sha[:12]})",
            )
    return best[1] if best else ""


def github_identity(policy: Any, env: Any) -> tuple[str, str]:
    """(login, where it came from) of whoever runs this release on GitHub, or ('', why not):
    the workflow's actor in GitHub Actions, else the token's login."""
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_ACTOR"):
        return env["GITHUB_ACTOR"], "GITHUB_ACTOR"
    from release.adapters.github import GitHub

    try:
        login = GitHub.from_policy(policy, env).login()
    except ReleaseError as exc:
        return "", exc.message
    return (login, "the GitHub token's login") if login else ("", "GET /user gave no login")


def establish_owner(s: Session, req: Request, repo: GitRepo, facts: Facts) -> None:
    """Who owns this release. With GitHub configured: the GitHub identity of the run, which
    `--owner` may only repeat. Without: the git identity, or `--owner` (acting for a listed
    owner, which needs --reason)."""
    from release.core.codeowners import same_identity

    env = os.environ
    asked = req.owner or env.get("RELEASE_OWNER", "").strip()
    asked_from = "--owner" if req.owner else "RELEASE_OWNER"
    mine = repo.config("user.email")
    facts.owner_reason = req.force_reason or ""
    if s.policy.github_repo:
        login, source = github_identity(s.policy, env)
        if login:
            facts.owner, facts.owner_source = login, source
            if asked and not same_identity(asked, login):
                facts.owner_error = (
                    f"{asked_from} {asked} is not who runs this release on GitHub ({login}, "
                    f"{source}); leave {asked_from} out, or run with {asked}'s token"
                )
            return
        facts.owner_source = f"git user.email (no GitHub identity: {source})"
    if asked:
        facts.owner = asked
        facts.owner_source = asked_from
        facts.owner_for_other = not same_identity(asked, mine)
        return
    facts.owner = mine
    facts.owner_source = facts.owner_source or "git user.email"


def journaled_override(git_dir: Any, version: str, gate: str) -> str:
    """The reason of the last override of `gate` journaled for `version` ('' when none)."""
    try:
        overrides = Journal.open(git_dir, version).data.get("overrides") or []
    except ReleaseError:
        return ""
    found = [o.get("reason", "") for o in overrides if o.get("gate") == gate and o.get("reason")]
    return found[-1] if found else ""


def gather(s: Session, req: Request) -> Facts:
    repo = GitRepo(s.root, s.policy.remote)
    facts = Facts(now=s.now)
    facts.resume = find_resume(s, req)
    version, branch, _ = target(s.state, s.policy, req, facts)
    tag = version.tag(s.policy.tag_pattern)
    establish_owner(s, req, repo, facts)
    create_branch = req.kind in ("minor", "major") or bool(
        facts.resume and facts.resume.get("create_branch")
    )
    sync_branch = s.policy.main_branch if (create_branch and not facts.resume) else branch
    main = s.policy.main_branch
    try:
        facts.origin_refs = repo.remote_refs(
            f"refs/heads/{sync_branch}", f"refs/heads/{main}", f"refs/tags/{tag}"
        )
    except ReleaseError as exc:
        facts.origin_error = exc.message
    facts.local_tip = repo.rev(f"refs/heads/{sync_branch}") or ""
    if not facts.local_tip and facts.resume:
        # a fresh clone resuming a pushed release: its branch is origin's (git:branch makes it)
        facts.local_tip = repo.rev(f"refs/remotes/{s.policy.remote}/{sync_branch}") or ""
    origin_tip = facts.origin_refs.get(f"refs/heads/{sync_branch}")
    if origin_tip:
        facts.origin_tip_known_locally = repo.rev(origin_tip) is not None
        if facts.origin_tip_known_locally and facts.local_tip:
            facts.origin_is_ancestor = repo.is_ancestor(origin_tip, facts.local_tip)
    facts.branch_exists = branch in s.state.branches
    facts.tag_commit = repo.tag_commit(tag)
    facts.supported = supported_lines(s.state.tagset, s.policy)
    if req.commit is not None:
        facts.commit_sha = repo.rev(req.commit)
        origin_main = facts.origin_refs.get(f"refs/heads/{main}") or repo.rev(
            f"refs/remotes/{s.policy.remote}/{main}"
        )
        facts.commit_on_main = bool(
            facts.commit_sha
            and origin_main
            and repo.rev(origin_main)
            and repo.is_ancestor(facts.commit_sha, origin_main)
        )
    elif create_branch and not facts.resume:
        facts.commit_sha = facts.local_tip
    base = facts.commit_sha or facts.local_tip if create_branch else facts.local_tip
    if facts.resume and facts.resume.get("base"):
        base = facts.resume["base"]
    facts.version_file_errors = version_file_problems(repo, s.policy, base)
    # CODEOWNERS as committed at the base commit: an untracked or edited file does not count
    for loc in LOCATIONS:
        text = repo.show_file(base, loc) if base else None
        if text is not None:
            facts.codeowners_path = loc
            facts.codeowners_text = text
            break
    tags = s.state.tagset
    if req.kind in ("patch", "rc") and facts.local_tip and not facts.resume:
        facts.since_last = since_last(repo, tags, version, facts.local_tip)
    if req.kind == "patch" and facts.local_tip:
        facts.stray_finals = [
            f"{t.name} ({t.sha[:12]}) is not on {branch}"
            for t in tags.finals_of_line(version.line)
            if t.sha and not repo.is_ancestor(t.sha, facts.local_tip)
        ]
    if req.kind == "final":
        rc1 = version.base.with_rc(1).pep440()
        published = Journal.published_at(s.state.git_dir, rc1)
        facts.rc1_published = published
        facts.rc1_unpublished = published is None and rc1 in Journal.list_versions(s.state.git_dir)
        if published is None and not facts.rc1_unpublished and s.policy.github_repo:
            facts.rc1_other_dates = github_prerelease_date(
                s.policy, version.base.with_rc(1).tag(s.policy.tag_pattern)
            )
        rcs = tags.rcs_of(version.base)
        if rcs and facts.local_tip:
            rc_commit = rcs[-1].sha or repo.tag_commit(rcs[-1].name)
            tip = str((facts.resume or {}).get("base") or facts.local_tip)
            facts.promotion_files = repo.changed_files(rc_commit, tip) if rc_commit else []
            if rc_commit:
                facts.promotion_content = promotion_content(
                    repo, s.policy, rc_commit, tip, facts.promotion_files, version
                )
    if s.policy.sign_tags:
        facts.tag_signing = repo.signing_setup(s.policy.sign_tags)  # core.gates.tag_signing
    return facts


def since_last(repo: GitRepo, tags: Any, version: Version, tip: str) -> tuple[str, int] | None:
    """(the last tag of the release's line, commits on the branch since it), or None."""
    line_tags = [*tags.finals_of_line(version.line), *tags.rcs_of(version.base)]
    line_tags = [t for t in line_tags if t.sha and t.version is not None and t.version < version]
    if not line_tags:
        return None
    last = max(line_tags, key=lambda t: t.version)
    return last.name, repo.count_commits(last.sha, tip)


def github_prerelease_date(policy: Any, tag: str) -> dict[str, int]:
    """{"GitHub pre-release": when it was published} for an rc1 without a publication record
    (a hand-made tag, an older history); {} when GitHub cannot say."""
    from release.adapters.github import GitHub

    try:
        rel = GitHub.from_policy(policy).release_by_tag(tag)
    except ReleaseError:
        return {}
    when = getattr(rel, "published_at", None) if rel is not None else None
    return {"GitHub pre-release": int(when.timestamp())} if when is not None else {}


def promotion_content(
    repo: GitRepo, policy: Any, rc_commit: str, tip: str, changed: list[str], version: Version
) -> list[str]:
    """Version files whose content differs between the last RC and `tip` in more than the
    version strings and pins this toolkit writes (both rendered with the final's version)."""
    from pathlib import PurePosixPath

    from release.core.plan import version_file_paths
    from release.core.versionfiles import render_file

    out = []
    for path, pins in version_file_paths(policy):
        if path not in changed:
            continue
        before, after = repo.show_file(rc_commit, path), repo.show_file(tip, path)
        if before is None or after is None:
            out.append(path)
            continue
        name = PurePosixPath(path).name
        try:
            same = render_file(name, before, version, pins) == render_file(
                name, after, version, pins
            )
        except ReleaseError:
            same = False
        if not same:
            out.append(path)
    return out


def version_file_problems(repo: GitRepo, policy: Any, rev: str) -> list[str]:
    """Each configured version file must exist at `rev` and hold a version."""
    from pathlib import PurePosixPath

    from release.core.plan import version_file_paths
    from release.core.versionfiles import version_in_text

    if not rev:
        return []
    problems = []
    for path, _pins in version_file_paths(policy):
        text = repo.show_file(rev, path)
        if text is None:
            problems.append(f"version file {path} does not exist at {rev[:12]}")
            continue
        try:
            version_in_text(PurePosixPath(path).name, text, path)
        except ReleaseError as exc:
            problems.append(exc.message)
    return problems


# ---- steps ---------------------------------------------------------------------------------------


def _notes(
    s: Session,
    plan: Plan,
    journal: Journal | None = None,
    *,
    dry_run: bool = False,
    offline: bool = False,
) -> Any:
    try:
        from release.commands.changelog import release_notes
    except ImportError:  # pragma: no cover
        return None
    reason = plan.override["reason"] if plan.override else None
    rev = plan.base or "HEAD"
    import datetime as dt

    date = dt.datetime.fromtimestamp(s.now, dt.timezone.utc).date().isoformat()

    def github(notes: Any) -> Any:
        return github_facts(s, plan, notes, journal, dry_run=dry_run, offline=offline)

    return release_notes(
        s.root,
        s.state.tagset,
        plan.version,
        s.policy,
        rev=rev,
        date=date,
        override_reason=reason,
        enrich_with=github,
    )


NOTES_FACTS = "notes_github"  # the journal's record of what GitHub said for the notes


def github_facts(
    s: Session,
    plan: Plan,
    notes: Any,
    journal: Journal | None,
    *,
    dry_run: bool = False,
    offline: bool = False,
) -> Any:
    """The notes with GitHub handles and PR labels (`core.notes.enrich`), when GitHub is
    configured: asked once per release (one GraphQL query per 100 changes) and journaled, so a
    resumed or repeated run renders the same notes; a release that already made its commit
    without them keeps them as they are. GitHub unreachable: the git names, and a plan note."""
    from release.core.notes import enrich

    if not s.policy.github_repo or not notes.entries:
        return notes
    recorded = (journal.data.get(NOTES_FACTS) if journal is not None else None) or None
    if recorded is None:
        committed = journal is not None and journal.steps.get("git:commit", {}).get("status") in (
            "started",
            "verified",
        )
        if offline or committed:
            return notes
        from release.adapters.github import GitHub

        prs = sorted({e.pr for e in notes.entries if e.pr is not None})
        shas = list(dict.fromkeys(e.sha for e in notes.entries))
        try:
            gh = GitHub.from_policy(s.policy, attempts=2, max_wait=10)
            found, logins = gh.notes_facts(prs, shas)
        except ReleaseError as exc:
            plan.notes.append(
                f"release notes: authors as git names, PR labels not read ({exc.message})"
            )
            return notes
        recorded = {
            "prs": {str(n): f for n, f in found.items()},
            "logins": logins,
            "requests": gh._count(),
        }
        if journal is not None and not dry_run:
            # in memory: saved with the release's own record when it runs; a plan, a dry run
            # or a release a gate refuses leaves no journal behind
            journal.data[NOTES_FACTS] = recorded
    prs_facts = {int(n): f for n, f in (recorded.get("prs") or {}).items()}
    return enrich(notes, lambda _prs: prs_facts, recorded.get("logins") or {})


def warm_imports() -> None:
    """Import on a daemon thread what the steps import late (GitPython for branches and tags,
    tomlkit for version files, the index adapter, the smoke test's interpreter rules) while the
    main thread waits for git and the indexes, so that no step waits for an import. Errors are
    ignored: the step that needs a module imports it again and says what is wrong."""
    import threading

    def load() -> None:
        with contextlib.suppress(Exception):
            import git  # noqa: F401
        with contextlib.suppress(Exception):
            import tomlkit  # noqa: F401
        with contextlib.suppress(Exception):
            from release.adapters import pypi  # noqa: F401
        with contextlib.suppress(Exception):
            from release.core import interpreters  # noqa: F401

    threading.Thread(target=load, name="release-warm-imports", daemon=True).start()


def prepare(
    req: Request,
    path: str = ".",
    config: str | None = None,
    dry_run: bool = False,
    offline: bool = False,
    on_log: Callable[[str], None] | None = None,
    *,
    version: Version | None = None,
    notify_off: str = "",
    table: dict[str, Any] | None = None,
) -> Prepared:
    """Read the world, plan, and build the World the steps see; its `log` (progress messages
    of the steps: CI pending, workflow runs, retry waits) goes to `on_log`. A release train
    (commands/train.py) passes for each member `version`, the train's (a plan of any other
    version fails the gate "train version"), and `notify_off`, why the member's notify steps
    are skipped (the train announces once)."""
    warm_imports()
    s = open_session(path, config, fetch=not offline, table=table)
    done = finished_release(s, req)
    if done:
        raise AlreadyReleased(done, "release.verify checks it against the world")
    facts = gather(s, req)
    if facts.resume and not req.override:
        reason = journaled_override(s.state.git_dir, facts.resume["version"], "window")
        if reason:
            req = dataclasses.replace(req, override=reason)
    plan = make_plan(s.state, s.policy, req, facts)
    if version is not None and plan.version != version:
        plan.gates.append(
            Gate(
                "train version",
                False,
                f"the train releases {version}; this repository's {req.kind} is {plan.version}",
            )
        )
    plan.steps = release_steps(plan, s.policy, notify_off=notify_off)
    if s.fetch_error:
        plan.notes.append(f"could not fetch from {s.policy.remote}: {s.fetch_error}")
    journal = Journal.open(s.state.git_dir, plan.version.pep440())
    repo = GitRepo(s.root, s.policy.remote)
    world = World(
        root=s.root,
        repo=repo,
        policy=s.policy,
        version=plan.version,
        kind=req.kind,
        journal=journal,
        tagset=s.state.tagset,
        now=s.now,
        dry_run=dry_run,
        branch=plan.branch,
        base_commit=plan.base,
        clock=session_clock,
        posted_decision=req.posted,
    )
    if on_log is not None:
        world.log = on_log
    world.notes = _notes(s, plan, journal, dry_run=dry_run, offline=offline)
    return Prepared(s, plan, world, journal)


# ---- showing and running ----------------------------------------------------------------------


def execute(
    p: Prepared,
    *,
    dry_run: bool = False,
    yes: bool = False,
    after_step: Callable[[str], None] | None = None,
    on_row: Callable[[engine.Row], None] | None = None,
    confirm: Callable[[list[Any]], bool] | None = None,
    on_start: Callable[[str, str], None] | None = None,
) -> engine.Report:
    """Run the plan's steps through the engine (a dry run writes nothing); rows go to `on_row`,
    each step's start to `on_start`, `confirm` is asked before the first irreversible step
    (None: do not ask)."""
    plan, world, journal = p.plan, p.world, p.journal

    if dry_run:
        return engine.run(plan.steps, world, None, dry_run=True, on_row=on_row, on_start=on_start)
    if confirm is not None and not yes:
        # Ask before the first change, local ones included: probe every step (nothing is
        # written), list only those that will run, and leave nothing behind on a "no".
        was, world.dry_run = world.dry_run, True  # steps probe as in a dry run (no build yet)
        try:
            preview = engine.run(plan.steps, world, None, dry_run=True)
        finally:
            world.dry_run = was
        if preview.error is not None:  # a conflict or a failing probe: the run would stop there
            for row in preview.rows:
                if on_row:
                    on_row(row)
            preview.dry_run = False
            return preview
        pending = [
            st for st, row in zip(plan.steps, preview.rows, strict=True) if row.status == "would"
        ]
        if pending and not confirm(pending):
            raise Aborted("declined; nothing was changed", "re-run and answer y to release")
    existed = journal.path.exists()
    with Lock(p.session.state.git_dir, plan.version.pep440()):
        journal.data["release"] = {
            "version": plan.version.pep440(),
            "kind": plan.kind,
            "tag": plan.tag,
            "branch": plan.branch,
            "base": plan.base,
            "create_branch": plan.create_branch,
            "owner": plan.owner,
            "owner_source": plan.owner_source,
            **({"force": True} if plan.force else {}),
            **({"reason": plan.reason} if plan.reason else {}),
            **({"forced_version": plan.forced_version} if plan.forced_version else {}),
            "gates": [{"gate": g.name, "status": g.status, "detail": g.reason} for g in plan.gates],
            **({"window": plan.window} if plan.window else {}),
        }
        journal.data["plan"] = [st.name for st in plan.steps]
        journal.save()
        if plan.override:
            journal.add_override(
                plan.override["gate"], plan.override["reason"], plan.override.get("who", "")
            )
        lock = RemoteLock(world.repo, plan.version.pep440(), p.session.state.git_dir)
        mirror = JournalMirror(world, journal)
        public = {st.name for st in plan.steps if getattr(st, "irreversible", False)}

        def after(name: str) -> None:
            if name in public:
                mirror.push()
            if after_step:
                after_step(name)

        report: engine.Report | None = None
        try:
            report = engine.run(
                plan.steps,
                world,
                journal,
                confirm=None,
                after_step=after,
                on_row=on_row,
                before_public=lock.take,
                on_start=on_start,
            )
            if report.ok:
                journal.set("complete", True)
        finally:
            mirror.push(done=bool(report and report.ok))
            lock.release()
        if report is not None and report.ok:  # after every step (github:release uploaded)
            prune_work(world, journal)
    assert report is not None
    if not report.ok and not keep_journal(report, existed, journal):
        _forget(journal)  # a run stopped by a gate leaves no trace
    return report


class RemoteLock:
    """One machine publishes a version: before the first public step, a lock ref is created on
    the remote with one atomic push (refs/release/locks/<version>, a commit whose message names
    the holder); it is deleted when the run ends. A lock left by a killed run of this checkout
    is taken over; one held elsewhere stops the run with one line naming the holder."""

    def __init__(self, repo: GitRepo, version: str, git_dir: Any) -> None:
        import socket

        self.repo, self.version, self.sha = repo, version, ""
        self.me = f"{socket.gethostname()}:{git_dir}"
        self.holder = f"release {version} by {self.me} pid {os.getpid()}"

    def take(self) -> None:
        self.sha, why = self.repo.take_remote_lock(self.version, self.holder)
        if self.sha:
            return
        sha, text = self.repo.remote_lock(self.version)
        if not sha:  # no lock there: the remote refused the push itself
            raise GitError(
                f"push of the release lock to {self.repo.remote} was refused: {why}",
                "fix the cause on the remote and re-run the same command to resume",
            )
        if sha and lock_is_mine_and_dead(text, self.me):
            self.sha, _ = self.repo.take_remote_lock(self.version, self.holder, replace=sha)
            if self.sha:
                return
            sha, text = self.repo.remote_lock(self.version)
        raise ConflictError(
            f"{self.version} is being released from elsewhere: {text or 'the lock was refused'} "
            f"({self.repo.lock_ref(self.version)} on {self.repo.remote})",
            f"wait for that run to finish; if it is dead, release.unlock {self.version}",
        )

    def release(self) -> None:
        if self.sha:
            with contextlib.suppress(ReleaseError):
                self.repo.drop_remote_lock(self.version, self.sha)
            self.sha = ""


class JournalMirror:
    """The journal travels with the remote once anything is public: pushed after every public
    step and when the run ends (see GitRepo.push_journal), so that another clone resumes the
    version instead of skipping it. A failed mirror push never fails the release; it is said."""

    def __init__(self, world: Any, journal: Journal) -> None:
        self.world, self.journal = world, journal

    def push(self, done: bool = False) -> None:
        if not self.journal.data.get("published"):
            return  # nothing public: nothing another clone must finish
        try:
            ok = self.world.repo.push_journal(
                self.world.version.pep440(), self.journal.path.read_text("utf-8"), done=done
            )
        except (ReleaseError, OSError) as exc:
            ok, why = False, str(exc)
        else:
            why = "the push was refused"
        if not ok:
            self.world.log(
                f"warning: the journal could not be mirrored to {self.world.repo.remote} ({why}); "
                "another clone cannot resume this release until it is"
            )


def lock_is_mine_and_dead(text: str, me: str) -> bool:
    """A lock written by this checkout whose process no longer runs."""
    parts = text.split()
    if len(parts) < 6 or parts[3] != me or parts[4] != "pid":
        return False
    try:
        os.kill(int(parts[5]), 0)
    except (ValueError, ProcessLookupError):
        return True
    except PermissionError:
        return False
    return False


def prune_work(world: World, journal: Journal) -> None:
    """A complete release's work directory goes (its hashes are in the journal, its files on the
    indexes and the GitHub release), unless [tool.release].keep_work; the bytes freed are
    journaled as `pruned`. A failure never fails the release: it is journaled with its reason,
    and release.prune removes the directory later."""
    from release.commands.prune import remove_work

    work = world.work_dir
    if world.policy.keep_work or not work.exists():
        return
    at = int(world.clock()) if world.clock is not None else world.now
    try:
        freed = remove_work(world.repo, work)
    except (OSError, ReleaseError) as exc:
        why = exc.message if isinstance(exc, ReleaseError) else str(exc)
        journal.set("pruned", {"at": at, "bytes": 0, "error": why})
        return
    journal.set("pruned", {"at": at, "bytes": freed})


def keep_journal(report: engine.Report, existed: bool, journal: Journal) -> bool:
    """Keep the journal when it existed before, when any step did or found something, or when
    it holds test evidence (the record of a failing session is worth keeping)."""
    return (
        existed
        or bool(journal.data.get("evidence"))
        or any(r.status in ("applied", "done") for r in report.rows)
    )


def _forget(journal: Journal) -> None:
    lock = journal.path.with_suffix(".lock")
    for p in (journal.path, lock):
        p.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        journal.path.parent.rmdir()


def release(
    req: Request,
    *,
    path: str = ".",
    config: str | None = None,
    dry_run: bool = False,
    yes: bool = False,
    show: Callable[[Prepared], None] | None = None,
    on_row: Callable[[engine.Row], None] | None = None,
    confirm: Callable[[list[Any]], bool] | None = None,
    offline: bool = False,
    on_start: Callable[[str, str], None] | None = None,
    on_log: Callable[[str], None] | None = None,
) -> tuple[Prepared, engine.Report]:
    """The body of release.patch/minor/major/rc/final: prepare, show, gates, run. Never prints:
    `show` receives the prepared plan before the gates are enforced, `on_start` each step's
    name and description when it starts, `on_log` the steps' progress messages as they come,
    `on_row` each step's row when it ends."""
    p = prepare(req, path, config, dry_run=dry_run, offline=offline, on_log=on_log)
    if show:
        show(p)
    p.plan.require_ready()
    report = execute(
        p,
        dry_run=dry_run,
        yes=yes,
        after_step=_kill_hook(),
        on_row=on_row,
        confirm=confirm,
        on_start=on_start,
    )
    return p, report


def _kill_hook() -> Callable[[str], None] | None:
    """Test seams, after a named step: RELEASE_KILL_AFTER=<step> SIGKILLs this process;
    RELEASE_PAUSE_AFTER=<step> with RELEASE_PAUSE_FIFO=<fifo> blocks until a line is written."""
    kill_at = os.environ.get("RELEASE_KILL_AFTER")
    pause_at = os.environ.get("RELEASE_PAUSE_AFTER")
    fifo = os.environ.get("RELEASE_PAUSE_FIFO", "")
    if not kill_at and not pause_at:
        return None

    def hook(name: str) -> None:
        sys.stdout.flush()
        if name == kill_at:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
        if name == pause_at and fifo:
            with Path(fifo).open() as fh:  # blocks until the test writes
                fh.readline()

    return hook
