"""Milestone rules, pure: titles, the move marker, and what makes a milestone ready.

A milestone (title = the final version, e.g. "0.5.0") is ready when:

- it holds issues only: any pull request in it (open or closed) is a violation ("issues only");
- all its issues are closed, or the open ones were moved to another milestone by
  `milestone.move`, which leaves a comment carrying the marker
  `<!-- release-kit:moved from=0.5.0 to=0.6.0 -->` and the rationale;
- no issue left it without such a comment. "Left it" is read from the repository's issue events:
  a `demilestoned` event naming the milestone (each event is read once per clone; what was read
  is kept as `MilestoneCheck.seen`), then confirmed on the issue's own timeline: it is not in the
  milestone again (`still_out`) and carries a marker comment `from=<this milestone>`, otherwise
  the move is undocumented.

No I/O here: the adapter (`release.github`) gathers counts and lists, this module judges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from release.core.version import Version

MARKER_RE = re.compile(r"<!--\s*release-kit:moved\s+from=(?P<src>\S+)\s+to=(?P<dst>\S+)\s*-->")


def milestone_title(version: Version | str) -> str:
    """The milestone of a release: its final version, "0.5.0" for 0.5.0rc2 too."""
    v = Version.parse(version) if isinstance(version, str) else version
    return v.base.pep440()


def next_title(version: Version | str) -> str:
    """The milestone planned after a final: the next minor ("0.6.0" after "0.5.0")."""
    v = Version.parse(version) if isinstance(version, str) else version
    return v.base.bump_minor().pep440()


def move_comment(src: str, dst: str, reason: str) -> str:
    """The comment `milestone.move` leaves on each moved issue (marker first, then the reason)."""
    reason = " ".join(reason.split())
    return (
        f"<!-- release-kit:moved from={src} to={dst} -->\n"
        f"Moved from milestone **{src}** to **{dst}**: {reason}"
    )


def documented_from(bodies: list[str], src: str) -> bool:
    """True when one of the comment bodies documents a move out of milestone `src`."""
    return any(m.group("src") == src for body in bodies for m in MARKER_RE.finditer(body or ""))


def still_out(timeline: list[dict[str, Any]], title: str) -> bool:
    """True when an issue's timeline (oldest first) ends outside milestone `title`: its last
    `milestoned`/`demilestoned` event naming the milestone is a `demilestoned` one."""
    last = ""
    for item in timeline:
        if item.get("event") in ("milestoned", "demilestoned") and (
            (item.get("milestone") or {}).get("title") == title
        ):
            last = item["event"]
    return last == "demilestoned"


@dataclass(frozen=True)
class Item:
    number: int
    title: str
    url: str = ""

    def ref(self) -> str:
        return f"#{self.number}"


@dataclass
class MilestoneCheck:
    """What the gate saw; `violations()` are one-line reasons, empty when the milestone is ready."""

    title: str
    found: bool = True
    number: int = 0
    state: str = "open"
    open_issues: int = 0  # open issues only (PRs excluded)
    closed_issues: int = 0
    pull_requests: list[Item] = field(default_factory=list)
    pull_request_count: int = 0  # may exceed the listed ones (one search page is read)
    open_items: list[Item] = field(default_factory=list)
    undocumented: list[Item] = field(default_factory=list)
    documented: list[Item] = field(default_factory=list)
    requests: int = 0
    seen: dict[str, Any] = field(
        default_factory=dict
    )  # what the event read saw, for the next check

    def violations(self) -> list[str]:
        out: list[str] = []
        if not self.found:
            return [
                f"milestone {self.title} does not exist (create it with `invoke milestone.create {self.title}`)"
            ]
        if self.pull_request_count:
            listed = _refs(self.pull_requests, self.pull_request_count)
            out.append(
                f"milestone {self.title} holds {self.pull_request_count} pull request(s) ({listed}); "
                "milestones hold issues only: remove the milestone from them"
            )
        if self.open_issues:
            listed = _refs(self.open_items, self.open_issues)
            out.append(
                f"milestone {self.title} has {self.open_issues} open issue(s) ({listed}); close them or "
                f'`invoke milestone.move {self.title} --to NEXT --reason "..."`'
            )
        if self.undocumented:
            out.append(
                f"issue(s) {_refs(self.undocumented, len(self.undocumented))} left milestone "
                f"{self.title} without a documented rationale; move them back and use milestone.move, "
                "or comment the marker with the reason"
            )
        return out

    @property
    def ok(self) -> bool:
        return not self.violations()

    def summary(self) -> str:
        if not self.found:
            return f"milestone {self.title}: missing"
        moved = f", {len(self.documented)} moved with a rationale" if self.documented else ""
        return (
            f"milestone {self.title}: {self.closed_issues} closed, {self.open_issues} open, "
            f"{self.pull_request_count} pull request(s){moved}"
        )


def _refs(items: list[Item], total: int, limit: int = 20) -> str:
    shown = ", ".join(i.ref() for i in items[:limit])
    more = total - min(len(items), limit)
    return shown + (f" and {more} more" if more > 0 else "") if shown else f"{total}"
