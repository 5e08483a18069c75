"""The git steps of every release: branch, release commit, annotated tag, push.

Each probes the real repository and origin first. The release commit is made in a detached
worktree under .git/release/work/, so the user's checkout is never half-written: a run killed at
any moment leaves either no commit or a whole one on the branch.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from release.adapters.files import contained, write_version
from release.adapters.git import GitRepo
from release.core.plan import allowed_promotion_files, lock_dirs, version_file_paths
from release.core.versionfiles import DYNAMIC, holds, render_file, rendering, version_in_text
from release.engine import BaseStep, Probe
from release.errors import ConflictError, GitError, ReleaseError
from release.world import World


def changelog_mentions(text: str | None, version: str) -> bool:
    if not text:
        return False
    return re.search(rf"^##\s*\[?v?{re.escape(version)}\]?(\s|$)", text, re.M) is not None


class BranchStep(BaseStep):
    """Create release-X.Y.x at the base commit (minor/major)."""

    name = "git:branch"

    def __init__(self, branch: str, base: str) -> None:
        self.branch = branch
        self.base = base
        self.text = f"Create branch {branch} at {base[:12]}"

    def probe(self, world: World) -> Probe:
        sha = world.repo.rev(f"refs/heads/{self.branch}")
        if sha is None:
            return Probe.no()
        if sha == self.base or world.repo.is_ancestor(self.base, sha):
            return Probe.yes(
                f"{self.branch} exists at {sha[:12]}", branch=self.branch, base=self.base
            )
        return Probe.clash(
            f"branch {self.branch} already exists at {sha[:12]}, which does not contain {self.base[:12]}"
        )

    def apply(self, world: World) -> dict[str, Any]:
        # A clone resuming a release another clone pushed: the branch is origin's, which holds
        # the release commit on top of the base; starting it at the base would fork it.
        tracked = world.repo.rev(f"refs/remotes/{world.policy.remote}/{self.branch}")
        start = (
            tracked
            if tracked and (tracked == self.base or world.repo.is_ancestor(self.base, tracked))
            else self.base
        )
        world.repo.create_branch(self.branch, start)
        return {"branch": self.branch, "base": self.base}


class CommitStep(BaseStep):
    """Write the version files and CHANGELOG.md for the release and commit them on the branch."""

    name = "git:commit"
    verify_when_done = True  # a final's promotion proof is checked again on every run

    def __init__(self, branch: str, promote_from: str | None = None) -> None:
        self.branch = branch
        self.promote_from = promote_from  # final: the last RC's tag
        self.text = f"Commit version files and changelog on {branch}"

    # -- what the release commit must contain ------------------------------------------------------
    def _expected(self, world: World) -> list[tuple[str, str, list[str]]]:
        return [
            (path, rendering(path, world.version), pins)
            for path, pins in version_file_paths(world.policy)
        ]

    def _matches(self, world: World, sha: str) -> tuple[bool, str]:
        for path, want, _pins in self._expected(world):
            text = world.repo.show_file(sha, path)
            if text is None:
                return False, f"{path} missing at {sha[:12]}"
            try:
                got = version_in_text(Path(path).name, text, path)
            except ReleaseError as exc:
                return False, exc.one_line()
            if got not in (want, DYNAMIC):
                return False, f"{path} says {got}"
        if not world.policy.changelog:
            return True, ""  # changelog = "": the project keeps none
        log = world.repo.show_file(sha, world.policy.changelog)
        if not changelog_mentions(log, world.version.pep440()):
            return False, f"{world.policy.changelog} has no {world.version} section"
        return True, ""

    def probe(self, world: World) -> Probe:
        tagged = world.repo.tag_commit(world.tag)
        if tagged:
            return Probe.yes(f"{world.tag} already marks {tagged[:12]}", sha=tagged)
        tip = world.repo.rev(f"refs/heads/{self.branch}")
        if tip is None:
            return Probe.no("branch not created yet")
        recorded = world.journal.facts(self.name).get("sha")
        if recorded and recorded == tip:
            return Probe.yes(f"release commit {tip[:12]} is the tip of {self.branch}", sha=tip)
        ok, why = self._matches(world, tip)
        if ok:
            return Probe.yes(f"{self.branch} tip {tip[:12]} already holds {world.version}", sha=tip)
        return Probe.no(why)

    def apply(self, world: World) -> dict[str, Any]:
        def write(tree: Path) -> list[str]:
            changed = []
            for path, _want, pins in self._expected(world):
                if write_version(contained(tree, path, "version file"), world.version, pins):
                    changed.append(path)
            if world.policy.changelog:
                log = contained(tree, world.policy.changelog, "[tool.release].changelog")
                if _update_changelog(log, world):
                    changed.append(world.policy.changelog)
            from release.adapters.locks import refresh

            # git-versioned members resolve to the release version, as their builds will
            pretend = {"SETUPTOOLS_SCM_PRETEND_VERSION": world.version.pep440()}
            changed += refresh(tree, lock_dirs(world.policy), {**world.env, **pretend})
            return changed

        sha, tip, changed = commit_on_branch(
            world, self.branch, write, f"chore(release): {world.tag}"
        )
        world.journal.record(self.name, "applied", {"sha": sha, "parent": tip, "files": changed})
        return {"sha": sha, "parent": tip, "files": changed}

    def verify(self, world: World) -> Probe:
        seen = self.probe(world)
        if not seen.done or not self.promote_from:
            return seen
        proof = self.prove_promotion(world, seen.facts["sha"])
        if proof:
            return Probe.clash(proof)
        return Probe.yes(seen.detail, promoted_from=self.promote_from, **seen.facts)

    def prove_promotion(self, world: World, sha: str) -> str:
        """'' when the final differs from the last RC only in version files and the changelog."""
        repo = world.repo
        if not self.promote_from:
            return ""
        rc_commit = repo.tag_commit(self.promote_from)
        if rc_commit is None:
            return f"{self.promote_from} does not exist"
        allowed = allowed_promotion_files(world.policy)
        files = repo.changed_files(rc_commit, sha)
        extra = [f for f in files if f not in allowed]
        if extra:
            return (
                f"final differs from {self.promote_from} beyond version files: {', '.join(extra)}"
            )
        for path, _want, pins in self._expected(world):
            if path not in files:
                continue
            before = repo.show_file(rc_commit, path) or ""
            after = repo.show_file(sha, path) or ""
            if render_file(Path(path).name, before, world.version, pins) != after:
                return f"{path} differs from {self.promote_from} in more than the version"
        return ""


def commit_on_branch(
    world: World, branch: str, write: Any, message: str
) -> tuple[str, str, list[str]]:
    """Commit what `write(tree)` changes on top of `branch`, in a detached worktree, then move the
    branch (fast-forward the user's checkout when it is on it). Returns (sha, parent, files)."""
    repo = world.repo
    tip = repo.rev(f"refs/heads/{branch}")
    if tip is None:
        raise GitError(f"branch {branch} does not exist", "re-run to create it")
    # A branch checked out in another worktree is moved there, by fast-forward, or not at all:
    # moving it underneath that checkout would let its next commit revert the release.
    elsewhere = repo.worktree_of(branch)
    if elsewhere is not None and not GitRepo(elsewhere, repo.remote).is_clean():
        raise GitError(
            f"{branch} is checked out in {elsewhere} with uncommitted changes",
            "commit or stash them there (or switch that worktree to another branch), then re-run",
        )
    tree = world.work_dir / "tree"
    repo.worktree_remove(tree)
    tree.parent.mkdir(parents=True, exist_ok=True)
    repo.worktree_add(tree, tip)
    try:
        changed = write(tree)
        if not changed:
            raise GitError(f"nothing to commit on {branch} for {world.version}")
        sha = GitRepo(tree, repo.remote).commit_files(changed, message)
    finally:
        repo.worktree_remove(tree)
    current = repo.git("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
    if current == branch:
        repo.fast_forward(sha)
    elif elsewhere is not None:
        GitRepo(elsewhere, repo.remote).fast_forward(sha)  # its files follow the branch
    else:
        repo.move_branch(branch, sha, tip)
    return sha, tip, changed


def follow_local(world: World, branch: str, sha: str, base: str) -> bool:
    """Move the local `branch` to `sha` (pushed on top of `base`) when it is at `base`, as
    commit_on_branch moves it: the checkout on it fast-forwards, a branch checked out in another
    worktree fast-forwards there, any other is moved. A checkout that cannot fast-forward (local
    changes in the way) stays where it is, said in the log: `git pull` brings the commit."""
    repo = world.repo
    tip = repo.rev(f"refs/heads/{branch}")
    if tip is None or tip != base:
        return False
    try:
        current = repo.git("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
        elsewhere = repo.worktree_of(branch)
        if current == branch:
            repo.fast_forward(sha)
        elif elsewhere is not None:
            GitRepo(elsewhere, repo.remote).fast_forward(sha)
        else:
            repo.move_branch(branch, sha, tip)
    except ReleaseError as exc:
        world.log(f"local {branch} stays at {tip[:12]} ({exc.message}); git pull brings {sha[:12]}")
        return False
    return True


def _update_changelog(path: Path, world: World) -> bool:
    """Insert the release section (via release.changelog when present); True when changed."""
    notes = world.notes
    if notes is not None:
        from release.adapters.files import update_changelog

        return bool(update_changelog(path, notes))
    text = path.read_text(encoding="utf-8") if path.exists() else "# Changelog\n\n## [Unreleased]\n"
    if changelog_mentions(text, world.version.pep440()):
        return False
    section = f"## [{world.version}] - {_today(world)}\n\n- Release {world.tag}.\n"
    marker = re.search(r"^## \[Unreleased\].*\n", text, re.M)
    if marker:
        text = text[: marker.end()] + "\n" + section + "\n" + text[marker.end() :].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
    return True


def _today(world: World) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(world.now, dt.timezone.utc).date().isoformat()


class TagStep(BaseStep):
    """Annotated tag vX on the release commit, with the release notes as its message; signed
    (`git tag -s`, then `git verify-tag`) when [tool.release].sign_tags says ssh or gpg."""

    name = "git:tag"

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.text = f"Tag {tag} (annotated)"

    def probe(self, world: World) -> Probe:
        at = world.repo.tag_commit(self.tag)
        want = world.release_commit
        if at is None:
            return Probe.no()
        if want and at != want:
            return Probe.clash(
                f"tag {self.tag} exists at {at[:12]}, not at the release commit {want[:12]}"
            )
        return Probe.yes(f"{self.tag} at {at[:12]}", commit=at, **self._window(world))

    def _window(self, world: World) -> dict[str, Any]:
        if world.version.rc != 1:
            return {}
        from release.core.windows import window_for

        w = window_for(world.version, world.policy, world.tagset, world.now)
        if w is None:
            return {}
        return {"window_start": w.start, "window_days": w.days, "window_ends": w.end}

    def apply(self, world: World) -> dict[str, Any]:
        sha = world.release_commit
        if not sha:
            raise GitError("no release commit to tag", "re-run to make it")
        message = getattr(world.notes, "plain", None) or f"Release {self.tag}"
        mode = world.policy.sign_tags
        if not mode:
            world.repo.create_tag(self.tag, sha, message)
            return {"commit": sha}
        world.repo.create_signed_tag(self.tag, sha, message, mode)
        ok, said = world.repo.verify_tag(self.tag)
        if not ok:
            raise GitError(
                f"the signature of tag {self.tag} does not verify: {said}",
                "check user.signingkey and gpg.ssh.allowedSignersFile (git verify-tag "
                f"{self.tag}); the tag is local only: git tag -d {self.tag}, then re-run",
            )
        return {"commit": sha, "signed": mode, "signature": said}


class PushStep(BaseStep):
    """Push the release branch and tag to origin in one atomic push (never forced)."""

    name = "git:push"
    irreversible = True

    def __init__(self, branch: str, tag: str) -> None:
        self.branch = branch
        self.tag = tag
        self.text = f"Push {branch} and {tag} to origin"

    def probe(self, world: World) -> Probe:
        refs = world.repo.remote_refs(f"refs/heads/{self.branch}", f"refs/tags/{self.tag}")
        want = world.release_commit
        at_tag = refs.get(f"refs/tags/{self.tag}")
        at_branch = refs.get(f"refs/heads/{self.branch}")
        if at_tag and want and at_tag != want:
            return Probe.clash(f"origin has {self.tag} at {at_tag[:12]}, not at {want[:12]}")
        branch_ok = bool(
            at_branch
            and want
            and (
                at_branch == want
                or (
                    world.repo.rev(at_branch) is not None
                    and world.repo.is_ancestor(want, at_branch)
                )
            )
        )
        if at_tag and branch_ok:
            return Probe.yes(
                f"origin has {self.tag} and {self.branch}",
                remote_tag=at_tag,
                remote_branch=at_branch,
            )
        return Probe.no()

    def apply(self, world: World) -> dict[str, Any]:
        if not world.release_commit:
            raise ConflictError("no release commit to push", "re-run to make it")
        signed: dict[str, Any] = {}
        if world.policy.sign_tags:  # never publish a tag whose signature does not verify
            ok, said = world.repo.verify_tag(self.tag)
            if not ok:
                raise ConflictError(
                    f"tag {self.tag} has no signature git can verify ({said}); nothing was pushed",
                    f"sign_tags = {world.policy.sign_tags!r}: check git verify-tag {self.tag}; "
                    f"an unsigned or wrongly signed local tag goes with git tag -d {self.tag}, "
                    "then re-run to sign it again",
                )
            signed = {"signature": said}
        world.repo.push(
            f"refs/heads/{self.branch}:refs/heads/{self.branch}",
            f"refs/tags/{self.tag}:refs/tags/{self.tag}",
            atomic=True,
        )
        return {"pushed": [self.branch, self.tag], **signed}


class DevBumpStep(BaseStep):
    """After a branch cut, move main to the next development version X.(Y+1).0.dev0 and push it."""

    name = "git:dev-bump"
    irreversible = True

    def __init__(self, main: str, major: int, minor: int) -> None:
        from release.core.versionfiles import DevVersion

        self.main = main
        self.dev = DevVersion(major, minor)
        self.text = f"Move {main} to the development version {self.dev} and push it"

    def _holds(self, world: World, sha: str) -> bool:
        for path, _pins in version_file_paths(world.policy):
            text = world.repo.show_file(sha, path)
            try:
                if text is None or not holds(
                    Path(path).name, text, rendering(path, self.dev), path
                ):
                    return False
            except ReleaseError:
                return False
        return True

    def probe(self, world: World) -> Probe:
        if not version_file_paths(world.policy):
            return Probe.skipped("no version files configured")
        at_origin = world.repo.remote_refs(f"refs/heads/{self.main}").get(f"refs/heads/{self.main}")
        if at_origin and world.repo.rev(at_origin) and self._holds(world, at_origin):
            return Probe.yes(f"{self.main} on origin is at {self.dev}", sha=at_origin)
        return Probe.no()

    def apply(self, world: World) -> dict[str, Any]:
        local = world.repo.rev(f"refs/heads/{self.main}") or ""
        if local and self._holds(world, local):
            sha = local  # committed by an earlier, interrupted run: only the push is left
        else:

            def write(tree: Path) -> list[str]:
                return [
                    path
                    for path, _pins in version_file_paths(world.policy)
                    if write_version(tree / path, self.dev, [])
                ]

            sha, _tip, _files = commit_on_branch(
                world,
                self.main,
                write,
                f"chore: open {self.dev.major}.{self.dev.minor} development",
            )
        world.repo.push(f"refs/heads/{self.main}:refs/heads/{self.main}")
        return {"sha": sha, "dev_version": str(self.dev)}


class ChangelogMainStep(BaseStep):
    """A final's CHANGELOG.md section, as published at its tag, forward-ported to main
    (`changelog_to_main`): "push" commits it on top of main as the remote has it (plumbing: no
    checkout, the user's branches untouched) and pushes (never forced; main moved meanwhile:
    fetched and made again, up to 3 times); "pr" pushes that commit to a branch and opens a
    pull request to main. Main's own [Unreleased] text and other sections stay as they are."""

    name = "git:changelog-main"
    irreversible = True
    ATTEMPTS = 3

    def __init__(self, main: str, version: Any, tag: str, mode: str) -> None:
        self.main, self.version, self.tag, self.mode = main, version, tag, mode
        self.head = f"release/changelog-{version}"
        how = "pushed" if mode == "push" else "as a pull request"
        self.text = f"Commit the {version} section of CHANGELOG.md on {main} too ({how})"

    def _ported(self, world: World, base: str | None) -> tuple[str, str]:
        """(main's text at `base`, the text with our section) for the commit."""
        from release.core.notes import port_section

        path = world.policy.changelog
        source = world.repo.show_file(self.tag, path) or ""
        before = (world.repo.show_file(base, path) if base else None) or ""
        return before, port_section(before, source, self.version)

    def probe(self, world: World) -> Probe:
        path = world.policy.changelog
        if not path:
            return Probe.skipped('changelog = "": no CHANGELOG.md is kept')
        if self.mode == "off":
            return Probe.skipped("changelog_to_main = off")
        base = world.repo.fetch_branch(self.main)
        if base is None:
            return Probe.skipped(f"{world.repo.remote} has no {self.main} branch")
        if changelog_mentions(world.repo.show_file(base, path), self.version.pep440()):
            return Probe.yes(f"{path} on {self.main} has the {self.version} section", sha=base)
        if self.mode == "pr" or world.policy.github_repo:  # push mode falls back to a PR
            from release.steps.github import client

            found = client(world).open_pulls(self.head, self.main)
            if found:
                pr = found[0]
                return Probe.yes(
                    f"pull request #{pr['number']} brings it to {self.main}",
                    pr=pr["number"],
                    url=pr.get("html_url", ""),
                )
        if world.repo.show_file(self.tag, path) is None:
            return Probe.skipped(f"{self.tag} has no {path}")
        return Probe.no(f"{path} on {self.main} has no {self.version} section yet")

    def apply(self, world: World) -> dict[str, Any]:
        path = world.policy.changelog
        message = f"docs: the {self.version} section of {path} (from {self.tag})"
        for attempt in range(1, self.ATTEMPTS + 1):
            base = world.repo.fetch_branch(self.main)
            before, after = self._ported(world, base)
            if after == before:
                return {"sha": base, "unchanged": True}
            sha = world.repo.commit_file(base, path, after, message)
            if self.mode == "pr":
                return self._open_pull(world, sha, message)
            try:
                world.repo.push(f"{sha}:refs/heads/{self.main}")
            except GitError as exc:
                if not getattr(exc, "behind", False):  # refused by a rule: protected main
                    return self._refused(world, sha, message, exc)
                if attempt == self.ATTEMPTS:
                    raise
                world.log(f"{self.main} moved on {world.repo.remote} ({exc.message}); again")
                continue
            followed = bool(base) and follow_local(world, self.main, sha, base or "")
            return {"sha": sha, "base": base, "attempts": attempt, "local_followed": followed}
        raise GitError(f"could not push {path} to {self.main}")  # pragma: no cover

    def _refused(self, world: World, sha: str, message: str, exc: GitError) -> dict[str, Any]:
        """The remote refuses pushes to main (a protected branch): with GitHub, the same commit
        goes as a pull request instead; without, one line saying how to finish."""
        if not world.policy.github_repo:
            raise GitError(
                f"{self.main} refused the {world.policy.changelog} section of {self.version}: "
                f"{exc.message}",
                'everything else is released; set changelog_to_main = "off" (or allow the push) '
                "and re-run the same command to finish",
            )
        world.log(f"{self.main} refused the push ({exc.message}): a pull request instead")
        facts = self._open_pull(world, sha, message)
        return {**facts, "push_refused": exc.message}

    def _open_pull(self, world: World, sha: str, title: str) -> dict[str, Any]:
        from release.steps.github import client

        world.repo.push(f"+{sha}:refs/heads/{self.head}")
        body = (
            f"The released section of {self.version} ({self.tag}), as published, for "
            f"{world.policy.changelog} on {self.main}. Made by release-kit; nothing else changes."
        )
        pr = client(world).create_pull(title, body, self.head, self.main)
        return {"sha": sha, "pr": pr["number"], "url": pr.get("html_url", "")}


# ---- what the pipeline asks for -----------------------------------------------------------------


def branch_steps(plan: Any) -> list[BaseStep]:
    """`git:branch` when the release cuts its line (minor, major, or resuming such a cut)."""
    return [BranchStep(plan.branch, plan.base)] if plan.create_branch else []


def changelog_main_steps(plan: Any, policy: Any) -> list[BaseStep]:
    """`git:changelog-main` for a final (a patch, a final, a minor or major without RCs): its
    section goes to main's CHANGELOG.md too. RCs are not forward-ported: the final's section
    replaces them."""
    if plan.version.is_rc or not policy.changelog:
        return []
    return [ChangelogMainStep(policy.main_branch, plan.version, plan.tag, policy.changelog_to_main)]


def dev_bump_steps(plan: Any, policy: Any) -> list[BaseStep]:
    """`git:dev-bump` after a branch cut when `dev_bump_on_main`: main develops X.(Y+1)."""
    if not (plan.create_branch and policy.dev_bump_on_main):
        return []
    nxt = plan.version.base.bump_minor()
    return [DevBumpStep(policy.main_branch, nxt.major, nxt.minor)]
