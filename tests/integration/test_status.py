"""`release.status` on real repositories: messy tag histories, no tags, this repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fixtures.gitrepo import WorkDir
from tests.fixtures.sandbox import PROJECT_ROOT

pytestmark = pytest.mark.integration

T0 = 1_700_000_000
DAY = 86400

# (tag, branch it is made on); dates increase in this order.
HISTORY = [
    ("v0.1.0", "main"),
    ("v0.1.4.dev3", "main"),
    ("v0.1.9", "main"),
    ("v0.1.19rc8", "main"),
    ("v0.2.0rc1", "main"),
    ("v0.2.0", "main"),
    ("v0.2.10", "release-0.2.x"),
    ("v0.2.10.1", "release-0.2.x"),
    ("v0.2.12", "release-0.2.x"),
    ("v0.2.12rc6", "release-0.2.x"),
    ("v0.3.0rc1", "main"),
    ("v0.3.0", "main"),
    ("v0.3.1-dev.20251022", "main"),
    ("v0.3.5", "release-0.3.x"),
    ("v0.3.6rc1", "release-0.3.x"),
    ("v0.5.0-dev", "main"),
    ("v0.4.0rc1", "main"),
    ("v0.4.0rc2", "main"),
    ("stable", "main"),
]


def status(cwd, *args, now: int | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    if now:
        env["RELEASE_NOW"] = str(now)
    return subprocess.run(
        [sys.executable, "-m", "release", "release.status", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def messy(git_repo: WorkDir) -> WorkDir:
    wd = git_repo
    wd.git("branch", "release-0.2.x")
    wd.git("branch", "release-0.3.x")
    for i, (tag, branch) in enumerate(HISTORY):
        wd.git("checkout", "-q", branch)
        wd.commit(f"fix: change for {tag} (#{i + 10})", date=T0 + i * DAY)
        wd.tag(tag, date=T0 + i * DAY, annotated=(tag != "stable"))
    wd.git("checkout", "-q", "main")
    return wd


def test_status_json_on_a_messy_history(messy: WorkDir):
    res = status(messy.root, "--json", now=T0 + 30 * DAY)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    nxt = {k: v["version"] for k, v in data["next"].items()}
    assert nxt == {
        "minor": "0.4.0rc3",
        "major": "1.0.0rc1",
        "rc": "0.4.0rc3",
        "final": "0.4.0",
        "patch": "0.3.6",
    }
    assert data["latest_final"] == "0.3.5"
    assert {s["tag"] for s in data["strays"]} == {
        "v0.1.4.dev3",
        "v0.2.10.1",
        "v0.3.1-dev.20251022",
        "v0.5.0-dev",
        "stable",
    }
    assert {a["tag"] for a in data["anomalies"]} == {"v0.1.19rc8", "v0.2.12rc6"}
    assert data["release_branches"] == ["release-0.2.x", "release-0.3.x"]
    (rc,) = data["open_rcs"]
    assert rc["version"] == "0.4.0" and rc["rc1"] == "v0.4.0rc1" and rc["window_open"] is False
    assert data["supported_lines"] == ["0.2", "0.3"]


def test_status_from_a_release_branch_uses_its_line(messy: WorkDir):
    messy.git("checkout", "-q", "release-0.2.x")
    data = json.loads(status(messy.root, "--json").stdout)
    assert data["line"] == "0.2"
    assert data["next"]["patch"]["version"] == "0.2.13"
    assert "line 0.2 is already final" in data["next"]["rc"]["reason"]


def test_status_table_shows_every_part(messy: WorkDir):
    res = status(messy.root, now=T0 + 30 * DAY)
    assert res.returncode == 0, res.stderr
    for text in (
        "Next version from here",
        "Release lines",
        "Open release candidates",
        "Cadence",
        "v0.1.19rc8",
        "stray: development or nightly marker",
        "0.4.0rc3",
    ):
        assert text in res.stdout


def test_status_without_any_tag(git_repo: WorkDir):
    data = json.loads(status(git_repo.root, "--json").stdout)
    assert data["latest_final"] is None
    assert data["next"]["minor"]["version"] == "0.1.0rc1"
    assert data["next"]["patch"]["version"] is None


def test_status_on_this_repository():
    res = status(PROJECT_ROOT, "--json")
    assert res.returncode == 0, res.stderr
    assert set(json.loads(res.stdout)["next"]) == {"patch", "minor", "major", "rc", "final"}
