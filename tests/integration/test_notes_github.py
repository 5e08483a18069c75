"""Release notes with what GitHub knows (issue 16): authors as GitHub handles and breaking
changes from PR labels, asked in one GraphQL query per release from the stand-in (which maps
commit authors by their verified e-mails, reads the commits from the bare origin, and answers
a PR number it does not know with GitHub's NOT_FOUND error)."""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures.sandbox import Sandbox, make_sandbox

pytestmark = pytest.mark.integration


def commit_as(sb: Sandbox, author: str, message: str) -> None:
    sb.wd.git("commit", "-q", "--allow-empty", "-m", message, "--author", author)


def section(text: str, version: str) -> str:
    m = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, text
    return m.group(1)


@pytest.fixture
def project(tmp_path, github) -> Sandbox:
    """The sandbox with GitHub configured: alice, bob and the owner have accounts whose e-mails
    their commits use; carol commits from an address GitHub does not know (her PR says who she is);
    PR 4 carries the `api-break` label configured as breaking; PR 9 is not on GitHub."""
    sb = make_sandbox(tmp_path)
    text = (sb.root / "pyproject.toml").read_text()
    text = text.replace(
        "[tool.release]\n",
        f'[tool.release]\ngithub_repo = "{github.repo}"\ngithub_api = "{github.url}"\n',
        1,
    )
    text += '\n[tool.release.notes]\nbreaking_labels = ["api-break"]\n'
    sb.wd.write("pyproject.toml", text)
    sb.wd.write(".github/CODEOWNERS", "*  @release-bot owner@example.com\n")
    sb.wd.git("add", "pyproject.toml", ".github/CODEOWNERS")
    sb.wd.git("commit", "-q", "-m", "build: configure GitHub")
    github.add_user("alice", "alice@example.com")
    github.add_user("bob-gh", "bob@example.com")
    github.add_user("rel-owner", "owner@example.com")
    for title, author, labels in (
        ("feat(api): add the first endpoint", "rel-owner", []),
        ("fix: handle empty input", "rel-owner", []),
        ("feat: search endpoint", "alice", []),
        ("fix: rename the config key", "carol-gh", ["api-break", "bug"]),
    ):
        github.add_pull(title=title, author=author, merged=True, labels=labels)
    commit_as(sb, "Alice A <alice@example.com>", "feat: search endpoint (#3)")
    commit_as(sb, "Carol C <carol@elsewhere.example>", "fix: rename the config key (#4)")
    commit_as(
        sb,
        "Bob B <bob@example.com>",
        "perf: cache the index\n\nCo-authored-by: Alice A <alice@example.com>",
    )
    commit_as(sb, "Dan D <dan@example.com>", "docs: the search guide (#9)")
    sb.wd.git("push", "-q", "origin", "main")
    github.set_git_dir(sb.wd.origin)
    github.add_ref("refs/heads/main", sb.wd.head())
    sb.env["GITHUB_TOKEN"] = github.token
    return sb


def test_handles_and_labels_come_from_one_graphql_query_and_stay_journaled(project, github):
    sb = project
    # a release a gate refuses asks GitHub, but leaves no journal behind
    with (sb.root / "CHANGELOG.md").open("a") as fh:
        fh.write("half-written\n")
    refused = sb.run("release.minor", "--yes")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert not list((sb.root / ".git" / "release").glob("*.json"))
    sb.wd.git("checkout", "-q", "CHANGELOG.md")
    github.requests.clear()
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert github.count("POST", r"^/graphql$") == 1  # the whole release's notes: one query
    (rel,) = github.releases()
    body = rel["body"]
    assert "search endpoint ([#3](" in body and "by @alice" in body
    assert "rename the config key ([#4](" in body and "by @carol-gh" in body  # the PR's author
    assert "cache the index" in body and "by @bob-gh, @alice" in body  # co-author mapped too
    assert "the search guide ([#9](" in body and "by Dan D" in body  # unknown to GitHub: git name
    contributors = body.split("**Contributors**: ", 1)[1].splitlines()[0]
    assert contributors == "@alice, @bob-gh, @carol-gh, @rel-owner, Dan D"
    # the labelled PR is a breaking change in the release notes and CHANGELOG.md alike
    changelog = sb.file_at("v0.1.0rc1", "CHANGELOG.md")
    rc1 = section(changelog, "0.1.0rc1")
    breaking = rc1.split("### Breaking Changes\n", 1)[1].split("###", 1)[0]
    assert "rename the config key ([#4](" in breaking
    assert "### Breaking Changes" in body.split("rename the config key")[0]
    # journaled: what GitHub said, and that it took one request
    journal = json.loads((sb.root / ".git" / "release" / "0.1.0rc1.json").read_text())
    facts = journal["notes_github"]
    assert facts["requests"] == 1
    assert facts["prs"]["4"] == {"labels": ["api-break", "bug"], "login": "carol-gh"}
    assert "9" not in facts["prs"]  # NOT_FOUND is no error, just unknown
    assert facts["logins"]["Alice A"] == "alice" and "Carol C" not in facts["logins"]
    # other tasks do not ask again
    assert sb.run("release.status", "--json").returncode == 0
    assert github.count("POST", r"^/graphql$") == 1


def test_a_resumed_release_renders_the_notes_it_started_with(project, github):
    """Killed after the tag: the re-run reads the journaled facts, asks GitHub nothing, and the
    GitHub release gets the handles although a label changed on GitHub meanwhile."""
    sb = project
    killed = sb.run("release.minor", "--yes", env={"RELEASE_KILL_AFTER": "git:tag"})
    assert killed.returncode != 0
    assert github.count("POST", r"^/graphql$") == 1
    github.state.repo(github.repo).issues[4]["labels"] = []  # relabelled after the tag
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert github.count("POST", r"^/graphql$") == 1
    (rel,) = github.releases()
    assert "by @carol-gh" in rel["body"]
    assert "### Breaking Changes" in rel["body"]
    tagged = sb.wd.git("tag", "-l", "--format=%(contents)", "v0.1.0rc1")
    assert "Breaking Changes:" in tagged  # the tag message was made with the same facts


def test_github_down_gives_git_names_and_a_plan_note_not_a_failure(project, github):
    sb = project
    github.fail_next("POST", r"^/graphql$", 502, times=3)
    res = sb.run("release.plan", "minor")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "note: release notes: authors as git names, PR labels not read" in res.stdout
    assert github.token not in res.stdout + res.stderr
