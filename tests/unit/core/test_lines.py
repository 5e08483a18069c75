"""Cadence and supported lines, pure: exact due dates from known tag dates."""

from __future__ import annotations

import datetime as dt

import pytest

from release.core.lines import backport_lines, line_support, supported_lines, target_support
from release.core.policy import Cadence, Policy
from release.core.schedule import compute_schedule
from release.core.version import TagSet, classify_tag


def ts(day: str, hour: int = 12) -> int:
    d = dt.date.fromisoformat(day)
    return int(dt.datetime(d.year, d.month, d.day, hour, tzinfo=dt.timezone.utc).timestamp())


HISTORY = [
    ("v1.0.0", "2025-03-01"),
    ("v1.1.0", "2025-05-01"),
    ("v1.1.1", "2025-05-09"),
    ("v1.2.0", "2025-07-01"),
    ("v1.2.1", "2025-07-05"),
    ("v1.2.2", "2025-07-20"),
    ("v1.3.0rc1", "2025-08-25"),
]


def tagset(history=HISTORY) -> TagSet:
    return TagSet.from_tags(classify_tag(name, "v", ts(day)) for name, day in history)


def rows(sched) -> dict[str, dict]:
    return {r["type"] + (f" {r['line']}" if "line" in r else ""): r for r in sched["rows"]}


def test_due_dates_are_last_release_plus_the_cadence():
    tags, policy = tagset(), Policy()
    sched = compute_schedule(tags, policy, ts("2025-09-01"), supported_lines(tags, policy))
    r = rows(sched)
    assert list(r) == ["major", "minor", "patch 1.1", "patch 1.2"]
    assert (r["major"]["last"], r["major"]["last_date"]) == ("v1.0.0", "2025-03-01")
    assert (r["major"]["due"], r["major"]["due_latest"]) == (
        "2025-08-31",
        "2025-10-31",
    )  # 6-8 months
    assert r["major"]["status"] == "due" and not r["major"]["overdue"]  # inside the window
    assert r["major"]["days_left"] == -1.0
    assert (r["minor"]["last"], r["minor"]["due"]) == ("v1.2.0", "2025-08-31")
    assert r["minor"]["overdue"] and r["minor"]["in_progress"] == "1.3.0rc1"
    assert (r["patch 1.2"]["last"], r["patch 1.2"]["due"]) == ("v1.2.2", "2025-07-27")
    assert (r["patch 1.1"]["last"], r["patch 1.1"]["due"]) == ("v1.1.1", "2025-05-16")
    assert r["patch 1.2"]["branch"] == "release-1.2.x"
    assert sched["now"] == "2025-09-01"
    assert sched["overdue"] == ["minor", "patch 1.1", "patch 1.2"]


def test_nothing_is_overdue_right_after_releases():
    tags, policy = tagset(HISTORY[:6]), Policy()
    now = ts("2025-07-22")
    r = rows(compute_schedule(tags, policy, now, supported_lines(tags, policy)))
    assert r["patch 1.2"]["status"] == "ok" and r["patch 1.2"]["days_left"] == 5.0
    assert r["minor"]["status"] == "ok" and r["minor"]["in_progress"] is None
    assert r["major"]["status"] == "ok"
    assert r["patch 1.1"]["overdue"]  # a line nobody patched for months is late


def test_overdue_is_strictly_after_the_due_instant():
    tags = tagset([("v0.4.0", "2026-01-01")])
    policy = Policy()
    at_due = rows(compute_schedule(tags, policy, ts("2026-01-08"), ["0.4"]))["patch 0.4"]
    assert at_due["status"] == "due" and not at_due["overdue"]
    after = rows(compute_schedule(tags, policy, ts("2026-01-08") + 1, ["0.4"]))["patch 0.4"]
    assert after["overdue"]


def test_the_policy_cadence_is_used_and_a_major_resets_the_minor_clock():
    tags = tagset([("v0.9.0", "2025-01-01"), ("v1.0.0", "2025-06-01")])
    policy = Policy(
        cadence=Cadence(patch_days=14, minor_days=30, major_min_days=100, major_max_days=120)
    )
    r = rows(compute_schedule(tags, policy, ts("2025-06-02"), ["1.0", "0.9"]))
    assert r["minor"]["last"] == "v1.0.0" and r["minor"]["due"] == "2025-07-01"
    assert (r["major"]["due"], r["major"]["due_latest"]) == ("2025-09-09", "2025-09-29")
    assert r["patch 1.0"]["due"] == "2025-06-15"
    assert r["patch 0.9"]["due"] == "2025-01-15" and r["patch 0.9"]["overdue"]


def test_never_released_types_are_not_overdue():
    tags = tagset([("v0.1.0rc1", "2025-01-01"), ("nightly-2025", "2025-01-02")])
    sched = compute_schedule(tags, Policy(), ts("2026-01-01"), [])
    r = rows(sched)
    assert r["major"]["status"] == r["minor"]["status"] == "never"
    assert r["minor"]["in_progress"] == "0.1.0rc1"
    assert sched["overdue"] == []


@pytest.mark.parametrize(
    ("line", "policy", "ok", "reason"),
    [
        ("1.2", Policy(), True, "line 1.2 is supported (supported lines: 1.2, 1.1)"),
        ((1, 1), Policy(), True, "supported"),
        (
            "1.0",
            Policy(),
            False,
            "line 1.0 is not supported (the newest 2 lines with a final are: 1.2, 1.1)",
        ),
        ("1.1", Policy(eol_lines=["1.1"]), False, "line 1.1 is end of life"),
        ("1.3", Policy(), False, "line 1.3 has no final release yet"),
        ("release-1.0.x", Policy(supported_lines=3), True, "supported"),
    ],
)
def test_line_support(line, policy, ok, reason):
    got_ok, got_reason = line_support(tagset(), policy, line)
    assert got_ok is ok
    assert reason in got_reason


def test_eol_lines_leave_room_for_older_ones_and_rc_lines_receive_backports():
    tags = tagset()
    assert supported_lines(tags, Policy(eol_lines=["1.1"])) == ["1.2"]  # EOL never brings 1.0 back
    assert backport_lines(tags, Policy()) == ["1.1", "1.2", "1.3"]
    assert backport_lines(tags, Policy(eol_lines=["1.3"])) == ["1.1", "1.2"]
    assert target_support(tags, Policy(), "1.3") == (True, "line 1.3 is under release candidates")
    assert target_support(tags, Policy(eol_lines=["1.3"]), "1.3")[0] is False
    assert target_support(tags, Policy(), "1.0")[0] is False
