"""GitHub Actions rendering (release/tasks/gha.py): workflow commands, escaping, summary, outputs."""

from __future__ import annotations

from release.tasks import gha


def test_data_and_properties_are_escaped_as_the_toolkit_does():
    assert gha.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert gha.escape_property("gate:ci, again 5%") == "gate%3Aci%2C again 5%25"
    assert gha.error("gate:ci", "CI 50% red\nsee log") == (
        "::error title=gate%3Aci::CI 50%25 red%0Asee log"
    )
    assert gha.group("publish:demo[starter]") == "::group::publish:demo[starter]"
    assert gha.endgroup() == "::endgroup::"
    assert "\n" not in gha.error("t", "a\nb\r\nc") and "\r" not in gha.error("t", "a\rb")


def test_masks_each_value_once_and_each_line_of_a_multiline_secret():
    assert gha.masks(["s3cr%t-value", "s3cr%t-value", "abc"]) == ["::add-mask::s3cr%25t-value"]
    assert gha.masks(["line-one\nline-two"]) == [
        "::add-mask::line-one%0Aline-two",
        "::add-mask::line-one",
        "::add-mask::line-two",
    ]


def test_outputs_are_key_value_lines():
    assert gha.outputs("0.1.0rc1", "v0.1.0rc1", True, "minor") == (
        "version=0.1.0rc1\ntag=v0.1.0rc1\nreleased=true\nkind=minor\n"
    )
    assert "released=false\n" in gha.outputs("", "", False, "patch")


STEPS = {
    "gate:tests": {"sessions": []},
    "build:python:demo-client": {
        "files": {
            "demo_client-0.1.0-py3-none-any.whl": "a" * 64,
            "demo_client-0.1.0.tar.gz": "b" * 64,
        }
    },
    "pack:npm:demo-js": {"tarball": "demo-js-0.1.0.tgz", "sha256": "c" * 64},
    "push:docker:demo-image": {
        "image": "localhost:5000/demo/image",
        "digest": "sha256:" + "d" * 64,
        "digests": {"0.1.0": "sha256:" + "d" * 64, "latest": "sha256:" + "d" * 64},
    },
    "github:release": {"id": 7, "url": "https://github.com/acme/widgets/releases/tag/v0.1.0"},
    "github:workflows": {"runs": {"release.yml": {"id": 3, "url": "https://ci/run/3"}}},
}


def test_artifacts_and_links_come_from_the_journal_facts():
    assert gha.artifacts(STEPS) == [
        ("build:python:demo-client", "demo_client-0.1.0-py3-none-any.whl", "a" * 64),
        ("build:python:demo-client", "demo_client-0.1.0.tar.gz", "b" * 64),
        ("pack:npm:demo-js", "demo-js-0.1.0.tgz", "c" * 64),
        ("push:docker:demo-image", "localhost:5000/demo/image:0.1.0", "sha256:" + "d" * 64),
        ("push:docker:demo-image", "localhost:5000/demo/image:latest", "sha256:" + "d" * 64),
    ]
    assert gha.links(STEPS) == [
        ("GitHub release", "https://github.com/acme/widgets/releases/tag/v0.1.0"),
        ("workflow release.yml", "https://ci/run/3"),
    ]
    assert gha.artifacts({"build:x": {}, "push:y": {"digests": {}}, "other": "x"}) == []  # type: ignore[dict-item]


def test_summary_lists_steps_artifacts_links_and_overrides():
    text = gha.summary(
        title="final release v0.1.0",
        outcome="released",
        rows=[
            ("gate:tests", "done", "nox -t minor passed | twice", 0.0),
            ("git:tag", "applied", "v0.1.0 at abc", 1.25),
        ],
        steps=STEPS,
        overrides=[{"gate": "window", "who": "rel-owner", "when": "2026-01-15", "reason": "CVE"}],
    )
    lines = text.splitlines()
    assert lines[0] == "## final release v0.1.0: released"
    assert "| `gate:tests` | done | nox -t minor passed \\| twice |  |" in lines
    assert "| `git:tag` | applied | v0.1.0 at abc | 1.2s |" in lines
    assert f"| `demo_client-0.1.0.tar.gz` | `{'b' * 64}` | `build:python:demo-client` |" in lines
    assert "- GitHub release: https://github.com/acme/widgets/releases/tag/v0.1.0" in lines
    assert "- window by rel-owner at 2026-01-15: CVE" in lines
    assert text.endswith("\n")


def test_a_stopped_release_says_why_in_one_line():
    text = gha.summary(
        title="minor release v0.2.0rc1",
        outcome="stopped",
        rows=[("gate:tests", "failed", "red\nsession", 2.0)],
        steps={},
        error="tests not ready:\nred",
    )
    assert "> tests not ready: red" in text.splitlines()
    assert "| `gate:tests` | failed | red session | 2.0s |" in text.splitlines()
    assert "### Artifacts" not in text and "### Links" not in text
