"""The journal: `.git/release/<version>.json`, keyed by step name, never holding a secret.

It records what the world cannot tell (hashes, digests, overrides and their reasons, test
evidence, timings). The world itself (tags, index files, registry versions) is always probed
again; the journal never replaces a probe. Writes are atomic (temp file + rename) and every
value passes through `redact`. A lock file beside it keeps two runs from interleaving.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from release.adapters.runner import redact, redactor
from release.errors import ReleaseError


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _scrub(value: Any, clean: Callable[[str], str] | None = None) -> Any:
    """`value` with every string in it redacted (one secrets lookup for the whole value)."""
    clean = clean or redactor()
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {str(k): _scrub(v, clean) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, clean) for v in value]
    return value


class BadJournal(ReleaseError):
    """A journal file that is not a release journal."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(
            f"journal {path} is {why}" if why.startswith("not") else f"journal {path}: {why}",
            f"move it aside (mv {path} {path}.bad) and re-run: the steps probe the world again, "
            "and a tag that is not on the remote yet is resumed, never skipped",
        )


# The shape of a journal: top-level keys and the type each must have when present.
SHAPE: dict[str, type | tuple[type, ...]] = {
    "steps": dict,
    "overrides": list,
    "evidence": dict,
    "checklist": dict,
    "runs": list,
    "release": dict,
    "plan": list,
    "complete": bool,
    "published": dict,
    "public_attempts": list,
    "posting": dict,
}


def shape_problem(data: object) -> str:
    """'' when `data` has the shape of a journal, else what is wrong (pure)."""
    if not isinstance(data, dict):
        return f"not a release journal (a JSON {type(data).__name__}, not an object)"
    for key, want in SHAPE.items():
        if key in data and not isinstance(data[key], want):
            return f"not a release journal ({key!r} is a {type(data[key]).__name__})"
    for name, entry in (data.get("steps") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("facts", {}), dict):
            return f"not a release journal (step {name!r} is not a record)"
    return ""


class Journal:
    """One release's record. `steps[name]` = {status, started, finished, facts, attempts}."""

    def __init__(self, path: Path, data: dict[str, Any] | None = None) -> None:
        self.path = path
        self.data: dict[str, Any] = data or {}
        self.data.setdefault("steps", {})
        self.data.setdefault("overrides", [])
        self.data.setdefault("evidence", {})
        self.data.setdefault("checklist", {})
        self.data.setdefault("runs", [])
        # parallel builds record from their own threads: one writer at a time (re-entrant:
        # record/set/add_override save under it)
        self._lock = threading.RLock()

    # ---- location ------------------------------------------------------------------------
    @staticmethod
    def dir_for(git_dir: Path) -> Path:
        return Path(git_dir) / "release"

    @classmethod
    def open(cls, git_dir: Path, version: str) -> Journal:
        """The journal of `version`; a file that is not one (bytes that are not UTF-8, not JSON,
        JSON of another shape) is one ReleaseError that names it."""
        path = cls.dir_for(git_dir) / f"{version}.json"
        if not path.exists():
            return cls(path, None)
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadJournal(path, f"not valid UTF-8 JSON ({type(exc).__name__})") from None
        problem = shape_problem(data)
        if problem:
            raise BadJournal(path, problem)
        return cls(path, data)

    @classmethod
    def adopt(cls, git_dir: Path, version: str, data: dict[str, Any]) -> Journal:
        """Make `data` (a journal from elsewhere: the remote's mirror) this clone's journal of
        `version`; a local file that is not a journal is kept beside it as `<version>.json.bad`."""
        path = cls.dir_for(git_dir) / f"{version}.json"
        if path.exists():
            path.replace(path.with_name(path.name + ".bad"))
        j = cls(path, data)
        j.save()
        return j

    @classmethod
    def scan(cls, git_dir: Path) -> list[tuple[str, Journal | None]]:
        """Every journal as (version, journal), None for one that cannot be read: a bad journal
        of another version never blocks this release (only its own)."""
        out: list[tuple[str, Journal | None]] = []
        for version in cls.list_versions(git_dir):
            try:
                out.append((version, cls.open(git_dir, version)))
            except ReleaseError:
                out.append((version, None))
        return out

    @classmethod
    def published_at(cls, git_dir: Path, version: str) -> int | None:
        """When `version` was made public (the record of its first irreversible step), if known."""
        path = cls.dir_for(git_dir) / f"{version}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError):
            return None
        at = (data.get("published") or {}).get("at") if isinstance(data, dict) else None
        return int(at) if isinstance(at, (int, float)) else None

    @classmethod
    def list_versions(cls, git_dir: Path) -> list[str]:
        d = cls.dir_for(git_dir)
        return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []

    # ---- content -------------------------------------------------------------------------
    @property
    def steps(self) -> dict[str, Any]:
        return self.data["steps"]

    def facts(self, step: str) -> dict[str, Any]:
        return self.steps.get(step, {}).get("facts", {})

    def all_facts(self) -> dict[str, Any]:
        return {name: entry.get("facts", {}) for name, entry in self.steps.items()}

    def record(
        self, step: str, status: str, facts: dict[str, Any] | None = None, detail: str = ""
    ) -> None:
        with self._lock:
            entry = self.steps.setdefault(step, {"attempts": 0})
            if status == "started":
                entry["attempts"] = entry.get("attempts", 0) + 1
                entry["started"] = _now_iso()
            else:
                entry["finished"] = _now_iso()
            entry["status"] = status
            if facts:
                entry.setdefault("facts", {}).update(_scrub(facts))
            if detail:
                entry["detail"] = redact(detail)
            self.save()

    def add_override(self, gate: str, reason: str, who: str, when: str | None = None) -> None:
        for o in self.data["overrides"]:
            if o.get("gate") == gate and o.get("reason") == reason:
                return
        self.data["overrides"].append(
            {"gate": gate, "reason": redact(reason), "who": redact(who), "when": when or _now_iso()}
        )
        self.save()

    def override_for(self, gate: str) -> dict[str, Any] | None:
        found = [o for o in self.data["overrides"] if o.get("gate") == gate]
        return found[-1] if found else None

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self.data[key] = _scrub(value)
            self.save()

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".json.tmp{os.getpid()}")
            tmp.write_text(json.dumps(_scrub(self.data), indent=2, sort_keys=True) + "\n")
            tmp.replace(self.path)


class Lock:
    """An exclusive lock next to the journal: a second run for the same version refuses."""

    def __init__(self, git_dir: Path, version: str) -> None:
        self.path = Journal.dir_for(git_dir) / f"{version}.lock"
        self._fd: int | None = None

    def __enter__(self) -> Lock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise ReleaseError(
                f"another release run for {self.path.stem} is in progress (pid {holder})",
                "wait for it to finish, then re-run",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
