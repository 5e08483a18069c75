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
