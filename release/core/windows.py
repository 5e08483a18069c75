"""The community testing window, pure: from the first release candidate to the earliest final.

One function, `window_for`, is the rule; the plan's window gate, `release.status` and the
announcement texts all ask it. The window of `X.Y.0` starts when its rc1 was *published* (the
journal records the first irreversible step that made it public). An rc1 without that record
(a hand-made tag, older history) counts from its tag date, or the earliest of the tag date and
another known publication date (the GitHub pre-release), and says which; `now` when rc1 is being
released. It lasts `windows.minor` days (7) or, for `X.0.0`, `windows.major` days (14), with
`windows.major_advised` (21) shown as the advised end of a major's window.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from release.core.policy import Policy
from release.core.version import TagSet, Version

DAY = 86400


def window_kind(version: Version) -> str:
    """ "major" for X.0.0 (and its RCs), else "minor": which window applies."""
    return "major" if version.minor == 0 and version.patch == 0 else "minor"


def utc(ts: int) -> str:
    """An exact UTC time for messages: `2026-12-07 14:03 UTC`."""
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def utc_date(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Window:
    """The window of one version: `start` (unix seconds) + `days`; `source` says where the start
    came from: "published", "tagged", "GitHub pre-release", "now")."""

    base: Version
    kind: str
    rc1: str  # the RC tag the window counts from ("" when rc1 is being released now)
    days: int
    start: int
    source: str
    advised_days: int | None = None  # majors: the advised (not enforced) length

    @property
    def end(self) -> int:
        return self.start + self.days * DAY

    @property
    def advised_end(self) -> int | None:
        return self.start + self.advised_days * DAY if self.advised_days else None

    @property
    def start_date(self) -> str:
        return utc_date(self.start)

    @property
    def end_date(self) -> str:
        return utc_date(self.end)

    def is_open(self, now: int) -> bool:
        return now < self.end

    def as_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
            "rc1": self.rc1,
            "rc1_date": self.start_date,
            "start": self.start,
            "source": self.source,
            "days": self.days,
            "ends": self.end_date,
            "ends_at": utc(self.end),
        }
        if self.advised_end:
            d["advised_days"] = self.advised_days
            d["advised_ends"] = utc_date(self.advised_end)
        return d


def window_for(
    version: Version,
    policy: Policy,
    tags: TagSet,
    now: int | None = None,
    *,
    published: int | None = None,
    other_dates: dict[str, int] | None = None,
) -> Window | None:
    """The testing window of `version`'s base (`X.Y.0`), or None when no RC of it is known.

    `published`: when rc1 was published (from its journal), the start when known. Otherwise
    the earliest of the rc1 tag date and `other_dates` (source -> time, e.g. the GitHub
    pre-release). `now` is the start when no RC of the base is known (rc1 being released)."""
    base = version.base
    kind = window_kind(base)
    days = policy.window_days(kind)
    advised = (
        policy.windows.major_advised
        if kind == "major" and policy.windows.major_advised > days
        else None
    )
    dated = [t for t in tags.rcs_of(base) if t.date]
    rc1 = next((t for t in dated if t.version is not None and t.version.rc == 1), None)
    rc1_name = rc1.name if rc1 is not None else base.with_rc(1).tag(policy.tag_pattern)
    if published:
        return Window(base, kind, rc1_name, days, published, "published", advised)
    starts = {"tagged": rc1.date} if rc1 is not None else {}
    starts.update({k: v for k, v in (other_dates or {}).items() if v})
    if starts:
        source = min(starts, key=lambda k: starts[k])
        return Window(base, kind, rc1_name, days, starts[source], source, advised)
    if dated:
        first = min(dated, key=lambda t: t.date)
        return Window(base, kind, first.name, days, first.date, "tagged (rc1 has no tag)", advised)
    if now is not None:
        return Window(base, kind, "", days, now, "now", advised)
    return None


def rc_window(
    version: Version, policy: Policy, tags: TagSet, now: int, published: int | None = None
) -> Window | None:
    """The window an RC's messages state (from rc1's publication when known); None for a final."""
    if not version.is_rc:
        return None
    return window_for(version, policy, tags, now, published=published)
