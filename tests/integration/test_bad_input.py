"""Bad input, table-driven: one clear line on stderr, exit != 0, no traceback, nothing changed.

Every case starts from a fresh sandbox (a real repo with a bare origin), breaks one thing, runs
one task as a user would (`python -m release ...`) and checks the answer and that the repository,
origin and journal directory are exactly as they were.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.fixtures.sandbox import PACKAGE, PYPROJECT, Sandbox, make_sandbox

pytestmark = pytest.mark.integration


@dataclass
class Case:
    id: str
    args: list[str]
    fragment: str
    setup: Callable[[Sandbox], None] | None = None
    cwd_outside: bool = False


def config(extra: str, base: str = PYPROJECT) -> Callable[[Sandbox], None]:
    """Replace pyproject.toml with the base config plus `extra` (not committed: config errors come first)."""

    def setup(sb: Sandbox) -> None:
        sb.wd.write("pyproject.toml", base + textwrap.dedent(extra))

    return setup


def package_config(table: str) -> Callable[[Sandbox], None]:
    base = PYPROJECT.replace(
        "# git-only: the version files are bumped, no package is published\n"
        'version_files = ["pyproject.toml", "demo_client/__init__.py"]\n',
        "",
    )
    return config(table, base)


def commit_file(path: str, text: str) -> Callable[[Sandbox], None]:
    def setup(sb: Sandbox) -> None:
        sb.wd.write(path, text)
        sb.wd.git("add", path)
        sb.wd.git("commit", "-q", "-m", f"chore: edit {path}")
        sb.wd.git("push", "-q", "origin", "main")

    return setup


def on_release_line(sb: Sandbox) -> None:
    sb.run("release.minor", "--yes", check=True)
    sb.wd.git("checkout", "-q", "release-0.1.x")


def released_line(sb: Sandbox) -> None:
    on_release_line(sb)
    sb.run("release.final", "--yes", "--override", "setup", check=True)


def dirty(sb: Sandbox) -> None:
    sb.wd.write("history.txt", "edited but not committed\n")


def feature_branch(sb: Sandbox) -> None:
    sb.wd.git("checkout", "-q", "-b", "feature/x")


def behind_origin(sb: Sandbox) -> None:
    other = sb.root.parent / "other-clone"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(other))
    (other / "other.txt").write_text("x\n")
    sb.wd.git("add", "other.txt", cwd=other)
    sb.wd.git("commit", "-q", "-m", "feat: from elsewhere", cwd=other)
    sb.wd.git("push", "-q", "origin", "main", cwd=other)
    sb.wd.git("fetch", "-q", "origin")


def ahead_of_origin(sb: Sandbox) -> None:
    sb.wd.commit("feat: not pushed yet")


def tag_on_origin_elsewhere(sb: Sandbox) -> None:
    other = sb.root.parent / "other-clone"
    sb.wd.git("clone", "-q", str(sb.wd.origin), str(other))
    sb.wd.git("tag", "v0.1.0rc1", "HEAD~1", cwd=other)
    sb.wd.git("push", "-q", "origin", "v0.1.0rc1", cwd=other)


def tag_locally_elsewhere(sb: Sandbox) -> None:
    sb.wd.git("tag", "v0.1.0rc1", "HEAD~1")


def no_codeowners(sb: Sandbox) -> None:
    sb.wd.git("rm", "-q", ".github/CODEOWNERS")
    sb.wd.git("commit", "-q", "-m", "chore: drop CODEOWNERS")
    sb.wd.git("push", "-q", "origin", "main")


def side_commit(sb: Sandbox) -> None:
    sb.wd.git("checkout", "-q", "-b", "side")
    sb.wd.commit("feat: on a side branch")
    sb.wd.git("checkout", "-q", "main")
    (sb.root / ".side").write_text(sb.wd.git("rev-parse", "side"))


def broken_origin(sb: Sandbox) -> None:
    sb.wd.git("remote", "set-url", "origin", str(sb.root.parent / "no-such-origin.git"))


CASES = [
    # malformed versions and kinds
    Case("plan-unknown-kind", ["release.plan", "hotfix"], "'hotfix' is not a release kind"),
    Case(
        "line-not-a-line",
        ["release.patch", "--line", "zero.four"],
        "'zero.four' is not a release line",
    ),
    Case(
        "line-with-newline", ["release.patch", "--line", "0.1\nrm -rf /"], "is not a release line"
    ),
    Case(
        "line-with-shell-metachars",
        ["release.rc", "--line", "$(touch pwned);0.1"],
        "is not a release line",
    ),
    Case("journal-unknown-version", ["release.journal", "9.9.9"], "no journal for 9.9.9"),
    Case("resume-unknown-version", ["release.resume", "0.7.0"], "no journal for 0.7.0"),
    Case(
        "changelog-update-bad-version",
        ["changelog.update", "0.4"],
        "'0.4' is not a release version",
    ),
    Case("verify-bad-version", ["release.verify", "v1.2"], "'v1.2' is not a release version"),
    # --commit
    Case(
        "commit-unknown",
        ["release.minor", "--commit", "deadbeef"],
        "--commit deadbeef is not a commit",
    ),
    Case(
        "commit-not-on-main",
        ["release.minor", "--commit", "side"],
        "is not on origin/main",
        side_commit,
    ),
    # tags
    Case(
        "tag-on-origin-elsewhere",
        ["release.minor", "--yes", "--offline"],
        "v0.1.0rc1 already exists on origin",
        tag_on_origin_elsewhere,
    ),
    Case(
        "tag-locally-elsewhere",
        ["release.minor", "--yes"],
        "0.1.0 already has release candidates",
        tag_locally_elsewhere,
    ),
    # tree, branch, sync
    Case("dirty-tree", ["release.minor", "--yes"], "uncommitted changes in history.txt", dirty),
    Case("minor-from-feature-branch", ["release.minor", "--yes"], "cut from main", feature_branch),
    Case(
        "patch-on-main", ["release.patch", "--yes"], "patch releases are made from a release branch"
    ),
    Case(
        "patch-from-main-after-release",
        ["release.patch", "--yes"],
        "main is not one",
        lambda sb: (released_line(sb), sb.wd.git("checkout", "-q", "main")),
    ),
    Case("behind-origin", ["release.minor", "--yes"], "main is behind origin/main", behind_origin),
    Case(
        "ahead-of-origin",
        ["release.minor", "--yes"],
        "main has commits that are not on origin",
        ahead_of_origin,
    ),
    Case("origin-unreachable", ["release.minor", "--yes"], "cannot read origin", broken_origin),
    # release kinds in the wrong state
    Case("rc-without-open-line", ["release.rc", "--yes"], "no release candidate is open"),
    Case("final-without-open-line", ["release.final", "--yes"], "no release candidate is open"),
    Case(
        "final-inside-window",
        ["release.final", "--yes"],
        "window for 0.1.0 closes",
        on_release_line,
    ),
    Case(
        "minor-twice",
        ["release.minor", "--yes"],
        "use release.rc",
        lambda sb: (
            sb.run("release.minor", "--yes", check=True),
            sb.wd.commit("feat: after the cut"),
            sb.wd.git("push", "-q", "origin", "main"),
        ),
    ),
    Case("rc-on-final-line", ["release.rc", "--yes"], "line 0.1 is already final", released_line),
    Case(
        "patch-unknown-line",
        ["release.patch", "--line", "9.9", "--yes"],
        "line 9.9 has no final release yet",
    ),
    # people
    Case(
        "owner-not-listed",
        ["release.minor", "--yes", "--owner", "mallory"],
        "mallory is not in CODEOWNERS",
    ),
    Case("codeowners-missing", ["release.minor", "--yes"], "no CODEOWNERS file", no_codeowners),
    # configuration
    Case(
        "config-unknown-key",
        ["release.status"],
        "[tool.release].relase_branch is not a known key",
        config("", PYPROJECT.replace("[tool.release]\n", '[tool.release]\nrelase_branch = "x"\n')),
    ),
    Case(
        "config-wrong-type-int",
        ["release.status"],
        "[tool.release].windows.minor = 'seven' is not valid",
        config('[tool.release.windows]\nminor = "seven"\n'),
    ),
    Case(
        "config-wrong-type-bool",
        ["release.plan", "minor"],
        "require_codeowners = 'yes' is not valid",
        config("", PYPROJECT.replace("require_codeowners = true", 'require_codeowners = "yes"')),
    ),
    Case(
        "config-negative-days",
        ["release.status"],
        "cadence.patch_days = -1 is not valid",
        config("[tool.release.cadence]\npatch_days = -1\n"),
    ),
    Case(
        "config-unknown-nested-key",
        ["release.status"],
        "[tool.release].tests.evidense is not a known key",
        config("", PYPROJECT.replace('evidence = "none"', 'evidense = "none"')),
    ),
    Case(
        "config-bad-evidence",
        ["release.status"],
        "tests.evidence = 'maybe' is not valid",
        config("", PYPROJECT.replace('evidence = "none"', 'evidence = "maybe"')),
    ),
    Case(
        "config-branch-pattern",
        ["release.status"],
        "must contain {major} and {minor}",
        config(
            "",
            PYPROJECT.replace(
                "[tool.release]\n", '[tool.release]\nbranch_pattern = "release-{major}"\n'
            ),
        ),
    ),
    Case(
        "config-tag-pattern",
        ["release.status"],
        "must contain {version} once",
        config(
            "", PYPROJECT.replace("[tool.release]\n", '[tool.release]\ntag_pattern = "release"\n')
        ),
    ),
    Case(
        "config-github-repo",
        ["release.status"],
        "expected owner/name",
        config(
            "",
            PYPROJECT.replace("[tool.release]\n", '[tool.release]\ngithub_repo = "just-a-name"\n'),
        ),
    ),
    Case("config-not-toml", ["release.status"], "is not valid TOML", config("[tool.release\n")),
    Case(
        "package-bad-kind",
        ["release.status"],
        "kind = 'rust' is not valid",
        package_config('[[tool.release.packages]]\nname = "x"\nkind = "rust"\n'),
    ),
    Case(
        "package-path-missing",
        ["release.status"],
        "path 'nope' does not exist",
        package_config('[[tool.release.packages]]\nname = "x"\npath = "nope"\n'),
    ),
    Case(
        "package-version-file-missing",
        ["release.status"],
        "version file ./missing.toml does not exist",
        package_config('[[tool.release.packages]]\nname = "x"\nversion_files = ["missing.toml"]\n'),
    ),
    Case(
        "package-unknown-dependency",
        ["release.status"],
        "depends_on 'ghost', which is not a package",
        package_config('[[tool.release.packages]]\nname = "x"\ndepends_on = ["ghost"]\n'),
    ),
    Case(
        "package-cycle",
        ["release.status"],
        "has a cycle",
        package_config(
            '[[tool.release.packages]]\nname = "a"\ndepends_on = ["b"]\n'
            '[[tool.release.packages]]\nname = "b"\ndepends_on = ["a"]\n'
        ),
    ),
    Case(
        "package-duplicate-name",
        ["release.status"],
        "is used twice",
        package_config(
            '[[tool.release.packages]]\nname = "a"\n[[tool.release.packages]]\nname = "a"\n'
        ),
    ),
    Case(
        "docker-without-image",
        ["release.status"],
        "docker package without image",
        package_config('[[tool.release.packages]]\nname = "img"\nkind = "docker"\n'),
    ),
    Case(
        "version-file-without-version",
        ["release.minor", "--yes"],
        "has no __version__",
        commit_file("demo_client/__init__.py", '"""No version here."""\n'),
    ),
    Case(
        "pyproject-without-version",
        ["release.minor", "--yes"],
        "has no [project].version",
        commit_file(
            "pyproject.toml", PYPROJECT.replace('version = "0.0.0"  # managed by release-kit\n', "")
        ),
    ),
    Case(
        "index-refuses-connections",
        ["release.minor", "--yes"],
        "does not answer",
        commit_file(
            "pyproject.toml",
            PYPROJECT.replace(
                "# git-only: the version files are bumped, no package is published\n"
                'version_files = ["pyproject.toml", "demo_client/__init__.py"]\n',
                "",
            )
            + PACKAGE
            + '\n[tool.release.repositories]\ntestpypi_simple = "http://127.0.0.1:9/simple/"\n'
            'testpypi_upload = "http://127.0.0.1:9/"\n',
        ),
    ),
    # outside a repository
    Case(
        "outside-git-repo", ["release.status"], "is not inside a git repository", cwd_outside=True
    ),
]


def state(sb: Sandbox) -> dict:
    snap = sb.wd.snapshot()
    journal_dir = sb.root / ".git" / "release"
    # everything but the caches a read may fill (.git/release/cache: tag facts, pip, uv)
    snap["journals"] = (
        sorted(
            p.name
            for p in journal_dir.rglob("*")
            if "cache" not in p.relative_to(journal_dir).parts
        )
        if journal_dir.exists()
        else []
    )
    snap["files"] = subprocess.run(
        ["git", "diff", "HEAD"], cwd=sb.root, capture_output=True, text=True
    ).stdout
    return snap


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path):
    sb = make_sandbox(tmp_path)
    if case.setup:
        case.setup(sb)
    cwd = tmp_path if case.cwd_outside else sb.root
    before = state(sb)
    res = sb.run(*case.args, cwd=cwd)
    assert res.returncode != 0, res.stdout
    err = res.stderr.strip()
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    assert case.fragment in err
    assert state(sb) == before


def test_the_table_is_large_enough():
    assert len(CASES) >= 40
    print(f"\nbad-input table: {len(CASES)} cases")
