"""Cadence and release lines (pure, `now` passed in).

Cadence: from tag dates, when the last major, the last minor and the last release of each supported
line shipped, when the next is due by `policy.cadence` (seed: patch weekly per supported line,
minor every 2 months, major every 6-8 months) and what is overdue. Dates come from final tags
(tagger date for annotated tags, commit date for lightweight ones). A type never released is
"never" and is not overdue (nothing to be late against). Due dates are `last + N days` to the
second, shown as UTC dates.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from release.core.policy import Policy
from release.core.version import TagInfo, TagSet, Version, line_str, parse_line

DAY = 86400


def _iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).date().isoformat()


def _entry(
    name: str, last: TagInfo | None, every_days: int, now: int, latest_days: int | None = None
) -> dict[str, Any]:
    if last is None or not last.date:
        return {
            "type": name,
            "last": None,
            "last_date": None,
            "due": None,
            "due_latest": None,
            "overdue": False,
            "days_left": None,
            "status": "never",
        }
    due = last.date + every_days * DAY
    latest = last.date + latest_days * DAY if latest_days else due
    overdue = now > latest
    if overdue:
        status = "overdue"
    elif now >= due:
        status = "due"  # inside a window (major: between 6 and 8 months)
    else:
        status = "ok"
    return {
        "type": name,
        "last": last.name,
        "last_date": _iso(last.date),
        "due": _iso(due),
        "due_latest": _iso(latest),
        "overdue": overdue,
        "days_left": round((due - now) / DAY, 1),
        "status": status,
    }


def _last(tags: list[TagInfo]) -> TagInfo | None:
    dated = [t for t in tags if t.date]
    return max(dated, key=lambda t: (t.date, t.version or Version(0, 0, 0))) if dated else None


def compute_schedule(
    tags: TagSet, policy: Policy, now: int, supported: list[str]
) -> dict[str, Any]:
    """Last release and next due date of major, minor, and patch for each supported line.

    A major X.0.0 also counts as the latest minor (it resets the minor clock). A line's patch clock
    starts at its latest final, X.Y.0 included. `in_progress` names an open release candidate of
    the next minor or major, so an overdue row can say it is being worked on.
    """
    c = policy.cadence
    majors = [t for t in tags.finals if t.version and t.version.minor == 0 and t.version.patch == 0]
    minors = [t for t in tags.finals if t.version and t.version.patch == 0]
    open_bases = tags.open_rc_bases()
    rows = [
        _entry("major", _last(majors), c.major_min_days, now, c.major_max_days),
        _entry("minor", _last(minors), c.minor_days, now),
    ]
    major_rc = [b for b in open_bases if b.minor == 0 and b.patch == 0]
    minor_rc = [b for b in open_bases if b.patch == 0 and b.minor != 0]
    rows[0]["in_progress"] = str(tags.rcs_of(major_rc[-1])[-1].version) if major_rc else None
    rows[1]["in_progress"] = str(tags.rcs_of(minor_rc[-1])[-1].version) if minor_rc else None
    for line in supported:
        ln = parse_line(line)
        row = _entry("patch", _last(tags.finals_of_line(ln)), c.patch_days, now)
        row["line"] = line_str(ln)
        row["branch"] = policy.branch_for(ln)
        rows.append(row)
    return {
        "now": _iso(now),
        "rows": rows,
        "overdue": [
            r["type"] + (f" {r['line']}" if "line" in r else "") for r in rows if r["overdue"]
        ],
    }
