"""The local gates of a release, pure: one named function per rule, each returning a Gate.

A gate reads only gathered facts (RepoState, Policy, Facts); `core.plan` lists them for a
release kind, and `NotReady` reports every failed one at once. Gates that need a live service
(tests, milestone, CI, registries) are engine steps (`release.steps`), not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from release.core import codeowners
from release.core import version as version_mod
from release.core.lines import line_support
from release.core.policy import Policy
from release.core.version import TagSet, Version
from release.core.windows import Window, utc
from release.errors import ReleaseError


@dataclass
class Gate:
    name: str
    ok: bool
    reason: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else ("ok" if self.ok else "FAILED")


def clean_tree(dirty: list[str]) -> Gate:
    """No uncommitted changes to tracked files (untracked files are never released)."""
    tracked = [d for d in dirty if not d.startswith("??")]
    return Gate(
        "clean tree",
        not tracked,
        ""
        if not tracked
        else f"uncommitted changes in {', '.join(d[3:] for d in tracked[:5])} "
        "(commit or stash them)",
    )


def start_point(
    kind: str, branch_now: str | None, commit: str | None, facts: Any, policy: Policy, branch: str
) -> list[Gate]:
    """minor/major: cut from main (or a --commit on main); patch/rc/final: the release branch exists."""
    return _start_point(kind, branch_now, commit, facts, policy, branch)


def _start_point(
    kind: str, branch_now: str | None, commit: str | None, facts: Any, policy: Policy, branch: str
) -> list[Gate]:
    if kind in ("minor", "major"):
        on_main = branch_now == policy.main_branch or commit is not None or bool(facts.resume)
        out = [
            Gate(
                "on main",
                on_main,
                ""
                if on_main
                else f"{kind} releases are cut from {policy.main_branch}; you are on "
                f"{branch_now or 'a detached HEAD'} (git switch {policy.main_branch}, or pass --commit SHA)",
            )
        ]
        if commit is not None:
            ok = facts.commit_sha is not None and facts.commit_on_main
            why = (
                f"--commit {commit} is not a commit of this repository"
                if facts.commit_sha is None
                else f"--commit {commit} is not on {policy.remote}/{policy.main_branch}"
            )
            out.append(Gate("commit on main", ok, "" if ok else why + " (pick a commit on main)"))
        return out
    exists = facts.branch_exists
    return [
        Gate(
            "release branch",
            exists,
            ""
            if exists
            else f"branch {branch} does not exist "
            f"(fetch it: git fetch {policy.remote} {branch}:{branch})",
        )
    ]


def in_sync(
    facts: Any, policy: Policy, *, sync_branch: str, create_branch: bool, recorded: str | None
) -> Gate:
    """The branch the release starts from is exactly origin's (nothing unpushed, nothing missing)."""
    origin_sha = facts.origin_refs.get(f"refs/heads/{sync_branch}")
    if facts.origin_error:
        return Gate(
            "in sync with origin", False, f"cannot read {policy.remote}: {facts.origin_error}"
        )
    if origin_sha is None:
        ok = create_branch  # a new release branch is not on origin yet
        return Gate(
            "in sync with origin",
            ok,
            ""
            if ok
            else f"{sync_branch} is not on {policy.remote} (push it first: git push {policy.remote} {sync_branch})",
        )
    if not facts.origin_tip_known_locally or not facts.origin_is_ancestor:
        return Gate(
            "in sync with origin",
            False,
            f"{sync_branch} is behind {policy.remote}/{sync_branch} (git pull --ff-only first)",
        )
    if origin_sha != facts.local_tip and not (recorded and facts.local_tip == recorded):
        return Gate(
            "in sync with origin",
            False,
            f"{sync_branch} has commits that are not on {policy.remote} (push them through review first)",
        )
    return Gate("in sync with origin", True)


def tag_is_new(tag: str, facts: Any, policy: Policy, recorded: str | None) -> Gate:
    """The release tag exists neither here nor on origin (unless this release made it)."""
    remote_tag = facts.origin_refs.get(f"refs/tags/{tag}")
    clash = [
        f"{tag} already exists {where} at {sha[:12]}"
        for where, sha in (("locally", facts.tag_commit), (f"on {policy.remote}", remote_tag))
        if sha and sha != recorded
    ]
    return Gate(
        "tag is new",
        not clash,
        "; ".join(clash) + (" (tags are immutable; find out who made it)" if clash else ""),
    )


def version_files(errors: list[str]) -> Gate:
    """Every configured version file exists at the base commit and holds a version."""
    return Gate("version files", not errors, "; ".join(errors))


def npm_version(version: Version, policy: Policy) -> Gate:
    """With npm packages, the version's SemVer rendering is one the `semver` library accepts."""
    if not any(p.kind == "npm" for p in policy.packages):
        return Gate("npm version", True, "no npm packages", skipped=True)
    try:
        text = version_mod.npm_version(version)
    except ReleaseError as exc:
        return Gate("npm version", False, exc.one_line())
    return Gate("npm version", True, text)


def release_owner(facts: Any, policy: Policy) -> Gate:
    """The release owner is listed in CODEOWNERS (as committed at the base commit)."""
    if facts.owner_error:
        return Gate("release owner", False, facts.owner_error)
    if facts.codeowners_text is None:
        if policy.require_codeowners:
            return Gate(
                "release owner",
                False,
                "no CODEOWNERS file (.github/CODEOWNERS, CODEOWNERS or "
                "docs/CODEOWNERS); add one listing the release owners",
            )
        return Gate("release owner", True, "require_codeowners = false", skipped=True)
    owners = codeowners.parse(facts.codeowners_text)
    ok, why = codeowners.is_owner(
        owners, facts.owner, allow_teams=policy.allow_teams, team_members=policy.teams
    )
    if ok and facts.owner_for_other and not facts.owner_reason:
        return Gate(
            "release owner",
            False,
            f"{facts.owner} is listed, but is not you (git user.email); acting for another owner "
            "needs --reason 'why' (journaled)",
        )
    return Gate(
        "release owner",
        ok,
        why if ok else f"{why} ({facts.codeowners_path}); pass --owner LOGIN of a listed owner",
    )


def supported_line(tags: TagSet, policy: Policy, line: tuple[int, int], force: bool) -> Gate:
    """A patch goes to a supported line (or is forced)."""
    ok, why = line_support(tags, policy, line)
    return Gate(
        "supported line",
        ok or force,
        why if ok else why + (" (--force given)" if force else "; pass --force to patch it anyway"),
    )


def testing_window(w: Window, now: int, override: str | None) -> Gate:
    """A final waits until its community window has closed, or names an override reason."""
    if not w.is_open(now):
        return Gate("testing window", True, f"closed {utc(w.end)}")
    msg = (
        f"window for {w.base} closes {utc(w.end)} ({w.rc1 or 'rc1'} {w.source} {utc(w.start)}, "
        f"{w.kind} needs {w.days} days)"
    )
    if override:
        return Gate("testing window", True, f"{msg}; overridden: {override}")
    return Gate("testing window", False, msg + "; use --override 'reason' to release now")


def changes_since_last(since: tuple[str, int] | None, branch: str, allow_empty: bool) -> Gate:
    """A patch or RC releases something: at least one commit since the last tag of its line."""
    if since is None:
        return Gate(
            "changes since last release", True, "no earlier release on this line", skipped=True
        )
    tag, count = since
    if count or allow_empty:
        detail = f"{count} commit{'s' if count != 1 else ''} since {tag}"
        return Gate(
            "changes since last release", True, detail + (" (--allow-empty)" if not count else "")
        )
    return Gate(
        "changes since last release",
        False,
        f"no commit on {branch} since {tag}: nothing to release "
        "(pass --allow-empty if a release without changes is really needed)",
    )


def finals_on_branch(strays: list[str], branch: str, force: bool, reason: str | None) -> Gate:
    """Every final of a line is on its release branch; a patch from a branch that lacks one would
    drop that release's fixes."""
    what = "; ".join(strays)
    if force and reason and reason.strip():
        return Gate("finals on the branch", True, f"{what}; --force: {reason.strip()}")
    return Gate(
        "finals on the branch",
        False,
        f"{what}: the next patch from {branch} would lack that release's changes "
        "(merge the tagged commit into the branch, or pass --force --reason 'why')",
    )


def window_not_started(version: Version) -> Gate:
    """rc1 was made here but never published: no community window has started."""
    rc1 = version.base.with_rc(1)
    return Gate(
        "testing window",
        False,
        f"the window of {version.base} has not started: {rc1} is not published yet "
        f"(finish it with release.resume {rc1}, or release.abort {rc1})",
    )


def promotion(
    changed: list[str],
    allowed: set[str],
    branch: str,
    last_rc: str | None,
    content: list[str] | None = None,
) -> Gate:
    """A final promotes its last RC: nothing but the version strings and pins of the version
    files, and the changelog, differ since (compared on content, not only file names)."""
    extra = [f for f in changed if f not in allowed] + [
        f"{f} (beyond the version)" for f in (content or [])
    ]
    return Gate(
        "promotion is provable",
        not extra,
        ""
        if not extra
        else f"{branch} changed since {last_rc}: {', '.join(extra[:8])}"
        f"{' ...' if len(extra) > 8 else ''} (cut another RC with release.rc)",
    )


def tag_signing(policy: Policy, setup: Mapping[str, Any] | None) -> Gate:
    """With `sign_tags`, git has what it takes to sign the release tag and to verify it before
    the push: a signing key (user.signingkey); for ssh, the key's file and the allowed signers
    file `git verify-tag` reads (gpg.ssh.allowedSignersFile). Checked before anything is made."""
    mode = policy.sign_tags
    if not mode:
        return Gate("signed tag", True, "sign_tags is not set", skipped=True)
    s = setup or {}
    problems = []
    if not s.get("key"):
        example = "~/.ssh/id_ed25519" if mode == "ssh" else "<your gpg key id>"
        problems.append(
            f"sign_tags = {mode!r} but git has no user.signingkey "
            f"(git config user.signingkey {example})"
        )
    elif mode == "ssh" and not s.get("key_file_exists"):
        problems.append(f"the ssh signing key {s.get('key_file') or s['key']} does not exist")
    if mode == "ssh" and not s.get("allowed_signers"):
        problems.append(
            "git verify-tag needs gpg.ssh.allowedSignersFile to check an ssh signature "
            "(a file of '<email> <public key>' lines)"
        )
    elif mode == "ssh" and not s.get("allowed_signers_exists"):
        problems.append(f"the allowed signers file {s['allowed_signers']} does not exist")
    if problems:
        return Gate("signed tag", False, "; ".join(problems))
    key = str(s.get("key_file") or s["key"])
    return Gate("signed tag", True, f"{mode}: {key if len(key) <= 60 else key[:57] + '...'}")
