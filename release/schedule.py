"""Cadence (pure, `now` passed in): when each release type last shipped and when the next is due.

Seed cadence: patch weekly (per supported line), minor every 2 months, major every 6-8 months.
Dates come from final tags (tagger date for annotated tags). A type never released is reported as
"never" and is not overdue (nothing to be late against).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .policy import Policy
from .version import TagInfo, TagSet, line_str

DAY = 86400


def _iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).date().isoformat()


def _entry(name: str, last: TagInfo | None, every_days: int, now: int, latest_days: int | None = None) -> dict[str, Any]:
    if last is None or not last.date:
        return {"type": name, "last": None, "last_date": None, "due": None, "overdue": False, "days_left": None}
    due = last.date + every_days * DAY
    latest = last.date + latest_days * DAY if latest_days else due
    return {
        "type": name,
        "last": last.name,
        "last_date": _iso(last.date),
        "due": _iso(due),
        "due_latest": _iso(latest),
        "overdue": now > latest,
        "days_left": round((due - now) / DAY, 1),
    }


def _last(tags: list[TagInfo]) -> TagInfo | None:
    dated = [t for t in tags if t.date]
    return max(dated, key=lambda t: t.date) if dated else None


def compute_schedule(tags: TagSet, policy: Policy, now: int, supported: list[str]) -> dict[str, Any]:
    """Last release and next due date of major, minor, and patch for each supported line."""
    c = policy.cadence
    majors = [t for t in tags.finals if t.version and t.version.minor == 0 and t.version.patch == 0]
    minors = [t for t in tags.finals if t.version and t.version.patch == 0]
    rows = [
        _entry("major", _last(majors), c.major_min_days, now, c.major_max_days),
        _entry("minor", _last(minors), c.minor_days, now),
    ]
    for line in supported:
        finals = [t for t in tags.finals if t.version and line_str(t.version.line) == line]
        row = _entry("patch", _last(finals), c.patch_days, now)
        row["line"] = line
        rows.append(row)
    return {
        "now": _iso(now),
        "rows": rows,
        "overdue": [r["type"] + (f" {r['line']}" if "line" in r else "") for r in rows if r["overdue"]],
    }
