"""The GitHub stand-in answers PyGithub as GitHub does (pagination, 401/404/422, PRs, releases)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def _client(github, token=None, per_page=30):
    from github import Auth, Github

    return Github(
        base_url=github.url,
        auth=Auth.Token(token or github.token),
        retry=None,
        per_page=per_page,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def test_pygithub_pages_issues_and_counts_requests(github):
    m = github.add_milestone(None, "0.5.0")
    github.add_issues(None, 250, milestone=m["number"], state="closed")
    github.add_issue(None, "still open", milestone=m["number"])
    repo = _client(github, per_page=100).get_repo(github.repo)
    before = len(github.requests)
    closed = list(repo.get_issues(milestone=repo.get_milestone(m["number"]), state="closed"))
    assert len(closed) == 250
    # milestone + 3 pages of 100 (Link rel="next" followed)
    assert len(github.requests) - before == 4
    ms = repo.get_milestone(m["number"])
    assert (ms.open_issues, ms.closed_issues) == (1, 250)


def test_auth_scopes_and_errors(github):
    from github import BadCredentialsException, GithubException, UnknownObjectException

    with pytest.raises(BadCredentialsException):
        _client(github, token="ghp_wrongwrongwrongwrongwrong").get_repo(github.repo)
    g = _client(github)
    with pytest.raises(UnknownObjectException):
        g.get_repo("acme/nothing")
    repo = g.get_repo(github.repo)
    assert set(g.oauth_scopes or []) == {"repo", "workflow"}
    repo.create_git_release("v1.0.0", "1.0.0", "notes")
    with pytest.raises(GithubException) as exc:
        repo.create_git_release("v1.0.0", "1.0.0", "notes")
    assert exc.value.status == 422
    github.scopes = ["read:org"]
    with pytest.raises(GithubException) as exc:
        repo.create_milestone("0.6.0")
    assert exc.value.status == 403


def test_pull_requests_are_issues_with_labels(github):
    g = _client(github)
    repo = g.get_repo(github.repo)
    pr = repo.create_pull(
        title="backport: fix", body="b", head="backport/1-to-0.5", base="release-0.5.x"
    )
    pr.add_to_labels("backport")
    issue = repo.get_issue(pr.number)
    assert issue.pull_request is not None
    assert [lb.name for lb in issue.labels] == ["backport"]
    found = list(repo.get_pulls(state="open", head="acme:backport/1-to-0.5", base="release-0.5.x"))
    assert [p.number for p in found] == [pr.number]
    assert not found[0].merged
    assert list(repo.get_pulls(state="open", head="acme:other")) == []
    assert pr.merge().merged
    assert repo.get_pull(pr.number).merge_commit_sha
    total = g.search_issues(f"repo:{github.repo} is:pr is:open").totalCount
    assert total == 0


def test_release_assets_upload_on_own_host(github, tmp_path):
    repo = _client(github).get_repo(github.repo)
    rel = repo.create_git_release("v0.5.0", "0.5.0", "body", prerelease=False)
    f = tmp_path / "pkg-0.5.0.tar.gz"
    f.write_bytes(b"x" * 123)
    asset = rel.upload_asset(str(f))
    assert asset.size == 123
    assert [a.name for a in repo.get_release("v0.5.0").get_assets()] == ["pkg-0.5.0.tar.gz"]
    assert repo.get_latest_release().tag_name == "v0.5.0"


def test_failures_on_demand_and_workflow_runs_advance(github):
    from github import GithubException

    github.fail_next("GET", r"/repos/acme/widgets$", 502)
    g = _client(github)
    with pytest.raises(GithubException) as exc:
        g.get_repo(github.repo)
    assert exc.value.status == 502
    repo = g.get_repo(github.repo)
    github.add_workflow("release.yml", "Release", run_name="Release {version}")
    wf = repo.get_workflow("release.yml")
    assert wf.create_dispatch("v0.5.0", {"version": "0.5.0"}, throw=True)
    runs = list(wf.get_runs(event="workflow_dispatch", branch="v0.5.0"))
    assert [r.display_title for r in runs] == ["Release 0.5.0"]
    statuses = [repo.get_workflow_run(runs[0].id).status for _ in range(3)]
    assert statuses == ["in_progress", "completed", "completed"]
    assert repo.get_workflow_run(runs[0].id).conclusion == "success"
