"""publish_via = "action" (issue 16): the engine builds, checks, pushes the tag and hands the files
over to pypa/gh-action-pypi-publish instead of uploading them; a re-run after the action's upload
finds them served with the recorded sha256 and finishes the release. The local pypiserver pair
stands in for (Test)PyPI, a twine upload by the test for the action."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.fixtures.sandbox import make_sandbox

pytestmark = pytest.mark.integration

BUILD = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

"""


@pytest.fixture
def action_sandbox(tmp_path, monkeypatch, pypi_server):
    """demo-client, publishable to the local indexes, with publish_via = "action"."""
    pytest.importorskip("hatchling", reason="scripts/install-test-deps.sh installs hatchling")
    sb = make_sandbox(tmp_path, monkeypatch, package=True)
    text = (sb.root / "pyproject.toml").read_text()
    text = BUILD + text.replace("dependencies = []", 'readme = "README.md"\ndependencies = []')
    text = text.replace("[tool.release]\n", '[tool.release]\npublish_via = "action"\n', 1)
    repos = "\n".join(f'{k} = "{v}"' for k, v in pypi_server.repositories().items())
    text += f"\n[tool.release.repositories]\n{repos}\n"
    sb.wd.write("pyproject.toml", text)
    sb.wd.write("README.md", "# demo-client\n\nA sample project.\n")
    sb.wd.write(".gitignore", "__pycache__/\ndist/\n")
    sb.wd.git("add", "pyproject.toml", "README.md", ".gitignore")
    sb.wd.git("commit", "-q", "-m", "build: publishable package, handed over to the action")
    sb.wd.git("push", "-q", "origin", "main")
    sb.env["RELEASE_BUILD_ISOLATION"] = "0"
    for key in [k for k in sb.env if k.startswith(("TWINE_", "GITHUB_", "ACTIONS_"))]:
        del sb.env[key]  # no credentials at all: the engine must not need any
    return sb


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dir(path: Path) -> dict[str, str]:
    return {p.name: _sha256(p) for p in sorted(path.iterdir())} if path.is_dir() else {}


def _outputs(path: Path) -> dict[str, str]:
    text = path.read_text() if path.exists() else ""
    return dict(ln.split("=", 1) for ln in text.splitlines() if "=" in ln)


def test_hand_over_then_upload_by_the_action_then_the_rerun_finishes(
    action_sandbox, pypi_server, tmp_path
):
    sb = action_sandbox
    journal = sb.root / ".git" / "release" / "0.1.0rc1.json"
    handover = sb.root / "dist"
    out_file = tmp_path / "github_output"
    gha = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out_file)}

    first = sb.run("release.minor", "--yes", env=gha)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    said = first.stdout
    assert "hand over: dist/ holds 2 file(s) for pypa/gh-action-pypi-publish" in said
    assert "v0.1.0rc1 handed over" in said and "released v0.1.0rc1" not in said
    # built, tagged and pushed; nothing on either index
    assert "v0.1.0rc1" in sb.origin_tags()
    assert pypi_server.testpypi.files() == [] and pypi_server.pypi.files() == []
    data = json.loads(journal.read_text())
    recorded = data["steps"]["build:demo-client"]["facts"]["files"]
    entry = data["steps"]["publish:demo-client"]
    # the hand-over directory holds exactly the recorded files, byte for byte
    assert _dir(handover) == recorded and len(recorded) == 2
    assert entry["facts"]["handed_over"]["files"] == recorded
    assert entry["facts"]["handed_over"]["dir"] == "dist"
    assert entry["detail"].startswith("handed over")
    assert not data.get("complete")
    for name, sha in recorded.items():
        assert f"{name}  sha256:{sha}" in said
    outputs = _outputs(out_file)
    if outputs:  # written by the tasks under GitHub Actions (tasks/release.py)
        assert outputs.get("released") == "false" and outputs.get("version") == "0.1.0rc1"

    # a hand-over directory that git tracks is refused; nothing in it is deleted
    tracked = sb.root / "demo_client" / "__init__.py"
    before = tracked.read_text()
    refused = sb.run("release.minor", "--yes", env={"RELEASE_HANDOVER_DIR": "demo_client"})
    assert refused.returncode == 2, refused.stdout[-2000:] + refused.stderr
    assert "holds files tracked by git" in refused.stdout + refused.stderr
    assert tracked.read_text() == before

    # re-run before the upload: the same hand-over again, nothing else changes
    tag_at = sb.origin_rev("v0.1.0rc1")
    (handover / "stale-0.0.1.tar.gz").write_bytes(b"left from another run")
    again = sb.run("release.minor", "--yes")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert "hand over: dist/ holds 2 file(s)" in again.stdout
    assert _dir(handover) == recorded  # emptied first: only this release's files
    assert pypi_server.testpypi.files() == [] and pypi_server.pypi.files() == []
    assert sb.origin_rev("v0.1.0rc1") == tag_at
    assert not json.loads(journal.read_text()).get("complete")

    # the action's part: trusted publishing uploads dist/* (here: twine with a password)
    index = pypi_server.testpypi
    up = subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--repository-url",
            index.upload_url,
            *sorted(str(p) for p in handover.iterdir()),
        ],
        env={**sb.env, "TWINE_USERNAME": index.username, "TWINE_PASSWORD": index.password},
        capture_output=True,
        text=True,
    )
    assert up.returncode == 0, up.stdout + up.stderr
    assert index.files() == sorted(recorded)

    out_file.unlink()
    done = sb.run("release.minor", "--yes", env=gha)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "released v0.1.0rc1" in done.stdout and "hand over" not in done.stdout
    data = json.loads(journal.read_text())
    assert data.get("complete") is True
    assert data["steps"]["publish:demo-client"]["status"] == "verified"
    assert {p.name: _sha256(p) for p in index.packages_dir.iterdir()} == recorded
    outputs = _outputs(out_file)
    if outputs:
        assert outputs.get("released") == "true"

    verify = sb.run("release.verify", "0.1.0rc1")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_client_and_the_server_pinning_it_are_handed_over_together(git_repo, pypi_server):
    """Two Python packages of one release: one hand-over (one upload by the action), not one
    workflow run per package; the re-run finds both served, in dependency order."""
    from release import engine
    from release.core.policy import policy_from_table
    from release.core.version import Version
    from release.steps.publish import HandedOver, build_steps, publish_steps
    from tests.integration.test_publish_release import Project, _require_backend

    _require_backend()
    project = Project(git_repo, pypi_server, None, None, kinds=("client", "server"))
    project.table["publish_via"] = "action"
    project.policy = policy_from_table(project.table)
    project.release("0.1.0")
    v = Version.parse("0.1.0")
    steps = build_steps(project.policy, v) + publish_steps(project.policy, v)
    world = project.world("0.1.0")
    report = engine.run(steps, world, world.journal)
    assert isinstance(report.error, HandedOver)
    status = {r.name: r.status for r in report.rows}
    assert status["publish:demo-server"] == "not-run"  # handed over with the client
    files = {
        **world.journal.facts("build:demo-client")["files"],
        **world.journal.facts("build:demo-server")["files"],
    }
    handed = world.journal.facts("publish:demo-client")["handed_over"]
    assert handed["packages"] == ["demo-client", "demo-server"] and handed["files"] == files
    assert _dir(git_repo.root / "dist") == files and pypi_server.files() == []

    for name in ("demo_client", "demo_server"):  # the action uploads; the client first here
        files_of = sorted(str(p) for p in (git_repo.root / "dist").glob(f"{name}-*"))
        up = subprocess.run(
            [
                *(sys.executable, "-m", "twine", "upload", "--non-interactive"),
                *("--repository-url", pypi_server.upload_url, *files_of),
            ],
            env={**world.env, **pypi_server.twine_env()},
            capture_output=True,
            text=True,
        )
        assert up.returncode == 0, up.stdout + up.stderr

    world = project.world("0.1.0")
    again = engine.run(steps, world, world.journal)
    assert again.ok, [(r.name, r.status, r.detail) for r in again.rows]
    assert {r.name: r.status for r in again.rows if r.name.startswith("publish:")} == {
        "publish:demo-client": "done",
        "publish:demo-server": "done",
    }
    assert sorted(pypi_server.files()) == sorted(files)


# ---- the hand-over directory: inside the repository, untracked, emptied ------------------------


def _world(root: Path, env: dict[str, str]) -> SimpleNamespace:
    from release.adapters.git import GitRepo

    return SimpleNamespace(root=root, env=env, repo=GitRepo(root, "origin"))


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    run = {"cwd": root, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **run)
    (root / "src").mkdir()
    (root / "src" / "mod.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "src/mod.py"], **run)
    return root


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("../outside", "is not inside the repository"),
        ("/tmp", "is not inside the repository"),
        (".", "is not inside the repository"),
        (".git/handover", "is inside .git"),
        ("src", "holds files tracked by git"),
        ("link", "is not inside the repository"),
        ("afile", "is not a directory"),
    ],
)
def test_a_hand_over_directory_that_is_not_safe_to_empty_is_refused(repo, tmp_path, value, why):
    from release.errors import ConfigError
    from release.steps.publish import PublishPython

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (repo / "link").symlink_to(outside)
    (repo / "afile").write_text("a file")
    step = PublishPython.__new__(PublishPython)
    with pytest.raises(ConfigError, match=why):
        step._handover_dir(_world(repo, {"RELEASE_HANDOVER_DIR": value}))
    assert (outside / "keep.txt").read_text() == "keep"
    assert (repo / "src" / "mod.py").read_text() == "x = 1\n"
    assert (repo / "afile").read_text() == "a file"


def test_the_default_hand_over_directory_is_dist_emptied_first(repo):
    from release.steps.publish import PublishPython

    (repo / "dist" / "old").mkdir(parents=True)
    (repo / "dist" / "old" / "x.whl").write_text("old")
    (repo / "dist" / "y.tar.gz").write_text("old")
    step = PublishPython.__new__(PublishPython)
    target, shown = step._handover_dir(_world(repo, {}))
    assert shown == "dist" and target == repo.resolve() / "dist"
    assert list(target.iterdir()) == []
