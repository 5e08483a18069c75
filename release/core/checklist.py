"""The seed's release checklist as data, and its status read from a journal (pure).

RELEASE_PROCESS.md asks the Release Owner, for each release, to:

    - [ ] Create release-specific thread in `#releases` Discord channel
    - [ ] Trigger release workflows
    - [ ] Generate release notes
    - [ ] Announce in `#announcements` Discord channel

Each item is proven by journal step(s) (the engine records every step it runs). An item is
*done* when one of its steps is verified (or, for posts, recorded as posted); *skipped* when
every one of its steps was skipped (the reason is the step's), or when none of them is part of
the release's plan (if the plan is known); else *pending*, with what the journal says. A person
can also tick an item by hand (`mark`): the journal keeps who said so and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    key: str
    text: str  # the seed's wording
    steps: tuple[str, ...]  # journal steps that prove it, in order of preference


ITEMS: tuple[Item, ...] = (
    Item("thread", "Create release-specific thread in #releases", ("notify:thread",)),
    Item("workflows", "Trigger release workflows", ("github:workflows",)),
    Item("notes", "Generate release notes", ("changelog", "github:release")),
    Item("announce", "Announce in #announcements", ("notify:announce",)),
)

DONE_STATUSES = ("verified", "posted")


def item(key: str) -> Item:
    for it in ITEMS:
        if it.key == key:
            return it
    raise KeyError(key)


def _done_detail(name: str, entry: dict[str, Any]) -> str:
    facts = entry.get("facts", {}) or {}
    bits = [name]
    if facts.get("channel"):
        bits.append(f"#{facts['channel']}")
    if facts.get("thread_name"):
        bits.append(f'thread "{facts["thread_name"]}"')
    if facts.get("message_id"):
        bits.append(f"message {facts['message_id']}")
    url = facts.get("html_url") or facts.get("url")
    if url:
        bits.append(str(url))
    when = facts.get("posted_on") or entry.get("finished", "")
    if when:
        bits.append(str(when)[:10])
    return " ".join(bits)


def item_status(
    it: Item,
    steps: dict[str, Any],
    marks: dict[str, Any] | None = None,
    planned: set[str] | None = None,
) -> dict[str, Any]:
    """{key, text, status: done|pending|skipped, detail, steps} for one item."""
    row: dict[str, Any] = {"key": it.key, "text": it.text, "steps": list(it.steps)}
    for name in it.steps:
        entry = steps.get(name) or {}
        if entry.get("status") in DONE_STATUSES:
            return {**row, "status": "done", "detail": _done_detail(name, entry), "by": name}
    mark = (marks or {}).get(it.key)
    if mark and mark.get("status") in ("done", "skipped"):
        who = f" by {mark['who']}" if mark.get("who") else ""
        note = mark.get("note", "")
        return {
            **row,
            "status": mark["status"],
            "detail": f"marked{who}: {note}".rstrip(": "),
            "by": "mark",
        }
    relevant = [n for n in it.steps if planned is None or n in planned]
    if not relevant:
        return {**row, "status": "skipped", "detail": "not part of this release's plan", "by": ""}
    entries = [(n, steps.get(n) or {}) for n in relevant]
    if all(e.get("status") == "skipped" for _, e in entries):
        reasons = "; ".join(
            dict.fromkeys(e.get("detail", "") for _, e in entries if e.get("detail"))
        )
        return {**row, "status": "skipped", "detail": reasons or "skipped", "by": relevant[0]}
    said = []
    for n, e in entries:
        st = e.get("status")
        if not st or st == "skipped":
            continue
        said.append(
            f"{n} {st}" + (f": {e['detail']}" if e.get("detail") and st != "verified" else "")
        )
    return {**row, "status": "pending", "detail": "; ".join(said) or "not run yet", "by": ""}


def checklist(
    journal_data: dict[str, Any], planned: set[str] | None = None
) -> list[dict[str, Any]]:
    """The status of every item from a journal's data (`Journal.data`)."""
    steps = journal_data.get("steps", {}) or {}
    marks = journal_data.get("checklist", {}) or {}
    if planned is None and isinstance(journal_data.get("plan"), list):
        planned = {str(n) for n in journal_data["plan"]}  # step names, when the engine records them
    return [item_status(it, steps, marks, planned) for it in ITEMS]


def summary(rows: list[dict[str, Any]]) -> str:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("done", "pending", "skipped")}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "empty"


def mark(
    journal_data: dict[str, Any], key: str, status: str, note: str, who: str, when: str
) -> dict[str, Any]:
    """The journal's `checklist` table with item `key` ticked by hand (returns a new dict)."""
    if status not in ("done", "skipped", "pending"):
        raise ValueError(f"status {status!r}: expected done, skipped or pending")
    item(key)  # KeyError for an unknown item
    marks = dict(journal_data.get("checklist", {}) or {})
    if status == "pending":
        marks.pop(key, None)
    else:
        marks[key] = {"status": status, "note": note, "who": who, "when": when}
    return marks
