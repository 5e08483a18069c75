"""The git adapter's writes go through GitPython, inside the same error and redaction door as
every command; `release.status` never loads GitPython."""

from __future__ import annotations

import subprocess
import sys

import pytest

from release.adapters.git import GitRepo
from release.adapters.runner import CommandError, register_secret
from release.errors import ConflictError, ReleaseError


def _git(cwd, *args):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "r"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "T")
    _git(root, "config", "user.email", "t@example.com")
    (root / "a.txt").write_text("a\n")
    _git(root, "add", "a.txt")
    _git(root, "commit", "-q", "-m", "first")
    return root


def test_branch_tag_worktree_and_cherry_pick_through_gitpython(repo, tmp_path):
    r = GitRepo(repo)
    head = r.rev("HEAD")
    r.create_branch("release-0.1.x", head)
    assert r.rev("refs/heads/release-0.1.x") == head
    r.create_tag("v0.1.0", head, "Release v0.1.0")
    assert _git(repo, "cat-file", "-t", "refs/tags/v0.1.0") == "tag"  # annotated
    assert r.tag_commit("v0.1.0") == head
    r.create_tag("v0.1.0", head, "again")  # same commit: nothing to do
    with pytest.raises(ConflictError):
        (repo / "b.txt").write_text("b\n")
        sha = r.commit_files(["b.txt"], "second")
        r.create_tag("v0.1.0", sha, "moved")  # tags are immutable
    wt = tmp_path / "wt"
    r.worktree_add(wt, "refs/heads/release-0.1.x", branch="bp")
    GitRepo(wt).cherry_pick("-x", sha)
    assert "cherry picked from commit" in _git(wt, "log", "-1", "--format=%B")
    r.worktree_remove(wt)
    assert not wt.exists() and str(wt) not in _git(repo, "worktree", "list")
    r.delete_branch("bp")
    assert r.rev("refs/heads/bp") is None
    tip = r.rev("refs/heads/release-0.1.x")
    r.move_branch("release-0.1.x", sha, tip)
    assert r.rev("refs/heads/release-0.1.x") == sha


def test_gitpython_failures_are_one_redacted_command_error(repo):
    secret = "s3cr3t-token-value-123456"
    register_secret(secret)
    r = GitRepo(repo)
    for bad in (
        lambda: r.create_branch(f"bad..name{secret}", "HEAD"),  # GitPython refuses the name
        lambda: r.create_tag(f"v1{secret}", "f" * 40, "m"),
    ):  # git refuses the object
        with pytest.raises(ReleaseError) as err:
            bad()
        text = str(err.value)
        assert secret not in text and "***" in text and "\n" not in text
    with pytest.raises(CommandError) as err:
        r.worktree_add(r.root / f"x{secret}", "no-such-ref")
    text = str(err.value)
    assert secret not in text and "***" in text
    assert "\n" not in text
    with pytest.raises(CommandError):
        r.move_branch("main", r.rev("HEAD"), "0" * 40)  # compare-and-swap refuses a stale old value


def test_status_never_imports_gitpython_or_semver():
    code = (
        "import sys, release.commands.status as s, release.tasks; "
        "print(sorted(m for m in ('git', 'semver', 'github', 'twine', 'build') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
