"""`release.status` as data: read the world once, compute with the pure core."""

from __future__ import annotations

from typing import Any

from release.adapters.git import GitRepo
from release.core.lines import supported_lines
from release.core.schedule import compute_schedule
from release.core.status import compute_status
from release.journal import Journal
from release.session import open_session


def status_data(path: str = ".", config: str | None = None) -> dict[str, Any]:
    s = open_session(path, config)
    tags = s.state.tagset
    sched = compute_schedule(tags, s.policy, s.now, supported_lines(tags, s.policy))
    published = {
        str(b): Journal.published_at(s.state.git_dir, b.with_rc(1).pep440())
        for b in tags.open_rc_bases()
    }
    data = compute_status(s.state, s.policy, s.now, sched, published)
    data["off_branch_finals"] = off_branch_finals(s)
    return data


def off_branch_finals(s: Any) -> list[dict[str, str]]:
    """The latest final of each supported line, when it is not on the line's release branch
    (one ancestry check per supported line): the next patch from that branch would lack it."""
    from release.core.version import parse_line

    repo = GitRepo(s.root, s.policy.remote)
    out = []
    for line in (parse_line(x) for x in supported_lines(s.state.tagset, s.policy)):
        branch = s.policy.branch_for(line)
        tip = s.state.branches.get(branch) or s.state.remote_branches.get(branch)
        last = s.state.tagset.finals_of_line(line)[-1]
        if tip and last.sha and not repo.is_ancestor(last.sha, tip):
            out.append({"tag": last.name, "commit": last.sha, "branch": branch})
    return out
