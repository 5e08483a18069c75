"""Preflight gate: every index and registry the release will publish to answers, before anything.

An index URL that refuses connections must stop a release before the branch, the commit or the
tag exist, not at the publish step after the push. Any HTTP answer (even 401/404) counts as
reachable; only a refused connection, a DNS failure or a timeout fails the gate.

The gate also says which environment variables the Python upload will read for its index
(`core.routing.python_credentials`), and which one to set when none is: missing credentials do not
fail it (twine may find them in a keyring, CI may publish by trusted publishing).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from release.adapters.runner import redact
from release.core.policy import Policy
from release.core.routing import python_credentials, python_index
from release.core.version import Version
from release.engine import BaseStep, Probe
from release.errors import NotReady
from release.world import World


def endpoints(policy: Policy, version: Version) -> list[tuple[str, str]]:
    """(what, URL) for every remote the packages of this release are published to."""
    repos = policy.repositories
    out: list[tuple[str, str]] = []
    kinds = {p.kind for p in policy.packages}
    if "python" in kinds:
        idx = python_index(version, repos)
        out.append((f"{idx.label} index", idx.simple))
    if "npm" in kinds:
        out.append(("npm registry", repos.npm_registry.rstrip("/") + "/-/ping"))
    if "docker" in kinds:
        from release.adapters.docker import registry_endpoint

        out.append(
            ("docker registry", registry_endpoint(repos.docker_registry).api.rstrip("/") + "/v2/")
        )
    return out


def reachable(url: str, timeout: float = 10.0) -> str:
    """'' when the URL answers with any HTTP status; else the reason."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=timeout):
            return ""
    except urllib.error.HTTPError:
        return ""
    except urllib.error.URLError as exc:
        return str(getattr(exc, "reason", exc))
    except (OSError, ValueError) as exc:
        return str(exc)


class RegistriesGate(BaseStep):
    name = "gate:registries"
    gate = True

    def __init__(self, policy: Policy, version: Version) -> None:
        self.policy, self.version = policy, version
        self.targets = endpoints(policy, version)
        names = ", ".join(w for w, _ in self.targets) or "none"
        self.text = f"Check that every index and registry of this release answers ({names})"

    def probe(self, world: World) -> Probe:
        if not self.targets:
            return Probe.skipped("no packages configured")
        failed = [
            f"{what} {redact(url)} does not answer ({why})"
            for what, url in self.targets
            if (why := reachable(url))
        ]
        if failed:
            return Probe.no("; ".join(failed))
        check = python_credential_check(self.policy, self.version, world.env, "this release")
        if check is not None and check.status == "problem":
            # the doctor's credential check, before the first local change: a token made for the
            # other index, or a private index refusing the login, would fail after the push
            return Probe.no(f"{check.name}: {check.detail}; {check.advice}", credentials=True)
        return Probe.yes(f"{len(self.targets)} answered{self.credentials(world)}")

    def credentials(self, world: World) -> str:
        """'; <index> upload as <variables>', or which variable to set when none is (names only)."""
        if not any(p.kind == "python" for p in self.policy.packages):
            return ""
        present = [k for k, v in world.env.items() if v]
        creds = python_credentials(self.version, self.policy.repositories, present)
        if creds.missing:
            return (
                f"; no credentials for {creds.index} in the environment (twine may still find "
                f"some in a keyring): {creds.missing_hint()}"
            )
        return f"; {creds.index} upload as {creds.names}"

    def apply(self, world: World) -> dict[str, Any]:
        seen = self.probe(world)
        hint = (
            ""
            if seen.facts.get("credentials")
            else " (check [tool.release].repositories and the network)"
        )
        raise NotReady([seen.detail + hint], "release")


def python_credential_check(policy: Policy, version: Version, env: Any, role: str) -> Any:
    """The doctor's verdict (core.doctor.Check) on the credentials the upload of `version`
    would use: presence, a token made for the other index, and for a private index a login
    probe that uploads nothing. None without Python packages. Shared by release.doctor and
    gate:registries."""
    from release.adapters import pypi
    from release.adapters.runner import register_secret
    from release.core import doctor as rules
    from release.core.routing import TOKEN_USERNAME

    if not any(p.kind == "python" for p in policy.packages):
        return None
    present = [k for k, v in env.items() if v]
    idx = python_index(version, policy.repositories)
    creds = python_credentials(version, policy.repositories, present)
    password = env.get(creds.password_env, "")
    register_secret(password)
    username = env.get(creds.username_env, "") if creds.username_env else ""
    probe, error = None, ""
    if not creds.missing and rules.warehouse_host(idx.upload) is None:
        probe, error = pypi.probe_upload_login(idx.upload, username or TOKEN_USERNAME, password)
    return rules.index_check(
        label=idx.label,
        role=role,
        upload=redact(idx.upload),
        names=creds.names,
        source=creds.source,
        missing=creds.missing,
        missing_hint=creds.missing_hint(),
        refused_hint=creds.refused_hint(),
        username=username,
        is_token=password.startswith("pypi-"),
        token_host=pypi.token_host(password),
        probe=probe,
        probe_error=error,
    )


def preflight_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    return [RegistriesGate(policy, version)]
