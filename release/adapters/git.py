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

import gc
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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Make many small objects (a TagInfo and a Version per tag, in no cycle) without the cyclic
    GC walking them: with 10,000 tags it otherwise runs a full collection and rescans the new
    objects as they age (~20 ms of a 0.3 s `release.status`; with 1,000 tags, nothing). On the
    way out they go straight to the oldest generation (`freeze` + `unfreeze`: two list splices,
    nothing scanned) and the collector is back as the caller had it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():  # never thaw what a caller froze on purpose
            gc.freeze()
            gc.unfreeze()
        gc.enable()


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
            with _gc_paused():
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

    # The refs alone (no object is read for them); what each tag object says (the commit an
    # annotated tag points at, its date) comes from the cache of tag facts, and git is asked
    # only for the tags it has not seen: those facts never change for a given object id.
    fmt = _SEP.join(["%(refname)", "%(objectname)", "%(upstream:short)"])
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
    tag_refs: list[tuple[str, str]] = []
    with _gc_paused():  # one pass over the one listing: no git call per tag
        for line in out.splitlines():
            parts = line.split(_SEP)
            if len(parts) < 3:
                continue
            ref, oid, upstream = parts[:3]
            if ref.startswith("refs/tags/"):
                tag_refs.append((ref[len("refs/tags/") :], oid))
            elif ref.startswith("refs/heads/"):
                name = ref[len("refs/heads/") :]
                state.branches[name] = oid
                if name == branch and upstream:
                    state.upstream = upstream
            elif ref.startswith(rprefix):
                name = ref[len(rprefix) :]
                if name != "HEAD":
                    state.remote_branches[name] = oid
        facts = tag_facts(root, state.git_dir, tag_refs)
        for name, oid in tag_refs:
            commit, date = facts.get(oid, (oid, 0))
            state.tag_objects[name] = oid
            state.tags.append(classify_tag(name, tag_prefix, date, commit))
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


TAG_FACTS = "release/cache/tag-facts"  # in the common git dir: "oid commit date" per line


def tag_facts(root: Path, git_dir: Path, tags: list[tuple[str, str]]) -> dict[str, tuple[str, int]]:
    """{tag object id: (the commit it points at, its date)} for `tags` (name, object id): read
    from the cache, and from git (one for-each-ref) for the objects the cache has not seen, which
    are then added. A tag object's target and date never change, so the cache is never stale;
    an unreadable or unwritable cache only costs the git call."""
    path = Path(git_dir) / TAG_FACTS
    known: dict[str, tuple[str, int]] = {}
    try:
        for line in path.read_text(encoding="ascii").splitlines():
            oid, commit, date = line.split(" ")
            known[oid] = (commit, int(date))
    except (OSError, ValueError, UnicodeDecodeError):
        known = {}
    missing = [(name, oid) for name, oid in tags if oid not in known]
    if not missing:
        return known
    fmt = _SEP.join(["%(objectname)", "%(object)", "%(creatordate:unix)"])
    refs = ["refs/tags"] if len(missing) > 200 else [f"refs/tags/{name}" for name, _ in missing]
    res = _git(root, "for-each-ref", f"--format={fmt}", *refs, check=False)
    for line in res.stdout.splitlines():
        parts = line.split(_SEP)
        if len(parts) == 3:
            oid, tagged, date = parts
            # `%(object)`: what an annotated tag points at (empty for a lightweight tag, whose
            # object is the commit); `%(*objectname)` would make git look the commit up too
            known[oid] = (tagged or oid, int(date or 0))
    current = {oid for _, oid in tags}
    keep = {oid: f for oid, f in known.items() if oid in current}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}")
        tmp.write_text("".join(f"{o} {c} {d}\n" for o, (c, d) in keep.items()), encoding="ascii")
        tmp.replace(path)
    except OSError:
        pass
    return known


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

    # ---- a commit on another branch, without a checkout ------------------------------------------
    def fetch_branch(self, branch: str) -> str | None:
        """Fetch `branch` from the remote into its remote-tracking ref; its sha, or None when
        the remote has no such branch."""
        spec = f"+refs/heads/{branch}:refs/remotes/{self.remote}/{branch}"
        res = self.network(
            "fetch", "fetch", "-q", "--no-tags", "--end-of-options", self.remote, spec, check=False
        )
        if not res.ok:
            said = (res.stderr + res.stdout).strip()
            if "couldn't find remote ref" in said.lower():
                return None
            last = said.splitlines()[-1] if said else f"exit {res.returncode}"
            raise RemoteError(
                redact(f"fetch of {branch} from {self.remote} failed: {last}"),
                "check the remote and re-run the same command",
            )
        return self.rev(f"refs/remotes/{self.remote}/{branch}")

    def commit_file(self, base: str | None, path: str, text: str, message: str) -> str:
        """A commit on top of `base` (None: a first commit) that changes one file to `text`,
        made with git plumbing in a private index: no checkout, no branch, no working tree is
        touched. Its sha."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="release-index-") as tmp:
            env = {**GIT_ENV, "GIT_INDEX_FILE": str(Path(tmp) / "index")}

            def git(*args: str, input: str | None = None) -> str:
                return run(["git", *args], cwd=self.root, env=env, input=input).stdout.strip()

            mode = "100644"
            if base:
                git("read-tree", base)
                listed = git("ls-tree", base, "--", path).split()
                if listed and listed[0] in ("100644", "100755"):
                    mode = listed[0]
            blob = git("hash-object", "-w", "--stdin", input=text)
            git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}")
            tree = git("write-tree")
            parents = ["-p", base] if base else []
            return git("commit-tree", tree, *parents, "-m", message)

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
            err = GitError(
                f"push of {' '.join(refspecs)} to {self.remote} was refused: {reason.strip()}",
                hint.replace("  ", " "),
            )
            err.behind = behind
            raise err from None

    def worktrees(self) -> list[tuple[Path, bool]]:
        """Every worktree of the repository as (path, stale): stale when git lists it as
        `prunable` (its directory is gone); the main worktree comes first."""
        out = self.git("worktree", "list", "--porcelain").stdout
        found = []
        for block in out.split("\n\n"):
            lines = block.splitlines()
            path = next((ln[len("worktree ") :] for ln in lines if ln.startswith("worktree ")), "")
            if path:
                found.append((Path(path), any(ln.startswith("prunable") for ln in lines)))
        return found

    # ---- signed tags ---------------------------------------------------------------------
    def path_config(self, key: str) -> str:
        """A path-valued config entry, `~` expanded as git does (`config --path`); '' if unset."""
        res = self.git("config", "--path", "--get", key, check=False)
        return res.stdout.strip() if res.ok else ""

    def signing_setup(self, mode: str) -> dict[str, Any]:
        """What git would sign a tag with (`mode`: ssh | gpg), as facts for the signing gate:
        `key` (user.signingkey); for ssh whether that key is a file that exists (a literal
        `key::`/`ssh-...` key lives in the agent: no file to check) and the allowed signers
        file `git verify-tag` needs (gpg.ssh.allowedSignersFile) and whether it exists."""
        key = self.config("user.signingkey")
        out: dict[str, Any] = {"mode": mode, "key": key}
        if mode != "ssh":
            return out
        literal = key.startswith(("key::", "ssh-", "ecdsa-", "sk-"))
        path = Path(key).expanduser() if key and not literal else None
        if path is not None and not path.is_absolute():
            path = self.root / path
        out["key_file"] = str(path or "")
        out["key_file_exists"] = bool(literal or (path is not None and path.is_file()))
        allowed = self.path_config("gpg.ssh.allowedSignersFile")
        allowed_path = Path(allowed) if allowed else None
        if allowed_path is not None and not allowed_path.is_absolute():
            allowed_path = self.root / allowed_path
        out["allowed_signers"] = allowed
        out["allowed_signers_exists"] = bool(allowed_path and allowed_path.is_file())
        return out

    def create_signed_tag(self, name: str, commit: str, message: str, mode: str) -> None:
        """`git tag -s` with the user's signing setup (`gpg.format` = ssh or openpgp for this
        one command); an existing tag at another commit is a conflict, as for `create_tag`."""
        existing = self.tag_commit(name)
        if existing and existing != commit:
            raise ConflictError(
                f"tag {name} already exists at {existing[:12]}, not at {commit[:12]}",
                "tags are immutable; investigate instead of moving it",
            )
        if not existing:
            fmt = "ssh" if mode == "ssh" else "openpgp"
            with _door():
                self.gp.git(c=f"gpg.format={fmt}").tag("-s", "-m", message, name, commit)

    def verify_tag(self, name: str) -> tuple[bool, str]:
        """`git verify-tag NAME` (a tag name or a tag object id): (good, the line git said: who
        signed with which key, or why not)."""
        res = self.git("verify-tag", "--end-of-options", name, check=False)
        lines = [ln.strip() for ln in (res.stderr + "\n" + res.stdout).splitlines() if ln.strip()]
        good = next((ln for ln in lines if "Good" in ln and "signature" in ln), "")
        if res.ok:
            return True, good or (lines[0] if lines else "signature verified")
        bad = [ln for ln in lines if not ln.startswith("object ") and "BEGIN" not in ln]
        return False, (bad[-1] if bad else f"git verify-tag exited {res.returncode}")[:200]

    def verify_remote_tag(self, name: str) -> tuple[bool, str]:
        """Verify the signature of the tag the remote has, fetched afresh: the tag object's id
        from `ls-remote`, the object itself by `fetch` (no ref written, not even FETCH_HEAD),
        then its name and `git verify-tag`. A remote that does not answer raises RemoteError."""
        ref = f"refs/tags/{name}"
        res = self.network("ls-remote", "ls-remote", "--end-of-options", self.remote, ref)
        oid = next(
            (ln.split("\t")[0] for ln in res.stdout.splitlines() if ln.endswith(f"\t{ref}")), ""
        )
        if not oid:
            return False, f"{self.remote} has no {ref}"
        self.network(
            "fetch",
            "fetch",
            "-q",
            "--no-tags",
            "--no-write-fetch-head",
            "--end-of-options",
            self.remote,
            ref,
        )
        kind = self.git("cat-file", "-t", oid, check=False).stdout.strip()
        if kind != "tag":
            return (
                False,
                f"{ref} on {self.remote} is a {kind or 'missing'} object, not a signed tag",
            )
        header = self.git("cat-file", "tag", oid).stdout.split("\n\n", 1)[0].splitlines()
        if f"tag {name}" not in header:
            return False, f"{ref} on {self.remote} is a tag object of another name"
        return self.verify_tag(oid)

    # ---- read-only checks (release.doctor) ---------------------------------------------------
    def push_dry_run(self, sha: str, ref: str) -> Any:
        """`git push --dry-run` of `sha` to `ref` on the remote (check=False): it connects,
        authenticates as a push and computes what it would send; nothing is sent, nothing
        changes on the remote or here. Bounded by `network_timeout()` (RemoteError)."""
        return self.network(
            "push --dry-run",
            "push",
            "--dry-run",
            "--porcelain",
            "--end-of-options",
            self.remote,
            f"{sha}:{ref}",
            check=False,
        )
