"""core.routing.publish_via: twine uploads, or the hand-over to pypa/gh-action-pypi-publish."""

from __future__ import annotations

import pytest

from release.core.policy import Policy, Repositories, policy_from_table
from release.core.routing import publish_via, python_credentials
from release.core.version import Version
from release.errors import ConfigError

RC, FINAL = Version.parse("0.5.0rc1"), Version.parse("0.5.0")
OIDC = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/"}


def creds(env: dict[str, str], version: Version = FINAL, repos: Repositories | None = None):
    return python_credentials(version, repos or Repositories(), [k for k, v in env.items() if v])


def via(configured: str, env: dict[str, str], version: Version = FINAL) -> str:
    return publish_via(configured, env, creds(env, version)).how


def test_the_default_is_twine_and_the_choices_are_validated():
    assert Policy().publish_via == "twine"
    for mode in ("twine", "action", "auto"):
        assert policy_from_table({"publish_via": mode}).publish_via == mode
    with pytest.raises(ConfigError, match=r"publish_via = 'oidc' is not valid") as exc:
        policy_from_table({"publish_via": "oidc"})
    assert exc.value.hint == "expected one of twine, action, auto"
    with pytest.raises(ConfigError, match="publish_via = True is not valid") as exc:
        policy_from_table({"publish_via": True})
    assert exc.value.hint == "expected a string"


@pytest.mark.parametrize("env", [{}, OIDC, {**OIDC, "TWINE_PASSWORD": "pypi-x"}])
def test_twine_and_action_are_what_they_say_wherever_the_run_is(env):
    assert via("twine", env) == "twine"
    assert via("action", env) == "action"


def test_auto_hands_over_only_in_github_actions_with_oidc_and_no_password():
    assert via("auto", OIDC) == "action"
    chosen = publish_via("auto", OIDC, creds(OIDC))
    assert chosen.hand_over and "OIDC" in chosen.why and "no PyPI password" in chosen.why
    assert via("auto", {}) == "twine"  # a laptop: never a guess
    assert via("auto", {"GITHUB_ACTIONS": "true"}) == "twine"  # no id-token: write
    assert via("auto", {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/"}) == "twine"
    assert via("auto", {**OIDC, "ACTIONS_ID_TOKEN_REQUEST_URL": ""}) == "twine"


@pytest.mark.parametrize(
    ("extra", "version"),
    [
        ({"TWINE_PASSWORD": "pypi-x"}, FINAL),
        ({"TWINE_PASSWORD_PYPI": "pypi-x"}, FINAL),
        ({"TWINE_PASSWORD_TESTPYPI": "pypi-x"}, RC),
    ],
)
def test_auto_keeps_twine_when_the_index_has_a_password(extra, version):
    env = {**OIDC, **extra}
    chosen = publish_via("auto", env, creds(env, version))
    assert chosen.how == "twine" and "credentials in" in chosen.why


def test_auto_ignores_the_other_indexs_password():
    env = {**OIDC, "TWINE_PASSWORD_TESTPYPI": "pypi-x"}
    assert via("auto", env, FINAL) == "action"  # a final goes to PyPI, which has none


def test_auto_follows_a_configured_credentials_variable():
    repos = Repositories(pypi_credentials_env="PYPI_TOKEN")
    assert publish_via("auto", OIDC, creds(OIDC, FINAL, repos)).how == "action"
    env = {**OIDC, "PYPI_TOKEN": "pypi-x"}
    assert publish_via("auto", env, creds(env, FINAL, repos)).how == "twine"


def test_the_environment_switch_overrides_the_configuration_for_one_run():
    env = {"RELEASE_PUBLISH_VIA": "action"}
    chosen = publish_via("twine", env, creds(env))
    assert chosen.how == "action" and chosen.why == "RELEASE_PUBLISH_VIA = action"
    assert via("action", {"RELEASE_PUBLISH_VIA": "twine"}) == "twine"
    assert via("twine", {**OIDC, "RELEASE_PUBLISH_VIA": "auto"}) == "action"
    assert via("action", {"RELEASE_PUBLISH_VIA": " "}) == "action"  # blank: unset
    with pytest.raises(ConfigError, match="RELEASE_PUBLISH_VIA='upload' is not valid"):
        via("twine", {"RELEASE_PUBLISH_VIA": "upload"})
