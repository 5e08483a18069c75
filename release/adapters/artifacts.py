"""Helpers shared by the publishing adapters: exports of the release commit, hashes, polling.

Artifacts are built from an export of the release commit (`git archive`), never from the work
tree, so untracked or ignored files cannot leak into a published file.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from release.errors import ConfigError, ReleaseError

# Seconds between polls of an index/registry that has accepted an upload but may not serve it
# yet (CDN, mirror lag). Bounded: the sum is the longest wait.
BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0, 30.0, 30.0, 30.0, 60.0, 60.0)
WAIT_ENV = "RELEASE_PUBLISH_WAIT"  # override of the longest wait, in seconds


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def truthy(value: str | None, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def archive_into(
    repo: Any, commit: str, specs: list[str], dest: Path, name: str, hint: str
) -> None:
    """`git archive` of `specs` at `commit`, extracted into a clean `dest` (what was tagged, never
    the work tree: untracked and ignored files cannot leak into an artifact)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = dest.parent / f"{dest.name}.tar"
    try:
        repo.git("archive", "--format=tar", "-o", str(archive), commit, "--", *specs)
    except ReleaseError as exc:
        raise ConfigError(
            f"package {name!r}: cannot export {', '.join(specs)} at {commit[:12]} ({exc.message})",
            hint,
        ) from None
    try:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "tar_filter"):
                tar.extractall(dest, filter="tar")
            else:  # pragma: no cover - Python without extraction filters
                tar.extractall(dest)
    finally:
        archive.unlink(missing_ok=True)


def export_tree(repo: Any, commit: str, path: str, dest: Path, name: str) -> Path:
    """Extract `path` of `commit` into a clean `dest`; return the package directory inside it."""
    if not commit:
        raise ReleaseError(
            f"package {name!r}: no release commit to build from",
            "the git:commit and git:tag steps come first; re-run the release",
        )
    spec = path.strip("/") or "."
    archive_into(repo, commit, [spec], dest, name, "fix [tool.release].packages path")
    return dest if spec == "." else dest / spec


def commit_time(repo: Any, commit: str) -> str:
    """Unix time of `commit` (SOURCE_DATE_EPOCH for reproducible builds)."""
    return repo.git("show", "-s", "--format=%ct", commit).stdout.strip()


def max_wait(env: Mapping[str, str] | None) -> float:
    raw = (env or {}).get(WAIT_ENV)
    try:
        return float(raw) if raw else sum(BACKOFF)
    except ValueError:
        raise ConfigError(f"{WAIT_ENV}={raw!r} is not a number of seconds") from None


def poll(
    check: Callable[[], bool],
    *,
    sleep: Callable[[float], None] = time.sleep,
    limit: float | None = None,
    delays: tuple[float, ...] = BACKOFF,
) -> bool:
    """Call `check` until it returns True, sleeping with backoff in between; False when the
    summed delays would pass `limit` seconds (the wait is bounded, never endless)."""
    if check():
        return True
    budget = sum(delays) if limit is None else limit
    spent = 0.0
    for delay in delays:
        if spent + delay > budget:
            delay = budget - spent
            if delay <= 0:
                return False
        sleep(delay)
        spent += delay
        if check():
            return True
    return False
