"""The release status page as data (`core.status.page_model`, issue 18): states of the lines,
their lifecycle dates and windows, the cadence with overdue rows and next versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from release.core.lines import supported_lines
from release.core.policy import policy_from_table
from release.core.schedule import compute_schedule
from release.core.status import LINE_STATES, page_model
from release.core.version import TagSet, classify_tag
from release.core.windows import utc

DAY = 86400
T0 = 1_780_000_000  # 2026-05-28


@dataclass
class State:
    tagset: TagSet
    branches: dict[str, str] = field(default_factory=dict)
    remote_branches: dict[str, str] = field(default_factory=dict)


def tags(*named: tuple[str, int]) -> TagSet:
    return TagSet.from_tags(classify_tag(n, date=T0 + d * DAY, sha="a" * 40) for n, d in named)


HISTORY = (
    ("v0.1.0", 0),
    ("v0.2.0", 10),
    ("v0.3.0rc1", 20),
    ("v0.3.0", 30),
    ("v0.3.1", 35),
    ("v0.4.0", 40),
    ("v0.5.0rc1", 50),
)


def model(
    ts: TagSet,
    now: int,
    table: dict[str, Any] | None = None,
    branches: tuple[str, ...] = (),
    **kw: Any,
) -> dict[str, Any]:
    policy = policy_from_table(table or {})
    sched = compute_schedule(ts, policy, now, supported_lines(ts, policy))
    state = State(ts, remote_branches=dict.fromkeys(branches, "b" * 40))
    return page_model(state, policy, now, schedule=sched, project="demo", **kw)


def by_line(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["line"]: r for r in d["lines"]}


def test_every_state_with_its_text_and_lifecycle_dates():
    now = T0 + 52 * DAY
    d = model(
        tags(*HISTORY),
        now,
        {"supported_lines": 3, "eol_lines": ["0.2"]},
        branches=("release-0.4.x", "release-0.5.x", "release-0.6.x", "main"),
    )
    lines = by_line(d)
    assert list(lines) == ["0.6", "0.5", "0.4", "0.3", "0.2", "0.1"]  # newest first
    assert {r["state"] for r in d["lines"]} <= set(LINE_STATES)
    assert [(r["line"], r["state"]) for r in d["lines"]] == [
        ("0.6", "unreleased"),
        ("0.5", "rc"),
        ("0.4", "supported"),
        ("0.3", "supported"),
        ("0.2", "eol"),
        ("0.1", "eol"),
    ]
    # an RC line: its window from rc1 (tagged, no journal here), open until an exact time
    rc = lines["0.5"]
    assert rc["window"] == {
        "version": "0.5.0",
        "rc1": "v0.5.0rc1",
        "source": "tagged",
        "days": 7,
        "start": T0 + 50 * DAY,
        "window_ends": T0 + 57 * DAY,
        "open": True,
    }
    assert rc["state_text"] == f"RC window open until {utc(T0 + 57 * DAY)}"
    assert rc["state_text"].endswith(" UTC") and rc["branch"] == "release-0.5.x"
    assert rc["latest_final"] is None and rc["latest_rc"] == "v0.5.0rc1"
    # a supported line with a patch: its latest final, the RC of its X.Y.0, a closed window
    three = lines["0.3"]
    assert three["latest_final"] == "v0.3.1" and three["latest_rc"] == "v0.3.0rc1"
    assert three["latest_final_date"] == T0 + 35 * DAY
    assert three["first_release_date"] == T0 + 20 * DAY and three["eol_date"] is None
    assert three["window"]["open"] is False and three["branch"] is None  # no branch here
    # end of life: aged out (ends at the final that pushed it out), declared (its last release)
    assert lines["0.1"]["eol_date"] == T0 + 40 * DAY  # v0.4.0: 0.1 left the newest 3
    assert "older than the 3 supported lines" in lines["0.1"]["state_text"]
    assert lines["0.2"]["eol_date"] == T0 + 10 * DAY
    assert "declared" in lines["0.2"]["state_text"]
    # a cut branch without a release yet
    assert lines["0.6"]["state_text"] == "not released yet (branch release-0.6.x is cut)"
    assert lines["0.6"]["first_release_date"] is None and lines["0.6"]["window"] is None
    assert d["supported_lines"] == ["0.3", "0.4"] and d["latest_final"] == "0.4.0"
    assert d["rules"] == {
        "supported_lines": 3,
        "window_days": {"minor": 7, "major": 14},
        "cadence_days": {"patch": 7, "minor": 61, "major_min": 183, "major_max": 244},
    }


def test_a_closed_window_waits_for_its_final_and_publication_moves_its_start():
    ts = tags(*HISTORY)
    late = by_line(model(ts, T0 + 60 * DAY))["0.5"]
    assert late["state"] == "rc" and late["window"]["open"] is False
    assert late["state_text"] == f"RC window closed {utc(T0 + 57 * DAY)}: ready for its final"
    published = T0 + 51 * DAY  # the journal says when rc1 was made public
    moved = by_line(model(ts, T0 + 57 * DAY + 60, published={"0.5.0": published}))["0.5"]
    assert moved["window"]["source"] == "published" and moved["window"]["start"] == published
    assert moved["window"]["open"] and moved["state_text"].endswith(utc(published + 7 * DAY))


def test_a_major_window_has_its_advised_end():
    d = model(tags(("v0.9.0", 0), ("v1.0.0rc1", 5)), T0 + 6 * DAY)
    w = by_line(d)["1.0"]["window"]
    assert w["days"] == 14 and w["advised_ends"] == T0 + 26 * DAY and w["open"]


def test_no_tag_yet_the_next_minor_is_unreleased_on_main():
    d = model(TagSet(), T0)
    assert [(r["line"], r["state"], r["state_text"]) for r in d["lines"]] == [
        ("0.1", "unreleased", "not released yet: in development on main (next: 0.1.0rc1)")
    ]
    assert d["latest_final"] is None and d["supported_lines"] == []
    assert d["milestones"] == {
        "configured": False,
        "repository": None,
        "error": None,
        "items": [],
    }


def test_the_next_minor_line_is_listed_once():
    """After 0.1.0 the next minor's line (0.2) is unreleased; while 0.2.0rc1 is open it is the
    RC line and no second row appears."""
    after = model(tags(("v0.1.0rc1", 0), ("v0.1.0", 8)), T0 + 9 * DAY)
    assert [(r["line"], r["state"]) for r in after["lines"]] == [
        ("0.2", "unreleased"),
        ("0.1", "supported"),
    ]
    assert "next: 0.2.0rc1" in after["lines"][0]["state_text"]
    testing = model(tags(("v0.1.0rc1", 0), ("v0.1.0", 8), ("v0.2.0rc1", 9)), T0 + 10 * DAY)
    assert [(r["line"], r["state"]) for r in testing["lines"]] == [
        ("0.2", "rc"),
        ("0.1", "supported"),
    ]


def test_overdue_rows_and_next_versions_of_the_cadence():
    ts = tags(("v0.1.0rc1", 0), ("v0.1.0", 8), ("v0.1.1", 9))
    on_time = model(ts, T0 + 10 * DAY)["cadence"]
    assert on_time["overdue"] == []
    late = model(ts, T0 + 20 * DAY)["cadence"]
    assert late["overdue"] == ["patch 0.1"]
    rows = {(r["type"], r.get("line")): r for r in late["rows"]}
    assert rows[("patch", "0.1")]["overdue"] and rows[("patch", "0.1")]["status"] == "overdue"
    assert not rows[("minor", None)]["overdue"]
    assert {k: r["next_version"] for k, r in rows.items()} == {
        ("major", None): "1.0.0rc1",
        ("minor", None): "0.2.0rc1",
        ("patch", "0.1"): "0.1.2",
    }


def test_notes_are_the_message_of_the_latest_release_of_each_line():
    ts = tags(("v0.1.0rc1", 0), ("v0.1.0", 8), ("v0.1.1", 9), ("v0.2.0rc1", 12))
    notes = {"v0.1.1": "Release 0.1.1\n\n- <b>bold</b> fix", "v0.2.0rc1": "Release 0.2.0rc1"}
    lines = by_line(model(ts, T0 + 13 * DAY, notes=notes))
    assert lines["0.1"]["notes_tag"] == "v0.1.1" and lines["0.1"]["notes"] == notes["v0.1.1"]
    assert lines["0.2"]["notes_tag"] == "v0.2.0rc1" and lines["0.2"]["notes"] == "Release 0.2.0rc1"
    # a patch RC above the line's latest final is its latest release
    rc = by_line(model(tags(("v0.1.0", 0), ("v0.1.1rc1", 3)), T0 + 4 * DAY))["0.1"]
    assert rc["notes_tag"] == "v0.1.1rc1" and rc["notes"] is None


def test_milestones_pass_through():
    read = {
        "configured": True,
        "repository": "acme/widgets",
        "error": None,
        "items": [{"title": "0.2.0", "number": 2, "url": None, "open_issues": 1,
                   "closed_issues": 2, "due_at": None}],
    }  # fmt: skip
    assert model(TagSet(), T0, milestones=read)["milestones"] == read
