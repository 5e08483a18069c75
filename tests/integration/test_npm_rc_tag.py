"""The npm `rc` dist-tag after a final, on a real Verdaccio: the final's publish step removes it
(or moves it to the final), only when it holds an RC of the final's own line; a re-run changes
nothing, a run stopped between the publish and the tag change finishes it, and re-running an
RC of that line never puts the tag back.

The steps run through the engine with a World built by hand (as in test_publish_release.py):
a tagged commit per version, then `build_steps + publish_steps` (pack:, publish:)."""

from __future__ import annotations

import json
import os

import pytest

from release import engine
from release.adapters.git import GitRepo, read_state
from release.core.policy import policy_from_table
from release.core.version import Version
from release.journal import Journal
from release.steps.publish import build_steps, publish_steps
from release.world import World
from tests.conftest import need

pytestmark = pytest.mark.integration


class NpmProject:
    def __init__(self, wd, npm, mode: str) -> None:
        self.wd, self.npm, self.name = wd, npm, npm.unique("demo-rc-tag")
        self.policy = policy_from_table(
            {
                "repositories": {"npm_registry": npm.url},
                "npm_rc_tag_after_final": mode,
                "require_codeowners": False,
                "packages": [
                    {"name": "js", "kind": "npm", "path": "js", "version_files": ["package.json"]}
                ],
            }
        )

    def release(self, version: str) -> None:
        v = Version.parse(version)
        manifest = {"name": self.name, "version": v.semver(), "main": "index.js", "license": "MIT"}
        self.wd.write("js/package.json", json.dumps(manifest, indent=2) + "\n")
        self.wd.write("js/index.js", f"module.exports = '{v.semver()}';\n")
        self.wd.git("add", "js")
        self.wd.git("commit", "-q", "-m", f"chore: release {version}")
        self.wd.tag(f"v{v.pep440()}")

    def run(self, version: str) -> dict[str, str]:
        root = self.wd.root
        state = read_state(root)
        v = Version.parse(version)
        world = World(
            root=root,
            repo=GitRepo(root),
            policy=self.policy,
            version=v,
            kind="rc" if v.is_rc else "final",
            journal=Journal.open(state.git_dir, v.pep440()),
            tagset=state.tagset,
            now=0,
            env={**os.environ, "NPM_TOKEN": self.npm.token},
        )
        world.services["sleep"] = lambda s: None
        steps = build_steps(self.policy, v) + publish_steps(self.policy, v)
        report = engine.run(steps, world, world.journal)
        assert report.ok, [(r.name, r.status, r.detail) for r in report.rows]
        return {r.name: r.status for r in report.rows}

    def tags(self) -> dict[str, str]:
        return self.npm.dist_tags(self.name)

    def dist_tag_ls(self) -> str:
        return self.npm.npm("dist-tag", "ls", self.name).stdout


@pytest.fixture
def npm_project(git_repo, npm_registry):
    need("npm")
    return lambda mode: NpmProject(git_repo, npm_registry, mode)


@pytest.mark.parametrize("mode", ["remove", "move"])
def test_a_final_retires_its_lines_rc_tag_once(npm_project, mode):
    p = npm_project(mode)
    p.release("0.1.0")
    p.run("0.1.0")
    p.release("0.2.0rc1")
    p.run("0.2.0rc1")
    assert p.tags() == {"latest": "0.1.0", "rc": "0.2.0-rc.1"}

    # the final: latest moves to it, rc is removed (or moved to the final)
    p.release("0.2.0")
    assert p.run("0.2.0")["publish:js"] == "applied"
    after = {"latest": "0.2.0"} | ({"rc": "0.2.0"} if mode == "move" else {})
    assert p.tags() == after
    listing = p.dist_tag_ls()
    assert ("rc: 0.2.0" in listing) if mode == "move" else ("rc:" not in listing), listing

    # a re-run changes nothing
    assert set(p.run("0.2.0").values()) == {"done"}
    assert p.tags() == after

    # the RC's own re-run sees its tag retired by its final: it never puts it back
    assert p.run("0.2.0rc1")["publish:js"] == "done"
    assert p.tags() == after


def test_a_run_stopped_before_the_tag_change_finishes_it_and_nothing_else(npm_project):
    p = npm_project("remove")
    p.release("0.1.0rc1")
    p.run("0.1.0rc1")
    p.release("0.1.0")
    p.run("0.1.0")
    assert p.tags() == {"latest": "0.1.0"}
    # the world as a run killed right after `npm publish` leaves it: rc still on the RC
    p.npm.npm("dist-tag", "add", f"{p.name}@0.1.0-rc.1", "rc")
    assert p.tags() == {"latest": "0.1.0", "rc": "0.1.0-rc.1"}
    versions = p.npm.versions(p.name)
    assert p.run("0.1.0")["publish:js"] == "applied"  # only the tag: nothing is published
    assert p.tags() == {"latest": "0.1.0"} and p.npm.versions(p.name) == versions
    assert p.run("0.1.0")["publish:js"] == "done"


def test_another_lines_rc_keeps_the_tag(npm_project, git_repo):
    p = npm_project("remove")
    p.release("0.1.0")
    p.run("0.1.0")
    git_repo.git("switch", "-q", "-c", "release-0.2.x")
    p.release("0.2.0rc1")
    p.run("0.2.0rc1")
    # a patch of the older line while 0.2.0rc1 holds rc: rc is not the patch's to touch
    git_repo.git("switch", "-q", "-c", "release-0.1.x", "v0.1.0")
    p.release("0.1.1")
    assert p.run("0.1.1")["publish:js"] == "applied"
    assert p.tags() == {"latest": "0.1.1", "rc": "0.2.0-rc.1"}
    assert set(p.run("0.1.1").values()) == {"done"}


def test_keep_leaves_the_rc_tag_where_it_was(npm_project):
    p = npm_project("keep")
    p.release("0.1.0rc1")
    p.run("0.1.0rc1")
    p.release("0.1.0")
    p.run("0.1.0")
    assert p.tags() == {"latest": "0.1.0", "rc": "0.1.0-rc.1"}
