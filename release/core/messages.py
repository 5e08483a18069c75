"""Composing release messages, pure: texts, Discord and Slack payloads within their limits.

No I/O and no clock: `now` and dates are passed in. The adapter (`release.notify`) only sends
what is built here, so every limit is enforced (and unit-tested) in one place.

Discord limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits):
content 2,000 characters; embed title 256, description 4,096, footer 2,048, author name 256,
field name 256 / value 1,024, at most 25 fields, all embeds of a message 6,000 together, at most
10 embeds; a forum thread name 100. Slack incoming webhooks truncate `text` after 40,000.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from release.core.policy import Policy
from release.core.routing import github_web_url
from release.core.version import Version
from release.core.windows import Window

CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FIELDS_MAX = 25
EMBEDS_TOTAL_MAX = 6000
EMBEDS_MAX = 10
THREAD_NAME_MAX = 100
USERNAME_MAX = 80
SLACK_TEXT_MAX = 40000

ELLIPSIS = "…"


# ---- text cutting ---------------------------------------------------------------------------


def cut(text: str, limit: int, link: str = "") -> str:
    """`text` if it fits in `limit` characters, else cut at a line/word boundary + a link.

    The tail says where the rest is: "… full notes: <link>" (or just "…" without a link).
    The result is never longer than `limit`.
    """
    if len(text) <= limit:
        return text
    tail = f"\n{ELLIPSIS} full notes: {link}" if link else ELLIPSIS
    if len(tail) >= limit:  # a limit too small for the link: a plain cut
        return text[: max(0, limit - 1)] + ELLIPSIS if limit > 0 else ""
    room = limit - len(tail)
    head = text[:room]
    # prefer to cut at a line break, then at a space, if that keeps most of the text
    for sep in ("\n", " "):
        pos = head.rfind(sep)
        if pos >= room * 0.6:
            head = head[:pos]
            break
    return head.rstrip() + tail


# ---- Discord -------------------------------------------------------------------------------


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6,000 total of one embed."""
    n = len(embed.get("title", "")) + len(embed.get("description", ""))
    n += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", []):
        n += len(f.get("name", "")) + len(f.get("value", ""))
    return n


def fit_embed(
    embed: dict[str, Any], link: str = "", budget: int = EMBEDS_TOTAL_MAX
) -> dict[str, Any]:
    """A copy of `embed` cut to Discord's per-field limits and to `budget` characters in total.

    Over the budget, fields are dropped (from the end), then the description is cut (with the
    link), then the title.
    """
    e = dict(embed)
    if "title" in e:
        e["title"] = cut(e["title"], EMBED_TITLE_MAX)
    if "footer" in e:
        e["footer"] = {**e["footer"], "text": cut(e["footer"].get("text", ""), EMBED_FOOTER_MAX)}
    if "author" in e:
        e["author"] = {**e["author"], "name": cut(e["author"].get("name", ""), EMBED_AUTHOR_MAX)}
    if "fields" in e:
        e["fields"] = [
            {
                **f,
                "name": cut(f.get("name", ""), EMBED_FIELD_NAME_MAX),
                "value": cut(f.get("value", ""), EMBED_FIELD_VALUE_MAX),
            }
            for f in e["fields"][:EMBED_FIELDS_MAX]
        ]
    if "description" in e:
        e["description"] = cut(e["description"], EMBED_DESCRIPTION_MAX, link)
    # Over the budget: fields go first (from the end), then the description gives way, then the title.
    while embed_size(e) > budget and e.get("fields"):
        e["fields"] = e["fields"][:-1]
    over = embed_size(e) - budget
    if over > 0 and e.get("description"):
        keep = len(e["description"]) - over
        if keep > 0:
            e["description"] = cut(e["description"], keep, link)
        else:
            del e["description"]
    over = embed_size(e) - budget
    if over > 0 and e.get("title"):
        e["title"] = cut(e["title"], max(0, len(e["title"]) - over))
    return e


def discord_payload(
    content: str,
    *,
    link: str = "",
    embeds: list[dict[str, Any]] | None = None,
    thread_name: str = "",
    username: str = "",
) -> dict[str, Any]:
    """The JSON body of a Discord "execute webhook" call, every limit enforced."""
    body: dict[str, Any] = {"content": cut(content, CONTENT_MAX, link)}
    if username:
        body["username"] = username[:USERNAME_MAX]
    if embeds:
        fitted: list[dict[str, Any]] = []
        budget = EMBEDS_TOTAL_MAX
        for e in embeds[:EMBEDS_MAX]:
            if budget <= 0:
                break
            f = fit_embed(e, link, budget)
            if embed_size(f) > budget or not (
                f.get("description") or f.get("title") or f.get("fields")
            ):
                continue
            budget -= embed_size(f)
            fitted.append(f)
        if fitted:
            body["embeds"] = fitted
    if thread_name:
        body["thread_name"] = cut(" ".join(thread_name.split()), THREAD_NAME_MAX)
    # allowed_mentions: a release note quoting "@everyone" must not ping the server
    body["allowed_mentions"] = {"parse": []}
    return body


def within_discord_limits(body: dict[str, Any]) -> list[str]:
    """Every limit `body` breaks (empty when it is fine); used by tests and as a last guard."""
    bad: list[str] = []
    if len(body.get("content", "")) > CONTENT_MAX:
        bad.append(f"content has {len(body['content'])} > {CONTENT_MAX} characters")
    if len(body.get("thread_name", "")) > THREAD_NAME_MAX:
        bad.append(f"thread_name has {len(body['thread_name'])} > {THREAD_NAME_MAX} characters")
    embeds = body.get("embeds", [])
    if len(embeds) > EMBEDS_MAX:
        bad.append(f"{len(embeds)} embeds > {EMBEDS_MAX}")
    total = 0
    for i, e in enumerate(embeds):
        if len(e.get("title", "")) > EMBED_TITLE_MAX:
            bad.append(f"embed {i} title > {EMBED_TITLE_MAX}")
        if len(e.get("description", "")) > EMBED_DESCRIPTION_MAX:
            bad.append(f"embed {i} description > {EMBED_DESCRIPTION_MAX}")
        for f in e.get("fields", []):
            if (
                len(f.get("name", "")) > EMBED_FIELD_NAME_MAX
                or len(f.get("value", "")) > EMBED_FIELD_VALUE_MAX
            ):
                bad.append(f"embed {i} field over its limit")
        total += embed_size(e)
    if total > EMBEDS_TOTAL_MAX:
        bad.append(f"embeds total {total} > {EMBEDS_TOTAL_MAX}")
    if not body.get("content") and not embeds:
        bad.append("empty message")
    return bad


# ---- Slack ---------------------------------------------------------------------------------


def slack_payload(text: str, link: str = "") -> dict[str, Any]:
    """The JSON body of a Slack incoming webhook call."""
    return {"text": cut(text, SLACK_TEXT_MAX, link)}


def content_hash(body: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of what was posted (recorded instead of the text)."""
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode()).hexdigest()


# ---- what the messages say -----------------------------------------------------------------


def iso_date(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%d")


def project_name(policy: Policy, fallback: str = "") -> str:
    """What the messages call the project: the GitHub repo name, the first package, a fallback."""
    if policy.github_repo:
        return policy.github_repo.split("/", 1)[1]
    if policy.packages:
        return policy.packages[0].name
    return fallback or "the project"


def release_url(policy: Policy, tag: str) -> str:
    """The GitHub release page of `tag` on the configured host (empty without a repository)."""
    if not policy.github_repo:
        return ""
    return f"{github_web_url(policy.github_api)}/{policy.github_repo}/releases/tag/{tag}"


def thread_title(version: Version, policy: Policy) -> str:
    """The #releases thread of a release: one per base version (its RCs post into it)."""
    return cut(f"Release {version.base.tag(policy.tag_pattern)}", THREAD_NAME_MAX)


def thread_text(
    version: Version, policy: Policy, project: str, url: str, window: Window | None
) -> str:
    tag = version.tag(policy.tag_pattern)
    if version.is_rc:
        lines = [
            f"**{project} {tag}** is tagged: release candidate {version.rc} of "
            f"{version.base.tag(policy.tag_pattern)}."
        ]
    else:
        lines = [f"**{project} {tag}** is being released."]
    if window is not None:
        lines.append(
            f"Community testing window: {window.days} days, "
            f"{window.start_date} to {window.end_date} (UTC)."
        )
    lines.append("Coordination, testing reports and questions for this release go in this thread.")
    if url:
        lines.append(url)
    return "\n".join(lines)


def headline(
    version: Version, policy: Policy, project: str, url: str, window: Window | None
) -> str:
    """The first lines of an announcement: what, until when (RCs), where to read more."""
    tag = version.tag(policy.tag_pattern)
    if version.is_rc:
        text = (
            f"**{project} {tag}** is available for community testing "
            f"(release candidate {version.rc} of {version.base.tag(policy.tag_pattern)})."
        )
    else:
        text = f"**{project} {tag}** is released."
    lines = [text]
    if window is not None:
        lines.append(
            f"Community testing window: {window.days} days, ends {window.end_date} (UTC). "
            "Please try it and report problems before then."
        )
    if url:
        lines.append(f"Release notes: {url}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Message:
    """One message, channel-neutral: rendered for Discord or Slack by `render`."""

    headline: str
    body: str = ""  # release notes / announcement text (may be long: it is cut, with the link)
    link: str = ""
    thread_name: str = ""
    title: str = ""  # the embed title over the body (Discord)

    def render(self, kind: str, forum: bool = False) -> dict[str, Any]:
        if kind == "slack":
            head = self.headline.replace("**", "*")  # Slack mrkdwn bold is *single*
            text = head if not self.body else f"{head}\n\n{self.body}"
            return slack_payload(text, self.link)
        thread = self.thread_name if forum else ""
        if not self.body:
            return discord_payload(self.headline, link=self.link, thread_name=thread)
        # The headline stays whole in `content`; the notes go in an embed (4,096) and give way.
        embed: dict[str, Any] = {"title": self.title or "Release notes", "description": self.body}
        if self.link:
            embed["url"] = self.link
        return discord_payload(self.headline, link=self.link, embeds=[embed], thread_name=thread)
