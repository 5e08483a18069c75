"""Invoke tasks of the release checklist: `invoke release.checklist VERSION [--json]`."""

from __future__ import annotations

from typing import Any

from invoke import task


def checklist_data(version: str, path: str = ".", config: str | None = None) -> dict[str, Any]:
    """The checklist of `version` as read from its journal (nothing is changed)."""
    from release.core.checklist import checklist, summary
    from release.journal import Journal
    from release.session import open_session
    from release.core.version import Version

    v = Version.parse(version)
    session = open_session(path, config)
    journal = Journal.open(session.state.git_dir, v.pep440())
    rows = checklist(journal.data)
    return {
        "version": v.pep440(),
        "tag": v.tag(session.policy.tag_pattern),
        "journal": journal.path.exists(),
        "items": rows,
        "summary": summary(rows),
        "complete": all(r["status"] != "pending" for r in rows),
    }


def mark_item(version: str, key: str, status: str, note: str, path: str = ".", config: str | None = None) -> None:
    """Tick a checklist item by hand (e.g. the thread was made by a person): kept in the journal."""
    import datetime as dt

    from release.core.checklist import ITEMS, mark
    from release.errors import ReleaseError
    from release.adapters.git import GitRepo
    from release.journal import Journal
    from release.session import open_session
    from release.core.version import Version

    v = Version.parse(version)
    session = open_session(path, config)
    if key not in {i.key for i in ITEMS}:
        raise ReleaseError(f"no checklist item '{key}'", f"use one of {', '.join(i.key for i in ITEMS)}")
    if status != "pending" and not note.strip():
        raise ReleaseError(f"marking '{key}' {status} needs a note", "add --note 'what was done, where'")
    journal = Journal.open(session.state.git_dir, v.pep440())
    who = GitRepo(session.root).config("user.name") or "unknown"
    when = dt.datetime.fromtimestamp(session.now, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    journal.set("checklist", mark(journal.data, key, status, note, who, when))


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
    def checklist(c, version, json=False, mark=None, note="", skip=False, unmark=False, path=None, config=None):
        """Show the seed's release checklist of VERSION from its journal (done, pending, skipped)."""
        where = path or "."
        if mark:
            status = "pending" if unmark else ("skipped" if skip else "done")
            mark_item(version, mark, status, note, where, config)
        data = checklist_data(version, where, config)
        if json:
            from release.tasks.ui import emit_json

            emit_json(data)
        else:
            print_checklist(data)

    collection("release").add_task(checklist)
