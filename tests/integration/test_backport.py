"""release.backport on real repositories (a bare origin) and the GitHub stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from release.commands import backport as bp
from release.errors import ConfigError, GitError, ReleaseError
from tests.fixtures.gitrepo import WorkDir

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP = "alpha\nbeta\ngamma\n"


def configure(wd: WorkDir, github=None, extra: str = "") -> None:
    """[tool.release] of the sandbox (committed, so the checkout is clean)."""
    text = "[tool.release]\n"
    if github is not None:
        text += f'github_repo = "{github.repo}"\ngithub_api = "{github.url}"\n'
    wd.commit("chore: release config", "pyproject.toml", text + extra)


def two_lines(wd: WorkDir) -> None:
    """main with app.py; release-0.3.x (v0.3.0) and release-0.4.x (v0.4.0) cut from it, pushed."""
    wd.commit("feat: app", "app.py", APP)
    wd.tag("v0.3.0")
    wd.git("branch", "release-0.3.x")
    wd.commit("feat: more", "more.py", "more\n")
    wd.tag("v0.4.0")
    wd.git("branch", "release-0.4.x")
    wd.commit("feat: next thing on main", "next.py", "next\n")
    wd.git("push", "-q", "origin", "main", "release-0.3.x", "release-0.4.x", "--tags")


def origin_branches(wd: WorkDir) -> set[str]:
    out = wd.git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=wd.origin)
    return set(out.split())


def user_view(wd: WorkDir) -> dict[str, str]:
    """What the user sees of their checkout: branch, HEAD, status, local branches, worktrees."""
    return {
        "branch": wd.branch(),
        "head": wd.head(),
        "status": wd.git("status", "--porcelain"),
        "heads": wd.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"),
        "worktrees": wd.git("worktree", "list", "--porcelain"),
        "files": "\n".join(sorted(p.name for p in wd.root.iterdir())),
    }


def state_path(wd: WorkDir) -> Path:
    return wd.root / ".git" / "release" / "backports" / "state.json"


@pytest.fixture
def gh_env(github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    return github


def merged_pr(github, sha: str, title: str, labels: list[str]) -> dict:
    """A merged PR of the stand-in whose merge commit is `sha` (a real commit of the sandbox)."""
    pr = github.add_pull(title=title, head="fix-branch", merged=True, labels=labels)
    github.state.repos[github.repo].pulls[pr["number"]]["merge_commit_sha"] = sha
    return pr


def test_fix_is_backported_to_two_lines_with_prs_and_the_checkout_is_untouched(git_repo, gh_env):
    github = gh_env
    configure(git_repo, github)
    two_lines(git_repo)
    fix = git_repo.commit("fix: crash on empty input (#7)", "fix.py", "fixed\n")
    git_repo.git("push", "-q", "origin", "main")
    pr = merged_pr(github, fix, "fix: crash on empty input", ["bug", "backport release-0.4.x"])
    git_repo.write("scratch.txt", "uncommitted work of the user\n")  # must survive untouched
    before = user_view(git_repo)

    outcomes = bp.backport(str(pr["number"]), ["release-0.4.x", "0.3"], path=str(git_repo.root))

    assert [(o.target, o.status) for o in outcomes] == [
        ("release-0.4.x", "opened"),
        ("release-0.3.x", "opened"),
    ]
    short = fix[: bp.SHORT]
    assert {
        f"backport/{short}/release-0.4.x",
        f"backport/{short}/release-0.3.x",
    } <= origin_branches(git_repo)
    for target in ("release-0.4.x", "release-0.3.x"):
        branch = f"backport/{short}/{target}"
        msg = git_repo.git("log", "-1", "--format=%B", branch, cwd=git_repo.origin)
        assert f"(cherry picked from commit {fix})" in msg
        parent = git_repo.git("rev-parse", f"{branch}^", cwd=git_repo.origin)
        assert parent == git_repo.git("rev-parse", target, cwd=git_repo.origin)
        assert git_repo.git("show", f"{branch}:fix.py", cwd=git_repo.origin) == "fixed"
    pulls = {p["base"]["ref"]: p for p in github.pulls() if p["number"] != pr["number"]}
    assert set(pulls) == {"release-0.4.x", "release-0.3.x"}
    for target, p in pulls.items():
        assert p["title"] == f"fix: crash on empty input (backport #{pr['number']})"
        assert p["head"]["ref"] == f"backport/{short}/{target}"
        assert pr["html_url"] in p["body"]
        assert [lb["name"] for lb in p["labels"]] == [
            "bug"
        ]  # the Mergify trigger label is not copied
    assert user_view(git_repo) == before
    assert not state_path(git_repo).exists()
    assert not (git_repo.root / ".git" / "release" / "backports" / "backport").exists()

    posts = github.count("POST")
    again = bp.backport(
        str(pr["number"]), ["release-0.4.x", "release-0.3.x"], path=str(git_repo.root)
    )
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert all("open backport PR" in o.detail for o in again)
    assert github.count("POST") == posts
    assert user_view(git_repo) == before


def test_a_change_already_cherry_picked_onto_a_line_is_skipped(git_repo, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    configure(git_repo)  # no github_repo: push and say so, no PR
    # a relative remote URL must resolve against the checkout, not the backport worktree
    git_repo.git("remote", "set-url", "origin", f"../{git_repo.origin.name}")
    two_lines(git_repo)
    fix = git_repo.commit("fix: off by one", "fix.py", "fixed\n")
    git_repo.git("push", "-q", "origin", "main")
    git_repo.git("checkout", "-q", "release-0.4.x")
    git_repo.git("cherry-pick", "-x", fix)
    git_repo.git("push", "-q", "origin", "release-0.4.x")
    git_repo.git("checkout", "-q", "main")
    merged_into_04 = git_repo.git("rev-parse", "release-0.4.x")

    outcomes = bp.backport(fix[:12], ["release-0.4.x", "release-0.3.x"], path=str(git_repo.root))

    by = {o.target: o for o in outcomes}
    assert by["release-0.4.x"].status == "skipped" and "trailer" in by["release-0.4.x"].detail
    assert by["release-0.3.x"].status == "pushed" and "no PR" in by["release-0.3.x"].detail
    assert git_repo.git("rev-parse", "release-0.4.x", cwd=git_repo.origin) == merged_into_04
    assert f"backport/{fix[: bp.SHORT]}/release-0.4.x" not in origin_branches(git_repo)
    assert f"backport/{fix[: bp.SHORT]}/release-0.3.x" in origin_branches(git_repo)

    again = bp.backport(fix, ["release-0.4.x", "release-0.3.x"], path=str(git_repo.root))
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert "already on origin" in again[1].detail


def conflicting_fix(wd: WorkDir) -> str:
    """release-0.4.x changed app.py's middle line one way, the fix on main another way."""
    wd.git("checkout", "-q", "release-0.4.x")
    wd.commit("fix: line-only tweak", "app.py", "alpha\nBETA on the line\ngamma\n")
    wd.git("push", "-q", "origin", "release-0.4.x")
    wd.git("checkout", "-q", "main")
    fix = wd.commit("fix: beta is wrong (#9)", "app.py", "alpha\nbeta fixed\ngamma\n")
    wd.git("push", "-q", "origin", "main")
    return fix


def test_conflict_stops_cleanly_then_continue_finishes_every_target(git_repo, gh_env):
    github = gh_env
    configure(git_repo, github)
    two_lines(git_repo)
    fix = conflicting_fix(git_repo)
    before = user_view(git_repo)
    release_04 = git_repo.git("rev-parse", "release-0.4.x", cwd=git_repo.origin)

    with pytest.raises(bp.BackportConflict) as info:
        bp.backport(fix, ["release-0.4.x", "release-0.3.x"], path=str(git_repo.root))
    err = info.value
    wt = (
        git_repo.root
        / ".git"
        / "release"
        / "backports"
        / "backport"
        / fix[: bp.SHORT]
        / "release-0.4.x"
    )
    assert "app.py" in err.message and str(wt) in err.message
    assert "--continue" in err.hint and "--abort" in err.hint
    assert err.outcomes[-1].status == "conflict"
    assert wt.is_dir() and "<<<<<<<" in (wt / "app.py").read_text()
    assert state_path(git_repo).exists()
    assert not any(
        b.startswith("backport/") for b in origin_branches(git_repo)
    )  # nothing pushed yet
    assert git_repo.git("rev-parse", "release-0.4.x", cwd=git_repo.origin) == release_04
    assert {k: v for k, v in user_view(git_repo).items() if k not in ("heads", "worktrees")} == {
        k: v for k, v in before.items() if k not in ("heads", "worktrees")
    }

    with pytest.raises(bp.BackportInProgress):
        bp.backport(fix, ["release-0.3.x"], path=str(git_repo.root))
    with pytest.raises(bp.BackportConflict, match="unresolved conflicts remain in app.py"):
        bp.continue_backport(path=str(git_repo.root))

    (wt / "app.py").write_text("alpha\nBETA on the line, fixed\ngamma\n")
    subprocess.run(["git", "add", "app.py"], cwd=wt, env=git_repo.env, check=True)
    outcomes = bp.continue_backport(path=str(git_repo.root))

    assert [(o.target, o.status) for o in outcomes] == [
        ("release-0.4.x", "opened"),
        ("release-0.3.x", "opened"),
    ]
    short = fix[: bp.SHORT]
    for target in ("release-0.4.x", "release-0.3.x"):
        msg = git_repo.git(
            "log", "-1", "--format=%B", f"backport/{short}/{target}", cwd=git_repo.origin
        )
        assert f"(cherry picked from commit {fix})" in msg
    assert (
        git_repo.git("show", f"backport/{short}/release-0.4.x:app.py", cwd=git_repo.origin)
        == "alpha\nBETA on the line, fixed\ngamma"
    )
    assert sorted(p["base"]["ref"] for p in github.pulls()) == ["release-0.3.x", "release-0.4.x"]
    assert not state_path(git_repo).exists() and not wt.exists()
    assert user_view(git_repo) == before

    posts = github.count("POST")
    again = bp.backport(fix, ["release-0.4.x", "release-0.3.x"], path=str(git_repo.root))
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert github.count("POST") == posts
    assert user_view(git_repo) == before


def test_abort_removes_the_worktree_and_the_branch(git_repo, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    configure(git_repo)
    two_lines(git_repo)
    fix = conflicting_fix(git_repo)
    before = user_view(git_repo)

    with pytest.raises(bp.BackportConflict):
        bp.backport(fix, ["release-0.3.x", "release-0.4.x"], path=str(git_repo.root))
    said = bp.abort_backport(path=str(git_repo.root))

    assert any("removed worktree" in s for s in said)
    assert any(
        "kept release-0.3.x" in s for s in said
    )  # the clean target was pushed before the conflict
    assert user_view(git_repo) == before
    assert not state_path(git_repo).exists()
    assert f"backport/{fix[: bp.SHORT]}/release-0.4.x" not in origin_branches(git_repo)
    with pytest.raises(ReleaseError, match="no backport is in progress"):
        bp.abort_backport(path=str(git_repo.root))


def test_unsupported_or_missing_targets(git_repo, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    configure(git_repo, extra='eol_lines = ["0.3"]\n')
    two_lines(git_repo)
    fix = git_repo.commit("fix: thing", "fix.py", "fixed\n")
    git_repo.git("push", "-q", "origin", "main")
    before = git_repo.snapshot()

    with pytest.raises(ConfigError, match="line 0.3 is end of life") as info:
        bp.backport(fix, ["release-0.3.x"], path=str(git_repo.root))
    assert "--force" in info.value.hint
    with pytest.raises(ConfigError, match="not a release branch"):
        bp.backport(fix, ["main"], path=str(git_repo.root))
    with pytest.raises(GitError, match="release-0.9.x does not exist on origin"):
        bp.backport(fix, ["release-0.9.x"], path=str(git_repo.root), force=True)
    with pytest.raises(ConfigError, match="not a PR number"):
        bp.backport("--upload-pack=touch pwned", ["release-0.4.x"], path=str(git_repo.root))
    with pytest.raises(ConfigError, match="github_repo is not set"):
        bp.backport("12", ["release-0.4.x"], path=str(git_repo.root))
    assert git_repo.snapshot() == before

    forced = bp.backport(fix, ["release-0.3.x"], path=str(git_repo.root), force=True)
    assert forced[0].status == "pushed"


def test_titles_and_subjects_with_shell_metacharacters_are_inert(git_repo, gh_env, tmp_path):
    github = gh_env
    configure(git_repo, github)
    two_lines(git_repo)
    nasty = "fix: $(touch pwned) `touch pwned2`; rm -rf \"$HOME\" && echo 'x' | cat > pwned3"
    fix = git_repo.commit(nasty, "fix.py", "fixed\n")
    git_repo.git("push", "-q", "origin", "main")
    pr = merged_pr(github, fix, nasty + "\nsecond line; $(id)", ["needs; review"])

    outcomes = bp.backport(f"#{pr['number']}", ["release-0.4.x"], path=str(git_repo.root))

    assert outcomes[0].status == "opened"
    made = next(p for p in github.pulls() if p["base"]["ref"] == "release-0.4.x")
    assert made["title"] == nasty + f" second line; $(id) (backport #{pr['number']})"
    assert [lb["name"] for lb in made["labels"]] == ["needs; review"]
    found = [
        p
        for p in (tmp_path, git_repo.root, Path.cwd())
        for name in ("pwned", "pwned2", "pwned3")
        if (p / name).exists()
    ]
    assert found == []
    assert (Path(os.environ["HOME"])).is_dir()


def test_a_range_and_a_true_merge_pick_every_commit(git_repo, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    configure(git_repo)
    two_lines(git_repo)
    a = git_repo.head()
    c1 = git_repo.commit("fix: one", "one.py", "1\n")
    c2 = git_repo.commit("fix: two", "two.py", "2\n")
    git_repo.git("checkout", "-q", "-b", "topic", a)
    t1 = git_repo.commit("fix: three", "three.py", "3\n")
    git_repo.git("checkout", "-q", "main")
    git_repo.git("merge", "-q", "--no-ff", "-m", "Merge topic", "topic")
    merge = git_repo.head()
    git_repo.git("push", "-q", "origin", "main")

    bp.backport(f"{a[:12]}..{c2[:12]}", ["release-0.4.x"], path=str(git_repo.root))
    branch = f"backport/{c2[: bp.SHORT]}/release-0.4.x"
    log = git_repo.git("log", "--format=%B%x00", f"release-0.4.x..{branch}", cwd=git_repo.origin)
    assert f"cherry picked from commit {c1}" in log and f"cherry picked from commit {c2}" in log
    assert (
        git_repo.git("rev-list", "--count", f"release-0.4.x..{branch}", cwd=git_repo.origin) == "2"
    )

    bp.backport(merge, ["release-0.3.x"], path=str(git_repo.root))
    branch = f"backport/{merge[: bp.SHORT]}/release-0.3.x"
    log = git_repo.git("log", "--format=%B", f"release-0.3.x..{branch}", cwd=git_repo.origin)
    assert f"cherry picked from commit {t1}" in log
    assert (
        git_repo.git("rev-list", "--count", f"release-0.3.x..{branch}", cwd=git_repo.origin) == "1"
    )


def cli(
    wd: WorkDir, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = dict(wd.env)
    full["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    full.pop("GITHUB_TOKEN", None)
    full.pop("GH_TOKEN", None)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "release", *args],
        cwd=wd.root,
        env=full,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_cli_positional_ref_then_continue_and_abort_flags_alone(git_repo):
    configure(git_repo)
    two_lines(git_repo)
    fix = conflicting_fix(git_repo)

    res = cli(git_repo, "release.backport", fix, "--to", "release-0.4.x", "--to", "release-0.3.x")
    assert res.returncode == bp.BackportConflict.exit_code, res.stderr
    assert "conflicts in app.py" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    state = json.loads(state_path(git_repo).read_text())
    wt = Path(state["current"]["worktree"])
    (wt / "app.py").write_text("resolved\n")
    subprocess.run(["git", "add", "app.py"], cwd=wt, env=git_repo.env, check=True)

    res = cli(git_repo, "release.backport", "--continue")
    assert res.returncode == 0, res.stderr
    assert "release-0.4.x" in res.stdout and "release-0.3.x" in res.stdout

    res = cli(git_repo, "release.backport", "--abort")
    assert res.returncode == 1 and "no backport is in progress" in res.stderr
    res = cli(git_repo, "release.backport", "--to", "release-0.4.x")
    assert res.returncode != 0 and "positional arguments: 'ref'" in res.stderr


def test_a_refused_pull_request_is_opened_by_continue(git_repo, gh_env):
    github = gh_env
    configure(git_repo, github)
    two_lines(git_repo)
    fix = git_repo.commit("fix: flaky (#3)", "fix.py", "fixed\n")
    git_repo.git("push", "-q", "origin", "main")
    github.fail_next("POST", r"/pulls$", 422)

    with pytest.raises(ReleaseError) as info:
        bp.backport(fix, ["release-0.4.x"], path=str(git_repo.root))
    assert "--continue" in info.value.hint
    assert f"backport/{fix[: bp.SHORT]}/release-0.4.x" in origin_branches(
        git_repo
    )  # pushed, PR missing
    assert github.pulls() == []

    outcomes = bp.continue_backport(path=str(git_repo.root))
    assert [(o.target, o.status) for o in outcomes] == [("release-0.4.x", "opened")]
    assert [p["title"] for p in github.pulls()] == ["fix: flaky (backport #3)"]
    assert not state_path(git_repo).exists()


def test_a_rebase_merge_picks_the_last_n_commits(git_repo, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    configure(git_repo)
    two_lines(git_repo)
    c1 = git_repo.commit("fix: part one", "one.py", "1\n")
    c2 = git_repo.commit("fix: part two", "two.py", "2\n")
    from release.core.policy import Policy

    b = bp.Backporter(git_repo.root, Policy(), None, None)
    assert b._commits_of(c2, 2) == [c1, c2]  # what a rebase-merged PR with 2 commits brings
    assert b._commits_of(c2, 1) == [c2]
    assert b._commits_of(c2, None) == [c2]  # a squash merge
