"""Issue 15, point 4: a release leaves its work directory (.git/release/work/<version>/: exported
sources, dist files, smoke venvs) behind. A complete release removes it (unless keep_work), an
unfinished one keeps it for the resumed run, and `release.prune` removes what is left: never an
unfinished release's, and nothing outside `.git/release/work` but the journal's prune record."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

import pytest

from tests.fixtures.sandbox import make_published_sandbox, make_sandbox

pytestmark = pytest.mark.integration

RC = "0.1.0rc1"
WORK = f".git/release/work/{RC}"


def published(tmp_path, monkeypatch, pypi_server, keep_work: bool = False):
    """The published sandbox (tests/fixtures/sandbox.py) with [tool.release].keep_work as given."""
    return make_published_sandbox(
        tmp_path, monkeypatch, pypi_server, release_keys="keep_work = true" if keep_work else ""
    )


def tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple]:
    """Every file, folder and link under `root` with its mode and content (hash), except the
    paths in `skip` and Python's __pycache__ folders (the interpreter's, not ours)."""
    out: dict[str, tuple] = {}
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in sorted([*dirs, *files]):
            p = Path(top) / name
            rel = p.relative_to(root).as_posix()
            if any(rel == s or rel.startswith(s + "/") for s in skip):
                continue
            st = p.lstat()
            if p.is_symlink():
                out[rel] = ("link", str(p.readlink()))
            elif p.is_dir():
                out[rel] = ("dir", st.st_mode)
            else:
                out[rel] = ("file", st.st_mode, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def journal(sb, version: str = RC) -> dict:
    return json.loads((sb.root / f".git/release/{version}.json").read_text())


def outside_work(sb) -> dict:
    """Everything of the checkout and of origin but the work directories and the journals
    (compared apart, without their prune record)."""
    journals = {
        p.name: {k: v for k, v in json.loads(p.read_text()).items() if k != "pruned"}
        for p in sorted((sb.root / ".git/release").glob("*.json"))
    }
    skip = (".git/release/work", *(f".git/release/{n}" for n in journals))
    return {
        "checkout": tree(sb.root, skip),
        "origin": tree(sb.wd.origin),
        "journals": journals,
    }


def worktrees(sb) -> str:
    return sb.wd.git("worktree", "list", "--porcelain")


def assert_no_stale_worktree(sb) -> None:
    listed = worktrees(sb)
    assert "prunable" not in listed and listed.count("worktree ") == 1, listed


def dist_bytes(pypi_server) -> int:
    """The size of the files published to TestPyPI: the work directory held at least those."""
    files = [pypi_server.testpypi.packages_dir / f for f in pypi_server.testpypi.files()]
    assert len(files) == 2, files
    return sum(f.stat().st_size for f in files)


def verify_passes(sb, version: str = RC) -> None:
    res = sb.run("release.verify", version, "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    checks = json.loads(res.stdout)["checks"]
    assert {c["item"].split()[0] for c in checks} == {"git", "python"}
    assert all(c["ok"] for c in checks), checks


def test_a_complete_release_prunes_its_work_dir(tmp_path, monkeypatch, pypi_server):
    sb = published(tmp_path, monkeypatch, pypi_server)
    res = sb.run("release.minor", "--yes", check=True)
    assert not (sb.root / WORK).exists() and not (sb.root / ".git/release/work").exists()
    data = journal(sb)
    assert data["complete"] is True
    pruned = data["pruned"]
    assert set(pruned) == {"at", "bytes"} and isinstance(pruned["at"], int)
    assert pruned["bytes"] > dist_bytes(pypi_server)  # the dist files, sources, exports
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("pruned ")]
    assert len(lines) == 1 and lines[0].startswith(f"pruned {WORK} ("), res.stdout
    assert res.stdout.index("released v0.1.0rc1") < res.stdout.index(lines[0])
    assert_no_stale_worktree(sb)
    # what verify needs is in the journal and on the index, not in the work directory
    build = data["steps"]["build:demo-client"]["facts"]["files"]
    assert len(build) == 2 and sorted(pypi_server.testpypi.files()) == sorted(build)
    assert sb.origin_tags() == ["v0.1.0rc1"]
    assert sb.origin_rev("release-0.1.x") == sb.origin_rev("v0.1.0rc1")
    verify_passes(sb)
    assert sb.wd.git("status", "--porcelain") == ""


def test_a_stopped_release_keeps_its_work_dir_until_it_completes(
    tmp_path, monkeypatch, pypi_server
):
    sb = published(tmp_path, monkeypatch, pypi_server)
    killed = sb.run("release.minor", "--yes", env={"RELEASE_KILL_AFTER": "git:push"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    work = sb.root / WORK
    assert list((work / "dist").rglob("*.whl")), "the built files are kept for the resumed run"
    assert "complete" not in journal(sb) and "pruned" not in journal(sb)

    before = tree(sb.root / ".git/release")
    listed = sb.run("release.prune", "--dry-run", check=True)
    res = sb.run("release.prune", check=True)
    assert tree(sb.root / ".git/release") == before  # the unfinished release is never touched
    for out in (listed.stdout, res.stdout):
        assert f"kept {WORK} (" in out and f"unfinished release (release.resume {RC}" in out
        assert "nothing to prune" in out, out
    as_json = json.loads(sb.run("release.prune", "--json", check=True).stdout)
    assert as_json["removed"] == [] and [k["version"] for k in as_json["kept"]] == [RC]

    resumed = sb.run("release.minor", "--yes", check=True)
    assert f"pruned {WORK} (" in resumed.stdout
    assert not work.exists() and journal(sb)["complete"] is True
    assert journal(sb)["pruned"]["bytes"] > dist_bytes(pypi_server)
    assert_no_stale_worktree(sb)
    verify_passes(sb)


def test_keep_work_keeps_it_and_prune_removes_it_later(tmp_path, monkeypatch, pypi_server):
    sb = published(tmp_path, monkeypatch, pypi_server, keep_work=True)
    res = sb.run("release.minor", "--yes", check=True)
    work = sb.root / WORK
    assert work.is_dir() and list((work / "dist").rglob("*.whl"))
    assert "pruned" not in journal(sb) and journal(sb)["complete"] is True
    assert f"kept {WORK} (keep_work = true" in res.stdout and "pruned " not in res.stdout

    # keep_work off again (one commit on main), then prune what the release left
    text = (sb.root / "pyproject.toml").read_text().replace("keep_work = true\n", "")
    sb.wd.commit("build: prune work directories again", path="pyproject.toml", text=text)
    sb.wd.git("push", "-q", "origin", "main")

    everything = tree(sb.root), tree(sb.wd.origin)
    dry = sb.run("release.prune", "--dry-run", check=True)
    assert (tree(sb.root), tree(sb.wd.origin)) == everything  # a dry run changes no byte
    assert f"would remove {WORK} (" in dry.stdout and "complete release" in dry.stdout
    assert "would free" in dry.stdout
    planned = json.loads(sb.run("release.prune", "--dry-run", "--json", check=True).stdout)
    assert (tree(sb.root), tree(sb.wd.origin)) == everything
    assert planned["dry_run"] is True and [r["version"] for r in planned["removed"]] == [RC]
    size = planned["removed"][0]["bytes"]
    assert size > dist_bytes(pypi_server) and planned["bytes"] == size

    before = outside_work(sb)
    res = sb.run("release.prune", check=True)
    assert f"removed {WORK} (" in res.stdout and "freed " in res.stdout
    assert not (sb.root / ".git/release/work").exists()
    assert outside_work(sb) == before  # refs, origin, journals: only the prune record is new
    pruned = journal(sb)["pruned"]
    assert pruned["bytes"] == size and isinstance(pruned["at"], int)
    assert_no_stale_worktree(sb)
    again = sb.run("release.prune", check=True)
    assert "nothing to prune" in again.stdout
    verify_passes(sb)


def test_prune_from_a_linked_worktree_removes_orphans_and_stale_entries(tmp_path, monkeypatch):
    """No release needed: a version's directory without a journal, a stale worktree entry of a
    killed run, the shared nox venvs (not a version) and a user's own worktree."""
    sb = make_sandbox(tmp_path, monkeypatch)
    work = sb.root / ".git/release/work"
    (work / "0.2.0/dist").mkdir(parents=True)
    (work / "0.2.0/dist/demo-0.2.0.tar.gz").write_bytes(b"x" * 5000)
    (work / "nox/venv").mkdir(parents=True)
    (work / "nox/venv/marker").write_text("shared across releases")
    sb.wd.git("worktree", "add", "-q", "--detach", str(work / "0.3.0/tree"), "HEAD")
    sb.wd.git("worktree", "add", "-q", "--detach", str(work / "0.3.0rc1/tree"), "HEAD")
    import shutil

    shutil.rmtree(work / "0.3.0rc1")  # a stale entry: its directory is gone
    mine = tmp_path / "my-worktree"
    sb.wd.git("worktree", "add", "-q", "-b", "topic", str(mine), "HEAD")
    assert "prunable" in worktrees(sb)

    everything = tree(sb.root), tree(mine)
    dry = json.loads(sb.run("release.prune", "--dry-run", "--json", cwd=mine, check=True).stdout)
    assert (tree(sb.root), tree(mine)) == everything
    assert Path(dry["work"]) == work.resolve()
    removed = {r["version"]: r for r in dry["removed"]}
    assert set(removed) == {"0.2.0", "0.3.0", "0.3.0rc1"}, dry
    assert removed["0.2.0"]["why"] == "no journal" and removed["0.2.0"]["bytes"] == 5000
    assert removed["0.3.0rc1"]["why"].startswith("stale worktree entry")

    res = sb.run("release.prune", cwd=mine, check=True)
    assert f"removed {work / '0.2.0'} (5.0 kB): no journal" in res.stdout  # outside the checkout
    assert f"removed {work / '0.3.0rc1/tree'}: stale worktree entry" in res.stdout, res.stdout
    assert sorted(p.name for p in work.iterdir()) == ["nox"]
    assert (work / "nox/venv/marker").exists()
    listed = worktrees(sb)
    assert "prunable" not in listed and ".git/release/work" not in listed
    assert str(mine) in listed and (mine / "tasks.py").exists()
    assert list((sb.root / ".git/release").glob("*.json")) == []  # no journal made
