"""Tasks of the release engine: release.patch|minor|major|rc|final, plan, resume, journal."""

from __future__ import annotations

import os
import sys
from typing import Any

from release.errors import Aborted, AlreadyReleased
from release.tasks import ui
from release.tasks.flags import task

COMMON = {
    "dry_run": "same plan and probes, nothing changed ('would ...')",
    "yes": "do not ask before the first change",
    "owner": "release owner listed in CODEOWNERS; default: the GitHub identity of the run "
    "(with github_repo), else git user.email",
    "reason": "why (journaled): acting with --owner for someone else, or --force",
    "offline": "do not fetch tags and branches from the remote first",
    "path": "repository path (default: .)",
    "config": "pyproject.toml holding [tool.release]",
}


def _request(kind: str, **kw: Any):
    """The Request of a release task; empty or malformed arguments are refused here."""
    from release.core.plan import Request
    from release.core.version import line_arg
    from release.errors import ConfigError

    line = kw.pop("line", None)
    for flag, hint in (
        ("override", "say why the window is cut short, e.g. --override 'CVE-2026-1234 fix'"),
        ("owner", "pass a GitHub login or e-mail listed in CODEOWNERS, or leave --owner out"),
        ("force_reason", "say why, e.g. --reason 'v0.2.13 was tagged from a hotfix branch'"),
    ):
        value = kw.get(flag)
        if value is not None:
            if not str(value).strip():
                shown = "--reason" if flag == "force_reason" else f"--{flag}"
                raise ConfigError(f"{shown} is empty", hint)
            kw[flag] = str(value).strip()
    return Request(kind=kind, line=line_arg(line) if line is not None else None, **kw)


def _run(
    kind: str, dry_run: bool, yes: bool, path: str | None, config: str | None, **kw: Any
) -> None:
    from release import engine
    from release.commands.release import release

    def show(p: Any) -> None:
        show_plan(p)
        if dry_run and not p.plan.failed:
            ui.say("Dry run: same plan, same probes; nothing is changed.")

    offline = bool(kw.pop("offline", False))
    p, report = release(
        _request(kind, **kw),
        offline=offline,
        path=path or ".",
        config=config,
        dry_run=dry_run,
        yes=yes,
        show=show,
        on_row=show_row,
        confirm=confirm_factory(yes),
    )
    summary(report, p.plan)
    engine.raise_for(report)


def show_row(row: Any) -> None:
    mark = {
        "done": "=",
        "applied": "+",
        "would": "~",
        "skipped": "-",
        "failed": "!",
        "conflict": "!",
        "not-run": " ",
    }.get(row.status, "?")
    ui.say(f" {mark} {row.name:<28} {row.status:<8} {row.detail}")


def show_plan(p: Any) -> None:
    plan = p.plan
    ui.say(
        f"{plan.kind} release {plan.version} ({plan.tag}) on {plan.branch} from {plan.base[:12] or 'its tip'}"
    )
    for note in plan.notes:
        ui.say(f"  note: {note}")
    if plan.window:
        w = plan.window
        advised = (
            f" (advised: {w['advised_ends']}, {w['advised_days']} days)"
            if w.get("advised_ends")
            else ""
        )
        ui.say(
            f"  window: {w['rc1']} {w['source']} {w['rc1_date']}, {w['days']} days, "
            f"ends {w['ends_at']}{advised}"
        )
    if plan.override:
        ui.say(f"  override: {plan.override['gate']} - {plan.override['reason']}")
    ui.table(
        "Gates", ["gate", "status", "detail"], [(g.name, g.status, g.reason) for g in plan.gates]
    )
    ui.table(
        "Steps",
        ["#", "step", "what"],
        [(str(i + 1), s.name, s.describe()) for i, s in enumerate(plan.steps)],
    )


def summary(report: Any, plan: Any) -> None:
    counts: dict[str, int] = {}
    for r in report.rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in counts.items())
    if report.ok and not report.dry_run:
        ui.say(f"released {plan.tag}: {parts}")
    elif report.ok:
        ui.say(f"dry run of {plan.tag}: {parts}")
    else:
        ui.say(f"{plan.tag} stopped: {parts}")


class _Named:
    """A prompt item that is not a step."""

    irreversible = False

    def __init__(self, name: str) -> None:
        self.name = name


def confirm_factory(yes: bool) -> Any:
    if yes or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return None

    def confirm(pending: list[Any]) -> bool:
        names = ", ".join(s.name + (" (public)" if s.irreversible else "") for s in pending)
        if not sys.stdin or not sys.stdin.isatty():
            raise Aborted(
                f"confirmation needed before {pending[0].name} and stdin is not a terminal",
                "pass --yes to proceed without a prompt",
            )
        answer = input(f"These steps will run: {names}. Proceed? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return confirm


def register(collection, edge) -> None:
    ns = collection("release")

    @task(
        help={
            **COMMON,
            "line": "release line X.Y when not on its branch",
            "force": "allow a patch of an unsupported or end-of-life line",
            "allow_empty": "release even with no commit since the last tag of the line",
        }
    )
    @edge
    def patch(
        c,
        line=None,
        owner=None,
        force=False,
        reason=None,
        allow_empty=False,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
    ):
        """Release the next patch X.Y.Z+1 of a release line (from release-X.Y.x)."""
        _run(
            "patch",
            dry_run,
            yes,
            path,
            config,
            line=line,
            owner=owner,
            force=force,
            force_reason=reason,
            allow_empty=allow_empty,
            offline=offline,
        )

    @task(help={**COMMON, "commit": "cut from this commit on main instead of main's tip"})
    @edge
    def minor(
        c,
        commit=None,
        owner=None,
        reason=None,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
    ):
        """Cut release-X.Y.x from main and publish X.Y.0rc1 (starts the community window)."""
        _run(
            "minor",
            dry_run,
            yes,
            path,
            config,
            commit=commit,
            owner=owner,
            force_reason=reason,
            offline=offline,
        )

    @task(help={**COMMON, "commit": "cut from this commit on main instead of main's tip"})
    @edge
    def major(
        c,
        commit=None,
        owner=None,
        reason=None,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
    ):
        """Cut release-X.0.x from main and publish X.0.0rc1 (starts the community window)."""
        _run(
            "major",
            dry_run,
            yes,
            path,
            config,
            commit=commit,
            owner=owner,
            force_reason=reason,
            offline=offline,
        )

    @task(
        help={
            **COMMON,
            "line": "release line X.Y when not on its branch",
            "allow_empty": "release even with no commit since the last RC",
        }
    )
    @edge
    def rc(
        c,
        line=None,
        owner=None,
        reason=None,
        allow_empty=False,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
    ):
        """Publish the next release candidate of the open line (after backports)."""
        _run(
            "rc",
            dry_run,
            yes,
            path,
            config,
            line=line,
            owner=owner,
            force_reason=reason,
            allow_empty=allow_empty,
            offline=offline,
        )

    @task(
        help={
            **COMMON,
            "line": "release line X.Y when not on its branch",
            "override": "release inside the testing window; the reason is journaled and published",
        }
    )
    @edge
    def final(
        c,
        line=None,
        override=None,
        owner=None,
        reason=None,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
    ):
        """Promote the last release candidate to the final X.Y.0."""
        _run(
            "final",
            dry_run,
            yes,
            path,
            config,
            line=line,
            owner=owner,
            override=override,
            force_reason=reason,
            offline=offline,
        )

    @task(
        name="plan",
        help={
            "kind": "patch, minor, major, rc or final",
            "line": "release line X.Y",
            "commit": "minor/major: start commit on main",
            "override": "final: window override",
            "owner": COMMON["owner"],
            "force": "patch of an unsupported line",
            "reason": "why --force",
            "allow_empty": "patch/rc: no commit since the last tag of the line",
            "offline": COMMON["offline"],
            "path": COMMON["path"],
            "config": COMMON["config"],
        },
    )
    @edge
    def plan_(
        c,
        kind,
        line=None,
        commit=None,
        override=None,
        owner=None,
        force=False,
        reason=None,
        allow_empty=False,
        offline=False,
        path=None,
        config=None,
    ):
        """Show the plan of a release as tables (gates and steps); nothing is done."""
        from release.commands.release import prepare

        req = _request(
            kind,
            commit=commit,
            override=override,
            owner=owner,
            force=force,
            force_reason=reason,
            allow_empty=allow_empty,
            line=line,
        )
        prepared = prepare(req, path or ".", config, dry_run=True, offline=offline)
        show_plan(prepared)
        prepared.plan.require_ready()

    @task(
        help={
            "version": "the version whose unfinished release to resume",
            "announced": "a post whose answer was lost is in the channel: record it, post nothing",
            "repost": "a post whose answer was lost is not in the channel: post it again",
            "yes": COMMON["yes"],
            "path": COMMON["path"],
            "config": COMMON["config"],
        }
    )
    @edge
    def resume(c, version, announced=False, repost=False, yes=False, path=None, config=None):
        """Resume an interrupted release (the same as re-running its command)."""
        from release.adapters.git import find_root, read_state
        from release.errors import ReleaseError
        from release.journal import Journal

        root = find_root(path or ".")
        state = read_state(root)
        j = Journal.open(state.git_dir, version)
        meta = j.data.get("release")
        if not meta:
            raise ReleaseError(
                f"no journal for {version}",
                f"release.journals lists the known ones; release.journal {version} --rebuild "
                "brings back a lost one",
            )
        if j.data.get("complete"):
            raise AlreadyReleased(
                f"{meta.get('tag', version)} is already released (complete journal)",
                "release.verify checks it against the world",
            )
        line = None
        if meta["kind"] in ("patch", "rc", "final"):
            line = ".".join(version.split(".")[:2])
        if announced and repost:
            raise ReleaseError("--announced and --repost contradict each other", "pass one of them")
        posted = "yes" if announced else ("no" if repost else "")
        _run(meta["kind"], False, yes, path, config, line=line, posted=posted)

    @task(
        help={
            "version": "the unfinished release to abandon, e.g. 0.5.0rc1",
            "yes": "do not ask before removing",
            "path": COMMON["path"],
            "config": COMMON["config"],
        }
    )
    @edge
    def abort(c, version, yes=False, path=None, config=None):
        """Abandon an unfinished release while nothing of it is public (removes its tag, branch
        or release commit, worktree and journal)."""
        from release.commands.abort import abort as abort_release

        ask = None if yes else confirm_factory(False)
        if ask is not None and not ask([_Named(f"remove the local effects of {version}")]):
            raise Aborted("declined; nothing was removed", "re-run and answer y")
        for line in abort_release(version, path or ".", config):
            ui.say(line)

    @task(
        help={
            "version": "the version whose remote lock to remove",
            "path": COMMON["path"],
            "config": COMMON["config"],
        }
    )
    @edge
    def unlock(c, version, path=None, config=None):
        """Remove the remote release lock of VERSION left by a dead run (refused while it runs)."""
        from release.commands.abort import unlock as unlock_release

        ui.say(unlock_release(version, path or ".", config))

    @task(help={"path": COMMON["path"]})
    @edge
    def journals(c, path=None):
        """List the release journals of this repository, complete or not."""
        from release.adapters.git import find_root, read_state
        from release.journal import Journal

        state = read_state(find_root(path or "."))
        rows = []
        for v, j in Journal.scan(state.git_dir):
            if j is None:
                rows.append((v, "?", "unreadable (release.journal shows why)"))
                continue
            d = j.data
            rows.append(
                (
                    v,
                    (d.get("release") or {}).get("kind", "?"),
                    "complete" if d.get("complete") else "unfinished",
                )
            )
        if not rows:
            ui.say("no release journal yet")
            return
        ui.table("Journals", ["version", "kind", "state"], rows)

    @task(
        help={
            "version": "the version whose journal to show",
            "json": "print the journal as JSON",
            "rebuild": "rebuild a lost or unreadable journal (from origin's mirror, else the tag)",
            "path": COMMON["path"],
            "config": COMMON["config"],
        }
    )
    @edge
    def journal(c, version, json=False, rebuild=False, path=None, config=None):
        """Show what happened in a release, step by step, with facts and overrides."""
        from release.adapters.git import find_root, read_state
        from release.errors import ReleaseError
        from release.journal import Journal

        if rebuild:
            from release.commands.journal import rebuild as rebuild_journal

            r = rebuild_journal(version, path or ".", config)
            if json:
                ui.emit_json(r)
                return
            if r["moved_aside"]:
                ui.say(f"the unreadable journal is kept as {r['moved_aside']}")
            ui.say(f"rebuilt the journal of {r['version']} ({r['kind']}) from {r['source']}")
            if not r["complete"]:
                ui.say(f"next: release.resume {r['version']} (or re-run release.{r['kind']})")
            return
        state = read_state(find_root(path or "."))
        j = Journal.open(state.git_dir, version)
        if not j.path.exists():
            raise ReleaseError(f"no journal for {version}", "release.journals lists the known ones")
        if json:
            ui.emit_json(j.data)
            return
        ui.say(f"{version}: {'complete' if j.data.get('complete') else 'unfinished'}")
        ui.table(
            "Steps",
            ["step", "status", "attempts", "finished", "detail"],
            [
                (
                    n,
                    e.get("status"),
                    e.get("attempts", 0),
                    e.get("finished", ""),
                    e.get("detail", ""),
                )
                for n, e in j.steps.items()
            ],
        )
        for o in j.data.get("overrides", []):
            ui.say(f"override {o['gate']} by {o.get('who') or '?'} at {o['when']}: {o['reason']}")

    for t in (patch, minor, major, rc, final, plan_, resume, abort, unlock, journal, journals):
        ns.add_task(t)
