"""Release cadence and the lines that receive backports, read from the repository's tags."""

from __future__ import annotations

from typing import Any


def schedule_data(path: str = ".", config: str | None = None) -> dict[str, Any]:
    from release.core.lines import supported_lines
    from release.core.schedule import compute_schedule
    from release.session import open_session

    s = open_session(path, config)
    tags = s.state.tagset
    return compute_schedule(tags, s.policy, s.now, supported_lines(tags, s.policy))


def mergify_targets(path: str = ".", config: str | None = None) -> tuple[Any, list[str]]:
    from release.adapters.mergify import branches_for
    from release.core.lines import backport_lines
    from release.session import open_session

    s = open_session(path, config)
    return s, branches_for(backport_lines(s.state.tagset, s.policy), s.policy)
