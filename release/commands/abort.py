"""`release.abort VERSION`: abandon an unfinished release while nothing of it is public.

It removes what the release made locally (the tag, the release branch it cut or the release
commit it added to an existing branch, the worktree, the journal) and says what it removed.
Once anything is public (a push, an upload, a post, or the tag on the remote), it refuses and
says what is out there: a public release is taken back by hand (docs/user-guide.md).
"""

from __future__ import annotations

import contextlib
import shutil
from typing import Any

from release.adapters.git import GitRepo
from release.core.version import Version
from release.errors import ConflictError, ReleaseError
from release.journal import Journal, Lock
from release.session import open_session


def abort(version: str, path: str = ".", config: str | None = None) -> list[str]:
    """Undo the local effects of the unfinished release of `version`; the lines said."""
    v = Version.parse(version)
    s = open_session(path, config)
    git_dir = s.state.git_dir
    journal = Journal.open(git_dir, v.pep440())
    meta = journal.data.get("release")
    if not meta:
        raise ReleaseError(f"no journal for {v}", "release.journals lists the unfinished releases")
    if journal.data.get("complete"):
        raise ConflictError(
            f"{meta.get('tag', v)} is complete and public; it cannot be aborted",
            "a released version is never taken back by the toolkit (see 'Abandoning a release' "
            "in docs/user-guide.md for yanking)",
        )
    repo = GitRepo(s.root, s.policy.remote)
    public = public_effects(journal, repo, meta)
    if public:
        raise ConflictError(
            f"{meta.get('tag', v)} is partly public: {'; '.join(public)}",
            "finish it with release.resume, or take those back by hand (see 'Abandoning a "
            "release' in docs/user-guide.md)",
        )
    lock = Lock(git_dir, v.pep440())
    with lock:
        said = undo_local(s, repo, journal, meta)
    lock.path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        journal.path.parent.rmdir()  # .git/release/ when nothing else is in it
    return said


def public_effects(journal: Journal, repo: GitRepo, meta: dict[str, Any]) -> list[str]:
    """What of this release others can already see."""
    out = []
    published = journal.data.get("published") or {}
    if published:
        out.append(f"{published.get('step', 'a step')} made it public")
    for name in journal.data.get("public_attempts") or []:
        if name != published.get("step"):
            out.append(f"{name} was attempted (it may have reached its remote)")
    tag = meta.get("tag", "")
    try:
        remote = repo.remote_refs(f"refs/tags/{tag}")
    except ReleaseError as exc:
        out.append(f"cannot check {repo.remote} ({exc.message})")
        return out
    if remote.get(f"refs/tags/{tag}"):
        out.append(f"{tag} is on {repo.remote}")
    return out


def undo_local(s: Any, repo: GitRepo, journal: Journal, meta: dict[str, Any]) -> list[str]:
    said: list[str] = []
    tag, branch = meta.get("tag", ""), meta.get("branch", "")
    commit = journal.facts("git:commit").get("sha") or ""
    parent = journal.facts("git:commit").get("parent") or meta.get("base") or ""
    at = repo.tag_commit(tag) if tag else None
    if at and (not commit or at == commit):
        repo.delete_tag(tag)
        said.append(f"removed tag {tag} ({at[:12]})")
    tip = repo.rev(f"refs/heads/{branch}") if branch else None
    checked_out = s.state.branch == branch
    if tip and meta.get("create_branch") and tip in {commit, meta.get("base")}:
        if checked_out:
            raise ConflictError(
                f"{branch} is checked out here",
                f"switch away from it (git switch {s.policy.main_branch}) and re-run",
            )
        repo.delete_branch(branch)
        said.append(f"removed branch {branch} ({tip[:12]}), which this release cut")
    elif tip and commit and tip == commit and parent:
        if checked_out:
            repo.reset_keep(parent)
        else:
            repo.move_branch(branch, parent, commit)
        said.append(f"moved {branch} back from the release commit {commit[:12]} to {parent[:12]}")
    work = journal.path.parent / "work" / meta.get("version", "")
    if meta.get("version") and work.exists():
        repo.worktree_remove(work / "tree")
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            work.parent.rmdir()  # .git/release/work when no other release has one
        said.append(f"removed the work directory {work}")
    journal.path.unlink(missing_ok=True)
    said.append(f"removed the journal {journal.path}")
    return said


def unlock(version: str, path: str = ".", config: str | None = None) -> str:
    """Remove the remote release lock of `version` left by a run that is dead. Refuses while the
    holder's run is alive on this machine."""
    import os
    import socket

    from release.commands.release import lock_is_mine_and_dead

    v = Version.parse(version).pep440()
    s = open_session(path, config)
    repo = GitRepo(s.root, s.policy.remote)
    sha, text = repo.remote_lock(v)
    if not sha:
        return f"no release lock for {v} on {repo.remote}"
    here = socket.gethostname()
    parts = text.split()
    on_this_machine = len(parts) >= 6 and parts[3].split(":", 1)[0] == here
    if on_this_machine and not lock_is_mine_and_dead(text, parts[3]):
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.kill(int(parts[5]), 0)
            raise ConflictError(
                f"the run holding the lock of {v} is alive on this machine ({text})",
                "wait for it to finish",
            )
    if not repo.drop_remote_lock(v, sha):
        raise ConflictError(f"the lock of {v} changed while removing it", "look again and re-run")
    return f"removed the release lock of {v} on {repo.remote} ({text})"
