"""[tool.release.notes] (issue 16): sections, hidden types, BREAKING CHANGE footers, one entry
per change across RCs, stable ranges after a later patch, Jinja2 templates in a sandbox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from release.adapters.gitlog import parse_log
from release.commands.changelog import render_template, template_context
from release.core.notes import Commit, insert_section, make_notes, previous_tag, previous_tags
from release.core.policy import NotesConfig, NotesSection, policy_from_table
from release.core.version import TagSet, Version, classify_tag
from release.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
SHA = iter(f"{i:040x}" for i in range(1, 10**6))


def c(subject: str, body: str = "", author: str = "Ada") -> Commit:
    return Commit(next(SHA), author, "a@example.com", 1700000000, subject, body, ())


COMMITS = [
    c("ci: faster matrix (#9)"),
    c("test: cover the parser (#8)"),
    c("chore!: drop the old config file (#7)"),
    c("chore(deps): bump httpx (#6)"),
    c("docs: explain routes (#5)"),
    c("perf: cache tokens (#4)"),
    c("fix: handle empty input (#3)"),
    c("feat(api): streaming (#2)"),
    c("Update README.md"),
]


def notes_of(commits, version="0.2.0", config=None, previous="v0.1.0", repo="o/r"):
    return make_notes(
        commits,
        Version.parse(version),
        f"v{version}",
        previous,
        date="2026-01-02",
        github_repo=repo,
        config=config,
    )


# ---- sections and hidden types ---------------------------------------------------------------


def test_chore_test_ci_are_hidden_by_default_but_never_a_breaking_change():
    n = notes_of(COMMITS)
    titles = [t for _, t, _ in n.sections()]
    assert titles == [
        "Breaking Changes",
        "Features",
        "Bug Fixes",
        "Performance",
        "Documentation",
        "Other",
    ]
    prs = {e.pr for e in n.entries}
    assert 7 in prs and not prs & {6, 8, 9}
    assert n.sections() == notes_of(COMMITS, config=NotesConfig()).sections()


def test_nothing_hidden_shows_chores_tests_and_ci_as_before():
    n = notes_of(COMMITS, config=NotesConfig(hidden=[]))
    titles = [t for _, t, _ in n.sections()]
    assert {"Chores", "Tests", "CI"} <= set(titles)
    assert (
        "### Chores\n\n- **deps:** bump httpx ([#6](https://github.com/o/r/pull/6))" in n.markdown
    )


def test_custom_sections_order_titles_and_types():
    cfg = NotesConfig(
        sections=[
            NotesSection("⚠️ Breaking", ["breaking"]),
            NotesSection("New", ["feat", "perf"]),
            NotesSection("Fixed", ["fix"]),
        ],
        hidden=["chore", "test", "ci", "docs"],
    )
    n = notes_of(COMMITS, config=cfg)
    assert [(k, t, [e.pr for e in es]) for k, t, es in n.sections()] == [
        ("breaking", "⚠️ Breaking", [7]),
        ("feat", "New", [4, 2]),
        ("fix", "Fixed", [3]),
        ("other", "Other", [None]),
    ]
    md = n.markdown
    assert md.index("### ⚠️ Breaking") < md.index("### New") < md.index("### Fixed")
    assert "Documentation" not in md


def test_breaking_changes_without_a_breaking_section_stay_in_their_types_section():
    cfg = NotesConfig(sections=[NotesSection("Changes", ["feat", "fix", "chore"])])
    n = notes_of([c("chore!: drop py3.9 (#1)"), c("feat: x (#2)")], config=cfg)
    assert [(t, [e.pr for e in es]) for _, t, es in n.sections()] == [("Changes", [1, 2])]


def test_the_config_validates_with_key_level_errors():
    p = policy_from_table(
        {
            "notes": {
                "hidden": ["chore"],
                "sections": [{"title": "New", "types": ["feat"]}],
                "notes_template": "docs/templates/llama-stack-notes.md.j2",
            }
        }
    )
    assert p.notes.sections == [NotesSection("New", ["feat"])]
    assert p.notes.hidden == ["chore"]
    for table, needle in (
        ({"notes": {"hiden": ["chore"]}}, "notes.hiden is not a known key"),
        ({"notes": {"hidden": "chore"}}, "notes.hidden = 'chore'"),
        ({"notes": {"hidden": ["chores"]}}, "notes.hidden has 'chores'"),
        ({"notes": {"sections": [{"title": "X", "types": ["feet"]}]}}, "sections[0].types"),
        ({"notes": {"sections": [{"title": "X"}]}}, "sections[0].types is empty"),
        ({"notes": {"sections": [{"types": ["feat"]}]}}, "sections[0].title is missing"),
        (
            {
                "notes": {
                    "sections": [{"title": "A", "types": ["fix"]}, {"title": "B", "types": ["fix"]}]
                }
            },
            "already in notes.sections[0]",
        ),
        ({"notes": {"changelog_template": "../x.j2"}}, "changelog_template = '../x.j2' leaves"),
    ):
        with pytest.raises(ConfigError, match=re.escape(needle)):
            policy_from_table(table)


# ---- breaking changes from footers ------------------------------------------------------------


@pytest.mark.parametrize("footer", ["BREAKING CHANGE", "BREAKING-CHANGE"])
def test_breaking_change_footer_in_the_body_marks_the_change(footer):
    msg = f"feat(api): new routes (#12)\n\nLonger text.\n\n{footer}: /v1 is gone,\n  use /v2\n"
    log = f"{'a' * 40}\x1f\x1fAda\x1fa@example.com\x1f1700000000\x1f{msg}\0"
    (commit,) = parse_log(log)
    n = notes_of([commit])
    ((key, _title, (e,)),) = n.sections()
    assert (key, e.breaking, e.type, e.pr) == ("breaking", True, "feat", 12)
    assert e.breaking_note == "/v1 is gone, use /v2"
    assert "  - /v1 is gone, use /v2" in n.markdown


def test_breaking_labels_are_configurable():
    from release.core.notes import enrich

    cfg = NotesConfig(breaking_labels=["api-break"])
    n = notes_of([c("fix: rename a field (#3)")], config=cfg)
    n2 = enrich(n, lambda prs: {3: {"labels": ["API-Break"]}})
    assert n2.entries[0].breaking and n2.sections()[0][0] == "breaking"
    n3 = enrich(n, lambda prs: {3: {"labels": ["breaking"]}})
    assert not n3.entries[0].breaking


# ---- one entry per change across RCs -----------------------------------------------------------


def test_the_final_lists_each_change_once_and_replaces_its_rc_sections():
    a, b, d = c("feat: a (#1)"), c("fix: b (#2)"), c("fix: d (#3)")
    text = "# Changelog\n\n## [Unreleased]\n\nA hand-written note.\n\n## [0.1.0] - 2025-01-01\n\n- old\n"
    text = insert_section(text, notes_of([a], "0.2.0rc1"))
    text = insert_section(text, notes_of([b, a], "0.2.0rc2"))
    text = insert_section(text, notes_of([b, a], "0.2.0rc3"))
    assert text.count("#1") == 3  # today: once per RC
    text = insert_section(text, notes_of([d, b, a], "0.2.0"))
    assert "0.2.0rc" not in text
    for pr in ("#1", "#2", "#3"):
        assert len(re.findall(rf"\[{pr}\]", text)) == 1, pr
    final = text.split("## [0.2.0] - 2026-01-02\n\n", 1)[1]
    assert final.startswith("A hand-written note.\n\n### Features")  # hand text folded in
    assert text.endswith("## [0.1.0] - 2025-01-01\n\n- old\n")  # other sections untouched
    assert insert_section(text, notes_of([d, b, a], "0.2.0")) == text  # idempotent


# ---- ranges never move after publication --------------------------------------------------------


def tags(*named: tuple[str, int]) -> TagSet:
    return TagSet.from_tags(classify_tag(n, date=d, sha=f"{i:x}") for i, (n, d) in enumerate(named))


def test_previous_tag_of_a_final_ignores_a_later_patch_of_an_older_line():
    ts = tags(("v0.1.0", 10), ("v0.2.0rc1", 20), ("v0.2.0", 30), ("v0.1.1", 40), ("v0.3.0rc1", 50))
    prev = {v: (t.name if t else None) for v, t in previous_tags(ts, as_published=True).items()}
    for version, want in (
        ("0.2.0", "v0.1.0"),  # not v0.1.1: tagged after 0.2.0 branched
        ("0.2.0rc1", "v0.1.0"),
        ("0.1.1", "v0.1.0"),
        ("0.3.0", "v0.2.0"),
        ("0.3.0rc1", "v0.2.0"),
        ("0.2.1", "v0.2.0"),
    ):
        t = previous_tag(ts, Version.parse(version), as_published=True)
        assert (t.name if t else None) == want, version
        assert prev.get(Version.parse(version).base, want) == want
    # the old, version-only rule moves 0.2.0's range once 0.1.1 exists
    assert previous_tag(ts, Version.parse("0.2.0")).name == "v0.1.1"  # type: ignore[union-attr]
    # a patch tagged before the minor's rc1 is its base
    ts2 = tags(("v0.1.0", 10), ("v0.1.1", 15), ("v0.2.0rc1", 20), ("v0.2.0", 30))
    assert previous_tag(ts2, Version.parse("0.2.0"), as_published=True).name == "v0.1.1"  # type: ignore[union-attr]


# ---- templates -----------------------------------------------------------------------------------


def test_a_custom_template_renders_the_notes():
    n = notes_of(COMMITS)
    tpl = (
        "{{ tag }} since {{ previous_tag }}\n"
        "{% for s in sections %}[{{ s.title }}]{% for e in s.entries %} {{ e.pr or e.sha[:7] }}"
        "{% endfor %}\n{% endfor %}"
    )
    out = render_template(tpl, n)
    assert out.splitlines()[0] == "v0.2.0 since v0.1.0"
    assert "[Features] 2" in out and "[Breaking Changes] 7" in out
    # the built-in renderings are in the context, so a template can wrap them
    assert render_template("{{ body }}", n) == n.body_markdown(3)
    ctx = template_context(n)
    assert all(isinstance(e, dict) for e in ctx["entries"])


def test_the_changelog_template_replaces_the_section_body_and_the_default_is_unchanged():
    from dataclasses import replace

    n = notes_of(COMMITS)
    before = n.markdown
    custom = replace(n, changelog_body="Only this.\n", notes_body="Release body.\n")
    assert custom.markdown == "## [0.2.0] - 2026-01-02\n\nOnly this.\n"
    assert custom.github_body == "Release body.\n"
    text = insert_section("# Changelog\n\n## [Unreleased]\n", custom)
    assert "## [0.2.0] - 2026-01-02\n\nOnly this.\n" in text
    assert n.markdown == before


@pytest.mark.parametrize(
    "tpl",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ tag.__class__ }}",
        "{{ sections.__class__.__base__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ tag.format.__globals__ }}",
        "{% for s in sections %}{{ s.items.__self__ }}{% endfor %}",
        "{{ nope }}",
    ],
)
def test_templates_run_in_a_sandbox_and_attribute_tricks_are_refused(tpl):
    with pytest.raises(ConfigError, match="notes_template failed"):
        render_template(tpl, notes_of(COMMITS), "[tool.release].notes.notes_template")


def test_the_llama_stack_example_template():
    tpl = (ROOT / "docs/templates/llama-stack-notes.md.j2").read_text()
    commits = [
        c("feat!: deprecate the v1 client (#20)"),
        c("fix(api): new error codes (#21)", "BREAKING CHANGE: 404 instead of 400"),
        c("feat(api)!: drop the agents route (#22)"),
        c("feat: streaming tools (#23)", author="Bo"),
        c("fix: leak (#24)"),
    ]
    out = render_template(tpl, notes_of(commits, "0.3.0", previous="v0.2.0"))
    assert out.startswith("# v0.3.0\n\n## Highlights\n\n- streaming tools ([#23](")
    assert "| Change | Type (Hard/Deprecated/Behavior) | PR |" in out
    assert "| deprecate the v1 client | Deprecated | [#20](https://github.com/o/r/pull/20) |" in out
    assert "| api: drop the agents route | Hard | [#22](" in out
    assert "| api: new error codes<br>404 instead of 400 | Hard | [#21](" in out
    assert "### Bug Fixes\n\n- fix leak" not in out and "- leak ([#24](" in out
    assert out.rstrip().endswith(
        "**Full Changelog**: [v0.2.0...v0.3.0](https://github.com/o/r/compare/v0.2.0...v0.3.0)"
    )
    assert "\n\n\n" not in out
