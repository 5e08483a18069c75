"""Docker image steps against a real dockerd and a real registry, through the real engine."""

from __future__ import annotations

import json
import os

import pytest

from release import engine
from release.adapters.docker import LABEL_REVISION
from release.adapters.git import GitRepo, read_state
from release.core.policy import policy_from_table
from release.core.version import TagSet, Version
from release.errors import ConflictError
from release.journal import Journal
from release.steps.docker import image_steps as build_steps
from release.steps.docker import push_steps as publish_steps
from release.steps.docker import verify_world
from release.world import World

pytestmark = pytest.mark.integration

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
PKG = "demo-image"

DOCKERFILE = """\
FROM {base}
ARG VERSION
ARG NAME
COPY app.txt /app.txt
RUN echo "$NAME $VERSION" > /release.txt
"""


def make_policy(reg, repo: str):
    return policy_from_table(
        {
            "repositories": {"docker_registry": reg.host},
            "packages": [
                {
                    "name": PKG,
                    "kind": "docker",
                    "path": "image",
                    "image": repo,
                    "build_args": {"VERSION": "{version}", "NAME": "{name}"},
                }
            ],
        }
    )


def scaffold(git_repo, reg) -> tuple[object, str]:
    repo = reg.repo()
    git_repo.write("image/Dockerfile", DOCKERFILE.format(base=reg.base_image))
    git_repo.commit("feat: the image", path="image/app.txt", text="app v1\n")
    git_repo.git("add", "image/Dockerfile")
    git_repo.git("commit", "-q", "-m", "build: Dockerfile")
    return make_policy(reg, repo), repo


def make_world(git_repo, reg, pol, version: str, tagset: TagSet | None = None) -> World:
    state = read_state(git_repo.root, tag_prefix=pol.tag_prefix)
    v = Version.parse(version)
    return World(
        root=git_repo.root,
        repo=GitRepo(git_repo.root),
        policy=pol,
        version=v,
        kind="rc" if v.is_rc else "final",
        journal=Journal.open(state.git_dir, v.pep440()),
        tagset=tagset or state.tagset,
        now=T0,
        env={**os.environ, **reg.env},
    )


def release(git_repo, reg, pol, version: str, *, build=True, publish=True, tagset=None):
    world = make_world(git_repo, reg, pol, version, tagset)
    v = world.version
    steps = (build_steps(pol, v) if build else []) + (publish_steps(pol, v) if publish else [])
    report = engine.run(steps, world, world.journal)
    return world, report


def ok(report) -> dict[str, str]:
    assert report.error is None, report.error.one_line()
    return {r.name: r.status for r in report.rows}


def test_final_pushes_version_and_latest_built_from_the_tag(git_repo, docker_registry):
    reg = docker_registry
    pol, repo = scaffold(git_repo, reg)
    git_repo.tag("v0.4.0")
    tagged = git_repo.git("rev-parse", "v0.4.0^{commit}")
    git_repo.commit("chore: after the tag", path="image/app.txt", text="app v2 (not released)\n")

    world, report = release(git_repo, reg, pol, "0.4.0")
    assert ok(report) == {f"image:{PKG}": "applied", f"push:{PKG}": "applied"}

    assert reg.tags(repo) == ["0.4.0", "latest"]
    digest = reg.digest(repo, "0.4.0")
    assert digest and digest.startswith("sha256:")
    assert reg.digest(repo, "latest") == digest
    facts = world.journal.facts(f"push:{PKG}")
    assert facts["digest"] == digest
    assert facts["digests"] == {"0.4.0": digest, "latest": digest}

    ref = f"{reg.host}/{repo}:0.4.0"
    content = reg.docker(
        "run", "--rm", "--network=none", ref, "cat", "/release.txt", "/app.txt"
    ).stdout
    assert (
        content == f"{PKG} 0.4.0\napp v1\n"
    )  # build args rendered; the tagged tree, not the work tree
    labels = json.loads(
        reg.docker("image", "inspect", "--format", "{{json .Config.Labels}}", ref).stdout
    )
    assert labels[LABEL_REVISION] == tagged
    assert verify_world(world) == []

    # Re-running a finished release pushes nothing new, also from a machine without the image.
    puts = reg.manifest_puts(repo)
    _again, report = release(git_repo, reg, pol, "0.4.0")
    assert ok(report) == {f"image:{PKG}": "done", f"push:{PKG}": "done"}
    reg.docker("image", "rm", ref, f"{reg.host}/{repo}:latest")
    fresh, report = release(git_repo, reg, pol, "0.4.0")
    assert ok(report) == {f"image:{PKG}": "done", f"push:{PKG}": "done"}
    # ...and from a fresh clone with no journal: the revision label proves the image is ours.
    fresh.journal.path.unlink()
    clone, report = release(git_repo, reg, pol, "0.4.0")
    assert ok(report) == {f"image:{PKG}": "done", f"push:{PKG}": "done"}
    assert clone.journal.facts(f"push:{PKG}")["digests"] == {"0.4.0": digest, "latest": digest}
    assert reg.manifest_puts(repo) == puts
    assert reg.digest(repo, "0.4.0") == reg.digest(repo, "latest") == digest

    # Tampering with the registry is what release.verify reports, naming the item.
    other = reg.push_other_image(ref, "tampered")
    assert other != digest
    diffs = verify_world(clone)
    assert diffs == [(f"image {reg.host}/{repo}:0.4.0", digest, other)]


def test_rc_and_old_line_patch_leave_latest_alone(git_repo, docker_registry):
    reg = docker_registry
    pol, repo = scaffold(git_repo, reg)
    git_repo.tag("v0.4.0")
    assert ok(release(git_repo, reg, pol, "0.4.0")[1])
    d040 = reg.digest(repo, "0.4.0")
    assert reg.digest(repo, "latest") == d040

    git_repo.commit("feat: next", path="image/app.txt", text="app v5\n")
    git_repo.tag("v0.5.0rc1")
    world, report = release(git_repo, reg, pol, "0.5.0rc1")
    assert ok(report)
    assert reg.tags(repo) == ["0.4.0", "0.5.0rc1", "latest"]
    assert reg.digest(repo, "latest") == d040  # an RC never moves latest
    assert set(world.journal.facts(f"push:{PKG}")["digests"]) == {"0.5.0rc1"}

    git_repo.tag("v0.5.0")
    assert ok(release(git_repo, reg, pol, "0.5.0")[1])
    d050 = reg.digest(repo, "0.5.0")
    assert reg.digest(repo, "latest") == d050 != d040

    # A patch of the older line: its own tag, latest stays at 0.5.0.
    git_repo.git("checkout", "-q", "-b", "release-0.4.x", "v0.4.0")
    git_repo.commit("fix: backport", path="image/app.txt", text="app v1 fixed\n")
    git_repo.tag("v0.4.1")
    world, report = release(git_repo, reg, pol, "0.4.1")
    assert ok(report)
    assert reg.digest(repo, "0.4.1") not in (None, d040, d050)
    assert reg.digest(repo, "latest") == d050
    assert "latest" not in world.journal.facts(f"push:{PKG}")["digests"]

    # Even with a stale view of the tags (0.5.0 unknown), latest never moves backwards.
    git_repo.commit("fix: another", path="image/app.txt", text="app v1 fixed twice\n")
    git_repo.tag("v0.4.2")
    stale = TagSet.from_names(["v0.4.0", "v0.4.1", "v0.4.2"])
    world, report = release(git_repo, reg, pol, "0.4.2", tagset=stale)
    assert world.is_latest
    assert ok(report)
    assert reg.digest(repo, "latest") == d050
    assert "stays at the higher 0.5.0" in report.rows[-1].detail


def test_a_tag_holding_another_image_stops_the_run(git_repo, docker_registry):
    reg = docker_registry
    pol, repo = scaffold(git_repo, reg)
    other = reg.push_other_image(f"{reg.host}/{repo}:0.4.0", "someone-else")
    git_repo.tag("v0.4.0")

    world, report = release(git_repo, reg, pol, "0.4.0")
    assert isinstance(report.error, ConflictError)
    assert [(r.name, r.status) for r in report.rows] == [
        (f"image:{PKG}", "conflict"),
        (f"push:{PKG}", "not-run"),
    ]
    assert "without a revision label" in report.rows[0].detail
    assert world.journal.steps[f"image:{PKG}"]["status"] == "conflict"
    assert reg.digest(repo, "0.4.0") == other
    assert reg.tags(repo) == ["0.4.0"]  # nothing forced, latest not created


def test_a_tag_taken_between_build_and_push_is_a_clash(git_repo, docker_registry):
    reg = docker_registry
    pol, repo = scaffold(git_repo, reg)
    git_repo.tag("v0.4.0")
    assert ok(release(git_repo, reg, pol, "0.4.0", publish=False)[1])

    # Someone pushes an image built from the same commit (same revision label) but not ours.
    tagged = git_repo.git("rev-parse", "v0.4.0^{commit}")
    ctx = git_repo.root.parent / "other-ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {reg.base_image}\nLABEL {LABEL_REVISION}={tagged}\n")
    ref = f"{reg.host}/{repo}:0.4.0"
    reg.docker("build", "-q", "-t", f"{reg.host}/{repo}:intruder", str(ctx))
    reg.docker("tag", f"{reg.host}/{repo}:intruder", ref)
    reg.docker("push", ref)
    intruder = reg.digest(repo, "0.4.0")

    _world, report = release(git_repo, reg, pol, "0.4.0", build=False)
    assert isinstance(report.error, ConflictError)
    assert report.rows[0].status == "conflict"
    assert "not the image built for this release" in report.rows[0].detail
    assert reg.digest(repo, "0.4.0") == intruder
    assert reg.digest(repo, "latest") is None


def test_build_network_from_the_environment_reaches_a_loopback_index(git_repo, docker_registry):
    """RELEASE_DOCKER_NETWORK=host lets RUN reach a server on the build machine's loopback (as a
    Dockerfile installing the just-published package from a local index needs)."""
    reg = docker_registry
    pol, repo = scaffold(git_repo, reg)
    git_repo.commit(
        "build: read the index at build time",
        path="image/Dockerfile",
        text=DOCKERFILE.format(base=reg.base_image)
        + f"RUN wget -q -O /served.json http://{reg.host}/v2/_catalog\n",
    )
    git_repo.tag("v1.0.0")
    world = make_world(git_repo, reg, pol, "1.0.0")
    world.env = {**world.env, "RELEASE_DOCKER_NETWORK": "host"}
    report = engine.run(build_steps(pol, world.version), world, world.journal)
    assert ok(report) == {f"image:{PKG}": "applied"}
    served = reg.docker(
        "run", "--rm", "--network=none", f"{reg.host}/{repo}:1.0.0", "cat", "/served.json"
    )
    assert "repositories" in json.loads(served.stdout)


def test_a_dockerfile_missing_at_the_release_commit_is_one_clear_error(git_repo, docker_registry):
    reg = docker_registry
    pol, repo = scaffold(git_repo, reg)
    git_repo.git("rm", "-q", "image/Dockerfile")
    git_repo.git("commit", "-q", "-m", "chore: drop the Dockerfile")
    git_repo.tag("v1.0.0")
    git_repo.write("image/Dockerfile", "FROM scratch\n")  # in the work tree only: must not be used
    _world, report = release(git_repo, reg, pol, "1.0.0")
    assert report.rows[0].status == "failed"
    assert "image/Dockerfile does not exist at" in report.error.one_line()
    assert "\n" not in report.error.one_line()
    assert reg.tags(repo) == []


def test_a_missing_latest_is_completed_from_the_registry_image(git_repo, docker_registry):
    """A run that stopped after the version tag (here: one that believed 0.9.0 existed) is
    completed later on a machine without the image: latest gets exactly the served digest."""
    reg = docker_registry
    pol, repo = scaffold(git_repo, reg)
    git_repo.tag("v0.4.0")
    stale = TagSet.from_names(["v0.4.0", "v0.9.0"])
    world, report = release(git_repo, reg, pol, "0.4.0", tagset=stale)
    assert ok(report) and not world.is_latest
    digest = reg.digest(repo, "0.4.0")
    assert reg.tags(repo) == ["0.4.0"]
    reg.docker("image", "rm", f"{reg.host}/{repo}:0.4.0")

    world, report = release(git_repo, reg, pol, "0.4.0")
    assert ok(report) == {f"image:{PKG}": "done", f"push:{PKG}": "applied"}
    assert reg.digest(repo, "latest") == reg.digest(repo, "0.4.0") == digest
    assert world.journal.facts(f"push:{PKG}")["digests"] == {"0.4.0": digest, "latest": digest}
    assert verify_world(world) == []
