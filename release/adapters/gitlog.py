"""Commits for release notes: one `git log -z` over a range (or every release tag at once),
through the one runner; fields split by `\\x1f`, records by NUL, full messages so trailers can
be read. Never one call per commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from release.core.notes import Commit

# ---- collect (adapter: one git log) ---------------------------------------------------------

_FMT = "%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B"


def _git_log(root: Path, revs: Sequence[str], *, no_merges: bool) -> str:
    from release.adapters.runner import run

    argv = ["git", "-c", "log.showSignature=false", "log", "-z", "--no-color", f"--format={_FMT}"]
    if no_merges:
        argv.append("--no-merges")
    argv += [*revs, "--"]
    return run(
        argv, cwd=root, env={"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_FLUSH": "0"}
    ).stdout


def parse_log(out: str) -> list[Commit]:
    """Parse the output of `git log -z --format=<_FMT>` (pure)."""
    commits: list[Commit] = []
    append = commits.append
    for rec in out.split("\0"):
        if not rec:
            continue
        parts = rec.split("\x1f", 5)
        if len(parts) < 6:
            continue
        sha, parents, name, email, at, msg = parts
        subject, _, body = msg.partition("\n\n")
        if "\n" in subject:
            subject = " ".join(subject.split())
        if body:
            body = body.strip()
        append(
            Commit(sha, name, email, int(at or 0), subject.strip(), body, tuple(parents.split()))
        )
    return commits


def collect(root: Path, start: str | None, end: str) -> list[Commit]:
    """The non-merge commits of `start..end` (all of `end`'s history when start is None), newest first."""
    revs = [f"{start}..{end}"] if start else [end]
    return parse_log(_git_log(root, revs, no_merges=True))
