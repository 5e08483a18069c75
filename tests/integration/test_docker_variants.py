"""Image matrices against a real dockerd and registry, through the real CLI: one Containerfile
built per distribution with `--build-arg DISTRO_NAME=<variant>`, released as an RC, killed after
the first variant's push and resumed."""

from __future__ import annotations

import json
import signal

import pytest

from release.adapters.docker import (
    LABEL_REVISION,
    LABEL_VERSION,
    Registry,
    registry_endpoint,
)
from tests.fixtures.sandbox import make_sandbox

pytestmark = pytest.mark.integration

VERSION = "0.1.0rc1"
VARIANTS = ("starter", "postgres-demo")
DISTRO_LABEL = "org.llamastack.distro"

CONTAINERFILE = """\
FROM {base}
ARG DISTRO_NAME
ARG VERSION
LABEL {label}=$DISTRO_NAME
RUN echo "$DISTRO_NAME $VERSION" > /distro.txt
"""

PACKAGE = """
[tool.release.repositories]
docker_registry = "{host}"

[[tool.release.packages]]
name = "distribution"
kind = "docker"
image = "{repo}-{{variant}}"
dockerfile = "containers/Containerfile"
context = "."
variants = ["starter", "postgres-demo"]
build_args = {{ DISTRO_NAME = "{{variant}}", VERSION = "{{version}}" }}
"""


def step(prefix: str, variant: str) -> str:
    return f"{prefix}:distribution[{variant}]"


def statuses(out: str) -> dict[str, str]:
    return {ln.split()[1]: ln.split()[2] for ln in out.splitlines() if ln[:3] in (" + ", " = ")}


def test_every_variant_is_its_own_image_pushed_once_across_a_kill(
    tmp_path, monkeypatch, docker_registry
):
    reg = docker_registry
    repo = reg.repo()
    sb = make_sandbox(tmp_path, monkeypatch)
    sb.wd.write(
        "containers/Containerfile", CONTAINERFILE.format(base=reg.base_image, label=DISTRO_LABEL)
    )
    with (sb.root / "pyproject.toml").open("a") as fh:
        fh.write(PACKAGE.format(host=reg.host, repo=repo))
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "build: one Containerfile, one image per distribution")
    sb.wd.git("push", "-q", "origin", "main")
    repos = {v: f"{repo}-{v}" for v in VARIANTS}

    plan = sb.run("release.minor", "--dry-run", env=reg.env)
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr
    planned = [  # the rows, not the " > " lines that say a step started
        ln.split()[1] for ln in plan.stdout.splitlines() if ln.split()[1:2] and ln[:3] != " > "
    ]
    assert [n for n in planned if n.startswith(("image:", "push:"))] == [
        step("image", "starter"),
        step("image", "postgres-demo"),
        step("push", "starter"),
        step("push", "postgres-demo"),
    ]

    # Killed right after the first variant is pushed (and journaled).
    first = step("push", "starter")
    killed = sb.run("release.minor", "--yes", env={**reg.env, "RELEASE_KILL_AFTER": first})
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:] + killed.stderr
    assert reg.tags(repos["starter"]) == [VERSION]
    assert reg.tags(repos["postgres-demo"]) == []
    assert reg.manifest_puts(repos["starter"]) == 1

    # The re-run pushes the second variant and finds the first already there.
    rerun = sb.run("release.minor", "--yes", env=reg.env)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr
    seen = statuses(rerun.stdout)
    assert seen[first] == "done"
    assert seen[step("push", "postgres-demo")] == "applied"
    for v in VARIANTS:
        assert reg.tags(repos[v]) == [VERSION]  # an RC: no latest
        assert reg.manifest_puts(repos[v]) == 1  # each pushed exactly once over both runs

    # Each image carries its own build arg, and was built from the tagged commit.
    tagged = sb.origin_rev(f"v{VERSION}")
    registry = Registry(registry_endpoint(reg.host))
    for v in VARIANTS:
        m = registry.manifest(repos[v], VERSION)
        assert m is not None
        labels = registry.labels(repos[v], m)
        assert labels[DISTRO_LABEL] == v
        assert labels[LABEL_REVISION] == tagged and labels[LABEL_VERSION] == VERSION
    content = reg.docker(
        "run",
        "--rm",
        "--network=none",
        f"{reg.host}/{repos['postgres-demo']}:{VERSION}",
        "cat",
        "/distro.txt",
    ).stdout
    assert content == f"postgres-demo {VERSION}\n"

    # One journal entry per variant, each with the digest the registry serves.
    journal = json.loads((sb.root / ".git" / "release" / f"{VERSION}.json").read_text())
    for v in VARIANTS:
        assert journal["steps"][step("image", v)]["status"] == "verified"
        push = journal["steps"][step("push", v)]
        assert push["status"] == "verified"
        assert push["facts"]["digests"] == {VERSION: reg.digest(repos[v], VERSION)}
    docker_entries = [n for n in journal["steps"] if n.startswith(("image:", "push:"))]
    assert sorted(docker_entries) == sorted(step(p, v) for p in ("image", "push") for v in VARIANTS)

    # release.verify checks both images: all good, then a tampered second variant is named.
    verify = sb.run("release.verify", VERSION, "--json", env=reg.env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    checks = json.loads(verify.stdout)["checks"]
    assert all(c["ok"] for c in checks), checks
    assert any(
        "distribution[starter]" in c["item"] and "distribution[postgres-demo]" in c["item"]
        for c in checks
    ), checks
    other = reg.push_other_image(f"{reg.host}/{repos['postgres-demo']}:{VERSION}", "tampered")
    verify = sb.run("release.verify", VERSION, "--json", env=reg.env)
    assert verify.returncode != 0
    bad = [c for c in json.loads(verify.stdout)["checks"] if not c["ok"]]
    assert [c["item"] for c in bad] == [f"image {reg.host}/{repos['postgres-demo']}:{VERSION}"]
    assert bad[0]["actual"] == other
