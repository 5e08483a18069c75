"""The seed's checklist: items, the journal steps proving them, done / pending / skipped."""

from __future__ import annotations

import pytest

from release.core.checklist import ITEMS, checklist, mark, summary


def by_key(rows):
    return {r["key"]: r for r in rows}


def test_items_follow_the_seed_in_order():
    assert [i.key for i in ITEMS] == ["thread", "workflows", "notes", "announce"]
    assert ITEMS[0].steps == ("notify:thread",) and ITEMS[3].steps == ("notify:announce",)
    assert ITEMS[2].steps == ("changelog", "github:release")


def test_empty_journal_is_all_pending():
    rows = checklist({})
    assert [r["status"] for r in rows] == ["pending"] * 4
    assert all(r["detail"] == "not run yet" for r in rows)
    assert summary(rows) == "4 pending"


def test_status_from_steps():
    data = {
        "steps": {
            "notify:thread": {
                "status": "verified",
                "facts": {
                    "channel": "releases",
                    "thread_name": "Release v0.4.0",
                    "message_id": "42",
                    "posted_on": "2026-01-01",
                },
            },
            "github:workflows": {"status": "failed", "detail": "run 7 concluded failure"},
            "changelog": {"status": "skipped", "detail": "no CHANGELOG.md"},
            "github:release": {
                "status": "verified",
                "facts": {"url": "https://github.com/a/b/releases/tag/v0.4.0"},
            },
            "notify:announce": {
                "status": "skipped",
                "detail": "no #announcements channel configured",
            },
        }
    }
    rows = by_key(checklist(data))
    assert rows["thread"]["status"] == "done"
    assert (
        'thread "Release v0.4.0"' in rows["thread"]["detail"]
        and "message 42" in rows["thread"]["detail"]
    )
    assert rows["workflows"]["status"] == "pending"
    assert "failed: run 7 concluded failure" in rows["workflows"]["detail"]
    assert rows["notes"]["status"] == "done" and rows["notes"]["by"] == "github:release"
    assert rows["announce"]["status"] == "skipped"
    assert rows["announce"]["detail"] == "no #announcements channel configured"


def test_posted_counts_as_done():
    rows = by_key(
        checklist(
            {
                "steps": {
                    "notify:announce": {"status": "posted", "facts": {"channel": "announcements"}}
                }
            }
        )
    )
    assert rows["announce"]["status"] == "done"


def test_started_is_pending_not_done():
    rows = by_key(checklist({"steps": {"notify:announce": {"status": "started"}}}))
    assert rows["announce"]["status"] == "pending" and "started" in rows["announce"]["detail"]


def test_notes_skipped_only_when_every_proof_is_skipped():
    one = {"steps": {"changelog": {"status": "skipped", "detail": "off"}}}
    assert by_key(checklist(one))["notes"]["status"] == "pending"
    both = {
        "steps": {
            "changelog": {"status": "skipped", "detail": "off"},
            "github:release": {"status": "skipped", "detail": "no github_repo"},
        }
    }
    row = by_key(checklist(both))["notes"]
    assert row["status"] == "skipped" and row["detail"] == "off; no github_repo"


def test_a_known_plan_skips_items_it_does_not_contain():
    rows = by_key(checklist({}, planned={"notify:thread", "changelog"}))
    assert rows["workflows"]["status"] == "skipped" and "plan" in rows["workflows"]["detail"]
    assert rows["thread"]["status"] == "pending" and rows["notes"]["status"] == "pending"


def test_marks_by_hand():
    data: dict = {}
    data["checklist"] = mark(
        data, "thread", "done", "made by hand in #releases", "Ann", "2026-01-01T00:00:00Z"
    )
    row = by_key(checklist(data))["thread"]
    assert row["status"] == "done" and row["detail"] == "marked by Ann: made by hand in #releases"
    data["checklist"] = mark(data, "thread", "pending", "", "Ann", "x")
    assert by_key(checklist(data))["thread"]["status"] == "pending"


def test_a_verified_step_wins_over_a_mark():
    data = {
        "steps": {"notify:thread": {"status": "verified", "facts": {}}},
        "checklist": {"thread": {"status": "skipped", "note": "n/a"}},
    }
    assert by_key(checklist(data))["thread"]["by"] == "notify:thread"


def test_mark_rejects_unknown_items_and_statuses():
    with pytest.raises(KeyError):
        mark({}, "coffee", "done", "", "a", "b")
    with pytest.raises(ValueError):
        mark({}, "thread", "maybe", "", "a", "b")


def test_a_plan_recorded_in_the_journal_is_used():
    rows = by_key(checklist({"plan": ["notify:thread", "notify:announce", "changelog"]}))
    assert rows["workflows"]["status"] == "skipped" and rows["thread"]["status"] == "pending"
