"""A release train: one version across several repositories, clients before the server.

    checkouts -> plan every member (prepare) -> consistency -> preview -> run them in order

Composition over the single-repository release (`commands/release.py`): each member of the
train is its own release, with its own gates, journal, tag and publish steps (which return only
once the index serves the new version), made in dependency order with the repository that holds
`[[tool.release.train]]` last, so that its pins resolve when it is built. Nothing happens until
every member is planned, checked against the train's version and previewed (every step probed):
a refusal lists one line per member and changes nothing.

One train journal, `<common git dir>/release/train-<version>.json` in that repository, lists the
members, their order and state. Re-running the same command resumes: a member whose own journal
is complete and whose tag is on its remote is skipped, the interrupted one resumes through its
own journal. Members' notify steps are skipped (the reason says so); the last release announces
the train, and its announcement lists every member's tag and artifacts.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release import engine
from release.adapters.git import GitRepo, find_root, read_state
from release.commands.release import Prepared, _kill_hook, execute, prepare
from release.core.plan import (
    TRAIN_FROM_BRANCH,
    Request,
    own_next,
    train_artifacts,
    train_order,
    train_refusal,
    train_resume,
    with_train_members,
)
from release.core.policy import Policy, TrainMember
from release.core.routing import python_index
from release.core.version import Version
from release.errors import Aborted, NotReady, ReleaseError
from release.journal import Journal, Lock
from release.session import load_repo_policy


@dataclass
class Member:
    """One repository of the train, as planned for this run."""

    name: str
    root: Path | None = None
    config: str | None = None
    depends_on: list[str] = field(default_factory=list)
    is_self: bool = False  # the repository holding the train: always the last member
    policy: Policy | None = None
    prepared: Prepared | None = None
    complete: str = ""  # skipped: why it is complete already (a resumed train)
    refused: str = ""  # the one line that refuses it
    own_next: str = ""  # --version: what its own next version would have been (journaled)
    preview: engine.Report | None = None  # every step probed, nothing written

    @property
    def tag(self) -> str:
        return self.prepared.plan.tag if self.prepared is not None else ""


@dataclass
class TrainRun:
    """What a train run did: the members in release order, each member's report."""

    kind: str
    version: Version
    members: list[Member]
    dry_run: bool = False
    resumed: bool = False
    journal: Journal | None = None
    reports: dict[str, engine.Report] = field(default_factory=dict)
    stopped: str = ""  # the member whose release stopped
    forced: str = ""  # --version: the version forced on the train

    @property
    def ok(self) -> bool:
        return not self.stopped and all(r.ok for r in self.reports.values())


@dataclass(frozen=True)
class Pending:
    """A step the train will run, named `member/step` (for the confirmation prompt)."""

    name: str
    irreversible: bool


def has_train(path: str = ".", config: str | None = None) -> bool:
    """Does the repository at `path` hold a release train? (False where it cannot be read: the
    single-repository release then says why, exactly as without a train.)"""
    try:
        return bool(load_repo_policy(find_root(path), config).train)
    except ReleaseError:
        return False


# ---- checkouts --------------------------------------------------------------------------------


def checkout_dir(git_dir: Path, name: str) -> Path:
    return Path(git_dir) / "release" / "train" / name


def member_dir(git_dir: Path, root: Path, m: TrainMember) -> Path:
    """Where member `m` is checked out: its `path` (relative to `root`), else its clone."""
    if m.path:
        return Path(m.path) if Path(m.path).is_absolute() else root / m.path
    return checkout_dir(git_dir, m.name)


def checkout(git_dir: Path, root: Path, m: TrainMember) -> tuple[Path, bool]:
    """(the member's checkout, managed): its `path` as it is, or its clone under
    .git/release/train/<name>/ (made from `url` on first use, committing as this repository's
    git identity)."""
    if m.path:
        where = member_dir(git_dir, root, m)
        if not where.is_dir():
            raise ReleaseError(f"path {m.path} does not exist", "fix [tool.release].train path")
        return find_root(where), False
    dest = member_dir(git_dir, root, m)
    if (dest / ".git").exists():  # the url may have changed in the configuration since
        clone = GitRepo(dest)
        remotes = clone.remotes()
        if len(remotes) == 1:
            was = clone.git("remote", "get-url", remotes[0], check=False).stdout.strip()
            if was != m.url:
                clone.git("remote", "set-url", remotes[0], m.url)
    if not (dest / ".git").exists():
        if dest.exists():
            shutil.rmtree(dest)  # a clone that never got its .git: nothing of ours is in it
        dest.parent.mkdir(parents=True, exist_ok=True)
        GitRepo(dest.parent).network(f"clone of {m.name}", "clone", "-q", "--", m.url, str(dest))
        here, there = GitRepo(root), GitRepo(dest)
        for key in ("user.name", "user.email"):
            value = here.config(key)
            if value:
                there.git("config", key, value)
    return dest, True


def member_checkout(
    path: str, config: str | None, name: str
) -> tuple[Path, str | None, dict[str, Any] | None]:
    """(the checkout of train member `name`, its config file, its inline policy) for a task run
    there (e.g. `release.backport --repo NAME`): its `path`, or its managed clone (made on first
    use)."""
    from release.errors import ConfigError

    root = find_root(path)
    policy = load_repo_policy(root, config)
    names = [m.name for m in policy.train]
    if not names:
        raise ConfigError(
            f"--repo {name}: this repository has no release train",
            "leave --repo out, or run from the repository holding [[tool.release.train]]",
        )
    tm = next((m for m in policy.train if m.name == name), None)
    if tm is None:
        raise ConfigError(
            f"--repo {name}: not a member of the train", f"use one of: {', '.join(names)}"
        )
    state = read_state(root, policy.remote, policy.tag_prefix)
    where, _managed = checkout(state.git_dir, root, tm)
    return where, tm.config or None, tm.release or None


def switch(root: Path, policy: Policy, branch: str, managed: bool, offline: bool) -> None:
    """Fetch tags and branches; a managed checkout goes to `branch` (the member's main for a
    minor or major, its release-X.Y.x for a patch, RC or final; never main instead), created
    from the remote's or fast-forwarded to it. A checkout given by `path` is never switched."""
    repo = GitRepo(root, policy.remote)
    if managed and policy.remote not in repo.remotes() and "origin" in repo.remotes():
        repo.git("remote", "rename", "origin", policy.remote)
    if not offline:
        repo.fetch_for_plan()  # a failure is for the member's gates to report
    if not managed:
        return
    local = repo.rev(f"refs/heads/{branch}")
    tracked = repo.rev(f"refs/remotes/{policy.remote}/{branch}")
    if local is None and tracked is None:
        return  # the consistency check refuses the member, naming the branch
    current = repo.git("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
    if current != branch:
        if local is not None:
            repo.git("switch", "-q", "--end-of-options", branch)
        else:
            repo.git("switch", "-q", "-c", branch, "--track", f"{policy.remote}/{branch}")
    if local and tracked and local != tracked and repo.is_ancestor(local, tracked):
        repo.git("merge", "-q", "--ff-only", f"refs/remotes/{policy.remote}/{branch}")


# ---- journals --------------------------------------------------------------------------------


def train_journals(git_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(version, data) of every readable train journal of this repository."""
    out = []
    for name in Journal.list_versions(git_dir):
        if not name.startswith("train-"):
            continue
        try:
            out.append((name[len("train-") :], Journal.open(git_dir, name).data))
        except ReleaseError:
            continue
    return out


def member_journal(root: Path, version: Version) -> dict[str, Any]:
    """The member's own journal of `version` ({} when it has none or it cannot be read)."""
    try:
        return Journal.open(read_state(root).git_dir, version.pep440()).data
    except ReleaseError:
        return {}


def complete_there(root: Path, policy: Policy, version: Version) -> str:
    """Why the member's release of `version` is complete ('' when it is not): its own journal
    says so (here, or mirrored as done on its remote) and its tag is on its remote."""
    repo = GitRepo(root, policy.remote)
    tag = version.tag(policy.tag_pattern)
    done = bool(member_journal(root, version).get("complete"))
    try:
        done = done or version.pep440() in repo.remote_journals(done=True)
        on_remote = bool(repo.remote_refs(f"refs/tags/{tag}").get(f"refs/tags/{tag}"))
    except ReleaseError:
        return ""
    return f"{tag} is complete (its journal) and on {policy.remote}" if done and on_remote else ""


def resuming_there(root: Path, policy: Policy, version: Version) -> bool:
    """Has the member an unfinished release of `version` (its journal here or on its remote)?"""
    data = member_journal(root, version)
    if data.get("release") and not data.get("complete"):
        return True
    try:
        return version.pep440() in GitRepo(root, policy.remote).remote_journals()
    except ReleaseError:
        return False


# ---- the train ----------------------------------------------------------------------------------


class TrainNotes:
    """The last release's notes, whose announcement also lists the train's other members."""

    def __init__(self, notes: Any, members: list[tuple[str, str, list[str]]]) -> None:
        self._notes, self._members = notes, members

    def __getattr__(self, name: str) -> Any:
        return getattr(self._notes, name)

    def announcement(self, url: str, *args: Any, **kw: Any) -> str:
        text = self._notes.announcement(url, *args, **kw) if self._notes is not None else ""
        return with_train_members(str(text or ""), self._members)


def self_name(root: Path, names: list[str]) -> str:
    """The name of the repository holding the train: its directory's, unless a member has it."""
    return root.name if root.name not in names else f"{root.name} (self)"


def train(
    req: Request,
    *,
    path: str = ".",
    config: str | None = None,
    dry_run: bool = False,
    yes: bool = False,
    offline: bool = False,
    show: Callable[[Member], None] | None = None,
    on_member: Callable[[Member, str], None] | None = None,
    on_row: Callable[[engine.Row], None] | None = None,
    confirm: Callable[[list[Any]], bool] | None = None,
    on_log: Callable[[str], None] | None = None,
    plan_only: bool = False,
) -> TrainRun:
    """The same release kind across every member of the train, with one version. Never prints:
    `show` gets each planned member, `on_member` (member, "complete" | "start" | "dry run")
    as the run reaches it, `on_row` every step's row, `confirm` the pending steps of every
    member (named member/step) once, before the first change. `plan_only` (release.plan)
    returns once every member is planned: nothing is probed, nothing refused yet."""
    root = find_root(path)
    policy = load_repo_policy(root, config)
    state = read_state(root, policy.remote, policy.tag_prefix)
    git_dir = state.git_dir
    names = train_order(policy.train)
    line = (
        (req.line or policy.line_of_branch(state.branch)) if req.kind in TRAIN_FROM_BRANCH else None
    )
    resume = train_resume(train_journals(git_dir), req.kind, line)
    version = Version.parse(resume) if resume else None
    states: dict[str, Any] = {}
    if resume:
        states = Journal.open(git_dir, f"train-{resume}").data.get("members") or {}

    # 1. the repository holding the train: its next version is the train's
    server = Member(self_name(root, names), root=root, config=config, is_self=True)
    server.policy = policy
    if version is not None:
        server.complete = complete_there(root, policy, version)
    if not server.complete:
        sreq = req
        if version is not None and req.kind in TRAIN_FROM_BRANCH and req.line is None:
            sreq = dataclasses.replace(req, line=version.line)  # the resumed train's line
        server.prepared = prepare(
            sreq,
            str(root),
            config,
            dry_run=dry_run,
            offline=offline,
            on_log=on_log,
            version=version,
        )
        version = version or server.prepared.plan.version
        server.refused = _not_ready(server)
    assert version is not None
    run = TrainRun(req.kind, version, [], dry_run=dry_run, resumed=bool(resume))
    if req.version:
        run.forced = Version.parse(req.version).pep440()
        if server.prepared is not None:
            own, why = own_next(
                server.prepared.session.state.tagset,
                policy,
                req.kind,
                version.line if req.kind in TRAIN_FROM_BRANCH else None,
            )
            server.own_next = str(own) if own is not None else f"none ({why})"

    # 2. every member: its checkout on the right branch, its plan, its consistency
    off = f"the train announces once, from {server.name}"
    mreq = dataclasses.replace(
        req, commit=None, line=version.line if req.kind in TRAIN_FROM_BRANCH else None
    )
    by_name = {m.name: m for m in policy.train}
    for name in names:
        tm = by_name[name]
        m = Member(name, config=tm.config or None, depends_on=list(tm.depends_on))
        run.members.append(m)
        try:
            plan_member(m, tm, mreq, version, git_dir, root, states, dry_run, offline, off, on_log)
        except ReleaseError as exc:
            m.refused = f"{name}: {exc.one_line()}"
    run.members.append(server)
    _wire(run)
    if show:
        for m in run.members:
            show(m)
    if plan_only:  # release.plan: every member's plan and refusal line, nothing probed
        return run
    _refuse(run)

    # 3. every step of every member probed before anything is done
    for m in run.members:
        if m.prepared is not None:
            world = m.prepared.world
            world.dry_run = True  # probes of steps after a build say "would" instead of failing
            try:
                m.preview = engine.run(m.prepared.plan.steps, world, None, dry_run=True)
            finally:
                world.dry_run = dry_run
            if m.preview.error is not None:
                m.refused = f"{m.name}: {m.preview.error.one_line()}"
    _refuse(run)
    if dry_run:
        for m in run.members:
            if on_member:
                on_member(m, "complete" if m.complete else "dry run")
            if m.preview is not None:
                for row in m.preview.rows:
                    if on_row:
                        on_row(row)
                run.reports[m.name] = m.preview
        return run
    pending = [
        Pending(f"{m.name}/{row.name}", bool(getattr(st, "irreversible", False)))
        for m in run.members
        if m.prepared is not None and m.preview is not None
        for st, row in zip(m.prepared.plan.steps, m.preview.rows, strict=True)
        if row.status == "would"
    ]
    if confirm is not None and not yes and pending and not confirm(pending):
        raise Aborted("declined; nothing was changed", "re-run and answer y to release")

    # 4. the members in order, each its own full release; one train journal
    run.journal = Journal.open(git_dir, f"train-{version.pep440()}")
    with Lock(git_dir, f"train-{version.pep440()}"):
        _record(run, version.line if req.kind in TRAIN_FROM_BRANCH else None)
        hook = _kill_hook()
        for m in run.members:
            if m.complete:
                _state(run, m, "complete", m.complete)
                if on_member:
                    on_member(m, "complete")
                continue
            assert m.prepared is not None
            _state(run, m, "running")
            if on_member:
                on_member(m, "start")
            report = execute(
                m.prepared,
                yes=True,
                after_step=_qualified(hook, m.name),
                on_row=on_row,
            )
            run.reports[m.name] = report
            if not report.ok:
                _state(run, m, "stopped")
                run.stopped = m.name
                return run
            _state(run, m, "complete", f"released {m.tag}")
        run.journal.set("complete", True)
    return run


def plan_member(
    m: Member,
    tm: TrainMember,
    req: Request,
    version: Version,
    git_dir: Path,
    root: Path,
    states: dict[str, Any],
    dry_run: bool,
    offline: bool,
    off: str,
    on_log: Callable[[str], None] | None,
) -> None:
    """Check out, read, check and plan one member (its refusal line, if any, in `m.refused`)."""
    m.root, managed = checkout(git_dir, root, tm)
    inline = tm.release or None  # a member without release-kit: its policy is given here
    first = load_repo_policy(m.root, m.config, inline)  # main_branch, branch_pattern, remote
    branch = (
        first.main_branch if req.kind not in TRAIN_FROM_BRANCH else first.branch_for(version.line)
    )
    switch(m.root, first, branch, managed, offline)
    m.policy = policy = load_repo_policy(m.root, m.config, inline)  # as on that branch
    if states:
        m.complete = complete_there(m.root, policy, version)
        if m.complete:
            return
    st = read_state(m.root, policy.remote, policy.tag_prefix)
    branch = policy.branch_for(version.line)
    was = (states.get(m.name) or {}).get("state")
    resuming = was in ("running", "stopped") or resuming_there(m.root, policy, version)
    tag = version.tag(policy.tag_pattern)
    own, why = (version, "") if resuming else own_next(st.tagset, policy, req.kind, req.line)
    if req.version and not resuming:  # --version: the train's version, whatever the own next
        m.own_next = str(own) if own is not None else f"none ({why})"
        own, why = version, ""
    m.refused = train_refusal(
        m.name,
        req.kind,
        version,
        own,
        why=why,
        tag=tag,
        tag_there=not resuming and st.tag_sha(tag) is not None,
        branch=branch,
        branch_there=branch in st.branches or branch in st.remote_branches,
    )
    if m.refused:
        return
    m.prepared = prepare(
        req,
        str(m.root),
        m.config,
        dry_run=dry_run,
        offline=offline,
        on_log=on_log,
        version=version,
        notify_off=off,
        table=inline,
    )
    m.refused = _not_ready(m)


def _not_ready(m: Member) -> str:
    failed = m.prepared.plan.failed if m.prepared is not None else []
    return f"{m.name}: not ready: {'; '.join(g.reason for g in failed)}" if failed else ""


def _refuse(run: TrainRun) -> None:
    lines = [m.refused for m in run.members if m.refused]
    if lines:
        raise NotReady(lines, f"train {run.kind} {run.version}")


def _wire(run: TrainRun) -> None:
    """Composition: a member's smoke test may install the members it depends on from the
    indexes they publish to (PIP_EXTRA_INDEX_URL of its steps only); the last release's
    announcement lists every other member's tag and artifacts."""
    by_name = {m.name: m for m in run.members}
    server = run.members[-1]
    for m in run.members:
        if m.prepared is None:
            continue
        deps = [d for d in run.members if d is not m] if m.is_self else _closure(m, by_name)
        urls = [
            python_index(run.version, d.policy.repositories).simple
            for d in deps
            if d.policy is not None and any(p.kind == "python" for p in d.policy.packages)
        ]
        env = m.prepared.world.env
        have = str(env.get("PIP_EXTRA_INDEX_URL", "")).split()
        extra = [*have, *[u for u in dict.fromkeys(urls) if u not in have]]
        if extra != have:
            env = dict(env)
            env["PIP_EXTRA_INDEX_URL"] = " ".join(extra)
            m.prepared.world.env = env
    if server.prepared is not None:
        others = [
            (m.name, run.version.tag(m.policy.tag_pattern), train_artifacts(m.policy, run.version))
            for m in run.members[:-1]
            if m.policy is not None
        ]
        server.prepared.world.notes = TrainNotes(server.prepared.world.notes, others)


def _closure(m: Member, by_name: dict[str, Member]) -> list[Member]:
    out: list[Member] = []
    todo = list(m.depends_on)
    while todo:
        d = by_name.get(todo.pop())
        if d is not None and d not in out:
            out.append(d)
            todo += d.depends_on
    return out


def _record(run: TrainRun, line: tuple[int, int] | None) -> None:
    assert run.journal is not None
    j = run.journal
    meta = j.data.get("train") or {}
    j.data["train"] = {
        **meta,
        "version": run.version.pep440(),
        "kind": run.kind,
        **({"line": f"{line[0]}.{line[1]}"} if line else {}),
        "order": [m.name for m in run.members],
        **({"forced_version": run.forced} if run.forced else {}),
    }
    j.data.setdefault("complete", False)
    members = j.data.setdefault("members", {})
    for m in run.members:
        entry = members.setdefault(m.name, {"state": "pending"})
        entry.update(
            {
                "self": m.is_self,
                "checkout": str(m.root),
                "tag": run.version.tag(m.policy.tag_pattern) if m.policy is not None else "",
                **({"own_next": m.own_next} if m.own_next else {}),
            }
        )
    j.save()


def _state(run: TrainRun, m: Member, state: str, detail: str = "") -> None:
    assert run.journal is not None
    entry = run.journal.data.setdefault("members", {}).setdefault(m.name, {})
    entry["state"] = state
    if detail:
        entry["detail"] = detail
    run.journal.save()


def _qualified(hook: Callable[[str], None] | None, member: str) -> Callable[[str], None] | None:
    """The test seam after a step of one member: RELEASE_KILL_AFTER=<member>/<step>."""
    if hook is None:
        return None
    return lambda name: hook(f"{member}/{name}")
