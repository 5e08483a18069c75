"""Git adapter: read the repository in a handful of CLI calls; change it through GitPython.

Reading is one `rev-parse`, one `for-each-ref` (every tag with its peeled commit and date, every
local and remote branch), one `status` and, when there is an upstream, one `rev-list --count`,
all through the one runner. No per-tag object loads (GitPython's per-tag `.commit` is one object
load per tag), so reads stay on the CLI.

The mutating branch, tag and worktree operations and cherry-picks go through GitPython's `Repo`
(`GitRepo.gp`, imported lazily so `release.status` never loads it), inside `_door()`: its
failures become the runner's `CommandError`, whose message is redacted like every other command's,
and its environment is the runner's (no prompts, C locale).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.adapters.runner import CommandError, CommandTimeout, network_timeout, redact, run
from release.core.version import TagInfo, TagSet, classify_tag
from release.errors import ConflictError, GitError, ReleaseError, RemoteError

_SEP = "\x1f"


@dataclass
class RepoState:
    """A snapshot of everything the release rules read from git."""

    root: Path
    git_dir: Path  # the common git directory, shared by every worktree: journals live here
    branch: str | None  # None when detached
    head: str  # sha, "" in a repository without commits
    dirty: list[str] = field(default_factory=list)  # porcelain lines
    tags: list[TagInfo] = field(default_factory=list)
    tag_objects: dict[str, str] = field(
        default_factory=dict
    )  # tag name -> tag object sha (annotated) or commit
    branches: dict[str, str] = field(default_factory=dict)  # local branch -> sha
    remote_branches: dict[str, str] = field(default_factory=dict)  # branch on `remote` -> sha
    remote: str = "origin"
    ahead: int = 0
    behind: int = 0
    upstream: str | None = None
    tag_prefix: str = "v"
    common_dir: Path = Path()  # shared by every worktree of the repository (journals live here)
    shallow: bool = False  # a shallow clone: history and tags are missing
    _tagset: TagSet | None = None

    @property
    def tagset(self) -> TagSet:
        if self._tagset is None:
            self._tagset = TagSet.from_tags(self.tags)
        return self._tagset

    def tag_sha(self, name: str) -> str | None:
        for t in self.tags:
            if t.name == name:
                return t.sha
        return None


GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def _git(root: str | os.PathLike[str], *args: str, check: bool = True, input: str | None = None):
    return run(["git", *args], cwd=root, check=check, env=GIT_ENV, input=input)


@contextmanager
def _door() -> Iterator[None]:
    """GitPython's failures become the runner's errors: a failed git command is a CommandError,
    a refused name or object (GitPython checks refs itself) a GitError; both redacted, one line."""
    from git.exc import GitCommandError
    from git.exc import GitError as GitPythonError

    try:
        yield
    except (ValueError, GitPythonError) as exc:
        if not isinstance(exc, GitCommandError):
            raise GitError(
                redact(" ".join(str(exc).split())), "check the name or revision"
            ) from None
        argv = exc.command if isinstance(exc.command, list) else str(exc.command).split()
        out = exc.stdout if isinstance(exc.stdout, str) else ""
        err = exc.stderr if isinstance(exc.stderr, str) else ""
        raise CommandError(
            argv, exc.status if isinstance(exc.status, int) else 1, _strip_gp(out), _strip_gp(err)
        ) from None


def _strip_gp(text: str) -> str:
    """GitPython wraps captured output as "  stderr: 'fatal: ...'"; keep git's own words."""
    text = text.strip()
    for prefix in ("stdout:", "stderr:"):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
    return text.strip("'")


def find_root(path: str | os.PathLike[str] = ".") -> Path:
    res = _git(path, "rev-parse", "--show-toplevel", check=False)
    if not res.ok:
        raise GitError(
            f"{Path(path).resolve()} is not inside a git repository", "run from a git checkout"
        )
    return Path(res.stdout.strip())


def read_state(
    path: str | os.PathLike[str] = ".", remote: str = "origin", tag_prefix: str = "v"
) -> RepoState:
    """Read a RepoState in 3-4 git calls."""
    if not Path(path).is_dir():
        raise GitError(f"{path} is not a directory", "run from a git checkout")
    res = _git(
        path,
        "rev-parse",
        "--show-toplevel",
        "--absolute-git-dir",
        "--git-common-dir",
        "--is-shallow-repository",
        check=False,
    )
    if not res.ok:
        raise GitError(
            f"{Path(path).resolve()} is not inside a git repository", "run from a git checkout"
        )
    root_s, git_dir_s, common_s, shallow_s = ([*res.stdout.splitlines(), "", "", "", ""])[:4]
    root = Path(root_s)
    common = Path(common_s) if Path(common_s).is_absolute() else Path(root_s, common_s)
    head_res = _git(root, "rev-parse", "--verify", "-q", "HEAD", check=False)
    head = head_res.stdout.strip() if head_res.ok else ""
    sym = _git(root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    branch = sym.stdout.strip() if sym.ok else None

    fmt = _SEP.join(
        [
            "%(refname)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objectname)",
            "%(creatordate:unix)",
            "%(upstream:short)",
        ]
    )
    out = _git(
        root, "for-each-ref", f"--format={fmt}", "refs/tags", "refs/heads", f"refs/remotes/{remote}"
    ).stdout
    state = RepoState(
        root=root,
        git_dir=common.resolve() if common_s else Path(git_dir_s),
        branch=branch,
        head=head,
        remote=remote,
        tag_prefix=tag_prefix,
        common_dir=common.resolve() if common_s else Path(git_dir_s),
        shallow=shallow_s.strip() == "true",
    )
    rprefix = f"refs/remotes/{remote}/"
    for line in out.splitlines():
        parts = line.split(_SEP)
        if len(parts) < 6:
            continue
        ref, otype, oid, peeled, date, upstream = parts[:6]
        if ref.startswith("refs/tags/"):
            name = ref[len("refs/tags/") :]
            commit = peeled if otype == "tag" else oid
            state.tag_objects[name] = oid
            state.tags.append(classify_tag(name, tag_prefix, int(date or 0), commit))
        elif ref.startswith("refs/heads/"):
            name = ref[len("refs/heads/") :]
            state.branches[name] = oid
            if name == branch and upstream:
                state.upstream = upstream
        elif ref.startswith(rprefix):
            name = ref[len(rprefix) :]
            if name != "HEAD":
                state.remote_branches[name] = oid
    st = _git(root, "status", "--porcelain=v1", "--untracked-files=normal", check=False)
    state.dirty = [line for line in st.stdout.splitlines() if line.strip()]
    if state.upstream and head:
        counts = _git(
            root, "rev-list", "--left-right", "--count", f"HEAD...{state.upstream}", check=False
        )
        if counts.ok:
            a, b = counts.stdout.split()
            state.ahead, state.behind = int(a), int(b)
    return state


class GitRepo:
    """Write-side git adapter: every call goes through the runner; no policy decisions here."""

    def __init__(self, root: str | os.PathLike[str], remote: str = "origin") -> None:
        self.root = Path(root)
        self.remote = remote

    def git(self, *args: str, check: bool = True, input: str | None = None):
        return _git(self.root, *args, check=check, input=input)

    @property
    def gp(self) -> Any:
        """GitPython's Repo of this checkout (created on first use), with the runner's git env."""
        if getattr(self, "_gp", None) is None:
            import git

            repo = git.Repo(self.root)
            repo.git.update_environment(**GIT_ENV)
            self._gp = repo
        return self._gp

    # ---- reads ---------------------------------------------------------------------------
    def rev(self, ref: str) -> str | None:
        res = self.git("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        return res.stdout.strip() if res.ok else None

    def tag_commit(self, tag: str) -> str | None:
        return self.rev(f"refs/tags/{tag}")

    def count_commits(self, since: str, until: str) -> int:
        """Commits reachable from `until` but not from `since` (`rev-list --count`)."""
        res = self.git("rev-list", "--count", f"{since}..{until}", "--")
        return int(res.stdout.strip() or 0)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self.git("merge-base", "--is-ancestor", ancestor, descendant, check=False).ok

    def network(self, what: str, *args: str, check: bool = True) -> Any:
        """A git call that talks to the remote, bounded by `network_timeout()`; a hang ends with
        one line naming the remote."""
        seconds = network_timeout()
        try:
            return run(["git", *args], cwd=self.root, check=check, env=GIT_ENV, timeout=seconds)
        except CommandTimeout:
            raise RemoteError(
                f"{self.remote} did not answer within {seconds:g}s ({what})",
                "check the remote and the network; RELEASE_NETWORK_TIMEOUT sets the limit",
            ) from None

    def fetch_for_plan(self) -> str:
        """Fetch tags and branches from the remote before planning; '' or why it failed (a
        refused tag update, say, is for the gates to report, not a reason to stop here)."""
        spec = f"+refs/heads/*:refs/remotes/{self.remote}/*"
        try:
            res = self.network(
                "fetch", "fetch", "-q", "--tags", "--end-of-options", self.remote, spec, check=False
            )
        except ReleaseError as exc:
            return exc.message
        if res.ok:
            return ""
        lines = [ln.strip() for ln in (res.stderr or res.stdout).splitlines() if ln.strip()]
        return lines[-1] if lines else f"git fetch exited {res.returncode}"

    def remote_refs(self, *patterns: str) -> dict[str, str]:
        """Refs on the remote (one `ls-remote`), peeled for annotated tags."""
        peeled = [f"{p}^{{}}" for p in patterns if p.startswith("refs/tags/")]
        res = self.network(
            "ls-remote", "ls-remote", "--end-of-options", self.remote, *patterns, *peeled
        )
        refs: dict[str, str] = {}
        for line in res.stdout.splitlines():
            sha, _, ref = line.partition("\t")
            if ref.endswith("^{}"):
                refs[ref[:-3]] = sha
            else:
                refs.setdefault(ref, sha)
        return refs

    def changed_files(self, a: str, b: str) -> list[str]:
        return [f for f in self.git("diff", "--name-only", a, b).stdout.splitlines() if f]

    def show_file(self, rev: str, path: str) -> str | None:
        res = self.git("show", f"{rev}:{path}", check=False)
        return res.stdout if res.ok else None

    def config(self, key: str) -> str:
        res = self.git("config", "--get", key, check=False)
        return res.stdout.strip() if res.ok else ""

    # ---- writes --------------------------------------------------------------------------
    def create_branch(self, name: str, start: str) -> None:
        with _door():
            self.gp.create_head(name, start)

    def move_branch(self, name: str, new: str, old: str) -> None:
        """Point refs/heads/NAME at `new` only if it is still at `old` (compare-and-swap)."""
        with _door():
            self.gp.git.update_ref(f"refs/heads/{name}", new, old)

    def fast_forward(self, sha: str) -> None:
        """Fast-forward the checked-out branch of this worktree to `sha` (never a merge commit)."""
        with _door():
            self.gp.git.merge("-q", "--ff-only", sha)

    def worktree_add(self, path: Path, ref: str, *, branch: str | None = None) -> None:
        """A linked worktree at `path`: detached at `ref`, or on `branch` reset to `ref` (-B)."""
        args = ["add", "-q", *(["-B", branch] if branch else ["--detach"]), str(path), ref]
        with _door():
            self.gp.git.worktree(*args)

    def worktree_remove(self, path: Path) -> None:
        """Remove the worktree at `path` (forced; it is ours) and prune stale entries."""
        import shutil

        with _door():
            if Path(path).exists():
                # not a registered worktree any more: the files go below
                with suppress(Exception):
                    self.gp.git.worktree("remove", "--force", str(path))
                shutil.rmtree(path, ignore_errors=True)
            self.gp.git.worktree("prune")

    # ---- the remote release lock ---------------------------------------------------------------
    def lock_ref(self, version: str) -> str:
        return f"refs/release/locks/{version}"

    def remote_lock(self, version: str) -> tuple[str, str]:
        """(sha, holder text) of the lock ref on the remote, ('', '') when there is none."""
        ref = self.lock_ref(version)
        sha = self.remote_refs(ref).get(ref, "")
        if not sha:
            return "", ""
        self.network(
            "lock", "fetch", "-q", "--no-tags", "--end-of-options", self.remote, ref, check=False
        )
        text = self.git("log", "-1", "--format=%B", sha, check=False).stdout.strip()
        return sha, text

    def take_remote_lock(self, version: str, holder: str, replace: str = "") -> tuple[str, str]:
        """Create the lock ref on the remote with one push (atomic: of two racing pushes one
        wins); `replace`: take over that stale lock (only if it is still that one). Returns
        (the lock's sha, '') when it is ours, ('', why not) when it is not."""
        empty_tree = self.git("mktree", input="").stdout.strip()
        sha = self.git("commit-tree", empty_tree, "-m", holder).stdout.strip()
        ref = self.lock_ref(version)
        lease = [f"--force-with-lease={ref}:{replace}"] if replace else []
        res = self.network(
            "lock",
            "push",
            "--porcelain",
            *lease,
            "--end-of-options",
            self.remote,
            f"{sha}:{ref}",
            check=False,
        )
        if res.ok:
            return sha, ""
        lines = [ln.strip() for ln in f"{res.stdout}\n{res.stderr}".splitlines() if ln.strip()]
        why = next(
            (ln for ln in lines if "remote:" in ln or "rejected" in ln), lines[-1] if lines else ""
        )
        return "", why

    def drop_remote_lock(self, version: str, sha: str) -> bool:
        """Delete the lock ref on the remote, only while it is `sha` (ours)."""
        ref = self.lock_ref(version)
        res = self.network(
            "unlock",
            "push",
            "--porcelain",
            f"--force-with-lease={ref}:{sha}",
            "--end-of-options",
            self.remote,
            f":{ref}",
            check=False,
        )
        return res.ok

    # ---- journals that travel with the remote -------------------------------------------------
    # An unfinished release's journal is mirrored to refs/release/journals/<version> (a commit
    # whose tree holds journal.json) after every public step; when the release completes it moves
    # to refs/release/done/<version> in one atomic push. Another clone (a fresh CI runner) resumes
    # from it instead of skipping a version that is tagged but not published.
    JOURNALS = "refs/release/journals/"
    DONE = "refs/release/done/"

    def push_journal(self, version: str, text: str, done: bool = False) -> bool:
        """Mirror a journal to the remote (forced: the newest record wins); `done` moves it to
        refs/release/done/ and deletes the unfinished one in the same atomic push."""
        blob = self.git("hash-object", "-w", "--stdin", input=text).stdout.strip()
        tree = self.git("mktree", input=f"100644 blob {blob}\tjournal.json\n").stdout.strip()
        sha = self.git("commit-tree", tree, "-m", f"release journal {version}").stdout.strip()
        refspecs = (
            [f"+{sha}:{self.DONE}{version}", f":{self.JOURNALS}{version}"]
            if done
            else [f"+{sha}:{self.JOURNALS}{version}"]
        )
        atomic = ["--atomic"] if done else []
        res = self.network(
            "journal",
            "push",
            "-q",
            *atomic,
            "--end-of-options",
            self.remote,
            *refspecs,
            check=False,
        )
        if not res.ok and done:  # a remote without the unfinished ref: the deletion is refused
            res = self.network(
                "journal", "push", "-q", "--end-of-options", self.remote, refspecs[0], check=False
            )
        return bool(res.ok)

    def remote_journals(self, done: bool = False) -> dict[str, str]:
        """{version: sha} of the journals mirrored on the remote (unfinished, or `done` ones)."""
        prefix = self.DONE if done else self.JOURNALS
        return {ref[len(prefix) :]: sha for ref, sha in self.remote_refs(f"{prefix}*").items()}

    def read_remote_journal(self, version: str, done: bool = False) -> str | None:
        """The text of a mirrored journal (one fetch, into no ref), None when there is none."""
        ref = f"{self.DONE if done else self.JOURNALS}{version}"
        res = self.network(
            "journal",
            "fetch",
            "-q",
            "--no-tags",
            "--end-of-options",
            self.remote,
            ref,
            check=False,
        )
        if not res.ok:
            return None
        sha = self.git("rev-parse", "--verify", "-q", "FETCH_HEAD", check=False).stdout.strip()
        return self.show_file(sha, "journal.json") if sha else None

    def remotes(self) -> list[str]:
        return self.git("remote").stdout.split()

    def worktree_of(self, branch: str) -> Path | None:
        """The other worktree that has `branch` checked out (None: none, or only this one)."""
        out = self.git("worktree", "list", "--porcelain").stdout
        here = self.root.resolve()
        for block in out.split("\n\n"):
            fields = dict(line.split(" ", 1) for line in block.splitlines() if " " in line)
            path = Path(fields.get("worktree", ""))
            if fields.get("branch") == f"refs/heads/{branch}" and path.resolve() != here:
                return path
        return None

    def is_clean(self) -> bool:
        """No change to a tracked file in this checkout (untracked files do not count)."""
        return not self.git("status", "--porcelain", "--untracked-files=no").stdout.strip()

    def delete_tag(self, name: str) -> None:
        with _door():
            self.gp.delete_tag(self.gp.tags[name])

    def reset_keep(self, sha: str) -> None:
        """Move the checked-out branch to `sha`, keeping local changes (`git reset --keep`)."""
        with _door():
            self.gp.git.reset("-q", "--keep", sha)

    def delete_branch(self, name: str) -> None:
        with _door():
            if name in self.gp.heads:
                self.gp.delete_head(name, force=True)

    def cherry_pick(self, *args: str) -> None:
        """`git cherry-pick ARGS` in this worktree (e.g. `-x SHA...`, `--continue`, `--skip`)."""
        with _door():
            self.gp.git.cherry_pick(*args)

    def commit_files(self, paths: list[str], message: str) -> str:
        with _door():
            self.gp.git.add("--", *paths)
            self.gp.git.commit("-q", "-m", message, "--", *paths)
        return self.rev("HEAD") or ""

    def create_tag(self, name: str, commit: str, message: str) -> None:
        existing = self.tag_commit(name)
        if existing and existing != commit:
            raise ConflictError(
                f"tag {name} already exists at {existing[:12]}, not at {commit[:12]}",
                "tags are immutable; investigate instead of moving it",
            )
        if not existing:
            with _door():
                self.gp.create_tag(name, ref=commit, message=message)

    def push(self, *refspecs: str, atomic: bool = False) -> None:
        """Push refspecs (never forced); a refusal becomes one clear line."""
        try:
            self.network(
                "push",
                "push",
                "--porcelain",
                *(["--atomic"] if atomic else []),
                "--end-of-options",
                self.remote,
                *refspecs,
            )
        except CommandError as exc:
            detail = f"{exc.stdout}\n{exc.stderr}".strip().splitlines()
            reason = next(
                (ln for ln in detail if "rejected" in ln or "remote:" in ln or "error" in ln),
                exc.message,
            )
            behind = any(
                k in " ".join(detail) for k in ("non-fast-forward", "fetch first", "stale info")
            )
            branches = [
                r.split(":")[-1].removeprefix("refs/heads/") for r in refspecs if "heads/" in r
            ]
            hint = (
                f"{self.remote} has commits this clone does not ({', '.join(branches) or 'the branch'} "
                f"moved on there): git pull --rebase {self.remote} {branches[0] if branches else ''}"
                ", then re-run the same command"
                if behind
                else "fix the cause on the remote and re-run the same command to resume"
            )
            raise GitError(
                f"push of {' '.join(refspecs)} to {self.remote} was refused: {reason.strip()}",
                hint.replace("  ", " "),
            ) from None
