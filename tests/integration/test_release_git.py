"""The release engine on the git side, end to end, with a real repo and a bare origin.

Each test drives `python -m release` in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.sandbox import Sandbox

pytestmark = pytest.mark.integration

DAY = 86400


def journal(sb: Sandbox, version: str) -> dict:
    return json.loads((sb.root / ".git" / "release" / f"{version}.json").read_text())


def cut_backport(sb: Sandbox, branch: str, message: str) -> None:
    sb.wd.git("checkout", "-q", branch)
    sb.wd.commit(message)
    sb.wd.git("push", "-q", "origin", branch)


def test_full_cycle_minor_rc_final_patch(sandbox: Sandbox):
    sb = sandbox
    res = sb.run("release.minor", "--yes", check=True)
    assert "released v0.1.0rc1" in res.stdout
    assert sb.origin_tags() == ["v0.1.0rc1"]
    assert sb.origin_rev("release-0.1.x") == sb.origin_rev("v0.1.0rc1")
    assert 'version = "0.1.0rc1"' in sb.file_at("v0.1.0rc1", "pyproject.toml")
    assert "# managed by release-kit" in sb.file_at("v0.1.0rc1", "pyproject.toml")  # comments kept
    assert '__version__ = "0.1.0rc1"' in sb.file_at("v0.1.0rc1", "demo_client/__init__.py")
    assert sb.wd.branch() == "main"  # the user's checkout was not moved
    assert sb.wd.git("status", "--porcelain") == ""
    facts = journal(sb, "0.1.0rc1")["steps"]["git:tag"]["facts"]
    assert facts["window_days"] == 7  # the community window starts with rc1

    cut_backport(sb, "release-0.1.x", "fix: backported fix (#3)")
    sb.run("release.rc", "--yes", check=True)
    assert sb.origin_tags() == ["v0.1.0rc1", "v0.1.0rc2"]

    refused = sb.run("release.final", "--yes")
    assert refused.returncode == 3
    assert "window for 0.1.0 closes" in refused.stderr and "--override" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sb.origin_tags() == ["v0.1.0rc1", "v0.1.0rc2"]

    sb.run("release.final", "--yes", "--override", "CVE fix cannot wait", check=True)
    assert "v0.1.0" in sb.origin_tags()
    j = journal(sb, "0.1.0")
    assert j["overrides"][0]["gate"] == "window"
    assert j["overrides"][0]["reason"] == "CVE fix cannot wait"
    assert j["steps"]["git:commit"]["facts"]["promoted_from"] == "v0.1.0rc2"
    # promotion is provable: only version files and the changelog differ from the last RC
    changed = sb.wd.git("diff", "--name-only", "v0.1.0rc2", "v0.1.0").split()
    assert set(changed) <= {"pyproject.toml", "demo_client/__init__.py", "CHANGELOG.md"}

    cut_backport(sb, "release-0.1.x", "fix: a patch fix (#4)")
    sb.run("release.patch", "--yes", check=True)
    assert sb.origin_tags() == ["v0.1.0", "v0.1.0rc1", "v0.1.0rc2", "v0.1.1"]
    status = json.loads(sb.run("release.status", "--json", check=True).stdout)
    assert status["latest_final"] == "0.1.1"
    assert status["next"]["patch"]["version"] == "0.1.2"


def test_final_after_window_needs_no_override(sandbox: Sandbox):
    sb = sandbox
    sb.run("release.minor", "--yes", check=True)
    sb.wd.git("checkout", "-q", "release-0.1.x")
    later = str(int(time.time()) + 8 * DAY)
    sb.run("release.final", "--yes", env={"RELEASE_NOW": later}, check=True)
    assert "v0.1.0" in sb.origin_tags()
    assert journal(sb, "0.1.0")["overrides"] == []


def test_final_refused_when_branch_changed_since_last_rc(sandbox: Sandbox):
    sb = sandbox
    sb.run("release.minor", "--yes", check=True)
    cut_backport(sb, "release-0.1.x", "fix: untested change (#9)")
    res = sb.run("release.final", "--yes", "--override", "x")
    assert res.returncode == 3
    assert "changed since v0.1.0rc1: history.txt" in res.stderr
    assert "release.rc" in res.stderr


def test_dry_run_changes_nothing(sandbox: Sandbox):
    sb = sandbox
    before = sb.wd.snapshot()
    res = sb.run("release.minor", "--dry-run", check=True)
    assert "would" in res.stdout
    assert sb.wd.snapshot() == before
    assert not (sb.root / ".git" / "release").exists()
    # the real run then does exactly the steps the dry run listed
    dry_steps = [ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith(" ~ ")]
    real = sb.run("release.minor", "--yes", check=True)
    real_steps = [ln.split()[1] for ln in real.stdout.splitlines() if ln.startswith(" + ")]
    assert real_steps == dry_steps
    # dry runs of the other kinds on the release branch change nothing either
    sb.wd.git("checkout", "-q", "release-0.1.x")
    before = sb.wd.snapshot()
    for args in (["release.rc", "--allow-empty"], ["release.final", "--override", "why"]):
        assert sb.run(*args, "--dry-run").returncode == 0
    assert sb.wd.snapshot() == before


def test_plan_shows_gates_and_steps_without_doing_anything(sandbox: Sandbox):
    sb = sandbox
    before = sb.wd.snapshot()
    res = sb.run("release.plan", "minor", check=True)
    for text in ("Gates", "release owner", "git:branch", "git:commit", "git:tag", "git:push"):
        assert text in res.stdout
    assert sb.wd.snapshot() == before


def test_tag_existing_on_origin_at_another_commit_stops_before_anything(sandbox: Sandbox):
    sb = sandbox
    other = sb.root.parent / "other"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(other))
    sb.wd.git("tag", "v0.1.0rc1", "HEAD~1", cwd=other)
    sb.wd.git("push", "-q", "origin", "v0.1.0rc1", cwd=other)
    before = sb.wd.snapshot()
    res = sb.run("release.minor", "--yes", "--offline")  # planned from the local tags
    assert res.returncode == 3
    assert "v0.1.0rc1 already exists on origin" in res.stderr
    assert sb.wd.snapshot() == before
    fetched = sb.run("release.minor", "--yes")  # planning fetches first: it sees the tag
    assert fetched.returncode == 3
    assert "0.1.0 already has release candidates" in fetched.stderr


def test_push_refused_by_origin_then_resumed(sandbox: Sandbox):
    sb = sandbox
    hook = sb.wd.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are frozen for maintenance' >&2\nexit 1\n")
    hook.chmod(0o755)
    res = sb.run("release.minor", "--yes")
    assert res.returncode != 0
    assert "was refused" in res.stderr and "re-run" in res.stderr
    assert "Traceback" not in res.stderr
    assert sb.origin_tags() == []
    hook.unlink()
    res = sb.run("release.minor", "--yes", check=True)
    assert "resuming the unfinished release of 0.1.0rc1" in res.stdout
    assert sb.origin_tags() == ["v0.1.0rc1"]
    # exactly one release commit on the branch
    assert sb.wd.git("rev-list", "--count", "main..release-0.1.x") == "1"


def test_rerunning_a_finished_minor_publishes_nothing(sandbox: Sandbox):
    sb = sandbox
    sb.run("release.minor", "--yes", check=True)
    before = sb.wd.snapshot()
    again = sb.run("release.minor", "--yes")  # a CI retry: a no-op that says so, exit 0
    assert again.returncode == 0, again.stderr
    assert "v0.1.0rc1 is already released" in again.stdout
    assert sb.wd.snapshot() == before
    sb.wd.commit("feat: more on main")
    sb.wd.git("push", "-q", "origin", "main")
    later = sb.run("release.minor", "--yes")  # main moved on: a new cut waits for the open line
    assert later.returncode == 3 and "use release.rc" in later.stderr
    assert sb.origin_tags() == ["v0.1.0rc1"]


def test_patch_from_main_needs_a_line(sandbox: Sandbox):
    sb = sandbox
    res = sb.run("release.patch", "--yes")
    assert res.returncode != 0
    assert "no final release yet" in res.stderr or "release branch" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_minor_moves_main_to_the_next_dev_version_when_configured(sandbox: Sandbox):
    sb = sandbox
    text = (
        (sb.root / "pyproject.toml")
        .read_text()
        .replace("require_codeowners = true", "require_codeowners = true\ndev_bump_on_main = true")
    )
    sb.wd.write("pyproject.toml", text)
    sb.wd.git("commit", "-qam", "chore: open dev bumps")
    sb.wd.git("push", "-q", "origin", "main")
    res = sb.run("release.minor", "--yes", check=True)
    assert "git:dev-bump" in res.stdout
    assert 'version = "0.2.0.dev0"' in sb.file_at("main", "pyproject.toml")
    assert '__version__ = "0.2.0.dev0"' in sb.file_at("main", "demo_client/__init__.py")
    assert 'version = "0.1.0rc1"' in sb.file_at("release-0.1.x", "pyproject.toml")
    assert sb.wd.git("status", "--porcelain") == ""  # the user's main was fast-forwarded
    assert sb.wd.git("rev-parse", "main") == sb.origin_rev("main")
    # the next minor still starts from the highest final/RC, not from the dev version
    assert (
        json.loads(sb.run("release.status", "--json").stdout)["next"]["minor"]["version"]
        == "0.1.0rc2"
    )
