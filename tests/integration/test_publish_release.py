"""Publishing through the real engine to a real pypiserver pair (PyPI / TestPyPI roles) and Verdaccio.

A sample project holds a Python client, a Python server pinning `demo-client==X.Y.Z` and an npm
client. Each release writes the version files, commits, tags and pushes (what the lead's earlier
steps do), then runs `build_steps + publish_steps` with a World built by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _require_backend() -> None:
    try:
        import hatchling  # noqa: F401
    except ImportError:
        from tests.conftest import IN_CI

        msg = "hatchling is not installed (scripts/install-test-deps.sh installs it)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def python_package(
    dist: str, version: str, deps: list[str] | None = None, *, empty: bool = False
) -> dict[str, str]:
    mod = dist.replace("-", "_")
    wheel = "[tool.hatch.build.targets.wheel]\n" + (
        "bypass-selection = true\n" if empty else f'packages = ["{mod}"]\n'
    )
    files = {
        "pyproject.toml": (
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
            f'[project]\nname = "{dist}"\nversion = "{version}"\ndescription = "{dist} for tests"\n'
            'readme = "README.md"\nrequires-python = ">=3.10"\n'
            f"dependencies = {json.dumps(deps or [])}\n\n{wheel}"
        ),
        "README.md": f"# {dist}\n\nA sample package.\n",
    }
    if not empty:  # an empty distribution: the build backend is told to ship nothing
        files[f"{mod}/__init__.py"] = f'"""{dist}."""\n\n__version__ = "{version}"\n'
    return files


class Project:
    """The sample repository: writes versions, commits, tags, pushes; makes Worlds."""

    def __init__(
        self, wd, pypi, npm, npm_name: str | None, kinds=("client", "server", "npm")
    ) -> None:
        self.wd = wd
        self.pypi = pypi
        self.npm = npm
        self.npm_name = npm_name
        self.kinds = kinds
        self.sleeps: list[float] = []
        packages = []
        # listed server first on purpose: the order must come from depends_on
        if "server" in kinds:
            packages.append(
                {
                    "name": "demo-server",
                    "kind": "python",
                    "path": "server",
                    "version_files": ["pyproject.toml"],
                    "depends_on": ["demo-client"],
                    "pins": ["demo-client"],
                }
            )
        if "client" in kinds:
            packages.append(
                {
                    "name": "demo-client",
                    "kind": "python",
                    "path": "client",
                    "version_files": ["pyproject.toml", "demo_client/__init__.py"],
                }
            )
        if "npm" in kinds:
            packages.append(
                {
                    "name": "demo-client-js",
                    "kind": "npm",
                    "path": "js",
                    "version_files": ["package.json"],
                }
            )
        repos = pypi.repositories()
        if npm is not None:
            repos["npm_registry"] = npm.url
        self.table = {"repositories": repos, "packages": packages, "require_codeowners": False}
        self.policy = policy_from_table(self.table)

    def write(
        self, version: str, *, client_version: str | None = None, empty: bool = False
    ) -> None:
        v = Version.parse(version)
        files: dict[str, str] = {}
        if "client" in self.kinds:
            for rel, text in python_package(
                "demo-client", client_version or v.pep440(), empty=empty
            ).items():
                files[f"client/{rel}"] = text
        if "server" in self.kinds:
            for rel, text in python_package(
                "demo-server", v.pep440(), [f"demo-client=={v.pep440()}"]
            ).items():
                files[f"server/{rel}"] = text
        if "npm" in self.kinds:
            files["js/package.json"] = (
                json.dumps(
                    {
                        "name": self.npm_name,
                        "version": v.semver(),
                        "main": "index.js",
                        "license": "MIT",
                    },
                    indent=2,
                )
                + "\n"
            )
            files["js/index.js"] = "module.exports = { hello: () => 'hi' };\n"
        import tomlkit

        root_toml = tomlkit.document()
        root_toml["tool"] = {"release": self.table}
        files["pyproject.toml"] = tomlkit.dumps(root_toml)
        for rel, text in files.items():
            self.wd.write(rel, text)
        # an untracked file must never reach a distribution
        self.wd.write("client/demo_client/secret_untracked.py", "LEAK = True\n")

    def release(self, version: str, **kw) -> str:
        self.write(version, **kw)
        self.wd.git(
            "add",
            "--",
            *[
                p
                for p in ("client", "server", "js", "pyproject.toml")
                if (self.wd.root / p).exists()
            ],
            ":!client/demo_client/secret_untracked.py",
        )
        self.wd.git("commit", "-q", "-m", f"chore: release {version}")
        tag = f"v{Version.parse(version).pep440()}"
        self.wd.tag(tag)
        branch = self.wd.branch()
        self.wd.git("push", "-q", "origin", branch, tag)
        return self.wd.head()

    def world(self, version: str) -> World:
        root = self.wd.root
        state = read_state(root)
        v = Version.parse(version)
        env = {**os.environ, "RELEASE_BUILD_ISOLATION": "0", **self.pypi.twine_env()}
        if self.npm is not None:
            env["NPM_TOKEN"] = self.npm.token
        world = World(
            root=root,
            repo=GitRepo(root),
            policy=self.policy,
            version=v,
            kind="rc" if v.is_rc else "final",
            journal=Journal.open(state.git_dir, v.pep440()),
            tagset=state.tagset,
            now=0,
            env=env,
        )
        world.services["sleep"] = self.sleeps.append
        return world

    def steps(self, version: str) -> list:
        v = Version.parse(version)
        return build_steps(self.policy, v) + publish_steps(self.policy, v)

    def run(self, version: str) -> engine.Report:
        world = self.world(version)
        return engine.run(self.steps(version), world, world.journal)


def statuses(report: engine.Report) -> dict[str, str]:
    return {r.name: r.status for r in report.rows}


def index_state(idx) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in idx.packages_dir.iterdir()}


def fresh_venv(tmp: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


def pip_install(vpy: Path, index_url: str, *reqs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
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
            index_url,
            *reqs,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "release", *args, "--path", str(project.wd.root)],
        cwd=project.wd.root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def project(git_repo, pypi_server, npm_registry):
    _require_backend()
    need("npm")
    return Project(git_repo, pypi_server, npm_registry, npm_registry.unique("demo-client-js"))


def test_one_release_publishes_in_dependency_order_and_reruns_upload_nothing(
    project, tmp_path, capsys
):
    pypi, npm = project.pypi, project.npm
    project.release("0.1.0")
    steps = project.steps("0.1.0")
    assert [s.name for s in steps] == [
        "build:demo-client",
        "build:demo-server",
        "pack:demo-client-js",
        "publish:demo-client",
        "publish:demo-server",
        "publish:demo-client-js",
    ]
    assert [s.irreversible for s in steps] == [False, False, False, True, True, True]

    report = project.run("0.1.0")
    assert report.ok, [(r.name, r.status, r.detail) for r in report.rows]
    assert set(statuses(report).values()) == {"applied"}

    # finals go to the PyPI role only; the untracked file never reached a distribution
    assert pypi.testpypi.files() == []
    assert pypi.pypi.files() == sorted(
        [
            "demo_client-0.1.0-py3-none-any.whl",
            "demo_client-0.1.0.tar.gz",
            "demo_server-0.1.0-py3-none-any.whl",
            "demo_server-0.1.0.tar.gz",
        ]
    )
    import zipfile

    with zipfile.ZipFile(pypi.packages_dir / "demo_client-0.1.0-py3-none-any.whl") as zf:
        assert not [n for n in zf.namelist() if "secret_untracked" in n]

    # the journal's sha256s are the bytes the index holds
    journal = Journal.open(project.wd.root / ".git", "0.1.0")
    import hashlib

    for name, sha in journal.facts("publish:demo-client")["files"].items():
        assert hashlib.sha256((pypi.packages_dir / name).read_bytes()).hexdigest() == sha
    assert journal.facts("build:demo-server")["smoke"].startswith(
        "installed and imported (offline)"
    )

    # the server's pin resolves from the index, in a fresh venv, with nothing else to go on
    vpy = fresh_venv(tmp_path)
    res = pip_install(vpy, pypi.simple_url, "demo-server==0.1.0")
    assert res.returncode == 0, res.stderr
    out = subprocess.run(
        [str(vpy), "-I", "-c", "import demo_client, demo_server; print(demo_client.__version__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == "0.1.0", out.stderr

    # npm: published under latest (the highest final), with the packed tarball's shasum
    assert npm.versions(project.npm_name) == ["0.1.0"]
    assert npm.dist_tags(project.npm_name) == {"latest": "0.1.0"}
    assert (
        journal.facts("publish:demo-client-js")["shasum"]
        == journal.facts("pack:demo-client-js")["shasum"]
    )

    # re-running the finished release uploads nothing and publishes nothing
    before = index_state(pypi.pypi)
    again = project.run("0.1.0")
    assert again.ok
    assert set(statuses(again).values()) == {"done"}, statuses(again)
    assert index_state(pypi.pypi) == before
    assert npm.versions(project.npm_name) == ["0.1.0"]

    # even with the work directory gone, the rebuild is byte-identical (SOURCE_DATE_EPOCH = the
    # commit time), so the index probe finds it already there and nothing is uploaded
    import shutil

    shutil.rmtree(project.wd.root / ".git" / "release" / "work")
    third = project.run("0.1.0")
    assert third.ok, [(r.name, r.status, r.detail) for r in third.rows]
    assert (
        statuses(third)["build:demo-client"] == "applied"
        and statuses(third)["publish:demo-client"] == "done"
    )
    assert index_state(pypi.pypi) == before

    # release.verify passes on the good release ...
    good = cli(project, "release.verify", "0.1.0")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "DIFFERS" not in good.stdout and "demo_server-0.1.0.tar.gz" in good.stdout

    # ... and fails naming the item after a file on the index is tampered with
    (pypi.packages_dir / "demo_server-0.1.0.tar.gz").write_bytes(b"not the release")
    bad = cli(project, "release.verify", "0.1.0", "--json")
    assert bad.returncode != 0
    data = json.loads(bad.stdout)
    assert [c["item"] for c in data["checks"] if not c["ok"]] == [
        f"python demo_server-0.1.0.tar.gz on {pypi.simple_url}"
    ]
    assert "demo_server-0.1.0.tar.gz" in bad.stderr
    # secrets are nowhere: not in the journal, not in the output
    text = (
        journal.path.read_text() + capsys.readouterr().out + good.stdout + bad.stdout + bad.stderr
    )
    assert pypi.password not in text and npm.token not in text


def test_rc_goes_to_testpypi_and_dist_tag_rc_and_an_old_line_patch_moves_no_latest(
    git_repo, pypi_server, npm_registry
):
    _require_backend()
    need("npm")
    project = Project(
        git_repo,
        pypi_server,
        npm_registry,
        npm_registry.unique("demo-client-js"),
        kinds=("client", "npm"),
    )
    npm, pypi, name = npm_registry, pypi_server, project.npm_name

    project.release("0.1.0")
    assert project.run("0.1.0").ok
    assert npm.dist_tags(name) == {"latest": "0.1.0"}

    # 0.2.0rc1 on its release branch: TestPyPI role, dist-tag rc, latest untouched
    git_repo.git("switch", "-q", "-c", "release-0.2.x")
    project.release("0.2.0rc1")
    report = project.run("0.2.0rc1")
    assert report.ok, [(r.name, r.status, r.detail) for r in report.rows]
    assert pypi.testpypi.files() == [
        "demo_client-0.2.0rc1-py3-none-any.whl",
        "demo_client-0.2.0rc1.tar.gz",
    ]
    assert not [f for f in pypi.pypi.files() if "0.2.0" in f]
    assert npm.dist_tags(name) == {"latest": "0.1.0", "rc": "0.2.0-rc.1"}

    # 0.2.0 final: latest moves
    project.release("0.2.0")
    assert project.run("0.2.0").ok
    assert npm.dist_tags(name) == {"latest": "0.2.0"}  # the line's rc tag retired

    # 0.1.1 on the old line: published, under release-0.1; latest stays at 0.2.0
    git_repo.git("switch", "-q", "-c", "release-0.1.x", "v0.1.0")
    project.release("0.1.1")
    world = project.world("0.1.1")
    assert not world.is_latest
    report = project.run("0.1.1")
    assert report.ok, [(r.name, r.status, r.detail) for r in report.rows]
    assert npm.dist_tags(name) == {"latest": "0.2.0", "release-0.1": "0.1.1"}
    assert "demo_client-0.1.1-py3-none-any.whl" in pypi.pypi.files()
    assert (
        Journal.open(git_repo.root / ".git", "0.1.1").facts("publish:demo-client-js")["dist_tag"]
        == "release-0.1"
    )


def test_same_name_other_hash_on_the_index_stops_the_run(git_repo, pypi_server):
    _require_backend()
    project = Project(git_repo, pypi_server, None, None, kinds=("client", "server"))
    project.release("0.1.0")
    world = project.world("0.1.0")
    v = Version.parse("0.1.0")
    built = engine.run(build_steps(project.policy, v), world, world.journal)
    assert built.ok
    wheel = "demo_client-0.1.0-py3-none-any.whl"
    assert wheel in world.journal.facts("build:demo-client")["files"]
    (pypi_server.packages_dir / wheel).write_bytes(b"someone else's wheel")

    report = engine.run(publish_steps(project.policy, v), world, world.journal)
    assert not report.ok
    assert statuses(report) == {"publish:demo-client": "conflict", "publish:demo-server": "not-run"}
    assert "same name, other content" in report.rows[0].detail
    assert pypi_server.files() == [wheel]  # nothing uploaded: not the sdist, not the server
    assert (pypi_server.packages_dir / wheel).read_bytes() == b"someone else's wheel"
    assert world.journal.steps["publish:demo-client"]["status"] == "conflict"


@pytest.mark.parametrize("case", ["mis-versioned", "empty"])
def test_a_bad_wheel_is_refused_before_upload(git_repo, pypi_server, case):
    _require_backend()
    project = Project(git_repo, pypi_server, None, None, kinds=("client",))
    if case == "mis-versioned":
        project.release("0.1.0", client_version="0.0.9")  # the version file was not bumped
        why = "metadata Version is 0.0.9, the release is 0.1.0"
    else:
        project.release("0.1.0", empty=True)
        why = "the wheel is empty"
    report = project.run("0.1.0")
    assert not report.ok
    assert statuses(report) == {"build:demo-client": "failed", "publish:demo-client": "not-run"}
    assert "refused before upload" in report.rows[0].detail and why in report.rows[0].detail
    assert pypi_server.files() == [] and pypi_server.testpypi.files() == []
    assert not (git_repo.root / ".git/release/work/0.1.0/dist/demo-client").exists()


def test_npm_first_publish_of_an_rc_and_a_version_with_other_content(
    git_repo, pypi_server, npm_registry, tmp_path
):
    need("npm")
    project = Project(
        git_repo, pypi_server, npm_registry, npm_registry.unique("demo-client-js"), kinds=("npm",)
    )
    npm, name = npm_registry, project.npm_name

    # the package's very first version is an RC: the registry makes it latest whatever --tag said;
    # the step records and says so instead of calling it a clash, and a re-run is done
    git_repo.git("switch", "-q", "-c", "release-0.1.x")
    project.release("0.1.0rc1")
    report = project.run("0.1.0rc1")
    assert report.ok, [(r.name, r.status, r.detail) for r in report.rows]
    assert npm.dist_tags(name) == {"latest": "0.1.0-rc.1", "rc": "0.1.0-rc.1"}
    assert "first publish" in report.rows[-1].detail
    assert statuses(project.run("0.1.0rc1")) == {
        "pack:demo-client-js": "done",
        "publish:demo-client-js": "done",
    }

    # someone published 0.1.0 with other content: the release stops, nothing is overwritten
    other = tmp_path / "other"
    other.mkdir()
    (other / "package.json").write_text(
        json.dumps({"name": name, "version": "0.1.0", "main": "index.js"})
    )
    (other / "index.js").write_text("module.exports = 'not ours';\n")
    npm.npm("publish", "--tag", "latest", cwd=other)
    project.release("0.1.0")
    report = project.run("0.1.0")
    assert statuses(report) == {
        "pack:demo-client-js": "applied",
        "publish:demo-client-js": "conflict",
    }
    assert "with other content" in report.rows[-1].detail
    assert npm.versions(name) == ["0.1.0", "0.1.0-rc.1"]
