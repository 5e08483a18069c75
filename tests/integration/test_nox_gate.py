"""The test gate with real nox on a real repository: evidence journaled, a red session refuses.

The sandbox's noxfile is tiny (sessions without a virtualenv) so nox itself is what is tested.
"""

from __future__ import annotations

import json
import os

import pytest

from release import engine
from release.adapters.git import GitRepo, read_state
from release.core.policy import Policy, policy_from_table
from release.core.version import Version
from release.errors import NotReady
from release.journal import Journal
from release.steps.tests import TestGate
from release.world import World
from tests.fixtures.sandbox import make_sandbox

pytestmark = pytest.mark.integration

NOXFILE = '''\
import os
from pathlib import Path

import nox


@nox.session(python=False, tags=["patch", "minor"])
def unit(session):
    """Pass when state.txt says green (and SANDBOX_RED is not set)."""
    if Path("state.txt").read_text().strip() != "green" or os.environ.get("SANDBOX_RED"):
        session.log("unit tests are red")
        session.run("false")


@nox.session(python=False, tags=["minor"])
def docs(session):
    """Record the version the gate asked to document."""
    session.log("documenting " + os.environ.get("RELEASE_VERSION", "?"))


@nox.session(python=False, tags=["major"])
def bench(session):
    """Not part of patch or minor."""
    session.error("must not run for a patch")
'''


def make_world(wd, version="0.1.1", kind="patch", policy=None, env=None):
    state = read_state(wd.root)
    v = Version.parse(version)
    return World(
        root=wd.root,
        repo=GitRepo(wd.root),
        policy=policy or Policy(),
        version=v,
        kind=kind,
        journal=Journal.open(state.git_dir, v.pep440()),
        tagset=state.tagset,
        now=0,
        base_commit=wd.head(),
        env={**os.environ, **(env or {})},
    )


def with_noxfile(wd, state="green"):
    wd.write("noxfile.py", NOXFILE)
    wd.write("state.txt", state + "\n")
    wd.git("add", "noxfile.py", "state.txt")
    wd.git("commit", "-q", "-m", "test: a tiny noxfile")
    return wd.head()


def test_passing_sessions_are_journaled_and_not_rerun(git_repo):
    head = with_noxfile(git_repo)
    world = make_world(git_repo)
    report = engine.run([TestGate(world.policy, world.version, "patch")], world, world.journal)
    assert report.ok, report.rows
    assert report.rows[0].status == "applied"
    facts = world.journal.facts("gate:tests")
    assert facts["commit"] == head and facts["tags"] == ["patch"] and facts["type"] == "patch"
    assert [(s["name"], s["result"]) for s in facts["sessions"]] == [("unit", "success")]
    assert isinstance(facts["sessions"][0]["seconds"], float)
    on_disk = json.loads(world.journal.path.read_text())
    assert on_disk["evidence"]["tests"][-1]["sessions"][0]["name"] == "unit"
    # the throwaway worktree is gone, the user's checkout untouched
    assert len(git_repo.git("worktree", "list").splitlines()) == 1
    assert git_repo.git("status", "--porcelain") == ""

    # Same commit again: the journal's evidence is enough; nox is not started (it could not be).
    again = make_world(git_repo, env={"RELEASE_NOX": "/nonexistent/nox"})
    report = engine.run([TestGate(again.policy, again.version, "patch")], again, again.journal)
    assert report.ok and report.rows[0].status == "done"
    assert "passed on" in report.rows[0].detail


def test_a_red_session_refuses_naming_it_and_records_the_run(git_repo):
    head = with_noxfile(git_repo, state="red")
    world = make_world(git_repo)
    report = engine.run([TestGate(world.policy, world.version, "patch")], world, world.journal)
    assert not report.ok
    assert isinstance(report.error, NotReady)
    assert "unit (failed)" in report.error.one_line() and head[:12] in report.error.one_line()
    assert world.journal.steps["gate:tests"]["status"] == "failed"
    run = world.journal.data["evidence"]["tests"][-1]
    assert run["ok"] is False and run["commit"] == head
    assert run["sessions"] == [
        {"name": "unit", "result": "failed", "seconds": run["sessions"][0]["seconds"]}
    ]
    assert "unit tests are red" in open(run["log"]).read()


def test_minor_runs_the_minor_sessions_with_the_release_version(git_repo):
    with_noxfile(git_repo)
    world = make_world(git_repo, version="0.2.0rc2", kind="rc")  # an rc of a minor line
    report = engine.run([TestGate(world.policy, world.version, "rc")], world, world.journal)
    assert report.ok, report.rows
    facts = world.journal.facts("gate:tests")
    assert facts["tags"] == ["minor"] and facts["type"] == "minor"
    assert sorted(s["name"] for s in facts["sessions"]) == ["docs", "unit"]
    assert "documenting 0.2.0rc2" in open(facts["log"]).read()


def test_an_untagged_type_refuses_with_the_fix(git_repo):
    with_noxfile(git_repo)
    pol = policy_from_table({"tests": {"patch": ["nightly"]}})
    world = make_world(git_repo, policy=pol)
    report = engine.run([TestGate(pol, world.version, "patch")], world, world.journal)
    assert isinstance(report.error, NotReady)
    assert "no sessions to be selected" in report.error.one_line()
    assert "tag the sessions a patch release needs with 'nightly'" in report.error.one_line()


def test_no_noxfile_is_skipped_with_the_reason(git_repo):
    world = make_world(git_repo)
    report = engine.run([TestGate(world.policy, world.version, "patch")], world, world.journal)
    assert (
        report.ok
        and report.rows[0].status == "skipped"
        and report.rows[0].detail == "no noxfile.py"
    )


def test_a_release_refuses_without_evidence_and_proceeds_with_it(tmp_path, monkeypatch):
    sb = make_sandbox(tmp_path, monkeypatch)
    text = (sb.root / "pyproject.toml").read_text().replace('evidence = "none"', 'evidence = "nox"')
    text = text.split("[[tool.release.packages]]")[0]  # no artifacts: this is about the gate
    sb.wd.write("pyproject.toml", text)
    sb.wd.write("noxfile.py", NOXFILE)
    sb.wd.write("state.txt", "green\n")
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "test: run the tiny noxfile in the test gate")
    sb.wd.git("push", "-q", "origin", "main")

    refused = sb.run("release.minor", "--yes", env={"SANDBOX_RED": "1"})
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "unit (failed)" in refused.stderr and "Traceback" not in refused.stderr
    assert sb.origin_tags() == []

    done = sb.run("release.minor", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sb.origin_tags() == ["v0.1.0rc1"]
    j = json.loads((sb.root / ".git" / "release" / "0.1.0rc1.json").read_text())
    gate = j["steps"]["gate:tests"]
    assert gate["status"] == "verified"
    assert sorted(s["name"] for s in gate["facts"]["sessions"]) == ["docs", "unit"]
    # the refused run may or may not have left its journal (a run stopped by a gate before any
    # change can be forgotten); the evidence that let this one through is the passing run
    assert j["evidence"]["tests"][-1]["ok"] is True
    assert j["evidence"]["tests"][-1]["commit"] == gate["facts"]["commit"]
