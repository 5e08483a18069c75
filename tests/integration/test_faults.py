"""Each remote failing once at its step, with the real services of the full stack.

The demo project (tests/fixtures/stack.py: two Python packages, an npm package, a Docker image, the
GitHub stand-in, Discord webhooks) is released with `python -m release release.minor --yes` while
one service fails once at the step that uses it:

    PyPI 500 on upload             a proxy in front of pypiserver answers the first upload 500
                                   (once without storing, once after pypiserver stored the file)
    GitHub 502 / secondary limit   the stand-in's fail_next on POST .../releases
    npm 409                        a proxy in front of Verdaccio sends the first publish twice:
                                   Verdaccio stores the first and answers the second 409
    npm version with other content published by hand first: the run must stop, never overwrite
    docker registry down           the registry process is stopped right before push:<image>
                                   (RELEASE_PAUSE_AFTER), then started again
    webhook 429                    the receiver answers one post 429 (short / beyond the bound)

Each run ends with one line on stderr and exit != 0 (or completes where a bounded retry honoured
Retry-After), a re-run completes, and the world then equals an uninterrupted release's (same
tags, each file once on the index with the journaled hash, one npm version with the journaled
shasum, one image digest, one GitHub release, one thread and one announcement). The matrix is
printed in the terminal summary.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.procs import serve_in_thread
from tests.fixtures.sandbox import Sandbox
from tests.fixtures.stack import GITHUB_REPO, Stack, make_project, unique_names

pytestmark = pytest.mark.integration

VERSION = "0.1.0rc1"
NPM_VERSION = "0.1.0-rc.1"
TAG = "v0.1.0rc1"
BRANCH = "release-0.1.x"


# ---- a forwarding proxy that fails on demand ---------------------------------------------------

HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "proxy-connection",
    "te",
    "upgrade",
}


@dataclass
class Rule:
    method: str
    path: re.Pattern[str]
    action: str  # reject (500, nothing forwarded) | store_then_500 | duplicate (forward twice)
    times: int = 1
    fired: int = 0


@dataclass
class FaultProxy:
    """HTTP on 127.0.0.1 forwarding to `upstream` (host:port); each rule fires `times` times."""

    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[str, str, int]] = field(
        default_factory=list
    )  # (method, path, status answered)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def fail(self, method: str, path_regex: str, action: str, times: int = 1) -> Rule:
        rule = Rule(method.upper(), re.compile(path_regex), action, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def take(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if (
                    rule.fired < rule.times
                    and rule.method == method
                    and rule.path.search(urllib.parse.urlsplit(path).path)
                ):
                    rule.fired += 1
                    return rule
        return None

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        host, port = self.upstream.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()


def _proxy_handler(px: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            if body:
                headers["Content-Length"] = str(len(body))
            # the faults are for uploads: gate:registries' login probe (a POST with an empty
            # form, nothing uploaded) passes through without taking one
            probe = self.command == "POST" and not body
            rule = None if probe else px.take(self.command, self.path)
            if rule is not None and rule.action == "reject":
                status, rheaders, data = (
                    500,
                    [("Content-Type", "text/plain")],
                    b"500 Internal Server Error\n",
                )
            else:
                status, rheaders, data = px.forward(self.command, self.path, headers, body)
                if rule is not None and rule.action == "store_then_500":
                    status, rheaders, data = (
                        500,
                        [("Content-Type", "text/plain")],
                        b"500 (stored, answer lost)\n",
                    )
                elif rule is not None and rule.action == "duplicate":
                    status, rheaders, data = px.forward(self.command, self.path, headers, body)
            px.seen.append((self.command, self.path, status))
            self.send_response(status)
            for k, v in rheaders:
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

    return Handler


@contextlib.contextmanager
def fault_proxy(upstream_url: str) -> Iterator[FaultProxy]:
    px = FaultProxy(urllib.parse.urlsplit(upstream_url).netloc)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(px))
    px.port = server.server_address[1]
    stop = serve_in_thread(server, "fault-proxy")
    try:
        yield px
    finally:
        stop()


@pytest.fixture(scope="module")
def pypi_proxy(full_stack: Stack) -> Iterator[FaultProxy]:
    """In front of the TestPyPI-role pypiserver (RCs are uploaded there)."""
    with fault_proxy(full_stack.pypi.testpypi.upload_url) as px:
        yield px


@pytest.fixture(scope="module")
def npm_proxy(full_stack: Stack) -> Iterator[FaultProxy]:
    with fault_proxy(full_stack.npm.url) as px:
        yield px


# ---- projects in the shared stack, and what they leave in the world ---------------------------


def fresh_project(
    stack: Stack, dest: Path, *, repositories: dict[str, str] | None = None, tests: str = "none"
) -> Sandbox:
    """The demo project with the stack's state emptied (indexes, GitHub, webhook posts); npm and
    image names are new for each project. `repositories` overrides [tool.release].repositories keys."""
    need_full(stack)
    stack.pypi.reset()
    gh = stack.github
    with gh._lock:
        gh.reset()  # a new token too: make_project reads it
        gh.add_repo(GITHUB_REPO)
        gh.repo = GITHUB_REPO
    stack.webhook.posts.clear()
    stack.webhook.failures.clear()
    names = unique_names()
    sb = make_project(stack, dest, tests=tests, names=names)
    sb.npm_name, sb.image, sb.gh_repo = names.npm, names.image, names.github_repo  # type: ignore[attr-defined]
    if repositories:
        text = (sb.root / "pyproject.toml").read_text()
        for key, value in repositories.items():
            text, n = re.subn(rf'(?m)^{key} = ".*"$', f'{key} = "{value}"', text)
            assert n == 1, key
        sb.wd.commit("build: point the release at the proxies", path="pyproject.toml", text=text)
        sb.wd.git("push", "-q", "origin", "main")
    return sb


def need_full(stack: Stack) -> None:
    missing = [c for c in ("npm", "docker") if not stack.has(c)]
    if missing:
        pytest.skip(f"the full stack lacks {missing}: {stack.missing}")


def journal(sb: Sandbox) -> dict[str, Any]:
    path = sb.root / ".git" / "release" / f"{VERSION}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_doc(stack: Stack, name: str) -> dict[str, Any]:
    quoted = urllib.parse.quote(name, safe="@")
    try:
        with urllib.request.urlopen(
            f"{stack.npm.url}{quoted.replace('/', '%2f')}", timeout=15
        ) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return {}
        raise


def _comparable_body(body: str) -> str:
    """The release notes without shas and without this test's own setup commit (the proxies)."""
    body = re.sub(r"\b[0-9a-f]{7,40}\b", "<sha>", body)
    return body.replace(
        "### Build\n\n- point the release at the proxies (<sha>) by Rel Owner\n\n", ""
    )


def world(stack: Stack, sb: Sandbox) -> dict[str, Any]:
    """What the release left in the world, in a form equal for every correct release of the demo
    project (names and counts; hashes, digests and shas checked against the journal; the
    project's unique name prefix written as "demo")."""
    raw = _world(stack, sb)
    return json.loads(json.dumps(raw).replace(sb.names.prefix, "demo"))  # type: ignore[attr-defined]


def _world(stack: Stack, sb: Sandbox) -> dict[str, Any]:
    j = journal(sb)
    steps = j.get("steps", {})
    built = {
        n: h
        for name, e in steps.items()
        if name.startswith("build:")
        for n, h in e.get("facts", {}).get("files", {}).items()
    }
    on_index = {
        p.name: sha256(p) for p in stack.pypi.testpypi.packages_dir.iterdir() if p.is_file()
    }
    origin_tags = sb.origin_tags()
    tag_commit = sb.origin_rev(TAG) if TAG in origin_tags else ""
    npm_name = sb.npm_name  # type: ignore[attr-defined]
    doc = npm_doc(stack, npm_name)
    pack = next((e.get("facts", {}) for n, e in steps.items() if n.startswith("pack:")), {})
    push = next((e.get("facts", {}) for n, e in steps.items() if n.startswith("push:")), {})
    image = sb.image  # type: ignore[attr-defined]
    reg = stack.docker
    gh = stack.github
    rels = gh.releases(sb.gh_repo)  # type: ignore[attr-defined]
    assets = sorted(a["name"] for a in gh.state.repo(sb.gh_repo).assets.values())  # type: ignore[attr-defined]
    posts = stack.webhook.accepted()
    return {
        "origin_tags": origin_tags,
        "tag_is_the_journaled_commit": bool(tag_commit)
        and tag_commit == steps.get("git:commit", {}).get("facts", {}).get("sha"),
        "branch_tip_is_the_tag": bool(tag_commit) and sb.origin_rev(BRANCH) == tag_commit,
        "release_commits": sb.wd.git("rev-list", "--count", f"main..{BRANCH}", check=False),
        "testpypi_files": sorted(on_index),
        "pypi_files": stack.pypi.pypi.files(),
        "index_hashes_are_the_journaled_ones": bool(built) and on_index == built,
        "npm_versions": sorted(doc.get("versions", {})),
        "npm_dist_tags": doc.get("dist-tags", {}),
        "npm_shasum_is_the_journaled_one": bool(pack)
        and doc.get("versions", {}).get(NPM_VERSION, {}).get("dist", {}).get("shasum")
        == pack.get("shasum"),
        "image_tags": reg.tags(image),
        "image_digest_is_the_journaled_one": bool(push)
        and reg.digest(image, VERSION) == push.get("digest"),
        "image_manifest_puts": reg.manifest_puts(image),
        "github_releases": [[r["tag_name"], r["prerelease"], r["draft"]] for r in rels],
        "github_assets": assets,
        # the notes as published (commit shas differ between projects)
        "github_bodies": [_comparable_body(r.get("body") or "") for r in rels],
        "workflow_runs": len(gh.runs(sb.gh_repo)),  # type: ignore[attr-defined]
        "threads": sorted(
            p.body.get("thread_name", "") for p in posts if p.body.get("thread_name")
        ),
        "announcements": sum(1 for p in posts if "/api/webhooks/2/" in p.path),
        "posts_accepted": len(posts),
        "journal_complete": bool(j.get("complete")),
    }


_REFERENCE: dict[str, Any] = {}


def reference_world(stack: Stack, tmp: Path) -> dict[str, Any]:
    """The world after an uninterrupted release of the demo project (computed once a session)."""
    if "world" not in _REFERENCE:
        sb = fresh_project(stack, tmp / "reference")
        res = sb.run("release.minor", "--yes")
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr
        _REFERENCE["world"] = world(stack, sb)
        _REFERENCE["plan"] = [
            ln.split()[1] for ln in res.stdout.splitlines() if ln[:3] in (" + ", " = ", " - ")
        ]
        _REFERENCE["applied"] = [
            ln.split()[1] for ln in res.stdout.splitlines() if ln[:3] in (" + ", " = ")
        ]
    return _REFERENCE["world"]


@pytest.fixture(scope="module")
def reference(full_stack: Stack, tmp_path_factory) -> dict[str, Any]:
    need_full(full_stack)
    return reference_world(full_stack, tmp_path_factory.mktemp("reference"))


def secrets_of(stack: Stack, sb: Sandbox) -> list[str]:
    return [
        v
        for v in (
            stack.github.token,
            stack.pypi.password,
            stack.npm.token,
            stack.webhook.token,
            sb.env.get("DISCORD_RELEASES_WEBHOOK"),
            sb.env.get("DISCORD_ANNOUNCE_WEBHOOK"),
        )
        if v
    ]


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    return lines[0]


# ---- the matrix in the terminal summary --------------------------------------------------------


class Matrix:
    def __init__(self, title: str, header: tuple[str, ...]) -> None:
        self.title = title
        self.header = header
        self.rows: list[tuple[str, ...]] = []

    def add(self, *row: Any) -> None:
        self.rows.append(tuple(str(c) for c in row))
        print(f"\n{self.title}: " + " | ".join(str(c) for c in row))

    def lines(self) -> list[str]:
        table = [self.header, *self.rows]
        widths = [min(70, max(len(r[i]) for r in table)) for i in range(len(self.header))]
        return ["  ".join(c[:70].ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.rows:
            terminalreporter.write_sep("=", self.title)
            for line in self.lines():
                terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def matrix(request) -> Matrix:
    m = Matrix(
        "remote faults (fault x outcome)",
        ("fault", "at step", "first run", "message", "re-run", "world"),
    )
    request.config.pluginmanager.register(m, f"release-kit-faults-{id(m)}")
    return m


def short(line: str) -> str:
    return line.removeprefix("error: ")[:110]


# ---- the faults ------------------------------------------------------------------------------


def run_with_pause(
    sb: Sandbox, step: str, fifo: Path, during, *, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run release.minor paused right after `step` (the RELEASE_PAUSE_AFTER seam), call
    `during()` while it waits, then let it go on."""
    os.mkfifo(fifo)
    full = {**sb.env, **(env or {}), "RELEASE_PAUSE_AFTER": step, "RELEASE_PAUSE_FIFO": str(fifo)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "release", "release.minor", "--yes"],
        cwd=sb.root,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        with open(fifo, "w") as gate:  # blocks until the run reaches the pause
            during()
            gate.write("go\n")
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@contextlib.contextmanager
def registry_down(stack: Stack) -> Iterator[None]:
    """Stop the stack's docker-registry process (by its PID); start it again on the same port and
    storage on exit, tracked by the stack so the session stops it."""
    st = next(p for p in stack.processes if p.name == "docker-registry")
    proc = stack._popen.pop(st.pid)
    stack.processes.remove(st)
    proc.terminate()
    proc.wait(timeout=30)
    try:
        yield
    finally:
        session = stack.docker.session
        from tests.fixtures import docker_registry as dk

        new = dk.start_registry(session.root / "registry.yml", session.host, session.registry_log)
        stack._track("docker-registry", new)


def registry_answers(stack: Stack) -> bool:
    try:
        with urllib.request.urlopen(f"http://{stack.docker.host}/v2/", timeout=2):
            return True
    except OSError:
        return False


@dataclass
class Fault:
    id: str
    step: str  # the step it hits ("npm" / "image" are resolved per project)
    expect: str  # "stops" (exit != 0, re-run completes) | "retried" (completes in one run)
    fragment: str  # expected in the one-line message (stops) or in the report line (retried)


FAULTS = [
    # twine itself retries an upload answered 5xx (up to 5 tries, no wait)
    Fault("pypi-500-once", "publish:demo-client", "retried", "TestPyPI serves 2 file(s)"),
    Fault("pypi-500-every-try", "publish:demo-client", "stops", "500"),
    # the index stored the file but the answer was lost: twine's retry gets 400 (file exists)
    Fault("pypi-500-after-storing", "publish:demo-client", "stops", "upload to"),
    Fault("github-502-once", "github:release", "retried", "release v0.1.0rc1 published"),
    Fault(
        "github-secondary-rate-limit-1s", "github:release", "retried", "release v0.1.0rc1 published"
    ),
    Fault("github-secondary-rate-limit-1h", "github:release", "stops", "Retry-After 3600s"),
    Fault("npm-409-same-content", "npm", "stops", "E409"),
    Fault("docker-registry-down", "push", "stops", "is not reachable"),
    Fault("webhook-429-short", "notify:thread", "retried", "posted message"),
    Fault("webhook-429-beyond-bound", "notify:announce", "stops", "rate limited"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_remote_fails_once_then_rerun_completes(
    fault: Fault, full_stack, reference, pypi_proxy, npm_proxy, matrix, tmp_path
):
    stack = full_stack
    repos = {}
    if fault.id.startswith("pypi"):
        repos["testpypi_upload"] = pypi_proxy.url
    if fault.id.startswith("npm"):
        repos["npm_registry"] = npm_proxy.url
    sb = fresh_project(stack, tmp_path, repositories=repos)
    names = sb.names  # type: ignore[attr-defined]
    step = {"npm": f"publish:{names.npm}", "push": f"push:{names.image_package}"}.get(
        fault.step, names.rename(fault.step)
    )
    gh, rx = stack.github, stack.webhook
    rules = []
    if fault.id == "pypi-500-once":
        rules.append(pypi_proxy.fail("POST", r"^/$", "reject"))
    elif fault.id == "pypi-500-every-try":
        rules.append(pypi_proxy.fail("POST", r"^/$", "reject", times=5))
    elif fault.id == "pypi-500-after-storing":
        rules.append(pypi_proxy.fail("POST", r"^/$", "store_then_500"))
    elif fault.id == "github-502-once":
        gh.fail_next("POST", rf"^/repos/{names.github_repo}/releases$", 502)
    elif fault.id == "github-secondary-rate-limit-1s":
        gh.fail_next("POST", rf"^/repos/{names.github_repo}/releases$", 403, {"Retry-After": "1"})
    elif fault.id == "github-secondary-rate-limit-1h":
        gh.fail_next(
            "POST", rf"^/repos/{names.github_repo}/releases$", 403, {"Retry-After": "3600"}
        )
    elif fault.id == "npm-409-same-content":
        rules.append(npm_proxy.fail("PUT", r"^/@demo", "duplicate"))
    elif fault.id == "webhook-429-short":
        rx.rate_limit_once(0.5)

    if fault.id == "docker-registry-down":
        stopper = contextlib.ExitStack()

        def during() -> None:
            stopper.enter_context(registry_down(stack))
            assert not registry_answers(stack)

        with stopper:
            first = run_with_pause(sb, f"image:{names.image_package}", tmp_path / "pause", during)
        assert registry_answers(stack)  # started again for the re-run
    elif fault.id == "webhook-429-beyond-bound":
        first = run_with_pause(
            sb, "github:workflows", tmp_path / "pause", lambda: rx.rate_limit_once(600)
        )
    else:
        first = sb.run("release.minor", "--yes")

    said = first.stdout + first.stderr
    for rule in rules:
        assert rule.fired == rule.times, f"the {fault.id} fault did not fire"
    failed_rows = [ln.split()[1] for ln in first.stdout.splitlines() if ln.startswith(" ! ")]
    if fault.expect == "stops":
        assert first.returncode != 0, said[-3000:]
        line = one_line_error(first)
        assert fault.fragment in line, line
        assert failed_rows == [step], first.stdout[-2000:]
        rerun = sb.run("release.minor", "--yes")
        said += rerun.stdout + rerun.stderr
        assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr
        again = "completes"
    else:
        assert first.returncode == 0, said[-3000:]
        row = next(  # the step's final row (its " > " start line comes first)
            ln
            for ln in first.stdout.splitlines()
            if ln.split()[1:2] == [step] and not ln.startswith(" > ")
        )
        assert fault.fragment in row, row
        line = "(completed after a bounded retry)"
        again = "not needed"
    if fault.id.startswith("github"):
        assert (
            gh.count("POST", rf"^/repos/{names.github_repo}/releases$") == 2
        )  # the failed one and one more
    if fault.id.startswith("webhook"):
        assert (
            len(rx.posts) == len(rx.accepted()) + 1
        )  # exactly one refused post, then one accepted

    verify = sb.run("release.verify", VERSION, "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert all(c["ok"] for c in json.loads(verify.stdout)["checks"])
    got = world(stack, sb)
    for secret in secrets_of(stack, sb):
        assert secret not in said, f"{fault.id}: a secret was printed"
    matrix.add(
        fault.id,
        fault.step,
        f"exit {first.returncode}",
        short(line),
        again,
        "= uninterrupted" if got == reference else "DIFFERS",
    )
    assert got == reference


def test_npm_version_with_other_content_stops_and_is_never_overwritten(
    full_stack, reference, matrix, tmp_path
):
    """The version is on the registry with another tarball (published by hand first): the probe
    sees it, the run stops before publishing anything of npm or later, and a re-run refuses too."""
    stack = full_stack
    sb = fresh_project(stack, tmp_path / "p")
    name = sb.npm_name  # type: ignore[attr-defined]
    other = tmp_path / "other"
    other.mkdir()
    (other / "package.json").write_text(
        json.dumps({"name": name, "version": NPM_VERSION, "license": "MIT"})
    )
    (other / "index.js").write_text("module.exports = 'not the release';\n")
    stack.npm.npm("publish", "--tag", "rc", cwd=other)
    theirs = npm_doc(stack, name)["versions"][NPM_VERSION]["dist"]["shasum"]
    step = f"publish:{name}"
    outcomes = []
    for _ in range(2):
        res = sb.run("release.minor", "--yes")
        assert res.returncode == 4, res.stdout[-2000:] + res.stderr
        line = one_line_error(res)
        assert "other content" in line and name in line, line
        assert [ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith(" ! ")] == [step]
        outcomes.append(res.returncode)
    got = world(stack, sb)
    assert (
        npm_doc(stack, name)["versions"][NPM_VERSION]["dist"]["shasum"] == theirs
    )  # never overwritten
    assert got["npm_versions"] == [NPM_VERSION]
    # what comes after the npm publish did not happen; what came before did, once
    assert got["image_tags"] == [] and got["github_releases"] == [] and got["announcements"] == 0
    assert (
        got["testpypi_files"] == reference["testpypi_files"]
        and got["index_hashes_are_the_journaled_ones"]
    )
    assert got["origin_tags"] == [TAG] and got["threads"] == reference["threads"]
    matrix.add(
        "npm-409-other-content",
        "npm",
        "exit 4",
        short(line),
        "refuses again (exit 4)",
        "stopped at npm; nothing overwritten",
    )


def test_uninterrupted_release_is_what_the_matrix_compares_to(reference):
    """The reference itself: one of everything, hashes as journaled."""
    assert reference["origin_tags"] == [TAG] and reference["release_commits"] == "1"
    assert reference["tag_is_the_journaled_commit"] and reference["branch_tip_is_the_tag"]
    assert len(reference["testpypi_files"]) == 4 and reference["pypi_files"] == []
    assert reference["index_hashes_are_the_journaled_ones"]
    assert (
        reference["npm_versions"] == [NPM_VERSION] and reference["npm_shasum_is_the_journaled_one"]
    )
    assert reference["npm_dist_tags"]["rc"] == NPM_VERSION
    assert reference["image_tags"] == [VERSION] and reference["image_digest_is_the_journaled_one"]
    assert reference["image_manifest_puts"] == 1
    assert reference["github_releases"] == [[TAG, True, False]] and reference["workflow_runs"] == 1
    assert reference["threads"] == ["Release v0.1.0"] and reference["announcements"] == 1
    assert reference["posts_accepted"] == 2 and reference["journal_complete"]


def test_github_release_carries_the_built_files(reference):
    """github:release says "with the built files"; the build steps put them in dist/<package>/."""
    # the built files, with SHA256SUMS, the npm tarball and the SBOMs beside them
    assert set(reference["testpypi_files"]) <= set(reference["github_assets"])
