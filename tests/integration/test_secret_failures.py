"""Every failure path of every adapter keeps secrets secret (issue 14).

A hostile server on 127.0.0.1 echoes everything the client sent (headers, decoded Basic auth,
the body, the path) in its status line, body and challenge; then it answers 401, 403 or 500, or
never answers (a timeout); a closed port refuses. For each adapter (GitHub, the index read, the
twine upload, npm reads and publish, the container registry, a webhook) the error must be one
ReleaseError whose text holds none of the secrets in any spelling (raw, stripped, URL-encoded,
base64 alone or as user:secret), and nothing the process printed or npm logged holds them.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from release.errors import ReleaseError
from tests.fixtures.hostile_http import HostileServer, closed_port

pytestmark = pytest.mark.integration

MODES = ["401", "403", "500", "hang", "refused"]


def _secret(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


SECRETS = {
    # not a known token shape, with the whitespace a pasted value carries
    "GITHUB_TOKEN": _secret("zq") + "\n",
    "TWINE_PASSWORD": _secret("pw-"),
    "NPM_TOKEN": _secret("np"),
    "DOCKER_PASSWORD": _secret("dk"),
    "HOOK": _secret("hk") + secrets.token_hex(8),
}
USER = "owner"


def spellings(secret: str) -> set[str]:
    s = secret.strip()
    return {
        s,
        urllib.parse.quote(s, safe=""),
        base64.b64encode(s.encode()).decode(),
        base64.b64encode(f"{USER}:{s}".encode()).decode(),
        base64.b64encode(f"robot:{s}".encode()).decode(),
        base64.b64encode(f"__token__:{s}".encode()).decode(),
    }


ALL = set().union(*(spellings(v) for v in SECRETS.values()))


@pytest.fixture
def hostile():
    server = HostileServer()
    yield server
    server.stop()


@pytest.fixture
def env(monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("RELEASE_NETWORK_TIMEOUT", "2")
    for key, value in SECRETS.items():
        if key != "HOOK":
            monkeypatch.setenv(key, value)
    return home


def wheel(tmp_path: Path) -> Path:
    path = tmp_path / "demo_pkg-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("demo_pkg/__init__.py", "")
        z.writestr(
            "demo_pkg-0.1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 0.1.0\n",
        )
        z.writestr(
            "demo_pkg-0.1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        z.writestr("demo_pkg-0.1.0.dist-info/RECORD", "")
    return path


def tarball(tmp_path: Path) -> Path:
    import subprocess

    pkg = tmp_path / "npmpkg"
    pkg.mkdir()
    (pkg / "package.json").write_text('{"name": "demo-npm", "version": "0.1.0"}\n')
    subprocess.run(
        ["npm", "pack", "--pack-destination", str(tmp_path)],
        cwd=pkg,
        check=True,
        capture_output=True,
        env={"PATH": __import__("os").environ["PATH"], "HOME": str(tmp_path)},
    )
    return tmp_path / "demo-npm-0.1.0.tgz"


def op_github(base: str, tmp_path: Path) -> None:
    from release.adapters.github import GitHub

    gh = GitHub(base, "o/r", SECRETS["GITHUB_TOKEN"], attempts=1, sleep=lambda s: None)
    gh.find_milestone("1.0.0")


def op_index_read(base: str, tmp_path: Path) -> None:
    from release.adapters.pypi import SimpleIndex

    host = base.split("://", 1)[1]
    SimpleIndex(f"http://__token__:{SECRETS['TWINE_PASSWORD']}@{host}/simple/").files("demo")


def op_twine(base: str, tmp_path: Path) -> None:
    from release.adapters.pypi import upload

    upload(
        [wheel(tmp_path)],
        f"{base}/legacy/",
        env={
            **__import__("os").environ,
            "TWINE_USERNAME": USER,
            "TWINE_PASSWORD": SECRETS["TWINE_PASSWORD"],
        },
    )


def op_npm_view(base: str, tmp_path: Path) -> None:
    from release.adapters.npm import Npm

    Npm(base, env=__import__("os").environ, scratch=tmp_path / "npm").view("demo-npm", "0.1.0")


def op_npm_publish(base: str, tmp_path: Path) -> None:
    from release.adapters.npm import Npm

    tgz = tarball(tmp_path)
    Npm(base, env=__import__("os").environ, scratch=tmp_path / "npm").publish(tgz, "next")


def op_registry(base: str, tmp_path: Path) -> None:
    from release.adapters.docker import Registry, registry_endpoint

    reg = Registry(
        registry_endpoint(base),
        env={"DOCKER_USERNAME": "robot", "DOCKER_PASSWORD": SECRETS["DOCKER_PASSWORD"]},
    )
    reg.manifest("demo/app", "0.1.0")


def op_webhook(base: str, tmp_path: Path) -> None:
    from release.adapters.notify import Webhook
    from release.core.policy import Channel

    hook = Webhook(
        "releases",
        Channel(kind="discord", url_env="RELEASES_WEBHOOK_URL"),
        f"{base}/api/webhooks/123/{SECRETS['HOOK']}",
        retries=0,
        sleep=lambda s: None,
    )
    hook.post({"content": "v0.1.0 is out"})


OPS = {
    "github": op_github,
    "index-read": op_index_read,
    "twine-upload": op_twine,
    "npm-view": op_npm_view,
    "npm-publish": op_npm_publish,
    "registry": op_registry,
    "webhook": op_webhook,
}


def _files_text(root: Path) -> str:
    if not root.exists():
        return ""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("adapter", sorted(OPS))
def test_no_failure_of_any_adapter_shows_a_secret(adapter, mode, hostile, env, tmp_path, capfd):
    if adapter.startswith("npm") and shutil.which("npm") is None:
        pytest.fail("npm is required") if __import__("os").environ.get("CI") else pytest.skip(
            "npm missing"
        )
    base = hostile.url
    if mode == "refused":
        base = f"http://127.0.0.1:{closed_port()}"
    else:
        hostile.mode = mode
    with pytest.raises(ReleaseError) as info:
        OPS[adapter](base, tmp_path)
    exc = info.value
    texts = [exc.one_line(), str(exc), repr(exc), str(exc.__cause__ or "")]
    if not exc.__suppress_context__:  # a chained exception is shown with the traceback
        texts.append(str(exc.__context__ or ""))
    out = capfd.readouterr()
    texts += [out.out, out.err, _files_text(env / ".npm"), _files_text(tmp_path / "npm")]
    blob = "\n".join(texts)
    leaked = sorted(s for s in ALL if s in blob)
    assert not leaked, f"{adapter}/{mode} leaked in: {exc.one_line()}"
    assert len(exc.one_line().splitlines()) == 1
