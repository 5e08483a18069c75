"""Shared fixtures. Components missing locally skip with a reason; in CI (CI=true) they fail."""

from __future__ import annotations

import os
import pkgutil
import shutil

import pytest

import tests.fixtures as _fixtures
from tests.fixtures.gitrepo import WorkDir, make_workdir

# Every module in tests/fixtures/ is a pytest plugin: a new fixture file needs no edit here.
pytest_plugins = [f"tests.fixtures.{m.name}" for m in pkgutil.iter_modules(_fixtures.__path__)]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(tool: str, why: str = "") -> str:
    """Path of an executable, or skip (locally) / fail (CI) with a reason."""
    path = shutil.which(tool)
    if path:
        return path
    msg = f"{tool} is not installed{': ' + why if why else ''} (scripts/install-test-deps.sh installs it)"
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)
    raise AssertionError  # unreachable


@pytest.fixture
def git_repo(tmp_path, monkeypatch) -> WorkDir:
    """A real repository with one commit on main, pushed to a bare origin; HOME is isolated."""
    wd = make_workdir(tmp_path)
    for key, value in wd.env.items():
        if key.startswith("GIT_") or key in ("HOME", "XDG_CONFIG_HOME"):
            monkeypatch.setenv(key, value)
    wd.commit("chore: initial commit")
    wd.git("push", "-q", "-u", "origin", "main")
    return wd
