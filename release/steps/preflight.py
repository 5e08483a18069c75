"""Preflight gate: every index and registry the release will publish to answers, before anything.

An index URL that refuses connections must stop a release before the branch, the commit or the
tag exist, not at the publish step after the push. Any HTTP answer (even 401/404) counts as
reachable; only a refused connection, a DNS failure or a timeout fails the gate.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from release.adapters.runner import redact
from release.core.policy import Policy
from release.core.routing import python_index
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
        self.targets = endpoints(policy, version)
        names = ", ".join(w for w, _ in self.targets) or "none"
        self.text = f"Every index and registry of this release answers ({names})"

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
        return Probe.yes(f"{len(self.targets)} answered")

    def apply(self, world: World) -> dict[str, Any]:
        seen = self.probe(world)
        raise NotReady(
            [seen.detail + " (check [tool.release].repositories and the network)"], "release"
        )


def preflight_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    return [RegistriesGate(policy, version)]
