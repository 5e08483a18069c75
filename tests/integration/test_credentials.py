"""Credentials per index, through the whole flow (`python -m release`) against the local
pypiserver pair, where each index has its OWN user and password (`pypi_server.index_env()`):
an RC goes to TestPyPI and a final to PyPI with only TWINE_USERNAME_<LABEL> /
TWINE_PASSWORD_<LABEL> set (no plain TWINE_*); a wrong per-index password fails in one line
naming the variable, and the re-run with the right one finishes the release."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.sandbox import make_published_sandbox

pytestmark = pytest.mark.integration

DAY = 86400


@pytest.fixture
def index_sandbox(tmp_path, monkeypatch, pypi_server):
    """The published_sandbox of test_publish_flow.py, with per-index credentials only."""
    sb = make_published_sandbox(tmp_path, monkeypatch, pypi_server)
    for key in [k for k in sb.env if k.startswith("TWINE_")]:
        del sb.env[key]  # nothing from the host: only what the test sets
    sb.env.update({"RELEASE_BUILD_ISOLATION": "0", **pypi_server.index_env()})
    return sb


def test_the_pair_has_its_own_credentials_per_index(pypi_server):
    env = pypi_server.index_env()
    assert env["TWINE_PASSWORD_PYPI"] != env["TWINE_PASSWORD_TESTPYPI"]
    assert env["TWINE_USERNAME_PYPI"] != env["TWINE_USERNAME_TESTPYPI"]
    assert pypi_server.twine_env()["TWINE_PASSWORD"] not in env.values()


def test_rc_and_final_each_upload_with_their_own_index_credentials(index_sandbox, pypi_server):
    sb = index_sandbox
    rc = sb.run("release.minor", "--yes", check=True)
    out = rc.stdout + rc.stderr
    # the preflight gate says which variables the upload reads (names, never values)
    assert "TestPyPI upload as TWINE_USERNAME_TESTPYPI / TWINE_PASSWORD_TESTPYPI" in out, out
    assert [f for f in pypi_server.testpypi.files() if f.endswith(".tar.gz")] == [
        "demo_client-0.1.0rc1.tar.gz"
    ]
    assert pypi_server.pypi.files() == []

    sb.wd.git("checkout", "-q", "release-0.1.x")
    later = str(int(time.time()) + 8 * DAY)
    final = sb.run("release.final", "--yes", env={"RELEASE_NOW": later}, check=True)
    assert "PyPI upload as TWINE_USERNAME_PYPI / TWINE_PASSWORD_PYPI" in final.stdout
    assert [f for f in pypi_server.pypi.files() if f.endswith(".tar.gz")] == [
        "demo_client-0.1.0.tar.gz"
    ]
    journal = (sb.root / ".git" / "release" / "0.1.0.json").read_text()
    assert "TWINE_PASSWORD_PYPI" in journal  # the name is recorded ...
    passwords = (pypi_server.testpypi.own_password, pypi_server.pypi.own_password)
    for secret in passwords:
        assert secret not in journal  # ... never a password
        assert secret not in rc.stdout + rc.stderr + final.stdout + final.stderr


def test_a_wrong_per_index_password_fails_in_one_line_naming_the_variable(
    index_sandbox, pypi_server
):
    sb = index_sandbox
    # TestPyPI's user with PyPI's password: each index knows only its own
    wrong = {"TWINE_PASSWORD_TESTPYPI": pypi_server.pypi.own_password}
    before = sb.wd.snapshot()
    res = sb.run("release.minor", "--yes", env=wrong)
    # found by gate:registries before the first local change (a login probe, nothing uploaded)
    assert res.returncode == 3, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "TWINE_PASSWORD_TESTPYPI" in lines[0] and "TestPyPI refused" in lines[0], lines[0]
    assert sb.wd.snapshot() == before  # no branch, no commit, no tag
    for secret in (pypi_server.pypi.own_password, pypi_server.testpypi.own_password):
        assert secret not in res.stdout + res.stderr
    assert pypi_server.testpypi.files() == [] and pypi_server.pypi.files() == []

    # the re-run with the right per-index password finishes the same release (no rc2)
    sb.run("release.minor", "--yes", check=True)
    assert [f for f in pypi_server.testpypi.files() if f.endswith(".tar.gz")] == [
        "demo_client-0.1.0rc1.tar.gz"
    ]


def test_missing_credentials_name_the_per_index_variable(index_sandbox, pypi_server):
    sb = index_sandbox
    for key in ("TWINE_USERNAME_TESTPYPI", "TWINE_PASSWORD_TESTPYPI"):
        del sb.env[key]  # PyPI's are still set: they must not be lent to TestPyPI
    res = sb.run("release.minor", "--yes")
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "no credentials for TestPyPI" in out and "TWINE_PASSWORD_TESTPYPI" in out, out
    assert pypi_server.testpypi.files() == []
    assert pypi_server.pypi.own_password not in out
