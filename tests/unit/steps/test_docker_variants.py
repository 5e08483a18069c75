"""Image matrices in the plan: a docker package with two variants is two image steps and two push
steps, in order; each renders its own build args and is verified on its own."""

from __future__ import annotations

from release.adapters import docker as d
from release.core.plan import Facts, Request, make_plan
from release.core.policy import policy_from_table
from release.core.version import TagSet, Version
from release.steps import docker as ds
from release.steps.pipeline import release_steps
from release.steps.publish import build_steps, publish_steps

V = Version.parse("0.1.0rc1")
DIGEST_A, DIGEST_B = "sha256:" + "a" * 64, "sha256:" + "b" * 64

DISTRIBUTION = {
    "name": "distribution",
    "kind": "docker",
    "image": "llamastack/distribution-{variant}",
    "dockerfile": "containers/Containerfile",
    "context": ".",
    "variants": ["starter", "postgres-demo"],
    "build_args": {"DISTRO_NAME": "{variant}", "VERSION": "{version}", "PKG": "{name}"},
}


def policy(*packages: dict):
    return policy_from_table(
        {"repositories": {"docker_registry": "127.0.0.1:5000"}, "packages": list(packages)}
    )


def test_the_plan_of_an_rc_lists_an_image_and_a_push_step_per_variant_in_order():
    class State:
        tagset = TagSet.from_names([])
        dirty: list[str] = []
        branch = "main"

    pol = policy(DISTRIBUTION)
    plan = make_plan(State(), pol, Request("minor"), Facts(now=10**10, branch_exists=False))
    assert str(plan.version) == "0.1.0rc1"
    names = [s.name for s in release_steps(plan, pol)]
    docker = [n for n in names if n.startswith(("image:", "push:"))]
    assert docker == [
        "image:distribution[starter]",
        "image:distribution[postgres-demo]",
        "push:distribution[starter]",
        "push:distribution[postgres-demo]",
    ]
    # every image is built before the first irreversible step, pushed after the git push
    assert names.index("image:distribution[postgres-demo]") < names.index("git:push")
    assert names.index("git:push") < names.index("push:distribution[starter]")
    assert len(set(names)) == len(names)


def test_each_step_builds_and_pushes_its_own_image():
    pol = policy(DISTRIBUTION)
    builds, pushes = ds.image_steps(pol, V), ds.push_steps(pol, V)
    assert [s.ref for s in builds] == [
        "127.0.0.1:5000/llamastack/distribution-starter",
        "127.0.0.1:5000/llamastack/distribution-postgres-demo",
    ]
    assert [s.ref for s in pushes] == [s.ref for s in builds]
    assert "distribution-postgres-demo:0.1.0rc1" in builds[1].describe()
    assert [s.irreversible for s in builds + pushes] == [False, False, True, True]


def test_build_args_render_the_variant_version_and_configured_name():
    starter, postgres = policy(DISTRIBUTION).images()
    assert d.render_build_args(starter, V) == {
        "DISTRO_NAME": "starter",
        "VERSION": "0.1.0rc1",
        "PKG": "distribution",
    }
    assert d.render_build_args(postgres, V)["DISTRO_NAME"] == "postgres-demo"


def test_images_depending_on_a_python_package_build_all_variants_before_the_first_push():
    pol = policy(
        {**DISTRIBUTION, "depends_on": ["llama-stack"]},
        {"name": "llama-stack", "kind": "python"},
        {"name": "gateway", "kind": "docker", "image": "o/gw", "depends_on": ["distribution"]},
    )
    assert [s.name for s in build_steps(pol, V)] == ["build:llama-stack"]
    assert [s.name for s in publish_steps(pol, V)] == [
        "publish:llama-stack",
        "image:distribution[starter]",
        "image:distribution[postgres-demo]",
        "push:distribution[starter]",
        "push:distribution[postgres-demo]",
        "image:gateway",
        "push:gateway",
    ]


class FakeRegistry:
    def __init__(self, tags):
        self.tags = tags

    def manifest(self, repo, tag):
        digest = self.tags.get((repo, tag))
        return d.Manifest(digest, d.MT_DOCKER_MANIFEST, "sha256:cfg") if digest else None

    def labels(self, repo, manifest):
        return {}


def test_verify_checks_every_variant_against_its_own_journal_entry():
    pol = policy(DISTRIBUTION)
    starter, postgres = "llamastack/distribution-starter", "llamastack/distribution-postgres-demo"
    facts = {
        "push:distribution[starter]": {"digests": {"0.1.0rc1": DIGEST_A}},
        "push:distribution[postgres-demo]": {"digests": {"0.1.0rc1": DIGEST_B}},
    }
    served = {(starter, "0.1.0rc1"): DIGEST_A, (postgres, "0.1.0rc1"): DIGEST_B}
    fake = FakeRegistry(served)
    assert ds.verify(pol, V, facts, registry=lambda ep: fake) == []
    fake.tags = {**served, (postgres, "0.1.0rc1"): DIGEST_A}
    assert ds.verify(pol, V, facts, registry=lambda ep: fake) == [
        (f"image 127.0.0.1:5000/{postgres}:0.1.0rc1", DIGEST_B, DIGEST_A)
    ]
    del facts["push:distribution[postgres-demo]"]
    fake.tags = served
    assert ds.verify(pol, V, facts, registry=lambda ep: fake) == [
        (
            f"image 127.0.0.1:5000/{postgres}:0.1.0rc1",
            "a pushed digest in the journal",
            f"no record (registry: {DIGEST_B})",
        )
    ]
