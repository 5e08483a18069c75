"""core.notes.port_section: a released CHANGELOG.md section copied to main (pure)."""

from __future__ import annotations

from release.core.notes import port_section, released_section
from release.core.version import Version

BRANCH = """# Changelog

## [Unreleased]

## [0.1.1] - 2026-01-02

### Bug Fixes

- fix x (#7)

## [0.1.0] - 2026-01-01

- hand note

### Features

- a (#1)

[unreleased]: https://h/o/r/compare/v0.1.1...HEAD
[0.1.1]: https://h/o/r/compare/v0.1.0...v0.1.1
[0.1.0]: https://h/o/r/releases/tag/v0.1.0
"""

MAIN = """# Changelog

Intro.

## [Unreleased]

### Added

- hand note
- still coming

## [0.2.0] - 2026-01-05

- b (#5)

## [0.1.0] - 2026-01-01

- hand note

### Features

- a (#1)

[unreleased]: https://h/o/r/compare/v0.2.0...HEAD
[0.2.0]: https://h/o/r/compare/v0.1.0...v0.2.0
"""


def v(text: str) -> Version:
    return Version.parse(text)


def test_the_section_goes_where_its_version_sorts_as_published():
    out = port_section(MAIN, BRANCH, v("0.1.1"))
    heads = [ln for ln in out.splitlines() if ln.startswith("## [")]
    assert heads == [
        "## [Unreleased]",
        "## [0.2.0] - 2026-01-05",
        "## [0.1.1] - 2026-01-02",
        "## [0.1.0] - 2026-01-01",
    ]
    assert released_section(BRANCH, v("0.1.1")) in out
    assert released_section(out, v("0.2.0")) == released_section(MAIN, v("0.2.0"))
    assert port_section(out, BRANCH, v("0.1.1")) == out  # idempotent
    # the link definition comes along, once
    assert out.count("[0.1.1]: https://h/o/r/compare/v0.1.0...v0.1.1") == 1


def test_released_list_items_leave_unreleased_and_headings_stay():
    branch = BRANCH.replace(
        "## [0.1.1] - 2026-01-02\n", "## [0.1.1] - 2026-01-02\n\n- still coming\n"
    )
    out = port_section(MAIN, branch, v("0.1.1"))
    unreleased = out.split("## [Unreleased]", 1)[1].split("## [0.2.0]", 1)[0]
    assert "still coming" not in unreleased  # went out with 0.1.1
    assert "- hand note" in unreleased and "### Added" in unreleased  # not in 0.1.1: stays


def test_older_than_everything_goes_last_above_the_links_and_an_empty_file_gets_one():
    out = port_section(MAIN.replace("## [0.1.0]", "## [0.1.5]"), BRANCH, v("0.1.1"))
    assert out.index("## [0.1.1]") > out.index("## [0.1.5]")
    assert out.index("## [0.1.1]") < out.index("[unreleased]: ")
    fresh = port_section("", BRANCH, v("0.1.0"))
    assert fresh.startswith("# Changelog\n") and "## [Unreleased]\n" in fresh
    assert released_section(BRANCH, v("0.1.0")) in fresh


def test_nothing_to_port_changes_nothing():
    assert port_section(MAIN, BRANCH, v("0.3.0")) == MAIN  # the source has no such section
    assert port_section(MAIN, BRANCH, v("0.1.0")) == MAIN  # main has it already
