"""Image matrices: one docker package with `variants` is one image per variant (pure core)."""

from __future__ import annotations

import re

import pytest

from release.core.policy import Package, expand_variants, policy_from_table
from release.errors import ConfigError

DISTRIBUTION = {
    "name": "distribution",
    "kind": "docker",
    "image": "llamastack/distribution-{variant}",
    "dockerfile": "containers/Containerfile",
    "context": ".",
    "variants": ["starter", "postgres-demo"],
    "build_args": {"DISTRO_NAME": "{variant}", "VERSION": "{version}"},
}


def policy(*packages: dict, **top):
    return policy_from_table({**top, "packages": list(packages)})


def refused(*packages: dict) -> str:
    with pytest.raises(ConfigError) as exc:
        policy(*packages)
    line = exc.value.one_line()
    assert "\n" not in line
    return line


# ---- expansion ----------------------------------------------------------------------------------


def test_a_package_with_variants_is_one_image_per_variant_in_their_order():
    pol = policy(DISTRIBUTION)
    images = pol.images()
    assert [i.ref for i in images] == ["distribution[starter]", "distribution[postgres-demo]"]
    assert [i.image for i in images] == [
        "llamastack/distribution-starter",
        "llamastack/distribution-postgres-demo",
    ]
    assert [i.variant for i in images] == ["starter", "postgres-demo"]
    for i in images:
        assert i.name == "distribution"  # the configured name: {name}, depends_on, messages
        assert i.kind == "docker" and i.variants is None
        assert i.dockerfile == "containers/Containerfile" and i.context == "."
        # build args keep their placeholders: the adapter renders them with the variant
        assert i.build_args == {"DISTRO_NAME": "{variant}", "VERSION": "{version}"}
    assert pol.packages == [pol.package("distribution")]  # the configuration itself is unchanged


def test_variant_fills_dockerfile_and_context_too():
    pkg = {
        **DISTRIBUTION,
        "dockerfile": "containers/{variant}/Containerfile",
        "context": "distros/{variant}",
    }
    images = policy(pkg).images()
    assert [(i.dockerfile, i.context) for i in images] == [
        ("containers/starter/Containerfile", "distros/starter"),
        ("containers/postgres-demo/Containerfile", "distros/postgres-demo"),
    ]


def test_without_variants_a_package_is_its_own_image():
    pkg = Package(name="tools", kind="docker", image="o/tools")
    assert expand_variants(pkg) == [pkg]
    py = Package(name="client", kind="python")
    assert expand_variants(py) == [py]
    pol = policy({"name": "tools", "kind": "docker", "image": "o/tools"}, {"name": "c"})
    assert [i.ref for i in pol.images()] == ["tools"]  # only docker packages are images


def test_expanding_an_image_again_changes_nothing():
    for image in policy(DISTRIBUTION).images():
        assert expand_variants(image) == [image]


def test_step_names_are_unique_and_their_slugs_are_path_components():
    pol = policy(
        DISTRIBUTION,
        {**DISTRIBUTION, "name": "ui", "image": "o/ui-{variant}", "variants": ["starter"]},
        {"name": "tools", "kind": "docker", "image": "o/tools"},
    )
    refs = [i.ref for i in pol.images()]
    assert len(set(refs)) == len(refs) == 4
    slugs = [i.slug for i in pol.images()]
    assert slugs == [
        "distribution_starter_",
        "distribution_postgres-demo_",
        "ui_starter_",
        "tools",
    ]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", s) and s not in (".", "..") for s in slugs)


def test_depends_on_names_the_package_for_all_its_variants():
    pol = policy(
        {**DISTRIBUTION, "depends_on": ["llama-stack"]},
        {"name": "llama-stack", "kind": "python"},
        {"name": "gateway", "kind": "docker", "image": "o/gateway", "depends_on": ["distribution"]},
    )
    assert [p.name for p in pol.publish_order()] == ["llama-stack", "distribution", "gateway"]
    assert [i.ref for i in pol.images()] == [
        "distribution[starter]",
        "distribution[postgres-demo]",
        "gateway",
    ]
    assert all(i.depends_on == ["llama-stack"] for i in pol.images()[:2])


def test_depends_on_one_variant_is_not_a_package():
    line = refused(
        DISTRIBUTION,
        {"name": "gw", "kind": "docker", "image": "o/gw", "depends_on": ["distribution[starter]"]},
    )
    assert "depends_on 'distribution[starter]', which is not a package" in line


# ---- validation ---------------------------------------------------------------------------------


def test_an_empty_list_of_variants_is_refused():
    line = refused({**DISTRIBUTION, "variants": []})
    assert line.startswith("[tool.release].packages[0].variants = [] is not valid")


def test_a_variant_listed_twice_is_refused():
    line = refused({**DISTRIBUTION, "variants": ["starter", "ollama", "starter"]})
    assert "[tool.release].packages[0].variants has 'starter' twice" in line


@pytest.mark.parametrize(
    "bad", ["Starter", "", "-starter", "starter-", "a/b", "a b", "a..b", "x:1", "{variant}", "é"]
)
def test_a_variant_that_cannot_be_part_of_an_image_name_is_refused(bad):
    line = refused({**DISTRIBUTION, "variants": ["starter", bad]})
    assert f"[tool.release].packages[0].variants[1] = {bad!r} is not valid in an image name" in line


@pytest.mark.parametrize("good", ["starter", "postgres-demo", "vllm_gpu", "v1.2", "a--b", "a__b"])
def test_valid_variants(good):
    assert [i.variant for i in policy({**DISTRIBUTION, "variants": [good]}).images()] == [good]


def test_variants_must_be_a_list_of_strings():
    line = refused({**DISTRIBUTION, "variants": "starter"})
    assert "packages[0].variants = 'starter' is not valid" in line and "list of strings" in line
    assert "variants[0]" in refused({**DISTRIBUTION, "variants": [1]})


def test_an_image_without_the_variant_placeholder_is_refused():
    line = refused({**DISTRIBUTION, "image": "llamastack/distribution"})
    assert "[tool.release].packages[0].image = 'llamastack/distribution' has no {variant}" in line
    assert "every variant would push it" in line


def test_variants_are_for_docker_packages_only():
    line = refused({"name": "client", "kind": "python", "variants": ["a"]})
    assert "[tool.release].packages[0].variants is only for docker packages" in line


@pytest.mark.parametrize(
    ("key", "value", "where"),
    [
        ("image", "o/x-{variant}", "image"),
        ("dockerfile", "{variant}/Dockerfile", "dockerfile"),
        ("context", "ctx/{variant}", "context"),
        ("build_args", {"D": "{variant}"}, "build_args.D"),
    ],
)
def test_the_variant_placeholder_without_variants_is_refused(key, value, where):
    pkg = {"name": "tools", "kind": "docker", "image": "o/tools", key: value}
    line = refused(pkg)
    assert line.startswith(f"[tool.release].packages[0].{where} = ")
    assert "uses {variant}, but the package has no variants" in line


def test_a_literal_brace_variant_in_a_build_arg_is_not_the_placeholder():
    pkg = {"name": "t", "kind": "docker", "image": "o/t", "build_args": {"RAW": "{{variant}}"}}
    assert policy(pkg).images()[0].build_args == {"RAW": "{{variant}}"}


def test_variant_is_not_a_configuration_key():
    line = refused({**DISTRIBUTION, "variant": "starter"})
    assert "[tool.release].packages[0].variant is not a known key" in line
