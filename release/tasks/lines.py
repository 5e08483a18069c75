"""Tasks of release lines: `release.backport`, `release.schedule`, `mergify.sync`, `mergify.check`."""

from __future__ import annotations

from typing import Any

from invoke.parser import Argument

from release.tasks.flags import FlagTask, task

PATH_HELP = "repository path (default: .)"
CONFIG_HELP = "pyproject.toml holding [tool.release]"


class _RefArgument(Argument):
    """REF is positional, yet `--continue` / `--abort` alone must parse: once one of those flags
    is set, an absent REF no longer counts as a missing positional argument."""

    flags: list[Argument] = []

    @property
    def value(self) -> Any:
        v = self._value if self._value is not None else self.default
        if v is None and any(a.value for a in self.flags):
            return ""
        return v

    @value.setter
    def value(self, arg: str) -> None:
        self.set_value(arg, cast=True)


class _BackportTask(FlagTask):
    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        args = super().get_arguments(ignore_unknown_help)
        by_name = {a.name: a for a in args}
        ref = by_name.get("ref")
        if ref is not None:
            ref.__class__ = _RefArgument
            ref.flags = [a for a in args if a.name in ("continue", "continue_", "abort")]  # type: ignore[attr-defined]
        return args


def _print_outcomes(outcomes: list[Any]) -> None:
    from release.tasks.ui import table

    if outcomes:
        table(
            "Backports",
            ["target", "result", "detail", "pull request"],
            [(o.target, o.status, o.detail, o.pr_url or "-") for o in outcomes],
        )


def print_schedule(d: dict[str, Any]) -> None:
    from release.tasks.ui import say, table

    def state(r: dict[str, Any]) -> str:
        if r["status"] == "never":
            return "never released"
        left = r["days_left"]
        text = {"overdue": "OVERDUE", "due": "due now", "ok": f"{left} days left"}[r["status"]]
        if r.get("in_progress"):
            text += f" ({r['in_progress']} in testing)"
        return text

    table(
        f"Release cadence on {d['now']}",
        ["type", "last", "shipped", "next due", "status"],
        [
            (
                r["type"] + (f" {r['line']}" if r.get("line") else ""),
                r["last"] or "never",
                r["last_date"],
                r["due"] if r["due"] == r.get("due_latest") else f"{r['due']} .. {r['due_latest']}",
                state(r),
            )
            for r in d["rows"]
        ],
    )
    if d["overdue"]:
        say(f"overdue: {', '.join(d['overdue'])}")


def register(collection, edge) -> None:
    release = collection("release")
    mergify = collection("mergify")

    @task(
        klass=_BackportTask,
        positional=["ref"],
        iterable=["to"],
        help={
            "ref": "merged PR number, commit sha, or range A..B",
            "to": "target branch release-X.Y.x (or X.Y); repeat for several",
            "continue": "finish the stopped backport after resolving its conflicts (git add them first)",
            "abort": "drop the stopped backport: remove its worktree and branch",
            "force": "allow a target that is not a supported line (end of life, or not a release branch)",
            "json": "print one JSON object (for CI)",
            "repo": "a member of the release train: backport in its repository (its checkout, "
            "branches, remote and GitHub)",
            "path": PATH_HELP,
            "config": CONFIG_HELP,
        },
    )
    @edge
    def backport(
        c,
        ref=None,
        to=None,
        continue_=False,
        abort=False,
        force=False,
        json=False,
        repo=None,
        path=None,
        config=None,
    ):
        """Cherry-pick a merged change onto release branches and open one PR per branch."""
        from invoke import Exit

        from release.commands import backport as bp
        from release.tasks.ui import say

        where = path or "."
        table = None  # a train member's inline policy
        if repo:
            from release.commands.train import member_checkout

            member, config, table = member_checkout(where, config, repo)
            where = str(member)
        action = "abort" if abort else ("continue" if continue_ else "backport")

        def show(outcomes: list[Any], stopped: str | None = None, said: Any = ()) -> None:
            if not json:
                _print_outcomes(outcomes)
                return
            from release.tasks.ui import emit_json

            data = {
                "action": action,
                "ref": ref or None,
                "ok": stopped is None,
                "stopped": stopped,
                "backports": outcomes,
                "messages": list(said),
            }
            emit_json(data, "release.backport")

        if continue_ and abort:
            raise Exit("error: --continue and --abort exclude each other", code=2)
        if abort:
            said = bp.abort_backport(path=where, config=config, table=table)
            if json:
                show([], said=[*said, "backport aborted"])
                return
            for line in said:
                say(line)
            say("backport aborted")
            return
        try:
            if continue_:
                outcomes = bp.continue_backport(path=where, config=config, table=table)
            else:
                if not ref:
                    raise Exit(
                        "error: REF is missing; usage: invoke release.backport REF --to release-X.Y.x",
                        code=2,
                    )
                outcomes = bp.backport(
                    ref, list(to or []), path=where, config=config, force=force, table=table
                )
        except bp.BackportConflict as exc:
            show(exc.outcomes, stopped=exc.one_line())
            raise
        show(outcomes)

    @task(
        name="schedule",
        help={"json": "print one JSON object (for CI)", "path": PATH_HELP, "config": CONFIG_HELP},
    )
    @edge
    def schedule_(c, json=False, path=None, config=None):
        """Show when each release type last shipped, when the next is due, and what is overdue."""
        from release.commands.schedule import schedule_data

        data = schedule_data(path or ".", config)
        if json:
            from release.tasks.ui import emit_json

            emit_json(data, "release.schedule")
        else:
            print_schedule(data)

    @task(
        help={
            "file": "Mergify config (default: .github/mergify.yml, or an existing .mergify.yml)",
            "path": PATH_HELP,
            "config": CONFIG_HELP,
        }
    )
    @edge
    def sync(c, file=None, path=None, config=None):
        """Write one backport rule per supported release line into the Mergify config."""
        from release.adapters import mergify as mg
        from release.commands.schedule import mergify_targets
        from release.tasks.ui import say

        s, branches = mergify_targets(path or ".", config)
        res = mg.sync(mg.config_path(s.root, file), branches, s.policy.main_branch)
        rel = res.path.relative_to(s.root) if res.path.is_relative_to(s.root) else res.path
        lines = ", ".join(branches) or "no line yet"
        if res.changed:
            say(f"{'created' if res.created else 'updated'} {rel}: backport rules for {lines}")
        else:
            say(f"{rel} is up to date: backport rules for {lines}")

    @task(
        help={
            "file": "Mergify config (default: .github/mergify.yml, or an existing .mergify.yml)",
            "path": PATH_HELP,
            "config": CONFIG_HELP,
        }
    )
    @edge
    def check(c, file=None, path=None, config=None):
        """Fail when the Mergify backport rules do not match the supported lines (for CI)."""
        from release.adapters import mergify as mg
        from release.commands.schedule import mergify_targets
        from release.tasks.ui import say

        s, branches = mergify_targets(path or ".", config)
        res = mg.check(mg.config_path(s.root, file), branches, s.policy.main_branch)
        say(
            f"{res.path.name} is up to date: backport rules for {', '.join(branches) or 'no line yet'}"
        )

    release.add_task(backport)
    release.add_task(schedule_)
    mergify.add_task(sync)
    mergify.add_task(check)
