"""The noxfile's plain helpers (docs checker, lowest pins) and benchmarks/compare.py, without nox runs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.fixture(scope="module")
def noxfile():
    pytest.importorskip("nox")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import noxfile as module  # one import for the whole run: nox registers sessions on import

    return module


@pytest.fixture(scope="module")
def compare():
    return load("bench_compare", ROOT / "benchmarks" / "compare.py")


def test_lowest_pins_come_from_the_runtime_lower_bounds(noxfile, tmp_path):
    py = tmp_path / "pyproject.toml"
    py.write_text(
        '[project]\nname = "x"\ndependencies = ["invoke>=2.2", "rich >= 13.1, <15", "PyGithub[x]>=2.1",\n'
        '  "tomli>=2; python_version<\'3.11\'", "unpinned", "exact==1.0"]\n'
    )
    assert noxfile.lowest_pins(py) == [
        "invoke==2.2",
        "rich==13.1",
        "PyGithub==2.1",
        "tomli==2; python_version<'3.11'",
    ]
    assert "invoke==2.2" in noxfile.lowest_pins(ROOT / "pyproject.toml")


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("On a fresh clone", "on-a-fresh-clone"),
        ("What `release.status` shows", "what-releasestatus-shows"),
        ("Tags, strays & the next version!", "tags-strays--the-next-version"),
        ("[Configuration](configuration.md) reference", "configuration-reference"),
    ],
)
def test_github_anchors(noxfile, heading, anchor):
    assert noxfile.github_anchor(heading) == anchor


def test_links_to_missing_files_and_anchors_are_reported(noxfile, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## Resuming\n\n## Resuming\n")
    (tmp_path / "README.md").write_text(
        "# Top\n\nSee [guide](docs/guide.md), [resume](docs/guide.md#resuming), [again](docs/guide.md#resuming-1),\n"
        "[web](https://example.com/x), [here](#top), [mail](mailto:a@b.c).\n"
        "Broken: [gone](docs/missing.md) and [anchor](docs/guide.md#nowhere) and [self](#nope).\n"
        "```\n[not a link](nowhere.md)\n```\nand `[inline](nowhere.md)`\n"
    )
    problems, notes = noxfile.check_docs(tmp_path)
    assert sorted(problems) == sorted(
        [
            "README.md: (docs/missing.md): docs/missing.md does not exist",
            "README.md: (docs/guide.md#nowhere): no heading #nowhere in docs/guide.md",
            "README.md: (#nope): no heading #nope in README.md",
        ]
    )
    assert any("CHANGELOG.md not checked" in n for n in notes)


@pytest.mark.parametrize(
    ("text", "version", "found"),
    [
        ("## [Unreleased]\n\n## [0.5.0] - 2026-01-01\n- x\n", "0.5.0", "section"),
        ("## v0.5.0rc1\n- x\n", "0.5.0rc1", "section"),
        (
            "## [0.5.0] - 2026-01-01\n- x\n",
            "0.5.0rc2",
            "section",
        ),  # an rc documented by its final's section
        ("## [Unreleased]\n\n### Features\n\n- a feature\n\n## [0.4.0]\n", "0.5.0", "unreleased"),
        ("## [Unreleased]\n\n## [0.4.0]\n- old\n", "0.5.0", ""),  # nothing unreleased, no section
        ("## [0.5.10]\n- x\n", "0.5.1", ""),
    ],
)
def test_changelog_section_for_the_version(noxfile, text, version, found):
    assert noxfile.changelog_has(text, version) == found


def test_docs_check_fails_without_the_version_in_the_changelog(noxfile, tmp_path):
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n## [0.4.0]\n- x\n")
    problems, _ = noxfile.check_docs(tmp_path, "0.5.0")
    assert problems == ["CHANGELOG.md has no section for 0.5.0 and no entries under [Unreleased]"]
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [0.5.0]\n- x\n")
    assert noxfile.check_docs(tmp_path, "0.5.0")[0] == []


def test_compare_fails_only_beyond_the_ratio(compare, tmp_path, capsys):
    base = tmp_path / "baseline.json"
    base.write_text(json.dumps({"status_2000": 1.0, "changelog_2000": 2.0}))
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps({"status_2000": 1.9, "changelog_2000": 1.0, "new_one": 3.0}))
    assert compare.main([str(ok), "--baseline", str(base), "--max-ratio", "2"]) == 0
    out = capsys.readouterr().out
    assert "new_one" in out and "new" in out and "faster" in out
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps({"status_2000": 2.5}))
    assert compare.main([str(slow), "--baseline", str(base), "--max-ratio", "2"]) == 1
    assert "status_2000: 2.500s is 2.50x the baseline 1.000s" in capsys.readouterr().err
    assert compare.main([str(slow), "--baseline", str(base), "--update"]) == 0
    assert json.loads(base.read_text()) == {"status_2000": 2.5, "changelog_2000": 2.0}


def test_compare_refuses_results_outside_the_contract(compare, tmp_path):
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([{"commits": 2000, "seconds": 1.0}]))
    with pytest.raises(SystemExit, match="expected a JSON object of name -> seconds"):
        compare.main([str(rows), "--baseline", str(tmp_path / "none.json")])


def test_headings_with_inline_code_have_githubs_anchors():
    import noxfile

    text = "# T\n\n## `release.plan`\n\n## Signed tags (`sign_tags`)\n\n```\n# not a heading\n```\n"
    assert noxfile.anchors_of(text) == {"t", "releaseplan", "signed-tags-sign_tags"}
