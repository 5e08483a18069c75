"""`release.status` as data: read the world once, compute with the pure core."""

from __future__ import annotations

from typing import Any

from release.core.lines import supported_lines
from release.core.schedule import compute_schedule
from release.core.status import compute_status
from release.session import open_session


def status_data(path: str = ".", config: str | None = None) -> dict[str, Any]:
    s = open_session(path, config)
    tags = s.state.tagset
    sched = compute_schedule(tags, s.policy, s.now, supported_lines(tags, s.policy))
    return compute_status(s.state, s.policy, s.now, sched)
