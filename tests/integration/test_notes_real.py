"""Release notes on a real sandbox (issue 16): a minor with rc1, a fix, rc2 and the final 8 days
later; then a patch of the older line and a new minor. CHANGELOG.md lists each change once and
keeps no RC sections, a published section never changes, `changelog.full` holds every release
and [Unreleased] what the current branch holds past them."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.fixtures.sandbox import Sandbox, make_sandbox

pytestmark = pytest.mark.integration

DAY = 86400
T0 = int(time.time()) // 60 * 60


def at(ts: int) -> dict[str, str]:
    return {"RELEASE_NOW": str(ts)}


def section(text: str, version: str) -> str:
    """The `## [version]` section of a CHANGELOG text, up to the next `## ` heading."""
    m = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"no section {version} in:\n{text}"
    return m.group(0)


def on_line(sb: Sandbox, branch: str, message: str) -> None:
    sb.wd.git("checkout", "-q", branch)
    sb.wd.commit(message)
    sb.wd.git("push", "-q", "origin", branch)


def test_notes_of_a_real_minor_with_rcs_a_later_patch_and_a_new_minor(tmp_path):
    sb = make_sandbox(tmp_path)
    sb.wd.commit("chore: tidy the scaffold (#3)")  # hidden by default
    sb.wd.git("push", "-q", "origin", "main")
    sb.run("release.minor", "--yes", env=at(T0), check=True)  # 0.1.0rc1
    on_line(sb, "release-0.1.x", "fix: reject bad tokens (#4)")
    sb.run("release.rc", "--yes", env=at(T0 + 3600), check=True)  # 0.1.0rc2
    sb.run("release.final", "--yes", env=at(T0 + 8 * DAY), check=True)  # 0.1.0
    assert {"v0.1.0rc1", "v0.1.0rc2", "v0.1.0"} <= set(sb.origin_tags())

    at_final = sb.file_at("v0.1.0", "CHANGELOG.md")
    assert "0.1.0rc" not in at_final  # the final's section replaced its RC sections
    s010 = section(at_final, "0.1.0")
    for pr in ("#1", "#2", "#4"):
        assert at_final.count(pr) == 1, (pr, at_final)  # each change once
    assert "#3" not in at_final and "Chores" not in at_final  # chores are hidden

    # main moves on: [Unreleased] lists what main holds past every release
    on_line(sb, "main", "feat: search endpoint (#5)")
    on_line(sb, "main", "fix: crash on empty query (#6)")
    full = sb.run("changelog.full", check=True).stdout
    unreleased = full.split("## [Unreleased]\n", 1)[1].split("\n## [", 1)[0]
    assert "search endpoint (#5)" in unreleased and "crash on empty query (#6)" in unreleased
    assert "#1" not in unreleased and "#4" not in unreleased

    # a patch of the older line, then a new minor from main, then a later patch of 0.1
    on_line(sb, "release-0.1.x", "fix: token refresh (#7)")
    sb.run("release.patch", "--yes", env=at(T0 + 9 * DAY), check=True)  # 0.1.1
    sb.wd.git("checkout", "-q", "main")
    sb.run("release.minor", "--yes", env=at(T0 + 10 * DAY), check=True)  # 0.2.0rc1
    sb.wd.git("checkout", "-q", "release-0.2.x")
    sb.run("release.final", "--yes", env=at(T0 + 18 * DAY), check=True)  # 0.2.0
    draft = json.loads(sb.run("changelog.draft", "--version", "0.2.0", "--json", check=True).stdout)
    assert draft["previous_tag"] == "v0.1.1"  # 0.2.0 branched after 0.1.1
    before = section(sb.run("changelog.full", check=True).stdout, "0.2.0")

    on_line(sb, "release-0.1.x", "fix: one more (#8)")
    sb.run("release.patch", "--yes", env=at(T0 + 19 * DAY), check=True)  # 0.1.2

    # the 0.1.0 section is byte-identical at every later tag of its line
    for tag in ("v0.1.1", "v0.1.2"):
        assert section(sb.file_at(tag, "CHANGELOG.md"), "0.1.0") == s010
    # 0.2.0's range does not move to the later 0.1.2
    sb.wd.git("checkout", "-q", "main")
    again = json.loads(sb.run("changelog.draft", "--version", "0.2.0", "--json", check=True).stdout)
    assert again["previous_tag"] == "v0.1.1"
    full = sb.run("changelog.full", check=True).stdout
    assert section(full, "0.2.0") == before
    for v in ("0.1.0", "0.1.1", "0.1.2", "0.2.0"):
        assert f"## [{v}]" in full
    assert "rc" not in "".join(re.findall(r"^## \[[^\]]*\]", full, re.M))
    data = json.loads(sb.run("changelog.full", "--json", check=True).stdout)
    assert data["schema"] == "changelog.full/1"
    assert [r["version"] for r in data["releases"]] == ["0.2.0", "0.1.2", "0.1.1", "0.1.0"]
    # the CHANGELOG.md of the new minor lists each change once too
    at_020 = sb.file_at("v0.2.0", "CHANGELOG.md")
    assert "0.2.0rc" not in at_020 and at_020.count("(#5)") == 1
