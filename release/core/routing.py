"""Where a release goes, pure: release candidates to TestPyPI, finals to PyPI, with the
credentials of that index; and where the project's GitHub pages are.

- `python_index`: the index of a Python release (the publish steps, the preflight gate, the docs).
- `python_credentials`: the environment variables (names, never values) the upload to that index
  reads: `[tool.release].repositories.<role>_credentials_env`, else `TWINE_USERNAME_<LABEL>` /
  `TWINE_PASSWORD_<LABEL>`, else `TWINE_USERNAME` / `TWINE_PASSWORD`.
- `github_web_url`: the web host of `[tool.release].github_api`, the base of every link.
- `publish_via`: whether the publish step uploads with twine or hands the files over to
  pypa/gh-action-pypi-publish (`[tool.release].publish_via`, `RELEASE_PUBLISH_VIA`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from release.core.policy import CREDENTIALS_ENV, PUBLISH_VIA_MODES, Repositories
from release.core.version import Version
from release.errors import ConfigError


@dataclass(frozen=True)
class PythonIndex:
    label: str  # "PyPI" | "TestPyPI"
    upload: str  # twine --repository-url
    simple: str  # the simple API the release is probed and verified on


def python_index(version: Version, repos: Repositories) -> PythonIndex:
    """TestPyPI for an RC (`X.Y.ZrcN`), PyPI for a final."""
    if version.is_rc:
        return PythonIndex("TestPyPI", repos.testpypi_upload, repos.testpypi_simple)
    return PythonIndex("PyPI", repos.pypi_upload, repos.pypi_simple)


# ---- credentials per index -------------------------------------------------------------------

TOKEN_USERNAME = "__token__"  # the username of an API token (PyPI, TestPyPI, most private indexes)
DEFAULT_USERNAME_ENV = "TWINE_USERNAME"
DEFAULT_PASSWORD_ENV = "TWINE_PASSWORD"


@dataclass(frozen=True)
class Credentials:
    """Which environment variables hold the credentials of one index (names, never values).

    `username_env` None: the username is `__token__` (a token-only variable). `missing`: the
    variables that must be set and are not (empty: usable)."""

    index: str  # "PyPI" | "TestPyPI"
    username_env: str | None
    password_env: str
    source: str  # "configured" | "per-index" | "default"
    missing: tuple[str, ...] = ()

    @property
    def names(self) -> str:
        """`TWINE_USERNAME_PYPI / TWINE_PASSWORD_PYPI`, or `TOKEN_VAR (username __token__)`."""
        if self.username_env is None:
            return f"{self.password_env} (username {TOKEN_USERNAME})"
        return f"{self.username_env} / {self.password_env}"

    def missing_hint(self) -> str:
        """What to set when the index has no credentials (names only)."""
        label = self.index.upper()
        if self.source == "configured":
            return (
                f"set {' and '.join(self.missing or (self.password_env,))} "
                f"([tool.release].repositories.{self.index.lower()}_credentials_env)"
            )
        return (
            f"set TWINE_PASSWORD_{label} (and TWINE_USERNAME_{label}; without it the username is "
            f"{TOKEN_USERNAME}), or TWINE_USERNAME and TWINE_PASSWORD for every index, "
            "or use trusted publishing"
        )

    def refused_hint(self) -> str:
        """What to check when the index refused the credentials it was given (names only)."""
        if self.source == "default":
            return (
                f"the upload used TWINE_USERNAME and TWINE_PASSWORD; correct them, or set "
                f"TWINE_USERNAME_{self.index.upper()} and TWINE_PASSWORD_{self.index.upper()} "
                f"for {self.index} only"
            )
        return (
            f"{self.index} refused the credentials from {self.names}; correct {self.password_env}"
        )


def parse_credentials_env(value: str) -> tuple[str | None, str] | None:
    """`"TOKEN_VAR"` -> (None, "TOKEN_VAR"); `"USER_VAR:PASSWORD_VAR"` -> both; else None."""
    m = CREDENTIALS_ENV.fullmatch(value)
    if m is None:
        return None
    return (m.group(1), m.group(2)) if m.group(2) else (None, m.group(1))


def python_credentials(
    version: Version, repos: Repositories, present: Collection[str]
) -> Credentials:
    """The credential variables of the index `version` is uploaded to.

    `present`: the names of the environment variables that are set and not empty (the caller
    reads the environment; this rule never sees a value). In order:

    1. `[tool.release].repositories.<role>_credentials_env` when configured: always those
       variables (a configuration is never silently bypassed; missing ones are listed);
    2. `TWINE_PASSWORD_<LABEL>` (+ `TWINE_USERNAME_<LABEL>`), LABEL = `PYPI` / `TESTPYPI`, when
       either is set;
    3. `TWINE_PASSWORD` (+ `TWINE_USERNAME`) when either is set;
    4. nothing set: the per-index names, the password missing.

    A password variable without its username variable means the username `__token__`; a
    username without its password is passed on alone (twine may find the password in a keyring)
    and the password is listed as missing.
    """
    idx = python_index(version, repos)
    configured = repos.testpypi_credentials_env if version.is_rc else repos.pypi_credentials_env
    if configured:
        parsed = parse_credentials_env(configured)
        if parsed is None:  # pragma: no cover - policy validation refuses it first
            raise ValueError(f"not a credentials_env value: {configured!r}")
        user, password = parsed
        missing = tuple(n for n in (user, password) if n is not None and n not in present)
        return Credentials(idx.label, user, password, "configured", missing)
    label = idx.label.upper()
    user, password = f"{DEFAULT_USERNAME_ENV}_{label}", f"{DEFAULT_PASSWORD_ENV}_{label}"
    if password in present or user in present:
        missing = () if password in present else (password,)
        return Credentials(
            idx.label, user if user in present else None, password, "per-index", missing
        )
    if DEFAULT_PASSWORD_ENV in present or DEFAULT_USERNAME_ENV in present:
        default_user = DEFAULT_USERNAME_ENV if DEFAULT_USERNAME_ENV in present else None
        missing = () if DEFAULT_PASSWORD_ENV in present else (DEFAULT_PASSWORD_ENV,)
        return Credentials(idx.label, default_user, DEFAULT_PASSWORD_ENV, "default", missing)
    return Credentials(idx.label, user, password, "per-index", (password,))


# ---- GitHub links ------------------------------------------------------------------------------

GITHUB_WEB = "https://github.com"


def github_web_url(api: str) -> str:
    """The web host of a GitHub API base, without a trailing slash: the base of every link.

    `https://api.github.com` -> `https://github.com`; GitHub Enterprise Server
    `https://ghe.example.com/api/v3` -> `https://ghe.example.com`; GHE.com
    `https://api.acme.ghe.com` -> `https://acme.ghe.com`; anything else (a stand-in) -> itself.
    """
    parts = urllib.parse.urlsplit(api.strip())
    if not parts.scheme or not parts.netloc:
        return GITHUB_WEB
    host = parts.netloc
    path = parts.path.rstrip("/")
    if re.search(r"/api(/v3)?$", path):
        path = re.sub(r"/api(/v3)?$", "", path)
    elif host.lower().startswith("api.") and host.count(".") >= 2:
        host = host[len("api.") :]
    return urllib.parse.urlunsplit((parts.scheme, host, path, "", "")).rstrip("/")


# ---- who uploads the Python files ------------------------------------------------------------

PUBLISH_VIA_ENV = "RELEASE_PUBLISH_VIA"  # overrides [tool.release].publish_via for one run
OIDC_REQUEST_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL"  # set in a job with `id-token: write`


@dataclass(frozen=True)
class PublishVia:
    """How the publish step of a Python package gets its files onto the index."""

    how: str  # "twine": the step uploads | "action": it hands them over to the publish action
    why: str  # one line: the setting or the detection that chose it

    @property
    def hand_over(self) -> bool:
        return self.how == "action"


def publish_via(configured: str, env: Mapping[str, str], credentials: Credentials) -> PublishVia:
    """`twine` or `action` for the Python uploads of one run.

    `configured`: `[tool.release].publish_via`; `env`: the environment (only
    `RELEASE_PUBLISH_VIA`, `GITHUB_ACTIONS` and `ACTIONS_ID_TOKEN_REQUEST_URL` are read);
    `credentials`: `python_credentials` of the index (names only). In order:

    1. `RELEASE_PUBLISH_VIA` (twine | action | auto), when set, replaces the configuration for
       this run (a workflow's build job says `action`);
    2. `twine` / `action`: that;
    3. `auto`: `action` under GitHub Actions (`GITHUB_ACTIONS=true`) when the job may request an
       OIDC token (`ACTIONS_ID_TOKEN_REQUEST_URL` set) and the index has no password
       (`credentials.missing`); else `twine`. Never a guess outside GitHub Actions.
    """
    chosen, source = configured, "[tool.release].publish_via"
    override = (env.get(PUBLISH_VIA_ENV) or "").strip()
    if override:
        if override not in PUBLISH_VIA_MODES:
            raise ConfigError(
                f"{PUBLISH_VIA_ENV}={override!r} is not valid",
                f"expected one of {', '.join(PUBLISH_VIA_MODES)} (or unset it)",
            )
        chosen, source = override, PUBLISH_VIA_ENV
    if chosen in ("twine", "action"):
        return PublishVia(chosen, f"{source} = {chosen}")
    if chosen != "auto":  # pragma: no cover - policy validation refuses it first
        raise ConfigError(f"{source} = {chosen!r} is not valid")
    if env.get("GITHUB_ACTIONS") != "true":
        return PublishVia("twine", f"{source} = auto: not in GitHub Actions")
    if not env.get(OIDC_REQUEST_ENV):
        return PublishVia("twine", f"{source} = auto: no OIDC token ({OIDC_REQUEST_ENV} unset)")
    if not credentials.missing:
        return PublishVia(
            "twine", f"{source} = auto: {credentials.index} credentials in {credentials.names}"
        )
    return PublishVia(
        "action",
        f"{source} = auto: GitHub Actions with an OIDC token and no {credentials.index} password",
    )
