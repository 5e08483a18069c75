"""Shared fixtures. Components missing locally skip with a reason; in CI (CI=true) they fail."""

from __future__ import annotations

import os
import pkgutil
import shutil

import pytest

import tests.fixtures as _fixtures

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
