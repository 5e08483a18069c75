"""Every rule holds on every path: re-runs, resumes, promotion, windows, lines, owners, flags.

Table-driven. Each case builds a real sandbox (a repository with a bare origin), brings it to
the state the case needs, snapshots the world, runs one command as a user would and checks:
the exit code, one expected fragment of the output, and that nothing else changed (local refs,
origin refs, status, the index, the journal files) unless the case says what may change.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.fixtures.sandbox import PYPROJECT, Sandbox, make_sandbox

pytestmark = pytest.mark.integration

DAY = 86400
T0 = int(time.time()) // 60 * 60  # a fixed clock for the whole file (RELEASE_NOW)


def at(ts: int) -> dict[str, str]:
    return {"RELEASE_NOW": str(ts)}


def journal(sb: Sandbox, version: str) -> dict:
    return json.loads((sb.root / ".git" / "release" / f"{version}.json").read_text())


def world(sb: Sandbox) -> dict:
    """What a command may change: refs here and on origin, status, index, journals."""
    snap = sb.wd.snapshot()
    snap["index"] = sb.wd.git("ls-files", "-s")
    jdir = sb.root / ".git" / "release"
    snap["journals"] = {p.name: p.read_text() for p in sorted(jdir.glob("*.json")) if jdir.is_dir()}
    return snap


def release_keys(lines: str) -> str:
    """The sandbox's pyproject.toml with `lines` added to its [tool.release] table."""
    return PYPROJECT.replace("require_codeowners = true\n", f"require_codeowners = true\n{lines}\n")


# ---- states ------------------------------------------------------------------------------------


def rc1(sb: Sandbox, env: dict[str, str] | None = None) -> None:
    sb.run("release.minor", "--yes", env={**at(T0), **(env or {})}, check=True)
    sb.wd.git("checkout", "-q", "release-0.1.x")


def final(sb: Sandbox) -> None:
    rc1(sb)
    sb.run("release.final", "--yes", "--override", "setup", env=at(T0 + 60), check=True)


def fix_on_line(sb: Sandbox, message: str = "fix: a fix on the line") -> None:
    sb.wd.commit(message)
    sb.wd.git("push", "-q", "origin", "release-0.1.x")


def patched(sb: Sandbox) -> None:
    final(sb)
    fix_on_line(sb)
    sb.run("release.patch", "--yes", env=at(T0 + 120), check=True)


def dependency_after_rc(sb: Sandbox) -> None:
    rc1(sb)
    text = (sb.root / "pyproject.toml").read_text()
    sb.wd.write(
        "pyproject.toml", text.replace("dependencies = []", 'dependencies = ["packaging>=20"]')
    )
    sb.wd.git("commit", "-q", "-am", "build: depend on packaging")
    sb.wd.git("push", "-q", "origin", "release-0.1.x")


def hand_tags(*specs: tuple[str, str]) -> Callable[[Sandbox], None]:
    """Finals made by hand: (tag, branch to make and tag on)."""

    def setup(sb: Sandbox) -> None:
        for tag, branch in specs:
            sb.wd.git("checkout", "-q", "-B", branch, "main")
            sb.wd.commit(f"chore: {tag}")
            sb.wd.git("tag", "-a", tag, "-m", tag)
            sb.wd.git("push", "-q", "origin", branch, tag)
        sb.wd.git("checkout", "-q", "main")

    return setup


def eol_newest(sb: Sandbox) -> None:
    hand_tags(("v0.1.0", "release-0.1.x"), ("v0.2.0", "release-0.2.x"))(sb)
    sb.wd.write("pyproject.toml", release_keys('supported_lines = 1\neol_lines = ["0.2"]'))
    sb.wd.git("commit", "-q", "-am", "chore: 0.2 is end of life")
    sb.wd.git("push", "-q", "origin", "main")


def stray_final(sb: Sandbox) -> None:
    """v0.1.1 tagged on a hotfix branch that release-0.1.x never received."""
    final(sb)
    sb.wd.git("checkout", "-q", "-b", "hotfix", "v0.1.0")
    sb.wd.commit("fix: only on the hotfix branch")
    sb.wd.git("tag", "-a", "v0.1.1", "-m", "v0.1.1")
    sb.wd.git("push", "-q", "origin", "v0.1.1")
    sb.wd.git("checkout", "-q", "release-0.1.x")
    fix_on_line(sb)


def untracked_codeowners(sb: Sandbox) -> None:
    sb.wd.git("rm", "-q", ".github/CODEOWNERS")
    sb.wd.git("commit", "-q", "-m", "chore: no CODEOWNERS")
    sb.wd.git("push", "-q", "origin", "main")
    sb.wd.write("CODEOWNERS", "* @mallory\n")  # untracked: never committed


def no_rcs(sb: Sandbox) -> None:
    sb.wd.write("pyproject.toml", release_keys("rc_required = []"))
    sb.wd.git("commit", "-q", "-am", "chore: no release candidates")
    sb.wd.git("push", "-q", "origin", "main")


def on_line_without_changes(sb: Sandbox) -> None:
    final(sb)


# ---- the table ---------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    setup: Callable[[Sandbox], None]
    args: list[str]
    code: int
    fragment: str
    env: dict[str, str] = field(default_factory=dict)
    changes: bool = False  # the command is expected to change the world (checked by `after`)
    after: Callable[[Sandbox], None] | None = None


def _rc_published_today(sb: Sandbox) -> None:
    data = journal(sb, "0.1.0rc1")
    assert data["published"]["at"] == T0 and data["published"]["step"] == "git:push"
    tagged = int(sb.wd.git("for-each-ref", "--format=%(creatordate:unix)", "refs/tags/v0.1.0rc1"))
    assert tagged <= T0 - 7 * DAY  # the tag itself is back-dated


def _journal_owner(sb: Sandbox) -> None:
    meta = journal(sb, "0.1.0rc1")["release"]
    assert meta["owner"] == "@rel-owner" and meta["reason"] == "covering for rel-owner"
    assert meta["owner_source"] == "--owner"


def _released_010_without_rc(sb: Sandbox) -> None:
    assert sb.origin_tags() == ["v0.1.0"]
    assert sb.origin_rev("release-0.1.x") == sb.origin_rev("v0.1.0")


BACKDATED = {"GIT_COMMITTER_DATE": f"@{T0 - 8 * DAY} +0000"}

CASES = [
    # 1. a re-run of a finished release is a no-op
    Case(
        "rerun-finished-patch", patched, ["release.patch", "--yes"], 0, "v0.1.1 is already released"
    ),
    Case(
        "rerun-finished-minor", rc1, ["release.minor", "--yes"], 0, "v0.1.0rc1 is already released"
    ),
    Case(
        "rerun-finished-final", final, ["release.final", "--yes"], 0, "v0.1.0 is already released"
    ),
    Case("resume-finished", final, ["release.resume", "0.1.0"], 0, "v0.1.0 is already released"),
    Case(
        "patch-without-commits",
        on_line_without_changes,
        ["release.patch", "--yes"],
        3,
        "no commit on release-0.1.x since v0.1.0",
    ),
    Case(
        "patch-without-commits-allowed",
        on_line_without_changes,
        ["release.plan", "patch", "--allow-empty"],
        0,
        "0 commits since v0.1.0 (--allow-empty)",
    ),
    # 2. promotion is proven on content, before any commit, on every run
    Case(
        "promotion-content",
        dependency_after_rc,
        ["release.final", "--yes", "--override", "x"],
        3,
        "pyproject.toml (beyond the version)",
    ),
    # 3. the window counts from publication, with the exact UTC time
    Case(
        "window-from-publication",
        lambda sb: rc1(sb, BACKDATED),
        ["release.final", "--yes"],
        3,
        "v0.1.0rc1 published",
        env=at(T0 + 60),
        after=_rc_published_today,
    ),
    Case(
        "window-exact-time",
        rc1,
        ["release.final", "--yes"],
        3,
        time.strftime("closes %Y-%m-%d %H:%M UTC", time.gmtime(T0 + 7 * DAY)),
        env=at(T0 + 60),
    ),
    Case(
        "blank-override",
        rc1,
        ["release.final", "--yes", "--override", "   "],
        2,
        "--override is empty",
    ),
    # 4./5. lines
    Case(
        "eol-line-stays-eol",
        eol_newest,
        ["release.patch", "--line", "0.1", "--yes"],
        3,
        "line 0.1 is not supported",
    ),
    Case(
        "line-three-parts", final, ["release.patch", "--line", "9.0.1"], 2, "is not a release line"
    ),
    Case(
        "line-four-parts", final, ["release.patch", "--line", "1.2.3.4"], 2, "is not a release line"
    ),
    # 6. a final that is not on its release branch
    Case(
        "final-not-on-branch", stray_final, ["release.patch", "--yes"], 3, "is not on release-0.1.x"
    ),
    # 7. owners
    Case(
        "untracked-codeowners",
        untracked_codeowners,
        ["release.minor", "--yes", "--owner", "mallory"],
        3,
        "no CODEOWNERS file",
    ),
    Case(
        "empty-owner",
        lambda sb: None,
        ["release.minor", "--yes", "--owner", ""],
        2,
        "--owner is empty",
    ),
    Case(
        "owner-for-another-needs-reason",
        lambda sb: None,
        ["release.minor", "--yes", "--owner", "@rel-owner"],
        3,
        "needs --reason",
    ),
    Case(
        "owner-for-another-with-reason",
        lambda sb: None,
        ["release.minor", "--yes", "--owner", "@rel-owner", "--reason", "covering for rel-owner"],
        0,
        "released v0.1.0rc1",
        changes=True,
        after=_journal_owner,
    ),
    # 9. rc_required
    Case(
        "no-rcs",
        no_rcs,
        ["release.minor", "--yes"],
        0,
        "released v0.1.0",
        changes=True,
        after=_released_010_without_rc,
    ),
    # 10. Invoke's core flags
    Case(
        "invoke-dry",
        lambda sb: None,
        ["--dry", "release.minor", "--yes"],
        0,
        "dry run of v0.1.0rc1",
    ),
    Case(
        "invoke-echo",
        lambda sb: None,
        ["--echo", "release.minor", "--yes"],
        2,
        "--echo has no meaning",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_path(case: Case, tmp_path):
    sb = make_sandbox(tmp_path)
    case.setup(sb)
    before = world(sb)
    res = sb.run(*case.args, env={**at(T0 + 180), **case.env})
    out = res.stdout + res.stderr
    assert res.returncode == case.code, out
    assert "Traceback" not in out
    assert case.fragment in out, out
    if res.returncode not in (0,) or not case.changes:
        if res.returncode:
            assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert world(sb) == before, "the command changed the world"
    if case.after:
        case.after(sb)


def test_the_table_covers_the_issue():
    assert len(CASES) >= 15


# ---- paths that need more than one command -----------------------------------------------------


def test_a_rejected_promotion_stays_rejected_on_rerun(tmp_path):
    """Verification failures stay failures: the promotion proof runs again on every run."""
    sb = make_sandbox(tmp_path)
    dependency_after_rc(sb)
    before = world(sb)
    for _ in range(2):
        res = sb.run("release.final", "--yes", "--override", "x", env=at(T0 + 60))
        assert res.returncode == 3 and "beyond the version" in res.stderr
    assert world(sb) == before
    assert sb.run("release.verify", "0.1.0rc1").returncode == 0


def test_window_of_a_run_killed_then_resumed_a_day_later_counts_from_publication(tmp_path):
    sb = make_sandbox(tmp_path)
    killed = sb.run("release.minor", "--yes", env={**at(T0), "RELEASE_KILL_AFTER": "git:tag"})
    assert killed.returncode != 0
    assert sb.origin_tags() == []  # nothing public yet: no window
    sb.run("release.minor", "--yes", env=at(T0 + DAY), check=True)  # resumed a day later
    assert journal(sb, "0.1.0rc1")["published"]["at"] == T0 + DAY
    sb.wd.git("checkout", "-q", "release-0.1.x")
    early = sb.run("release.final", "--yes", env=at(T0 + 7 * DAY + 60))
    assert early.returncode == 3
    assert time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(T0 + 8 * DAY)) in early.stderr
    sb.run("release.final", "--yes", env=at(T0 + 8 * DAY + 60), check=True)


def test_resuming_an_overridden_final_reuses_the_journaled_override(tmp_path):
    sb = make_sandbox(tmp_path)
    rc1(sb)
    killed = sb.run(
        "release.final",
        "--yes",
        "--override",
        "CVE fix",
        env={**at(T0 + 60), "RELEASE_KILL_AFTER": "git:tag"},
    )
    assert killed.returncode != 0
    res = sb.run("release.resume", "0.1.0", "--yes", env=at(T0 + 120))
    assert res.returncode == 0, res.stdout + res.stderr
    overrides = journal(sb, "0.1.0")["overrides"]
    assert [o["reason"] for o in overrides] == ["CVE fix"]
    assert sb.origin_tags() == ["v0.1.0", "v0.1.0rc1"]


def test_a_declined_prompt_leaves_nothing(tmp_path):
    """Without --yes and without a terminal, the run stops before the first local change."""
    sb = make_sandbox(tmp_path)
    before = world(sb)
    res = sb.run("release.minor", env=at(T0))
    assert res.returncode == 6 and "stdin is not a terminal" in res.stderr
    assert world(sb) == before


# ---- abandoning a release (release.abort) -----------------------------------------------------


def test_abort_while_nothing_is_public_leaves_the_world_as_before(tmp_path):
    sb = make_sandbox(tmp_path)
    pristine = sb.wd.snapshot()
    killed = sb.run("release.minor", "--yes", env={**at(T0), "RELEASE_KILL_AFTER": "git:tag"})
    assert killed.returncode != 0 and sb.origin_tags() == []
    res = sb.run("release.abort", "0.1.0rc1", "--yes", env=at(T0 + 60))
    assert res.returncode == 0, res.stderr
    assert "removed tag v0.1.0rc1" in res.stdout and "removed branch release-0.1.x" in res.stdout
    assert sb.wd.snapshot() == pristine
    left = sb.root / ".git" / "release"  # nothing of the release, only what caches a read
    assert not left.exists() or sorted(p.name for p in left.iterdir()) == ["cache"]
    # and the next run starts anew (rc1 again, not rc2)
    sb.run("release.minor", "--yes", env=at(T0 + 120), check=True)
    assert sb.origin_tags() == ["v0.1.0rc1"]


def test_abort_of_a_patch_moves_the_branch_back_from_its_release_commit(tmp_path):
    sb = make_sandbox(tmp_path)
    final(sb)
    fix_on_line(sb)
    before = sb.wd.snapshot()
    killed = sb.run("release.patch", "--yes", env={**at(T0 + 120), "RELEASE_KILL_AFTER": "git:tag"})
    assert killed.returncode != 0
    res = sb.run("release.abort", "0.1.1", "--yes", env=at(T0 + 180))
    assert res.returncode == 0, res.stderr
    assert "moved release-0.1.x back" in res.stdout
    assert sb.wd.snapshot() == before


def test_abort_refuses_once_anything_is_public(tmp_path):
    sb = make_sandbox(tmp_path)
    killed = sb.run("release.minor", "--yes", env={**at(T0), "RELEASE_KILL_AFTER": "git:push"})
    assert killed.returncode != 0 and sb.origin_tags() == ["v0.1.0rc1"]
    before = world(sb)
    res = sb.run("release.abort", "0.1.0rc1", "--yes", env=at(T0 + 60))
    assert res.returncode == 4
    assert "partly public" in res.stderr and "v0.1.0rc1 is on origin" in res.stderr
    assert world(sb) == before


# ---- fetch first, shallow clones, a remote that never answers -------------------------------


def test_a_stale_clone_plans_from_what_origin_has(tmp_path):
    """Another clone cut rc1; this one never fetched: planning fetches and sees rc1."""
    sb = make_sandbox(tmp_path)
    other = tmp_path / "other"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(other))
    sb.wd.git("config", "user.email", "owner@example.com", cwd=other)
    sub = sb.run("release.minor", "--yes", cwd=other, env=at(T0))
    assert sub.returncode == 0, sub.stderr
    offline = sb.run("release.plan", "minor", "--offline", env=at(T0 + 60))
    assert "(v0.1.0rc1)" in offline.stdout  # offline, it plans from what it has: rc1 again ...
    assert "v0.1.0rc1 already exists on origin" in offline.stderr  # ... and a gate says why not
    res = sb.run("release.plan", "minor", env=at(T0 + 60))
    assert res.returncode == 3
    assert "0.1.0 already has release candidates" in res.stderr  # it fetched rc1 first


def test_a_shallow_clone_is_refused_in_one_line(tmp_path):
    sb = make_sandbox(tmp_path)
    shallow = tmp_path / "shallow"
    sb.wd.git("clone", "-q", "--depth", "1", f"file://{sb.wd.origin}", str(shallow))
    res = sb.run("release.plan", "minor", cwd=shallow, env=at(T0))
    assert res.returncode == 2
    assert "shallow clone" in res.stderr and "--unshallow" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_remote_that_never_answers_ends_in_one_line(tmp_path):
    import socket

    sb = make_sandbox(tmp_path)
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)  # accepts connections, never answers
        url = f"http://127.0.0.1:{srv.getsockname()[1]}/repo.git"
        sb.wd.git("remote", "set-url", "origin", url)
        res = sb.run("release.plan", "minor", env={**at(T0), "RELEASE_NETWORK_TIMEOUT": "2"})
    assert res.returncode != 0
    assert "origin did not answer within 2s" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
