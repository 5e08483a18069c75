"""`release.status` as data: read the world once, compute with the pure core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from release.adapters.git import GitRepo
from release.core.lines import supported_lines
from release.core.schedule import compute_schedule
from release.core.status import compute_status
from release.journal import Journal
from release.session import open_session


def status_data(path: str = ".", config: str | None = None) -> dict[str, Any]:
    s = open_session(path, config)
    data = computed(s, journals=True)
    data["off_branch_finals"] = off_branch_finals(s)
    if s.policy.train:
        data["train"] = train_status(s, data)
    return data


KINDS = ("patch", "minor", "major", "rc", "final")


def train_status(s: Any, here: dict[str, Any]) -> list[dict[str, Any]]:
    """Every repository of the train in release order (members, then this one), side by side:
    its checkout, branch, latest final and next version of each kind, and the kinds whose next
    version differs from this repository's (a train of that kind would refuse it). Read from
    the checkouts as they are (no fetch: `release.<kind> --dry-run` fetches and probes)."""
    from release.commands.train import member_dir, self_name
    from release.core.plan import train_order
    from release.errors import ReleaseError

    def nexts(d: dict[str, Any]) -> dict[str, str | None]:
        return {k: (d["next"].get(k) or {}).get("version") for k in KINDS}

    ours = nexts(here)
    by_name = {m.name: m for m in s.policy.train}
    names = train_order(s.policy.train)
    rows: list[dict[str, Any]] = []
    for name in names:
        tm = by_name[name]
        where = member_dir(s.state.git_dir, s.root, tm)
        row: dict[str, Any] = {"name": name, "checkout": str(where), "branch": None}
        row.update(latest_final=None, next=None, differs=[], note="")
        if not (where / ".git").exists():
            row["checkout"] = None
            row["note"] = "not cloned yet: the first run of the train clones it from its url"
            rows.append(row)
            continue
        try:
            d = compute_member(where, tm.config or None, tm.release or None)
        except ReleaseError as exc:
            row["note"] = exc.one_line()
            rows.append(row)
            continue
        row.update(branch=d["branch"], latest_final=d["latest_final"], next=nexts(d))
        row["differs"] = [k for k in KINDS if row["next"][k] != ours[k]]
        rows.append(row)
    rows.append(
        {
            "name": self_name(s.root, names),
            "checkout": str(s.root),
            "branch": here["branch"],
            "latest_final": here["latest_final"],
            "next": ours,
            "differs": [],
            "note": "holds the train: released last",
        }
    )
    return rows


def computed(s: Any, journals: bool) -> dict[str, Any]:
    """The pure status of a session; with `journals`, open RC windows count from when the
    journals say rc1 was published (else from the rc1 tags)."""
    tags = s.state.tagset
    sched = compute_schedule(tags, s.policy, s.now, supported_lines(tags, s.policy))
    published = (
        {
            str(b): Journal.published_at(s.state.git_dir, b.with_rc(1).pep440())
            for b in tags.open_rc_bases()
        }
        if journals
        else {}
    )
    return compute_status(s.state, s.policy, s.now, sched, published)


def compute_member(
    root: Path, config: str | None, table: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The status of a member's checkout (the same rules as release.status there)."""
    return computed(open_session(root, config, table=table), journals=True)


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
