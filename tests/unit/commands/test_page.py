"""What `release.page` reads and writes (`release.commands.page`): the open milestones through
the GitHub adapter's JSON reads, tag messages, and where the page may be written."""

from __future__ import annotations

from typing import Any

import pytest

from release.commands.page import (
    PAGE_FILE,
    out_dir,
    read_milestones,
    tag_messages,
    write_page,
)
from release.core.policy import policy_from_table
from release.errors import ConfigError, RemoteError


class FakeGitHub:
    """The adapter's `get_json` and `repo_name`, answering pages of milestones."""

    repo_name = "acme/widgets"

    def __init__(self, pages: list[list[dict[str, Any]]], fail: Exception | None = None) -> None:
        self.pages, self.fail, self.calls = pages, fail, []

    def get_json(self, what: str, path: str, params: dict[str, Any] | None = None) -> Any:
        self.calls.append((path, dict(params or {})))
        if self.fail:
            raise self.fail
        page = (params or {}).get("page", 1)
        return self.pages[page - 1] if page <= len(self.pages) else []


def milestone(n: int, **kw: Any) -> dict[str, Any]:
    return {
        "number": n,
        "title": f"0.{n}.0",
        "open_issues": n,
        "closed_issues": 2 * n,
        "html_url": f"https://github.com/acme/widgets/milestone/{n}",
        "due_on": None,
        **kw,
    }


def test_without_github_the_milestones_are_not_configured():
    got = read_milestones(policy_from_table({}))
    assert got == {"configured": False, "repository": None, "error": None, "items": []}


def test_open_milestones_with_their_counts_every_page_read():
    first = [milestone(n) for n in range(1, 101)]
    gh = FakeGitHub([first, [milestone(101, due_on="2026-12-19T08:00:00Z")]])
    got = read_milestones(policy_from_table({"github_repo": "acme/widgets"}), gh)
    assert got["configured"] and got["repository"] == "acme/widgets" and got["error"] is None
    assert len(got["items"]) == 101 and [c[1]["page"] for c in gh.calls] == [1, 2]
    assert all(c[0] == "/repos/acme/widgets/milestones" for c in gh.calls)
    assert all(c[1]["state"] == "open" for c in gh.calls)
    assert got["items"][0] == {
        "title": "0.1.0",
        "number": 1,
        "url": "https://github.com/acme/widgets/milestone/1",
        "open_issues": 1,
        "closed_issues": 2,
        "due_at": None,
    }
    assert got["items"][-1]["due_at"] == 1797667200  # 2026-12-19T08:00:00Z


def test_a_link_that_is_not_http_is_dropped():
    gh = FakeGitHub([[milestone(1, html_url="javascript:alert(1)")]])
    (item,) = read_milestones(policy_from_table({"github_repo": "acme/widgets"}), gh)["items"]
    assert item["url"] is None


def test_github_failing_is_said_and_the_page_is_still_made(monkeypatch):
    gh = FakeGitHub([], fail=RemoteError("GitHub milestones (open) failed (502 Bad Gateway)"))
    got = read_milestones(policy_from_table({"github_repo": "acme/widgets"}), gh)
    assert got["error"] == "GitHub milestones (open) failed (502 Bad Gateway)"
    assert got["items"] == []
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    no_token = read_milestones(policy_from_table({"github_repo": "acme/widgets"}))
    assert no_token["configured"] and no_token["error"].startswith("no GitHub token")


def test_out_is_a_directory_or_missing_never_a_file(tmp_path):
    default = tmp_path / "repo" / ".git" / "release" / "page"
    assert out_dir(None, default) == default
    assert out_dir(str(tmp_path / "site"), default) == tmp_path / "site"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="is not a directory"):
        out_dir(str(blocker), default)
    assert blocker.read_text() == "x"


def test_the_page_is_written_whole_into_a_new_directory(tmp_path):
    target = write_page(tmp_path / "a" / "b", "<p>one</p>")
    assert target == tmp_path / "a" / "b" / PAGE_FILE and target.read_text() == "<p>one</p>"
    write_page(tmp_path / "a" / "b", "<p>two</p>")
    assert target.read_text() == "<p>two</p>"
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == [PAGE_FILE]  # no temp file


def test_tag_messages_of_annotated_tags(git_repo):
    git_repo.commit("feat: one (#1)")
    git_repo.git("tag", "-a", "v0.1.0", "-m", "Release 0.1.0\n\n- <script>x</script> & more")
    git_repo.git("tag", "v0.1.1")  # lightweight: no message of its own
    got = tag_messages(git_repo.root, ["v0.1.0", "v0.1.1", "v9.9.9"])
    assert got == {"v0.1.0": "Release 0.1.0\n\n- <script>x</script> & more"}
    assert tag_messages(git_repo.root, []) == {}
