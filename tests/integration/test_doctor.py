"""`release.doctor` against real services: a git repository with a bare origin, the GitHub
stand-in, the two pypiservers (PyPI and TestPyPI roles), Verdaccio, a docker-registry and a
Discord-like webhook receiver that answers GETs as Discord does.

An all-good project gets every row `ok` and exit 0; each broken thing gets its row, its advice
and exit 3 (a warning alone exits 0); every run changes nothing: refs here and on origin, the
git index file, the indexes, the npm registry, the Docker registry, GitHub (GETs only) and the
webhooks (no post).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.fixtures import docker_registry as dk
from tests.fixtures import npm_registry as nr
from tests.fixtures import webhook as wh
from tests.fixtures.gitrepo import make_workdir
from tests.fixtures.procs import free_port, serve_in_thread, stop
from tests.fixtures.sandbox import Sandbox

pytestmark = pytest.mark.integration

NOW = 1768478400  # 2026-01-15T12:00:00Z, the stand-in's clock
DAY = 86400
RELEASES_ENV = "DOCTOR_RELEASES_WEBHOOK"
ANNOUNCE_ENV = "DOCTOR_ANNOUNCE_WEBHOOK"

RELEASE_YML = """\
name: Release
run-name: Release ${{ inputs.version }}
on:
  workflow_dispatch:
    inputs:
      version: {required: true, type: string}
      kind: {required: true, type: string}
      dry: {required: false, type: boolean, default: false}
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: echo "releasing ${{ inputs.version }} (${{ inputs.kind }})"
"""

NOXFILE = """\
import nox


@nox.session(python=False, tags=["patch", "minor", "major"])
def tests(session):
    session.run("true")


@nox.session(python=False, tags=["minor", "major"])
def docs(session):
    session.run("true")
"""


def utc(ts: int) -> str:
    """GitHub's github-authentication-token-expiration text."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


# ---- a Discord that answers GETs ---------------------------------------------------------------


def _discord_handler(rx: wh.Receiver) -> type:
    class Handler(wh._handler(rx)):  # type: ignore[misc]
        def do_GET(self) -> None:
            rx.gets.append(self.path)  # type: ignore[attr-defined]
            m = re.fullmatch(r"/api/webhooks/(\d+)/([^/?]+)", urllib.parse.urlsplit(self.path).path)
            if m is None:
                return self._send(404, {"message": "404: Not Found", "code": 0})
            if m.group(2) != rx.token:
                return self._send(401, {"message": "Invalid Webhook Token", "code": 50027})
            return self._send(
                200,
                {
                    "application_id": None,
                    "avatar": None,
                    "channel_id": "99",
                    "guild_id": "1",
                    "id": m.group(1),
                    "name": f"release bot {m.group(1)}",
                    "type": 1,
                    "token": rx.token,
                },
            )

    return Handler


@pytest.fixture
def discord():
    """The webhook receiver, plus Discord's GET of a webhook (its metadata; nothing posted)."""
    rx = wh.Receiver()
    rx.gets = []  # type: ignore[attr-defined]
    server = ThreadingHTTPServer((rx.host, 0), _discord_handler(rx))
    rx.port = server.server_address[1]
    halt = serve_in_thread(server, "discord-receiver")
    try:
        yield rx
    finally:
        halt()


@pytest.fixture(scope="session")
def doctor_registry(tmp_path_factory) -> str:
    """A docker-registry (no daemon needed: the doctor only reads its HTTP API): host:port."""
    need("docker-registry", "the doctor's Docker check reads a registry")
    root = tmp_path_factory.mktemp("doctor-registry")
    port = free_port()
    config, log = dk.registry_config(root, port)
    proc = dk.start_registry(config, f"127.0.0.1:{port}", log)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop(proc)


# ---- the project ---------------------------------------------------------------------------------


class Project:
    def __init__(self, sb: Sandbox, github: Any, pypi: Any, npm: Any, registry: str, hook: Any):
        self.sb, self.github, self.pypi, self.npm = sb, github, pypi, npm
        self.registry, self.hook = registry, hook
        self.wd = sb.wd

    def doctor(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return self.sb.run("release.doctor", *args, env=env)

    def report(self, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        res = self.doctor("--json", env=env)
        assert "Traceback" not in res.stderr, res.stderr
        data = json.loads(res.stdout)
        return res.returncode, data

    def state(self) -> dict[str, Any]:
        """Everything the doctor could have changed."""
        git = self.wd.git
        fmt = "--format=%(refname) %(objectname)"
        with urllib.request.urlopen(f"http://{self.registry}/v2/_catalog", timeout=10) as resp:
            catalog = json.loads(resp.read())
        return {
            "refs": git("for-each-ref", fmt),
            "origin": git("for-each-ref", fmt, cwd=self.wd.origin),
            "index file": (self.wd.root / ".git" / "index").read_bytes(),
            "config": (self.wd.root / ".git" / "config").read_bytes(),
            "pypi": self.pypi.pypi.files(),
            "testpypi": self.pypi.testpypi.files(),
            "npm": self.npm.versions(self.npm_name),
            "registry": catalog,
            "github": self.github.snapshot(),
            "github refs": dict(self.github.state.repo(self.github.repo).refs),
            "posts": list(self.hook.posts),
        }

    def assert_nothing_changed(self, before: dict[str, Any]) -> None:
        after = self.state()
        assert after == before
        writes = [(m, p) for m, p in self.github.requests if m not in ("GET", "HEAD")]
        assert writes == [], writes
        assert not self.hook.posts


def row(data: dict[str, Any], name: str) -> dict[str, Any]:
    found = [c for c in data["checks"] if c["name"] == name]
    assert found, f"no row {name!r} in {[c['name'] for c in data['checks']]}"
    return found[0]


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in data["checks"]}


@pytest.fixture
def project(tmp_path, github, pypi_server, npm_registry, doctor_registry, discord) -> Project:
    """A project using every service, each of them set up right."""
    wd = make_workdir(tmp_path)
    npm_name = npm_registry.unique("doctor-client")
    image = f"doctor-{tmp_path.name[-12:].lower().replace('_', '-')}/app"
    repos = pypi_server.repositories()
    table = [
        "[project]",
        'name = "doctor-demo"',
        'version = "0.0.0"',
        "",
        "[tool.release]",
        'changelog = "CHANGELOG.md"',
        f'github_repo = "{github.repo}"',
        f'github_api = "{github.url}"',
        'changelog_to_main = "pr"',
        "",
        "[tool.release.tests]",
        'evidence = "nox"',
        "",
        "[tool.release.repositories]",
        *[f'{k} = "{v}"' for k, v in repos.items()],
        f'npm_registry = "{npm_registry.url}"',
        f'docker_registry = "{doctor_registry}"',
        "",
        "[tool.release.notify.releases]",
        'kind = "discord"',
        f'url_env = "{RELEASES_ENV}"',
        "forum = true",
        "",
        "[tool.release.notify.announcements]",
        'kind = "discord"',
        f'url_env = "{ANNOUNCE_ENV}"',
        "",
        "[[tool.release.packages]]",
        'name = "doctor-client"',
        'kind = "python"',
        'path = "client"',
        'version_files = ["pyproject.toml"]',
        "",
        "[[tool.release.packages]]",
        f'name = "{npm_name}"',
        'kind = "npm"',
        'path = "js"',
        'version_files = ["package.json"]',
        "",
        "[[tool.release.packages]]",
        'name = "doctor-image"',
        'kind = "docker"',
        'path = "image"',
        f'image = "{image}"',
        "",
        "[[tool.release.workflows]]",
        'file = "release.yml"',
        'inputs = {version = "{version}", kind = "{kind}"}',
    ]
    wd.write("pyproject.toml", "\n".join(table) + "\n")
    wd.write(
        "client/pyproject.toml",
        '[project]\nname = "doctor-client"\nversion = "0.0.0"\n',
    )
    wd.write("js/package.json", json.dumps({"name": npm_name, "version": "0.0.0"}) + "\n")
    wd.write("image/Dockerfile", "FROM busybox\n")
    wd.write("noxfile.py", NOXFILE)
    wd.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n")
    wd.write(".github/CODEOWNERS", "*  @release-bot owner@example.com\n")
    wd.write(".github/workflows/release.yml", RELEASE_YML)
    wd.git("add", "-A")
    wd.git("commit", "-q", "-m", "chore: scaffold")
    wd.git("push", "-q", "-u", "origin", "main")
    github.add_ref("refs/heads/main", wd.head())
    github.add_file(".github/workflows/release.yml", RELEASE_YML)
    github.add_workflow("release.yml", "Release")
    github.set_token(expiration=utc(NOW + 90 * DAY))
    sb = Sandbox(wd)
    sb.env.update(pypi_server.twine_env())
    sb.env.update(npm_registry.env)
    sb.env.update(
        {
            "GITHUB_TOKEN": github.token,
            "NPM_TOKEN": npm_registry.token,
            RELEASES_ENV: discord.discord_url(1),
            ANNOUNCE_ENV: discord.discord_url(2),
            "RELEASE_NOW": str(NOW),
        }
    )
    for key in ("GH_TOKEN", "DOCKER_USERNAME", "DOCKER_PASSWORD", "GITHUB_ACTIONS"):
        sb.env.pop(key, None)
    p = Project(sb, github, pypi_server, npm_registry, doctor_registry, discord)
    p.npm_name = npm_name  # type: ignore[attr-defined]
    return p


def set_config(p: Project, old: str, new: str) -> None:
    text = (p.wd.root / "pyproject.toml").read_text()
    assert old in text, old
    p.wd.commit("build: adjust [tool.release]", path="pyproject.toml", text=text.replace(old, new))
    p.wd.git("push", "-q", "origin", "main")
    p.github.add_ref("refs/heads/main", p.wd.head())


# ---- the all-good project ----------------------------------------------------------------------


def test_an_all_good_project_gets_every_row_ok_exit_0_and_nothing_changes(project):
    p = project
    before = p.state()
    code, data = p.report()
    assert code == 0, data
    assert data["schema"] == "release.doctor/1"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", data["checked_at"])
    assert data["checked_at"] == "2026-01-15T12:00:00Z"
    assert data["ok"] is True
    assert {c["status"] for c in data["checks"]} == {"ok"}, [
        (c["name"], c["status"], c["detail"]) for c in data["checks"] if c["status"] != "ok"
    ]
    names = [c["name"] for c in data["checks"]]
    assert names == [
        "configuration",
        "remote origin",
        "git identity",
        "CODEOWNERS",
        "version files",
        "nox sessions",
        "GitHub token",
        "GitHub access",
        "protection main",
        "protection release-{major}.{minor}.x",
        "workflow release.yml",
        "PyPI credentials",
        "TestPyPI credentials",
        "npm login",
        f"npm {p.npm_name}",
        f"docker registry {p.registry}",
        "webhook #releases",
        "webhook #announcements",
    ]
    token = row(data, "GitHub token")
    assert "acts as release-bot" in token["detail"] and "in 90 day(s)" in token["detail"]
    assert token["data"]["expires_at"] == "2026-04-15T12:00:00Z"
    assert "scopes: repo, workflow" in token["detail"]
    assert "refs/release/doctor/" in row(data, "remote origin")["detail"]
    assert "accepts TWINE_USERNAME / TWINE_PASSWORD" in row(data, "TestPyPI credentials")["detail"]
    assert "logged in as releaser" in row(data, "npm login")["detail"]
    assert "release bot 1" in row(data, "webhook #releases")["detail"]
    assert row(data, "version files")["detail"] == "2 version file(s) hold a version on main"
    assert row(data, "nox sessions")["detail"] == (
        "patch: tests; minor: tests, docs; major: tests, docs"
    )
    assert row(data, "CODEOWNERS")["detail"] == (
        "release-bot is listed in .github/CODEOWNERS on main (the GitHub token's login)"
    )
    # the table, and no secret anywhere
    res = p.doctor()
    assert res.returncode == 0, res.stdout + res.stderr
    assert "release.doctor" in res.stdout and "18 ok, 0 warning(s), 0 problem(s)" in res.stdout
    for secret in (p.github.token, p.npm.token, p.hook.token, p.pypi.pypi.password):
        assert secret not in res.stdout + res.stderr + json.dumps(data)
    # what was asked, and that nothing changed anywhere
    assert len(p.hook.gets) == 4  # two channels, two runs: GETs, never a post
    assert p.github.count("GET", r"/branches/main/protection$") == 2
    assert p.github.count("GET", r"/contents/\.github/workflows/release\.yml$") == 2
    p.assert_nothing_changed(before)


# ---- one case per problem ------------------------------------------------------------------------


def test_an_expired_token_is_a_problem_and_the_other_rows_still_run(project):
    p = project
    p.github.set_token(expired=True)  # GitHub answers 401 Bad credentials to an expired token
    before = p.state()
    code, data = p.report()
    assert code == 3
    token = row(data, "GitHub token")
    assert token["status"] == "problem"
    assert "GitHub refused GITHUB_TOKEN (401 Bad credentials)" in token["detail"]
    assert "expired, revoked or mistyped" in token["detail"]
    assert "create a new token" in token["advice"] and "GITHUB_TOKEN" in token["advice"]
    assert [c["name"] for c in data["checks"] if c["status"] == "problem"] == ["GitHub token"]
    assert statuses(data)["remote origin"] == "ok" and statuses(data)["npm login"] == "ok"
    p.assert_nothing_changed(before)
    res = p.doctor()
    assert res.returncode == 3
    assert "error: release not ready: GitHub token" in res.stderr


def test_a_token_expiring_in_5_days_is_a_warning_and_exits_0(project):
    p = project
    p.github.set_token(expiration=utc(NOW + 5 * DAY + 3600))
    before = p.state()
    code, data = p.report()
    assert code == 0, data
    token = row(data, "GitHub token")
    assert token["status"] == "warning"
    assert "expires 2026-01-20T13:00:00Z (in 5 day(s))" in token["detail"]
    assert token["advice"].startswith("renew it before the release")
    assert data["counts"] == {"ok": 17, "warning": 1, "problem": 0}
    p.assert_nothing_changed(before)


def test_a_token_without_push_is_a_problem(project):
    p = project
    p.github.set_token(permissions={"admin": False, "push": False, "pull": True})
    before = p.state()
    code, data = p.report()
    assert code == 3
    access = row(data, "GitHub access")
    assert access["status"] == "problem"
    assert f"the token cannot push to {p.github.repo} (permissions: pull)" in access["detail"]
    assert "no tags, GitHub releases" in access["detail"]
    assert "use a token of a maintainer" in access["advice"]
    # reading branch protection needs admin: said, not guessed (releases do not push to main)
    assert "cannot read its protection" in row(data, "protection main")["detail"]
    p.assert_nothing_changed(before)


def test_a_protected_main_with_dev_bump_on_main_is_a_problem(project):
    p = project
    p.github.protect_branch("main", required_reviews=1, enforce_admins=True)
    # a release branch on origin, protected without rules against pushes: fine
    p.wd.git("push", "-q", "origin", "main:release-0.1.x")
    p.github.protect_branch("release-0.1.x")
    code, data = p.report()
    assert code == 0, data  # dev_bump_on_main = false, changelog_to_main = "pr": no push to main
    assert "releases do not push to it" in row(data, "protection main")["detail"]
    assert row(data, "protection release-0.1.x")["status"] == "ok"
    assert "direct pushes allowed" in row(data, "protection release-0.1.x")["detail"]

    set_config(
        p, 'changelog = "CHANGELOG.md"', 'changelog = "CHANGELOG.md"\ndev_bump_on_main = true'
    )
    before = p.state()
    code, data = p.report()
    assert code == 3
    main = row(data, "protection main")
    assert main["status"] == "problem"
    assert "pull request reviews required (1 approval(s))" in main["detail"]
    assert "dev_bump_on_main = true pushes the dev bump to it" in main["detail"]
    assert "dev_bump_on_main = false" in main["advice"]
    p.assert_nothing_changed(before)
    # the default forward-port of CHANGELOG.md sections pushes to main too: refused, it opens
    # a pull request instead, so a warning
    set_config(p, 'changelog_to_main = "pr"\n', "")
    set_config(p, "dev_bump_on_main = true", "dev_bump_on_main = false")
    code, data = p.report()
    assert code == 0
    main = row(data, "protection main")
    assert main["status"] == "warning"
    assert 'changelog_to_main = "push" pushes each final' in main["detail"]
    assert 'set changelog_to_main = "pr"' in main["advice"]


def test_a_workflow_missing_on_the_default_branch_and_one_without_our_input(project):
    p = project
    narrow = RELEASE_YML.replace("      kind: {required: true, type: string}\n", "")
    p.github.add_file(".github/workflows/release.yml", narrow)
    p.github.add_file(".github/workflows/publish.yml", RELEASE_YML, ref="feature")  # not main
    set_config(
        p,
        'inputs = {version = "{version}", kind = "{kind}"}',
        'inputs = {version = "{version}", kind = "{kind}"}\n\n'
        '[[tool.release.workflows]]\nfile = "publish.yml"\ninputs = {version = "{version}"}',
    )
    before = p.state()
    code, data = p.report()
    assert code == 3
    release = row(data, "workflow release.yml")
    assert release["status"] == "problem"
    assert "sends input(s) kind that release.yml does not declare" in release["detail"]
    assert "422" in release["detail"]
    assert "on.workflow_dispatch.inputs" in release["advice"]
    publish = row(data, "workflow publish.yml")
    assert publish["status"] == "problem"
    assert ".github/workflows/publish.yml does not exist on main" in publish["detail"]
    assert "merge .github/workflows/publish.yml into main" in publish["advice"]
    p.assert_nothing_changed(before)


def test_a_wrong_testpypi_password_is_found_without_uploading(project):
    p = project
    test = p.pypi.testpypi
    env = {"TWINE_USERNAME_TESTPYPI": test.own_username, "TWINE_PASSWORD_TESTPYPI": "wrong-4711"}
    before = p.state()
    code, data = p.report(env=env)
    assert code == 3
    tp = row(data, "TestPyPI credentials")
    assert tp["status"] == "problem"
    assert "TestPyPI refused the credentials" in tp["detail"]
    assert "TWINE_USERNAME_TESTPYPI / TWINE_PASSWORD_TESTPYPI" in tp["detail"]
    assert f"as {test.own_username}" in tp["detail"] and "HTTP 403" in tp["detail"]
    assert tp["advice"] == (
        "TestPyPI refused the credentials from TWINE_USERNAME_TESTPYPI / "
        "TWINE_PASSWORD_TESTPYPI; correct TWINE_PASSWORD_TESTPYPI"
    )
    assert row(data, "PyPI credentials")["status"] == "ok"  # finals: TWINE_USERNAME/PASSWORD
    assert "wrong-4711" not in json.dumps(data)
    p.assert_nothing_changed(before)  # nothing uploaded to either index
    # and the right per-index credentials pass
    env["TWINE_PASSWORD_TESTPYPI"] = test.own_password
    code, data = p.report(env=env)
    assert code == 0 and row(data, "TestPyPI credentials")["status"] == "ok"


def test_npm_whoami_failing_is_a_problem(project):
    p = project
    before = p.state()
    code, data = p.report(env={"NPM_TOKEN": "not-a-token-of-this-registry"})
    assert code == 3
    login = row(data, "npm login")
    assert login["status"] == "problem"
    assert f"npm whoami on {p.npm.url} failed" in login["detail"]
    assert "set NPM_TOKEN to a token of the publishing user" in login["advice"]
    p.assert_nothing_changed(before)


def test_npm_token_of_another_user_on_verdaccio_cannot_be_told_apart(project, tmp_path):
    """Verdaccio lets every logged-in user publish (`publish: $authenticated`) and shows no
    owners (no collaborators API, no maintainers): the doctor says so, as a warning."""
    p = project
    pkg = tmp_path / "pub"
    pkg.mkdir()
    (pkg / "package.json").write_text(json.dumps({"name": p.npm_name, "version": "0.0.1"}))
    p.npm.npm("publish", cwd=pkg)
    other = nr.add_user(p.npm.url, "someone-else", "pw-" + p.npm_name)
    before = p.state()
    code, data = p.report(env={"NPM_TOKEN": other})
    assert code == 0, data
    assert "logged in as someone-else" in row(data, "npm login")["detail"]
    pkg_row = row(data, f"npm {p.npm_name}")
    assert pkg_row["status"] == "warning"
    assert "does not say who may publish" in pkg_row["detail"]
    assert "Verdaccio" in pkg_row["advice"]
    assert other not in json.dumps(data)
    p.assert_nothing_changed(before)


def test_a_webhook_variable_unset_is_a_problem(project):
    p = project
    before = p.state()
    res = p.sb.run("release.doctor", "--json", env={ANNOUNCE_ENV: ""})
    data = json.loads(res.stdout)
    assert res.returncode == 3
    hook = row(data, "webhook #announcements")
    assert hook["status"] == "problem"
    assert f"{ANNOUNCE_ENV} is not set" in hook["detail"]
    assert hook["advice"].startswith(f"export {ANNOUNCE_ENV}=")
    assert row(data, "webhook #releases")["status"] == "ok"
    # a Discord webhook that was deleted (the token no longer valid): found with a GET
    gone = p.hook.discord_url(1).rsplit("/", 1)[0] + "/" + "x" * 68
    code, data = p.report(env={RELEASES_ENV: gone})
    assert code == 3
    assert "does not exist (HTTP 401)" in row(data, "webhook #releases")["detail"]
    p.assert_nothing_changed(before)


def test_an_unreachable_remote_is_a_problem_and_the_other_rows_are_still_there(project):
    p = project
    p.wd.git("remote", "set-url", "origin", str(p.wd.root.parent / "no-such-origin.git"))
    before = p.state()
    code, data = p.report()
    assert code == 3
    remote = row(data, "remote origin")
    assert remote["status"] == "problem"
    assert "a push to origin would fail" in remote["detail"]
    assert "does not appear to be a git repository" in remote["detail"]
    assert "git remote get-url origin" in remote["advice"]
    assert [c["name"] for c in data["checks"] if c["status"] == "problem"] == ["remote origin"]
    assert len(data["checks"]) == 18  # every other check still ran
    assert row(data, "protection release-{major}.{minor}.x")["status"] == "warning"
    p.assert_nothing_changed(before)


def test_a_broken_configuration_is_one_problem_row(project):
    p = project
    set_config(p, 'evidence = "nox"', 'evidence = "sometimes"')
    before = p.state()
    code, data = p.report()
    assert code == 3
    cfg = row(data, "configuration")
    assert cfg["status"] == "problem" and "evidence" in cfg["detail"]
    assert statuses(data)["remote origin"] == "ok" and statuses(data)["git identity"] == "ok"
    p.assert_nothing_changed(before)


def test_a_release_type_whose_nox_tag_no_session_carries_is_a_problem(project):
    """`major` is configured to run the `benchmarks` tag; no session of the noxfile has it."""
    p = project
    set_config(p, 'evidence = "nox"', 'evidence = "nox"\nmajor = ["major", "benchmarks"]')
    before = p.state()
    code, data = p.report()
    assert code == 3
    nox = row(data, "nox sessions")
    assert nox["status"] == "problem"
    assert "no nox session carries the tag 'benchmarks' (major)" in nox["detail"]
    assert nox["data"]["missing"] == ["benchmarks"]
    assert [c["name"] for c in data["checks"] if c["status"] != "ok"] == ["nox sessions"]
    p.assert_nothing_changed(before)
    # no noxfile at all: one problem row too, and still nothing made (no .nox, no venv)
    p.wd.git("rm", "-q", "noxfile.py")
    p.wd.git("commit", "-q", "-m", "chore: drop the noxfile")
    before = p.state()
    code, data = p.report()
    assert code == 3
    assert row(data, "nox sessions")["detail"].startswith("no noxfile.py in ")
    assert not (p.wd.root / ".nox").exists()
    p.assert_nothing_changed(before)


def test_a_version_file_broken_on_a_release_branch_is_a_problem(project):
    """Patches start from the release branch: its version files are read there, from git."""
    p = project
    p.wd.git("checkout", "-q", "-b", "release-0.1.x")
    p.wd.commit("chore: break the client", path="client/pyproject.toml", text="[project]\n")
    p.wd.git("push", "-q", "-u", "origin", "release-0.1.x")
    p.wd.git("checkout", "-q", "main")
    before = p.state()
    code, data = p.report()
    assert code == 3
    files = row(data, "version files")
    assert files["status"] == "problem"
    assert files["detail"] == "client/pyproject.toml has no [project].version (on release-0.1.x)"
    assert statuses(data)["nox sessions"] == "ok"
    p.assert_nothing_changed(before)


def test_the_dry_run_push_really_talks_to_the_remote_and_leaves_no_ref(project):
    """The scratch ref of the dry run is on neither side afterwards, and a remote that refuses
    pushes is caught (a pre-receive hook does not run in a dry run, a missing repository does)."""
    p = project
    code, data = p.report()
    assert code == 0
    ref = re.search(r"refs/release/doctor/[0-9a-f]+", row(data, "remote origin")["detail"])
    assert ref is not None
    for where in (p.wd.root, p.wd.origin):
        assert p.wd.git("for-each-ref", "refs/release", cwd=Path(where)) == ""
