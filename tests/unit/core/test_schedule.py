"""release.schedule on a sandbox repository whose tags carry known dates (git is real here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from release.adapters.git import read_state
from release.core.lines import supported_lines
from release.core.policy import Policy
from release.core.schedule import compute_schedule
from tests.unit.core.test_lines import HISTORY, ts

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def build(wd) -> None:
    for name, day in HISTORY:
        if name == "v1.1.1":  # a lightweight tag: its date is the commit's
            wd.commit(f"fix: for {name}", date=ts(day))
            wd.tag(name, annotated=False)
        else:
            wd.commit(f"change for {name}", date=ts(day) - 3600)
            wd.tag(name, date=ts(day))


def test_schedule_from_real_tag_dates(git_repo):
    build(git_repo)
    tags = read_state(git_repo.root).tagset
    policy = Policy()
    sched = compute_schedule(tags, policy, ts("2025-09-01"), supported_lines(tags, policy))
    got = {
        (r["type"], r.get("line")): (r["last"], r["last_date"], r["due"], r["status"])
        for r in sched["rows"]
    }
    assert got == {
        ("major", None): ("v1.0.0", "2025-03-01", "2025-08-31", "due"),
        ("minor", None): ("v1.2.0", "2025-07-01", "2025-08-31", "overdue"),
        ("patch", "1.1"): ("v1.1.1", "2025-05-09", "2025-05-16", "overdue"),
        ("patch", "1.2"): ("v1.2.2", "2025-07-20", "2025-07-27", "overdue"),
    }


def test_release_schedule_task_json_and_table(git_repo):
    build(git_repo)
    env = dict(git_repo.env, RELEASE_NOW=str(ts("2025-07-22")))
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    res = subprocess.run(
        [sys.executable, "-m", "release", "release.schedule", "--json"],
        cwd=git_repo.root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["now"] == "2025-07-22"
    rows = {(r["type"], r.get("line")): r for r in data["rows"]}
    assert (
        rows[("patch", "1.2")]["due"] == "2025-07-27" and rows[("patch", "1.2")]["days_left"] == 5.0
    )
    assert rows[("minor", None)]["in_progress"] == "1.3.0rc1"
    assert data["overdue"] == ["patch 1.1"]

    res = subprocess.run(
        [sys.executable, "-m", "release", "release.schedule"],
        cwd=git_repo.root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, res.stderr
    assert "2025-08-31 .. 2025-10-31" in res.stdout  # the major's 6-8 month window
    assert "overdue: patch 1.1" in res.stdout
