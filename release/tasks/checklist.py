"""Invoke tasks of the release checklist: `invoke release.checklist VERSION [--json]`."""

from __future__ import annotations

from typing import Any

from release.tasks.flags import task


def print_checklist(d: dict[str, Any]) -> None:
    from release.tasks.ui import say, table

    marks = {"done": "[x]", "pending": "[ ]", "skipped": "[-]"}
    if not d["journal"]:
        say(f"no journal for {d['version']} yet: nothing of its release has run here")
    table(
        f"Release checklist {d['tag']} ({d['summary']})",
        ["", "item", "status", "detail"],
        [[marks[r["status"]], r["text"], r["status"], r["detail"]] for r in d["items"]],
    )


def register(collection: Any, edge: Any) -> None:
    @task(
        help={
            "version": "the release, e.g. 0.4.0 or 0.4.0rc1",
            "json": "print one JSON object (for CI)",
            "mark": "tick this item by hand: thread, workflows, notes or announce",
            "note": "with --mark: what was done and where (kept in the journal)",
            "skip": "with --mark: mark the item skipped instead of done",
            "unmark": "with --mark: remove a hand-made mark",
            "path": "repository path (default: .)",
            "config": "pyproject.toml to read [tool.release] from",
        }
    )
    @edge
    def checklist(
        c, version, json=False, mark=None, note="", skip=False, unmark=False, path=None, config=None
    ):
        """Show the seed's release checklist of VERSION from its journal (done, pending, skipped)."""
        from release.commands.checklist import checklist_data, mark_item

        where = path or "."
        if mark:
            status = "pending" if unmark else ("skipped" if skip else "done")
            mark_item(version, mark, status, note, where, config)
        data = checklist_data(version, where, config)
        if json:
            from release.tasks.ui import emit_json

            emit_json(data, "release.checklist")
        else:
            print_checklist(data)

    collection("release").add_task(checklist)
