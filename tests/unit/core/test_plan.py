"""Pure plans (gates) and the step engine, with fake steps (unit tests of the core only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from release.core import codeowners
from release.core.plan import Facts, Request, make_plan
from release.core.policy import Package, Policy
from release.core.version import TagSet, classify_tag
from release.engine import BaseStep, Probe, raise_for, run
from release.errors import ConflictError, NotReady, ReleaseError, VersionError
from release.journal import Journal, Lock

NOW = 1_800_000_000
DAY = 86400
OWNERS = "* @alice owner@example.com @org/releasers\n"


@dataclass
class FakeState:
    tags: list[str]
    branch: str | None = "main"
    dirty: list[str] = field(default_factory=list)
    dates: dict[str, int] = field(default_factory=dict)

    @property
    def tagset(self) -> TagSet:
        return TagSet.from_tags(
            classify_tag(t, date=self.dates.get(t, NOW - 30 * DAY), sha="c" * 40) for t in self.tags
        )


def facts(**kw) -> Facts:
    base = {
        "now": NOW,
        "owner": "alice",
        "codeowners_path": "CODEOWNERS",
        "codeowners_text": OWNERS,
        "origin_refs": {
            f"refs/heads/{b}": "a" * 40
            for b in ("main", "release-0.3.x", "release-0.4.x", "release-0.5.x", "release-1.0.x")
        },
        "local_tip": "a" * 40,
        "branch_exists": True,
        "supported": ["0.3", "0.4"],
    }
    base.update(kw)
    return Facts(**base)


def gate(plan, name):
    return next(g for g in plan.gates if g.name == name)


def test_minor_plan_is_ready_on_a_clean_main():
    plan = make_plan(FakeState(["v0.4.0", "v0.4.1"]), Policy(), Request("minor"), facts())
    assert str(plan.version) == "0.5.0rc1" and plan.branch == "release-0.5.x" and plan.create_branch
    assert not plan.failed


@pytest.mark.parametrize(
    "state,req,fx,fragment",
    [
        (
            FakeState(["v0.4.0"], dirty=[" M a.py"]),
            Request("minor"),
            {},
            "uncommitted changes in a.py",
        ),
        (FakeState(["v0.4.0"], branch="feature"), Request("minor"), {}, "cut from main"),
        (
            FakeState(["v0.4.0"]),
            Request("minor"),
            {"origin_is_ancestor": False},
            "behind origin/main",
        ),
        (
            FakeState(["v0.4.0"]),
            Request("minor"),
            {"origin_refs": {"refs/heads/main": "b" * 40}},
            "not on origin",
        ),
        (
            FakeState(["v0.4.0"]),
            Request("minor"),
            {"tag_commit": "d" * 40},
            "v0.5.0rc1 already exists locally",
        ),
        (
            FakeState(["v0.4.0"]),
            Request("minor"),
            {"owner": "mallory"},
            "mallory is not in CODEOWNERS",
        ),
        (FakeState(["v0.4.0"]), Request("minor"), {"codeowners_text": None}, "no CODEOWNERS file"),
        (
            FakeState(["v0.4.0"]),
            Request("minor", commit="zzz"),
            {"commit_sha": None},
            "not a commit",
        ),
        (
            FakeState(["v0.4.0"]),
            Request("minor", commit="abc"),
            {"commit_sha": "e" * 40, "commit_on_main": False},
            "is not on origin/main",
        ),
        (
            FakeState(["v0.4.0"]),
            Request("minor"),
            {"origin_error": "connection refused"},
            "connection refused",
        ),
        (
            FakeState(["v0.2.0", "v0.3.0", "v0.4.0"], branch="release-0.2.x"),
            Request("patch"),
            {},
            "line 0.2 is not supported",
        ),
        (
            FakeState(["v0.4.0"], branch="release-0.4.x"),
            Request("patch"),
            {"branch_exists": False},
            "does not exist",
        ),
    ],
)
def test_failed_gates_say_what_and_what_to_do(state, req, fx, fragment):
    plan = make_plan(state, Policy(), req, facts(**fx))
    with pytest.raises(NotReady) as exc:
        plan.require_ready()
    assert fragment in exc.value.one_line()
    assert "\n" not in exc.value.one_line()


def test_eol_line_needs_force():
    policy = Policy(eol_lines=["0.3"])
    state = FakeState(["v0.3.0", "v0.4.0"], branch="release-0.3.x")
    plan = make_plan(state, policy, Request("patch"), facts())
    assert "end of life" in gate(plan, "supported line").reason and plan.failed
    forced = make_plan(
        state,
        policy,
        Request("patch", force=True),
        facts(origin_refs={"refs/heads/release-0.3.x": "a" * 40}),
    )
    assert not forced.failed and str(forced.version) == "0.3.1"


def test_window_refuses_then_override_is_recorded_in_the_plan():
    state = FakeState(
        ["v0.4.0", "v0.5.0rc1"], branch="release-0.5.x", dates={"v0.5.0rc1": NOW - 2 * DAY}
    )
    plan = make_plan(state, Policy(), Request("final"), facts(promotion_files=[]))
    assert "window for 0.5.0 closes" in gate(plan, "testing window").reason
    assert "minor needs 7 days" in gate(plan, "testing window").reason
    ok = make_plan(state, Policy(), Request("final", override="hotfix"), facts(promotion_files=[]))
    assert not ok.failed and ok.override == {"gate": "window", "reason": "hotfix", "who": "alice"}


def test_major_window_is_fourteen_days():
    state = FakeState(
        ["v0.9.0", "v1.0.0rc1"], branch="release-1.0.x", dates={"v1.0.0rc1": NOW - 10 * DAY}
    )
    plan = make_plan(state, Policy(), Request("final"), facts(promotion_files=[]))
    assert "major needs 14 days" in gate(plan, "testing window").reason
    later = make_plan(
        state, Policy(), Request("final"), facts(now=NOW + 5 * DAY, promotion_files=[])
    )
    assert not later.failed


def test_promotion_allows_only_version_files_and_changelog():
    policy = Policy(packages=[Package(name="c", path="client", version_files=["pyproject.toml"])])
    state = FakeState(
        ["v0.4.0", "v0.5.0rc1"], branch="release-0.5.x", dates={"v0.5.0rc1": NOW - 9 * DAY}
    )
    ok = make_plan(
        state,
        policy,
        Request("final"),
        facts(promotion_files=["client/pyproject.toml", "CHANGELOG.md"]),
    )
    assert not ok.failed
    bad = make_plan(
        state, policy, Request("final"), facts(promotion_files=["client/api.py", "CHANGELOG.md"])
    )
    assert "changed since v0.5.0rc1: client/api.py" in gate(bad, "promotion is provable").reason


def test_unknown_kind_is_a_version_error():
    with pytest.raises(VersionError, match="'hotfix' is not a release kind"):
        make_plan(FakeState([]), Policy(), Request("hotfix"), facts())


def test_codeowners_users_emails_and_configured_teams():
    owners = codeowners.parse("# comment\n/docs/ @Bob\n*.py  dev@x.org @org/Releasers # trailing\n")
    assert codeowners.is_owner(owners, "@bob")[0]
    assert codeowners.is_owner(owners, "DEV@x.org")[0]
    assert not codeowners.is_owner(owners, "carol")[0]
    teams = {"@org/releasers": ["carol"]}
    assert codeowners.is_owner(owners, "carol", team_members=teams)[0]
    assert not codeowners.is_owner(owners, "carol", allow_teams=False, team_members=teams)[0]


# ---- engine ----------------------------------------------------------------------------------------


class Fake(BaseStep):
    def __init__(self, name, world_key, conflict="", irreversible=False, breaks=False):
        self.name, self.key, self.conflict, self.irreversible, self.breaks = (
            name,
            world_key,
            conflict,
            irreversible,
            breaks,
        )
        self.applied = 0

    def probe(self, world):
        if self.conflict:
            return Probe.clash(self.conflict)
        return Probe.yes() if world.get(self.key) else Probe.no()

    def apply(self, world):
        self.applied += 1
        if self.breaks:
            raise ReleaseError("remote said 500", "re-run")
        world[self.key] = True
        return {"sha256": "abc"}


def test_engine_skips_done_steps_and_journals_by_name(tmp_path: Path):
    world = {"a": True}
    steps = [Fake("a", "a"), Fake("b", "b")]
    journal = Journal(tmp_path / "1.0.0.json")
    report = run(steps, world, journal)
    assert report.ok and [r.status for r in report.rows] == ["done", "applied"]
    assert steps[0].applied == 0 and steps[1].applied == 1
    assert (
        journal.steps["b"]["facts"] == {"sha256": "abc"}
        and journal.steps["b"]["status"] == "verified"
    )
    again = run([Fake("b", "b"), Fake("a", "a")], world, journal)  # reordered: keyed by name
    assert [r.status for r in again.rows] == ["done", "done"]


def test_engine_stops_on_conflict_and_never_applies(tmp_path: Path):
    later = Fake("later", "x")
    report = run(
        [Fake("tag", "t", conflict="tag at another commit"), later],
        {},
        Journal(tmp_path / "j.json"),
    )
    assert not report.ok and isinstance(report.error, ConflictError)
    assert [r.status for r in report.rows] == ["conflict", "not-run"] and later.applied == 0
    with pytest.raises(ConflictError, match="tag at another commit"):
        raise_for(report)


def test_engine_failure_is_not_success(tmp_path: Path):
    report = run([Fake("upload", "u", breaks=True)], {}, Journal(tmp_path / "j.json"))
    assert not report.ok and report.rows[0].status == "failed"


def test_dry_run_applies_nothing_and_writes_no_journal(tmp_path: Path):
    step = Fake("a", "a")
    report = run([step], {}, None, dry_run=True)
    assert report.ok and report.rows[0].status == "would" and step.applied == 0


def test_confirmation_declined_stops_before_irreversible(tmp_path: Path):
    first, push = Fake("commit", "c"), Fake("push", "p", irreversible=True)
    report = run([first, push], {}, Journal(tmp_path / "j.json"), confirm=lambda pending: False)
    assert first.applied == 1 and push.applied == 0 and not report.ok


def test_lock_refuses_a_second_run(tmp_path: Path):
    with Lock(tmp_path, "1.0.0"):
        with pytest.raises(ReleaseError, match="another release run for 1.0.0 is in progress"):
            with Lock(tmp_path, "1.0.0"):
                pass
    with Lock(tmp_path, "1.0.0"):  # released again afterwards
        pass


def test_journal_never_holds_a_secret(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TWINE_PASSWORD", "s3cr3t-value-123")
    j = Journal(tmp_path / "j.json")
    j.record(
        "upload",
        "verified",
        {"cmd": "twine upload -p s3cr3t-value-123", "url": "https://u:pw@host/x"},
    )
    text = (tmp_path / "j.json").read_text()
    assert "s3cr3t-value-123" not in text and "u:pw@" not in text
