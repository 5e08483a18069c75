"""GitHub Enterprise: every link in notes and announcements uses the configured host."""

from __future__ import annotations

import ast
from pathlib import Path

from release.core import messages
from release.core.notes import Commit, make_notes
from release.core.policy import policy_from_table
from release.core.version import Version

GHE_API = "https://ghe.example.com/api/v3"
GHE = "https://ghe.example.com"
PKG = Path(__file__).resolve().parents[3] / "release"


def commits() -> list[Commit]:
    return [
        Commit("a" * 40, "Ada", "ada@x", 1, "feat(api): add streaming (#12)", "", ()),
        Commit("b" * 40, "Bob", "bob@x", 2, "fix: handle None (#13)", "", ()),
    ]


def notes(**kw):
    return make_notes(
        commits(), Version.parse("0.4.0"), "v0.4.0", "v0.3.2", github_repo="acme/stack", **kw
    )


def test_notes_link_to_the_configured_host():
    n = notes(github_api=GHE_API)
    assert n.compare_url == f"{GHE}/acme/stack/compare/v0.3.2...v0.4.0"
    assert n.pr_url(12) == f"{GHE}/acme/stack/pull/12"
    texts = [n.markdown, n.github_body, n.plain, n.announcement("u"), str(n.to_json())]
    for text in texts:
        assert "github.com" not in text
    assert f"[#12]({GHE}/acme/stack/pull/12)" in n.markdown
    assert f"{GHE}/acme/stack/compare/v0.3.2...v0.4.0" in n.markdown


def test_notes_default_to_github_com():
    n = notes()
    assert n.compare_url == "https://github.com/acme/stack/compare/v0.3.2...v0.4.0"
    assert notes(github_api="https://api.github.com").compare_url == n.compare_url


def test_announcement_and_thread_texts_use_the_configured_host():
    policy = policy_from_table({"github_repo": "acme/stack", "github_api": GHE_API})
    url = messages.release_url(policy, "v0.4.0")
    assert url == f"{GHE}/acme/stack/releases/tag/v0.4.0"
    v = Version.parse("0.4.0")
    for text in (
        messages.headline(v, policy, "stack", url, None),
        messages.thread_text(v, policy, "stack", url, None),
        notes(github_api=GHE_API).announcement(url),
    ):
        assert f"{GHE}/acme/stack/" in text and "github.com" not in text
    public = policy_from_table({"github_repo": "acme/stack"})
    assert messages.release_url(public, "v0.4.0") == (
        "https://github.com/acme/stack/releases/tag/v0.4.0"
    )


def test_no_link_builder_hard_codes_github_com():
    """Only core.routing knows the public host; every other module asks it."""
    offenders = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "routing.py" or path.name == "policy.py":
            continue  # the public default and the default API URL
        for node in ast.walk(ast.parse(path.read_text())):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and "://github.com" in text:
                offenders.append(f"{path.relative_to(PKG)}:{node.lineno}")
    assert offenders == []
