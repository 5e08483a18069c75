"""`release.status` as data (pure): RepoState + Policy + now -> one JSON-able dict."""

from __future__ import annotations

from typing import Any

from release.core.lines import supported_lines
from release.core.policy import Policy
from release.core.version import (
    TagSet,
    Version,
    final_of,
    line_str,
    next_major,
    next_minor,
    next_patch,
    next_rc,
)
from release.core.windows import DAY, window_for, window_kind
from release.errors import VersionError


def _try(fn, *args) -> dict[str, Any]:
    try:
        nxt = fn(*args)
    except VersionError as exc:
        return {"version": None, "reason": exc.one_line()}
    return {"version": str(nxt.version), "notes": list(nxt.notes)}


def next_versions(tags: TagSet, policy: Policy, branch: str | None) -> dict[str, Any]:
    """The next version of every kind from `branch` (patch/rc/final use its line, or the newest)."""
    line = policy.line_of_branch(branch)
    patch_line = line
    if patch_line is None and tags.finals:
        patch_line = tags.finals[-1].version.line  # type: ignore[union-attr]
    out: dict[str, Any] = {
        "minor": _try(next_minor, tags),
        "major": _try(next_major, tags),
        "rc": _try(next_rc, tags, line),
        "final": _try(final_of, tags, line),
    }
    if patch_line is not None:
        out["patch"] = _try(next_patch, tags, patch_line)
        out["patch"]["line"] = line_str(patch_line)
    else:
        out["patch"] = {"version": None, "reason": "no final release yet, nothing to patch"}
    return out


def lines_table(tags: TagSet, policy: Policy, branches: set[str]) -> list[dict[str, Any]]:
    rows = []
    for line in tags.lines():
        finals = tags.finals_of_line(line)
        rcs = [t for t in tags.counted_rcs() if t.version and t.version.line == line]
        branch = policy.branch_for(line)
        rows.append(
            {
                "line": line_str(line),
                "branch": branch if branch in branches else None,
                "latest_final": finals[-1].name if finals else None,
                "latest_final_date": finals[-1].date if finals else None,
                "latest_rc": rcs[-1].name if rcs else None,
                "eol": line_str(line) in policy.eol_lines,
            }
        )
    supported = supported_lines(tags, policy)
    for row in rows:
        row["supported"] = row["line"] in supported
    return rows


def open_rcs(
    tags: TagSet, policy: Policy, now: int, published: dict[str, int | None] | None = None
) -> list[dict[str, Any]]:
    """Open RC lines with their testing window (from rc1's publication when `published` has it)."""
    out = []
    for base in tags.open_rc_bases():
        rcs = tags.rcs_of(base)
        w = window_for(base, policy, tags, published=(published or {}).get(str(base)))
        row: dict[str, Any] = {
            "version": str(base),
            "kind": window_kind(base),
            "rcs": [t.name for t in rcs],
            "rc1": w.rc1 if w else rcs[0].name,
            "rc1_date": w.start if w else None,
            "age_days": round((now - w.start) / DAY, 1) if w else None,
            "window_days": w.days if w else policy.window_days(window_kind(base)),
            "window_ends": w.end if w else None,
            "window_open": w.is_open(now) if w else False,
        }
        if w and w.advised_end:
            row["window_advised_ends"] = w.advised_end
        out.append(row)
    return out


def compute_status(
    state: Any,
    policy: Policy,
    now: int,
    schedule: dict[str, Any] | None = None,
    published: dict[str, int | None] | None = None,
) -> dict[str, Any]:
    """Everything `release.status` shows, as one JSON-able object."""
    tags: TagSet = state.tagset
    branches = set(state.branches) | set(state.remote_branches)
    release_branches = sorted(
        (b for b in branches if policy.line_of_branch(b) is not None),
        key=lambda b: policy.line_of_branch(b) or (0, 0),
    )
    top: Version | None = tags.highest_final()
    line = policy.line_of_branch(state.branch)
    return {
        "repository": str(state.root),
        "branch": state.branch,
        "head": state.head,
        "line": line_str(line) if line else None,
        "dirty": bool(state.dirty),
        "ahead": state.ahead,
        "behind": state.behind,
        "latest_final": str(top) if top else None,
        "next": next_versions(tags, policy, state.branch),
        "lines": lines_table(tags, policy, branches),
        "supported_lines": supported_lines(tags, policy),
        "release_branches": release_branches,
        "open_rcs": open_rcs(tags, policy, now, published),
        "strays": [{"tag": t.name, "reason": t.reason} for t in tags.strays],
        "anomalies": [{"tag": a.tag, "reason": a.reason} for a in tags.anomalies],
        "schedule": schedule or {},
        "counts": {"finals": len(tags.finals), "rcs": len(tags.rcs), "strays": len(tags.strays)},
    }
