"""The pure parts of release/docker.py, and its registry client against a scripted HTTP opener."""

from __future__ import annotations

import email.message
import io
import json
import urllib.error
from pathlib import Path

import pytest

from release.adapters import docker as d
from release.core.latest import docker_tags
from release.core.policy import Package, Repositories, policy_from_table
from release.core.version import Version
from release.errors import ConfigError, RemoteError
from release.steps import docker as ds

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
CONFIG_A = "sha256:" + "c" * 64


# ---- names, tags, argv -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "host", "api", "hub"),
    [
        ("docker.io", "docker.io", "https://registry-1.docker.io", True),
        ("index.docker.io", "docker.io", "https://registry-1.docker.io", True),
        ("127.0.0.1:5000", "127.0.0.1:5000", "http://127.0.0.1:5000", False),
        ("localhost:5000", "localhost:5000", "http://localhost:5000", False),
        ("ghcr.io", "ghcr.io", "https://ghcr.io", False),
        (
            "registry.internal:5000",
            "registry.internal:5000",
            "https://registry.internal:5000",
            False,
        ),
        (
            "http://registry.internal:5000/",
            "registry.internal:5000",
            "http://registry.internal:5000",
            False,
        ),
    ],
)
def test_registry_endpoint(value, host, api, hub):
    assert d.registry_endpoint(value) == d.Endpoint(host, api, hub)


@pytest.mark.parametrize("value", ["", "ftp://x", "ghcr.io/org", "http://h/x"])
def test_registry_endpoint_refuses(value):
    with pytest.raises(ConfigError) as exc:
        d.registry_endpoint(value)
    assert "docker_registry" in exc.value.one_line()


def test_repository_and_ref():
    hub = d.registry_endpoint("docker.io")
    ghcr = d.registry_endpoint("ghcr.io")
    assert d.repository(Package(name="x", kind="docker", image="nginx"), hub) == "library/nginx"
    assert d.repository(Package(name="x", kind="docker", image="org/x"), hub) == "org/x"
    assert d.image_ref(Package(name="x", kind="docker", image="org/x"), ghcr) == "ghcr.io/org/x"


@pytest.mark.parametrize(
    ("version", "is_latest", "tags"),
    [
        ("0.4.0", True, ["0.4.0", "latest"]),
        ("0.4.1", False, ["0.4.1"]),
        ("0.5.0rc2", True, ["0.5.0rc2"]),  # an RC never gets latest, whatever it is told
        ("0.5.0rc2", False, ["0.5.0rc2"]),
    ],
)
def test_tags_for(version, is_latest, tags):
    assert docker_tags(Version.parse(version), is_latest) == tags


def test_build_args_render_version_and_name():
    pkg = Package(
        name="distro",
        kind="docker",
        image="o/d",
        build_args={
            "V": "{version}",
            "N": "{name}",
            "PIN": "llama-stack=={version}",
            "RAW": "{{literal}}",
        },
    )
    assert d.render_build_args(pkg, Version.parse("0.5.0rc1")) == {
        "V": "0.5.0rc1",
        "N": "distro",
        "PIN": "llama-stack==0.5.0rc1",
        "RAW": "{literal}",
    }


def test_build_args_unknown_placeholder_names_the_arg():
    pkg = Package(name="distro", kind="docker", image="o/d", build_args={"TAG": "{tag}"})
    with pytest.raises(ConfigError) as exc:
        d.render_build_args(pkg, Version.parse("0.5.0"))
    assert "TAG" in exc.value.one_line() and "{version}" in exc.value.one_line()


@pytest.mark.parametrize(
    ("path", "context", "dockerfile", "expected"),
    [
        ("image", ".", "Dockerfile", ("image", "image/Dockerfile")),
        (".", ".", "containers/Containerfile", (".", "containers/Containerfile")),
        ("containers/x", "../..", "Containerfile", (".", "containers/x/Containerfile")),
    ],
)
def test_export_paths(path, context, dockerfile, expected):
    pkg = Package(
        name="x", kind="docker", image="o/x", path=path, context=context, dockerfile=dockerfile
    )
    assert d.export_paths(pkg) == expected


def test_export_paths_outside_the_repository_is_refused():
    pkg = Package(name="x", kind="docker", image="o/x", path=".", context="../elsewhere")
    with pytest.raises(ConfigError, match="outside the repository"):
        d.export_paths(pkg)


def test_build_argv():
    argv = d.build_argv(
        "h:5/o/x",
        ["1.2.3", "latest"],
        Path("/w/ctx"),
        Path("/w/ctx/Dockerfile"),
        {"B": "2", "A": "1"},
        {d.LABEL_REVISION: "abc"},
        network="host",
    )
    assert argv == [
        "docker",
        "build",
        "--file",
        "/w/ctx/Dockerfile",
        "--tag",
        "h:5/o/x:1.2.3",
        "--tag",
        "h:5/o/x:latest",
        "--build-arg",
        "A=1",
        "--build-arg",
        "B=2",
        "--label",
        f"{d.LABEL_REVISION}=abc",
        "--network=host",
        "/w/ctx",
    ]
    assert "--network" not in " ".join(d.build_argv("r", ["1"], Path("c"), Path("f"), {}, {}))


def test_parse_push_digest():
    out = (
        "The push refers to repository [127.0.0.1:5000/x]\n693caac778c9: Pushed\n"
        f"0.4.0: digest: {DIGEST_A} size: 942\n"
    )
    assert d.parse_push_digest(out) == DIGEST_A
    assert d.parse_push_digest("error: nothing") == ""


def test_parse_challenge():
    scheme, params = d.parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/nginx:pull",
    }


# ---- plan hooks --------------------------------------------------------------------------------


def _policy():
    return policy_from_table(
        {
            "repositories": {"docker_registry": "127.0.0.1:5000"},
            "packages": [
                {"name": "distro", "kind": "docker", "image": "o/distro", "depends_on": ["server"]},
                {"name": "server", "kind": "python", "depends_on": ["client"]},
                {"name": "client", "kind": "python"},
                {"name": "tools", "kind": "docker", "image": "o/tools"},
            ],
        }
    )


def test_steps_only_for_docker_packages_in_dependency_order():
    pol, v = _policy(), Version.parse("0.4.0rc1")
    builds, pushes = ds.image_steps(pol, v), ds.push_steps(pol, v)
    assert [s.name for s in builds] == ["image:distro", "image:tools"]
    assert [s.name for s in pushes] == ["push:distro", "push:tools"]
    assert [s.irreversible for s in builds + pushes] == [False, False, True, True]
    assert "an RC never moves latest" in pushes[0].describe()
    assert "127.0.0.1:5000/o/distro:0.4.0rc1" in builds[0].describe()


def test_no_docker_packages_no_steps():
    pol = policy_from_table({"packages": [{"name": "c", "kind": "python"}]})
    assert ds.image_steps(pol, Version.parse("1.0.0")) == []
    assert ds.verify(pol, Version.parse("1.0.0"), {}) == []


# ---- registry client against a scripted opener -----------------------------------------------


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self._body = status, headers, body

    def read(self, n=-1):
        return self._body

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _headers(**kw):
    msg = email.message.Message()
    for k, v in kw.items():
        msg[k.replace("_", "-")] = v
    return msg


def _http_error(url, code, **headers):
    return urllib.error.HTTPError(url, code, "err", _headers(**headers), io.BytesIO(b"{}"))


class Script:
    """A fake network: url -> response; records every request."""

    def __init__(self, routes):
        self.routes = routes
        self.seen = []

    def __call__(self, req, timeout):
        self.seen.append((req.full_url, dict(req.header_items())))
        handler = self.routes[req.full_url]
        return handler(req)


def _manifest(config=CONFIG_A, media=d.MT_DOCKER_MANIFEST):
    return json.dumps(
        {"schemaVersion": 2, "mediaType": media, "config": {"digest": config}}
    ).encode()


def test_manifest_with_bearer_login_never_leaks_the_token():
    ep = d.registry_endpoint("https://reg.example")
    url = "https://reg.example/v2/o/x/manifests/1.0.0"
    token_url = "https://auth.example/token?service=reg&scope=repository%3Ao%2Fx%3Apull"

    def manifest(req):
        if req.get_header("Authorization") != "Bearer tok-123456":
            raise _http_error(
                url,
                401,
                WWW_Authenticate='Bearer realm="https://auth.example/token",'
                'service="reg",scope="repository:o/x:pull"',
            )
        return Resp(
            200,
            _headers(Content_Type=d.MT_DOCKER_MANIFEST, Docker_Content_Digest=DIGEST_A),
            _manifest(),
        )

    script = Script(
        {url: manifest, token_url: lambda req: Resp(200, _headers(), b'{"token": "tok-123456"}')}
    )
    reg = d.Registry(
        ep, {"DOCKER_USERNAME": "bot", "DOCKER_PASSWORD": "s3cret-pass"}, opener=script
    )
    m = reg.manifest("o/x", "1.0.0")
    assert m == d.Manifest(DIGEST_A, d.MT_DOCKER_MANIFEST, CONFIG_A)
    assert m.identity == CONFIG_A
    assert script.seen[1][1]["Authorization"].startswith("Basic ")  # credentials only to the realm
    from release.adapters.runner import redact

    assert "tok-123456" not in redact("Bearer tok-123456") and "s3cret-pass" not in redact(
        "s3cret-pass"
    )


def test_manifest_missing_is_none_and_index_identity_is_its_digest():
    ep = d.registry_endpoint("127.0.0.1:5000")
    base = "http://127.0.0.1:5000/v2/o/x/manifests/"

    def missing(req):
        raise _http_error(req.full_url, 404)

    index = json.dumps({"mediaType": d.MT_OCI_INDEX, "manifests": []}).encode()
    script = Script(
        {
            base + "nope": missing,
            base + "multi": lambda r: Resp(200, _headers(Content_Type=d.MT_OCI_INDEX), index),
        }
    )
    reg = d.Registry(ep, {}, opener=script)
    assert reg.manifest("o/x", "nope") is None
    m = reg.manifest("o/x", "multi")
    assert m.is_index and m.config_digest == "" and m.identity == m.digest
    assert m.digest.startswith("sha256:")  # computed from the body when the header is absent


def test_registry_failures_are_remote_errors_with_hints():
    ep = d.registry_endpoint("127.0.0.1:5000")
    url = "http://127.0.0.1:5000/v2/o/x/manifests/1"

    def boom(req):
        raise _http_error(url, 503)

    def down(req):
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    with pytest.raises(RemoteError) as exc:
        d.Registry(ep, {}, opener=Script({url: boom})).manifest("o/x", "1")
    assert "answered 503" in exc.value.one_line() and "retry later" in exc.value.one_line()
    with pytest.raises(RemoteError) as exc:
        d.Registry(ep, {}, opener=Script({url: down})).manifest("o/x", "1")
    assert "not reachable" in exc.value.one_line()


# ---- verify against a fake registry ------------------------------------------------------------


class FakeRegistry:
    def __init__(self, tags, labels=None):
        self.tags, self._labels = tags, labels or {}

    def manifest(self, repo, tag):
        digest = self.tags.get((repo, tag))
        return d.Manifest(digest, d.MT_DOCKER_MANIFEST, "sha256:cfg" + tag) if digest else None

    def labels(self, repo, manifest):
        return self._labels.get(manifest.digest, {})


def _verify(tags, facts, labels=None, version="0.4.0"):
    pol = policy_from_table(
        {
            "repositories": {"docker_registry": "127.0.0.1:5000"},
            "packages": [{"name": "img", "kind": "docker", "image": "o/x"}],
        }
    )
    assert pol.repositories == Repositories(docker_registry="127.0.0.1:5000")
    fake = FakeRegistry(tags, labels)
    return ds.verify(pol, Version.parse(version), facts, registry=lambda ep: fake)


def test_verify_good_moved_on_and_tampered():
    facts = {"push:img": {"digests": {"0.4.0": DIGEST_A, "latest": DIGEST_A}}}
    assert _verify({("o/x", "0.4.0"): DIGEST_A, ("o/x", "latest"): DIGEST_A}, facts) == []
    # latest moved on to a higher final: fine
    assert (
        _verify(
            {("o/x", "0.4.0"): DIGEST_A, ("o/x", "latest"): DIGEST_B},
            facts,
            labels={DIGEST_B: {d.LABEL_VERSION: "0.5.0"}},
        )
        == []
    )
    # latest moved to something that is not a higher final: reported
    assert _verify(
        {("o/x", "0.4.0"): DIGEST_A, ("o/x", "latest"): DIGEST_B},
        facts,
        labels={DIGEST_B: {d.LABEL_VERSION: "0.5.0rc1"}},
    ) == [("image 127.0.0.1:5000/o/x:latest", DIGEST_A, DIGEST_B)]
    assert _verify({("o/x", "0.4.0"): DIGEST_B}, facts) == [
        ("image 127.0.0.1:5000/o/x:0.4.0", DIGEST_A, DIGEST_B),
        ("image 127.0.0.1:5000/o/x:latest", DIGEST_A, "missing"),
    ]


def test_verify_without_a_journal_record():
    assert _verify({("o/x", "0.4.0"): DIGEST_A}, {}) == [
        (
            "image 127.0.0.1:5000/o/x:0.4.0",
            "a pushed digest in the journal",
            f"no record (registry: {DIGEST_A})",
        )
    ]
