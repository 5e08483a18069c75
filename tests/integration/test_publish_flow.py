"""The whole release flow as a user runs it (`python -m release release.minor|final`), publishing to
the local pypiserver pair, then `release.verify`."""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.sandbox import make_sandbox

pytestmark = pytest.mark.integration

DAY = 86400

BUILD = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

"""


@pytest.fixture
def published_sandbox(tmp_path, monkeypatch, pypi_server):
    pytest.importorskip("hatchling", reason="scripts/install-test-deps.sh installs hatchling")
    sb = make_sandbox(tmp_path, monkeypatch, package=True)
    text = (sb.root / "pyproject.toml").read_text()
    text = BUILD + text.replace("dependencies = []", 'readme = "README.md"\ndependencies = []')
    repos = "\n".join(f'{k} = "{v}"' for k, v in pypi_server.repositories().items())
    text += f"\n[tool.release.repositories]\n{repos}\n"
    sb.wd.write("pyproject.toml", text)
    sb.wd.write("README.md", "# demo-client\n\nA sample project.\n")
    sb.wd.git("add", "pyproject.toml", "README.md")
    sb.wd.git("commit", "-q", "-m", "build: publishable package")
    sb.wd.git("push", "-q", "origin", "main")
    sb.env.update({"RELEASE_BUILD_ISOLATION": "0", **pypi_server.twine_env()})
    return sb


def test_minor_then_final_publish_to_the_right_index_and_verify(published_sandbox, pypi_server):
    sb = published_sandbox
    res = sb.run("release.minor", "--yes", check=True)
    assert "build:demo-client" in res.stdout and "publish:demo-client" in res.stdout
    # the build precedes the push, the upload follows it
    order = [ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith(" + ")]
    assert (
        order.index("build:demo-client")
        < order.index("git:push")
        < order.index("publish:demo-client")
    )
    rc_files = pypi_server.testpypi.files()
    assert [f.rsplit("-", 3)[0] if f.endswith(".whl") else f for f in rc_files] == [
        "demo_client-0.1.0rc1",
        "demo_client-0.1.0rc1.tar.gz",
    ]
    assert pypi_server.pypi.files() == []

    sb.wd.git("checkout", "-q", "release-0.1.x")
    later = str(int(time.time()) + 8 * DAY)
    sb.run("release.final", "--yes", env={"RELEASE_NOW": later}, check=True)
    assert pypi_server.pypi.files() == [f.replace("0.1.0rc1", "0.1.0") for f in rc_files]

    for version in ("0.1.0rc1", "0.1.0"):
        res = sb.run("release.verify", version, "--json")
        assert res.returncode == 0, res.stdout + res.stderr
        checks = json.loads(res.stdout)["checks"]
        assert {c["item"].split()[0] for c in checks} == {"git", "python"} and all(
            c["ok"] for c in checks
        )

    (pypi_server.testpypi.packages_dir / rc_files[0]).write_bytes(b"tampered")
    res = sb.run("release.verify", "0.1.0rc1")
    assert res.returncode == 4
    assert "DIFFERS" in res.stdout and rc_files[0] in res.stderr and rc_files[1] not in res.stderr
    assert pypi_server.password not in res.stdout + res.stderr


def test_dry_run_previews_the_publish_steps_and_uploads_nothing(published_sandbox, pypi_server):
    sb = published_sandbox
    res = sb.run("release.minor", "--dry-run", check=True)
    would = [ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith(" ~ ")]
    assert "build:demo-client" in would and "publish:demo-client" in would
    assert pypi_server.testpypi.files() == [] and pypi_server.pypi.files() == []
    assert not (sb.root / ".git" / "release").exists()
