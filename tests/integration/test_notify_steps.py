"""Release thread and announcement steps against the webhook receiver, through the real engine."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from release import engine
from release.adapters.git import GitRepo, read_state
from release.adapters.notify import Notifier
from release.core.checklist import checklist
from release.core.messages import within_discord_limits
from release.core.policy import Channel, Notify, Policy
from release.core.version import Version
from release.errors import ConfigError
from release.journal import Journal
from release.steps.notify import notify_steps
from release.world import World

pytestmark = pytest.mark.integration

DAY = 86400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
REL_ENV = "DISCORD_RELEASES_WEBHOOK"
ANN_ENV = "DISCORD_ANNOUNCE_WEBHOOK"


@dataclass
class Notes:
    """Stands in for release.changelog.Notes: only what the announcement asks of it."""

    text: str

    def announcement(self, url: str) -> str:
        return f"{self.text}\n\nFull notes: {url}"


def policy(forum=True, ann_kind="discord", **kw) -> Policy:
    return Policy(
        github_repo="acme/stack",
        notify=Notify(
            releases=Channel(kind="discord", url_env=REL_ENV, forum=forum),
            announcements=Channel(kind=ann_kind, url_env=ANN_ENV),
        ),
        **kw,
    )


def make_world(git_repo, webhook, pol, version, *, now=T0, notes=None, ann_url=None, sleeps=None):
    state = read_state(git_repo.root, tag_prefix=pol.tag_prefix)
    v = Version.parse(version)
    env = {REL_ENV: webhook.discord_url(1), ANN_ENV: ann_url or webhook.discord_url(2)}
    world = World(
        root=git_repo.root,
        repo=GitRepo(git_repo.root),
        policy=pol,
        version=v,
        kind="rc" if v.is_rc else "final",
        journal=Journal.open(state.git_dir, v.pep440()),
        tagset=state.tagset,
        now=now,
        env=env,
        notes=notes,
    )
    rec = sleeps if sleeps is not None else []
    world.services["notify"] = Notifier(env=env, sleep=rec.append)
    return world


def run(world):
    steps = notify_steps(world.policy, world.version, world.kind)
    report = engine.run(steps, world, world.journal)
    assert report.error is None, report.error and report.error.one_line()
    return report


def everything_said(world, report, capsys=None) -> str:
    text = world.journal.path.read_text()
    text += "\n".join(f"{r.name} {r.status} {r.detail} {r.description}" for r in report.rows)
    if capsys is not None:
        out = capsys.readouterr()
        text += out.out + out.err
    return text


def test_rc_then_final_each_land_once_and_rerunning_posts_nothing(git_repo, webhook):
    pol = policy(forum=True)
    # rc1: thread created in the forum, announcement with the testing window
    w1 = make_world(git_repo, webhook, pol, "0.4.0rc1", notes=Notes("- feat: things"))
    r1 = run(w1)
    assert [r.status for r in r1.rows] == ["applied", "applied"]
    posts = webhook.accepted()
    assert len(posts) == 2
    thread, ann = posts
    assert thread.body["thread_name"] == "Release v0.4.0"
    assert thread.query == {"wait": "true"}
    assert "is tagged: release candidate 1" in thread.body["content"]
    assert "ends 2026-01-08 (UTC)" in ann.body["content"]
    assert "7 days" in ann.body["content"] and "community testing" in ann.body["content"]
    assert "https://github.com/acme/stack/releases/tag/v0.4.0rc1" in ann.body["content"]
    assert ann.body["embeds"][0]["description"].startswith("- feat: things")
    assert "thread_name" not in ann.body  # #announcements is a text channel
    for p in posts:
        assert within_discord_limits(p.body) == []

    # re-running rc1 posts nothing: the journal says it was posted
    again = run(make_world(git_repo, webhook, pol, "0.4.0rc1", notes=Notes("- feat: things")))
    assert [r.status for r in again.rows] == ["done", "done"]
    assert len(webhook.posts) == 2

    facts = Journal.open(w1.journal.path.parent.parent, "0.4.0rc1").facts("notify:thread")
    assert (
        facts["posted"]
        and facts["channel"] == "releases"
        and facts["thread_name"] == "Release v0.4.0"
    )
    assert facts["message_id"] and facts["thread_id"] and len(facts["sha256"]) == 64

    # the rc1 tag exists now (3 days later); the final posts into rc1's thread and announces
    git_repo.tag("v0.4.0rc1", date=T0)
    git_repo.commit("fix: last one")
    git_repo.tag("v0.4.0", date=T0 + 8 * DAY)
    wf = make_world(
        git_repo, webhook, pol, "0.4.0", now=T0 + 8 * DAY, notes=Notes("- fix: last one")
    )
    run(wf)
    new = webhook.accepted()[2:]
    assert len(new) == 2
    into_thread, final_ann = new
    assert into_thread.query == {"wait": "true", "thread_id": facts["thread_id"]}
    assert "thread_name" not in into_thread.body
    assert "v0.4.0** is released" in final_ann.body["content"]
    assert "testing window" not in final_ann.body["content"]
    assert (
        run(make_world(git_repo, webhook, pol, "0.4.0", now=T0 + 8 * DAY)).rows[1].status == "done"
    )
    assert len(webhook.posts) == 4

    rows = {r["key"]: r["status"] for r in checklist(wf.journal.data)}
    assert rows == {
        "thread": "done",
        "workflows": "pending",
        "notes": "pending",
        "announce": "done",
    }


def test_rc2_window_still_ends_a_week_after_rc1(git_repo, webhook):
    git_repo.tag("v0.4.0rc1", date=T0)
    w = make_world(git_repo, webhook, policy(forum=False), "0.4.0rc2", now=T0 + 4 * DAY)
    run(w)
    thread, ann = webhook.accepted()
    assert "thread_name" not in thread.body  # text channel: a plain message
    assert "ends 2026-01-08" in ann.body["content"]


def test_very_long_notes_are_cut_with_a_link(git_repo, webhook):
    notes = Notes("\n".join(f"- change {i}: " + "detail " * 12 for i in range(600)))
    run(make_world(git_repo, webhook, policy(), "0.5.0", notes=notes))
    ann = webhook.accepted()[1]
    assert within_discord_limits(ann.body) == []
    assert len(ann.body["content"]) <= 2000
    desc = ann.body["embeds"][0]["description"]
    assert len(desc) <= 4096
    assert desc.endswith("full notes: https://github.com/acme/stack/releases/tag/v0.5.0")


def test_429_once_then_success_honours_retry_after(git_repo, webhook):
    sleeps: list[float] = []
    w = make_world(git_repo, webhook, policy(), "0.4.1", sleeps=sleeps)
    webhook.rate_limit_once(retry_after=2.5)
    run(w)
    assert sleeps == [2.5]
    assert [p.status for p in webhook.posts] == [429, 200, 200]
    assert webhook.posts[0].body == webhook.posts[1].body  # the same message, sent again
    assert w.journal.facts("notify:thread")["waited_s"] == 2.5


def test_500_once_is_retried(git_repo, webhook):
    sleeps: list[float] = []
    w = make_world(git_repo, webhook, policy(), "0.4.1", sleeps=sleeps)
    webhook.fail_once(500)
    run(w)
    assert [p.status for p in webhook.posts] == [500, 200, 200] and sleeps == [1.0]


def test_slack_announcement(git_repo, webhook):
    w = make_world(
        git_repo,
        webhook,
        policy(ann_kind="slack"),
        "0.4.0rc1",
        ann_url=webhook.slack_url(),
        notes=Notes("- feat: slack too"),
    )
    run(w)
    ann = webhook.accepted()[1]
    assert ann.path.startswith("/services/") and "wait" not in ann.path
    assert set(ann.body) == {"text"}
    assert "v0.4.0rc1" in ann.body["text"] and "ends 2026-01-08" in ann.body["text"]
    assert "- feat: slack too" in ann.body["text"]
    facts = w.journal.facts("notify:announce")
    assert facts["service"] == "slack" and "message_id" not in facts


def test_unconfigured_channels_are_skipped_with_a_reason(git_repo, webhook):
    pol = Policy(notify=Notify(releases=Channel(kind="discord", url_env=REL_ENV, forum=True)))
    w = make_world(git_repo, webhook, pol, "0.4.1")
    report = run(w)
    assert [r.status for r in report.rows] == ["applied", "skipped"]
    assert report.rows[1].detail == "no #announcements channel configured"
    assert {r["key"]: r["status"] for r in checklist(w.journal.data)}["announce"] == "skipped"


def test_missing_url_fails_before_anything_is_posted(git_repo, webhook):
    w = make_world(git_repo, webhook, policy(), "0.4.1")
    w.services["notify"] = Notifier(env={REL_ENV: webhook.discord_url(1)})  # announcements unset
    steps = notify_steps(w.policy, w.version, w.kind)
    report = engine.run(steps, w, w.journal, dry_run=True)
    assert isinstance(report.error, ConfigError) and ANN_ENV in report.error.one_line()
    assert webhook.posts == []


def test_dry_run_posts_nothing(git_repo, webhook):
    w = make_world(git_repo, webhook, policy(), "0.4.1")
    report = engine.run(notify_steps(w.policy, w.version, w.kind), w, w.journal, dry_run=True)
    assert [r.status for r in report.rows] == ["would", "would"] and webhook.posts == []


def test_the_webhook_url_is_never_said(git_repo, webhook, capsys):
    sleeps: list[float] = []
    pol = policy()
    w = make_world(git_repo, webhook, pol, "0.4.1", sleeps=sleeps)
    webhook.rate_limit_once(retry_after=0.5)
    report = run(w)
    said = everything_said(w, report, capsys)
    # a failure: the announcements webhook is gone (404) -> the error text
    w2 = make_world(
        git_repo,
        webhook,
        pol,
        "0.4.2",
        ann_url=webhook.discord_url(3).replace(webhook.token, "x" * 40),
    )
    bad = engine.run(notify_steps(pol, w2.version, w2.kind), w2, w2.journal)
    assert bad.error is not None and "HTTP 404" in bad.error.one_line()
    said += bad.error.one_line() + repr(bad.error) + str(bad.error)
    said += everything_said(w2, bad, capsys)
    said += json.dumps([p.body for p in webhook.posts])
    assert webhook.token not in said
    assert f"127.0.0.1:{webhook.port}" not in said
    assert "x" * 40 not in said


def test_a_post_whose_answer_was_lost_is_never_posted_again_blind(git_repo, webhook):
    """A kill between the post and its record: the re-run stops with one line asking to look
    in the channel; --announced records it, --repost posts it again, exactly once either way."""
    pol = policy()
    world = make_world(git_repo, webhook, pol, "0.4.0rc1", notes=Notes("- feat: x"))
    step = notify_steps(pol, world.version, world.kind)[1]  # the announcement
    world.journal.set("posting", {step.name: {"version": "0.4.0rc1", "nonce": "n"}})
    report = engine.run([step], world, world.journal)
    assert report.error is not None and "answer was lost" in report.error.one_line()
    assert "--announced" in report.error.one_line() and "--repost" in report.error.one_line()
    assert webhook.accepted() == []  # nothing posted blind

    world.posted_decision = "yes"
    report = engine.run([step], world, world.journal)
    assert report.error is None and webhook.accepted() == []
    assert world.journal.facts(step.name)["confirmed_by"] == "--announced"

    other = make_world(git_repo, webhook, pol, "0.5.0rc1", notes=Notes("- feat: y"))
    step5 = notify_steps(pol, other.version, other.kind)[1]
    other.journal.set("posting", {step5.name: {"version": "0.5.0rc1", "nonce": "m"}})
    other.posted_decision = "no"
    report = engine.run([step5], other, other.journal)
    assert report.error is None and len(webhook.accepted()) == 1
