"""The journal: `.git/release/<version>.json`, keyed by step name, never holding a secret.

It records what the world cannot tell (hashes, digests, overrides and their reasons, test
evidence, timings). The world itself (tags, index files, registry versions) is always probed
again; the journal never replaces a probe. Writes are atomic (temp file + rename) and every
value passes through `redact`. A lock file beside it keeps two runs from interleaving.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from release.adapters.runner import redact
from release.errors import ReleaseError


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


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

    # ---- location ------------------------------------------------------------------------
    @staticmethod
    def dir_for(git_dir: Path) -> Path:
        return Path(git_dir) / "release"

    @classmethod
    def open(cls, git_dir: Path, version: str) -> Journal:
        path = cls.dir_for(git_dir) / f"{version}.json"
        if path.exists():
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError:
                raise ReleaseError(
                    f"journal {path} is not valid JSON",
                    "move it aside; probes will rebuild what the world shows",
                ) from None
            return cls(path, data)
        return cls(path, None)

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
        self.data[key] = _scrub(value)
        self.save()

    def save(self) -> None:
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
