"""Releasing a Llama-Stack-shaped repository as it is (issue 15).

setuptools-scm packages (the server at the root, a sub-package under src/), a pinned client, a
uv workspace with its uv.lock; released minor -> rc -> final and then a patch, to the real local
pypiserver pair. The test sets nothing that helps the build find its version: the toolkit gives
each git-versioned build the release version through the backend's own override.
"""

from __future__ import annotations

import email
import sys
import time
import zipfile

import pytest

from tests.fixtures.llamastack import make_llamastack

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.integration

DAY = 86400


def metadata(path) -> email.message.Message:
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(z.read(name))


def wheels(index, version: str) -> dict[str, object]:
    """{project: wheel path} of the index's wheels of `version`."""
    return {
        p.name.split("-")[0]: p
        for p in index.packages_dir.iterdir()
        if p.name.endswith(".whl") and p.name.split("-")[1] == version
    }


def served_versions(index) -> set[str]:
    return {p.name.split("-")[1] for p in index.packages_dir.iterdir() if p.name.endswith(".whl")}


def at_tag(sb, tag: str, path: str) -> str:
    return sb.wd.git("show", f"{tag}:{path}")


def check_release(sb, index, version: str) -> None:
    tag = f"v{version}"
    got = {p: metadata(w) for p, w in wheels(index, version).items()}
    assert set(got) == {"llama_stack", "ogx_api", "llama_stack_client"}, sorted(
        p.name for p in index.packages_dir.iterdir()
    )
    assert {m["Version"] for m in got.values()} == {version}
    requires = got["llama_stack"].get_all("Requires-Dist")
    assert f"llama-stack-client=={version}" in requires and "ogx-api" in requires
    server = tomllib.loads(at_tag(sb, tag, "pyproject.toml"))
    assert server["tool"]["setuptools_scm"]["fallback_version"] == version
    assert server["project"]["dependencies"][0] == f"llama-stack-client=={version}"
    assert "version" not in server["project"]  # still dynamic
    ogx = tomllib.loads(at_tag(sb, tag, "src/ogx_api/pyproject.toml"))
    assert ogx["tool"]["setuptools_scm"]["fallback_version"] == version
    lock = tomllib.loads(at_tag(sb, tag, "uv.lock"))
    client = next(p for p in lock["package"] if p["name"] == "llama-stack-client")
    assert client["version"] == version  # the lock was refreshed in the release commit
    assert sb.wd.git("diff", "--name-only", f"{tag}~1", tag).split() == sorted(
        [
            "CHANGELOG.md",
            "client-python/pyproject.toml",
            "pyproject.toml",
            "src/ogx_api/pyproject.toml",
            "uv.lock",
        ]
    )


VARIANTS = ("starter", "postgres-demo")


def check_images(reg, repo: str, versions: list[str]) -> None:
    """Each distribution is its own image with every released version, built with its name."""
    for variant in VARIANTS:
        image = f"{repo}-{variant}"
        assert [t for t in reg.tags(image) if t[0].isdigit()] == sorted(versions), image
        out = reg.docker("run", "--rm", f"{reg.host}/{image}:{versions[-1]}", "cat", "/distro.txt")
        assert out.stdout.strip() == f"{variant} {versions[-1]}"


def test_minor_rc_final_then_patch_of_a_llamastack_shaped_repo(
    tmp_path, pypi_server, docker_registry
):
    pytest.importorskip("setuptools_scm", reason="scripts/install-test-deps.sh installs it")
    reg = docker_registry
    repo = reg.repo("llamastack")
    sb = make_llamastack(tmp_path, pypi_server, docker=reg, image_repo=repo)
    assert not [k for k in sb.env if k.startswith("SETUPTOOLS_SCM")]

    rc = sb.run("release.minor", "--yes")
    assert rc.returncode == 0, rc.stdout[-4000:] + rc.stderr
    check_release(sb, pypi_server.testpypi, "0.1.0rc1")
    assert pypi_server.pypi.files() == []
    check_images(reg, repo, ["0.1.0rc1"])

    later = str(int(time.time()) + 8 * DAY)
    sb.wd.git("checkout", "-q", "release-0.1.x")
    final = sb.run("release.final", "--yes", env={"RELEASE_NOW": later})
    assert final.returncode == 0, final.stdout[-4000:] + final.stderr
    check_release(sb, pypi_server.pypi, "0.1.0")
    check_images(reg, repo, ["0.1.0", "0.1.0rc1"])

    sb.wd.commit("fix(api): a bad default (#3)")
    sb.wd.git("push", "-q", "origin", "release-0.1.x")
    patch = sb.run("release.patch", "--yes", env={"RELEASE_NOW": later})
    assert patch.returncode == 0, patch.stdout[-4000:] + patch.stderr
    check_release(sb, pypi_server.pypi, "0.1.1")
    assert served_versions(pypi_server.pypi) == {"0.1.0", "0.1.1"}
    check_images(reg, repo, ["0.1.0", "0.1.0rc1", "0.1.1"])
