"""`python scripts/demo.py` (`nox -s demo`) as the README runs it: the whole cycle, exit 0, nothing left behind."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import tomlkit

from release.core.policy import policy_from_table
from tests.conftest import IN_CI, need
from tests.fixtures import pypi_server as ps
from tests.fixtures.stack import make_project, process_alive, unique_names

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ["0.1.0rc1", "0.1.0rc2", "0.1.0", "0.1.1"]


def _require(*modules: str) -> None:
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            msg = f"{name} is not installed (pip install -e '.[test]' installs it)"
            if IN_CI:
                pytest.fail(msg)
            pytest.skip(msg)


def test_outside_a_checkout_the_demo_says_so_in_one_line(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(PROJECT_ROOT / "scripts" / "demo.py", tmp_path / "scripts" / "demo.py")
    res = subprocess.run(
        [sys.executable, str(tmp_path / "scripts" / "demo.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert res.returncode != 0
    assert "run from a checkout of release-kit" in res.stderr and "Traceback" not in res.stderr
    assert "demo:" not in res.stdout  # nothing was started


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One run of the demo, its workdir kept: (completed process, demo.json, workdir)."""
    need("git")
    _require("hatchling", "pypiserver", "passlib", "werkzeug", "nox")
    work = tmp_path_factory.mktemp("demo") / "w"
    res = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "demo.py"), "--workdir", str(work)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=900,
    )
    record_path = work / "demo.json"
    assert record_path.is_file(), (
        f"no demo.json (exit {res.returncode})\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    )
    return res, json.loads(record_path.read_text()), work


@pytest.mark.slow
def test_the_cycle_exits_0_and_shows_plans_backport_override_and_verify(demo):
    res, record, _ = demo
    assert res.returncode == 0, f"{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
    assert record["ok"] and not record["failure"]
    assert record["versions"] == VERSIONS
    commands = [s["argv"][0] for s in record["steps"]]
    for task in (
        "release.plan",
        "release.minor",
        "release.backport",
        "release.rc",
        "release.final",
        "release.patch",
        "release.status",
        "release.verify",
    ):
        assert task in commands, task
    assert [s["argv"][1] for s in record["steps"] if s["argv"][0] == "release.verify"] == VERSIONS
    assert all(s["ok"] for s in record["steps"])
    out = res.stdout + res.stderr  # the release tool's error lines go to stderr
    # the final is refused without the override, and the override is shown and journaled
    assert "use --override 'reason' to release now" in out and "(refused, as expected)" in out
    assert "override: window - demo: the window is simulated" in out
    assert "override window by release-bot" in out  # the GitHub identity of the run
    assert "opened PR #" in out  # the backport went through the GitHub stand-in
    assert "ghp_" not in out  # the stand-in's token is never printed
    # step 7: a train over two more repositories, one version in both, status side by side
    assert record["train"] == ["demo-web v0.1.0rc1", "demo-hub v0.1.0rc1"]
    assert "released the train minor 0.1.0rc1 (2 repositories)" in out
    assert "Release train (in release order)" in out and "demo-web/git:tag" in out


@pytest.mark.slow
def test_tags_branches_and_what_landed(demo):
    _, record, _ = demo
    origin = record["origin"]

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=origin, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert sorted(git("for-each-ref", "--format=%(refname:short)", "refs/tags").split()) == [
        "v0.1.0",
        "v0.1.0rc1",
        "v0.1.0rc2",
        "v0.1.1",
    ]
    assert git("rev-parse", "release-0.1.x") == git("rev-parse", "v0.1.1^{commit}")
    assert "backport/" not in git(
        "for-each-ref", "--format=%(refname)", "refs/heads"
    )  # merged and deleted
    landed = record["landed"]
    # finals on PyPI, release candidates on TestPyPI, and nothing else anywhere
    assert not [f for f in landed["PyPI"] if "rc" in f] and all(
        "rc" in f for f in landed["TestPyPI"]
    )
    assert (
        "demo_server-0.1.0.tar.gz" in landed["PyPI"]
        and "demo_client-0.1.1.tar.gz" in landed["PyPI"]
    )
    assert "demo_server-0.1.0rc2.tar.gz" in landed["TestPyPI"] and len(landed["TestPyPI"]) == 8
    assert landed["GitHub releases"] == [
        "v0.1.0rc1 (pre-release)",
        "v0.1.0rc2 (pre-release)",
        "v0.1.0",
        "v0.1.1",
    ]
    assert (
        "0.1.0 (closed)" in landed["GitHub milestones"]
        and "0.2.0 (open)" in landed["GitHub milestones"]
    )
    assert len(landed["webhook posts"]) == 8  # a thread post and an announcement per release
    if "npm" not in record["missing"]:
        assert landed["npm"]["@demo/client"]["dist-tags"] == {"latest": "0.1.1"}  # rc retired
    if "docker" not in record["missing"]:
        assert landed["docker"]["demo/server"] == [
            "0.1.0",
            "0.1.0rc1",
            "0.1.0rc2",
            "0.1.1",
            "latest",
        ]


@pytest.mark.slow
def test_no_process_is_left_behind(demo):
    res, record, _ = demo
    started = record["pids"]
    assert {p["name"] for p in started} >= {"pypiserver (pypi)", "pypiserver (testpypi)"}
    printed = {int(pid) for pid in re.findall(r"^demo: started .*: pid (\d+)$", res.stdout, re.M)}
    assert printed == {p["pid"] for p in started}
    stopped = record["stopped"]
    assert {p["pid"] for p in started} <= {p["pid"] for p in stopped}
    alive = [p for p in started + stopped if process_alive(p["pid"], p["start_ticks"])]
    assert alive == []


@pytest.mark.slow
def test_the_pinned_server_installs_from_the_index_it_was_published_to(demo, tmp_path):
    """demo-server==0.1.0 pins demo-client==0.1.0: a fresh venv resolves both from the PyPI-role
    index alone (served again from the demo's kept packages directory)."""
    _, record, _ = demo
    packages = Path(record["indexes"]["pypi"])
    port = ps.free_port()
    argv = [
        sys.executable,
        "-m",
        "pypiserver",
        "run",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-a",
        ".",
        "-P",
        ".",
        "--disable-fallback",
        "--backend",
        "simple-dir",
        str(packages),
    ]
    with (tmp_path / "pypiserver.log").open("wb") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        ps.wait_http(f"http://127.0.0.1:{port}/health", proc, "pypiserver")
        venv = tmp_path / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        vpy = venv / "bin" / "python"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        pip = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--isolated",
                "--python",
                str(vpy),
                "install",
                "--no-cache-dir",
                "--index-url",
                f"http://127.0.0.1:{port}/simple/",
                "demo-server==0.1.0",
            ],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        assert pip.returncode == 0, pip.stdout + pip.stderr
        out = subprocess.run(
            [
                str(vpy),
                "-I",
                "-c",
                "import demo_client, demo_server, demo_server.app as a; "
                "print(demo_client.__version__, demo_server.__version__, a.handle(' x '))",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert out.stdout.strip() == "0.1.0 0.1.0 hello x", out.stderr  # with the backported fix
    finally:
        ps.stop(proc)
        shutil.rmtree(tmp_path / "venv", ignore_errors=True)


def test_full_stack_serves_every_component_and_its_table_is_valid(full_stack, tmp_path):
    """The shared fixture: each service answers with the credentials `env()` gives, and
    `pyproject_table()` is a valid [tool.release] pointing at them."""
    st = full_stack
    assert st.missing == {}
    env = st.env()
    pol = policy_from_table(tomlkit.parse(st.pyproject_table()).unwrap()["tool"]["release"])
    assert pol.repositories.pypi_simple == st.pypi.pypi.simple_url
    assert pol.repositories.testpypi_upload == st.pypi.testpypi.upload_url
    assert (
        pol.repositories.npm_registry == st.npm.url
        and pol.repositories.docker_registry == st.docker.host
    )
    assert pol.github_repo == "demo/stack" and pol.github_api == st.github.url
    assert pol.notify.releases.forum and pol.notify.announcements.url_env in env

    def get(url: str, **headers: str) -> int:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status

    assert get(f"{st.pypi.url}health") == 200 and get(f"{st.pypi.testpypi.url}health") == 200
    assert get(f"{st.npm.url}-/ping") == 200
    assert get(f"http://{st.docker.host}/v2/") == 200
    assert (
        get(f"{st.github.url}/repos/demo/stack", Authorization=f"token {env['GITHUB_TOKEN']}")
        == 200
    )
    body = json.dumps({"content": "ping"}).encode()
    req = urllib.request.Request(
        env["DISCORD_ANNOUNCE_WEBHOOK"],
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 204
    assert st.webhook.accepted()[-1].body == {"content": "ping"}
    docker = subprocess.run(
        ["docker", "image", "inspect", st.docker.base_image],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert docker.returncode == 0, docker.stderr
    assert all(p.alive() for p in st.processes)


def test_projects_with_unique_names_share_the_stack(full_stack, tmp_path):
    """make_project on the session's stack: a project with its own names plans every artifact."""
    names = unique_names()
    sb = make_project(full_stack, tmp_path, names=names)
    assert sb.names == names
    assert (sb.root / "client" / names.client_module / "__init__.py").is_file()
    assert f'"{names.client}=={"0.0.0"}"' in (sb.root / "server" / "pyproject.toml").read_text()
    res = sb.run("release.plan", "minor")
    assert res.returncode == 0, res.stdout + res.stderr
    for step in (
        f"build:{names.client}",
        f"build:{names.server}",
        f"pack:{names.npm}",
        f"image:{names.image_package}",
        "github:release",
        "notify:announce",
    ):
        assert step in res.stdout, step
    assert f"{full_stack.docker.host}/{names.image}:0.1.0rc1" in res.stdout
    assert names.github_repo in full_stack.github.state.repos
