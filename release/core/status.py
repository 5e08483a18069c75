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
    parse_line,
)
from release.core.windows import DAY, utc, window_for, window_kind
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
    eol = set(policy.eol_lines)
    for line, finals, rcs in tags.line_tags():  # from the TagSet's indexes: no scan per line
        branch = policy.branch_for(line)
        name = line_str(line)
        rows.append(
            {
                "line": name,
                "branch": branch if branch in branches else None,
                "latest_final": finals[-1].name if finals else None,
                "latest_final_date": finals[-1].date if finals else None,
                "latest_rc": rcs[-1].name if rcs else None,
                "eol": name in eol,
            }
        )
    supported = set(supported_lines(tags, policy))
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
    line_of = {b: policy.line_of_branch(b) for b in branches}  # each branch matched once
    release_branches = sorted(
        (b for b, ln in line_of.items() if ln is not None),
        key=lambda b: line_of[b] or (0, 0),
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


# ---- the release status page (`release.page`): the same facts, shaped for a published page ----

# The states of a release line on the page, in the order a reader meets them.
LINE_STATES = ("unreleased", "rc", "supported", "eol")


def _dated(tags: list[Any]) -> list[int]:
    return [t.date for t in tags if t.date]


def _next_of(fn: Any, *args: Any) -> str | None:
    try:
        return str(fn(*args).version)
    except VersionError:
        return None


def _page_window(base: Version, policy: Policy, tags: TagSet, now: int, published: int | None):
    """The testing window of `base` (X.Y.0) for the page, or None when it had no RC."""
    if not tags.rcs_of(base):
        return None
    w = window_for(base, policy, tags, published=published)
    if w is None:
        return None
    out: dict[str, Any] = {
        "version": str(base),
        "rc1": w.rc1,
        "source": w.source,
        "days": w.days,
        "start": w.start,
        "window_ends": w.end,
        "open": not tags.has_final(base) and w.is_open(now),
    }
    if w.advised_end:
        out["advised_ends"] = w.advised_end
    return out


def _eol_date(tags: TagSet, policy: Policy, ln: tuple[int, int], last: int | None) -> int | None:
    """When line `ln` left support: the first final of the line that pushed it out of the newest
    `supported_lines` lines, or (declared end of life while still among them) its last release."""
    with_final = tags.final_lines()
    if ln in with_final and policy.supported_lines:
        i = with_final.index(ln) + policy.supported_lines
        if i < len(with_final):
            pushed = _dated(tags.finals_of_line(with_final[i]))
            if pushed:
                return min(pushed)
    return last


def page_lines(
    tags: TagSet,
    policy: Policy,
    now: int,
    branches: set[str],
    published: dict[str, int | None] | None = None,
    notes: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every release line with its state, newest first: `eol` (declared, or older than the
    supported lines), `rc` (an X.Y.0 under release candidates: its window open until an exact
    time, or closed), `supported`, `unreleased` (a release branch without a release yet, and the
    line of the next minor while it is developed on main). `notes`: tag -> tag message."""
    published, notes = published or {}, notes or {}
    supported = set(supported_lines(tags, policy))
    eol = set(policy.eol_lines)
    open_bases = {b.line: b for b in tags.open_rc_bases()}
    rows: list[dict[str, Any]] = []
    for ln, finals, rcs in tags.line_tags():
        name = line_str(ln)
        branch = policy.branch_for(ln)
        base = Version(ln[0], ln[1], 0)
        window = _page_window(base, policy, tags, now, published.get(str(base)))
        dates = _dated(finals) + _dated(rcs)
        last = max(dates) if dates else None
        candidates = finals[-1:] + rcs[-1:]
        latest = max(candidates, key=lambda t: t.version or base) if candidates else None
        if name in eol:
            state, text = "eol", "end of life (declared in [tool.release].eol_lines)"
        elif ln in open_bases:
            state = "rc"
            if window and window["open"]:
                text = f"RC window open until {utc(window['window_ends'])}"
            elif window:
                text = f"RC window closed {utc(window['window_ends'])}: ready for its final"
            else:
                text = "under release candidates"
        elif name in supported:
            state, text = "supported", "supported: receives patch releases"
        elif finals:
            state = "eol"
            text = f"end of life (older than the {policy.supported_lines} supported lines)"
        else:
            state, text = "unreleased", "not released yet"
        rows.append(
            {
                "line": name,
                "branch": branch if branch in branches else None,
                "state": state,
                "state_text": text,
                "latest_final": finals[-1].name if finals else None,
                "latest_final_date": (finals[-1].date or None) if finals else None,
                "latest_rc": rcs[-1].name if rcs else None,
                "latest_rc_date": (rcs[-1].date or None) if rcs else None,
                "first_release_date": min(dates) if dates else None,
                "last_release_date": last,
                "eol_date": _eol_date(tags, policy, ln, last) if state == "eol" else None,
                "window": window,
                "notes_tag": latest.name if latest else None,
                "notes": notes.get(latest.name) if latest else None,
            }
        )
    known = {r["line"] for r in rows}

    def unreleased(ln: tuple[int, int], branch: str | None, text: str) -> None:
        if line_str(ln) in known:
            return
        known.add(line_str(ln))
        rows.append(
            {
                "line": line_str(ln),
                "branch": branch,
                "state": "unreleased",
                "state_text": text,
                "latest_final": None,
                "latest_final_date": None,
                "latest_rc": None,
                "latest_rc_date": None,
                "first_release_date": None,
                "last_release_date": None,
                "eol_date": None,
                "window": None,
                "notes_tag": None,
                "notes": None,
            }
        )

    for b in sorted(branches):
        cut = policy.line_of_branch(b)
        if cut is not None:
            unreleased(cut, b, f"not released yet (branch {b} is cut)")
    nxt = _next_of(next_minor, tags)
    if nxt is not None:
        v = Version.parse(nxt)
        unreleased(v.line, None, f"not released yet: in development on main (next: {nxt})")
    rows.sort(key=lambda r: parse_line(r["line"]), reverse=True)
    return rows


def page_cadence(tags: TagSet, schedule: dict[str, Any]) -> dict[str, Any]:
    """The cadence (`compute_schedule`) with the version each row's next release would get."""
    rows = []
    for row in schedule.get("rows", []):
        r = dict(row)
        if r["type"] == "major":
            r["next_version"] = _next_of(next_major, tags)
        elif r["type"] == "minor":
            r["next_version"] = _next_of(next_minor, tags)
        else:
            r["next_version"] = _next_of(next_patch, tags, parse_line(r["line"]))
        rows.append(r)
    return {**schedule, "rows": rows, "overdue": list(schedule.get("overdue", []))}


def page_model(
    state: Any,
    policy: Policy,
    now: int,
    *,
    schedule: dict[str, Any],
    project: str,
    published: dict[str, int | None] | None = None,
    notes: dict[str, str] | None = None,
    milestones: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the release status page shows, as one JSON-able object (unix seconds for
    moments; the task's JSON makes them ISO 8601). `milestones`: what the command read from
    GitHub ({configured, repository, error, items}); None is "GitHub not configured"."""
    tags: TagSet = state.tagset
    branches = set(state.branches) | set(state.remote_branches)
    c = policy.cadence
    return {
        "project": project,
        "generated_at": now,
        "latest_final": str(tags.highest_final()) if tags.highest_final() else None,
        "supported_lines": supported_lines(tags, policy),
        "lines": page_lines(tags, policy, now, branches, published, notes),
        "cadence": page_cadence(tags, schedule),
        "milestones": milestones
        or {"configured": False, "repository": None, "error": None, "items": []},
        "rules": {
            "supported_lines": policy.supported_lines,
            "window_days": {
                "minor": policy.window_days("minor"),
                "major": policy.window_days("major"),
            },
            "cadence_days": {
                "patch": c.patch_days,
                "minor": c.minor_days,
                "major_min": c.major_min_days,
                "major_max": c.major_max_days,
            },
        },
    }
