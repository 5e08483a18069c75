"""The engine's parallel groups (issue 15): consecutive steps with the same `parallel_group` are
probed in turn, applied side by side in a bounded pool, journaled as each ends, reported in plan
order; a failure stops the run once the others have ended. Fake steps synchronise on events (each
wait bounded, so a serialised run fails instead of hanging); nothing sleeps."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from release.engine import BaseStep, Probe, build_workers, run
from release.errors import ConfigError, ConflictError, ReleaseError
from release.journal import Journal

WAIT = 10.0  # the bound of every wait: reached only when the steps did not run side by side


class Build(BaseStep):
    parallel_group = "build"

    def __init__(self, name: str, *, run_fn: Any = None, done: bool = False, conflict: str = ""):
        self.name = name
        self.text = f"build {name}"
        self.run_fn = run_fn
        self.done = done
        self.conflict = conflict
        self.applied = 0

    def probe(self, world: Any) -> Probe:
        if self.conflict:
            return Probe.clash(self.conflict)
        return Probe.yes("built", files=self.name) if self.done else Probe.no("not built")

    def apply(self, world: Any) -> dict[str, Any]:
        self.applied += 1
        if self.run_fn is not None:
            self.run_fn()
        self.done = True
        return {"thread": threading.current_thread().name}


class Serial(Build):
    parallel_group = ""


def _wait(event: threading.Event, what: str) -> None:
    if not event.wait(WAIT):
        raise AssertionError(f"{what} never happened: the steps did not run side by side")


def _journal_on_disk(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())["steps"]


def test_a_group_runs_side_by_side_and_reports_in_plan_order(tmp_path: Path):
    a_in, b_in, b_out = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:  # A ends only after B has ended: B finishes first
        a_in.set()
        _wait(b_in, "B starting while A runs")
        _wait(b_out, "B ending while A runs")

    def b() -> None:
        b_in.set()
        _wait(a_in, "A starting while B runs")
        b_out.set()

    steps = [Build("build:a", run_fn=a), Build("build:b", run_fn=b), Serial("upload")]
    seen: list[tuple[str, str]] = []
    journal = Journal(tmp_path / "1.0.0.json")
    report = run(steps, {}, journal, workers=2, on_row=lambda r: seen.append((r.name, r.status)))
    assert report.ok, report.error
    assert seen == [("build:a", "applied"), ("build:b", "applied"), ("upload", "applied")]
    assert [r.name for r in report.rows] == ["build:a", "build:b", "upload"]
    on_disk = _journal_on_disk(tmp_path / "1.0.0.json")
    assert {n: e["status"] for n, e in on_disk.items()} == {
        "build:a": "verified",
        "build:b": "verified",
        "upload": "verified",
    }
    assert on_disk["build:a"]["facts"]["thread"] != on_disk["build:b"]["facts"]["thread"]
    assert all(e["attempts"] == 1 for e in on_disk.values())


def test_one_worker_runs_the_group_one_step_after_the_other(tmp_path: Path):
    order: list[str] = []
    steps = [
        Build("build:a", run_fn=lambda: order.extend(["a+", "a-"])),
        Build("build:b", run_fn=lambda: order.extend(["b+", "b-"])),
    ]
    report = run(steps, {}, Journal(tmp_path / "j.json"), workers=1)
    assert report.ok and order == ["a+", "a-", "b+", "b-"]
    assert {s.applied for s in steps} == {1}


def test_the_pool_is_bounded(tmp_path: Path):
    lock = threading.Lock()
    running = [0]
    peak = [0]
    pair = threading.Barrier(2, timeout=WAIT)  # the first two meet: two do run at once

    def work(meet: bool) -> Any:
        def fn() -> None:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            if meet:
                pair.wait()
            with lock:
                running[0] -= 1

        return fn

    steps = [Build(f"build:{i}", run_fn=work(i < 2)) for i in range(6)]
    report = run(steps, {}, Journal(tmp_path / "j.json"), workers=2)
    assert report.ok and peak[0] == 2
    assert [r.name for r in report.rows] == [f"build:{i}" for i in range(6)]


def test_a_failure_stops_the_run_after_the_others_have_ended(tmp_path: Path):
    a_failing, b_done = threading.Event(), threading.Event()

    def a() -> None:
        a_failing.set()
        raise ReleaseError("twine check refused the wheel", "fix the package")

    def b() -> None:  # still running when A fails; ends afterwards, and is kept
        _wait(a_failing, "A failing while B runs")
        b_done.set()

    upload = Serial("upload")
    steps = [Build("build:a", run_fn=a), Build("build:b", run_fn=b), upload]
    journal = Journal(tmp_path / "j.json")
    report = run(steps, {}, journal, workers=2)
    assert b_done.is_set() and not report.ok
    assert isinstance(report.error, ReleaseError) and "twine check" in str(report.error)
    assert [(r.name, r.status) for r in report.rows] == [
        ("build:a", "failed"),
        ("build:b", "applied"),
        ("upload", "not-run"),
    ]
    assert upload.applied == 0
    on_disk = _journal_on_disk(tmp_path / "j.json")
    assert on_disk["build:a"]["status"] == "failed" and "facts" not in on_disk["build:a"]
    assert on_disk["build:b"]["status"] == "verified" and "upload" not in on_disk


def test_rerun_after_a_failure_builds_only_what_failed(tmp_path: Path):
    attempts = {"build:a": 0}

    def flaky() -> None:
        attempts["build:a"] += 1
        if attempts["build:a"] == 1:
            raise ReleaseError("network hiccup", "re-run")

    a, b = Build("build:a", run_fn=flaky), Build("build:b")
    journal = Journal(tmp_path / "j.json")
    assert not run([a, b], {}, journal, workers=2).ok
    again = run([a, b], {}, journal, workers=2)
    assert again.ok and [r.status for r in again.rows] == ["applied", "done"]
    assert (a.applied, b.applied) == (2, 1)
    assert journal.steps["build:a"]["attempts"] == 2


def test_a_conflict_found_by_a_probe_applies_nothing_of_the_group(tmp_path: Path):
    first, later = Build("build:a"), Build("build:c")
    steps = [first, Build("build:b", conflict="dist dir holds another build"), later]
    journal = Journal(tmp_path / "j.json")
    report = run(steps, {}, journal, workers=2)
    assert isinstance(report.error, ConflictError)
    assert [(r.name, r.status) for r in report.rows] == [
        ("build:a", "not-run"),
        ("build:b", "conflict"),
        ("build:c", "not-run"),
    ]
    assert first.applied == later.applied == 0
    assert set(journal.steps) == {"build:b"}  # nothing "started" that never ran


def test_done_and_applied_steps_mix_in_plan_order(tmp_path: Path):
    steps = [Build("build:a", done=True), Build("build:b"), Build("build:c", done=True)]
    checkpoints: list[str] = []
    report = run(steps, {}, Journal(tmp_path / "j.json"), workers=2, after_step=checkpoints.append)
    assert [r.status for r in report.rows] == ["done", "applied", "done"]
    assert checkpoints == ["build:a", "build:b", "build:c"]
    assert [s.applied for s in steps] == [0, 1, 0]


def test_irreversible_steps_never_join_a_group(tmp_path: Path):
    order: list[str] = []
    push = Build("push", run_fn=lambda: order.append("push"))
    push.irreversible = True
    steps = [
        Build("build:a", run_fn=lambda: order.append("a")),
        push,
        Build("build:b", run_fn=lambda: order.append("b")),
    ]
    report = run(steps, {}, Journal(tmp_path / "j.json"), workers=4)
    assert report.ok and order == ["a", "push", "b"]


def test_dry_run_applies_nothing(tmp_path: Path):
    steps = [Build("build:a"), Build("build:b")]
    report = run(steps, {}, None, dry_run=True, workers=2)
    assert [r.status for r in report.rows] == ["would", "would"]
    assert [s.applied for s in steps] == [0, 0]


def test_the_journal_stays_consistent_under_concurrent_records(tmp_path: Path):
    journal = Journal(tmp_path / "j.json")
    start = threading.Barrier(8, timeout=WAIT)

    def writer(n: int) -> None:
        start.wait()
        for i in range(25):
            journal.record(f"build:{n}-{i}", "started")
            journal.record(f"build:{n}-{i}", "verified", {"n": n, "i": i}, "ok")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    on_disk = _journal_on_disk(tmp_path / "j.json")
    assert len(on_disk) == 200
    assert all(e["status"] == "verified" and e["attempts"] == 1 for e in on_disk.values())
    assert not list(tmp_path.glob("*.tmp*"))


def test_world_service_creates_each_adapter_once_under_threads(tmp_path: Path):
    from release.world import World

    world = World.__new__(World)  # only what `service` uses
    world.services = {}
    world._service_lock = threading.RLock()
    made: list[int] = []
    start = threading.Barrier(8, timeout=WAIT)
    got: list[Any] = []

    def factory() -> object:
        made.append(1)
        return object()

    def use() -> None:
        start.wait()
        got.append(world.service("index", factory))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert len(made) == 1 and len({id(g) for g in got}) == 1


class _Policy:
    build_workers = 3


class _World:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.policy = _Policy()


def test_build_workers_from_the_policy_and_the_environment():
    assert build_workers(_World({})) == 3
    assert build_workers(_World({"RELEASE_BUILD_WORKERS": "1"})) == 1
    assert build_workers(_World({"RELEASE_BUILD_WORKERS": "0"})) == 1
    assert build_workers({}) == 1  # a world without a policy: one at a time
    with pytest.raises(ConfigError, match="RELEASE_BUILD_WORKERS"):
        build_workers(_World({"RELEASE_BUILD_WORKERS": "many"}))


def test_independent_builds_are_grouped_dependent_ones_are_not():
    from release.core.policy import policy_from_table
    from release.core.version import Version
    from release.steps.publish import build_steps

    policy = policy_from_table(
        {
            "packages": [
                {"name": "core", "kind": "python", "path": "core"},
                {"name": "cli", "kind": "python", "path": "cli"},
                {"name": "web", "kind": "npm", "path": "web"},
                {"name": "plugin", "kind": "python", "path": "plugin", "depends_on": ["core"]},
            ]
        }
    )
    assert policy.build_workers == 2
    steps = build_steps(policy, Version.parse("1.0.0"))
    groups = {s.name: s.parallel_group for s in steps}
    assert groups == {
        "build:core": "build",
        "build:cli": "build",
        "pack:web": "build",
        "build:plugin": "",
    }
