"""Composing messages: Discord's and Slack's limits, the RC testing window, what is said."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from release.core import messages as a
from release.core import windows as w_
from release.core.policy import Package, Policy, Windows
from release.core.version import TagInfo, TagSet, Version

DAY = 86400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
LINK = "https://github.com/acme/stack/releases/tag/v0.4.0"


def test_cut_leaves_short_text_alone():
    assert a.cut("hello", 10, LINK) == "hello"


def test_cut_ends_with_the_link_and_fits():
    text = "word " * 1000
    out = a.cut(text, 300, LINK)
    assert len(out) <= 300
    assert out.endswith(f"full notes: {LINK}")
    assert out.startswith("word word")


def test_cut_prefers_a_line_break():
    text = "\n".join(f"- change number {i}" for i in range(200))
    out = a.cut(text, 500, LINK)
    body = out.split("\n…")[0]
    assert body.splitlines()[-1].startswith("- change number")
    assert body in text


def test_cut_without_room_for_the_link_is_a_plain_cut():
    out = a.cut("x" * 50, 10, LINK)
    assert out == "x" * 9 + "…"


@given(st.text(min_size=0, max_size=9000), st.integers(min_value=0, max_value=5000))
def test_cut_never_exceeds_the_limit(text, limit):
    assert len(a.cut(text, limit, LINK)) <= limit


def test_discord_payload_respects_every_limit():
    huge = "notes line\n" * 2000
    body = a.discord_payload(
        "x" * 5000,
        link=LINK,
        embeds=[
            {
                "title": "t" * 400,
                "description": huge,
                "fields": [{"name": "n" * 300, "value": "v" * 2000}] * 30,
            }
        ],
        thread_name="Release " + "v" * 300,
    )
    assert a.within_discord_limits(body) == []
    assert len(body["content"]) <= 2000 and body["content"].endswith(LINK)
    e = body["embeds"][0]
    assert len(e["title"]) <= 256 and len(e["description"]) <= 4096
    assert len(e["fields"]) <= 25
    assert a.embed_size(e) <= 6000
    assert len(body["thread_name"]) <= 100
    assert body["allowed_mentions"] == {"parse": []}


def test_embeds_share_the_6000_total():
    embeds = [{"title": f"part {i}", "description": "d" * 4000} for i in range(3)]
    body = a.discord_payload("head", link=LINK, embeds=embeds)
    assert sum(a.embed_size(e) for e in body["embeds"]) <= 6000
    assert a.within_discord_limits(body) == []


def test_within_limits_reports_what_is_broken():
    bad = {"content": "x" * 2001, "thread_name": "y" * 101, "embeds": [{"description": "z" * 4097}]}
    problems = a.within_discord_limits(bad)
    assert any("content" in p for p in problems)
    assert any("thread_name" in p for p in problems)
    assert any("description" in p for p in problems)


def test_slack_payload_is_text_within_its_limit():
    body = a.slack_payload("n" * 50000, LINK)
    assert set(body) == {"text"} and len(body["text"]) <= 40000 and body["text"].endswith(LINK)


def test_content_hash_is_stable_and_content_sensitive():
    assert a.content_hash({"a": 1, "b": "x"}) == a.content_hash({"b": "x", "a": 1})
    assert a.content_hash({"a": 1}) != a.content_hash({"a": 2})


# ---- the testing window --------------------------------------------------------------------


def tags(*specs):
    return TagSet.from_tags(
        TagInfo(name, "rc" if "rc" in name else "final", Version.parse(name), date=date)
        for name, date in specs
    )


def test_rc1_being_released_now_starts_the_window_now():
    w = w_.rc_window(Version.parse("0.4.0rc1"), Policy(), tags(("v0.3.0", T0 - 90 * DAY)), T0)
    assert (w.days, w.start, w.end) == (7, T0, T0 + 7 * DAY)
    assert w.end_date == "2026-01-08"


def test_rc2_keeps_the_window_of_rc1():
    ts = tags(("v0.4.0rc1", T0 - 3 * DAY))
    w = w_.rc_window(Version.parse("0.4.0rc2"), Policy(), ts, T0)
    assert w.start == T0 - 3 * DAY and w.end_date == "2026-01-05"


def test_major_line_uses_the_major_window():
    pol = Policy(windows=Windows(minor=7, major=21))
    w = w_.rc_window(Version.parse("1.0.0rc1"), pol, TagSet(), T0)
    assert w.days == 21 and w.end == T0 + 21 * DAY
    assert w_.window_kind(Version.parse("1.0.0rc3")) == "major"
    assert w_.window_kind(Version.parse("1.2.0rc1")) == "minor"


def test_final_has_no_window():
    assert w_.rc_window(Version.parse("0.4.0"), Policy(), TagSet(), T0) is None


def test_missing_rc1_tag_uses_the_earliest_rc():
    ts = tags(("v0.4.0rc2", T0 - 2 * DAY), ("v0.4.0rc3", T0 - DAY))
    w = w_.rc_window(Version.parse("0.4.0rc4"), Policy(), ts, T0)
    assert w.start == T0 - 2 * DAY


# ---- texts -------------------------------------------------------------------------------


def test_rc_headline_states_the_window_end_and_link():
    v = Version.parse("0.4.0rc1")
    w = w_.rc_window(v, Policy(), TagSet(), T0)
    text = a.headline(v, Policy(), "stack", LINK, w)
    assert "v0.4.0rc1" in text and "community testing" in text
    assert "7 days" in text and "ends 2026-01-08" in text
    assert LINK in text


def test_final_headline_has_no_window():
    text = a.headline(Version.parse("0.4.0"), Policy(), "stack", LINK, None)
    assert "is released" in text and "testing window" not in text


def test_thread_title_is_the_base_release():
    assert a.thread_title(Version.parse("0.4.0rc2"), Policy()) == "Release v0.4.0"
    assert a.thread_title(Version.parse("0.4.1"), Policy()) == "Release v0.4.1"


def test_project_name_and_release_url():
    assert a.project_name(Policy(github_repo="acme/stack")) == "stack"
    assert a.project_name(Policy(packages=[Package(name="llama-stack")])) == "llama-stack"
    assert a.project_name(Policy(), "repo") == "repo"
    assert a.release_url(Policy(github_repo="acme/stack"), "v1.0.0") == (
        "https://github.com/acme/stack/releases/tag/v1.0.0"
    )
    assert a.release_url(Policy(), "v1.0.0") == ""


def test_message_render_discord_long_notes_go_in_an_embed_cut_with_the_link():
    msg = a.Message(
        headline="**stack v0.4.0** is released.",
        body="- fix\n" * 3000,
        link=LINK,
        title="stack v0.4.0",
    )
    body = msg.render("discord")
    assert body["content"] == "**stack v0.4.0** is released."
    desc = body["embeds"][0]["description"]
    assert len(desc) <= 4096 and desc.endswith(f"full notes: {LINK}")
    assert "thread_name" not in body  # not a forum
    assert a.within_discord_limits(body) == []


def test_message_render_forum_sets_thread_name_slack_has_text_only():
    msg = a.Message(headline="**head**", body="notes", link=LINK, thread_name="Release v0.4.0")
    assert msg.render("discord", forum=True)["thread_name"] == "Release v0.4.0"
    slack = msg.render("slack", forum=True)
    assert slack == {"text": "*head*\n\nnotes"}


def test_window_without_a_publication_record_counts_from_the_earliest_known_date():
    ts = tags(("v0.4.0rc1", T0))
    w = w_.window_for(
        Version.parse("0.4.0"), Policy(), ts, other_dates={"GitHub pre-release": T0 - DAY}
    )
    assert (w.start, w.source) == (
        T0 - DAY,
        "GitHub pre-release",
    )  # earlier than the tag: it counts
    later = w_.window_for(
        Version.parse("0.4.0"), Policy(), ts, other_dates={"GitHub pre-release": T0 + DAY}
    )
    assert (later.start, later.source) == (T0, "tagged")
    published = w_.window_for(Version.parse("0.4.0"), Policy(), ts, published=T0 + 2 * DAY)
    assert (published.start, published.source) == (T0 + 2 * DAY, "published")  # the record wins
