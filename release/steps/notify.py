"""Steps that tell people: the release thread in #releases and the announcement in #announcements.

A webhook cannot be asked what it has posted, so the journal is the record: a step is done when
its journal entry says it posted for this version (facts: channel name, service, message id when
returned, a sha256 of the content; never the URL or the text). The facts are written the moment
the post succeeds (status "posted"), before verification, so a crash right after a post does not
post twice on the next run. Both steps are irreversible (the engine asks before the first one).
"""

from __future__ import annotations

import os
from typing import Any

from release.adapters.notify import NotPosted
from release.core.messages import (
    Message,
    content_hash,
    headline,
    iso_date,
    project_name,
    release_url,
    thread_text,
    thread_title,
)
from release.core.policy import Channel, Policy
from release.core.version import Version
from release.core.windows import rc_window as testing_window
from release.engine import BaseStep, Probe
from release.journal import Journal
from release.world import World


def notifier(world: World) -> Any:
    """The world's notification adapter (tests put their own in `world.services["notify"]`)."""
    from release.adapters.notify import Notifier

    return world.service("notify", lambda: Notifier(env=world.env))


class NotifyStep(BaseStep):
    """Post one message to one configured channel, once per version."""

    irreversible = True
    channel_name = ""

    def __init__(self, policy: Policy, version: Version, kind: str) -> None:
        self.policy = policy
        self.version = version
        self.kind = kind
        self._facts: dict[str, Any] = {}

    @property
    def channel(self) -> Channel | None:
        return getattr(self.policy.notify, self.channel_name)

    @property
    def tag(self) -> str:
        return self.version.tag(self.policy.tag_pattern)

    def probe(self, world: World) -> Probe:
        channel = self.channel
        if channel is None:
            return Probe.skipped(f"no #{self.channel_name} channel configured")
        posted = self._facts or _posted_facts(world.journal.facts(self.name), self.version)
        sending = (world.journal.data.get("posting") or {}).get(self.name)
        if not posted and sending:
            # A post was sent and its answer lost (a kill, a dropped connection): a webhook cannot
            # be asked what it received, so never post again blind.
            decision = getattr(world, "posted_decision", "")
            if decision == "yes":
                facts = {**sending, "posted": True, "confirmed_by": "--announced"}
                world.journal.record(self.name, "posted", facts)
                self._sent(world)
                return Probe.yes(f"confirmed by hand as posted to #{self.channel_name}", **facts)
            if decision != "no":
                return Probe.clash(
                    f"a post to #{self.channel_name} was sent for {self.tag} and its answer was "
                    f"lost; look in the channel, then run release.resume {self.version} with "
                    "--announced (it is there) or --repost (it is not)"
                )
        if posted:
            where = f"message {posted['message_id']}" if posted.get("message_id") else "a message"
            return Probe.yes(
                f"posted {where} to #{self.channel_name} on {posted.get('posted_on', '?')}"
            )
        # a missing URL is reported now (also in --dry-run), before anything is posted
        notifier(world).webhook(self.channel_name, channel)
        return Probe.no(f"not posted to #{self.channel_name} yet")

    def verify(self, world: World) -> Probe:
        return self.probe(world)

    def message(self, world: World) -> tuple[Message, str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def apply(self, world: World) -> dict[str, Any]:
        channel = self.channel
        assert channel is not None  # probe skipped otherwise
        hook = notifier(world).webhook(self.channel_name, channel)
        msg, thread_id = self.message(world)
        payload = msg.render(channel.kind, forum=channel.forum and not thread_id)
        # "posting" first: a kill between the post and its record is then known, never re-posted
        sending = {
            "version": self.version.pep440(),
            "sha256": content_hash(payload),
            "nonce": os.urandom(8).hex(),
        }
        inflight = {**(world.journal.data.get("posting") or {}), self.name: sending}
        world.journal.set("posting", inflight)
        try:
            sent = hook.post(payload, thread_id=thread_id)
        except NotPosted:
            self._sent(world)  # a definite "no": nothing is in flight, a re-run posts
            raise
        facts: dict[str, Any] = {
            "posted": True,
            "version": self.version.pep440(),
            "channel": self.channel_name,
            "service": channel.kind,
            "sha256": content_hash(payload),
            "chars": len(payload.get("content", payload.get("text", ""))),
            "posted_on": iso_date(world.now),
            "attempts": sent.attempts,
        }
        if sent.message_id:
            facts["message_id"] = sent.message_id
        if sent.thread_id and channel.kind == "discord":
            facts["channel_id"] = sent.thread_id
        if payload.get("thread_name"):
            facts["thread_name"] = payload["thread_name"]
            if sent.thread_id:
                facts["thread_id"] = sent.thread_id
        if thread_id:
            facts["thread_id"] = thread_id
        if sent.waited:
            facts["waited_s"] = round(sent.waited, 3)
        # Record at once: the post cannot be taken back, and the webhook cannot be asked later.
        world.journal.record(self.name, "posted", facts)
        self._sent(world)
        self._facts = facts
        return facts

    def _sent(self, world: World) -> None:
        """The post is on record: it is no longer in flight."""
        inflight = dict(world.journal.data.get("posting") or {})
        if inflight.pop(self.name, None) is not None:
            world.journal.set("posting", inflight)


class ReleaseThread(NotifyStep):
    """The release-specific thread in #releases (a forum post titled "Release vX.Y.Z")."""

    name = "notify:thread"
    channel_name = "releases"

    def describe(self) -> str:
        ch = self.channel
        if ch is not None and ch.forum:
            return f'Create the thread "{thread_title(self.version, self.policy)}" in #releases'
        return f"Post the release of {self.tag} in #releases"

    def message(self, world: World) -> tuple[Message, str]:
        url = release_url(self.policy, self.tag)
        window = testing_window(
            self.version, self.policy, world.tagset, world.now, rc1_published(world)
        )
        text = thread_text(
            self.version, self.policy, project_name(self.policy, world.root.name), url, window
        )
        channel = self.channel
        thread_id = ""
        if channel is not None and channel.forum and channel.kind == "discord":
            # One thread per release: rc2 and the final post into the thread rc1 created.
            thread_id = _earlier_thread(world, self.version, self.name)
        return Message(
            headline=text, thread_name=thread_title(self.version, self.policy)
        ), thread_id


class Announcement(NotifyStep):
    """The announcement in #announcements (RCs: with the testing window and its end date)."""

    name = "notify:announce"
    channel_name = "announcements"

    def describe(self) -> str:
        what = "release candidate" if self.version.is_rc else "release"
        return f"Announce the {what} {self.tag} in #announcements"

    def message(self, world: World) -> tuple[Message, str]:
        project = project_name(self.policy, world.root.name)
        url = release_url(self.policy, self.tag)
        window = testing_window(
            self.version, self.policy, world.tagset, world.now, rc1_published(world)
        )
        body = ""
        make = getattr(world.notes, "announcement", None)
        if callable(make):
            body = str(make(url) or "").strip()
        msg = Message(
            headline=headline(self.version, self.policy, project, url, window),
            body=body,
            link=url,
            title=f"{project} {self.tag}",
            thread_name=f"{project} {self.tag}",
        )
        return msg, ""


def notify_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    """The steps of the seed's checklist that tell people, in order: thread, announcement.

    The release thread opens the release (put it early in a plan); the announcement closes it
    (put it after the publication steps and the GitHub release, whose URL it links to).
    """
    return [ReleaseThread(policy, version, kind), Announcement(policy, version, kind)]


def thread_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    """Only the release thread (for a plan that opens it right after the tag is pushed)."""
    return [ReleaseThread(policy, version, kind)]


def announce_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    """Only the announcement (for a plan that posts it after the GitHub release)."""
    return [Announcement(policy, version, kind)]


# ---- journal reading -----------------------------------------------------------------------


def _posted_facts(facts: dict[str, Any], version: Version) -> dict[str, Any]:
    if facts.get("posted") and facts.get("version") == version.pep440():
        return facts
    return {}


def _earlier_thread(world: World, version: Version, step: str) -> str:
    """The thread id an earlier version of the same base (its RCs) created in #releases."""
    git_dir = world.journal.path.parent.parent
    found: list[tuple[Version, str]] = []
    for name, journal in Journal.scan(git_dir):
        try:
            other = Version.parse(name)
        except ValueError:
            continue
        if journal is None or other == version or other.base != version.base:
            continue
        facts = journal.facts(step)
        if facts.get("posted") and facts.get("thread_id"):
            found.append((other, str(facts["thread_id"])))
    return min(found)[1] if found else ""


def rc1_published(world: World) -> int | None:
    """When rc1 of this version's line was published, from rc1's journal (this one for rc1)."""
    rc1 = world.version.base.with_rc(1).pep440()
    if world.version.pep440() == rc1:
        at = (world.journal.data.get("published") or {}).get("at")
        return int(at) if isinstance(at, (int, float)) else None
    return Journal.published_at(world.journal.path.parent.parent, rc1)
