"""The whole release flow as a user runs it (`python -m release release.minor|final`), publishing to
the local pypiserver pair, then `release.verify`."""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.sandbox import make_published_sandbox

pytestmark = pytest.mark.integration

DAY = 86400


@pytest.fixture
def published_sandbox(tmp_path, monkeypatch, pypi_server):
    return make_published_sandbox(tmp_path, monkeypatch, pypi_server)


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


STAMP_HOOK = '''\
"""A build hook that makes every sdist differ (like a backend stamping the build time)."""
import os
import tempfile
import time

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != "sdist":
            return
        path = os.path.join(tempfile.mkdtemp(), "stamp.txt")
        with open(path, "w") as fh:
            fh.write(str(time.time_ns()))
        build_data["force_include"][path] = "stamp.txt"
'''

ANNOUNCE = """
[tool.release.notify.announcements]
kind = "discord"
url_env = "DISCORD_ANNOUNCE_WEBHOOK"
"""


@pytest.mark.parametrize("served", ["both", "sdist-only"])
def test_a_fresh_runner_finishes_a_half_published_release(
    served, published_sandbox, pypi_server, webhook
):
    """Issue 15: the upload succeeded, a later step failed, the work directory is gone (a new CI
    runner). The re-run never rebuilds what is published: with both files served it downloads
    them and builds nothing; with only the sdist served (the wheel's upload lost) it builds,
    keeps the served sdist (its rebuild differs: the backend stamps it) and uploads the wheel.
    Nothing is replaced on the index, nothing conflicts, the release finishes."""
    from tests.fixtures.hostile_http import closed_port

    sb = published_sandbox
    text = (sb.root / "pyproject.toml").read_text()
    text = (
        text.replace("[tool.release]", "[tool.hatch.build.hooks.custom]\n\n[tool.release]", 1)
        + ANNOUNCE
    )
    sb.wd.write("hatch_build.py", STAMP_HOOK)
    sb.wd.git("add", "hatch_build.py")
    sb.wd.commit("build: stamp sdists, announce releases", path="pyproject.toml", text=text)
    sb.wd.git("push", "-q", "origin", "main")
    dead = {"DISCORD_ANNOUNCE_WEBHOOK": f"http://127.0.0.1:{closed_port()}/api/webhooks/2/x"}
    first = sb.run("release.minor", "--yes", env=dead)
    assert first.returncode != 0 and "notify:announce" in first.stdout, first.stdout + first.stderr
    index_dir = pypi_server.testpypi.packages_dir
    before = {p.name: p.read_bytes() for p in index_dir.iterdir() if p.is_file()}
    assert len(before) == 2, first.stdout[-4000:] + first.stderr
    sdist = next(n for n in before if n.endswith(".tar.gz"))
    wheel = next(n for n in before if n.endswith(".whl"))
    if served == "sdist-only":
        (index_dir / wheel).unlink()
    jpath = sb.root / ".git" / "release" / "0.1.0rc1.json"
    recorded = json.loads(jpath.read_text())["steps"]["build:demo-client"]["facts"]["files"]
    import shutil

    shutil.rmtree(sb.root / ".git" / "release" / "work")
    res = sb.run("release.minor", "--yes", env={"DISCORD_ANNOUNCE_WEBHOOK": webhook.discord_url(2)})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    after = {p.name: p.read_bytes() for p in index_dir.iterdir() if p.is_file()}
    assert after[sdist] == before[sdist]  # the served sdist is never replaced
    facts = json.loads(jpath.read_text())["steps"]["build:demo-client"]["facts"]
    assert "from the index" in res.stdout
    if served == "both":
        assert after == before  # nothing uploaded again
        assert facts["files"] == recorded  # the journal's hashes are the served files'
        assert facts["adopted"] == {sdist: "served", wheel: "served"}
    else:
        assert sorted(after) == sorted(before)  # the wheel uploaded again (same name)
        assert facts["adopted"] == {sdist: "served (the rebuild differed)"}
        assert facts["files"][sdist] == recorded[sdist]
    assert len(webhook.accepted()) == 1  # the announcement, once


def test_two_builds_of_one_commit_give_identical_sdists(tmp_path):
    """The sdist is normalised (mtimes = SOURCE_DATE_EPOCH, owners, gzip header): two builds of
    the same tree at different times and by different users give the same bytes."""
    import hashlib
    import tarfile

    from release.adapters.pypi import normalize_sdist

    def make(dest, mtime, user):
        src = tmp_path / f"src-{user}"
        src.mkdir()
        (src / "demo-0.1.0").mkdir()
        (src / "demo-0.1.0" / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo\n")
        import os

        os.utime(src / "demo-0.1.0" / "PKG-INFO", (mtime, mtime))
        path = dest / "demo-0.1.0.tar.gz"
        dest.mkdir()
        with tarfile.open(path, "w:gz") as t:
            info = t.gettarinfo(str(src / "demo-0.1.0" / "PKG-INFO"), "demo-0.1.0/PKG-INFO")
            info.uname, info.uid = user, hash(user) % 1000
            with (src / "demo-0.1.0" / "PKG-INFO").open("rb") as fh:
                t.addfile(info, fh)
        return path

    a = make(tmp_path / "a", 1_000, "alice")
    b = make(tmp_path / "b", 2_000_000, "bob")
    assert a.read_bytes() != b.read_bytes()
    for p in (a, b):
        normalize_sdist(p, 1_700_000_000)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    with tarfile.open(a) as t:
        (m,) = t.getmembers()
        assert (m.mtime, m.uid, m.uname) == (1_700_000_000, 0, "")
        assert t.extractfile(m).read().startswith(b"Metadata-Version")


def test_without_yes_the_prompt_comes_before_anything_even_with_a_package(
    published_sandbox, pypi_server
):
    """The preview before the prompt probes as a dry run: a package not built yet is "would
    build", never "no record of built files"; without a terminal the run asks for --yes."""
    sb = published_sandbox
    before = sb.wd.snapshot()
    res = sb.run("release.minor")
    assert res.returncode != 0
    assert "confirmation needed before" in res.stderr and "--yes" in res.stderr
    assert "no record of built files" not in res.stdout + res.stderr
    assert sb.wd.snapshot() == before and pypi_server.testpypi.files() == []
