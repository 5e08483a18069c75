"""What a step sees: the release being made, the policy, the adapters, the journal.

Steps read and change the real world only through `World` (its adapters); they never print.
Adapters are created lazily (`world.service(name, factory)`) so that a plan that never touches
GitHub never imports PyGithub.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.adapters.git import GitRepo
from release.core.latest import is_latest
from release.core.policy import Policy
from release.core.version import TagSet, Version
from release.journal import Journal


@dataclass
class World:
    root: Path  # repository root
    repo: GitRepo
    policy: Policy
    version: Version  # the version being released (PEP 440 canonical)
    kind: str  # patch | minor | major | rc | final
    journal: Journal
    tagset: TagSet  # tags as they were when the run started
    now: int
    dry_run: bool = False
    branch: str = ""  # the release branch the tag lives on
    base_commit: str = ""  # the commit the release starts from (tip of the branch / --commit)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    notes: Any = None  # release notes (release.changelog.Notes), set by the plan's changelog step
    services: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = lambda msg: None
    posted_decision: str = ""  # a lost post's fate, said by hand: "yes" (it is there) / "no"
    clock: Callable[[], int] | None = None  # the session's clock (RELEASE_NOW); None: `now`
    # parallel builds ask for adapters from their own threads: each is created once
    _service_lock: Any = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def tag(self) -> str:
        return self.version.tag(self.policy.tag_pattern)

    @property
    def is_rc(self) -> bool:
        return self.version.is_rc

    @property
    def is_latest(self) -> bool:
        """True only for a final that is the highest final across every line (moves `latest`)."""
        return is_latest(self.version, self.tagset)

    @property
    def release_commit(self) -> str:
        """The commit the tag points at: recorded by the commit step, else the tag's commit."""
        return self.journal.facts("git:commit").get("sha") or self.repo.tag_commit(self.tag) or ""

    @property
    def work_dir(self) -> Path:
        """Per-version scratch space beside the journal (the common git dir, so every worktree of
        the repository shares it): builds, exports; never committed."""
        return self.journal.path.parent / "work" / self.version.pep440()

    def service(self, name: str, factory: Callable[[], Any]) -> Any:
        with self._service_lock:
            if name not in self.services:
                self.services[name] = factory()
            return self.services[name]
