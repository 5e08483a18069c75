"""Release trains across repositories (issue 17): one version, several repositories, clients
before the server, run as a user does (`python -m release release.minor|patch` in the server).

Three repositories, each with a bare origin: a Python client (its own `[tool.release]` and
CODEOWNERS, published to the local pypiserver pair), a TypeScript client (package.json, published
to Verdaccio; its `[tool.release]` in release.toml) and the server, whose package pins
`trainclient==X` and whose `[[tool.release.train]]` names the two clients by their origins' paths.
The server's smoke test can only find the client on the index the client was published to: its
configured index (PIP_INDEX_URL) is the empty PyPI-role index, so the client resolves only
because the train runs it first and points the server's build at the client's index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.conftest import need
from tests.fixtures.gitrepo import WorkDir, make_workdir
from tests.fixtures.sandbox import CHANGELOG, PYPROJECT, Sandbox

pytestmark = pytest.mark.integration

BUILD = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
OWNERS = "# release owners\n*  @rel-owner owner@example.com\n"


def python_project(name: str, deps: list[str]) -> str:
    return (
        BUILD
        + f'[project]\nname = "{name}"\nversion = "0.0.0"\ndescription = "{name} for tests"\n'
        + 'readme = "README.md"\nrequires-python = ">=3.9"\n'
        + f"dependencies = {json.dumps(deps)}\n\n"
        + f'[tool.hatch.build.targets.wheel]\npackages = ["{name}"]\n\n'
    )


def tail(pypi, npm) -> str:
    """The tables every repository shares: no test sessions, the local indexes, announcements."""
    repos = "\n".join(f'{k} = "{v}"' for k, v in pypi.repositories().items())
    return (
        f'\n[tool.release.tests]\nevidence = "none"\n\n'
        f'[tool.release.repositories]\n{repos}\nnpm_registry = "{npm.url}"\n\n'
        '[tool.release.notify.announcements]\nkind = "discord"\n'
        'url_env = "DISCORD_ANNOUNCE_WEBHOOK"\n'
    )


def scaffold(wd: WorkDir, files: dict[str, str]) -> None:
    for path, text in {
        **files,
        "CHANGELOG.md": CHANGELOG,
        ".github/CODEOWNERS": OWNERS,
        ".gitignore": "__pycache__/\nnode_modules/\n",
    }.items():
        wd.write(path, text)
    wd.git("add", "-A")
    wd.git("commit", "-q", "-m", "chore: scaffold")
    wd.commit("feat: the first endpoint (#1)")
    wd.git("push", "-q", "-u", "origin", "main")


@dataclass
class Train:
    client: WorkDir  # the Python client
    ts: WorkDir  # the TypeScript client
    server: Sandbox
    npm_name: str
    env: dict[str, str]
    pypi: object
    npm: object

    def run(self, *args: str, kill: str = "") -> object:
        env = dict(self.env)
        if kill:
            env["RELEASE_KILL_AFTER"] = kill
        return self.server.run(*args, env=env)

    @property
    def repos(self) -> dict[str, WorkDir]:
        return {"client-py": self.client, "client-ts": self.ts, "server": self.server.wd}

    def origin_tags(self) -> dict[str, list[str]]:
        return {
            name: sorted(wd.git("tag", "--list", cwd=wd.origin).split())
            for name, wd in self.repos.items()
        }

    def origin_branches(self) -> dict[str, list[str]]:
        fmt = "--format=%(refname:short)"
        return {
            name: sorted(wd.git("for-each-ref", fmt, "refs/heads", cwd=wd.origin).split())
            for name, wd in self.repos.items()
        }

    def snapshot(self) -> dict[str, object]:
        """Refs (here and on every origin), statuses, index files, npm versions, journals."""
        git_dir = self.server.root / ".git" / "release"
        journals = sorted(str(p.relative_to(git_dir)) for p in git_dir.rglob("release/*.json"))
        journals += sorted(p.name for p in git_dir.glob("*.json"))
        return {
            **{name: wd.snapshot() for name, wd in self.repos.items()},
            "testpypi": self.pypi.testpypi.files(),
            "pypi": self.pypi.pypi.files(),
            "npm": self.npm.versions(self.npm_name),
            "journals": journals,
        }

    def journal(self, member: str, version: str) -> dict:
        root = self.server.root / ".git" / "release"
        if member != "server":
            root = root / "train" / member / ".git" / "release"
        return json.loads((root / f"{version}.json").read_text())

    def train_journal(self, version: str) -> dict:
        return json.loads(
            (self.server.root / ".git" / "release" / f"train-{version}.json").read_text()
        )


@pytest.fixture
def train(tmp_path, monkeypatch, pypi_server, npm_registry, webhook) -> Train:
    pytest.importorskip("hatchling", reason="scripts/install-test-deps.sh installs hatchling")
    need("npm")
    common = tail(pypi_server, npm_registry)

    client = make_workdir(tmp_path, "client-py")
    for key, value in client.env.items():
        if key.startswith("GIT_") or key in ("HOME", "XDG_CONFIG_HOME"):
            monkeypatch.setenv(key, value)
    scaffold(
        client,
        {
            "pyproject.toml": python_project("trainclient", [])
            + '[tool.release]\nchangelog = "CHANGELOG.md"\n\n'
            + '[[tool.release.packages]]\nname = "trainclient"\nkind = "python"\npath = "."\n'
            + 'version_files = ["pyproject.toml", "trainclient/__init__.py"]\n'
            + common,
            "trainclient/__init__.py": '"""The client."""\n\n__version__ = "0.0.0"\n',
            "README.md": "# trainclient\n\nThe client.\n",
        },
    )

    npm_name = npm_registry.unique("train-client-ts")
    ts = make_workdir(tmp_path, "client-ts")
    manifest = {"name": npm_name, "version": "0.0.0", "main": "index.js", "license": "MIT"}
    scaffold(
        ts,
        {
            "package.json": json.dumps(manifest, indent=2) + "\n",
            "index.js": "module.exports = {};\n",
            # a TypeScript repository has no pyproject.toml: its [tool.release] lives here
            "release.toml": '[tool.release]\nchangelog = "CHANGELOG.md"\n\n'
            + f'[[tool.release.packages]]\nname = "{npm_name}"\nkind = "npm"\npath = "."\n'
            + 'version_files = ["package.json"]\n'
            + common,
        },
    )

    wd = make_workdir(tmp_path, "server")
    scaffold(
        wd,
        {
            "pyproject.toml": python_project("trainserver", ["trainclient==0.0.0"])
            + '[tool.release]\nchangelog = "CHANGELOG.md"\n\n'
            + '[[tool.release.packages]]\nname = "trainserver"\nkind = "python"\npath = "."\n'
            + 'version_files = ["pyproject.toml", "trainserver/__init__.py"]\n'
            + 'pins = ["trainclient"]\n\n'
            + f'[[tool.release.train]]\nname = "client-py"\nurl = "{client.origin}"\n\n'
            + f'[[tool.release.train]]\nname = "client-ts"\nurl = "{ts.origin}"\n'
            + 'config = "release.toml"\n'
            + common,
            "trainserver/__init__.py": '"""The server."""\n\n__version__ = "0.0.0"\n',
            "README.md": "# trainserver\n\nThe server.\n",
            "tasks.py": "from release.tasks import ns  # noqa: F401\n",
        },
    )
    env = {
        "RELEASE_BUILD_ISOLATION": "0",
        **pypi_server.twine_env(),
        "NPM_TOKEN": npm_registry.token,
        # the only index pip is configured with is the empty PyPI role: the client's RC can
        # only come from the index the train saw it published to
        "PIP_INDEX_URL": pypi_server.pypi.simple_url,
        "DISCORD_ANNOUNCE_WEBHOOK": webhook.discord_url(17),
    }
    return Train(client, ts, Sandbox(wd), npm_name, env, pypi_server, npm_registry)


def released(res) -> str:
    return f"exit {res.returncode}\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"


def wheel_and_sdist(files: list[str], name: str, version: str) -> list[str]:
    return sorted(f for f in files if f.startswith(f"{name}-{version}"))


def test_a_minor_train_releases_every_member_with_one_version_clients_first(train, webhook):
    before = train.snapshot()
    dry = train.run("release.minor", "--dry-run")
    assert dry.returncode == 0, released(dry)
    assert "dry run of the train minor 0.1.0rc1 (3 repositories)" in dry.stdout
    assert train.snapshot() == before  # a dry run changes nothing anywhere

    res = train.run("release.minor", "--yes")
    assert res.returncode == 0, released(res)
    assert "released the train minor 0.1.0rc1 (3 repositories)" in res.stdout

    # one tag per repository, on its own origin, and its own release branch
    assert train.origin_tags() == {n: ["v0.1.0rc1"] for n in train.repos}
    assert train.origin_branches() == {n: ["main", "release-0.1.x"] for n in train.repos}
    files = train.pypi.testpypi.files()
    assert len(wheel_and_sdist(files, "trainclient", "0.1.0rc1")) == 2
    assert len(wheel_and_sdist(files, "trainserver", "0.1.0rc1")) == 2
    assert train.pypi.pypi.files() == []
    assert train.npm.versions(train.npm_name) == ["0.1.0-rc.1"]

    # the client was on the index before the server was built; the server's pin resolved there
    client = train.journal("client-py", "0.1.0rc1")
    server = train.journal("server", "0.1.0rc1")
    assert client["complete"] and server["complete"]
    published = client["steps"]["publish:trainclient"]["finished"]
    assert published <= server["steps"]["build:trainserver"]["started"]
    assert "configured index" in server["steps"]["build:trainserver"]["facts"]["smoke"]
    pin = train.server.file_at("v0.1.0rc1", "pyproject.toml")
    assert '"trainclient==0.1.0rc1"' in pin
    ts_manifest = json.loads(train.ts.git("show", "v0.1.0rc1:package.json", cwd=train.ts.origin))
    assert ts_manifest["version"] == "0.1.0-rc.1"

    # one train journal: the members, their order and state
    tj = train.train_journal("0.1.0rc1")
    assert tj["complete"] is True
    assert tj["train"]["order"] == ["client-py", "client-ts", "server"]
    assert {n: m["state"] for n, m in tj["members"].items()} == {
        "client-py": "complete",
        "client-ts": "complete",
        "server": "complete",
    }

    # one announcement, the server's, listing every member's artifacts
    assert client["steps"]["notify:announce"]["status"] == "skipped"
    posts = webhook.accepted()
    assert len(posts) == 1, [p.body for p in posts]
    text = json.dumps(posts[0].body)
    assert "client-py v0.1.0rc1: trainclient 0.1.0rc1 on TestPyPI" in text
    assert f"client-ts v0.1.0rc1: {train.npm_name}@0.1.0-rc.1 on npm" in text

    # the same command again: already released, nothing changes
    again = train.run("release.minor", "--yes")
    assert again.returncode == 0 and "already released" in again.stdout, released(again)
    assert train.origin_tags() == {n: ["v0.1.0rc1"] for n in train.repos}


def test_a_train_killed_in_several_members_resumes_to_one_tag_and_one_upload_each(train):
    kills = ["client-py/publish:trainclient", "client-ts/git:push", "server/git:tag"]
    for kill in kills:
        res = train.run("release.minor", "--yes", kill=kill)
        assert res.returncode == -9, f"{kill}: {released(res)}"
        tj = train.train_journal("0.1.0rc1")
        assert tj["complete"] is False
    tj = train.train_journal("0.1.0rc1")
    assert {n: m["state"] for n, m in tj["members"].items()} == {
        "client-py": "complete",
        "client-ts": "complete",
        "server": "running",
    }
    res = train.run("release.minor", "--yes")
    assert res.returncode == 0, released(res)
    assert "== client-py: v0.1.0rc1 is complete" in res.stdout

    assert train.origin_tags() == {n: ["v0.1.0rc1"] for n in train.repos}
    files = train.pypi.testpypi.files()
    assert len(wheel_and_sdist(files, "trainclient", "0.1.0rc1")) == 2
    assert len(wheel_and_sdist(files, "trainserver", "0.1.0rc1")) == 2
    assert len(files) == 4
    assert train.npm.versions(train.npm_name) == ["0.1.0-rc.1"]
    for member, step in (
        ("client-py", "publish:trainclient"),
        ("client-ts", f"publish:{train.npm_name}"),
        ("server", "publish:trainserver"),
        ("server", "git:push"),
    ):
        assert train.journal(member, "0.1.0rc1")["steps"][step]["attempts"] == 1, (member, step)
    tj = train.train_journal("0.1.0rc1")
    assert tj["complete"] is True
    assert {m["state"] for m in tj["members"].values()} == {"complete"}


def cut_line(wd: WorkDir, branch: bool = True) -> None:
    """0.1.0 made by hand: tagged on release-0.1.x (or on main only), a fix on the branch, and
    main moved on after it, so that a patch made from main would show."""
    if branch:
        wd.git("switch", "-q", "-c", "release-0.1.x")
    wd.tag("v0.1.0")
    if branch:
        wd.commit("fix: the fix of 0.1.1 (#3)")
        wd.git("push", "-q", "origin", "release-0.1.x")
        wd.git("switch", "-q", "main")
    wd.commit("feat: what goes into 0.2.0 (#4)")
    wd.git("push", "-q", "origin", "main", "v0.1.0")


def test_a_patch_train_is_made_from_each_members_release_branch_never_main(train):
    for wd in train.repos.values():
        cut_line(wd)
    train.server.wd.git("switch", "-q", "release-0.1.x")
    tips = {n: wd.git("rev-parse", "release-0.1.x", cwd=wd.origin) for n, wd in train.repos.items()}
    mains = {n: wd.git("rev-parse", "main", cwd=wd.origin) for n, wd in train.repos.items()}

    res = train.run("release.patch", "--yes")
    assert res.returncode == 0, released(res)
    assert train.origin_tags() == {n: ["v0.1.0", "v0.1.1"] for n in train.repos}
    for name, wd in train.repos.items():
        tagged = wd.git("rev-parse", "v0.1.1^{commit}", cwd=wd.origin)
        assert wd.git("rev-parse", f"{tagged}^", cwd=wd.origin) == tips[name], name
        assert wd.git("rev-parse", "release-0.1.x", cwd=wd.origin) == tagged, name
        # main moved by one commit only: the 0.1.1 section of CHANGELOG.md (git:changelog-main)
        main = wd.git("rev-parse", "main", cwd=wd.origin)
        assert wd.git("rev-parse", f"{main}^", cwd=wd.origin) == mains[name], name
        changed = wd.git("diff", "--name-only", mains[name], main, cwd=wd.origin).split()
        assert changed == ["CHANGELOG.md"], name
        history = wd.git("log", "--format=%s", "v0.1.1", cwd=wd.origin)
        assert "what goes into 0.2.0" not in history, name
    # finals go to the PyPI role; the server's pin resolved there
    assert len(wheel_and_sdist(train.pypi.pypi.files(), "trainclient", "0.1.1")) == 2
    assert len(wheel_and_sdist(train.pypi.pypi.files(), "trainserver", "0.1.1")) == 2
    assert train.npm.versions(train.npm_name) == ["0.1.1"]
    assert train.train_journal("0.1.1")["train"]["line"] == "0.1"


def refused_lines(res) -> list[str]:
    return [ln[len("refused: ") :] for ln in res.stdout.splitlines() if ln.startswith("refused: ")]


def test_a_member_that_already_has_the_tag_is_refused_and_nothing_changes(train):
    train.client.tag("v0.1.0rc1")
    train.client.git("push", "-q", "origin", "v0.1.0rc1")
    before = train.snapshot()
    res = train.run("release.minor", "--yes")
    assert res.returncode == 3, released(res)
    assert refused_lines(res) == [
        "client-py: its next minor is 0.1.0rc2, the train's is 0.1.0rc1 "
        "(tag v0.1.0rc1 exists there)"
    ]
    assert train.snapshot() == before


def test_members_whose_next_version_disagrees_are_refused_one_line_each(train):
    for wd in (train.client, train.ts):
        wd.tag("v0.1.0")
        wd.git("push", "-q", "origin", "v0.1.0")
    before = train.snapshot()
    res = train.run("release.minor", "--yes")
    assert res.returncode == 3, released(res)
    assert refused_lines(res) == [
        "client-py: its next minor is 0.2.0rc1, the train's is 0.1.0rc1",
        "client-ts: its next minor is 0.2.0rc1, the train's is 0.1.0rc1",
    ]
    assert "train minor 0.1.0rc1 not ready" in res.stderr
    assert train.snapshot() == before


def test_a_patch_train_refuses_a_member_without_its_release_branch(train):
    cut_line(train.client)
    cut_line(train.ts, branch=False)
    cut_line(train.server.wd)
    train.server.wd.git("switch", "-q", "release-0.1.x")
    before = train.snapshot()
    res = train.run("release.patch", "--yes")
    assert res.returncode == 3, released(res)
    assert refused_lines(res) == [
        "client-ts: has no release-0.1.x, here or on its remote; a patch of the train is made "
        "from release-0.1.x, never from main (push release-0.1.x there first)"
    ]
    assert train.snapshot() == before
    checkout = train.server.root / ".git" / "release" / "train" / "client-ts"
    assert train.ts.git("symbolic-ref", "--short", "HEAD", cwd=checkout) == "main"
    assert not list((checkout / ".git").glob("release/*.json"))


def git_only(wd: WorkDir, name: str, extra: str = "") -> None:
    scaffold(
        wd,
        {
            "pyproject.toml": PYPROJECT.replace("demo-client", name) + extra,
            "demo_client/__init__.py": '"""Demo."""\n\n__version__ = "0.0.0"\n',
        },
    )


def test_a_member_given_by_path_is_released_in_that_checkout_never_switched(tmp_path, monkeypatch):
    """`path = "../client"`: the train uses the existing checkout (git-only members here): the
    release is made there, its branch is not switched, no clone is made."""
    client = make_workdir(tmp_path, "client")
    for key, value in client.env.items():
        if key.startswith("GIT_") or key in ("HOME", "XDG_CONFIG_HOME"):
            monkeypatch.setenv(key, value)
    git_only(client, "client")
    server = make_workdir(tmp_path, "server")
    git_only(server, "server", '\n[[tool.release.train]]\nname = "client"\npath = "../client"\n')
    res = Sandbox(server).run("release.minor", "--yes")
    assert res.returncode == 0, released(res)
    for wd in (client, server):
        assert wd.git("tag", "--list", cwd=wd.origin).split() == ["v0.1.0rc1"]
        assert wd.branch() == "main"
    assert client.git("rev-parse", "release-0.1.x") == client.git("rev-parse", "v0.1.0rc1^{}")
    assert not (server.root / ".git" / "release" / "train").exists()
    journal = json.loads((server.root / ".git" / "release" / "train-0.1.0rc1.json").read_text())
    assert journal["members"]["client"]["checkout"] == str(client.root)
    assert journal["complete"] is True


def test_a_whole_cycle_minor_rc_final_patch_with_a_github_release_per_repository(
    train, github, tmp_path
):
    """minor -> rc -> final -> patch of the train, each repository with its own GitHub
    repository on the stand-in (its milestone, its releases). One version everywhere at every
    step; the client served before the server is built; `pip --isolated` resolves the server's
    pin from the index alone; npm dist-tags as the policy says (rc while testing, then latest,
    the rc tag retired); each repository's main receives the released CHANGELOG.md sections."""
    import time

    day, t0 = 86400, int(time.time()) // 60 * 60
    full = {"client-py": "acme/client-py", "client-ts": "acme/client-ts", "server": "acme/server"}
    for name, wd in train.repos.items():
        github.add_repo(full[name])
        github.add_milestone(full[name], "0.1.0")
        cfg = "release.toml" if name == "client-ts" else "pyproject.toml"
        text = (
            (wd.root / cfg)
            .read_text()
            .replace(
                "[tool.release]\n",
                f'[tool.release]\ngithub_repo = "{full[name]}"\ngithub_api = "{github.url}"\n',
                1,
            )
        )
        wd.write(cfg, text)
        wd.write(".github/CODEOWNERS", "*  @release-bot owner@example.com\n")
        wd.git("add", "-A")
        wd.git("commit", "-q", "-m", "build: GitHub")
        wd.git("push", "-q", "origin", "main")
    train.env["GITHUB_TOKEN"] = github.token

    def step(at: int, *args: str) -> None:
        env = dict(train.env, RELEASE_NOW=str(at))
        res = train.server.run(*args, "--yes", env=env)
        assert res.returncode == 0, released(res)

    step(t0, "release.minor")
    assert train.npm.dist_tags(train.npm_name).get("rc") == "0.1.0-rc.1"
    train.server.wd.git("switch", "-q", "release-0.1.x")
    step(t0 + 3600, "release.rc", "--allow-empty")
    step(t0 + 8 * day, "release.final")
    step(t0 + 9 * day, "release.patch", "--allow-empty")

    tags = ["v0.1.0", "v0.1.0rc1", "v0.1.0rc2", "v0.1.1"]
    assert train.origin_tags() == dict.fromkeys(train.repos, tags)
    for name in train.repos:
        rels = {r["tag_name"]: r["prerelease"] for r in github.releases(full[name])}
        assert rels == {"v0.1.0rc1": True, "v0.1.0rc2": True, "v0.1.0": False, "v0.1.1": False}
        ms = {m["title"]: m["state"] for m in github.state.repo(full[name]).milestones.values()}
        assert ms == {"0.1.0": "closed", "0.2.0": "open"}, name
    assert train.npm.versions(train.npm_name) == ["0.1.0", "0.1.0-rc.1", "0.1.0-rc.2", "0.1.1"]
    assert train.npm.dist_tags(train.npm_name) == {"latest": "0.1.1"}  # rc retired, latest moved
    for dist in ("trainclient", "trainserver"):
        assert len(wheel_and_sdist(train.pypi.pypi.files(), dist, "0.1.1")) == 2
        assert len(wheel_and_sdist(train.pypi.testpypi.files(), dist, "0.1.0rc2")) == 2
    client = train.journal("client-py", "0.1.1")
    server = train.journal("server", "0.1.1")
    assert (
        client["steps"]["publish:trainclient"]["finished"]
        <= (server["steps"]["build:trainserver"]["started"])
    )
    # the server's pin resolves from the index alone, nothing else configured
    import subprocess
    import sys

    got = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--isolated",
            "download",
            "--quiet",
            "--no-cache-dir",
            "--index-url",
            train.pypi.pypi.simple_url,
            "--dest",
            str(tmp_path / "dl"),
            "trainserver==0.1.1",
        ],
        capture_output=True,
        text=True,
    )
    assert got.returncode == 0, got.stdout + got.stderr
    names = sorted(p.name.split("-")[0] for p in (tmp_path / "dl").iterdir())
    assert names == ["trainclient", "trainserver"]
    # main of every repository holds the released sections of 0.1.0 and 0.1.1
    for name, wd in train.repos.items():
        log = wd.git("show", "main:CHANGELOG.md", cwd=wd.origin)
        assert "## [0.1.1]" in log and "## [0.1.0]" in log and "0.1.0rc" not in log, name


# The steps of the publishing members the git-only kill matrix (test_train_git.py) has no
# counterpart for: each build, pack and upload of every member.
PUBLISHING = [
    "client-py/build:trainclient",
    "client-py/publish:trainclient",
    "client-ts/pack:{npm}",
    "client-ts/publish:{npm}",
    "server/build:trainserver",
    "server/publish:trainserver",
]


@pytest.mark.parametrize("kill", PUBLISHING)
def test_a_kill_after_a_build_or_upload_of_any_member_resumes_to_one_of_everything(train, kill):
    kill = kill.format(npm=train.npm_name)
    res = train.run("release.minor", "--yes", kill=kill)
    assert res.returncode == -9, f"{kill}: {released(res)}"
    res = train.run("release.minor", "--yes")
    assert res.returncode == 0, released(res)
    assert train.origin_tags() == {n: ["v0.1.0rc1"] for n in train.repos}
    files = train.pypi.testpypi.files()
    assert len(wheel_and_sdist(files, "trainclient", "0.1.0rc1")) == 2
    assert len(wheel_and_sdist(files, "trainserver", "0.1.0rc1")) == 2
    assert len(files) == 4  # one upload per file
    assert train.npm.versions(train.npm_name) == ["0.1.0-rc.1"]
    for member, step in (
        ("client-py", "publish:trainclient"),
        ("client-ts", f"publish:{train.npm_name}"),
        ("server", "publish:trainserver"),
    ):
        assert train.journal(member, "0.1.0rc1")["steps"][step]["attempts"] == 1, (member, step)
    assert train.train_journal("0.1.0rc1")["complete"] is True
