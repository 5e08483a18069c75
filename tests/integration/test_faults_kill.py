"""The whole-plan kill matrix: `release.minor` of the full demo project (tests/fixtures/stack.py)
SIGKILLed right after a step (the RELEASE_KILL_AFTER seam), then re-run; afterwards the world
equals an uninterrupted release's (test_faults.world: one tag at the journaled commit, each file
once on the index with the journaled hash, one npm version, one image digest, one GitHub release,
one workflow run, one thread, one announcement).

Two shapes, to keep the file within a few minutes on 2 cores:

- chained, every step: one project, killed after step 1, re-run killed after step 2, ... so each
  step runs in a fresh process that resumes from the state a kill left; after every kill the
  partial world is checked (never more than the reference), and the last re-run completes.
- independent, every step from the tag on (the irreversible part): a fresh project killed after
  step N, then one plain re-run that must complete.
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.integration.test_faults import (
    VERSION,
    Matrix,
    fresh_project,
    journal,
    need_full,
    reference_world,
    secrets_of,
    world,
)

pytestmark = pytest.mark.integration

# Steps whose kill is tested on its own (symbolic names resolved per project).
AFTER_TAG = [
    "git:tag",
    "git:push",
    "notify:thread",
    "publish:demo-client",
    "publish:demo-server",
    "publish:npm",
    "image:demo-server-image",
    "push:demo-server-image",
    "github:release",
    "github:workflows",
    "notify:announce",
]


@pytest.fixture(scope="module")
def kill_matrix(request) -> Matrix:
    m = Matrix(
        "kill matrix (killed after step x outcome)",
        ("mode", "killed after", "killed run", "re-run", "world"),
    )
    request.config.pluginmanager.register(m, f"release-kit-kill-{id(m)}")
    return m


@pytest.fixture(scope="module")
def reference(full_stack, tmp_path_factory):
    need_full(full_stack)
    return reference_world(full_stack, tmp_path_factory.mktemp("kill-reference"))


def resolve(step: str, sb) -> str:
    return f"publish:{sb.names.npm}" if step == "publish:npm" else sb.names.rename(step)


def plan_of(sb) -> list[str]:
    """The steps of the plan that a kill can follow (skipped steps never reach the seam)."""
    res = sb.run("release.minor", "--dry-run")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    return [ln.split()[1] for ln in res.stdout.splitlines() if ln[:3] in (" ~ ", " = ")]


def not_more_than(got: dict, ref: dict) -> list[str]:
    """Partial-world check: nothing exists that an uninterrupted release would not have, and
    nothing twice."""
    bad = []
    for key in (
        "origin_tags",
        "testpypi_files",
        "npm_versions",
        "image_tags",
        "github_releases",
        "threads",
    ):
        if not set(map(str, got[key])) <= set(map(str, ref[key])):
            bad.append(f"{key}: {got[key]} not within {ref[key]}")
    for key in ("image_manifest_puts", "workflow_runs", "announcements", "posts_accepted"):
        if got[key] > ref[key]:
            bad.append(f"{key}: {got[key]} > {ref[key]}")
    if got["pypi_files"]:
        bad.append(f"a final index got files: {got['pypi_files']}")
    return bad


def test_kill_after_every_step_chained(full_stack, reference, kill_matrix, tmp_path):
    stack = full_stack
    sb = fresh_project(stack, tmp_path / "chain", tests="nox")
    steps = plan_of(sb)
    assert steps[0] == "gate:registries" and steps[-1] == "notify:announce" and len(steps) >= 15
    said = ""
    for step in steps:
        res = sb.run("release.minor", "--yes", env={"RELEASE_KILL_AFTER": step})
        said += res.stdout + res.stderr
        assert res.returncode == -signal.SIGKILL, (
            f"not killed after {step}: {res.stdout[-2000:]}{res.stderr}"
        )
        entry = journal(sb).get("steps", {}).get(step, {})
        assert entry.get("status") == "verified", f"{step} not journaled before the kill: {entry}"
        partial = world(stack, sb)
        bad = not_more_than(partial, reference)
        kill_matrix.add(
            "chained",
            step.replace(sb.names.prefix, "demo"),
            "SIGKILL",
            "resumes at the next step",
            bad if bad else "ok",
        )
        assert not bad, f"after a kill at {step}: {bad}"
    final = sb.run("release.minor", "--yes")
    said += final.stdout + final.stderr
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr
    got = world(stack, sb)
    kill_matrix.add(
        "chained",
        "(last re-run)",
        "-",
        f"exit {final.returncode}",
        "= uninterrupted" if got == reference else "DIFFERS",
    )
    assert got == reference
    # every step ran exactly once, each in its own process
    attempts = {name: e.get("attempts", 0) for name, e in journal(sb)["steps"].items()}
    assert all(n <= 1 for n in attempts.values()), attempts
    for secret in secrets_of(stack, sb):
        assert secret not in said


@pytest.mark.parametrize("symbolic", AFTER_TAG)
def test_killed_after_step_then_one_rerun(symbolic, full_stack, reference, kill_matrix, tmp_path):
    stack = full_stack
    sb = fresh_project(stack, tmp_path / "p")
    step = resolve(symbolic, sb)
    killed = sb.run("release.minor", "--yes", env={"RELEASE_KILL_AFTER": step})
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:] + killed.stderr
    rerun = sb.run("release.minor", "--yes")
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr
    statuses = {
        ln.split()[1]: ln.split()[2]
        for ln in rerun.stdout.splitlines()
        if ln[:3] in (" + ", " = ", " - ")
    }
    row = next((ln for ln in rerun.stdout.splitlines() if ln.split()[1:2] == [step]), "")
    assert statuses[step] == "done", row  # found true in the world, not redone
    got = world(stack, sb)
    verify = sb.run("release.verify", VERSION, "--json")
    assert verify.returncode == 0 and all(c["ok"] for c in json.loads(verify.stdout)["checks"]), (
        verify.stdout
    )
    kill_matrix.add(
        "independent",
        symbolic,
        "SIGKILL",
        f"exit {rerun.returncode}, {step} done",
        "= uninterrupted" if got == reference else "DIFFERS",
    )
    assert got == reference
