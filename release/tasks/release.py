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
    "version": "release exactly this version, not the kind's own next one (a train: in every "
    "repository); refused unless the kind can make it here; journaled as forced",
    "offline": "do not fetch tags and branches from the remote first",
    "path": "repository path (default: .)",
    "config": "pyproject.toml holding [tool.release]",
    "quiet": "print only errors and the final summary",
    "verbose": "also timestamps on start and progress lines, each step's time, and which "
    "steps are gates or public (long only: -v is --version)",
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
        ("version", "pass the version to release, e.g. --version 0.7.1, or leave --version out"),
    ):
        value = kw.get(flag)
        if value is not None:
            if not str(value).strip():
                shown = "--reason" if flag == "force_reason" else f"--{flag}"
                raise ConfigError(f"{shown} is empty", hint)
            kw[flag] = str(value).strip()
    if kw.get("version") is not None:
        from release.core.version import Version

        kw["version"] = Version.parse(kw["version"]).pep440()  # one line when malformed
    return Request(kind=kind, line=line_arg(line) if line is not None else None, **kw)


def _run(
    kind: str,
    dry_run: bool,
    yes: bool,
    path: str | None,
    config: str | None,
    quiet: bool = False,
    verbose: bool = False,
    **kw: Any,
) -> None:
    from release import engine
    from release.commands.release import release
    from release.commands.train import has_train
    from release.errors import ReleaseError

    if has_train(path or ".", config):  # a release train: every member, one version
        _run_train(kind, dry_run, yes, path, config, quiet, **kw)
        return
    view = ui.RunView.here(quiet=quiet, verbose=verbose)
    seen: dict[str, Any] = {}

    def show(p: Any) -> None:
        seen["prepared"] = p
        if view.level == "quiet":
            return
        show_plan(p, verbose=view.level == "verbose")
        if dry_run and not p.plan.failed:
            ui.say("Dry run: same plan, same probes; nothing is changed.")

    offline = bool(kw.pop("offline", False))
    with view:
        try:
            p, report = release(
                _request(kind, **kw),
                offline=offline,
                path=path or ".",
                config=config,
                dry_run=dry_run,
                yes=yes,
                show=show,
                on_row=view.row,
                on_start=view.start,
                on_log=view.log,
                confirm=confirm_factory(yes),
            )
        except Exception as exc:
            if view.gha:  # the outputs say released=false whatever stopped the run
                why = (
                    exc
                    if isinstance(exc, ReleaseError)
                    else ReleaseError(f"internal error {type(exc).__name__}: {exc}")
                )
                github_actions_end(view, kind, seen.get("prepared"), None, why)
            raise
        summary(report, p.plan)
        if report.ok and not report.dry_run and view.level != "quiet":
            show_pruned(p)
        if view.gha:
            github_actions_end(view, kind, p, report, report.error)
    if handed_over(report):  # publish_via = action: the run did its part (exit 0)
        show_handover(report.error, p.plan)
        return
    engine.raise_for(report)


def _run_train(
    kind: str, dry_run: bool, yes: bool, path: str | None, config: str | None, quiet: bool, **kw
) -> None:
    """release.<kind> where [[tool.release.train]] is configured (commands/train.py): each
    member's plan, one refusal line per member, each member's steps under its name."""
    from release import engine
    from release.commands.train import train
    from release.errors import NotReady

    def show(m: Any) -> None:
        if not quiet and m.prepared is not None:
            ui.say(f"== {m.name}")
            show_plan(m.prepared)

    def on_member(m: Any, what: str) -> None:
        ui.say(f"== {m.name}: {m.complete or what}")

    offline = bool(kw.pop("offline", False))
    view = ui.RunView.here(quiet=quiet)
    with view:
        try:
            run = train(
                _request(kind, **kw),
                path=path or ".",
                config=config,
                dry_run=dry_run,
                yes=yes,
                offline=offline,
                show=show,
                on_member=on_member,
                on_row=show_row,
                confirm=confirm_factory(yes),
            )
        except Exception as exc:
            if isinstance(exc, NotReady):
                for line in exc.reasons:
                    ui.say(f"refused: {line}")
            if view.gha:
                train_actions_end(view, kind, None, exc)
            raise
        if view.gha:
            train_actions_end(view, kind, run, None)
    for m in run.members:
        report = run.reports.get(m.name)
        if report is None:
            continue
        statuses = [r.status for r in report.rows]
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
        did = "stopped" if not report.ok else "dry run of" if run.dry_run else "released"
        ui.say(f"{m.name}: {did} {m.tag} ({counts})")
    what = "dry run of the" if run.dry_run else "stopped: the" if run.stopped else "released the"
    ui.say(f"{what} train {run.kind} {run.version} ({len(run.members)} repositories)")
    if run.stopped:
        engine.raise_for(run.reports[run.stopped])


def train_actions_end(view: Any, kind: str, run: Any, error: Any) -> None:
    """GitHub Actions, at the end of a train: the outputs of the train (version, the tag of the
    repository holding it, released, kind, and `members`: one JSON list of name, tag, outcome),
    a job summary with every member's steps (named member/step), one `::error` when it
    stopped."""
    import json

    from release.adapters.runner import redact
    from release.errors import ReleaseError
    from release.tasks import gha

    env = os.environ
    message = ""
    if error is not None:
        message = redact(
            error.one_line()
            if isinstance(error, ReleaseError)
            else f"{type(error).__name__}: {error}"
        )
    rows, members = [], []
    if run is not None:
        for m in run.members:
            report = run.reports.get(m.name)
            outcome = (
                "complete already"
                if m.complete
                else "dry run"
                if run.dry_run
                else "stopped"
                if run.stopped == m.name
                else "released"
                if report is not None and report.ok
                else "not run"
            )
            members.append({"name": m.name, "tag": m.tag, "outcome": outcome})
            rows += [
                (f"{m.name}/{r.name}", r.status, r.detail, r.seconds)
                for r in (report.rows if report is not None else [])
            ]
        if run.stopped and not message:
            bad = [r for r in run.reports[run.stopped].rows if r.status in ("failed", "conflict")]
            message = "; ".join(f"{run.stopped}/{r.name}: {r.detail}" for r in bad) or "stopped"
    if message:
        view.error(f"train {kind}", message)
    released = bool(run is not None and run.ok and not run.dry_run)
    version = run.version.pep440() if run is not None else ""
    tag = run.members[-1].tag if run is not None and run.members else ""
    if env.get("GITHUB_STEP_SUMMARY"):
        outcome = "released" if released else "dry run" if run and run.dry_run else "stopped"
        text = gha.summary(
            title=f"train {kind} {version}".strip(),
            outcome=outcome if run is not None else "not ready",
            rows=rows,
            steps={},
            overrides=[],
            error=message,
        )
        _append(env["GITHUB_STEP_SUMMARY"], redact(text))
    if env.get("GITHUB_OUTPUT"):
        lines = gha.outputs(version, tag, released, kind)
        lines += f"members={json.dumps(members, separators=(',', ':'))}\n"
        _append(env["GITHUB_OUTPUT"], redact(lines))


def plan_train(
    req: Any,
    path: str | None,
    config: str | None,
    offline: bool,
    json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """release.plan in a release train: each repository's plan (or the line refusing it) in
    release order, then every step of the train as member/step; exit 3 when one is refused."""
    from release.commands.train import train
    from release.errors import NotReady

    run = train(req, path=path or ".", config=config, dry_run=True, offline=offline, plan_only=True)
    refused = [m.refused for m in run.members if m.refused]
    if json:
        from release.tasks import jsonout

        server = run.members[-1]
        doc = jsonout.plan(server.prepared) if server.prepared is not None else {}
        doc["train"] = [
            {
                "name": m.name,
                "refused": m.refused,
                "complete": m.complete,
                "plan": jsonout.plan(m.prepared) if m.prepared is not None else None,
            }
            for m in run.members
        ]
        ui.emit_json(doc, "release.plan")
    else:
        steps = []
        for i, m in enumerate(run.members, 1):
            p = m.prepared
            head = f"== {m.name} ({i} of {len(run.members)})"
            if quiet:
                if p is not None:
                    ui.say(
                        f"{head}: {p.plan.kind} {p.plan.version} ({p.plan.tag}), {len(p.plan.steps)} steps"
                    )
            else:
                ui.say(head)
                if p is not None:
                    show_plan(p, verbose=verbose)
            if m.complete:
                ui.say(f"  complete: {m.complete}")
            if p is not None and not m.complete:
                steps += [(f"{m.name}/{st.name}", st.describe()) for st in p.plan.steps]
        if not quiet:
            ui.table(
                f"The train {run.kind} {run.version}: every step, in the order it runs",
                ["#", "step", "what"],
                [(str(i), name, what) for i, (name, what) in enumerate(steps, 1)],
            )
        for line in refused:
            ui.say(f"refused: {line}")
    if refused:
        raise NotReady(refused, f"train {run.kind} {run.version}")


def show_row(row: Any) -> None:
    ui.say(ui.row_line(row))


def github_actions_end(view: Any, kind: str, p: Any, report: Any, error: Any) -> None:
    """GitHub Actions, at the end of a release run: one `::error` annotation for a failure, the
    job summary appended to $GITHUB_STEP_SUMMARY, the outputs to $GITHUB_OUTPUT."""
    from release.adapters.runner import redact
    from release.errors import AlreadyReleased
    from release.tasks import gha

    plan = p.plan if p is not None else None
    # nothing went wrong: already complete, or handed over to pypa/gh-action-pypi-publish
    finished = isinstance(error, AlreadyReleased) or handed_over(report)
    released = bool(report is not None and report.ok and not report.dry_run)
    message = redact(error.one_line()) if error is not None else ""
    if report is not None:
        bad = [r for r in report.rows if r.status in ("failed", "conflict")]
        rows = [(r.name, r.status, r.detail, r.seconds) for r in report.rows]
        title = bad[0].name if bad else "release"
        if not message and not report.ok:
            message = "; ".join(f"{r.name}: {r.detail}" for r in bad) or "the release stopped"
        outcome = "released" if released else ("dry run" if report.ok else "stopped")
        if handed_over(report):
            outcome = "handed over to pypa/gh-action-pypi-publish"
    else:  # stopped before the engine: gates, configuration, input
        rows = [(g.name, g.status, g.reason, 0.0) for g in plan.gates] if plan else []
        title = "gates" if plan is not None and plan.failed else f"release.{kind}"
        outcome = "already released" if finished else "not ready"
    if message and not finished:
        view.error(title, message)
    env = os.environ
    version = plan.version.pep440() if plan is not None else ""
    tag = plan.tag if plan is not None else ""
    if env.get("GITHUB_STEP_SUMMARY"):
        heading = f"{kind} release {tag or ''}".strip()
        text = gha.summary(
            title=heading,
            outcome=outcome,
            rows=rows,
            steps=p.journal.all_facts() if p is not None else {},
            overrides=(p.journal.data.get("overrides") or []) if p is not None else [],
            error=message,
        )
        _append(env["GITHUB_STEP_SUMMARY"], redact(text))
    if env.get("GITHUB_OUTPUT"):
        _append(env["GITHUB_OUTPUT"], redact(gha.outputs(version, tag, released, kind)))


def _append(path: str, text: str) -> None:
    from pathlib import Path

    try:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        print(f"warning: could not append to {path}: {exc}", file=sys.stderr, flush=True)


def show_plan(p: Any, verbose: bool = False) -> None:
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
    if verbose:  # which steps are checks and which make the release public
        ui.table(
            "Steps",
            ["#", "step", "sort", "what"],
            [(str(i + 1), s.name, _sort(s), s.describe()) for i, s in enumerate(plan.steps)],
        )
        return
    ui.table(
        "Steps",
        ["#", "step", "what"],
        [(str(i + 1), s.name, s.describe()) for i, s in enumerate(plan.steps)],
    )


def _sort(step: Any) -> str:
    if getattr(step, "gate", False):
        return "gate"
    return "public" if getattr(step, "irreversible", False) else "local"


def summary(report: Any, plan: Any) -> None:
    counts: dict[str, int] = {}
    for r in report.rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in counts.items())
    if report.ok and not report.dry_run:
        ui.say(f"released {plan.tag}: {parts}")
    elif report.ok:
        ui.say(f"dry run of {plan.tag}: {parts}")
    elif handed_over(report):
        ui.say(f"{plan.tag} handed over: {parts}")
    else:
        ui.say(f"{plan.tag} stopped: {parts}")


def handed_over(report: Any) -> bool:
    """Did the run stop at the hand-over to pypa/gh-action-pypi-publish (publish_via = action)?"""
    from release.steps.publish import HandedOver

    return isinstance(getattr(report, "error", None), HandedOver)


def show_handover(h: Any, plan: Any) -> None:
    """What waits in the hand-over directory, and what comes next."""
    ui.say(
        f"hand over: {h.directory}/ holds {len(h.files)} file(s) for pypa/gh-action-pypi-publish "
        f"to upload to {h.index} ({h.upload}):"
    )
    for name, sha in sorted(h.files.items()):
        ui.say(f"  {name}  sha256:{sha}")
    ui.say(
        f"next: publish {h.directory}/ with the action, then re-run release.{plan.kind} "
        f"(or release.resume {plan.version}): it verifies that {h.index} serves these files "
        "and finishes the release"
    )


def shown_path(path: Any, root: Any) -> str:
    """`path` relative to the checkout when inside it (.git/release/work/0.5.0), else absolute."""
    from pathlib import Path

    try:
        return str(Path(path).relative_to(Path(root)))
    except ValueError:
        return str(path)


def human_size(n: int) -> str:
    """1100000000 -> '1.1 GB' (decimal units, like `du --si`)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def show_pruned(p: Any) -> None:
    """One line on the work directory of a release that completed: pruned, kept, or why not."""
    where = shown_path(p.world.work_dir, p.session.root)
    pruned = p.journal.data.get("pruned") or {}
    if pruned.get("error"):
        ui.say(f"could not prune {where}: {pruned['error']} (release.prune retries)")
    elif pruned:
        ui.say(f"pruned {where} ({human_size(int(pruned.get('bytes') or 0))})")
    elif p.session.policy.keep_work and p.world.work_dir.exists():
        ui.say(f"kept {where} (keep_work = true; release.prune removes it)")


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
        version=None,
        force=False,
        reason=None,
        allow_empty=False,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
        quiet=False,
        verbose=False,
    ):
        """Release the next patch X.Y.Z+1 of a release line (from release-X.Y.x)."""
        _run(
            "patch",
            dry_run,
            yes,
            path,
            config,
            quiet=quiet,
            verbose=verbose,
            line=line,
            owner=owner,
            version=version,
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
        version=None,
        reason=None,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
        quiet=False,
        verbose=False,
    ):
        """Cut release-X.Y.x from main and publish X.Y.0rc1 (starts the community window)."""
        _run(
            "minor",
            dry_run,
            yes,
            path,
            config,
            quiet=quiet,
            verbose=verbose,
            commit=commit,
            owner=owner,
            version=version,
            force_reason=reason,
            offline=offline,
        )

    @task(help={**COMMON, "commit": "cut from this commit on main instead of main's tip"})
    @edge
    def major(
        c,
        commit=None,
        owner=None,
        version=None,
        reason=None,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
        quiet=False,
        verbose=False,
    ):
        """Cut release-X.0.x from main and publish X.0.0rc1 (starts the community window)."""
        _run(
            "major",
            dry_run,
            yes,
            path,
            config,
            quiet=quiet,
            verbose=verbose,
            commit=commit,
            owner=owner,
            version=version,
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
        version=None,
        reason=None,
        allow_empty=False,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
        quiet=False,
        verbose=False,
    ):
        """Publish the next release candidate of the open line (after backports)."""
        _run(
            "rc",
            dry_run,
            yes,
            path,
            config,
            quiet=quiet,
            verbose=verbose,
            line=line,
            owner=owner,
            version=version,
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
        version=None,
        reason=None,
        offline=False,
        dry_run=False,
        yes=False,
        path=None,
        config=None,
        quiet=False,
        verbose=False,
    ):
        """Promote the last release candidate to the final X.Y.0."""
        _run(
            "final",
            dry_run,
            yes,
            path,
            config,
            quiet=quiet,
            verbose=verbose,
            line=line,
            owner=owner,
            version=version,
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
            "version": COMMON["version"],
            "offline": COMMON["offline"],
            "json": "print one JSON object (for CI); the exit code is the same",
            "path": COMMON["path"],
            "config": COMMON["config"],
            "quiet": "one line (release, version, tag, how many gates and steps) and errors",
            "verbose": "also which steps are gates or public (long only: -v is --version)",
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
        version=None,
        offline=False,
        json=False,
        path=None,
        config=None,
        quiet=False,
        verbose=False,
    ):
        """Show the plan of a release as tables (gates and steps); nothing is done. In a
        release train: every repository's plan, in the order they will run."""
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
            version=version,
        )
        from release.commands.train import has_train

        if has_train(path or ".", config):
            plan_train(req, path, config, offline, json, quiet, verbose)
            return
        prepared = prepare(req, path or ".", config, dry_run=True, offline=offline)
        if json:
            from release.tasks import jsonout

            ui.emit_json(jsonout.plan(prepared), "release.plan")
        elif quiet:
            pl = prepared.plan
            ok = sum(1 for g in pl.gates if g.status != "FAILED")
            ui.say(
                f"{pl.kind} release {pl.version} ({pl.tag}): {ok}/{len(pl.gates)} gates pass, "
                f"{len(pl.steps)} steps"
            )
        else:
            show_plan(prepared, verbose=verbose)
        prepared.plan.require_ready()

    @task(
        help={
            "version": "the version whose unfinished release to resume",
            "announced": "a post whose answer was lost is in the channel: record it, post nothing",
            "repost": "a post whose answer was lost is not in the channel: post it again",
            "yes": COMMON["yes"],
            "path": COMMON["path"],
            "config": COMMON["config"],
            "quiet": COMMON["quiet"],
            "verbose": COMMON["verbose"],
        }
    )
    @edge
    def resume(
        c,
        version,
        announced=False,
        repost=False,
        yes=False,
        path=None,
        config=None,
        quiet=False,
        verbose=False,
    ):
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
        _run(
            meta["kind"],
            False,
            yes,
            path,
            config,
            quiet=quiet,
            verbose=verbose,
            line=line,
            posted=posted,
        )

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

    @task(help={"json": "print one JSON object (for CI)", "path": COMMON["path"]})
    @edge
    def journals(c, json=False, path=None):
        """List the release journals of this repository, complete or not."""
        from release.adapters.git import find_root, read_state
        from release.journal import Journal

        state = read_state(find_root(path or "."))
        if json:
            from release.tasks import jsonout

            ui.emit_json(jsonout.journals(Journal.scan(state.git_dir)), "release.journals")
            return
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
            "dry_run": "list what would be removed, with sizes; remove nothing",
            "json": "print the result as JSON",
            "path": COMMON["path"],
        }
    )
    @edge
    def prune(c, dry_run=False, json=False, path=None):
        """Free disk space: remove the work directories (.git/release/work/VERSION) of complete
        releases and of versions without a journal, and stale worktree entries; never those of
        an unfinished release."""
        from release.adapters.git import find_root
        from release.commands.prune import prune as prune_work

        r = prune_work(path or ".", dry_run=dry_run)
        if json:
            ui.emit_json(r, "release.prune")
            return
        root = find_root(path or ".")
        verb = "would remove" if dry_run else "removed"
        for i in r["removed"]:
            size = f" ({human_size(i['bytes'])})" if i["bytes"] else ""
            ui.say(f"{verb} {shown_path(i['path'], root)}{size}: {i['why']}")
        for i in r["kept"]:
            ui.say(f"kept {shown_path(i['path'], root)} ({human_size(i['bytes'])}): {i['why']}")
        if not r["removed"]:
            ui.say(f"nothing to prune in {shown_path(r['work'], root)}")
        else:
            total = "would free" if dry_run else "freed"
            ui.say(f"{total} {human_size(r['bytes'])}")

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
                from release.tasks import jsonout

                rebuilt = Journal.open(read_state(find_root(path or ".")).git_dir, r["version"])
                data = jsonout.journal(r["version"], rebuilt.data)
                data["rebuilt"] = {"source": r["source"], "moved_aside": r["moved_aside"] or None}
                ui.emit_json(data, "release.journal")
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
            from release.tasks import jsonout

            shown = (j.data.get("release") or {}).get("version") or version
            ui.emit_json(jsonout.journal(shown, j.data), "release.journal")
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
    ns.add_task(prune)
