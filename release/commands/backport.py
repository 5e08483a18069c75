"""Backports: cherry-pick a merged change onto release branches, one git worktree per target.

`backport(ref, targets)` resolves REF (a merged PR number, a commit, or a range A..B) to the
commits to pick, then for each target branch `release-X.Y.x`:

1. skips it when the change is already there (the last commit is an ancestor of the target, or
   every commit's `(cherry picked from commit <sha>)` trailer is on the target: one `git log
   --grep` per target), or when an open backport PR for it exists;
2. otherwise creates `backport/<short-sha>/release-X.Y.x` from `origin/release-X.Y.x` in a worktree
   under `.git/release/backports/` (the user's checkout, index and branch are never touched),
   runs `git cherry-pick -x`, pushes the branch and opens a PR titled like the original with
   ` (backport #N)`, its body linking the original, labels copied (except `backport ...` labels,
   which would make Mergify backport the backport).

A conflict stops with the conflicting files and the worktree path; the state is kept in
`.git/release/backports/state.json` so `--continue` (after the user resolved and `git add`-ed)
finishes that target and goes on with the others, and `--abort` removes the worktree and the
branch. Nothing is pushed for a target before its cherry-pick is complete. Running the same
backport again does nothing (every target is then skipped, with the reason).

Every git command goes through `release.runner.run` as an argv list; titles, bodies and branch
names never pass through a shell.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from release.adapters.git import GitRepo
from release.adapters.runner import CommandError, run
from release.core.policy import Policy
from release.errors import ConfigError, GitError, ReleaseError, RemoteError

STATE_VERSION = 1
SHORT = 10  # hex digits of the short sha in backport branch names (fixed: names must be stable)
_TRAILER = re.compile(r"\(cherry picked from commit ([0-9a-f]{40})\)")
_PR_REF = re.compile(r"^#?([1-9]\d*)$")
_PR_SUFFIX = re.compile(r"\s*\(#([1-9]\d*)\)\s*$")
_SHA_OR_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-~^@{}]*$")


class BackportConflict(ReleaseError):
    """A cherry-pick stopped on conflicts; the worktree waits for the user."""

    exit_code = 4

    def __init__(self, message: str, hint: str, outcomes: list[Outcome] | None = None) -> None:
        super().__init__(message, hint)
        self.outcomes = list(outcomes or [])


class BackportInProgress(ReleaseError):
    exit_code = 4


# ---- data ----------------------------------------------------------------------------------


@dataclass
class Source:
    """What is backported: the commits (oldest first) and how to present them."""

    ref: str
    commits: list[str]
    anchor: str  # the sha named in branch names (merge/squash commit, single commit, range end)
    title: str  # the original title, without any "(#N)" suffix
    subjects: list[str] = field(default_factory=list)
    pr: int | None = None
    url: str = ""
    labels: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.anchor[:SHORT]

    def branch_for(self, target: str) -> str:
        return f"backport/{self.short}/{target}"

    def pr_title(self) -> str:
        title = " ".join(self.title.split())  # one line, whatever the original held
        if self.pr:
            return f"{title} (backport #{self.pr})"
        return f"{title} (backport of {self.short})"

    def pr_body(self, target: str) -> str:
        what = f"#{self.pr}" if self.pr else f"`{self.ref}`"
        lines = [f"Backport of {what} to `{target}`."]
        if self.url:
            lines += ["", f"Original: {self.url}"]
        lines += ["", "Commits (cherry-picked with `git cherry-pick -x`):"]
        for sha, subject in zip(
            self.commits, self.subjects or [""] * len(self.commits), strict=False
        ):
            lines.append(f"- {sha[:12]} {subject}".rstrip())
        lines += ["", "Opened by `invoke release.backport`."]
        return "\n".join(lines)

    def copied_labels(self) -> list[str]:
        return [lb for lb in self.labels if not lb.lower().startswith("backport")]


@dataclass
class Outcome:
    """What happened for one target branch."""

    target: str
    status: str  # opened | pushed | skipped | conflict
    detail: str
    branch: str = ""
    pr_url: str = ""
    pr_number: int | None = None


# ---- GitHub side -----------------------------------------------------------------------------


@dataclass
class PullInfo:
    number: int
    title: str
    merged: bool
    merge_commit_sha: str | None
    html_url: str
    labels: list[str]
    commits: int | None = None
    head_ref: str = ""
    base_ref: str = ""


class PullRequests:
    """The few pull-request calls a backport needs, over the GitHub adapter (`release.github`,
    which brings bounded retries, the scope check before writes and token redaction)."""

    def __init__(self, policy: Policy) -> None:
        from release.adapters.github import GitHub

        self.gh = GitHub.from_policy(policy)
        self._pulls = f"/repos/{policy.github_repo}/pulls"

    @staticmethod
    def _info(d: dict[str, Any]) -> PullInfo:
        commits = d.get("commits")
        return PullInfo(
            number=int(d["number"]),
            title=d.get("title") or "",
            merged=bool(d.get("merged")),
            merge_commit_sha=d.get("merge_commit_sha"),
            html_url=d.get("html_url") or "",
            labels=[lb["name"] for lb in d.get("labels") or []],
            commits=commits if isinstance(commits, int) else None,
            head_ref=(d.get("head") or {}).get("ref", ""),
            base_ref=(d.get("base") or {}).get("ref", ""),
        )

    def get(self, number: int) -> PullInfo | None:
        d = self.gh.get_pull(number)
        return self._info(d) if d else None

    def open_for_base(self, base: str, head: str) -> list[PullInfo]:
        """Open PRs into `base` (one page: backports made by hand or by Mergify are found by
        title); past 100 of them, the exact head is asked for too."""
        found = (
            self.gh.get_json(
                f"open pull requests into {base}",
                self._pulls,
                {"state": "open", "base": base, "per_page": 100},
            )
            or []
        )
        if len(found) >= 100:
            found = list(found) + self.gh.open_pulls(head, base)
        return [self._info(d) for d in found]

    def create(self, base: str, head: str, title: str, body: str, labels: list[str]) -> PullInfo:
        return self._info(self.gh.create_pull(title, body, head, base, labels))


def github_token(env: dict[str, str] | None = None) -> str:
    e = os.environ if env is None else env
    return e.get("GITHUB_TOKEN") or e.get("GH_TOKEN") or ""


def pull_requests(policy: Policy) -> PullRequests | None:
    """The PR adapter, or None when no GitHub repository is configured or no token is set."""
    if not policy.github_repo or not github_token():
        return None
    return PullRequests(policy)


# ---- git helpers ---------------------------------------------------------------------------


def _env() -> dict[str, str]:
    # GIT_EDITOR=true: cherry-pick --continue must never open an editor.
    return {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_EDITOR": "true"}


def _git(cwd: Path, *args: str, check: bool = True):
    return run(["git", *args], cwd=cwd, env=_env(), check=check)


def common_dir(root: Path) -> Path:
    out = _git(root, "rev-parse", "--git-common-dir").stdout.strip()
    p = Path(out)
    return (p if p.is_absolute() else root / p).resolve()


def _rev(root: Path, ref: str) -> str | None:
    res = _git(
        root, "rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}", check=False
    )
    return res.stdout.strip() if res.ok else None


def _subjects(root: Path, shas: list[str]) -> list[str]:
    if not shas:
        return []
    out = _git(root, "show", "-s", "--format=%H %s", *shas).stdout
    by = {}
    for ln in out.splitlines():
        sha, _, subj = ln.partition(" ")
        by[sha] = subj
    return [by.get(s, "") for s in shas]


def _parents(root: Path, sha: str) -> list[str]:
    return _git(root, "rev-list", "--parents", "-n", "1", sha).stdout.split()[1:]


def _unmerged(wt: Path) -> list[str]:
    res = _git(wt, "diff", "--name-only", "--diff-filter=U", check=False)
    return sorted({f for f in res.stdout.splitlines() if f})


def _git_path(wt: Path, name: str) -> Path:
    p = Path(_git(wt, "rev-parse", "--git-path", name).stdout.strip())
    return p if p.is_absolute() else wt / p


def _picking(wt: Path) -> bool:
    return _git_path(wt, "CHERRY_PICK_HEAD").exists() or _git_path(wt, "sequencer").exists()


# ---- the state file ------------------------------------------------------------------------


class StateFile:
    def __init__(self, git_common: Path) -> None:
        self.dir = git_common / "release" / "backports"
        self.path = self.dir / "state.json"

    def load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            raise ConfigError(
                f"{self.path} is unreadable", "inspect it, or run `invoke release.backport --abort`"
            ) from None
        return data if isinstance(data, dict) else None

    def save(self, data: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


# ---- the backporter ------------------------------------------------------------------------


class Backporter:
    def __init__(
        self,
        root: Path,
        policy: Policy,
        tags: Any,
        prs: PullRequests | None,
        force: bool = False,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root
        self.policy = policy
        self.tags = tags
        self.prs = prs
        self.force = force
        self.remote = policy.remote
        self.repo = GitRepo(root, policy.remote)
        self.common = common_dir(root)
        self.state = StateFile(self.common)
        self.say = say or (lambda _msg: None)

    # ---- targets ---------------------------------------------------------------------
    def normalize_target(self, text: str) -> str:
        from release.core.lines import target_support
        from release.core.version import line_str

        raw = text.strip()
        if not raw or raw.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in raw):
            raise ConfigError(f"{text!r} is not a branch name", "pass --to release-X.Y.x")
        line = self.policy.line_of_branch(raw)
        if line is None and re.fullmatch(r"\d+\.\d+", raw):
            line = tuple(int(x) for x in raw.split("."))  # type: ignore[assignment]
            raw = self.policy.branch_for(line)  # type: ignore[arg-type]
        if line is None:
            if not self.force:
                raise ConfigError(
                    f"{raw} is not a release branch ({self.policy.branch_pattern})",
                    "pass --to release-X.Y.x, or --force to backport to another branch",
                )
            if not _git(self.root, "check-ref-format", "--branch", raw, check=False).ok:
                raise ConfigError(f"{raw!r} is not a valid branch name", "pass --to release-X.Y.x")
            return raw
        ok, reason = target_support(self.tags, self.policy, line)
        if not ok and not self.force:
            raise ConfigError(
                f"cannot backport to {raw}: {reason}",
                f"pass --force to backport to line {line_str(line)} anyway",
            )
        return raw

    # ---- the source ------------------------------------------------------------------
    def resolve(self, ref: str) -> Source:
        ref = ref.strip()
        m = _PR_REF.match(ref)
        if m:
            return self._from_pr(int(m.group(1)), ref)
        if not _SHA_OR_REF.match(ref.replace("..", "")) or ref.startswith("-"):
            raise ConfigError(
                f"{ref!r} is not a PR number, a commit or a range A..B",
                "pass e.g. 1234, 3f2a9c1 or 3f2a9c1..8e0d4b2",
            )
        if ".." in ref:
            return self._from_range(ref)
        sha = _rev(self.root, ref)
        if sha is None:
            self._fetch([self.policy.main_branch])
            sha = _rev(self.root, ref)
        if sha is None:
            raise GitError(
                f"commit {ref} is not in this repository",
                f"fetch it (git fetch {self.remote}) or check the sha",
            )
        return self._from_commit(sha, ref)

    def _commits_of(self, sha: str, count: int | None = None) -> list[str]:
        parents = _parents(self.root, sha)
        if len(parents) > 1:  # a true merge: the commits it brought in
            out = _git(
                self.root, "rev-list", "--reverse", "--no-merges", f"{parents[0]}..{sha}"
            ).stdout
            return out.split()
        if count and count > 1:  # a rebase merge: the last `count` commits up to the merge sha
            out = _git(
                self.root, "rev-list", "--reverse", "--no-merges", "-n", str(count), sha
            ).stdout
            return out.split()
        return [sha]

    def _from_commit(self, sha: str, ref: str) -> Source:
        commits = self._commits_of(sha)
        subject = _subjects(self.root, [sha])[0]
        src = Source(
            ref=ref,
            commits=commits,
            anchor=sha,
            title=subject,
            subjects=_subjects(self.root, commits),
        )
        m = _PR_SUFFIX.search(subject)
        if m:  # a squash merge names its PR: "fix: x (#123)"
            src.pr = int(m.group(1))
            src.title = _PR_SUFFIX.sub("", subject)
            if self.prs is not None:
                info = self.prs.get(src.pr)
                if info is not None and info.merge_commit_sha == sha:
                    src.url, src.labels, src.title = (
                        info.html_url,
                        info.labels,
                        info.title or src.title,
                    )
        return src

    def _from_range(self, ref: str) -> Source:
        a, _, b = ref.partition("..")
        if not a or not b or b.startswith("."):
            raise ConfigError(f"{ref!r} is not a range", "write it A..B (A excluded, B included)")
        sa, sb = _rev(self.root, a), _rev(self.root, b)
        if sa is None or sb is None:
            self._fetch([self.policy.main_branch])
            sa, sb = _rev(self.root, a), _rev(self.root, b)
        if sa is None or sb is None:
            raise GitError(
                f"range {ref}: {a if sa is None else b} is not in this repository",
                f"fetch it (git fetch {self.remote}) or check the sha",
            )
        commits = _git(
            self.root, "rev-list", "--reverse", "--no-merges", f"{sa}..{sb}"
        ).stdout.split()
        if not commits:
            raise ConfigError(
                f"range {ref} holds no commit", "A must be an ancestor of B (A..B excludes A)"
            )
        subjects = _subjects(self.root, commits)
        title = subjects[-1] if len(commits) == 1 else f"{subjects[-1]} and {len(commits) - 1} more"
        return Source(
            ref=ref, commits=commits, anchor=sb, title=_PR_SUFFIX.sub("", title), subjects=subjects
        )

    def _from_pr(self, number: int, ref: str) -> Source:
        if not self.policy.github_repo:
            raise ConfigError(
                f"{ref} is a pull request number but [tool.release].github_repo is not set",
                "pass the merge commit sha instead",
            )
        if self.prs is None:
            raise ConfigError(
                f"{ref} is a pull request number and no GitHub token is set",
                "export GITHUB_TOKEN (or GH_TOKEN), or pass the merge commit sha",
            )
        info = self.prs.get(number)
        if info is None:
            raise RemoteError(
                f"pull request #{number} does not exist in {self.policy.github_repo}",
                "check the number",
            )
        if not info.merged or not info.merge_commit_sha:
            raise ReleaseError(
                f"pull request #{number} is not merged", "backport it once it is merged"
            )
        sha = _rev(self.root, info.merge_commit_sha)
        if sha is None:
            self._fetch([info.base_ref or self.policy.main_branch])
            sha = _rev(self.root, info.merge_commit_sha)
        if sha is None:
            raise GitError(
                f"the merge commit {info.merge_commit_sha[:12]} of #{number} is not in this repository",
                f"fetch it (git fetch {self.remote} {info.base_ref or self.policy.main_branch})",
            )
        commits = self._commits_of(sha, info.commits)
        return Source(
            ref=ref,
            commits=commits,
            anchor=sha,
            title=info.title,
            subjects=_subjects(self.root, commits),
            pr=number,
            url=info.html_url,
            labels=info.labels,
        )

    # ---- remote ----------------------------------------------------------------------
    def _fetch(self, branches: list[str]) -> None:
        specs = [f"+refs/heads/{b}:refs/remotes/{self.remote}/{b}" for b in branches]
        if specs:
            res = _git(self.root, "fetch", "-q", "--no-tags", self.remote, *specs, check=False)
            if not res.ok:
                missing = [b for b in branches if b not in self._remote_heads(branches)]
                if missing:
                    raise GitError(
                        f"{', '.join(missing)} does not exist on {self.remote}",
                        "create the release branch first, or check --to",
                    )
                last = (res.stderr.strip().splitlines() or ["no output"])[-1]
                raise GitError(
                    f"fetch from {self.remote} failed: {last}", "check the remote and retry"
                )

    def _remote_heads(self, branches: list[str]) -> dict[str, str]:
        res = _git(
            self.root, "ls-remote", "--heads", self.remote, *[f"refs/heads/{b}" for b in branches]
        )
        out = {}
        for line in res.stdout.splitlines():
            sha, _, ref = line.partition("\t")
            out[ref.removeprefix("refs/heads/")] = sha
        return out

    # ---- per target ------------------------------------------------------------------
    def _already(self, src: Source, target: str) -> str | None:
        """Why `target` needs nothing (one ancestry check and one `git log --grep`), or None."""
        tref = f"refs/remotes/{self.remote}/{target}"
        if _git(self.root, "merge-base", "--is-ancestor", src.commits[-1], tref, check=False).ok:
            return f"{src.short} is already in {target}"
        out = _git(
            self.root,
            "log",
            "--format=%B",
            "--grep=cherry picked from commit",
            "-F",
            tref,
            *[f"^{c}" for c in src.commits],
        ).stdout
        picked = set(_TRAILER.findall(out))
        if all(c in picked for c in src.commits):
            return f"already backported to {target} (cherry-pick trailer found)"
        return None

    def _open_pr(self, src: Source, target: str, branch: str) -> PullInfo | None:
        if self.prs is None:
            return None
        for p in self.prs.open_for_base(target, branch):
            if p.head_ref == branch or (
                src.pr and p.title.rstrip().endswith(f"(backport #{src.pr})")
            ):
                return p
        return None

    def worktree_path(self, branch: str) -> Path:
        return self.state.dir / branch

    def run_target(self, src: Source, target: str, remote_heads: dict[str, str]) -> Outcome:
        branch = src.branch_for(target)
        why = self._already(src, target)
        if why:
            return Outcome(target, "skipped", why, branch)
        existing = self._open_pr(src, target, branch)
        if existing:
            return Outcome(
                target,
                "skipped",
                f"open backport PR #{existing.number} exists",
                existing.head_ref,
                existing.html_url,
                existing.number,
            )
        if branch in remote_heads:  # pushed by an earlier run that stopped before the PR
            return self._open(src, target, branch, resumed=True)
        wt = self.worktree_path(branch)
        self._fresh_worktree(wt, branch, target)
        self._save(src, target, branch, wt)
        self._pick(wt, src.commits, target, branch)
        return self._finish(src, target, branch, wt)

    def _fresh_worktree(self, wt: Path, branch: str, target: str) -> None:
        self.repo.worktree_remove(wt)  # left over by a run that died before saving its state
        wt.parent.mkdir(parents=True, exist_ok=True)
        self.repo.worktree_add(wt, f"refs/remotes/{self.remote}/{target}", branch=branch)

    def _pick(
        self, wt: Path, commits: list[str], target: str, branch: str, cont: bool = False
    ) -> None:
        args = ["--continue"] if cont else ["-x", *commits]
        picker = GitRepo(wt, self.remote)
        while True:
            try:
                picker.cherry_pick(*args)
                return
            except CommandError as exc:
                files = _unmerged(wt)
                if files:
                    raise BackportConflict(
                        f"cherry-pick onto {target} conflicts in {', '.join(files)}; worktree: {wt}",
                        f"resolve the files there, `git -C {wt} add` them, then run "
                        "`invoke release.backport --continue` (or `--abort`)",
                    ) from None
                staged = _git(wt, "diff", "--cached", "--quiet", check=False).ok
                if _picking(wt) and staged:  # the change is already on the target: an empty pick
                    args = ["--skip"]
                    continue
                raise GitError(
                    f"cherry-pick onto {target} failed: {exc.message}",
                    f"inspect the worktree {wt}, then --continue or --abort",
                ) from None

    def _finish(self, src: Source, target: str, branch: str, wt: Path) -> Outcome:
        head = _rev(wt, "HEAD")
        base = _rev(self.root, f"refs/remotes/{self.remote}/{target}")
        if head == base:
            self._remove_worktree(wt, branch)
            return Outcome(
                target,
                "skipped",
                f"the changes of {src.short} are already in {target} (every cherry-pick was empty)",
                branch,
            )
        # Pushed from the main checkout: the branch ref is shared, and a relative remote URL
        # ("../origin.git") would resolve against the worktree's directory.
        self.repo.push(f"refs/heads/{branch}:refs/heads/{branch}")
        outcome = self._open(src, target, branch)
        self._remove_worktree(wt, branch)
        return outcome

    def _open(self, src: Source, target: str, branch: str, resumed: bool = False) -> Outcome:
        again = " (pushed earlier)" if resumed else ""
        status, did = (
            ("skipped", f"{branch} is already on {self.remote}")
            if resumed
            else ("pushed", f"pushed {branch}")
        )
        if not self.policy.github_repo:
            return Outcome(
                target, status, f"{did}; no [tool.release].github_repo, so no PR is opened", branch
            )
        if self.prs is None:
            return Outcome(
                target,
                status,
                f"{did}; GITHUB_TOKEN is not set, so no PR was opened "
                "(re-run with a token to open it)",
                branch,
            )
        pr = self.prs.create(
            target, branch, src.pr_title(), src.pr_body(target), src.copied_labels()
        )
        return Outcome(
            target, "opened", f"opened PR #{pr.number}{again}", branch, pr.html_url, pr.number
        )

    def _remove_worktree(self, wt: Path, branch: str) -> None:
        self.repo.worktree_remove(wt)
        self.repo.delete_branch(branch)
        parent = wt.parent
        while parent != self.state.dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    # ---- state -----------------------------------------------------------------------
    def _save(self, src: Source, target: str, branch: str, wt: Path) -> None:
        data = self.state.load() or {}
        data.update(
            {
                "version": STATE_VERSION,
                "source": asdict(src),
                "current": {"target": target, "branch": branch, "worktree": str(wt)},
            }
        )
        self.state.save(data)

    def _begin(self, src: Source, targets: list[str]) -> None:
        self.state.save(
            {
                "version": STATE_VERSION,
                "source": asdict(src),
                "pending": list(targets),
                "current": None,
                "done": [],
            }
        )

    def _advance(self, outcome: Outcome) -> None:
        data = self.state.load() or {}
        data["pending"] = [t for t in data.get("pending", []) if t != outcome.target]
        data["current"] = None
        data.setdefault("done", []).append(asdict(outcome))
        self.state.save(data)

    # ---- the flows -------------------------------------------------------------------
    def start(self, ref: str, targets: list[str]) -> list[Outcome]:
        current = self.state.load()
        if current:
            cur = current.get("current") or {}
            raise BackportInProgress(
                f"a backport of {current.get('source', {}).get('ref', '?')} is in progress"
                + (f" (worktree {cur.get('worktree')})" if cur else ""),
                "finish it with `invoke release.backport --continue` or drop it with `--abort`",
            )
        if not targets:
            raise ConfigError(
                "no target branch", "pass --to release-X.Y.x (repeat --to for several)"
            )
        names: list[str] = []
        for t in targets:
            n = self.normalize_target(t)
            if n not in names:
                names.append(n)
        heads = self._remote_heads([self.policy.main_branch, *names])
        missing = [n for n in names if n not in heads]
        if missing:
            raise GitError(
                f"{', '.join(missing)} does not exist on {self.remote}",
                "create the release branch first, or check --to",
            )
        self._fetch([b for b in [self.policy.main_branch, *names] if b in heads])
        src = self.resolve(ref)
        bp_heads = self._remote_heads([src.branch_for(n) for n in names])
        self._begin(src, names)
        return self._run(src, names, bp_heads, [])

    def _run(
        self, src: Source, targets: list[str], bp_heads: dict[str, str], done: list[Outcome]
    ) -> list[Outcome]:
        outcomes = list(done)
        for target in targets:
            try:
                outcome = self.run_target(src, target, bp_heads)
            except BackportConflict as exc:
                exc.outcomes = [
                    *outcomes,
                    Outcome(target, "conflict", exc.message, src.branch_for(target)),
                ]
                raise
            except ReleaseError as exc:
                kept = (
                    "the backport state is kept: fix the cause, then `invoke release.backport --continue` "
                    "(or `--abort`)"
                )
                exc.hint = f"{exc.hint}; {kept}" if exc.hint and "re-run" not in exc.hint else kept
                raise
            self.say(f"{target}: {outcome.detail}")
            self._advance(outcome)
            outcomes.append(outcome)
        self.state.clear()
        return outcomes

    def resume(self) -> list[Outcome]:
        data = self.state.load()
        if not data:
            raise ReleaseError(
                "no backport is in progress",
                "start one with `invoke release.backport REF --to ...`",
            )
        src = Source(**data["source"])
        done = [Outcome(**o) for o in data.get("done", [])]
        pending = list(data.get("pending", []))
        cur = data.get("current")
        if cur:
            target, branch, wt = cur["target"], cur["branch"], Path(cur["worktree"])
            if wt.exists():
                files = _unmerged(wt)
                if files:
                    raise BackportConflict(
                        f"{target}: unresolved conflicts remain in {', '.join(files)}; worktree: {wt}",
                        f"resolve them, `git -C {wt} add` them, then `invoke release.backport --continue`",
                        [*done, Outcome(target, "conflict", "unresolved", branch)],
                    )
                picking = _picking(wt)
                if not picking and _rev(wt, "HEAD") == _rev(
                    self.root, f"refs/remotes/{self.remote}/{target}"
                ):
                    raise ReleaseError(
                        f"{target}: the cherry-pick in {wt} was aborted by hand (nothing is picked)",
                        "run `invoke release.backport --abort`, then start the backport again",
                    )
                try:
                    if picking:
                        self._pick(wt, src.commits, target, branch, cont=True)
                except BackportConflict as exc:
                    exc.outcomes = [*done, Outcome(target, "conflict", exc.message, branch)]
                    raise
                outcome = self._finish(src, target, branch, wt)
                self.say(f"{target}: {outcome.detail}")
                self._advance(outcome)
                done.append(outcome)
                pending = [t for t in pending if t != target]
        if pending:
            self._fetch(pending)
        bp_heads = self._remote_heads([src.branch_for(t) for t in pending]) if pending else {}
        return self._run(src, pending, bp_heads, done)

    def abort(self) -> list[str]:
        data = self.state.load()
        if not data:
            raise ReleaseError("no backport is in progress", "nothing to abort")
        said = []
        cur = data.get("current")
        if cur:
            wt, branch = Path(cur["worktree"]), cur["branch"]
            if wt.exists():
                with suppress(ReleaseError):  # nothing to abort
                    GitRepo(wt, self.remote).cherry_pick("--abort")
            self._remove_worktree(wt, branch)
            said.append(f"removed worktree {wt} and branch {branch}")
        for o in data.get("done", []):
            if o.get("status") in ("opened", "pushed"):
                said.append(f"kept {o['target']}: {o['detail']}")
        pending = [t for t in data.get("pending", []) if not cur or t != cur.get("target")]
        if pending:
            said.append(f"not started: {', '.join(pending)}")
        self.state.clear()
        return said


# ---- entry points (used by release/tasks_lines.py) -----------------------------------------


def _backporter(
    path: str,
    config: str | None,
    force: bool,
    say: Callable[[str], None] | None,
    table: dict[str, Any] | None = None,
) -> Backporter:
    from release.session import open_session

    s = open_session(path, config, table=table)
    return Backporter(
        s.root, s.policy, s.state.tagset, pull_requests(s.policy), force=force, say=say
    )


def backport(
    ref: str,
    targets: list[str],
    *,
    path: str = ".",
    config: str | None = None,
    force: bool = False,
    say: Callable[[str], None] | None = None,
    table: dict[str, Any] | None = None,
) -> list[Outcome]:
    """Backport REF to each target branch (see the module docstring); `table`: the policy of a
    train member given inline by the train."""
    return _backporter(path, config, force, say, table).start(ref, targets)


def continue_backport(
    *,
    path: str = ".",
    config: str | None = None,
    say: Callable[[str], None] | None = None,
    table: dict[str, Any] | None = None,
) -> list[Outcome]:
    return _backporter(path, config, False, say, table).resume()


def abort_backport(
    *, path: str = ".", config: str | None = None, table: dict[str, Any] | None = None
) -> list[str]:
    return _backporter(path, config, False, None, table).abort()
