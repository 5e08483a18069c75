"""Read the world once: RepoState, Policy and the clock, for one task invocation."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from release.adapters.files import load_policy
from release.adapters.git import RepoState, find_root, read_state
from release.core.policy import Policy


@dataclass
class Session:
    root: Path
    policy: Policy
    state: RepoState
    now: int


def load_repo_policy(root: Path, config: str | None = None) -> Policy:
    """The repository's `[tool.release]` policy; the seed's defaults when there is no pyproject."""
    path = Path(config) if config else root / "pyproject.toml"
    if not path.is_absolute():
        path = root / path
    if config is None and not path.exists():
        return Policy()
    return load_policy(path)


def now() -> int:
    """The clock, read at the edge only; RELEASE_NOW (unix seconds) fixes it for demos and tests."""
    fixed = os.environ.get("RELEASE_NOW")
    return int(fixed) if fixed else int(time.time())


def open_session(path: str | os.PathLike[str] = ".", config: str | None = None) -> Session:
    root = find_root(path)
    policy = load_repo_policy(root, config)
    state = read_state(root, remote=policy.remote, tag_prefix=policy.tag_prefix)
    return Session(root=root, policy=policy, state=state, now=now())
