"""Pure GitHub rules: milestone titles and markers, violations, CI judgement, step applicability."""

from __future__ import annotations

from release.adapters.github import CheckRun
from release.core.milestones import (
    Item,
    MilestoneCheck,
    documented_from,
    milestone_title,
    move_comment,
    next_title,
)
from release.core.policy import Policy, Workflow
from release.core.version import Version
from release.steps.github import _workflows_for, gate_steps, judge_checks, post_steps


def test_titles_follow_the_final_version():
    assert milestone_title("0.5.0rc2") == "0.5.0"
    assert milestone_title(Version.parse("1.0.0")) == "1.0.0"
    assert next_title("0.5.0") == "0.6.0"


def test_move_comment_marker_is_recognised_only_for_its_source():
    body = move_comment("0.5.0", "0.6.0", "needs  a design\nreview")
    assert body.startswith("<!-- release-kit:moved from=0.5.0 to=0.6.0 -->")
    assert "needs a design review" in body
    assert documented_from(["unrelated", body], "0.5.0")
    assert not documented_from([body], "0.4.0")
    assert not documented_from(["moved from 0.5.0 (by hand, no marker)"], "0.5.0")


def test_violations_name_numbers_and_what_to_do():
    chk = MilestoneCheck(
        "0.5.0",
        number=3,
        open_issues=2,
        pull_request_count=1,
        pull_requests=[Item(7, "a PR")],
        open_items=[Item(1, "a"), Item(2, "b")],
        undocumented=[Item(9, "moved")],
    )
    v = chk.violations()
    assert len(v) == 3 and not chk.ok
    assert "#7" in v[0] and "issues only" in v[0]
    assert "#1, #2" in v[1] and "milestone.move 0.5.0" in v[1]
    assert "#9" in v[2] and "without a documented rationale" in v[2]
    assert MilestoneCheck("0.5.0", closed_issues=1000).ok
    assert "does not exist" in MilestoneCheck("0.9.0", found=False).violations()[0]


def test_long_lists_are_cut_with_a_count():
    chk = MilestoneCheck("0.5.0", open_issues=50, open_items=[Item(i, "") for i in range(1, 51)])
    assert "and 30 more" in chk.violations()[0]


def C(name, state, url=""):
    return CheckRun(name, state, url, "check", state)


def test_judge_checks_required_only_count_and_must_report():
    checks = [C("lint", "failure"), C("tests", "success")]
    assert judge_checks(checks, ["tests"])[0] == "success"
    state, failing, pending = judge_checks(checks, ["tests", "docs"])
    assert state == "pending" and pending == ["docs (not reported yet)"]
    state, failing, _ = judge_checks([C("tests", "failure", "http://x/1")], ["tests"])
    assert state == "failure" and failing[0].url == "http://x/1"


def test_judge_checks_without_required_all_count():
    assert judge_checks([], [])[0] == "none"
    assert judge_checks([C("a", "success"), C("b", "pending")], [])[:1] == ("pending",)
    assert judge_checks([C("a", "failure"), C("b", "pending")], [])[0] == "failure"


def test_steps_have_stable_names_and_milestone_close_only_for_finals():
    p = Policy(github_repo="acme/widgets")
    assert [s.name for s in gate_steps(p, Version.parse("0.5.0"), "final")] == [
        "gate:milestone",
        "gate:ci",
    ]
    assert [s.name for s in post_steps(p, Version.parse("0.5.0"), "final")] == [
        "github:release",
        "github:workflows",
        "milestone:close",
    ]
    assert "milestone:close" not in [s.name for s in post_steps(p, Version.parse("0.5.0rc1"), "rc")]
    assert "milestone:close" not in [s.name for s in post_steps(p, Version.parse("0.4.3"), "patch")]


def test_workflows_filtered_by_kind():
    p = Policy(
        workflows=[
            Workflow(file="docs.yml", kinds=["final"]),
            Workflow(file="rc.yml", kinds=["rc"]),
            Workflow(file="all.yml"),
        ]
    )
    assert [w.file for w in _workflows_for(p, Version.parse("0.5.0rc1"), "minor")] == [
        "rc.yml",
        "all.yml",
    ]
    assert [w.file for w in _workflows_for(p, Version.parse("0.5.0"), "final")] == [
        "docs.yml",
        "all.yml",
    ]


class _W:  # the least of a world a skipped probe needs
    journal = None


def test_every_step_skips_without_a_github_repo():
    p = Policy()
    for s in [
        *gate_steps(p, Version.parse("0.5.0"), "final"),
        *post_steps(p, Version.parse("0.5.0"), "final"),
    ]:
        pr = s.probe(_W())
        assert pr.skip and "github_repo" in pr.skip
