"""GitHub steps run by the engine against the stand-in, around a real git repository."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from release import engine
from release.adapters.git import GitRepo
from release.adapters.github import GitHub
from release.core.policy import Policy, Workflow
from release.core.policy import Tests as CIPolicy
from release.core.version import TagSet, Version
from release.errors import NotReady
from release.journal import Journal
from release.steps.github import (
    CIGate,
    MilestoneClose,
    MilestoneGate,
    ReleaseStep,
    WorkflowsStep,
    gate_steps,
    post_steps,
)
from release.world import World

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.t = 1_768_478_000.0
        self.sleeps: list[float] = []
        self.on_sleep = None

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s
        if self.on_sleep:
            self.on_sleep()


@dataclass
class Notes:
    github_body: str


def make_world(
    github,
    git_repo,
    version="0.5.0",
    kind="final",
    tags=(),
    policy=None,
    clock=None,
    notes="## Changes\n- a fix\n",
):
    pol = policy or Policy(github_repo=github.repo, github_api=github.url)
    v = Version.parse(version)
    log: list[str] = []
    world = World(
        root=git_repo.root,
        repo=GitRepo(git_repo.root),
        policy=pol,
        version=v,
        kind=kind,
        journal=Journal.open(git_repo.root / ".git", v.pep440()),
        tagset=TagSet.from_names(list(tags)),
        now=1_768_478_000,
        base_commit=git_repo.head(),
        env={"GITHUB_TOKEN": github.token},
        notes=Notes(notes) if notes is not None else None,
        log=log.append,
    )
    clock = clock or Clock()
    world.services["github"] = GitHub(
        github.url, github.repo, github.token, sleep=clock.sleep, clock=clock, log=log.append
    )
    world.logs = log  # type: ignore[attr-defined]
    return world


def run(steps, world):
    return engine.run(steps, world, world.journal)


def dist(world, files):
    d = world.work_dir / "dist"
    d.mkdir(parents=True, exist_ok=True)
    for name, size in files.items():
        (d / name).write_bytes(b"x" * size)


# ---- github:release ----------------------------------------------------------------------------


def test_final_release_created_once_with_assets_and_rerun_creates_nothing(github, git_repo):
    world = make_world(github, git_repo, tags=["v0.4.0", "v0.5.0"])
    dist(world, {"widgets-0.5.0-py3-none-any.whl": 10, "widgets-0.5.0.tar.gz": 20, "notes.txt": 5})
    step = ReleaseStep(world.policy, world.version, "final")
    report = run([step], world)
    assert report.ok, report.rows
    (rel,) = github.releases()
    assert (rel["tag_name"], rel["prerelease"], rel["_latest"]) == ("v0.5.0", False, True)
    assert rel["body"] == "## Changes\n- a fix\n"
    assets = sorted(a["name"] for a in github.state.repo(github.repo).assets.values())
    assert assets == ["widgets-0.5.0-py3-none-any.whl", "widgets-0.5.0.tar.gz"]
    writes = github.count("POST") + github.count("PATCH")
    report = run([ReleaseStep(world.policy, world.version, "final")], world)
    assert report.ok and report.rows[0].status == "done"
    assert github.count("POST") + github.count("PATCH") == writes
    assert len(github.releases()) == 1


def test_rc_is_a_prerelease_and_not_latest(github, git_repo):
    github.add_ref("refs/tags/v0.4.0", "a" * 40)
    world = make_world(github, git_repo, version="0.5.0rc1", kind="minor", tags=["v0.4.0"])
    assert run([ReleaseStep(world.policy, world.version, "minor")], world).ok
    (rel,) = github.releases()
    assert rel["prerelease"] is True and rel["_latest"] is False


def test_old_line_patch_is_not_latest(github, git_repo):
    old = make_world(github, git_repo, version="0.5.0", tags=["v0.5.0"])
    assert run([ReleaseStep(old.policy, old.version, "final")], old).ok
    world = make_world(
        github, git_repo, version="0.4.3", kind="patch", tags=["v0.4.2", "v0.4.3", "v0.5.0"]
    )
    assert not world.is_latest
    assert run([ReleaseStep(world.policy, world.version, "patch")], world).ok
    latest = [r["tag_name"] for r in github.releases() if r["_latest"]]
    assert latest == ["v0.5.0"]
    assert len(github.releases()) == 2


def test_existing_release_is_updated_and_only_missing_assets_uploaded(github, git_repo):
    world = make_world(github, git_repo, tags=["v0.5.0"])
    dist(world, {"w-0.5.0.tar.gz": 20})
    assert run([ReleaseStep(world.policy, world.version, "final")], world).ok
    dist(world, {"w-0.5.0-py3-none-any.whl": 10})  # built later
    world.notes = Notes("## Changes\n- a fix\n- and another\n")
    assert run([ReleaseStep(world.policy, world.version, "final")], world).ok
    (rel,) = github.releases()
    assert "and another" in rel["body"]
    assert github.count("POST", r"/uploads/") == 2  # one per file, never twice


def test_asset_with_same_name_and_other_size_is_a_conflict(github, git_repo):
    world = make_world(github, git_repo, tags=["v0.5.0"])
    dist(world, {"w-0.5.0.tar.gz": 20})
    assert run([ReleaseStep(world.policy, world.version, "final")], world).ok
    dist(world, {"w-0.5.0.tar.gz": 21})
    report = run([ReleaseStep(world.policy, world.version, "final")], world)
    assert report.rows[0].status == "conflict" and "w-0.5.0.tar.gz" in report.rows[0].detail
    assert github.count("POST", r"/uploads/") == 1


def test_release_survives_a_502_and_secondary_rate_limit(github, git_repo):
    clock = Clock()
    world = make_world(github, git_repo, tags=["v0.5.0"], clock=clock)
    github.fail_next("POST", r"/releases$", 502)
    github.fail_next("GET", r"/releases/tags/", 403, headers={"Retry-After": "3"})
    assert run([ReleaseStep(world.policy, world.version, "final")], world).ok
    assert len(github.releases()) == 1
    assert 3.0 in clock.sleeps and 1.0 in clock.sleeps


# ---- gate:ci -------------------------------------------------------------------------------------


def test_red_required_check_stops_with_the_check_named(github, git_repo):
    pol = Policy(
        github_repo="acme/widgets",
        github_api=github.url,
        tests=CIPolicy(required_checks=["tests", "lint"]),
    )
    world = make_world(github, git_repo, policy=pol)
    sha = world.base_commit
    github.add_check_run(sha, "tests", conclusion="failure", html_url="http://ci.example/run/42")
    github.add_check_run(sha, "lint")
    github.set_status(sha, "optional/coverage", "failure")  # not required: does not count
    report = run([CIGate(pol, world.version, "final")], world)
    assert isinstance(report.error, NotReady)
    line = report.error.one_line()
    assert "tests" in line and "http://ci.example/run/42" in line and "coverage" not in line


def test_pending_check_is_waited_for_then_green(github, git_repo):
    clock = Clock()
    pol = Policy(
        github_repo="acme/widgets", github_api=github.url, tests=CIPolicy(required_checks=["tests"])
    )
    world = make_world(github, git_repo, policy=pol, clock=clock)
    sha = world.base_commit
    run_ = github.add_check_run(sha, "tests", status="in_progress", conclusion=None)

    def finish():
        run_.update(status="completed", conclusion="success")

    clock.on_sleep = finish
    report = run([CIGate(pol, world.version, "final", poll_s=30)], world)
    assert report.ok, report.rows
    assert clock.sleeps == [30]


def test_pending_forever_is_bounded(github, git_repo):
    clock = Clock()
    world = make_world(github, git_repo, clock=clock)
    github.set_status(world.base_commit, "ci/build", "pending")
    report = run([CIGate(world.policy, world.version, "final", timeout_s=120, poll_s=30)], world)
    assert (
        isinstance(report.error, NotReady) and "still pending after 120s" in report.error.one_line()
    )
    assert sum(clock.sleeps) == 120


def test_green_statuses_and_checks_pass_at_probe(github, git_repo):
    world = make_world(github, git_repo)
    github.set_status(world.base_commit, "ci/build", "success")
    github.add_check_run(world.base_commit, "tests", status="completed", conclusion="failure")
    github.add_check_run(
        world.base_commit, "tests", status="completed", conclusion="success"
    )  # a re-run
    report = run([CIGate(world.policy, world.version, "final")], world)
    assert report.ok and report.rows[0].status == "done"


# ---- github:workflows ------------------------------------------------------------------------------


def test_dispatched_workflow_is_followed_to_its_conclusion_and_not_dispatched_twice(
    github, git_repo
):
    pol = Policy(
        github_repo="acme/widgets",
        github_api=github.url,
        workflows=[Workflow(file="release.yml", inputs={"version": "{version}", "tag": "{tag}"})],
    )
    github.add_workflow(
        "release.yml",
        "Release",
        run_name="Release {version}",
        stages=["queued", "queued", "in_progress", "in_progress", "completed"],
    )
    world = make_world(github, git_repo, policy=pol)
    report = run([WorkflowsStep(pol, world.version, "final", poll_s=5)], world)
    assert report.ok, report.rows
    (r,) = github.runs()
    assert r["_inputs"] == {"version": "0.5.0", "tag": "v0.5.0"} and r["head_branch"] == "v0.5.0"
    assert r["conclusion"] == "success"
    assert any("in_progress" in m for m in world.logs) and any("completed" in m for m in world.logs)
    facts = world.journal.facts("github:workflows")["runs"]["release.yml"]
    assert facts["conclusion"] == "success" and facts["id"] == r["id"]
    report = run([WorkflowsStep(pol, world.version, "final")], world)
    assert report.ok and report.rows[0].status == "done"
    assert github.count("POST", r"/dispatches$") == 1


def test_failed_run_is_reported_with_its_link_and_followed_not_redispatched(github, git_repo):
    pol = Policy(
        github_repo="acme/widgets", github_api=github.url, workflows=[Workflow(file="release.yml")]
    )
    github.add_workflow("release.yml", "Release", conclusion="failure")
    world = make_world(github, git_repo, policy=pol)
    report = run([WorkflowsStep(pol, world.version, "final", poll_s=1)], world)
    assert report.error is not None
    assert (
        "concluded failure" in report.error.one_line()
        and "/actions/runs/" in report.error.one_line()
    )
    world2 = make_world(github, git_repo, policy=pol)  # a fresh process: the journal has no run id
    world2.journal = Journal.open(git_repo.root / ".git", "0.5.0")
    report = run([WorkflowsStep(pol, world2.version, "final", poll_s=1)], world2)
    assert report.error is not None
    assert github.count("POST", r"/dispatches$") == 1


def test_workflow_dispatched_before_a_crash_is_found_not_dispatched_again(github, git_repo):
    pol = Policy(
        github_repo="acme/widgets", github_api=github.url, workflows=[Workflow(file="release.yml")]
    )
    github.add_workflow("release.yml", "Release")
    world = make_world(github, git_repo, policy=pol)
    world.services["github"].dispatch("release.yml", "v0.5.0", {})  # the crashed run's dispatch
    report = run([WorkflowsStep(pol, world.version, "final", poll_s=1)], world)
    assert report.ok, report.rows
    assert github.count("POST", r"/dispatches$") == 1


# ---- milestones in the engine -------------------------------------------------------------------------


def test_milestone_gate_stops_a_final_and_skips_an_rc(github, git_repo):
    m = github.add_milestone(None, "0.5.0")
    open_one = github.add_issue(None, "open", milestone=m["number"])
    world = make_world(github, git_repo)
    report = run([MilestoneGate(world.policy, world.version, "final")], world)
    assert (
        isinstance(report.error, NotReady) and f"#{open_one['number']}" in report.error.one_line()
    )
    rc = make_world(github, git_repo, version="0.5.0rc2", kind="rc")
    report = run([MilestoneGate(rc.policy, rc.version, "rc")], rc)
    assert report.ok and report.rows[0].status == "skipped"


def test_milestone_close_closes_and_creates_next_once(github, git_repo):
    m = github.add_milestone(None, "0.5.0")
    github.add_issues(None, 3, milestone=m["number"], state="closed")
    world = make_world(github, git_repo)
    report = run(
        [
            MilestoneGate(world.policy, world.version, "final"),
            MilestoneClose(world.policy, world.version, "final"),
        ],
        world,
    )
    assert report.ok, report.rows
    ms = {x["title"]: x for x in github.state.repo(github.repo).milestones.values()}
    assert ms["0.5.0"]["state"] == "closed" and ms["0.6.0"]["state"] == "open"
    assert world.journal.facts("gate:milestone")["number"] == m["number"]
    writes = github.count("POST") + github.count("PATCH")
    assert (
        run([MilestoneClose(world.policy, world.version, "final")], world).rows[0].status == "done"
    )
    assert github.count("POST") + github.count("PATCH") == writes


def test_full_github_part_of_a_final_and_no_token_anywhere(github, git_repo, capsys):
    pol = Policy(
        github_repo="acme/widgets", github_api=github.url, workflows=[Workflow(file="release.yml")]
    )
    github.add_workflow("release.yml", "Release")
    m = github.add_milestone(None, "0.5.0")
    github.add_issues(None, 10, milestone=m["number"], state="closed")
    github.set_status(git_repo.head(), "ci/build", "success")
    world = make_world(github, git_repo, policy=pol, tags=["v0.5.0"])
    steps = [*gate_steps(pol, world.version, "final"), *post_steps(pol, world.version, "final")]
    report = run(steps, world)
    assert report.ok, report.rows
    assert [r.status for r in report.rows] == ["done", "done", "applied", "applied", "applied"]
    assert {r.name for r in report.rows} == {
        "gate:milestone",
        "gate:ci",
        "github:release",
        "github:workflows",
        "milestone:close",
    }
    text = world.journal.path.read_text() + capsys.readouterr().out + " ".join(world.logs)
    text += " ".join(f"{r.detail}" for r in report.rows)
    assert github.token not in text
    report = run(steps, world)
    assert all(r.status == "done" for r in report.rows), report.rows


def test_under_scoped_token_stops_at_the_gate_before_any_write(github, git_repo):
    github.scopes = ["read:user"]
    pol = Policy(github_repo=github.repo, github_api=github.url, milestone_gate=False)
    world = make_world(github, git_repo, policy=pol)
    steps = [
        *gate_steps(world.policy, world.version, "final"),
        *post_steps(world.policy, world.version, "final"),
    ]
    before = git_repo.snapshot()
    report = run(steps, world)
    assert report.rows[1].name == "gate:ci" and report.rows[1].status == "failed"
    assert "repo" in report.error.one_line() and "read:user" in report.error.one_line()
    assert github.count("POST") + github.count("PATCH") == 0
    assert git_repo.snapshot() == before
