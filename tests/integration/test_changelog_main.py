"""Released CHANGELOG.md sections reach main (issue 16, `changelog_to_main`): each final's
section, byte for byte as published at its tag, lands on main in version order among main's own
sections, above none of main's [Unreleased] text; RCs do not; a section on main never changes
afterwards. "push" commits on top of main as origin has it; "pr" opens one pull request."""

from __future__ import annotations

import time

import pytest

from release.core.notes import released_section
from release.core.version import Version
from tests.fixtures.sandbox import Sandbox, make_sandbox

pytestmark = pytest.mark.integration

DAY = 86400
T0 = int(time.time()) // 60 * 60


def at(ts: int, **extra: str) -> dict[str, str]:
    return {"RELEASE_NOW": str(ts), **extra}


def on_line(sb: Sandbox, branch: str, message: str) -> None:
    sb.wd.git("checkout", "-q", branch)
    sb.wd.commit(message)
    sb.wd.git("push", "-q", "origin", branch)


def main_log(sb: Sandbox) -> str:
    return sb.file_at("main", "CHANGELOG.md") + "\n"


def headings(text: str) -> list[str]:
    return [ln.split("]")[0][4:] for ln in text.splitlines() if ln.startswith("## [")]


def unreleased(text: str) -> str:
    return text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]


def published(sb: Sandbox, version: str) -> str:
    section = released_section(sb.file_at(f"v{version}", "CHANGELOG.md"), Version.parse(version))
    assert section is not None
    return section


def note(sb: Sandbox, line: str) -> None:
    sb.wd.git("checkout", "-q", "main")
    sb.wd.git("pull", "-q", "--ff-only", "origin", "main")
    text = (sb.root / "CHANGELOG.md").read_text()
    new = text.replace("## [Unreleased]\n", f"## [Unreleased]\n\n{line}\n", 1)
    sb.wd.commit("docs: a note for the next release", path="CHANGELOG.md", text=new)
    sb.wd.git("push", "-q", "origin", "main")


def test_the_sections_of_two_lines_reach_main_in_version_order_and_never_change(tmp_path):
    sb = make_sandbox(tmp_path)
    # a note written under [Unreleased] on main goes out with the line cut from main: once its
    # final is on main, main's [Unreleased] no longer lists it; a later note stays there
    note(sb, "- a note written before 0.1 was cut")
    sb.run("release.minor", "--yes", env=at(T0), check=True)  # 0.1.0rc1: not on main
    assert "0.1.0rc1" not in main_log(sb)
    note(sb, "- a note written after 0.1 was cut")
    sb.run("release.final", "--yes", env=at(T0 + 8 * DAY), check=True)  # 0.1.0
    assert headings(main_log(sb)) == ["Unreleased", "0.1.0"]
    assert published(sb, "0.1.0") in main_log(sb)
    assert "before 0.1 was cut" in published(sb, "0.1.0")
    assert unreleased(main_log(sb)).strip() == "- a note written after 0.1 was cut"
    # the user's checkout is on main: it followed (clean, fast-forward)
    assert sb.wd.git("rev-parse", "HEAD") == sb.origin_rev("main")
    assert (sb.root / "CHANGELOG.md").read_text() == main_log(sb)

    on_line(sb, "release-0.1.x", "fix: token refresh (#7)")
    sb.run("release.patch", "--yes", env=at(T0 + 9 * DAY), check=True)  # 0.1.1
    on_line(sb, "main", "feat: search (#8)")
    sb.run("release.minor", "--yes", env=at(T0 + 10 * DAY), check=True)  # 0.2.0rc1
    sb.wd.git("checkout", "-q", "release-0.2.x")
    sb.run("release.final", "--yes", env=at(T0 + 18 * DAY), check=True)  # 0.2.0
    on_line(sb, "release-0.1.x", "fix: one more (#9)")
    sb.run("release.patch", "--yes", env=at(T0 + 19 * DAY), check=True)  # 0.1.2

    log = main_log(sb)
    assert headings(log) == ["Unreleased", "0.2.0", "0.1.2", "0.1.1", "0.1.0"]
    for version in ("0.2.0", "0.1.2", "0.1.1", "0.1.0"):
        assert published(sb, version) in log, version  # as published, byte for byte
    assert "rc1" not in log
    assert unreleased(log).strip() == ""  # the later note went out with 0.2.0
    # one commit on main per forward-ported final, touching CHANGELOG.md only
    ported = sb.wd.git(
        "log", "--format=%s", "--grep=section of CHANGELOG.md", "origin/main", cwd=sb.root
    ).splitlines()
    assert len(ported) == 4, ported
    files = sb.wd.git(
        "log", "--format=", "--name-only", "--grep=section of CHANGELOG.md", "origin/main"
    ).split()
    assert set(files) == {"CHANGELOG.md"}


def test_main_moved_on_origin_meanwhile_the_section_goes_on_top_and_local_main_stays(tmp_path):
    sb = make_sandbox(tmp_path)
    sb.run("release.minor", "--yes", env=at(T0), check=True)
    # someone else pushed to main; this clone has not pulled
    other = tmp_path / "other"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(other))
    sb.wd.git("commit", "-q", "--allow-empty", "-m", "feat: elsewhere (#20)", cwd=other)
    sb.wd.git("push", "-q", "origin", "main", cwd=other)
    theirs = sb.origin_rev("main")
    sb.wd.git("checkout", "-q", "release-0.1.x")
    mine = sb.wd.git("rev-parse", "main")
    sb.run("release.final", "--yes", env=at(T0 + 8 * DAY), check=True)
    tip = sb.origin_rev("main")
    assert sb.wd.git("rev-parse", f"{tip}^") == theirs  # on top of what origin had
    assert sb.wd.git("rev-parse", "main") == mine  # local main was not at it: left alone
    assert headings(main_log(sb)) == ["Unreleased", "0.1.0"]


def test_a_re_run_after_a_kill_ports_once(tmp_path):
    sb = make_sandbox(tmp_path)
    sb.run("release.minor", "--yes", env=at(T0), check=True)
    killed = sb.run(
        "release.final", "--yes", env=at(T0 + 8 * DAY, RELEASE_KILL_AFTER="git:changelog-main")
    )
    assert killed.returncode != 0
    before = sb.origin_rev("main")
    assert headings(main_log(sb)) == ["Unreleased", "0.1.0"]
    res = sb.run("release.final", "--yes", env=at(T0 + 8 * DAY))
    assert res.returncode == 0, res.stdout + res.stderr
    assert " = git:changelog-main" in res.stdout
    assert sb.origin_rev("main") == before


def test_off_leaves_main_alone(tmp_path):
    sb = make_sandbox(tmp_path)
    text = (sb.root / "pyproject.toml").read_text()
    sb.wd.commit(
        "build: no forward-port",
        path="pyproject.toml",
        text=text.replace("[tool.release]\n", '[tool.release]\nchangelog_to_main = "off"\n', 1),
    )
    sb.wd.git("push", "-q", "origin", "main")
    sb.run("release.minor", "--yes", env=at(T0), check=True)
    before = sb.origin_rev("main")
    res = sb.run("release.final", "--yes", env=at(T0 + 8 * DAY), check=True)
    assert " - git:changelog-main" in res.stdout and "changelog_to_main = off" in res.stdout
    assert sb.origin_rev("main") == before


def test_pr_mode_opens_one_pull_request_and_main_is_untouched(tmp_path, github):
    sb = make_sandbox(tmp_path)
    text = (sb.root / "pyproject.toml").read_text()
    text = text.replace(
        "[tool.release]\n",
        f'[tool.release]\ngithub_repo = "{github.repo}"\ngithub_api = "{github.url}"\n'
        'changelog_to_main = "pr"\n',
        1,
    )
    sb.wd.write("pyproject.toml", text)
    sb.wd.write(".github/CODEOWNERS", "*  @release-bot owner@example.com\n")
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "build: GitHub, forward-port by pull request")
    sb.wd.git("push", "-q", "origin", "main")
    github.add_ref("refs/heads/main", sb.wd.head())
    github.add_milestone(title="0.1.0")
    sb.env["GITHUB_TOKEN"] = github.token
    sb.run("release.minor", "--yes", env=at(T0), check=True)
    before = sb.origin_rev("main")
    sb.run("release.final", "--yes", env=at(T0 + 8 * DAY), check=True)
    assert sb.origin_rev("main") == before
    head = "release/changelog-0.1.0"
    (pr,) = github.pulls()
    assert (pr["head"]["ref"], pr["base"]["ref"], pr["state"]) == (head, "main", "open")
    assert sb.origin_rev(head) != before
    assert sb.wd.git("rev-parse", f"{sb.origin_rev(head)}^") == before
    assert published(sb, "0.1.0") in sb.file_at(head, "CHANGELOG.md") + "\n"
    # the same command again: the release is done, no second pull request
    again = sb.run("release.final", "--yes", env=at(T0 + 8 * DAY))
    assert len(github.pulls()) == 1, again.stdout


def protect_main(sb: Sandbox) -> None:
    """The origin refuses any update of main, as a protected branch does (a pre-receive hook)."""
    hook = sb.wd.origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  [ "$ref" = refs/heads/main ] && { echo "GH006: Protected branch update failed"; exit 1; }\n'
        "done\nexit 0\n"
    )
    hook.chmod(0o755)


def test_a_protected_main_without_github_stops_with_one_line_and_off_finishes(tmp_path):
    sb = make_sandbox(tmp_path)
    sb.run("release.minor", "--yes", env=at(T0), check=True)
    protect_main(sb)
    before = sb.origin_rev("main")
    res = sb.run("release.final", "--yes", env=at(T0 + 8 * DAY))
    assert res.returncode != 0 and "Traceback" not in res.stderr
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "main refused the CHANGELOG.md section of 0.1.0" in errors[0]
    assert 'set changelog_to_main = "off"' in res.stderr
    assert "v0.1.0" in sb.origin_tags() and sb.origin_rev("main") == before  # all else released
    # the owner turns it off for this run (an untracked copy of the configuration) and finishes
    text = (sb.root / "pyproject.toml").read_text()
    (sb.root / "off.toml").write_text(
        text.replace("[tool.release]\n", '[tool.release]\nchangelog_to_main = "off"\n', 1)
    )
    res = sb.run("release.final", "--yes", "--config", "off.toml", env=at(T0 + 8 * DAY))
    assert res.returncode == 0, res.stdout + res.stderr
    assert " - git:changelog-main" in res.stdout and sb.origin_rev("main") == before


def test_a_protected_main_with_github_gets_a_pull_request_instead(tmp_path, github):
    sb = make_sandbox(tmp_path)
    text = (sb.root / "pyproject.toml").read_text()
    sb.wd.write(
        "pyproject.toml",
        text.replace(
            "[tool.release]\n",
            f'[tool.release]\ngithub_repo = "{github.repo}"\ngithub_api = "{github.url}"\n',
            1,
        ),
    )
    sb.wd.write(".github/CODEOWNERS", "*  @release-bot owner@example.com\n")
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "build: GitHub")
    sb.wd.git("push", "-q", "origin", "main")
    github.add_ref("refs/heads/main", sb.wd.head())
    github.add_milestone(title="0.1.0")
    sb.env["GITHUB_TOKEN"] = github.token
    sb.run("release.minor", "--yes", env=at(T0), check=True)
    protect_main(sb)
    before = sb.origin_rev("main")
    res = sb.run("release.final", "--yes", env=at(T0 + 8 * DAY))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "main refused the push" in res.stdout and sb.origin_rev("main") == before
    (pr,) = github.pulls()
    assert (pr["head"]["ref"], pr["base"]["ref"]) == ("release/changelog-0.1.0", "main")
    assert published(sb, "0.1.0") in sb.file_at("release/changelog-0.1.0", "CHANGELOG.md") + "\n"
