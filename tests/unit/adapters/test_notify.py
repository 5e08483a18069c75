"""The webhook client's retry rules, with a scripted transport and a recording sleep (no network)."""

from __future__ import annotations

import json

import pytest

from release.adapters.notify import Notifier, Webhook, _retry_after
from release.core.policy import Channel
from release.errors import ConfigError, RemoteError

URL = "https://discord.com/api/webhooks/123456/SeCrEtToKeN-abcdefghijklmnopqrstuvwxyz0123"
DISCORD = Channel(kind="discord", url_env="DISCORD_ANNOUNCE_WEBHOOK")
SLACK = Channel(kind="slack", url_env="SLACK_WEBHOOK")


class Script:
    """Answers posts from a list of (status, headers, body) or exceptions; records the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, body, headers, timeout):
        self.calls.append((url, json.loads(body), headers, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def hook(script, channel=DISCORD, **kw):
    waits = []
    h = Webhook("announcements", channel, URL, sleep=waits.append, transport=script, **kw)
    return h, waits


OK = (200, {}, json.dumps({"id": "111", "channel_id": "222"}).encode())


def test_discord_posts_with_wait_and_returns_the_ids():
    script = Script(OK)
    h, waits = hook(script)
    sent = h.post({"content": "hi"})
    assert (sent.message_id, sent.thread_id, sent.attempts) == ("111", "222", 1)
    url, body, headers, timeout = script.calls[0]
    assert url.endswith("?wait=true") and body == {"content": "hi"}
    assert headers["Content-Type"] == "application/json" and timeout == 10.0
    assert waits == []


def test_thread_id_goes_in_the_query():
    script = Script(OK)
    h, _ = hook(script)
    h.post({"content": "hi"}, thread_id="777")
    assert script.calls[0][0].endswith("?wait=true&thread_id=777")


def test_429_waits_as_the_body_says_then_succeeds():
    limited = (
        429,
        {"Retry-After": "3"},
        json.dumps({"message": "slow", "retry_after": 1.5, "global": False}).encode(),
    )
    script = Script(limited, OK)
    h, waits = hook(script)
    sent = h.post({"content": "hi"})
    assert waits == [1.5]  # the JSON value wins over the rounded header
    assert sent.attempts == 2 and sent.waited == 1.5
    assert len(script.calls) == 2


def test_429_with_only_a_header():
    script = Script((429, {"retry-after": "4"}, b""), (204, {}, b""))
    h, waits = hook(script, channel=SLACK)
    assert h.post({"text": "hi"}).status == 204
    assert waits == [4.0]


def test_429_longer_than_the_bound_fails_at_once_saying_when():
    script = Script((429, {}, json.dumps({"retry_after": 600}).encode()))
    h, waits = hook(script, max_wait=60)
    with pytest.raises(RemoteError) as err:
        h.post({"content": "hi"})
    assert waits == [] and "600 seconds" in err.value.one_line()


def test_5xx_retried_with_backoff_then_a_one_line_error_without_the_url():
    script = Script(*[(502, {}, b"bad gateway")] * 4)
    h, waits = hook(script, retries=3, backoff=0.5)
    with pytest.raises(RemoteError) as err:
        h.post({"content": "hi"})
    assert waits == [0.5, 1.0, 2.0] and len(script.calls) == 4
    line = err.value.one_line()
    assert "HTTP 502" in line and "#announcements" in line
    assert "\n" not in line and "SeCrEtToKeN" not in line and "discord.com/api" not in line


def test_500_once_then_success():
    script = Script((500, {}, b""), OK)
    h, waits = hook(script)
    assert h.post({"content": "x"}).message_id == "111"
    assert waits == [1.0]


def test_connection_errors_are_retried_then_reported():
    script = Script(*[OSError("Connection refused")] * 3)
    h, waits = hook(script, retries=2)
    with pytest.raises(RemoteError) as err:
        h.post({"content": "x"})
    assert "could not be reached after 3 attempts" in err.value.one_line()
    assert len(waits) == 2


def test_404_is_not_retried_and_says_to_update_the_variable():
    script = Script((404, {}, json.dumps({"message": "Unknown Webhook", "code": 10015}).encode()))
    h, waits = hook(script)
    with pytest.raises(RemoteError) as err:
        h.post({"content": "x"})
    line = err.value.one_line()
    assert waits == [] and "Unknown Webhook" in line and "DISCORD_ANNOUNCE_WEBHOOK" in line
    assert URL not in line


def test_retry_after_parsing():
    assert _retry_after({}, json.dumps({"retry_after": 0.75}).encode()) == 0.75
    assert _retry_after({"Retry-After": "2"}, b"not json") == 2.0
    assert _retry_after({}, b"") == 1.0


def test_notifier_reports_a_missing_variable_by_name():
    n = Notifier(env={})
    with pytest.raises(ConfigError) as err:
        n.webhook("announcements", DISCORD)
    assert "DISCORD_ANNOUNCE_WEBHOOK" in err.value.one_line()


def test_notifier_refuses_a_non_http_url_without_echoing_it():
    n = Notifier(env={"DISCORD_ANNOUNCE_WEBHOOK": "ftp://x/SeCrEtToKeN-abcdefghijklmnop"})
    with pytest.raises(ConfigError) as err:
        n.webhook("announcements", DISCORD)
    assert "SeCrEtToKeN" not in err.value.one_line()


def test_slack_url_is_used_as_is():
    script = Script((200, {}, b"ok"))
    h, _ = hook(script, channel=SLACK)
    h.post({"text": "x"})
    assert script.calls[0][0] == URL
