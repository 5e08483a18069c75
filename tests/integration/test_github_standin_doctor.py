"""The stand-in's endpoints for release.doctor answer PyGithub as GitHub does: branch protection
(404 "Branch not protected", admin only), repository contents (base64), the token's expiry header,
an expired token (401) and the repository `permissions` per token."""

from __future__ import annotations

import pytest

from tests.integration.test_github_standin import _client

pytestmark = pytest.mark.integration


def test_branch_protection_as_github_answers_it(github):
    from github import GithubException

    github.add_ref("refs/heads/main", "a" * 40)
    with pytest.raises(GithubException) as err:
        _client(github).requester.requestJsonAndCheck(
            "GET", f"/repos/{github.repo}/branches/main/protection"
        )
    assert err.value.status == 404 and err.value.data["message"] == "Branch not protected"
    with pytest.raises(GithubException) as err:
        _client(github).requester.requestJsonAndCheck(
            "GET", f"/repos/{github.repo}/branches/nope/protection"
        )
    assert err.value.data["message"] == "Branch not found"
    github.protect_branch("main", required_reviews=2, status_checks=["ci"], restrict_to=["boss"])
    _, p = _client(github).requester.requestJsonAndCheck(
        "GET", f"/repos/{github.repo}/branches/main/protection"
    )
    assert p["required_pull_request_reviews"]["required_approving_review_count"] == 2
    assert p["required_status_checks"]["contexts"] == ["ci"]
    assert [u["login"] for u in p["restrictions"]["users"]] == ["boss"]
    assert p["enforce_admins"]["enabled"] is False
    # reading it needs admin: a token of a writer gets 404 Not Found
    github.set_token(permissions={"admin": False, "push": True, "pull": True})
    with pytest.raises(GithubException) as err:
        _client(github).requester.requestJsonAndCheck(
            "GET", f"/repos/{github.repo}/branches/main/protection"
        )
    assert err.value.status == 404 and err.value.data["message"] == "Not Found"


def test_contents_of_a_file_and_a_directory(github):
    from github import GithubException, UnknownObjectException

    text = "on: workflow_dispatch\n" + "# long line " * 20 + "\n"
    github.add_file(".github/workflows/release.yml", text)
    github.add_file(".github/workflows/ci.yml", "on: push\n", ref="feature")
    repo = _client(github).get_repo(github.repo)
    f = repo.get_contents(".github/workflows/release.yml", ref="main")
    assert f.decoded_content.decode() == text and f.encoding == "base64"
    assert f.size == len(text.encode()) and len(f.sha) == 40
    listing = repo.get_contents(".github/workflows", ref="main")
    assert [x.name for x in listing] == ["release.yml"]
    with pytest.raises(UnknownObjectException):
        repo.get_contents(".github/workflows/ci.yml", ref="main")  # only on `feature`
    assert repo.get_contents(".github/workflows/ci.yml", ref="feature").decoded_content
    with pytest.raises(GithubException) as err:
        repo.get_contents("x", ref="no-such-branch")
    assert err.value.status == 404
    assert err.value.data["message"] == "No commit found for the ref no-such-branch"


def test_the_token_expiry_header_an_expired_token_and_permissions_per_token(github):
    from github import BadCredentialsException

    g = _client(github)
    assert g.get_user().login == "release-bot"
    headers, _ = g.requester.requestJsonAndCheck("GET", "/user")
    assert "github-authentication-token-expiration" not in {k.lower() for k in headers}
    github.set_token(expiration="2026-02-01 12:00:00 UTC")
    headers, _ = g.requester.requestJsonAndCheck("GET", "/user")
    assert {k.lower(): v for k, v in headers.items()}[
        "github-authentication-token-expiration"
    ] == "2026-02-01 12:00:00 UTC"
    # a second token: its own login and its own view of the repository
    other = github.set_token(
        "ghp_" + "0" * 36, login="reader", permissions={"admin": False, "push": False, "pull": True}
    )
    assert _client(github, other).get_user().login == "reader"
    assert _client(github, other).get_repo(github.repo).permissions.push is False
    assert _client(github).get_repo(github.repo).permissions.push is True
    github.set_token(expired=True)
    with pytest.raises(BadCredentialsException):
        _client(github).get_user().login  # noqa: B018
    assert github.count("POST") == 0
