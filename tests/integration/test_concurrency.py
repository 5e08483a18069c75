"""Two release commands for the same version at once: the second refuses, never interleaves."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.fixtures.sandbox import Sandbox

pytestmark = pytest.mark.integration


def test_second_run_refuses_while_the_first_holds_the_lock(sandbox: Sandbox, tmp_path):
    sb = sandbox
    fifo = tmp_path / "pause"
    os.mkfifo(fifo)
    env = dict(sb.env, RELEASE_PAUSE_AFTER="git:commit", RELEASE_PAUSE_FIFO=str(fifo))
    first = subprocess.Popen(
        [sys.executable, "-m", "release", "release.minor", "--yes"],
        cwd=sb.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Opening the FIFO for writing blocks until the first run reaches the pause: no sleep.
        with open(fifo, "w") as gate:
            second = sb.run("release.minor", "--yes")
            assert second.returncode != 0
            assert "another release run for 0.1.0rc1 is in progress" in second.stderr
            assert sb.origin_tags() == []  # the second run did nothing
            gate.write("go\n")
        _out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert sb.origin_tags() == ["v0.1.0rc1"]
    assert sb.wd.git("rev-list", "--count", "main..release-0.1.x") == "1"


def test_two_clones_releasing_the_same_version_at_once_publish_once(tmp_path):
    """Two machines (two clones of one origin) release 0.1.0rc1 at the same time. Both plan and
    make their local commit and tag; the first to publish takes the lock on origin; the other
    stops at its first public step with one line naming the holder. No sleeps: FIFOs order it."""
    from tests.fixtures.race import clone_for_race, race
    from tests.fixtures.sandbox import make_sandbox

    a = make_sandbox(tmp_path / "a")
    b_root = clone_for_race(a, tmp_path / "b-clone")
    r = race(a.env, a.root, b_root, tmp_path, timeout=120)
    assert r.first.returncode == 0, r.err_first
    assert r.second.returncode == 4, r.err_second
    r.loser_line()
    assert a.origin_tags() == ["v0.1.0rc1"]
    assert a.origin_rev("v0.1.0rc1") == a.wd.git("rev-parse", "v0.1.0rc1^{commit}")  # the first's
    locks = a.wd.git("for-each-ref", "refs/release/locks", cwd=a.wd.origin)
    assert locks == ""  # released when the run ended


def test_unlock_removes_a_dead_runs_lock_and_the_next_run_takes_over(tmp_path):
    from tests.fixtures.sandbox import make_sandbox

    sb = make_sandbox(tmp_path)
    killed = sb.run("release.minor", "--yes", env={"RELEASE_KILL_AFTER": "git:push"})
    assert killed.returncode != 0
    assert (
        sb.wd.git("for-each-ref", "refs/release/locks", cwd=sb.wd.origin) != ""
    )  # left by the kill
    sb.run("release.minor", "--yes", check=True)  # the same checkout takes its dead lock over
    assert sb.wd.git("for-each-ref", "refs/release/locks", cwd=sb.wd.origin) == ""
    res = sb.run("release.unlock", "0.1.0rc1", check=True)
    assert "no release lock" in res.stdout
