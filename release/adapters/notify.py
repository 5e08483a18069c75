"""Notification adapter: Discord and Slack incoming webhooks over the standard library.

Translate only: a payload built by `release.announce` goes out as one JSON POST. The webhook URL
is a secret (it *is* the credential): it is read from the environment variable the policy names,
registered for redaction, and never put in a message, a log line, an exception or the journal.

Failures: 429 waits as the service says (`retry_after` in the JSON body, else the `Retry-After`
header) and retries, up to a bound; 5xx and connection errors retry with backoff, up to a bound;
anything else, or running out of retries, raises `RemoteError` with one line naming the channel
(never the URL). `sleep` and `transport` are injectable, so tests record the waits.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from release.adapters.runner import http_timeout, redact, register_secret
from release.core.policy import Channel
from release.errors import ConfigError, RemoteError

USER_AGENT = "release-kit/0.1 (release announcements)"

# transport(url, body, headers, timeout) -> (status, headers, body bytes); raises OSError when
# the service cannot be reached.
Transport = Callable[[str, bytes, dict[str, str], float], "tuple[int, Mapping[str, str], bytes]"]


def urllib_transport(url: str, body: bytes, headers: dict[str, str], timeout: float):
    """POST with urllib; HTTP errors come back as a status, not an exception."""
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        try:
            data = exc.read()
        except OSError:
            data = b""
        return exc.code, dict(exc.headers.items()) if exc.headers else {}, data
    except urllib.error.URLError as exc:
        # URLError.reason is e.g. ConnectionRefusedError; its text never holds the URL. A refused
        # connection stays one: nothing was sent, so a re-run may post
        if isinstance(exc.reason, ConnectionRefusedError):
            raise ConnectionRefusedError(str(exc.reason)) from None
        raise OSError(str(exc.reason)) from None


class NotPosted(RemoteError):
    """The service answered that it did not take the post (4xx, 429, connection refused)."""


@dataclass
class Posted:
    """What a post returned: ids when the service tells them (Discord with ?wait=true)."""

    status: int
    message_id: str = ""
    thread_id: str = ""  # Discord: the channel the message landed in (the new thread of a forum)
    attempts: int = 1
    waited: float = 0.0


@dataclass
class Webhook:
    """One channel's webhook. `name` ("releases", "announcements") is what errors and facts say."""

    name: str
    channel: Channel
    url: str
    timeout: float = 10.0
    retries: int = 3  # extra attempts after the first, for 429, 5xx and connection errors
    max_wait: float = 120.0  # a 429 asking for longer than this is an error saying when to retry
    sleep: Callable[[float], None] = time.sleep
    transport: Transport = urllib_transport
    backoff: float = 1.0  # 5xx: backoff, 2*backoff, 4*backoff, ...

    def __post_init__(self) -> None:
        register_secret(self.url)
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise ConfigError(
                f"the #{self.name} webhook ({self.channel.url_env}) is not an http(s) URL",
                f"set {self.channel.url_env} to the webhook URL the channel settings show",
            )
        # the token is the path; register its last segment too (a URL re-spelled elsewhere)
        last = parsed.path.rstrip("/").rsplit("/", 1)[-1]
        if len(last) >= 16:
            register_secret(last)

    def _target(self, thread_id: str = "") -> str:
        if self.channel.kind != "discord":
            return self.url
        parts = urllib.parse.urlsplit(self.url)
        query = urllib.parse.parse_qsl(parts.query)
        query = [(k, v) for k, v in query if k not in ("wait", "thread_id")]
        query.append(("wait", "true"))
        if thread_id:
            query.append(("thread_id", thread_id))
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))

    def post(self, payload: dict[str, Any], thread_id: str = "") -> Posted:
        """Send `payload` once (retrying only what the service asks or what failed before it)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        url = self._target(thread_id)
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                status, rheaders, data = self.transport(
                    url, body, headers, http_timeout(self.timeout)
                )
            except OSError as exc:  # unreachable, timeout, TLS
                if isinstance(exc, ConnectionRefusedError) and attempt > self.retries:
                    raise NotPosted(
                        self._say(f"refused the connection after {attempt} attempts"),
                        "check the network and re-run the same command to resume",
                    ) from None
                if attempt <= self.retries:
                    delay = self.backoff * 2 ** (attempt - 1)
                    self.sleep(delay)
                    waited += delay
                    continue
                raise RemoteError(
                    self._say(
                        f"could not be reached after {attempt} attempts ({_clean(str(exc))})"
                    ),
                    "check the network and re-run the same command to resume",
                ) from None
            if 200 <= status < 300:
                return self._posted(status, data, attempt, waited)
            if status == 429:
                delay = _retry_after(rheaders, data)
                if delay > self.max_wait:
                    raise NotPosted(
                        self._say(f"is rate limited for {delay:.0f}s"),
                        f"re-run the same command in {delay:.0f} seconds to resume",
                    )
                if attempt <= self.retries:
                    self.sleep(delay)
                    waited += delay
                    continue
                raise NotPosted(
                    self._say(f"stayed rate limited after {attempt} attempts"),
                    f"re-run the same command in {max(delay, 1):.0f} seconds to resume",
                )
            if status >= 500 and attempt <= self.retries:
                delay = self.backoff * 2 ** (attempt - 1)
                self.sleep(delay)
                waited += delay
                continue
            error = NotPosted if status < 500 else RemoteError  # a 4xx is a definite "no"
            raise error(self._say(f"answered HTTP {status}{_reason(data)}"), _hint(status, self))

    def message_status(self, message_id: str, thread_id: str = "") -> tuple[int, int]:
        """(HTTP status, Discord error code) of GET <webhook>/messages/<id>: 200 while the
        message is there, 404 with code 10008 (Unknown Message) once deleted. Reads only."""
        parts = urllib.parse.urlsplit(self.url)
        path = parts.path.rstrip("/") + "/messages/" + urllib.parse.quote(message_id, safe="")
        query = urllib.parse.urlencode({"thread_id": thread_id} if thread_id else {})
        url = urllib.parse.urlunsplit(parts._replace(path=path, query=query))
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT}, method="GET")
        try:
            with urllib.request.urlopen(req, timeout=http_timeout(self.timeout)) as resp:
                return resp.status, 0
        except urllib.error.HTTPError as exc:
            try:
                code = int((json.loads(exc.read() or b"{}") or {}).get("code") or 0)
            except (ValueError, TypeError, AttributeError, OSError):
                code = 0
            return exc.code, code
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteError(
                self._say(f"could not be reached ({type(reason).__name__})")
            ) from None

    def _say(self, what: str) -> str:
        return f"the #{self.name} {self.channel.kind} webhook {what}"

    def _posted(self, status: int, data: bytes, attempt: int, waited: float) -> Posted:
        found = Posted(status=status, attempts=attempt, waited=waited)
        if self.channel.kind == "discord" and data:
            try:
                msg = json.loads(data)
            except ValueError:
                msg = {}
            if isinstance(msg, dict):
                found.message_id = str(msg.get("id", "") or "")
                found.thread_id = str(msg.get("channel_id", "") or "")
        return found


def discord_webhook_info(url: str, timeout: float = 10.0) -> tuple[int | None, str, str]:
    """GET a Discord webhook URL: Discord answers with the webhook (its name) and posts nothing.
    (status, the webhook's name, '') or (None, '', why it is unreachable). The token the answer
    holds is registered as a secret."""
    req = urllib.request.Request(
        url, method="GET", headers={"User-Agent": "release-kit doctor (no post)"}
    )
    try:
        with urllib.request.urlopen(req, timeout=http_timeout(timeout)) as resp:
            body = resp.read(64 * 1024)
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code), "", ""
    except (urllib.error.URLError, OSError) as exc:
        return None, "", redact(str(getattr(exc, "reason", exc)))
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    token = data.get("token") if isinstance(data, dict) else None
    register_secret(str(token) if token else None)
    name = str(data.get("name") or "") if isinstance(data, dict) else ""
    return status, redact(name), ""


def _retry_after(headers: Mapping[str, str], data: bytes) -> float:
    """Seconds to wait: Discord's JSON `retry_after` (float seconds), else `Retry-After`, else 1."""
    try:
        body = json.loads(data) if data else {}
        if isinstance(body, dict) and body.get("retry_after") is not None:
            return max(0.0, float(body["retry_after"]))
    except (ValueError, TypeError):
        pass
    lower = {k.lower(): v for k, v in headers.items()}
    value = lower.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                when = parsedate_to_datetime(value).timestamp()
                return max(0.0, when - time.time())
            except (TypeError, ValueError):
                pass
    return 1.0


def _clean(text: str) -> str:
    return " ".join(redact(text).split())[:200]


def _reason(data: bytes) -> str:
    """The service's own short reason (Discord: {"message": ..., "code": ...}; Slack: plain text)."""
    if not data:
        return ""
    try:
        body = json.loads(data)
    except ValueError:
        text = data.decode("utf-8", "replace").strip()
        return f": {_clean(text)}" if text else ""
    if isinstance(body, dict):
        msg = body.get("message") or "; ".join(
            f"{k}: {v[0] if isinstance(v, list) and v else v}" for k, v in body.items()
        )
        return f": {_clean(str(msg))}" if msg else ""
    return ""


def _hint(status: int, hook: Webhook) -> str:
    if status in (401, 403, 404):
        return f"the webhook may have been deleted or regenerated; update {hook.channel.url_env}"
    if status == 400:
        return "the message was refused as malformed; this is a bug, please report it"
    if status >= 500:
        return "the service is failing; re-run the same command later to resume"
    return "re-run the same command to retry"


@dataclass
class Notifier:
    """Makes the webhooks of the configured channels; what steps get from `world.service`."""

    env: Mapping[str, str]
    sleep: Callable[[float], None] = time.sleep
    transport: Transport = urllib_transport
    timeout: float = 10.0
    retries: int = 3
    max_wait: float = 120.0
    backoff: float = 1.0
    _hooks: dict[str, Webhook] = field(default_factory=dict)

    def webhook(self, name: str, channel: Channel) -> Webhook:
        if name not in self._hooks:
            if not channel.url_env:
                raise ConfigError(
                    f"[tool.release].notify.{name} has no url_env",
                    "set url_env to the name of the environment variable holding the webhook URL",
                )
            url = (self.env.get(channel.url_env) or "").strip()
            if not url:
                raise ConfigError(
                    f"environment variable {channel.url_env} (the #{name} webhook) is not set",
                    f"export {channel.url_env}=<webhook URL> and re-run",
                )
            self._hooks[name] = Webhook(
                name,
                channel,
                url,
                timeout=self.timeout,
                retries=self.retries,
                max_wait=self.max_wait,
                sleep=self.sleep,
                transport=self.transport,
                backoff=self.backoff,
            )
        return self._hooks[name]
