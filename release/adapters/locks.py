"""Lock files: refreshed after the version bump so the release commit is consistent.

`uv.lock` beside a `pyproject.toml` is refreshed with `uv lock`; `package-lock.json` beside a
`package.json` with `npm install --package-lock-only --ignore-scripts`. Only lock files the
project already keeps are touched; a kept lock file whose tool is missing stops the release
with one line (before anything is public: the release commit is made in a worktree).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from release.adapters.runner import CommandError, run
from release.core.plan import LOCK_FILES
from release.errors import ConfigError, ReleaseError

COMMANDS = {
    "uv.lock": ["uv", "lock", "--quiet"],
    "package-lock.json": [
        "npm",
        "install",
        "--package-lock-only",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
    ],
}


def refresh(tree: Path, dirs: list[str], env: Mapping[str, str] | None = None) -> list[str]:
    """Refresh the lock files present under `tree` in `dirs`; the repo-relative paths changed."""
    changed: list[str] = []
    for d in dirs:
        folder = tree / d
        for lock, manifest in LOCK_FILES.items():
            path = folder / lock
            if not path.is_file() or not (folder / manifest).is_file():
                continue
            argv = COMMANDS[lock]
            rel = lock if d in ("", ".") else f"{d}/{lock}"
            if shutil.which(argv[0]) is None:
                raise ConfigError(
                    f"{rel} is kept but {argv[0]} is not installed to refresh it",
                    f"install {argv[0]}, or set [tool.release].refresh_locks = false",
                )
            before = path.read_bytes()
            try:
                run(argv, cwd=folder, env=dict(env or {}))
            except CommandError as exc:
                raise ReleaseError(
                    f"refreshing {rel} failed: {exc.message}",
                    f"run `{' '.join(argv)}` in {d} to see why; nothing was committed",
                ) from None
            if path.read_bytes() != before:
                changed.append(rel)
    return changed
