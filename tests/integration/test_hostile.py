"""Hostile and unusual environments: linked worktrees, config that would reach git's argv,
paths that leave the repository, broken journals, a push after someone else pushed.

Each case runs the toolkit as a user would and checks the outcome and that nothing outside the
repository changed: a canary directory beside it is byte-identical before and after.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from tests.fixtures.sandbox import PYPROJECT, Sandbox, make_sandbox

pytestmark = pytest.mark.integration

T0 = int(time.time()) // 60 * 60


def at(ts: int) -> dict[str, str]:
    return {"RELEASE_NOW": str(ts)}


def canary(tmp_path: Path) -> Path:
    d = tmp_path / "canary"
    d.mkdir(exist_ok=True)
    (d / "CHANGELOG.md").write_text("# not yours\n")
    (d / "notes.txt").write_text("leave me alone\n")
    return d


def digest(d: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(d.rglob("*")):
        h.update(str(p.relative_to(d)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def final_then_fix(sb: Sandbox) -> None:
    sb.run("release.minor", "--yes", env=at(T0), check=True)
    sb.wd.git("checkout", "-q", "release-0.1.x")
    sb.run("release.final", "--yes", "--override", "setup", env=at(T0 + 60), check=True)
    sb.wd.commit("fix: a fix on the line")
    sb.wd.git("push", "-q", "origin", "release-0.1.x")


def one_line_error(res) -> str:
    assert res.returncode not in (0, 70), res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


# ---- worktrees ----------------------------------------------------------------------------------


def line_in_a_linked_worktree(tmp_path: Path) -> tuple[Sandbox, Path]:
    """0.1.0 released, a fix on release-0.1.x, the main checkout on main and release-0.1.x
    checked out in a linked worktree."""
    sb = make_sandbox(tmp_path)
    final_then_fix(sb)
    sb.wd.git("checkout", "-q", "main")
    wt = tmp_path / "wt"
    sb.wd.git("worktree", "add", "-q", str(wt), "release-0.1.x")
    return sb, wt


def test_a_release_from_a_linked_worktree_shares_the_journals(tmp_path):
    sb, wt = line_in_a_linked_worktree(tmp_path)
    res = sb.run("release.patch", "--yes", cwd=wt, env=at(T0 + 120))
    assert res.returncode == 0, res.stdout + res.stderr
    assert sb.origin_tags() == ["v0.1.0", "v0.1.0rc1", "v0.1.1"]
    assert (sb.root / ".git" / "release" / "0.1.1.json").is_file()  # the common dir
    listed = sb.run("release.journals")  # from the main checkout
    assert "0.1.1" in listed.stdout and "complete" in listed.stdout
    assert '__version__ = "0.1.1"' in (wt / "demo_client" / "__init__.py").read_text()
    assert sb.wd.git("status", "--porcelain", cwd=wt) == ""


def test_a_branch_checked_out_in_another_worktree_follows_the_release(tmp_path):
    sb, wt = line_in_a_linked_worktree(tmp_path)
    res = sb.run("release.patch", "--line", "0.1", "--yes", env=at(T0 + 120))  # from main
    assert res.returncode == 0, res.stdout + res.stderr
    # that worktree was fast-forwarded: its next `git commit -am` cannot revert the release
    assert '__version__ = "0.1.1"' in (wt / "demo_client" / "__init__.py").read_text()
    assert sb.wd.git("status", "--porcelain", cwd=wt) == ""
    assert sb.wd.git("rev-parse", "HEAD", cwd=wt) == sb.origin_rev("v0.1.1")


def test_a_dirty_worktree_holding_the_branch_refuses_in_one_line(tmp_path):
    sb, wt = line_in_a_linked_worktree(tmp_path)
    (wt / "CHANGELOG.md").write_text("edited by hand\n")
    before = sb.wd.snapshot()
    res = sb.run("release.patch", "--line", "0.1", "--yes", env=at(T0 + 120))
    line = one_line_error(res)
    assert f"is checked out in {wt}" in line and "uncommitted changes" in line
    assert sb.wd.snapshot() == before
    assert (wt / "CHANGELOG.md").read_text() == "edited by hand\n"


# ---- configuration that would reach argv, paths that leave the repository ----------------------


def release_keys(lines: str) -> str:
    return PYPROJECT.replace("require_codeowners = true\n", f"require_codeowners = true\n{lines}\n")


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ('remote = "--upload-pack=touch pwned;"', "is not a remote name"),
        ('remote = "upstream"', "is not a remote of this repository"),
        ('branch_pattern = "-x{major}.{minor}"', "is not a valid git ref name"),
        ('changelog = "/etc/CHANGELOG.md"', "leaves the repository"),
        ('changelog = "../CHANGELOG.md"', "leaves the repository"),
        ('[[tool.release.packages]]\nname = ".."\nkind = "python"', "is not a package name"),
    ],
    ids=[
        "remote-option",
        "remote-unknown",
        "branch-option",
        "changelog-absolute",
        "changelog-up",
        "package-dotdot",
    ],
)
@pytest.mark.parametrize("task", [["release.plan", "minor"], ["release.minor", "--dry-run"]])
def test_config_that_would_escape_is_refused_before_anything(tmp_path, lines, fragment, task):
    sb = make_sandbox(tmp_path)
    if lines.startswith("[["):
        text = PYPROJECT + "\n" + lines + "\n"
    elif lines.startswith("changelog"):
        text = PYPROJECT.replace('changelog = "CHANGELOG.md"', lines)
    else:
        text = release_keys(lines)
    sb.wd.write("pyproject.toml", text)
    sb.wd.git("commit", "-q", "-am", "chore: config")
    guard = canary(tmp_path)
    before, mark = sb.wd.snapshot(), digest(guard)
    res = sb.run(*task, env=at(T0))
    assert fragment in one_line_error(res)
    assert res.returncode == 2
    assert sb.wd.snapshot() == before and digest(guard) == mark
    assert not (sb.root / "pwned").exists() and not Path("pwned").exists()


def test_a_changelog_symlink_out_of_the_repository_is_never_written_through(tmp_path):
    sb = make_sandbox(tmp_path)
    guard = canary(tmp_path)
    (sb.root / "CHANGELOG.md").unlink()
    (sb.root / "CHANGELOG.md").symlink_to(guard / "CHANGELOG.md")
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "chore: changelog elsewhere")
    sb.wd.git("push", "-q", "origin", "main")
    mark = digest(guard)
    res = sb.run("release.minor", "--yes", env=at(T0))
    assert "outside the repository" in one_line_error(res)
    assert digest(guard) == mark
    assert sb.origin_tags() == []
    upd = sb.run("changelog.update", "0.1.0", env=at(T0))
    assert "outside the repository" in one_line_error(upd)
    assert digest(guard) == mark


# ---- journals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"[1, 2, 3]", b'{"steps": []}', b"\xff\xfe not utf-8", b"{not json"],
    ids=["list", "wrong-shape", "not-utf8", "not-json"],
)
def test_a_bad_journal_is_one_line_and_blocks_only_its_own_version(tmp_path, content):
    sb = make_sandbox(tmp_path)
    jdir = sb.root / ".git" / "release"
    jdir.mkdir(parents=True)
    (jdir / "0.0.9.json").write_bytes(content)  # an unrelated old version
    res = sb.run("release.minor", "--yes", env=at(T0))
    assert res.returncode == 0, res.stdout + res.stderr  # not blocked by another version's file
    (jdir / "0.1.0rc1.json").write_bytes(content)  # now the version being inspected
    shown = sb.run("release.journal", "0.1.0rc1")
    line = one_line_error(shown)
    assert "0.1.0rc1.json" in line and "move it aside" in line
    listed = sb.run("release.journals")
    assert listed.returncode == 0 and "unreadable" in listed.stdout


def test_a_journal_moved_aside_after_a_kill_resumes_the_tagged_version(tmp_path):
    """Killed between tag and push, journal moved aside as advised: the re-run publishes rc1,
    never rc2 (rc1 would otherwise never be published)."""
    sb = make_sandbox(tmp_path)
    killed = sb.run("release.minor", "--yes", env={**at(T0), "RELEASE_KILL_AFTER": "git:tag"})
    assert killed.returncode != 0
    j = sb.root / ".git" / "release" / "0.1.0rc1.json"
    j.rename(j.with_suffix(".json.bad"))
    res = sb.run("release.minor", "--yes", env=at(T0 + 60))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "tagged here but not on origin" in res.stdout
    assert sb.origin_tags() == ["v0.1.0rc1"]
    assert json.loads(j.read_text())["complete"] is True


# ---- a push after someone else pushed -------------------------------------------------------


def test_a_rejected_dev_bump_push_names_the_local_cause(tmp_path):
    sb = make_sandbox(tmp_path)
    sb.wd.write("pyproject.toml", release_keys("dev_bump_on_main = true"))
    sb.wd.git("commit", "-q", "-am", "chore: dev bumps")
    sb.wd.git("push", "-q", "origin", "main")
    pause_after = "git:push"
    killed = sb.run("release.minor", "--yes", env={**at(T0), "RELEASE_KILL_AFTER": pause_after})
    assert killed.returncode != 0
    other = tmp_path / "other"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(other))
    (other / "x.txt").write_text("x\n")
    sb.wd.git("add", "x.txt", cwd=other)
    sb.wd.git("commit", "-q", "-m", "feat: meanwhile on main", cwd=other)
    sb.wd.git("push", "-q", "origin", "main", cwd=other)
    res = sb.run("release.minor", "--yes", "--offline", env=at(T0 + 60))
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "git pull --rebase origin main" in out, out
    assert "fix the cause on the remote" not in out


def test_another_clone_resumes_a_pushed_but_unfinished_release_from_the_mirrored_journal(tmp_path):
    """Killed after the push (tag public, the rest not done), the work directory lost with its
    runner: a fresh clone of origin resumes rc1 from the journal the run mirrored on origin,
    never skips to another version, and the mirror moves to refs/release/done/ at the end."""
    sb = make_sandbox(tmp_path)
    killed = sb.run("release.minor", "--yes", env={**at(T0), "RELEASE_KILL_AFTER": "git:push"})
    assert killed.returncode != 0
    refs = sb.wd.git("for-each-ref", "--format=%(refname)", "refs/release", cwd=sb.wd.origin)
    assert "refs/release/journals/0.1.0rc1" in refs.split()
    fresh = tmp_path / "runner"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(fresh))
    sb.wd.git("config", "user.email", "owner@example.com", cwd=fresh)
    # the dead runner's lock is still on origin: the new one says whose, and waits for a human
    res = sb.run("release.minor", "--yes", env=at(T0 + 60), cwd=fresh)
    assert res.returncode == 4 and "release.unlock 0.1.0rc1" in res.stderr
    assert "resuming the unfinished release of 0.1.0rc1" in res.stdout
    assert "mirrored on origin" in res.stdout
    assert sb.origin_tags() == ["v0.1.0rc1"]
    sb.run("release.unlock", "0.1.0rc1", check=True, cwd=fresh)
    res = sb.run("release.minor", "--yes", env=at(T0 + 60), cwd=fresh)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "resuming the unfinished release of 0.1.0rc1" in res.stdout
    assert sb.origin_tags() == ["v0.1.0rc1"]
    j = json.loads((fresh / ".git" / "release" / "0.1.0rc1.json").read_text())
    assert j["complete"] is True and j["release"]["version"] == "0.1.0rc1"
    refs = sb.wd.git("for-each-ref", "--format=%(refname)", "refs/release", cwd=sb.wd.origin)
    assert refs.split() == ["refs/release/done/0.1.0rc1"]
    # the original clone, re-run, is a no-op for the finished release: nothing new is made
    again = sb.run("release.minor", "--yes", env=at(T0 + 120))
    assert sb.origin_tags() == ["v0.1.0rc1"], again.stdout + again.stderr


def test_journal_rebuild_from_the_mirror_or_from_the_tag(tmp_path):
    """`release.journal VERSION --rebuild`: a corrupt journal comes back from origin's mirror
    (the bad file kept aside); without a mirror (a release made before mirrors) from the tag,
    and the resumed run probes every step and finishes the same version."""
    sb = make_sandbox(tmp_path)
    killed = sb.run("release.minor", "--yes", env={**at(T0), "RELEASE_KILL_AFTER": "git:push"})
    assert killed.returncode != 0
    sb.run("release.unlock", "0.1.0rc1", check=True)
    j = sb.root / ".git" / "release" / "0.1.0rc1.json"
    good = json.loads(j.read_text())
    j.write_bytes(b"\xff\xfe not a journal")
    res = sb.run("release.journal", "0.1.0rc1", "--rebuild", check=True)
    assert "from the journal mirrored on origin" in res.stdout
    assert json.loads(j.read_text())["steps"] == good["steps"]
    assert (j.parent / "0.1.0rc1.json.bad").read_bytes() == b"\xff\xfe not a journal"
    again = sb.run("release.journal", "0.1.0rc1", "--rebuild")
    assert again.returncode != 0 and "readable journal" in again.stderr
    # no mirror, no journal: rebuilt from the tag on origin
    sb.wd.git("update-ref", "-d", "refs/release/journals/0.1.0rc1", cwd=sb.wd.origin)
    fresh = tmp_path / "runner"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(fresh))
    sb.wd.git("config", "user.email", "owner@example.com", cwd=fresh)
    lost = sb.run("release.resume", "0.1.0rc1", cwd=fresh)
    assert lost.returncode != 0 and "--rebuild" in lost.stderr
    res = sb.run("release.journal", "0.1.0rc1", "--rebuild", check=True, cwd=fresh)
    assert "(minor) from the world (v0.1.0rc1 at" in res.stdout
    done = sb.run("release.resume", "0.1.0rc1", "--yes", env=at(T0 + 60), cwd=fresh)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sb.origin_tags() == ["v0.1.0rc1"]
    assert json.loads((fresh / ".git/release/0.1.0rc1.json").read_text())["complete"] is True
    nothing = sb.run("release.journal", "9.9.9", "--rebuild", cwd=fresh)
    assert nothing.returncode != 0 and "not tagged here or on origin" in nothing.stderr
    assert len(nothing.stderr.strip().splitlines()) == 1
