"""End to end: `python -m release` announces an RC and its final once each; the checklist shows it."""

from __future__ import annotations

import json

import pytest

from release.core.messages import within_discord_limits
from tests.fixtures.sandbox import Sandbox

pytestmark = pytest.mark.integration

NOTIFY = """
[tool.release.notify.releases]
kind = "discord"
url_env = "DISCORD_RELEASES_WEBHOOK"
forum = true

[tool.release.notify.announcements]
kind = "discord"
url_env = "DISCORD_ANNOUNCE_WEBHOOK"
"""


def configure(sb: Sandbox, webhook) -> dict[str, str]:
    text = (sb.root / "pyproject.toml").read_text()
    sb.wd.commit("chore: announce releases", path="pyproject.toml", text=text + NOTIFY)
    sb.wd.git("push", "-q", "origin", "main")
    return {
        "DISCORD_RELEASES_WEBHOOK": webhook.discord_url(1),
        "DISCORD_ANNOUNCE_WEBHOOK": webhook.discord_url(2),
    }


def test_rc_and_final_are_announced_once_each(sandbox: Sandbox, webhook):
    sb = sandbox
    env = configure(sb, webhook)

    before = sb.run("release.checklist", "0.1.0rc1", "--json", env=env, check=True)
    assert [i["status"] for i in json.loads(before.stdout)["items"]] == ["pending"] * 4

    rc = sb.run("release.minor", "--yes", env=env, check=True)
    posts = webhook.accepted()
    assert len(posts) == 2, [p.body for p in webhook.posts]
    thread, ann = posts
    assert thread.body["thread_name"] == "Release v0.1.0"
    assert (
        "v0.1.0rc1" in ann.body["content"] and "testing window: 7 days, ends" in ann.body["content"]
    )
    assert all(within_discord_limits(p.body) == [] for p in posts)

    sb.run("release.final", "--yes", "--override", "demo: no need to wait", env=env, check=True)
    posts = webhook.accepted()
    assert len(posts) == 4
    into_thread, final = posts[2:]
    assert into_thread.query.get("thread_id") == thread_id_of(sb, "0.1.0rc1")
    assert "v0.1.0** is released" in final.body["content"]
    assert len(webhook.posts) == 4  # no retries, no duplicates

    out = sb.run("release.checklist", "0.1.0", "--json", env=env, check=True)
    items = {i["key"]: i for i in json.loads(out.stdout)["items"]}
    assert items["thread"]["status"] == "done" and items["announce"]["status"] == "done"
    assert "#announcements" in items["announce"]["detail"]

    shown = sb.run("release.checklist", "0.1.0", env=env, check=True)
    assert "Announce in #announcements" in shown.stdout and "done" in shown.stdout

    said = rc.stdout + rc.stderr + out.stdout + shown.stdout
    said += (sb.root / ".git" / "release" / "0.1.0.json").read_text()
    said += (sb.root / ".git" / "release" / "0.1.0rc1.json").read_text()
    assert webhook.token not in said and f":{webhook.port}/" not in said


def thread_id_of(sb: Sandbox, version: str) -> str:
    data = json.loads((sb.root / ".git" / "release" / f"{version}.json").read_text())
    return data["steps"]["notify:thread"]["facts"]["thread_id"]


def test_checklist_marks_by_hand(sandbox: Sandbox):
    sb = sandbox
    refused = sb.run("release.checklist", "0.1.0", "--mark", "workflows")
    assert (
        refused.returncode != 0
        and "needs a note" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    sb.run(
        "release.checklist",
        "0.1.0",
        "--mark",
        "workflows",
        "--note",
        "ran release.yml by hand",
        check=True,
    )
    out = sb.run("release.checklist", "0.1.0", "--json", check=True)
    items = {i["key"]: i for i in json.loads(out.stdout)["items"]}
    assert items["workflows"]["status"] == "done"
    assert items["workflows"]["detail"] == "marked by Rel Owner: ran release.yml by hand"
    assert items["thread"]["status"] == "pending"
    bad = sb.run("release.checklist", "0.1.0", "--mark", "coffee", "--note", "x")
    assert bad.returncode != 0 and "no checklist item 'coffee'" in bad.stderr
