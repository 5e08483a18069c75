"""One release, end to end: read the world, plan (pure), show, run the engine, report.

    open_session -> gather Facts -> plan.make_plan -> steps -> engine.run -> summary

Every release kind goes through `prepare` and `execute`; only the Request differs. `--dry-run`
runs the same plan with the same probes and writes nothing (no journal, no lock).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release import engine
from release.adapters.git import GitRepo
from release.core.codeowners import LOCATIONS
from release.core.lines import supported_lines
from release.core.plan import Facts, Plan, Request, make_plan, target
from release.core.version import Version
from release.errors import ReleaseError
from release.journal import Journal, Lock
from release.session import Session, open_session
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
    for version in Journal.list_versions(git_dir):
        j = Journal.open(git_dir, version)
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
    return None


def gather(s: Session, req: Request) -> Facts:
    repo = GitRepo(s.root, s.policy.remote)
    facts = Facts(now=s.now)
    facts.resume = find_resume(s, req)
    version, branch, _ = target(s.state, s.policy, req, facts)
    tag = version.tag(s.policy.tag_pattern)
    facts.owner = req.owner or os.environ.get("RELEASE_OWNER") or repo.config("user.email")
    for loc in LOCATIONS:
        p = s.root / loc
        if p.is_file():
            facts.codeowners_path = loc
            facts.codeowners_text = p.read_text(encoding="utf-8", errors="replace")
            break
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
    if req.kind == "final":
        rcs = s.state.tagset.rcs_of(version.base)
        if rcs and facts.local_tip:
            rc_commit = rcs[-1].sha or repo.tag_commit(rcs[-1].name)
            tip = str((facts.resume or {}).get("base") or facts.local_tip)
            facts.promotion_files = repo.changed_files(rc_commit, tip) if rc_commit else []
    return facts


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


def _notes(s: Session, plan: Plan) -> Any:
    try:
        from release.commands.changelog import release_notes
    except ImportError:  # pragma: no cover
        return None
    reason = plan.override["reason"] if plan.override else None
    rev = plan.base or "HEAD"
    import datetime as dt

    date = dt.datetime.fromtimestamp(s.now, dt.timezone.utc).date().isoformat()
    return release_notes(
        s.root, s.state.tagset, plan.version, s.policy, rev=rev, date=date, override_reason=reason
    )


def prepare(
    req: Request, path: str = ".", config: str | None = None, dry_run: bool = False
) -> Prepared:
    s = open_session(path, config)
    facts = gather(s, req)
    plan = make_plan(s.state, s.policy, req, facts)
    plan.steps = release_steps(plan, s.policy)
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
    )
    world.notes = _notes(s, plan)
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
) -> engine.Report:
    """Run the plan's steps through the engine (a dry run writes nothing); rows go to `on_row`,
    `confirm` is asked before the first irreversible step (None: do not ask)."""
    plan, world, journal = p.plan, p.world, p.journal

    if dry_run:
        return engine.run(plan.steps, world, None, dry_run=True, on_row=on_row)
    existed = journal.path.exists()
    with Lock(p.session.state.git_dir, plan.version.pep440()):
        journal.data["release"] = {
            "version": plan.version.pep440(),
            "kind": plan.kind,
            "tag": plan.tag,
            "branch": plan.branch,
            "base": plan.base,
            "create_branch": plan.create_branch,
            "owner": world.repo.config("user.email"),
            "gates": [{"gate": g.name, "status": g.status, "detail": g.reason} for g in plan.gates],
            **({"window": plan.window} if plan.window else {}),
        }
        journal.data["plan"] = [st.name for st in plan.steps]
        journal.save()
        if plan.override:
            journal.add_override(
                plan.override["gate"], plan.override["reason"], plan.override.get("who", "")
            )
        report = engine.run(
            plan.steps,
            world,
            journal,
            confirm=None if yes else confirm,
            after_step=after_step,
            on_row=on_row,
        )
        if report.ok:
            journal.set("complete", True)
    if not report.ok and not keep_journal(report, existed, journal):
        _forget(journal)  # a run stopped by a gate leaves no trace
    return report


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
) -> tuple[Prepared, engine.Report]:
    """The body of release.patch/minor/major/rc/final: prepare, show, gates, run. Never prints:
    `show` receives the prepared plan before the gates are enforced, `on_row` each step's row."""
    p = prepare(req, path, config, dry_run=dry_run)
    if show:
        show(p)
    p.plan.require_ready()
    report = execute(
        p, dry_run=dry_run, yes=yes, after_step=_kill_hook(), on_row=on_row, confirm=confirm
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
