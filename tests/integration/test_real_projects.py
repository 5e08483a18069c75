"""Real projects as they are (issue 15): a config file outside the repository, a project that
keeps no CHANGELOG.md."""

from __future__ import annotations

import pytest

from tests.fixtures.sandbox import make_sandbox

pytestmark = pytest.mark.integration


def test_a_config_outside_the_repository_resolves_paths_against_the_repository(tmp_path):
    sb = make_sandbox(tmp_path / "p")
    sb.wd.write("client/pyproject.toml", '[project]\nname = "c"\nversion = "0.0.0"\n')
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "feat: a client (#3)")
    sb.wd.git("push", "-q", "origin", "main")
    outside = tmp_path / "elsewhere" / "release.toml"
    outside.parent.mkdir()
    outside.write_text(
        '[tool.release]\nrequire_codeowners = false\n[tool.release.tests]\nevidence = "none"\n'
        '[[tool.release.packages]]\nname = "c"\nkind = "python"\npath = "client"\n'
        'version_files = ["pyproject.toml"]\n'
    )
    before = sb.wd.snapshot()
    for task in (["release.status"], ["release.plan", "minor"]):
        res = sb.run(*task, "--config", str(outside))
        assert res.returncode == 0, res.stdout + res.stderr
        assert "does not exist" not in res.stdout + res.stderr
    res = sb.run("release.plan", "minor", "--config", str(outside))
    assert "build:c" in res.stdout
    assert sb.wd.snapshot() == before


def test_a_project_without_a_changelog_releases_without_writing_one(tmp_path):
    sb = make_sandbox(tmp_path)
    text = (
        (sb.root / "pyproject.toml")
        .read_text()
        .replace('changelog = "CHANGELOG.md"', 'changelog = ""')
    )
    sb.wd.write("pyproject.toml", text)
    sb.wd.git("rm", "-q", "CHANGELOG.md")
    sb.wd.git("commit", "-q", "-am", "chore: we keep our notes on GitHub only")
    sb.wd.git("push", "-q", "origin", "main")
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    files = sb.wd.git("ls-tree", "-r", "--name-only", "v0.1.0rc1").split()
    assert "CHANGELOG.md" not in files
    assert sb.wd.git("diff", "--name-only", "v0.1.0rc1~1", "v0.1.0rc1").split() == [
        "demo_client/__init__.py",
        "pyproject.toml",
    ]
    refused = sb.run("changelog.update", "0.1.0rc1")
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1
    assert 'changelog = "" turns it off' in refused.stderr
    assert not (sb.root / "CHANGELOG.md").exists()
