"""mergify.sync / mergify.check through the CLI on a real repository with release lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from release.adapters import mergify as mg
from tests.fixtures.gitrepo import WorkDir

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT_ROOT / "tests" / "fixtures" / "mergify_sample.yml"


def cli(wd: WorkDir, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(wd.env)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "release", *args],
        cwd=wd.root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_sync_then_check_follow_the_supported_lines(git_repo):
    wd = git_repo
    wd.write(".github/mergify.yml", SAMPLE.read_text())
    wd.commit("ci: mergify rules", "pyproject.toml", "[tool.release]\nsupported_lines = 2\n")
    wd.git("add", ".github/mergify.yml")
    wd.git("commit", "-q", "-m", "ci: mergify")
    for v in ("0.2.0", "0.3.0", "0.4.0"):
        wd.commit(f"feat: {v}")
        wd.tag(f"v{v}")
    config = wd.root / ".github" / "mergify.yml"

    res = cli(wd, "mergify.check")
    assert res.returncode == 1
    assert "mergify.yml is out of date" in res.stderr and "invoke mergify.sync" in res.stderr
    assert config.read_text() == SAMPLE.read_text()  # check writes nothing

    res = cli(wd, "mergify.sync")
    assert res.returncode == 0, res.stderr
    assert (
        "updated .github/mergify.yml: backport rules for release-0.4.x, release-0.3.x" in res.stdout
    )
    text = config.read_text()
    assert text.startswith(SAMPLE.read_text())
    assert mg.rule_branches(text) == ["release-0.4.x", "release-0.3.x"]
    assert cli(wd, "mergify.check").returncode == 0
    res = cli(wd, "mergify.sync")
    assert res.returncode == 0 and "is up to date" in res.stdout
    assert config.read_text() == text

    wd.commit("feat: 0.5")
    wd.tag("v0.5.0rc1")  # a line under release candidates receives backports too
    res = cli(wd, "mergify.check")
    assert res.returncode == 1 and "release-0.5.x, release-0.4.x, release-0.3.x" in res.stderr
    assert cli(wd, "mergify.sync").returncode == 0
    assert mg.rule_branches(config.read_text()) == [
        "release-0.5.x",
        "release-0.4.x",
        "release-0.3.x",
    ]

    wd.tag("v0.5.0")  # 0.5 final: the 2 newest lines with a final are 0.5 and 0.4
    assert cli(wd, "mergify.sync").returncode == 0
    final = config.read_text()
    assert mg.rule_branches(final) == ["release-0.5.x", "release-0.4.x"]
    assert final.startswith(SAMPLE.read_text())
    assert cli(wd, "mergify.check").returncode == 0


def test_sync_creates_the_file_when_missing(git_repo):
    git_repo.commit("feat: one")
    git_repo.tag("v1.0.0")
    res = cli(git_repo, "mergify.sync")
    assert res.returncode == 0 and "created .github/mergify.yml" in res.stdout
    assert mg.rule_branches((git_repo.root / ".github" / "mergify.yml").read_text()) == [
        "release-1.0.x"
    ]
