"""Read the world once: RepoState, Policy and the clock, for one task invocation."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.adapters.files import load_policy
from release.adapters.git import RepoState, find_root, read_state
from release.core.policy import Policy
from release.errors import ConfigError


@dataclass
class Session:
    root: Path
    policy: Policy
    state: RepoState
    now: int
    fetch_error: str = ""  # planning fetched from the remote first; why that failed, if it did
    fetched: bool = False  # the remote was asked (not --offline)


def load_repo_policy(
    root: Path, config: str | None = None, table: dict[str, Any] | None = None
) -> Policy:
    """The repository's `[tool.release]` policy; the seed's defaults when there is no pyproject.
    `table`: the policy given elsewhere (a train member's inline one), checked against `root`."""
    if table:
        from release.adapters.files import policy_in

        return policy_in(table, root, "member.release")
    path = Path(config) if config else root / "pyproject.toml"
    if not path.is_absolute():
        path = root / path
    if config is None and not path.exists():
        return Policy()
    return load_policy(path, root=root)


def now() -> int:
    """The clock, read at the edge only; RELEASE_NOW (unix seconds) fixes it for demos and tests."""
    fixed = os.environ.get("RELEASE_NOW")
    return int(fixed) if fixed else int(time.time())


def open_session(
    path: str | os.PathLike[str] = ".",
    config: str | None = None,
    *,
    fetch: bool = False,
    table: dict[str, Any] | None = None,
) -> Session:
    """Read the world once. With `fetch` (every planning command unless --offline), fetch tags
    and branches from the remote first, and refuse a shallow clone: a plan from a stale or
    partial history would pick wrong versions."""
    root = find_root(path)
    policy = load_repo_policy(root, config, table)
    fetch_error = ""
    if fetch:
        from release.adapters.git import GitRepo

        repo = GitRepo(root, policy.remote)
        remotes = repo.remotes()
        if policy.remote not in remotes:
            raise ConfigError(
                f"[tool.release].remote = {policy.remote!r} is not a remote of this repository "
                f"(git remote lists: {', '.join(remotes) or 'none'})",
                "name one of them, or add it with git remote add",
            )
        fetch_error = repo.fetch_for_plan()
    state = read_state(root, remote=policy.remote, tag_prefix=policy.tag_prefix)
    if fetch and state.shallow:
        raise ConfigError(
            f"{root} is a shallow clone: its tags and history are incomplete",
            f"run `git fetch --unshallow --tags {policy.remote}` "
            "(in GitHub Actions: actions/checkout with fetch-depth: 0)",
        )
    return Session(
        root=root,
        policy=policy,
        state=state,
        now=now(),
        fetch_error=fetch_error,
        fetched=fetch and not fetch_error,
    )
