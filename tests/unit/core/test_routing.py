"""Where a release goes, pure: the index, its credentials (variable names only), GitHub's web host."""

from __future__ import annotations

import pytest

from release.core.policy import Repositories, policy_from_table
from release.core.routing import Credentials, github_web_url, python_credentials
from release.core.version import Version
from release.errors import ConfigError

RC = Version.parse("0.4.0rc1")
FINAL = Version.parse("0.4.0")
REPOS = Repositories()


def creds(version, present, repos=REPOS) -> Credentials:
    return python_credentials(version, repos, set(present))


# ---- credentials per index ------------------------------------------------------------------


def test_each_index_takes_its_own_variables():
    both = {"TWINE_USERNAME_PYPI", "TWINE_PASSWORD_PYPI", "TWINE_USERNAME_TESTPYPI"}
    both |= {"TWINE_PASSWORD_TESTPYPI", "TWINE_USERNAME", "TWINE_PASSWORD"}
    rc, final = creds(RC, both), creds(FINAL, both)
    assert (rc.index, rc.username_env, rc.password_env) == (
        "TestPyPI",
        "TWINE_USERNAME_TESTPYPI",
        "TWINE_PASSWORD_TESTPYPI",
    )
    assert (final.index, final.username_env, final.password_env) == (
        "PyPI",
        "TWINE_USERNAME_PYPI",
        "TWINE_PASSWORD_PYPI",
    )
    assert rc.source == final.source == "per-index" and not rc.missing and not final.missing


def test_a_token_only_variable_means_username_token():
    got = creds(FINAL, {"TWINE_PASSWORD_PYPI", "TWINE_USERNAME"})
    assert got.username_env is None and got.password_env == "TWINE_PASSWORD_PYPI"
    assert got.names == "TWINE_PASSWORD_PYPI (username __token__)"
    plain = creds(FINAL, {"TWINE_PASSWORD"})
    assert (plain.username_env, plain.password_env, plain.source) == (
        None,
        "TWINE_PASSWORD",
        "default",
    )


def test_without_per_index_variables_the_plain_ones_are_used():
    got = creds(RC, {"TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_PASSWORD_PYPI"})
    assert (got.username_env, got.password_env, got.source) == (
        "TWINE_USERNAME",
        "TWINE_PASSWORD",
        "default",
    )
    assert not got.missing


def test_another_index_never_lends_its_credentials():
    # only PyPI's are set: the RC goes to TestPyPI and must not use them
    got = creds(RC, {"TWINE_USERNAME_PYPI", "TWINE_PASSWORD_PYPI"})
    assert got.password_env == "TWINE_PASSWORD_TESTPYPI" and got.missing == (
        "TWINE_PASSWORD_TESTPYPI",
    )
    assert "TWINE_PASSWORD_TESTPYPI" in got.missing_hint()


def test_a_per_index_username_without_its_password_is_missing_not_a_fallback():
    got = creds(FINAL, {"TWINE_USERNAME_PYPI", "TWINE_USERNAME", "TWINE_PASSWORD"})
    assert got.source == "per-index" and got.missing == ("TWINE_PASSWORD_PYPI",)


def test_a_username_alone_is_kept_for_a_keyring_and_the_password_is_missing():
    got = creds(FINAL, {"TWINE_USERNAME"})
    assert (got.username_env, got.source, got.missing) == (
        "TWINE_USERNAME",
        "default",
        ("TWINE_PASSWORD",),
    )


def test_nothing_set_names_the_per_index_variable():
    got = creds(FINAL, set())
    assert got.missing == ("TWINE_PASSWORD_PYPI",)
    hint = got.missing_hint()
    assert "TWINE_PASSWORD_PYPI" in hint and "TWINE_USERNAME_PYPI" in hint
    assert "TWINE_USERNAME and TWINE_PASSWORD" in hint


def test_configured_variables_win_and_are_never_bypassed():
    repos = Repositories(
        testpypi_credentials_env="TEST_PYPI_TOKEN", pypi_credentials_env="NEXUS_USER:NEXUS_PW"
    )
    everything = {"TWINE_PASSWORD_TESTPYPI", "TWINE_PASSWORD", "TEST_PYPI_TOKEN"}
    rc = creds(RC, everything, repos)
    assert (rc.username_env, rc.password_env, rc.source, rc.missing) == (
        None,
        "TEST_PYPI_TOKEN",
        "configured",
        (),
    )
    final = creds(FINAL, {"TWINE_PASSWORD_PYPI", "TWINE_PASSWORD", "NEXUS_PW"}, repos)
    assert (final.username_env, final.password_env) == ("NEXUS_USER", "NEXUS_PW")
    assert final.missing == ("NEXUS_USER",)
    assert "pypi_credentials_env" in final.missing_hint()


def test_hints_name_variables_never_values():
    got = creds(FINAL, {"TWINE_USERNAME_PYPI", "TWINE_PASSWORD_PYPI"})
    assert got.refused_hint() == (
        "PyPI refused the credentials from TWINE_USERNAME_PYPI / TWINE_PASSWORD_PYPI; "
        "correct TWINE_PASSWORD_PYPI"
    )
    plain = creds(FINAL, {"TWINE_USERNAME", "TWINE_PASSWORD"})
    assert "TWINE_USERNAME_PYPI" in plain.refused_hint()


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("PYPI_TOKEN", True),
        ("NEXUS_USER:NEXUS_PASSWORD", True),
        ("_X1", True),
        ("", True),  # not configured
        ("1TOKEN", False),
        ("A:B:C", False),
        ("$PYPI_TOKEN", False),
        ("pypi-AgEIcHlwaS5vcmc", False),  # a token pasted where its variable's name belongs
    ],
)
def test_credentials_env_is_validated_with_the_key_in_the_error(value, ok):
    table = {"repositories": {"testpypi_credentials_env": value}}
    if ok:
        assert policy_from_table(table).repositories.testpypi_credentials_env == value
        return
    with pytest.raises(ConfigError) as err:
        policy_from_table(table)
    assert err.value.one_line().startswith(
        f"[tool.release].repositories.testpypi_credentials_env = {value!r} is not valid"
    )


def test_credentials_env_must_be_a_string():
    with pytest.raises(ConfigError, match=r"repositories\.pypi_credentials_env = 3"):
        policy_from_table({"repositories": {"pypi_credentials_env": 3}})


# ---- GitHub's web host -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com"),
        ("https://ghe.example.com/api", "https://ghe.example.com"),
        ("https://api.acme.ghe.com", "https://acme.ghe.com"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),  # a stand-in serves both
        ("", "https://github.com"),
    ],
)
def test_github_web_url(api, web):
    assert github_web_url(api) == web
