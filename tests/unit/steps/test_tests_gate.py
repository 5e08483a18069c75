"""The test gate without running nox: report parsing, release types, evidence in the journal."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from release.adapters.nox import NoxRun, SessionResult, nox_command, parse_report
from release.core import policy as policy_mod
from release.core.policy import Policy, policy_from_table
from release.core.version import Version
from release.errors import NotReady
from release.journal import Journal
from release.steps import tests as steps_tests
from release.steps.tests import TestGate, release_type

REPORT = {
    "result": 0,
    "sessions": [
        {
            "name": "lint",
            "result": "success",
            "reason": None,
            "signatures": ["lint"],
            "duration": 1.5,
        },
        {
            "name": "compat",
            "result": "skipped",
            "reason": "Python interpreter 3.10 not found",
            "signatures": ["compat(deps='lowest')", "compat-3.10(deps='lowest')"],
            "duration": 0.2,
        },
        {
            "name": "tests",
            "result": "failed",
            "reason": None,
            "signatures": ["tests"],
            "duration": 12.25,
        },
    ],
}


def test_parse_report_keeps_names_results_durations_and_reasons():
    got = parse_report(REPORT)
    assert [(s.name, s.result, s.seconds) for s in got] == [
        ("lint", "success", 1.5),
        ("compat-3.10(deps='lowest')", "skipped", 0.2),
        ("tests", "failed", 12.25),
    ]
    assert got[1].reason == "Python interpreter 3.10 not found"
    assert [s.passed for s in got] == [True, True, False]


def test_parse_report_refuses_other_json():
    with pytest.raises(Exception, match="not the JSON nox writes"):
        parse_report({"sessions": "x"})


def test_noxrun_ok_only_when_every_session_passed_and_something_ran():
    good = NoxRun("abc", ["patch"], [SessionResult("lint", "success", 1.0)], returncode=0)
    assert good.ok and not good.failed
    assert not NoxRun("abc", ["patch"], [], returncode=0).ok  # nothing ran is no evidence
    bad = NoxRun("abc", ["patch"], parse_report(REPORT), returncode=1)
    assert not bad.ok and [s.name for s in bad.failed] == ["tests"]
    facts = bad.facts()
    assert facts["commit"] == "abc" and facts["tags"] == ["patch"] and facts["ok"] is False
    assert facts["sessions"][2] == {"name": "tests", "result": "failed", "seconds": 12.25}
    assert facts["sessions"][1]["reason"].startswith("Python interpreter")


def test_nox_command_env_override_and_default():
    assert nox_command({"RELEASE_NOX": "nox -f tiny.py"}) == ["nox", "-f", "tiny.py"]
    assert nox_command({})[-2:] == ["-m", "nox"]  # nox is a test dependency, importable here


@pytest.mark.parametrize(
    ("version", "kind", "expected"),
    [
        ("0.4.1", "patch", "patch"),
        ("0.5.0rc1", "minor", "minor"),
        ("1.0.0rc1", "major", "major"),
        ("0.5.0rc2", "rc", "minor"),
        ("2.0.0rc3", "rc", "major"),
        ("0.5.0", "final", "minor"),
        ("2.0.0", "final", "major"),
    ],
)
def test_release_type_of_rc_and_final_is_their_line(version, kind, expected):
    assert release_type(Version.parse(version), kind) == expected


def test_gate_takes_the_tags_of_its_type_from_policy():
    pol = policy_from_table(
        {"tests": {"patch": ["unit"], "minor": ["unit", "docs"], "major": ["all"]}}
    )
    (step,) = steps_tests.test_gate_steps(pol, Version.parse("0.5.0rc2"), "rc")
    assert step.name == "gate:tests" and step.gate and not step.irreversible
    assert step.tags == ["unit", "docs"] and "nox -t unit docs" in step.describe()


# ---- probes against a journal (no nox) -------------------------------------------------------


def world(tmp_path, policy=None, base="b" * 40, release_commit=""):
    repo = SimpleNamespace(git=lambda *a, check=True: SimpleNamespace(ok=True))  # noxfile present
    return SimpleNamespace(
        policy=policy or Policy(),
        journal=Journal(tmp_path / "j.json"),
        base_commit=base,
        release_commit=release_commit,
        repo=repo,
        env={},
        work_dir=tmp_path / "work",
        version=Version.parse("0.4.1"),
    )


def evidence(commit, tags=("patch",), ok=True):
    return {
        "commit": commit,
        "tags": list(tags),
        "ok": ok,
        "sessions": [{"name": "lint", "result": "success" if ok else "failed", "seconds": 1.0}],
    }


def test_probe_done_only_with_passing_evidence_for_this_commit_and_tags(tmp_path):
    w = world(tmp_path)
    step = TestGate(w.policy, Version.parse("0.4.1"), "patch")
    assert not step.probe(w).done
    w.journal.set("evidence", {"tests": [evidence("c" * 40)]})  # another commit
    assert not step.probe(w).done
    w.journal.set("evidence", {"tests": [evidence("b" * 40, tags=("minor",))]})  # other tags
    assert not step.probe(w).done
    w.journal.set("evidence", {"tests": [evidence("b" * 40, ok=False)]})  # failed
    assert not step.probe(w).done
    w.journal.set(
        "evidence",
        {"tests": [evidence("b" * 40, ok=False), evidence("b" * 40, tags=("patch", "x"))]},
    )
    seen = step.probe(w)
    assert seen.done and seen.facts["sessions"][0]["name"] == "lint" and "lint" in seen.detail


def test_evidence_for_the_base_still_counts_once_the_release_commit_exists(tmp_path):
    w = world(tmp_path, release_commit="r" * 40)
    w.journal.set("evidence", {"tests": [evidence("b" * 40)]})
    step = TestGate(w.policy, Version.parse("0.4.1"), "patch")
    assert step.probe(w).done
    assert TestGate.commit(w) == "r" * 40  # a fresh run would test the release commit itself


def test_evidence_none_and_empty_tags_are_skipped_with_reason(tmp_path):
    none = Policy(tests=policy_mod.Tests(evidence="none"))
    assert (
        TestGate(none, Version.parse("0.4.1"), "patch").probe(world(tmp_path)).skip
        == "tests.evidence = none"
    )
    empty = Policy(tests=policy_mod.Tests(patch=[]))
    assert (
        "lists no nox tags"
        in TestGate(empty, Version.parse("0.4.1"), "patch").probe(world(tmp_path)).skip
    )


def test_no_noxfile_is_skipped(tmp_path):
    w = world(tmp_path)
    w.repo = SimpleNamespace(git=lambda *a, check=True: SimpleNamespace(ok=False))
    assert TestGate(w.policy, Version.parse("0.4.1"), "patch").probe(w).skip == "no noxfile.py"


# ---- evidence from CI check runs -------------------------------------------------------------


class FakeGitHub:
    """Stands in for release.github.GitHub: only commit_checks is used by the gate."""

    def __init__(self) -> None:
        self.checks: list = []
        self.asked: list[str] = []

    def commit_checks(self, sha):
        from release.adapters.github import CheckRun

        self.asked.append(sha)
        return [CheckRun(**c) for c in self.checks]


def test_checks_evidence_needs_the_ci_job_of_each_tag_green(tmp_path):
    pol = replace(Policy(), tests=policy_mod.Tests(evidence="checks"))
    w = world(tmp_path, policy=pol)
    gh = FakeGitHub()
    w.services = {"github": gh}
    w.service = lambda name, factory: w.services[name]
    step = TestGate(
        pol, Version.parse("0.5.0rc2"), "rc"
    )  # minor line -> tag minor -> job "nox -t minor"
    seen = step.probe(w)
    assert not seen.done and "nox -t minor (not reported yet)" in seen.detail
    gh.checks.append({"name": "nox -t minor", "state": "failure", "url": "http://ci/1"})
    with pytest.raises(NotReady, match="failing: nox -t minor http://ci/1"):
        step.apply(w)
    gh.checks[0]["state"] = "success"
    seen = step.probe(w)
    assert seen.done and seen.facts["checks"] == [
        {"name": "nox -t minor", "state": "success", "url": "http://ci/1"}
    ]
    assert set(gh.asked) == {"b" * 40}  # the release's commit, nothing else


def test_checks_evidence_honours_required_checks(tmp_path):
    pol = replace(Policy(), tests=policy_mod.Tests(evidence="checks", required_checks=["ci / all"]))
    w = world(tmp_path, policy=pol)
    gh = FakeGitHub()
    gh.checks = [
        {"name": "ci / all", "state": "success"},
        {"name": "nox -t patch", "state": "failure"},
    ]
    w.service = lambda name, factory: gh
    assert TestGate(pol, Version.parse("0.4.1"), "patch").probe(w).done


def test_checks_evidence_of_a_resumed_release_asks_about_the_pushed_base(tmp_path):
    """After a kill, the release commit exists only here: CI can never report on it. The gate
    asks about the base commit (which CI saw) and reuses what it journaled."""
    pol = replace(Policy(), tests=policy_mod.Tests(evidence="checks"))
    w = world(tmp_path, policy=pol, release_commit="r" * 40)
    gh = FakeGitHub()
    gh.checks.append({"name": "nox -t patch", "state": "success", "url": "http://ci/2"})
    w.services = {"github": gh}
    w.service = lambda name, factory: w.services[name]
    step = TestGate(pol, Version.parse("0.4.1"), "patch")
    seen = step.probe(w)
    assert seen.done and gh.asked == ["b" * 40]  # the base, never the local release commit
    w.journal.record(step.name, "verified", seen.facts, seen.detail)
    gh.checks.clear()  # CI history is gone: the journaled evidence still counts
    again = step.probe(w)
    assert again.done and "(recorded)" in again.detail and gh.asked == ["b" * 40]
