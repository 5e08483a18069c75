"""milestone.check / move / create against the stand-in: O(1) when clean, PRs and moves reported."""

from __future__ import annotations

import pytest
from invoke import Context
from invoke.exceptions import Exit

from release.adapters.github import GitHub
from release.commands.milestone import milestone_check, milestone_create, milestone_move

pytestmark = pytest.mark.integration


@pytest.fixture
def gh(github):
    sleeps: list[float] = []
    return GitHub(github.url, github.repo, github.token, sleep=sleeps.append, clock=lambda: 0.0)


def test_clean_1000_issue_milestone_costs_at_most_3_requests(github, git_repo, gh):
    github.add_milestone(None, "0.4.0", state="closed")
    m = github.add_milestone(None, "0.5.0")
    github.add_issues(None, 1000, milestone=m["number"], state="closed")
    before = len(github.requests)
    chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert chk.ok, chk.violations()
    assert chk.closed_issues == 1000
    assert len(github.requests) - before <= 3
    assert chk.requests == len(github.requests) - before
    # with the milestone number known (the gate journals it) the lookup is one GET of it
    before = len(github.requests)
    assert gh.check_milestone("0.5.0", number=m["number"]).ok
    assert len(github.requests) - before <= 3


def test_pull_requests_and_open_issues_are_listed_with_numbers(github, git_repo, gh):
    m = github.add_milestone(None, "0.5.0")
    github.add_issues(None, 300, milestone=m["number"], state="closed")
    open_issue = github.add_issue(None, "still open", milestone=m["number"])
    pr = github.add_pull(None, "a fix", head="fix-1", milestone=m["number"], merged=True)
    chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert not chk.ok
    text = " | ".join(chk.violations())
    assert f"#{pr['number']}" in text and "issues only" in text
    assert f"#{open_issue['number']}" in text and chk.open_issues == 1
    assert chk.closed_issues == 300  # the merged PR is not counted as a closed issue


def test_undocumented_move_is_a_violation_and_documented_one_is_not(github, git_repo, gh):
    m5 = github.add_milestone(None, "0.5.0")
    m6 = github.add_milestone(None, "0.6.0")
    github.add_issues(None, 5, milestone=m5["number"], state="closed")
    sneaky = github.add_issue(None, "moved in the web UI", milestone=m5["number"], events=True)
    github.move_issue(sneaky["number"], m6["number"])  # no comment: undocumented
    chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert [i.number for i in chk.undocumented] == [sneaky["number"]]
    assert "without a documented rationale" in " ".join(chk.violations())
    # documenting it afterwards (the marker comment) clears the violation
    from release.core.milestones import move_comment

    gh.comment(sneaky["number"], move_comment("0.5.0", "0.6.0", "blocked on upstream"))
    chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert chk.ok and [i.number for i in chk.documented] == [sneaky["number"]]


def test_move_then_check_passes_and_move_is_idempotent(github, git_repo, gh):
    m5 = github.add_milestone(None, "0.5.0")
    github.add_issues(None, 20, milestone=m5["number"], state="closed")
    late = [github.add_issue(None, f"late {i}", milestone=m5["number"]) for i in range(3)]
    assert not milestone_check("0.5.0", str(git_repo.root), gh=gh).ok
    dry = milestone_move("0.5.0", "0.6.0", "not ready", str(git_repo.root), gh=gh, dry_run=True)
    assert dry["would_move"] == [i["number"] for i in late] and github.count("POST") == 0
    d = milestone_move("0.5.0", "0.6.0", "needs more design work", str(git_repo.root), gh=gh)
    assert d["moved"] == [i["number"] for i in late] and d["created"]
    for i in late:
        assert github.issue(i["number"])["milestone"]["title"] == "0.6.0"
        bodies = [c["body"] for c in github.comments_of(i["number"])]
        assert any(
            "release-kit:moved from=0.5.0 to=0.6.0" in b and "needs more design work" in b
            for b in bodies
        )
    chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert chk.ok, chk.violations()
    assert len(chk.documented) == 3
    again = milestone_move("0.5.0", "0.6.0", "needs more design work", str(git_repo.root), gh=gh)
    assert again["moved"] == [] and sum(len(github.comments_of(i["number"])) for i in late) == 3


def test_move_needs_a_reason(github, git_repo, gh):
    from release.errors import ReleaseError

    github.add_milestone(None, "0.5.0")
    with pytest.raises(ReleaseError, match="rationale"):
        milestone_move("0.5.0", "0.6.0", "  ", str(git_repo.root), gh=gh)


def test_create_is_idempotent(github, git_repo, gh):
    a = milestone_create("0.6.0", str(git_repo.root), gh=gh)
    b = milestone_create("0.6.0rc1", str(git_repo.root), gh=gh)
    assert a["created"] and not b["created"] and a["number"] == b["number"]


def test_tasks_through_invoke_with_token_from_env(github, git_repo, monkeypatch, capsys):
    import release.tasks as tasks

    git_repo.write(
        "pyproject.toml",
        f'[tool.release]\ngithub_repo = "{github.repo}"\ngithub_api = "{github.url}"\n',
    )
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    ns = tasks.ns.collections["milestone"]
    path = str(git_repo.root)
    ns.tasks["create"](Context(), "0.5.0", path=path)
    m = next(iter(github.state.repo(github.repo).milestones.values()))
    github.add_issue(None, "open one", milestone=m["number"])
    with pytest.raises(Exit) as exc:
        ns.tasks["check"](Context(), "0.5.0", path=path)
    assert exc.value.code == 3 and "open issue" in str(exc.value.message)
    ns.tasks["move"](Context(), "0.5.0", to="0.6.0", reason="later", path=path)
    ns.tasks["check"](Context(), "0.5.0", path=path)
    out = capsys.readouterr().out
    assert "moved 1 issue(s) from 0.5.0 to 0.6.0" in out
    assert github.token not in out and github.token not in str(exc.value.message)
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with pytest.raises(Exit) as exc:
        ns.tasks["check"](Context(), "0.5.0", path=path)
    assert "no GitHub token" in str(exc.value.message)


def _seen_file(git_repo, title):
    return git_repo.root / ".git" / "release" / "milestones" / f"{title}.json"


def test_busy_repository_clean_milestone_passes_within_3_requests_every_time(github, git_repo, gh):
    """Issue 13 point 15: 5,000 unrelated issue events no longer make the gate refuse forever;
    events are read once per clone, so a re-check costs 3 requests whatever the history."""
    m = github.add_milestone(None, "0.5.0")
    github.add_issues(None, 40, milestone=m["number"], state="closed")
    github.noise(5000)
    first = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert first.ok, first.violations()
    assert _seen_file(git_repo, "0.5.0").is_file()
    github.noise(30)  # the repository stays busy between two checks
    before = len(github.requests)
    again = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert again.ok and len(github.requests) - before <= 3 and again.requests <= 3


def test_moves_cost_one_request_each_and_are_remembered_across_checks(github, git_repo, gh):
    from release.core.milestones import move_comment

    m5 = github.add_milestone(None, "0.5.0")
    m6 = github.add_milestone(None, "0.6.0")
    github.add_issues(None, 10, milestone=m5["number"], state="closed")
    sneaky = github.add_issue(None, "moved in the UI", milestone=m5["number"], events=True)
    back = github.add_issue(
        None, "moved and back", milestone=m5["number"], events=True, state="closed"
    )
    pr = github.add_pull(None, "a fix", head="fix-9", milestone=m5["number"], merged=True)
    github.move_issue(sneaky["number"], m6["number"])
    github.move_issue(back["number"], None)
    github.move_issue(back["number"], m5["number"])
    github.move_issue(pr["number"], None)  # a PR taken out: the remedy for "issues only"
    github.noise(1500)
    before = len(github.requests)
    chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert [i.number for i in chk.undocumented] == [sneaky["number"]]
    assert "moved in the UI" in " ".join(i.title for i in chk.undocumented)
    # events (16 pages) once, plus one timeline per issue that left (sneaky, back)
    assert chk.requests == len(github.requests) - before
    # the next check reads no old event again, and still knows who left
    gh.comment(sneaky["number"], move_comment("0.5.0", "0.6.0", "blocked on upstream"))
    before = len(github.requests)
    chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
    assert chk.ok, chk.violations()
    assert [i.number for i in chk.documented] == [sneaky["number"]]
    assert len(github.requests) - before <= 3 + 2
    # a lost or corrupt record costs speed, never the verdict
    for bad in ("{not json", '{"milestone": 1, "through": "x", "left": [1]}', "[]"):
        _seen_file(git_repo, "0.5.0").write_text(bad)
        chk = milestone_check("0.5.0", str(git_repo.root), gh=gh)
        assert chk.ok and [i.number for i in chk.documented] == [sneaky["number"]]
