"""Issue 15: the smoke test runs on a Python that satisfies the package's Requires-Python (not
only the toolkit's own), with uv when installed and pip otherwise, and a second smoke test of
the same wheel downloads nothing: the persistent cache has it all, so it passes even when the
index is gone. Builds use `--installer uv` when uv is there (RELEASE_BUILD_INSTALLER=pip: never).

Real wheels (hatchling, no isolation), real venvs, real pip and uv; the third-party dependency
comes from a small index on 127.0.0.1 that answers like PyPI (PEP 503 pages cached 600 s, files
immutable) and counts what it serves."""

from __future__ import annotations

import hashlib
import http.server
import logging
import os
import platform
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from release.adapters import pypi
from release.core.interpreters import NoInterpreter, satisfies
from release.errors import ReleaseError
from tests.conftest import IN_CI, need

pytestmark = pytest.mark.integration

HERE = sys.version_info[:2]
# a minor the toolkit's own interpreter does not satisfy: the smoke test must find another one
NEED_MINOR = max(12, HERE[1] + 1)
SPEC = f">=3.{NEED_MINOR}"


def installer(name: str) -> str:
    if name == "uv":
        need("uv", "the smoke test and the build use it when installed")
    return name


INSTALLERS = ["pip", "uv"]


def make_wheel(
    root: Path, name: str, *, requires_python: str = "", deps: tuple[str, ...] = (), code: str = ""
) -> Path:
    """Build a tiny hatchling package with the toolkit's own build adapter; its wheel."""
    pytest.importorskip("hatchling", reason="scripts/install-test-deps.sh installs hatchling")
    module = name.replace("-", "_")
    src = root / "src" / name
    (src / module).mkdir(parents=True)
    rp = f'requires-python = "{requires_python}"\n' if requires_python else ""
    dependencies = ", ".join(f'"{d}"' for d in deps)
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0.0"\n{rp}dependencies = [{dependencies}]\n'
    )
    (src / module / "__init__.py").write_text(code or "VALUE = 1\n")
    files = pypi.build(src, root / "dist" / name, isolation=False)
    return next(f for f in files if f.suffix == ".whl")


def real_pythons(minors: range) -> dict[int, str]:
    """{minor: executable} of installed Pythons 3.minor: a python3.X on PATH that runs, else
    pyenv's (a pyenv shim runs only the versions pyenv selects)."""
    found: dict[int, str] = {}
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    for m in minors:
        name = f"python3.{m}"
        pyenv = sorted(str(p) for p in Path(root, "versions").glob(f"*/bin/{name}"))
        for exe in [shutil.which(name), *pyenv]:
            if not exe:
                continue
            res = subprocess.run(
                [exe, "-I", "-c", "import sys; print(sys.executable)"],
                capture_output=True,
                text=True,
            )
            if res.returncode == 0:
                found[m] = res.stdout.strip()
                break
    return found


@pytest.fixture(scope="module")
def newer() -> dict[int, str]:
    pythons = real_pythons(range(NEED_MINOR, 26))
    if not pythons:
        msg = f"no Python {SPEC} is installed besides the toolkit's {platform.python_version()}"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return pythons


@pytest.fixture(scope="module")
def newer_wheel(tmp_path_factory) -> Path:
    """A package that the toolkit's Python cannot install; its import proves which Python ran."""
    code = f"import sys\n\nassert sys.version_info >= (3, {NEED_MINOR}), sys.version\n"
    return make_wheel(
        tmp_path_factory.mktemp("newer"), "smoke-newer", requires_python=SPEC, code=code
    )


@pytest.fixture
def path_with(tmp_path, newer) -> dict[str, str]:
    """An environment whose PATH starts with python3.X links to the newer Pythons."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for m, exe in newer.items():
        (bin_dir / f"python3.{m}").symlink_to(exe)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.parametrize("how", INSTALLERS)
def test_the_smoke_test_runs_on_the_highest_python_on_path_that_satisfies_requires_python(
    how, tmp_path, newer, newer_wheel, path_with
):
    assert not satisfies(SPEC, platform.python_version())  # the point of the test
    result = pypi.smoke_test(
        newer_wheel,
        [newer_wheel.parent],
        ["smoke_newer"],
        tmp_path / "smoke",
        env=path_with,
        cache=tmp_path / "cache",
        installer=installer(how),
    )
    top = max(newer)
    assert result.python.source == "PATH"
    assert result.python.version.startswith(f"3.{top}.")
    assert result.installer == how and result.mode == "offline"
    assert result.summary == (
        f"installed and imported (offline) with Python {result.python.version} ({how})"
    )
    venv_cfg = (tmp_path / "smoke" / "venv" / "pyvenv.cfg").read_text()
    assert f"3.{top}." in venv_cfg


def test_a_configured_smoke_python_is_used_or_refused_in_one_line(tmp_path, newer, newer_wheel):
    m, exe = min(newer.items())
    result = pypi.smoke_test(
        newer_wheel, [newer_wheel.parent], ["smoke_newer"], tmp_path / "a", smoke_python=exe
    )
    assert result.python.source == "smoke_python"
    assert result.python.version.startswith(f"3.{m}.")

    with pytest.raises(NoInterpreter) as exc:
        pypi.smoke_test(
            newer_wheel,
            [newer_wheel.parent],
            ["smoke_newer"],
            tmp_path / "b",
            smoke_python=sys.executable,
        )
    line = exc.value.one_line()
    assert "\n" not in line and f"is Python {platform.python_version()}" in line
    assert f"does not satisfy Requires-Python {SPEC}" in line

    with pytest.raises(NoInterpreter, match="does not run"):
        pypi.smoke_test(
            newer_wheel,
            [newer_wheel.parent],
            ["smoke_newer"],
            tmp_path / "c",
            smoke_python=str(tmp_path / "no-such-python"),
        )


def test_no_python_satisfies_requires_python_is_one_line_naming_what_it_looked_for(tmp_path):
    wheel = make_wheel(tmp_path, "smoke-future", requires_python=">=3.99")
    with pytest.raises(NoInterpreter) as exc:
        pypi.smoke_test(wheel, [wheel.parent], ["smoke_future"], tmp_path / "smoke")
    line = exc.value.one_line()
    assert "\n" not in line
    assert "no Python satisfies Requires-Python >=3.99 of smoke_future-1.0.0" in line
    assert "no python3.6 to python3.25 can satisfy it" in line
    assert f"found {platform.python_version()} (current)" in line
    assert "smoke_python" in line
    assert exc.value.exit_code == 2
    assert not (tmp_path / "smoke" / "venv").exists()  # nothing was installed


# ---- the persistent cache ---------------------------------------------------------------------


class CachingIndex:
    """A PEP 503 index on 127.0.0.1 that answers as PyPI does for caching: project pages with
    `max-age=600`, files `immutable`; it records every request (method, path)."""

    def __init__(self, wheels: list[Path]) -> None:
        self.files = {w.name: w.read_bytes() for w in wheels}
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append((self.command, self.path))
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                if parts[:1] == ["simple"] and len(parts) == 2:
                    links = [
                        f'<a href="/files/{n}#sha256={hashlib.sha256(b).hexdigest()}">{n}</a>'
                        for n, b in outer.files.items()
                        if pypi.normalize(n.split("-")[0]) == pypi.normalize(parts[1])
                    ]
                    if not links:
                        return self._send(404, b"not found", "text/plain", "no-cache")
                    body = ("<html><body>" + "<br>".join(links) + "</body></html>").encode()
                    return self._send(200, body, "text/html", "max-age=600, public")
                if parts[:1] == ["files"] and len(parts) == 2 and parts[1] in outer.files:
                    return self._send(
                        200,
                        outer.files[parts[1]],
                        "application/octet-stream",
                        "max-age=365000000, immutable, public",
                    )
                return self._send(404, b"not found", "text/plain", "no-cache")

            do_HEAD = do_GET

            def _send(self, code: int, body: bytes, ctype: str, cache: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", cache)
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.simple_url = f"http://127.0.0.1:{self.port}/simple/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def downloads(self) -> list[str]:
        return [path for method, path in self.requests if method == "GET" and "/files/" in path]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("how", INSTALLERS)
def test_a_second_smoke_test_downloads_nothing_and_passes_with_the_index_gone(how, tmp_path):
    installer(how)
    dep = make_wheel(tmp_path / "dep", "smoke-dep", code="DEP = 42\n")
    wheel = make_wheel(
        tmp_path / "main",
        "smoke-main",
        deps=("smoke-dep>=1",),
        code="from smoke_dep import DEP\n\nassert DEP == 42\n",
    )
    index = CachingIndex([dep])
    # the configured index, as a user sets it for pip (uv gets it as UV_INDEX_URL); pip caches
    # plain-http answers only from a trusted host (a real index is https)
    env = {"PIP_INDEX_URL": index.simple_url, "PIP_TRUSTED_HOST": f"127.0.0.1:{index.port}"}
    cache = tmp_path / "cache"

    def smoke(scratch: str, with_cache: Path | None) -> pypi.SmokeResult:
        return pypi.smoke_test(
            wheel,
            [wheel.parent],
            ["smoke_main"],
            tmp_path / scratch,
            env=env,
            cache=with_cache,
            installer=how,
        )

    try:
        first = smoke("first", cache)
        assert first.mode == "with the configured index" and first.installer == how
        assert index.downloads(), index.requests  # the dependency came from the index
        served = len(index.requests)
        second = smoke("second", cache)  # the index still up: nothing asked of it
        assert second.mode == "with the configured index"
        assert index.requests[served:] == []
    finally:
        index.stop()
    # the index is gone (connection refused): the cache alone installs the same wheel again
    third = smoke("third", cache)
    assert third.mode == "with the configured index"
    assert (cache / ("uv" if how == "uv" else "pip")).is_dir()
    # ... and without the cache the same install needs the index, so it fails
    with pytest.raises(pypi.ArtifactError, match="does not install in a fresh venv"):
        smoke("uncached", None)


# ---- builds with uv ---------------------------------------------------------------------------


def _argv_of_build(monkeypatch, tmp_path, **kwargs) -> tuple[list[str], dict[str, str]]:
    """The `python -m build` command `pypi.build` runs (and its environment), without running it."""
    seen: dict[str, Any] = {}
    real_run = pypi.run

    def fake_run(argv, **kw):
        if argv[1:3] == ["-m", "build"] and "--outdir" in argv:
            seen["argv"], seen["env"] = list(argv), dict(kw.get("env") or {})
            out = Path(argv[argv.index("--outdir") + 1])
            (out / "demo-1.0.0-py3-none-any.whl").write_bytes(b"")
            return pypi.run([sys.executable, "-c", "pass"])
        return real_run(argv, **kw)

    monkeypatch.setattr(pypi, "run", fake_run)
    pypi.build(tmp_path / "src", tmp_path / "out", **kwargs)
    return seen["argv"], seen["env"]


def test_isolated_builds_use_uv_when_installed_unless_told_pip(monkeypatch, tmp_path):
    uv = need("uv", "isolated builds use it when installed")
    env = {"PIP_INDEX_URL": "https://mirror.invalid/simple/"}
    argv, run_env = _argv_of_build(monkeypatch, tmp_path, env=env)
    assert argv[-3:-1] == ["--installer", "uv"]
    assert run_env["UV"] == pypi.find_uv(env) and Path(uv).name == "uv"
    assert run_env["UV_INDEX_URL"] == "https://mirror.invalid/simple/"  # pip's index, for uv

    argv, _ = _argv_of_build(monkeypatch, tmp_path, env=env, installer="pip")
    assert "--installer" not in argv
    argv, _ = _argv_of_build(monkeypatch, tmp_path, env=env, isolation=False)
    assert "--installer" not in argv and "--no-isolation" in argv
    # the user's own uv setting wins over the translation of pip's
    _, run_env = _argv_of_build(monkeypatch, tmp_path, env={**env, "UV_DEFAULT_INDEX": "x"})
    assert "UV_INDEX_URL" not in run_env
    with pytest.raises(ReleaseError, match="RELEASE_BUILD_INSTALLER='poetry' is not valid"):
        _argv_of_build(monkeypatch, tmp_path, installer="poetry")


def test_an_isolated_build_with_uv_builds_the_package(tmp_path, caplog):
    """The real `python -m build --installer uv`: the backend comes from the configured index."""
    need("uv", "isolated builds use it when installed")
    pytest.importorskip("hatchling", reason="scripts/install-test-deps.sh installs hatchling")
    src = tmp_path / "src"
    (src / "smoke_uv").mkdir(parents=True)
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "smoke-uv"\nversion = "1.0.0"\n'
    )
    (src / "smoke_uv" / "__init__.py").write_text("")
    with caplog.at_level(logging.DEBUG, logger="release.run"):
        files = pypi.build(src, tmp_path / "dist")
    assert [f.name.split("-")[0] + f.suffix for f in files] == ["smoke_uv.whl", "smoke_uv.gz"]
    assert any(
        "-m build" in r.getMessage() and "--installer uv" in r.getMessage() for r in caplog.records
    )


def test_pip_config_is_read_with_pips_precedence():
    text = (
        "global.extra-index-url='file:///opt/a file:///opt/b'\n"
        "global.index-url='https://global.invalid/simple'\n"
        "install.index-url='https://install.invalid/simple'\n"
        ":env:.find-links='/opt/wheels'\n"
        "global.find-links='/elsewhere'\n"
        "junk line\n"
    )
    assert pypi.parse_pip_config(text) == {
        "extra-index-url": "file:///opt/a file:///opt/b",
        "index-url": "https://install.invalid/simple",
        "find-links": "/opt/wheels",
    }
