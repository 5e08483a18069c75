"""Version files: static and git-derived (setuptools-scm, hatch-vcs) versions, pins of any form."""

from __future__ import annotations

import pytest

from release.core.version import Version
from release.core.versionfiles import (
    DYNAMIC,
    holds,
    render_file,
    repin,
    scm_build_env,
    version_in_text,
)
from release.errors import ConfigError

V = Version.parse("0.8.1")

SCM = """\
[build-system]
requires = ["setuptools>=61", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "ogx_api"
dynamic = ["version"]
dependencies = [
    "llama-stack-client==0.8.0",  # the client of the same release
    "fastapi>=0.100",
    "ogx-core[server]>=0.8.0 ; python_version >= '3.12'",
    "pydantic>=2,<3",
]

[project.optional-dependencies]
ui = ["llama-stack-client~=0.8.0"]

[tool.setuptools_scm]
fallback_version = "0.8.0"  # when there is no git
"""

HATCH = """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "demo.pkg"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"
fallback-version = "0.0.0"
"""


def test_a_git_versioned_pyproject_holds_its_fallback_and_bumps_it():
    assert version_in_text("pyproject.toml", SCM) == "0.8.0"
    out = render_file("pyproject.toml", SCM, V, ["llama-stack-client", "ogx-core"])
    assert 'fallback_version = "0.8.1"  # when there is no git' in out
    assert "[project]\nname" in out and "\nversion =" not in out.split("[tool")[0]
    assert '"llama-stack-client==0.8.1",  # the client of the same release' in out
    assert "\"ogx-core[server]>=0.8.1 ; python_version >= '3.12'\"" in out
    assert '"llama-stack-client~=0.8.1"' in out
    assert '"fastapi>=0.100"' in out and '"pydantic>=2,<3"' in out  # not pinned: untouched
    assert version_in_text("pyproject.toml", out) == "0.8.1"
    assert render_file("pyproject.toml", out, V, ["llama-stack-client", "ogx-core"]) == out


def test_hatch_vcs_fallback_is_bumped_and_without_one_any_version_holds():
    assert version_in_text("pyproject.toml", HATCH) == "0.0.0"
    assert 'fallback-version = "0.8.1"' in render_file("pyproject.toml", HATCH, V, [])
    bare = HATCH.replace('fallback-version = "0.0.0"\n', "")
    assert version_in_text("pyproject.toml", bare) == DYNAMIC
    assert render_file("pyproject.toml", bare, V, []) == bare
    assert holds("pyproject.toml", bare, "9.9.9") and not holds("pyproject.toml", HATCH, "9.9.9")


def test_a_static_pyproject_without_version_is_still_refused():
    with pytest.raises(ConfigError, match="has no \\[project\\].version"):
        version_in_text("pyproject.toml", '[project]\nname = "x"\n')


def test_the_build_gets_the_release_version_through_the_backend_override():
    assert scm_build_env(SCM, V) == {
        "SETUPTOOLS_SCM_PRETEND_VERSION": "0.8.1",
        "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_OGX_API": "0.8.1",
    }
    rc = Version.parse("0.9.0rc2")
    assert scm_build_env(HATCH, rc)["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_DEMO_PKG"] == "0.9.0rc2"
    assert scm_build_env('[project]\nname = "x"\nversion = "1.0.0"\n', V) == {}
    assert scm_build_env("not toml [", V) == {}


@pytest.mark.parametrize(
    ("dep", "out"),
    [
        ("client==0.1.0", "client==2.0.0"),
        ("Client >= 0.1.0", "Client >= 2.0.0"),
        ("client[x,y]~=0.1", "client[x,y]~=2.0.0"),
        ("client===0.1.0 ; sys_platform == 'linux'", "client===2.0.0 ; sys_platform == 'linux'"),
        ("client>=0.1,<0.2", "client>=0.1,<0.2"),  # several clauses: left as written
        ("client", "client"),
        ("other==0.1.0", "other==0.1.0"),
        ("client-extra==0.1.0", "client-extra==0.1.0"),
    ],
)
def test_repin_keeps_operator_extras_and_markers(dep, out):
    assert repin(dep, {"client"}, "2.0.0") == out
