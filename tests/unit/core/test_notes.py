"""Changelog core, pure: classify, de-duplicate, range rules, renderings, CHANGELOG.md insertion."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from release.adapters.files import update_changelog
from release.adapters.gitlog import parse_log
from release.core.notes import (
    SECTIONS,
    Commit,
    Notes,
    assign,
    changelog_text_has,
    classify,
    enrich,
    entries_of,
    history_targets,
    insert_section,
    make_notes,
    previous_tag,
    previous_tags,
    render_changelog,
)
from release.core.version import TagSet, Version, classify_tag

SHA = iter(f"{i:040x}" for i in range(1, 10**6))


def c(
    subject: str,
    body: str = "",
    author: str = "Ada",
    sha: str | None = None,
    parents: tuple[str, ...] = (),
) -> Commit:
    return Commit(
        sha or next(SHA),
        author,
        f"{author.lower()}@example.com",
        1700000000,
        subject,
        body,
        parents,
    )


# ---- classify ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "section", "ctype", "scope", "pr", "desc"),
    [
        ("feat(api): add streaming (#1234)", "feat", "feat", "api", 1234, "add streaming"),
        ("fix: handle None (#7)", "fix", "fix", None, 7, "handle None"),
        ("feat(api)!: drop v1 routes (#9)", "breaking", "feat", "api", 9, "drop v1 routes"),
        ("docs: typo", "docs", "docs", None, None, "typo"),
        ("perf(db): faster (#3)", "perf", "perf", "db", 3, "faster"),
        ("chore(deps): bump x (#4)", "chore", "chore", "deps", 4, "bump x"),
        ("Feat: capitalised type (#5)", "feat", "feat", None, 5, "capitalised type"),
        ("Update README.md", "other", None, None, None, "Update README.md"),
        ("Bump httpx from 1.0 to 1.1 (#44)", "other", None, None, 44, "Bump httpx from 1.0 to 1.1"),
        ("WIP: half done", "other", None, None, None, "WIP: half done"),
        ('Revert "feat: x (#12)"', "revert", "revert", None, None, 'Revert "feat: x (#12)"'),
        (
            "Merge pull request #88 from someone/patch-1",
            "other",
            None,
            None,
            88,
            "Merge pull request #88 from someone/patch-1",
        ),
        ("fix(api): thing (backport #12) (#34)", "fix", "fix", "api", 12, "thing"),
        ("fix: thing (#12) (#34)", "fix", "fix", None, 12, "thing"),
    ],
)
def test_classify_subjects(subject, section, ctype, scope, pr, desc):
    e = classify(c(subject))
    assert (e.section, e.type, e.scope, e.pr, e.description) == (section, ctype, scope, pr, desc)


def test_backport_numbers_are_kept_beside_the_original_pr():
    assert classify(c("fix(api): thing (backport #12) (#34)")).backports == (34,)
    assert classify(c("fix: thing (#12) (#34)")).backports == (34,)
    assert classify(c("fix: thing (#12)")).backports == ()


def test_mergify_body_names_the_original_pr_when_the_subject_does_not():
    body = (
        "This is an automatic backport of pull request #12 done by [Mergify](https://mergify.com)."
    )
    e = classify(c("fix: thing (#34)", body))
    assert (e.pr, e.backports) == (12, (34,))


def test_breaking_change_footer_and_note():
    e = classify(
        c(
            "feat(api): new auth (#5)",
            "Details.\n\nBREAKING CHANGE: tokens now expire\nafter one hour.\n\nSigned-off-by: x",
        )
    )
    assert e.section == "breaking" and e.breaking
    assert e.breaking_note == "tokens now expire after one hour."
    assert classify(c("feat: x", "BREAKING-CHANGE: y")).breaking


def test_cherry_pick_trailer_and_co_authors():
    orig = "a" * 40
    body = f"Co-authored-by: Ben Ng <ben@example.com>\nCo-authored-by: Ada <ada@example.com>\n\n(cherry picked from commit {orig})"
    e = classify(c("fix: x (#3)", body, author="Ada"))
    assert e.picked_from == orig
    assert e.authors == ("Ada", "Ben Ng")


@given(st.text(min_size=1, max_size=80), st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_classify_never_drops_or_raises(subject, body):
    subject = " ".join(subject.split()) or "x"
    e = classify(c(subject, body))
    assert e.section in dict(SECTIONS)
    assert e.description  # never empty: unconventional subjects keep their text


# ---- de-duplication --------------------------------------------------------------------------


def test_cherry_pick_of_a_commit_in_the_same_range_is_dropped():
    orig = c("fix: original (#10)")
    pick = c("fix: original (#10)", f"(cherry picked from commit {orig.sha})")
    entries = entries_of([pick, orig])  # newest first, as git log gives them
    assert [e.sha for e in entries] == [orig.sha]


def test_two_backports_of_one_pr_give_one_entry_attributed_to_the_pr():
    outside = "b" * 40
    pick = c("fix: leak (#10)", f"(cherry picked from commit {outside})")
    mergify = c(
        "fix: leak (backport #10) (#20)", f"(cherry picked from commit {outside})", author="Ben"
    )
    other = c("feat: y (#11)")
    entries = entries_of([other, mergify, pick])
    assert [e.pr for e in entries] == [11, 10]
    assert entries[1].backports == (20,)
    assert entries[1].authors == ("Ada", "Ben")


def test_merges_are_skipped_and_order_is_newest_first():
    a, b = c("feat: a (#1)"), c("feat: b (#2)")
    m = c("Merge branch 'x'", parents=(a.sha, b.sha))
    assert [e.pr for e in entries_of([m, b, a])] == [2, 1]


def test_pick_without_pr_dedupes_by_original_sha():
    outside = "c" * 40
    p1 = c("fix: no pr", f"(cherry picked from commit {outside})")
    p2 = c("fix: no pr again", f"(cherry picked from commit {outside})")
    assert len(entries_of([p2, p1])) == 1


# ---- parse ---------------------------------------------------------------------------------------


def test_parse_log_splits_fields_subject_and_body():
    out = (
        "a" * 40
        + "\x1f"
        + "p1 p2"
        + "\x1fAda\x1fada@x\x1f1700000000\x1ffeat: x\ncontinued\n\nbody line\n\x00"
        + "b" * 40
        + "\x1f\x1fBen\x1fben@x\x1f1700000001\x1ffix: y (#2)\n\x00"
    )
    a, b = parse_log(out)
    assert a.subject == "feat: x continued" and a.body == "body line" and a.parents == ("p1", "p2")
    assert b.subject == "fix: y (#2)" and b.body == "" and b.parents == () and b.date == 1700000001


# ---- range rules ---------------------------------------------------------------------------------


def tagset(*names: str) -> TagSet:
    return TagSet.from_tags(classify_tag(n, "v", i, f"{i:040x}") for i, n in enumerate(names, 1))


TAGS = tagset(
    "v0.1.0",
    "v0.1.1",
    "v0.1.2",
    "v0.2.0rc1",
    "v0.2.0rc2",
    "v0.2.0",
    "v0.2.1",
    "v0.2.12rc1",
    "v0.3.0rc1",
    "v0.2.10.1",
    "v0.1.4.dev3",
    "v0.5.0-dev",
    "stable",
)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.2.0", "v0.1.2"),  # a minor final: RCs folded, since the highest final below
        ("0.2.0rc2", "v0.1.2"),  # an RC: since the previous final
        ("0.2.1", "v0.2.0"),  # a patch: its own line only
        ("0.1.3", "v0.1.2"),  # a patch of an older line never looks at newer lines
        ("0.2.2", "v0.2.1"),
        ("0.3.0rc1", "v0.2.1"),
        ("0.3.0", "v0.2.1"),
        ("0.1.0", None),
    ],
)
def test_previous_tag_rules(version, expected):
    prev = previous_tag(TAGS, Version.parse(version))
    assert (prev.name if prev else None) == expected


version_names = st.builds(
    lambda a, b, c_, rc: f"v{a}.{b}.{c_}" + (f"rc{rc}" if rc else ""),
    st.integers(0, 2),
    st.integers(0, 4),
    st.integers(0, 4),
    st.one_of(st.none(), st.integers(1, 3)),
)


@given(st.lists(version_names, max_size=25, unique=True))
@settings(max_examples=200, deadline=None)
def test_previous_tags_in_one_pass_equals_the_rule(names):
    ts = tagset(*names)
    bulk = previous_tags(ts)
    for v, prev in bulk.items():
        assert prev == previous_tag(ts, v)


def test_history_targets_are_finals_and_the_last_rc_of_open_versions():
    names = [t.name for t in history_targets(TAGS)]
    assert names == ["v0.1.0", "v0.1.1", "v0.1.2", "v0.2.0", "v0.2.1", "v0.3.0rc1"]


def test_assign_gives_each_commit_to_the_lowest_version_reaching_it():
    # main: a - b - c ; branch from b: p (patch)
    a = c("feat: a (#1)", sha="1" * 40)
    b = c("fix: b (#2)", sha="2" * 40, parents=(a.sha,))
    cc = c("feat: c (#3)", sha="3" * 40, parents=(b.sha,))
    p = c("fix: p (#4)", sha="4" * 40, parents=(b.sha,))
    ts = TagSet.from_tags(
        [
            classify_tag("v0.1.0", "v", 1, b.sha),
            classify_tag("v0.1.1", "v", 2, p.sha),
            classify_tag("v0.2.0", "v", 3, cc.sha),
        ]
    )
    groups = assign([cc, p, b, a], history_targets(ts))
    assert {k: [x.subject for x in v] for k, v in groups.items()} == {
        "v0.1.0": ["fix: b (#2)", "feat: a (#1)"],
        "v0.1.1": ["fix: p (#4)"],
        "v0.2.0": ["feat: c (#3)"],
    }


# ---- renderings ------------------------------------------------------------------------------------


def notes(commits=None, **kw) -> Notes:
    commits = (
        commits
        if commits is not None
        else [
            c("feat(api): add x (#1)"),
            c("fix: y (#2)"),
            c("feat!: z (#3)", "BREAKING CHANGE: z changed"),
            c("Update README.md"),
            c("docs: w (#4)"),
        ]
    )
    kw.setdefault("date", "2026-11-24")
    kw.setdefault("github_repo", "o/r")
    return make_notes(
        commits,
        Version.parse(kw.pop("version", "0.4.0")),
        kw.pop("tag", "v0.4.0"),
        kw.pop("previous", "v0.3.2"),
        **kw,
    )


def test_markdown_sections_in_fixed_order_with_links():
    md = notes().markdown
    assert md.startswith("## [0.4.0] - 2026-11-24\n")
    heads = [line for line in md.splitlines() if line.startswith("### ")]
    assert heads == [
        "### Breaking Changes",
        "### Features",
        "### Bug Fixes",
        "### Documentation",
        "### Other",
    ]
    assert "- **api:** add x ([#1](https://github.com/o/r/pull/1))" in md
    assert "https://github.com/o/r/compare/v0.3.2...v0.4.0" in md
    assert "  - z changed" in md


def test_no_github_repo_means_plain_pr_numbers_and_no_compare_link():
    n = notes(github_repo="")
    assert n.compare_url is None
    assert "(#1)" in n.markdown and "https://" not in n.markdown


def test_plain_tag_message_has_no_markdown_heading_lines():
    text = notes(override_reason="CVE fix").plain
    assert text.startswith("Release 0.4.0 (2026-11-24)\n")
    assert not any(line.startswith("#") for line in text.splitlines())
    assert "Released before the end of its testing window: CVE fix" in text
    assert "Bug Fixes:\n- y (#2)" in text


def test_override_reason_is_shown_in_markdown_and_github_body():
    n = notes(override_reason="urgent security fix")
    assert "urgent security fix" in n.markdown and "urgent security fix" in n.github_body


def test_github_body_lists_authors_and_contributors():
    body = notes().github_body
    assert "## What's Changed" in body and " by Ada" in body and "**Contributors**: Ada" in body


def test_empty_range_says_so():
    assert "_No changes._" in notes([]).markdown
    assert "No changes." in notes([]).plain


@given(st.integers(0, 400), st.text(min_size=0, max_size=300))
@settings(max_examples=60, deadline=None)
def test_announcement_stays_under_discords_limit(n, desc):
    desc = " ".join(desc.split()) or "x"
    commits = [c(f"feat: {desc} {i} (#{i})") for i in range(n)] + [
        c(f"feat!: @everyone {desc} (#9999)")
    ]
    text = notes(commits).announcement("https://example.com/r/v0.4.0")
    assert len(text) < 2000
    assert text.endswith("Full release notes: https://example.com/r/v0.4.0")
    assert "@everyone" not in text


def test_to_json_is_serialisable_and_complete():
    data = json.loads(json.dumps(notes().to_json()))
    assert data["version"] == "0.4.0" and data["previous_tag"] == "v0.3.2"
    assert [s["key"] for s in data["sections"]] == ["breaking", "feat", "fix", "docs", "other"]
    assert data["counts"]["feat"] == 1


def test_enrich_uses_one_batch_call_and_adds_labels_and_newcomers():
    calls = []

    def fetch(prs):
        calls.append(list(prs))
        return {
            2: {"labels": ["bug"], "login": "newbie", "first_contribution": True},
            5: {"labels": ["enhancement"]},
        }

    n = enrich(notes([c("fix: y (#2)"), c("Tweak thing (#5)"), c("WIP")]), fetch)
    assert calls == [[2, 5]]
    assert n.new_contributors == (("newbie", 2),)
    assert [e.section for e in n.entries if e.pr == 5] == [
        "feat"
    ]  # unconventional moved by its label
    assert "@newbie made their first contribution" in n.github_body


# ---- CHANGELOG.md -----------------------------------------------------------------------------------

EXISTING = """# Changelog

Intro written by hand.

## [Unreleased]

### Added
- Hand-written note about the new CLI.

## [0.3.2] - 2026-10-01

### Fixed
- A fix, edited by hand.

[unreleased]: https://github.com/o/r/compare/v0.3.2...HEAD
[0.3.2]: https://github.com/o/r/compare/v0.3.1...v0.3.2
"""


def test_insert_moves_unreleased_text_and_keeps_hand_edits():
    out = insert_section(EXISTING, notes())
    unreleased, rest = out.split("## [0.4.0] - 2026-11-24", 1)
    assert unreleased.rstrip().endswith("## [Unreleased]")  # emptied
    new_section, older = rest.split("## [0.3.2] - 2026-10-01", 1)
    assert "- Hand-written note about the new CLI." in new_section
    assert new_section.index("Hand-written") < new_section.index("### Features")
    assert "- A fix, edited by hand." in older
    assert "Intro written by hand." in out
    assert "[unreleased]: https://github.com/o/r/compare/v0.4.0...HEAD" in out
    assert "[0.4.0]: https://github.com/o/r/compare/v0.3.2...v0.4.0" in out


def test_insert_is_idempotent():
    once = insert_section(EXISTING, notes())
    assert insert_section(once, notes()) == once


def test_a_hand_written_section_for_the_version_is_left_alone():
    text = EXISTING.replace("## [0.3.2]", "## [0.4.0] - by hand\n\n- curated\n\n## [0.3.2]")
    assert insert_section(text, notes()) == text


def test_insert_into_empty_and_into_a_file_without_unreleased():
    out = insert_section("", notes())
    assert out.startswith("# Changelog\n") and "## [Unreleased]\n\n## [0.4.0]" in out
    out2 = insert_section("# Changelog\n\n## [0.3.2] - x\n\n- old\n", notes())
    assert out2.index("## [Unreleased]") < out2.index("## [0.4.0]") < out2.index("## [0.3.2]")


def test_update_changelog_file_twice_changes_once(tmp_path):
    path = tmp_path / "CHANGELOG.md"
    path.write_bytes(EXISTING.replace("\n", "\r\n").encode())
    assert update_changelog(path, notes()) is True
    first = path.read_bytes()
    assert b"\r\n" in first and b"\n\n" not in first.replace(b"\r\n", b"")  # CRLF kept
    assert update_changelog(path, notes()) is False
    assert path.read_bytes() == first


def test_changelog_text_has_matches_headings_only():
    assert changelog_text_has("## [0.4.0] - 2026\n", "0.4.0")
    assert changelog_text_has("## v0.4.0\n", Version.parse("0.4.0"))
    assert not changelog_text_has("## [0.4.0rc1] - x\n", "0.4.0")
    assert not changelog_text_has("- mentions 0.4.0\n", "0.4.0")
    assert not changelog_text_has("## [0.4.01]\n", "0.4.0")


section_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r#["), max_size=60
)


@given(st.lists(section_text, max_size=4), section_text)
@settings(max_examples=150, deadline=None)
def test_insert_keeps_every_older_section_byte_for_byte(bodies, unreleased):
    older = "".join(f"## [0.1.{i}] - d\n\n{b.strip()}\n\n" for i, b in enumerate(bodies))
    text = f"# Changelog\n\n## [Unreleased]\n\n{unreleased.strip()}\n\n{older}"
    out = insert_section(text, notes())
    if older:
        assert out.endswith(older)
    assert changelog_text_has(out, "0.4.0")
    assert insert_section(out, notes()) == out
    if unreleased.strip():
        assert unreleased.strip() in out.split("## [0.4.0]", 1)[1]


def test_render_changelog_has_unreleased_and_every_section():
    text = render_changelog([notes(), notes(version="0.3.2", tag="v0.3.2", previous="v0.3.1")])
    assert text.index("## [Unreleased]") < text.index("## [0.4.0]") < text.index("## [0.3.2]")


def test_an_empty_unreleased_template_stays_where_it_is():
    text = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n### Fixed\n\n## [0.3.2] - x\n\n- old\n"
    out = insert_section(text, notes())
    unreleased, rest = out.split("## [0.4.0]", 1)
    assert unreleased.endswith("## [Unreleased]\n\n### Added\n\n### Fixed\n\n")
    assert "### Added" not in rest
    assert insert_section(out, notes()) == out


def test_release_bookkeeping_commits_are_not_changes():
    from release.core.notes import Commit, entries_of

    commits = [
        Commit("c" * 40, "Rel", "r@x", 3, "chore(release): v0.1.0rc1", "", ("b" * 40,)),
        Commit("d" * 40, "Rel", "r@x", 2, "chore: open 0.2 development", "", ("a" * 40,)),
        Commit("b" * 40, "Dev", "d@x", 1, "fix: a real fix (#7)", "", ("a" * 40,)),
    ]
    assert [e.pr for e in entries_of(commits)] == [7]
