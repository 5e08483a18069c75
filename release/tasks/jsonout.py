"""`--json` at the task edge: one style for every task that reports (docs/json.md).

- one top-level object per task, its first key `"schema": "<task>/1"` (`release.status/1`);
- snake_case keys; versions are PEP 440 strings, paths and URLs strings;
- every moment is ISO 8601 UTC to the second, `2026-11-30T05:39:22Z`: the core, the journals
  and the engine keep unix seconds, and they are converted here, under keys that name a time
  (`at`, `*_at`, `*date`, `*time`, `*ends`, `*published`, `*start`, `started`, `finished`,
  `when`, `now`). A value the core already gives as a calendar day (`2026-11-30`: the cadence's
  due days, a changelog's date) stays a day.

Nothing on disk changes: the journal's format is its own; this is what the tasks print. The
JSON Schema of each task is `release/tasks/schemas/<task>.json` (shipped in the wheel).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).with_name("schemas")
REVISION = 1

# Keys whose numbers are moments (unix seconds). Durations (`seconds`, `days`, `age_days`,
# `window_days`) and counts never match.
TIME_KEYS = {
    "at",
    "date",
    "time",
    "ends",
    "published",
    "start",
    "started",
    "finished",
    "when",
    "now",
}
TIME_SUFFIXES = ("_at", "_date", "_time", "_ends", "_published", "_start", "_started", "_finished")
# `core.windows.utc`: "2026-12-07 14:03 UTC" (messages and tables), made ISO where it is found.
_UTC_TEXT = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(:\d{2})? UTC$")


def iso(ts: float) -> str:
    """Unix seconds -> `2026-11-30T05:39:22Z`."""
    return _dt.datetime.fromtimestamp(int(ts), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_time_key(key: str) -> bool:
    return key in TIME_KEYS or key.endswith(TIME_SUFFIXES)


def plain(obj: Any, key: str = "") -> Any:
    """`obj` as JSON values in the schema style: times under time keys as ISO strings, versions
    and paths as strings, dataclasses as objects, tuples and sets as lists."""
    t = type(obj)  # the exact types first: a status of 10,000 tags has ~10,000 values
    if t is dict:
        return {str(k): plain(v, str(k)) for k, v in obj.items()}
    if t is list:
        return [plain(v, key) for v in obj]
    if t is str:
        if not obj[:1].isdigit() or not is_time_key(key):
            return obj
    elif t is bool or obj is None:
        return obj
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, (int, float)):
        return iso(obj) if is_time_key(key) else obj
    if isinstance(obj, str):
        m = _UTC_TEXT.match(obj) if is_time_key(key) else None
        return f"{m.group(1)}T{m.group(2)}{m.group(3) or ':00'}Z" if m else obj
    if isinstance(obj, Mapping):
        return {str(k): plain(v, str(k)) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return plain(dataclasses.asdict(obj), key)
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [plain(v, key) for v in obj]
    return str(obj)  # Version (PEP 440), Path


def document(task: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The object a task prints: `{"schema": "<task>/1", ...data}`."""
    return {"schema": f"{task}/{REVISION}", **plain(data)}


def schema_path(task: str) -> Path:
    """The JSON Schema of `task`'s output (package data)."""
    return SCHEMA_DIR / f"{task}.json"


# ---- payloads of the tasks whose data is not one dict already ---------------------------------


def window(w: Mapping[str, Any] | None, version: Any) -> dict[str, Any] | None:
    """A testing window (`core.windows.Window.as_dict`) with its start, end and advised end as
    times (the Window is rebuilt so that its end is the core's, not recomputed here)."""
    if not w or w.get("start") is None or w.get("days") is None:
        return plain(w) if w else None
    from release.core.version import Version
    from release.core.windows import Window, window_kind

    base = (version if isinstance(version, Version) else Version.parse(str(version))).base
    advised = w.get("advised_days")
    win = Window(
        base,
        window_kind(base),
        str(w.get("rc1") or ""),
        int(w["days"]),
        int(w["start"]),
        str(w.get("source") or ""),
        int(advised) if advised else None,
    )
    out: dict[str, Any] = {
        "rc1": win.rc1,
        "source": win.source,
        "days": win.days,
        "rc1_date": iso(win.start),
        "ends_at": iso(win.end),
    }
    if win.advised_end:
        out["advised_days"] = win.advised_days
        out["advised_ends"] = iso(win.advised_end)
    return out


def plan(prepared: Any) -> dict[str, Any]:
    """`release.plan --json`: what `show_plan` prints, as data."""
    p = prepared.plan
    return {
        "kind": p.kind,
        "version": p.version.pep440(),
        "tag": p.tag,
        "branch": p.branch,
        "base": p.base or None,
        "create_branch": p.create_branch,
        "last_rc": p.last_rc,
        "owner": p.owner,
        "owner_source": p.owner_source,
        "force": p.force,
        "reason": p.reason,
        "ready": not p.failed,
        "notes": list(p.notes),
        "override": dict(p.override) if p.override else None,
        "window": window(p.window, p.version),
        "gates": [
            {
                "gate": g.name,
                "status": g.status.lower(),
                "ok": g.ok or g.skipped,
                "detail": g.reason,
            }
            for g in p.gates
        ],
        "steps": [
            {
                "number": i + 1,
                "name": s.name,
                "what": s.describe(),
                "gate": bool(getattr(s, "gate", False)),
                "irreversible": bool(getattr(s, "irreversible", False)),
            }
            for i, s in enumerate(p.steps)
        ],
    }


def journal(version: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """`release.journal VERSION --json`: the journal as recorded, with times as ISO strings."""
    out = {"version": version, "complete": bool(data.get("complete")), **plain(data)}
    meta = data.get("release")
    if isinstance(meta, Mapping) and isinstance(meta.get("window"), Mapping):
        from release.errors import ReleaseError

        # a window of another shape stays as recorded (its numbers made times by `plain`)
        with contextlib.suppress(ReleaseError, ValueError, TypeError, KeyError):
            out["release"]["window"] = window(meta["window"], meta.get("version") or version)
    return out


def journals(rows: list[tuple[str, Any]]) -> dict[str, Any]:
    """`release.journals --json` from `Journal.scan`: one entry per journal file."""
    out: list[dict[str, Any]] = []
    for version, j in rows:
        if j is None:
            out.append(
                {
                    "version": version,
                    "kind": None,
                    "tag": None,
                    "state": "unreadable",
                    "published_at": None,
                }
            )
            continue
        meta = j.data.get("release") or {}
        at = (j.data.get("published") or {}).get("at")
        out.append(
            {
                "version": version,
                "kind": meta.get("kind"),
                "tag": meta.get("tag"),
                "state": "complete" if j.data.get("complete") else "unfinished",
                "published_at": at if isinstance(at, (int, float)) else None,
            }
        )
    return {"journals": out}
