"""`release.prune`: free the disk space that releases leave under `.git/release/work/`.

Every release keeps its scratch files in `<common git dir>/release/work/<version>/` (exported
sources, dist files, smoke-test venvs, npm tarballs, docker exports, the release worktree). A
release that completes removes its own directory (unless `[tool.release].keep_work`, see
`commands/release.py` `prune_work`); this command removes what is left:

- the directory of a version whose journal is complete (its hashes are in the journal, its files
  on the indexes and the GitHub release), or that has no journal at all (nothing can resume it);
- never the directory of an unfinished release (the resumed run needs it), nor of a version
  whose journal cannot be read, nor a directory that is not a version's (the shared nox venvs);
- stale worktree entries under `.git/release/work/` (their directory is gone).

A worktree inside a removed directory is removed through git (`GitRepo.worktree_remove`), so git
keeps no stale entry. A removal from a complete journal is recorded in it (`pruned`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from release.adapters.git import GitRepo, find_root
from release.core.version import Version
from release.errors import ReleaseError
from release.journal import Journal
from release.session import now as clock


def tree_size(path: Path) -> int:
    """Bytes of the files under `path` (symlinks counted as links, never followed)."""
    total = 0
    for top, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            try:
                st = (Path(top) / name).lstat()
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode):
                total += st.st_size
    return total


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True


def remove_work(repo: GitRepo, work: Path) -> int:
    """Remove one version's work directory: its worktrees through git first (no stale entry
    left), then the files; the parent `work/` too when nothing else is in it. Returns the bytes
    freed. An OSError or a ReleaseError (git) is the caller's to report."""
    size = tree_size(work)
    for wt, _stale in repo.worktrees():
        if _inside(wt, work):
            repo.worktree_remove(wt)
    repo.worktree_remove(work / "tree")  # a release worktree git no longer lists
    _rmtree(work)
    with contextlib.suppress(OSError):
        work.parent.rmdir()  # .git/release/work when no other release has one
    return size


def _rmtree(path: Path) -> None:
    """`shutil.rmtree`, also of read-only files and folders (caches made read-only by their
    tools); a folder already gone (a concurrent prune) is fine."""
    if not path.exists():
        return
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except PermissionError:
        for top, dirs, _files in os.walk(path):
            for name in dirs:
                (Path(top) / name).chmod(0o700)
        path.chmod(0o700)
        shutil.rmtree(path)


def _version_dir(name: str) -> bool:
    """A directory named by a canonical version (work/nox, the shared venvs, is not one)."""
    try:
        return Version.parse(name).pep440() == name
    except ReleaseError:
        return False


def _state(git_dir: Path, version: str) -> tuple[bool, str, Journal | None]:
    """(may the directory of `version` go, why, its journal when complete)."""
    path = Journal.dir_for(git_dir) / f"{version}.json"
    if not path.exists():
        return True, "no journal", None
    try:
        j = Journal.open(git_dir, version)
    except ReleaseError:
        return False, f"its journal cannot be read (release.journal {version} shows why)", None
    if not j.data.get("complete"):
        return False, f"unfinished release (release.resume {version} needs it)", None
    return True, "complete release", j


def prune(path: str = ".", dry_run: bool = False) -> dict[str, Any]:
    """Remove (with `dry_run`: list) the work directories that no release needs any more and the
    stale worktree entries under them. Returns {"work", "dry_run", "removed": [{version, path,
    bytes, why}], "kept": [{version, path, bytes, why}], "bytes"}: the bytes freed (or that
    would be)."""
    root = find_root(path)
    repo = GitRepo(root)
    # the common git dir (journals live there, also seen from a linked worktree); no read_state:
    # its `git status` may rewrite the index, and a dry run leaves every byte as it was
    common = repo.git("rev-parse", "--git-common-dir").stdout.strip()
    git_dir = (root / common).resolve()
    work_root = Journal.dir_for(git_dir) / "work"
    removed: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    # read before removing anything: removing a worktree prunes every stale entry with it
    stale = [wt for wt, gone in repo.worktrees() if gone and _inside(wt, work_root)]
    entries = sorted(p for p in work_root.iterdir()) if work_root.is_dir() else []
    for d in entries:
        if d.is_symlink() or not d.is_dir() or not _version_dir(d.name):
            continue
        goes, why, journal = _state(git_dir, d.name)
        item = {"version": d.name, "path": str(d), "bytes": tree_size(d), "why": why}
        if not goes:
            kept.append(item)
            continue
        if not dry_run:
            item["bytes"] = remove_work(repo, d)
            if journal is not None:
                journal.set("pruned", {"at": clock(), "bytes": item["bytes"]})
        removed.append(item)
    gone = {Path(i["path"]) for i in removed}
    for wt in stale:
        if any(_inside(wt, g) for g in gone):
            continue  # went with its version's directory
        rel = Path(wt).resolve().relative_to(work_root.resolve())
        removed.append(
            {
                "version": rel.parts[0] if rel.parts else "",
                "path": str(wt),
                "bytes": 0,
                "why": "stale worktree entry (its directory is gone)",
            }
        )
        if not dry_run:
            repo.worktree_remove(wt)
    return {
        "work": str(work_root),
        "dry_run": dry_run,
        "removed": removed,
        "kept": kept,
        "bytes": sum(i["bytes"] for i in removed),
    }
