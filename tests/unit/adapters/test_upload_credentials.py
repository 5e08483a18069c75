"""twine gets exactly the credentials of the index it uploads to; the passwords are secrets, the
usernames are names; a refusal names the variable to fix, never its value."""

from __future__ import annotations

import pytest

from release.adapters import pypi, runner
from release.adapters.runner import CommandError, redact
from release.core.policy import Repositories
from release.core.routing import python_credentials
from release.core.version import Version
from release.errors import RemoteError

ENV = {
    "PATH": "/usr/bin",
    "TWINE_USERNAME_PYPI": "pypi-user",
    "TWINE_PASSWORD_PYPI": "pypi-pw-0123456789",
    "TWINE_PASSWORD_TESTPYPI": "test-pw-0123456789",
    "TWINE_USERNAME": "plain-user",
    "TWINE_PASSWORD": "plain-pw-0123456789",
}


def upload(monkeypatch, tmp_path, version: str, env: dict[str, str], fail: str = ""):
    seen: dict[str, dict[str, str]] = {}

    def fake_run(argv, **kw):
        seen["env"] = dict(kw["env"])
        if fail:
            raise CommandError(argv, 1, "", fail)

    monkeypatch.setattr(pypi, "run", fake_run)
    monkeypatch.setattr(runner, "_extra_secrets", set())
    creds = python_credentials(
        Version.parse(version), Repositories(), [k for k, v in env.items() if v]
    )
    pypi.upload([tmp_path / "a.whl"], "http://idx/", env=env, credentials=creds)
    return seen["env"]


def test_a_final_uploads_with_pypis_credentials_only(monkeypatch, tmp_path):
    got = upload(monkeypatch, tmp_path, "0.4.0", ENV)
    assert got["TWINE_USERNAME"] == "pypi-user" and got["TWINE_PASSWORD"] == "pypi-pw-0123456789"
    assert not [k for k in got if k.startswith("TWINE_") and k not in pypi.CREDENTIAL_ENV]
    assert got["PATH"] == "/usr/bin"
    # the password is a secret from now on, the username is not
    assert redact("pypi-pw-0123456789 pypi-user", {}) == "*** pypi-user"


def test_an_rc_with_a_token_only_variable_uploads_as_token(monkeypatch, tmp_path):
    got = upload(monkeypatch, tmp_path, "0.4.0rc1", ENV)
    assert got["TWINE_USERNAME"] == "__token__" and got["TWINE_PASSWORD"] == "test-pw-0123456789"
    assert "pypi-pw-0123456789" not in got.values()  # PyPI's token never reaches this upload


def test_a_refused_per_index_password_names_the_variable(monkeypatch, tmp_path):
    with pytest.raises(RemoteError) as err:
        upload(
            monkeypatch,
            tmp_path,
            "0.4.0",
            ENV,
            fail="HTTPError: 403 Forbidden from http://idx/ pypi-pw-0123456789",
        )
    line = err.value.one_line()
    assert "PyPI refused the credentials from TWINE_USERNAME_PYPI / TWINE_PASSWORD_PYPI" in line
    assert "correct TWINE_PASSWORD_PYPI" in line
    assert "pypi-pw-0123456789" not in line and "\n" not in line


def test_missing_credentials_name_the_per_index_variable(monkeypatch, tmp_path):
    only_pypi = {k: v for k, v in ENV.items() if k.endswith("_PYPI") or k == "PATH"}
    with pytest.raises(RemoteError) as err:
        upload(
            monkeypatch,
            tmp_path,
            "0.4.0rc1",
            only_pypi,
            fail="ValueError: No credentials for username __token__; 403",
        )
    line = err.value.one_line()
    assert "no credentials for TestPyPI: set TWINE_PASSWORD_TESTPYPI" in line
    assert "pypi-pw" not in line


def test_a_username_alone_still_reaches_twine_for_its_keyring(monkeypatch, tmp_path):
    got = upload(monkeypatch, tmp_path, "0.4.0", {"PATH": "/usr/bin", "TWINE_USERNAME": "me"})
    assert got == {"PATH": "/usr/bin", "TWINE_USERNAME": "me"}


def test_without_a_choice_the_environment_goes_as_it_is(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(pypi, "run", lambda argv, **kw: seen.setdefault("env", kw["env"]))
    pypi.upload([tmp_path / "a.whl"], "http://idx/", env=ENV)
    assert seen["env"] == ENV
