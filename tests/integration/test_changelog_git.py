"""Changelog on real git histories: RCs, release branches, cherry-picks, Mergify backports, strays."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from release.adapters.git import read_state
from release.commands.changelog import history, release_notes
from release.core.policy import Policy
from release.core.version import Version

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
POLICY = Policy(github_repo="o/r")


def cli(wd, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), RELEASE_NOW="1795000000")
    return subprocess.run(
        [sys.executable, "-m", "release", *args],
        cwd=wd.root,
        env=env,
        capture_output=True,
        text=True,
    )


def build_history(wd) -> dict[str, str]:
    """A small messy history; returns the shas worth naming."""
    t = 1790000000
    shas = {}
    wd.commit("feat: first feature (#1)", date=t + 1)
    shas["fix2"] = wd.commit("fix: early fix (#2)", date=t + 2)
    wd.tag("v0.1.0", date=t + 3)
    wd.git("branch", "release-0.1.x")
    wd.commit("feat(api): streaming (#3)", date=t + 4)
    shas["fix4"] = wd.commit("fix: leak in pool (#4)", path="pool.txt", text="pool\n", date=t + 5)
    wd.commit("Update README.md", date=t + 6)
    wd.commit("feat(api)!: drop v1 routes (#5)\n\nBREAKING CHANGE: /v1 is gone", date=t + 7)
    wd.commit("docs: explain routes (#6)", date=t + 8)
    wd.tag("v0.2.10.1", date=t + 9)  # stray tags never start or end a range
    wd.tag("v0.5.0-dev", date=t + 9)
    # patch 0.1.1: fix #4 cherry-picked (-x) onto the old line
    wd.git("checkout", "-q", "release-0.1.x")
    wd.git("cherry-pick", "-x", shas["fix4"])
    wd.tag("v0.1.1", date=t + 10)
    # cut release-0.2.x and rc1 (as release.minor does)
    wd.git("checkout", "-q", "main")
    wd.git("checkout", "-q", "-b", "release-0.2.x")
    wd.tag("v0.2.0rc1", date=t + 11)
    wd.git("checkout", "-q", "main")
    shas["fix7"] = wd.commit(
        "fix: crash on empty input (#7)", path="input.txt", text="input\n", date=t + 12
    )
    shas["fix8"] = wd.commit("fix(cli): exit code (#8)", path="cli.txt", text="cli\n", date=t + 13)
    wd.commit("feat: next minor work (#9)", date=t + 14)
    # backports onto release-0.2.x: a `cherry-pick -x`, a Mergify backport of another PR, and a
    # second (Mergify) backport of the same PR #7: one entry each PR, attributed to the original.
    wd.git("checkout", "-q", "release-0.2.x")
    wd.git("cherry-pick", "-x", shas["fix7"])
    wd.commit(
        f"fix(cli): exit code (backport #8) (#10)\n\nThis is an automatic backport of pull request #8 "
        f"done by [Mergify](https://mergify.com).\n\n(cherry picked from commit {shas['fix8']})",
        path="cli.txt",
        text="cli\n",
        date=t + 15,
    )
    wd.commit(
        f"fix: crash on empty input (backport #7) (#11)\n\n(cherry picked from commit {shas['fix7']})",
        path="input2.txt",
        text="follow-up\n",
        date=t + 16,
    )
    wd.tag("v0.2.0rc2", date=t + 17)
    wd.commit("chore: prepare 0.2.0", date=t + 18)
    return shas


def test_final_after_rcs_folds_them_and_lists_each_pr_once(git_repo):
    build_history(git_repo)
    res = cli(git_repo, "changelog.draft", "--json")  # on release-0.2.x with rc2 open: the final
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["version"] == "0.2.0" and data["previous_tag"] == "v0.1.1"
    sections = {s["key"]: [e["pr"] for e in s["entries"]] for s in data["sections"]}
    assert sections["breaking"] == [5]
    assert sorted(sections["feat"]) == [3]
    assert sorted(sections["fix"]) == [
        4,
        7,
        8,
    ]  # 2 is in v0.1.0; 4 via main, not again via 0.1.1's pick
    assert sections["docs"] == [6]
    assert [
        e["subject"] for s in data["sections"] if s["key"] == "other" for e in s["entries"]
    ] == ["Update README.md"]
    fixes = {e["pr"]: e for s in data["sections"] if s["key"] == "fix" for e in s["entries"]}
    assert fixes[7]["backports"] == [11] and fixes[8]["backports"] == [10]
    assert 9 not in [e["pr"] for s in data["sections"] for e in s["entries"]]  # main after the cut
    md = data["markdown"]
    assert len(re.findall(r"#7\b", md)) == 1 and len(re.findall(r"#8\b", md)) == 1
    assert "- **cli:** exit code (#8, backport #10)" in md
    assert "https://" not in md  # no github_repo in this repository's policy: no links
    assert "/v1 is gone" in md


def test_rc_is_since_the_previous_final_and_patch_stays_on_its_line(git_repo):
    build_history(git_repo)
    state = read_state(git_repo.root)
    rc2 = release_notes(git_repo.root, state.tagset, Version.parse("0.2.0rc2"), POLICY)
    assert rc2.previous_tag == "v0.1.1"
    assert rc2.head == state.tag_sha("v0.2.0rc2")  # an existing tag ends its own range
    assert sorted(e.pr for e in rc2.entries if e.pr) == [3, 4, 5, 6, 7, 8]
    assert rc2.compare_url == "https://github.com/o/r/compare/v0.1.1...v0.2.0rc2"
    patch = release_notes(git_repo.root, state.tagset, Version.parse("0.1.1"), POLICY)
    assert patch.previous_tag == "v0.1.0"
    assert [(e.pr, e.picked_from is not None) for e in patch.entries] == [(4, True)]
    nxt = release_notes(
        git_repo.root, state.tagset, Version.parse("0.1.2"), POLICY, rev="release-0.1.x"
    )
    assert nxt.entries == []  # nothing new on the old line; main's commits never leak in


def test_since_overrides_the_start_and_unknown_tags_are_one_line_errors(git_repo):
    build_history(git_repo)
    git_repo.git("checkout", "-q", "main")
    res = cli(git_repo, "changelog.draft", "--since", "v0.2.0rc1", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["version"] == "0.2.0rc3"  # main: the next cut continues the open RCs
    assert data["previous_tag"] == "v0.2.0rc1"
    assert sorted(e["pr"] for s in data["sections"] for e in s["entries"]) == [7, 8, 9]
    bad = cli(git_repo, "changelog.draft", "--since", "v9.9.9")
    assert bad.returncode != 0
    assert bad.stderr.strip().startswith("error: tag v9.9.9 does not exist")
    assert "Traceback" not in bad.stderr


def test_draft_writes_nothing_and_update_twice_is_idempotent(git_repo):
    build_history(git_repo)
    git_repo.write(
        "CHANGELOG.md",
        "# Changelog\n\n## [Unreleased]\n\n- Hand-written: new docs site.\n\n"
        "## [0.1.0] - 2026-01-01\n\n- Edited by hand.\n",
    )
    git_repo.git("add", "CHANGELOG.md")
    git_repo.git("commit", "-q", "-m", "docs: changelog")
    before = git_repo.snapshot()
    assert cli(git_repo, "changelog.draft").returncode == 0
    assert git_repo.snapshot() == before

    first = cli(git_repo, "changelog.update", "0.2.0")
    assert first.returncode == 0, first.stderr
    assert "added 0.2.0" in first.stdout
    text = (git_repo.root / "CHANGELOG.md").read_text()
    assert text.count("## [0.2.0] - 2026-11-18") == 1  # RELEASE_NOW's date
    unreleased, rest = text.split("## [0.2.0]", 1)
    assert "Hand-written" not in unreleased and "- Hand-written: new docs site." in rest
    assert "- Edited by hand." in rest and "### Breaking Changes" in rest

    second = cli(git_repo, "changelog.update", "0.2.0")
    assert second.returncode == 0 and "already has 0.2.0" in second.stdout
    assert (git_repo.root / "CHANGELOG.md").read_text() == text


def test_full_history_gives_each_release_its_own_commits(git_repo):
    build_history(git_repo)
    state = read_state(git_repo.root)
    notes = {n.tag: n for n in history(git_repo.root, state.tagset, POLICY)}
    assert list(notes) == ["v0.2.0rc2", "v0.1.1", "v0.1.0"]  # strays never get a section
    assert sorted(e.pr for e in notes["v0.1.0"].entries if e.pr) == [1, 2]
    assert [e.pr for e in notes["v0.1.1"].entries] == [4]
    assert sorted(e.pr for e in notes["v0.2.0rc2"].entries if e.pr) == [3, 4, 5, 6, 7, 8]


# ---- the synthetic benchmark repositories --------------------------------------------------


def _synth():
    name = "benchmarks_synth"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "synth.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[name] = mod  # dataclasses look their module up while the class is made
    spec.loader.exec_module(mod)
    return mod


def test_synthetic_repo_is_deterministic_and_its_history_has_no_duplicates(tmp_path):
    synth = _synth()
    a = synth.make_repo(tmp_path / "a", commits=400, tags=50, seed=3)
    b = synth.make_repo(tmp_path / "b", commits=400, tags=50, seed=3)

    def refs(p):
        return subprocess.run(
            ["git", "for-each-ref", "--format=%(refname) %(objectname)"],
            cwd=p,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert refs(a) == refs(b)
    assert synth.make_repo(tmp_path / "a", commits=400, tags=50, seed=3) == a  # reused
    info = synth.repo_info(a)
    assert info["tag_count"] == 50 and info["main_commits"] + info["branch_commits"] == 400
    state = read_state(a)
    strays = {"v0.2.10.1", "v0.1.4.dev3", "v0.3.1-dev.20251022", "v0.5.0-dev", "stable"}
    assert strays <= {t.name for t in state.tagset.strays}
    all_notes = history(a, state.tagset, POLICY)
    assert len(all_notes) >= 5
    picked = 0
    for n in all_notes:
        prs = [e.pr for e in n.entries if e.pr is not None]
        assert len(prs) == len(set(prs)), n.tag
        picked += sum(1 for e in n.entries if e.picked_from)
    assert picked > 0
    assert sum(len(n.entries) for n in all_notes) >= 300
