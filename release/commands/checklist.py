"""The release checklist of a version, read from (and ticked by hand in) its journal."""

from __future__ import annotations

from typing import Any


def checklist_data(version: str, path: str = ".", config: str | None = None) -> dict[str, Any]:
    """The checklist of `version` as read from its journal (nothing is changed)."""
    from release.core.checklist import checklist, summary
    from release.core.version import Version
    from release.journal import Journal
    from release.session import open_session

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


def mark_item(
    version: str, key: str, status: str, note: str, path: str = ".", config: str | None = None
) -> None:
    """Tick a checklist item by hand (e.g. the thread was made by a person): kept in the journal."""
    import datetime as dt

    from release.adapters.git import GitRepo
    from release.core.checklist import ITEMS, mark
    from release.core.version import Version
    from release.errors import ReleaseError
    from release.journal import Journal
    from release.session import open_session

    v = Version.parse(version)
    session = open_session(path, config)
    if key not in {i.key for i in ITEMS}:
        raise ReleaseError(
            f"no checklist item '{key}'", f"use one of {', '.join(i.key for i in ITEMS)}"
        )
    if status != "pending" and not note.strip():
        raise ReleaseError(
            f"marking '{key}' {status} needs a note", "add --note 'what was done, where'"
        )
    journal = Journal.open(session.state.git_dir, v.pep440())
    who = GitRepo(session.root).config("user.name") or "unknown"
    when = dt.datetime.fromtimestamp(session.now, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    journal.set("checklist", mark(journal.data, key, status, note, who, when))
