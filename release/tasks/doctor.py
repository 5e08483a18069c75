"""`invoke release.doctor [--json] [--path] [--config]`: days before a release, check everything
it will need from the outside world (remote, GitHub token and rights, branch protection,
workflows, index credentials, npm, Docker, webhooks, CODEOWNERS), changing nothing.

Exit 0 when no check found a problem (warnings allowed), 3 when one did."""

from __future__ import annotations

from typing import Any

from release.tasks.flags import task

MARKS = {"ok": "ok", "warning": "WARNING", "problem": "PROBLEM"}


def print_report(d: dict[str, Any]) -> None:
    from release.tasks import ui

    rows = [
        (c["name"], MARKS.get(c["status"], c["status"]), c["detail"], c["advice"])
        for c in d["checks"]
    ]
    ui.table(
        f"release.doctor {d['path']} ({ui.when(d['checked_at'])})",
        ["check", "status", "detail", "what to do"],
        rows,
    )
    n = d["counts"]
    ui.say(f"{n['ok']} ok, {n['warning']} warning(s), {n['problem']} problem(s)")


def register(collection: Any, edge: Any) -> None:
    from release.tasks.edge import cfg as _cfg

    @task(
        help={
            "json": "print one JSON object (for CI)",
            "path": "repository path (default: .)",
            "config": "pyproject.toml to read [tool.release] from",
        }
    )
    @edge
    def doctor(c, json=False, path=None, config=None):
        """Check, days before a release, what it needs: remote, GitHub token (expiry, rights),
        branch protection, workflows, index and npm credentials, Docker login, webhooks,
        CODEOWNERS. Changes nothing; exit 3 when something would fail on release day."""
        from release.commands.doctor import doctor as run_checks
        from release.commands.doctor import raise_for

        report = run_checks(path or _cfg(c, "path", "."), config or _cfg(c, "config"))
        data = report.as_dict()
        if json:
            from release.tasks.ui import emit_json

            emit_json(data, "release.doctor")
        else:
            print_report(data)
        raise_for(report)

    collection("release").add_task(doctor)
