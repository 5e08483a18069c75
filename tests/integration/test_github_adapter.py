"""The GitHub adapter against the stand-in: retries within bounds, clear errors, no token leaks."""

from __future__ import annotations

import pytest

from release.adapters.github import GitHub, token_from_env
from release.core.policy import Policy
from release.errors import ReleaseError, RemoteError

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self, t: float = 1_768_478_000.0) -> None:
        self.t = t
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s


def make(github, clock=None, **kw):
    clock = clock or Clock()
    return GitHub(
        github.url, github.repo, github.token, sleep=clock.sleep, clock=clock, **kw
    ), clock


def test_missing_token_is_one_clear_error_before_any_request(github):
    with pytest.raises(ReleaseError) as exc:
        GitHub.from_policy(Policy(github_repo=github.repo, github_api=github.url), env={})
    assert "GITHUB_TOKEN" in exc.value.one_line() and "GH_TOKEN" in exc.value.one_line()
    assert github.requests == []
    assert token_from_env({"GH_TOKEN": "abc123"}) == "abc123"


def test_retries_502_then_succeeds(github):
    gh, clock = make(github)
    github.fail_next("GET", r"/milestones$", 502, times=2)
    assert gh.find_milestone("0.5.0") is None
    assert clock.sleeps == [1.0, 2.0]  # exponential backoff, no real sleep
    assert github.count("GET", r"/milestones$") == 4  # 2 failures + open + closed


def test_secondary_rate_limit_honours_retry_after(github):
    gh, clock = make(github)
    github.fail_next("POST", r"/milestones$", 403, headers={"Retry-After": "7"})
    m, created = gh.create_milestone("0.6.0")
    assert created and m["title"] == "0.6.0"
    assert clock.sleeps == [7.0]
    assert [x["title"] for x in github.state.repo(github.repo).milestones.values()] == ["0.6.0"]


def test_primary_rate_limit_waits_until_reset(github):
    gh, clock = make(github)
    reset = int(clock.t) + 30
    github.fail_next(
        "GET",
        r"/search/issues",
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    total, _ = gh.search(f"repo:{github.repo} is:pr")
    assert total == 0
    assert clock.sleeps == [31.0]


def test_429_without_headers_waits_a_minute(github):
    gh, clock = make(github)
    github.fail_next("GET", r"/issues/events", 429)
    gh.left_milestone("0.5.0", "")
    assert clock.sleeps == [60.0]


def test_gives_up_with_when_to_retry(github):
    gh, clock = make(github, attempts=3)
    github.fail_next("GET", r"/milestones", 503, times=10)
    with pytest.raises(RemoteError) as exc:
        gh.find_milestone("0.5.0")
    line = exc.value.one_line()
    assert "server error 503" in line and "after 3 attempt(s)" in line and "retry after" in line
    assert len(clock.sleeps) == 2


def test_a_wait_beyond_the_bound_is_not_slept(github):
    gh, clock = make(github, max_wait=60)
    github.fail_next("GET", r"/milestones", 403, headers={"Retry-After": "3600"})
    with pytest.raises(RemoteError) as exc:
        gh.find_milestone("0.5.0")
    assert clock.sleeps == []
    assert "in 3601s" in exc.value.one_line()


def test_under_scoped_token_is_reported_before_any_write(github):
    github.scopes = ["read:org", "gist"]
    gh, _ = make(github)
    with pytest.raises(ReleaseError) as exc:
        gh.create_milestone("0.6.0")
    line = exc.value.one_line()
    assert "repo" in line and "read:org, gist" in line
    assert github.count("POST") == 0


def test_fine_grained_token_without_scope_header_is_not_refused(github):
    github.scopes = None
    gh, _ = make(github)
    assert gh.create_milestone("0.6.0")[1] is True


def test_bad_token_and_404_are_clear_and_never_show_the_token(github, capsys):
    good = github.token
    gh = GitHub(github.url, github.repo, "ghp_" + "z" * 36)
    with pytest.raises(ReleaseError) as exc:
        gh.find_milestone("0.5.0")
    assert "401" in exc.value.one_line() and "GITHUB_TOKEN" in exc.value.one_line()
    assert "z" * 36 not in exc.value.one_line()
    other = GitHub(github.url, "acme/missing", good)
    with pytest.raises(RemoteError) as exc:
        other.find_milestone("0.5.0")
    assert "404" in exc.value.one_line()
    texts = [str(exc.value), exc.value.one_line(), repr(other), capsys.readouterr().out]
    assert all(good not in t for t in texts)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__


def test_create_pull_is_idempotent_and_labels(github):
    gh, _ = make(github)
    pr = gh.create_pull(
        "backport #1 to 0.5", "body", "backport/1-0.5", "release-0.5.x", labels=["backport"]
    )
    again = gh.create_pull(
        "backport #1 to 0.5", "body", "backport/1-0.5", "release-0.5.x", labels=["backport"]
    )
    assert pr["number"] == again["number"]
    assert [lb["name"] for lb in again["labels"]] == ["backport"]
    assert len(github.pulls()) == 1
    assert [p["number"] for p in gh.open_pulls("backport/1-0.5")] == [pr["number"]]
    assert gh.get_pull(999) is None


def test_notes_facts_ask_one_graphql_query_per_100_prs_and_commits(github):
    """150 PRs (one unknown) and 60 commits: three queries of at most 100 aliases; what GitHub
    does not know is left out, not an error; a query the API rejects is one clear error."""
    for i in range(150):
        github.add_pull(
            title=f"change {i}", author=f"dev{i % 7}", merged=True, labels=["x"] * (i == 3)
        )
    gh, _ = make(github)
    prs = [*range(1, 150), 999]
    found, logins = gh.notes_facts(prs, ["0" * 40] * 60)
    assert github.count("POST", r"^/graphql$") == 2  # 150 PRs + 1 distinct sha = 151 aliases
    assert len(found) == 149 and 999 not in found
    assert found[4] == {"labels": ["x"], "login": "dev3"}
    assert logins == {}  # no git directory: GitHub knows no such commit
    shas = [f"{i:040x}" for i in range(250)]
    gh.notes_facts([], shas)
    assert github.count("POST", r"^/graphql$") == 5  # 250 commits: 100 + 100 + 50
    assert github.count("POST") == 0  # reads: no write was made
    import release.adapters.github as mod

    real = mod.notes_query
    try:
        mod.notes_query = lambda items: real(items).replace("first: 50", "first: 500")
        with pytest.raises(RemoteError) as exc:
            gh.notes_facts([1], [])
    finally:
        mod.notes_query = real
    assert "exceeds the `first` limit of 100" in exc.value.one_line()
    assert github.token not in exc.value.one_line()
