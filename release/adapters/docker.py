"""Docker images: built from the tagged commit, pushed as `X.Y.Z` / `X.Y.ZrcN` (+ `latest` only
for the highest final), the pushed digest recorded and checked against the registry.

Two steps per docker image (in `policy.images()`: dependency order, one image per variant):

- `image:<name>`  build the image from an export of the release commit (`git archive`), with the
  configured context, Dockerfile and build args (`{version}` = PEP 440, `{name}` = package name,
  `{variant}`: a package with `variants` is one image per variant, `image:<name>[<variant>]`),
  labelled `org.opencontainers.image.revision=<commit>` and `...version=<version>`.
- `push:<name>`   push the version tag (and `latest` when the release is the highest final); record
  each pushed manifest digest; verify the registry serves exactly those digests.

Idempotency comes from the registry: a tag that already holds this release's image (same digest
as recorded, same image id as built, or - with no record at all - the same revision label) is done;
a tag holding anything else is a clash (tags are immutable). Only `latest` moves, and only for the
highest final (never for an RC, never for a patch of an older line, never backwards).

Reads of the registry go through its HTTP API (v2, anonymous or with DOCKER_USERNAME /
DOCKER_PASSWORD); writes go through the `docker` CLI (its own credential store), always via
`release.runner.run`. DOCKER_HOST and the other DOCKER_* variables come from `world.env`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from release.adapters.runner import CommandError, Result, http_timeout, redact, register_secret, run
from release.core.policy import Package
from release.core.version import Version
from release.errors import ConfigError, ReleaseError, RemoteError

LABEL_REVISION = "org.opencontainers.image.revision"
LABEL_VERSION = "org.opencontainers.image.version"
LATEST = "latest"

MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_ACCEPT = ", ".join([MT_DOCKER_MANIFEST, MT_DOCKER_LIST, MT_OCI_MANIFEST, MT_OCI_INDEX])
INDEX_TYPES = (MT_DOCKER_LIST, MT_OCI_INDEX)

# Extra environment: the network a build's RUN instructions use (e.g. "host" to reach a local
# index, "none" for hermetic builds); unset = the daemon's default.
NETWORK_ENV = "RELEASE_DOCKER_NETWORK"
USER_ENV, PASSWORD_ENV = "DOCKER_USERNAME", "DOCKER_PASSWORD"

DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")


# ---- pure: names, tags, argv ------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where a registry is: `host` for image references, `api` for its HTTP API."""

    host: str
    api: str
    hub: bool = False


def registry_endpoint(value: str) -> Endpoint:
    """`docker.io`, `ghcr.io`, `127.0.0.1:5000` or `http://host:port` -> Endpoint.

    Loopback hosts are spoken to over http (as the docker daemon does), everything else over
    https unless the value names its scheme.
    """
    text = (value or "").strip().rstrip("/")
    if not text:
        raise ConfigError("[tool.release].repositories.docker_registry is empty", "e.g. docker.io")
    scheme = ""
    if "://" in text:
        scheme, _, text = text.partition("://")
        if scheme not in ("http", "https"):
            raise ConfigError(
                f"[tool.release].repositories.docker_registry = {value!r} is not valid",
                "use host[:port] or http(s)://host[:port]",
            )
    if "/" in text:
        raise ConfigError(
            f"[tool.release].repositories.docker_registry = {value!r} is not valid",
            "name the registry host only; the repository goes in the package's image",
        )
    if text.lower() in DOCKER_HUB:
        return Endpoint("docker.io", "https://registry-1.docker.io", hub=True)
    hostname = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    loopback = hostname in ("localhost", "::1", "[::1]") or hostname.startswith("127.")
    return Endpoint(text, f"{scheme or ('http' if loopback else 'https')}://{text}")


def repository(pkg: Package, endpoint: Endpoint) -> str:
    """The repository path inside the registry (Docker Hub's official images live in library/)."""
    image = pkg.image.strip("/")
    if endpoint.hub and "/" not in image:
        return f"library/{image}"
    return image


def image_ref(pkg: Package, endpoint: Endpoint) -> str:
    """The reference the docker CLI uses, without a tag: `host/repo`."""
    return f"{endpoint.host}/{repository(pkg, endpoint)}"


def render_build_args(pkg: Package, version: Version) -> dict[str, str]:
    """Build args with `{version}` (PEP 440), `{name}` and, for an image of a package with
    variants (`core.policy.expand_variants`), `{variant}` filled in; anything else is an error."""
    values = {"version": version.pep440(), "name": pkg.name}
    if pkg.variant:
        values["variant"] = pkg.variant
    out: dict[str, str] = {}
    for key, raw in pkg.build_args.items():
        try:
            out[key] = raw.format_map(values)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"package {pkg.name!r}: build arg {key} = {raw!r} cannot be rendered ({exc})",
                "placeholders are {version}, {name} and (with variants) {variant}; "
                "write {{ and }} for literal braces",
            ) from None
    return out


def export_paths(pkg: Package) -> tuple[str, str]:
    """(context, dockerfile) as paths inside the repository, both relative to the package path."""
    base = PurePosixPath(pkg.path or ".")
    context = _norm(base / (pkg.context or "."))
    dockerfile = _norm(base / (pkg.dockerfile or "Dockerfile"))
    for label, p in (("context", context), ("dockerfile", dockerfile)):
        if p.startswith(("../", "/")) or p == "..":
            raise ConfigError(
                f"package {pkg.name!r}: {label} {p!r} is outside the repository",
                "paths are relative to the package path inside the repository",
            )
    return context, dockerfile


def _norm(p: PurePosixPath) -> str:
    parts: list[str] = []
    for part in p.parts:
        if part in ("", "."):
            continue
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) or "."


def build_argv(
    ref: str,
    tags: list[str],
    context_dir: Path,
    dockerfile: Path,
    build_args: Mapping[str, str],
    labels: Mapping[str, str],
    network: str = "",
) -> list[str]:
    """The `docker build` command line (pure)."""
    argv = ["docker", "build", "--file", str(dockerfile)]
    for tag in tags:
        argv += ["--tag", f"{ref}:{tag}"]
    for key in sorted(build_args):
        argv += ["--build-arg", f"{key}={build_args[key]}"]
    for key in sorted(labels):
        argv += ["--label", f"{key}={labels[key]}"]
    if network:
        argv.append(f"--network={network}")
    argv.append(str(context_dir))
    return argv


_PUSH_DIGEST = re.compile(r"digest:\s*(sha256:[0-9a-f]{64})")


def parse_push_digest(output: str) -> str:
    """The manifest digest `docker push` reports (`TAG: digest: sha256:... size: N`), or ''."""
    found = _PUSH_DIGEST.findall(output or "")
    return found[-1] if found else ""


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="...",service="...",scope="..."` -> ("bearer", {realm, service, scope})."""
    scheme, _, rest = (header or "").strip().partition(" ")
    params = {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', rest)}
    return scheme.lower(), params


def version_of_label(text: str | None) -> Version | None:
    try:
        return Version.parse(text) if text else None
    except ReleaseError:
        return None


# ---- registry (HTTP API v2, read side) ---------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """A tag as the registry serves it."""

    digest: str  # what `docker push` reports and `Docker-Content-Digest` says
    media_type: str
    config_digest: str = ""  # single-image manifests: equals the local image id
    body: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def identity(self) -> str:
        """What a local image id is compared to: the config digest, or the index digest."""
        return self.config_digest or self.digest


Opener = Callable[[urllib.request.Request, float], Any]


def _urlopen(req: urllib.request.Request, timeout: float) -> Any:
    return urllib.request.urlopen(req, timeout=timeout)


class Registry:
    """The few registry reads the steps need: a tag's manifest, an image's labels."""

    def __init__(
        self,
        endpoint: Endpoint,
        env: Mapping[str, str] | None = None,
        opener: Opener = _urlopen,
        timeout: float | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout if timeout is not None else http_timeout(30.0)
        self._opener = opener
        env = env or {}
        self._user = env.get(USER_ENV, "")
        self._password = env.get(PASSWORD_ENV, "")
        register_secret(self._password)
        self._auth: dict[str, str] = {}  # scope -> Authorization header value

    # ---- public reads -----------------------------------------------------------------------
    def manifest(self, repo: str, ref: str) -> Manifest | None:
        """The manifest behind `repo:ref`, or None when the tag (or repository) does not exist."""
        got = self._get(f"/v2/{repo}/manifests/{ref}", {"Accept": MANIFEST_ACCEPT}, repo)
        if got is None:
            return None
        _status, headers, data = got
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RemoteError(
                f"registry {self.endpoint.host} sent an unreadable manifest for {repo}:{ref}"
            ) from None
        media = (headers.get("Content-Type") or body.get("mediaType") or "").split(";")[0].strip()
        digest = (
            headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(data).hexdigest()
        )
        config = ""
        if media not in INDEX_TYPES:
            config = (body.get("config") or {}).get("digest", "")
        return Manifest(digest=digest, media_type=media, config_digest=config, body=body)

    def labels(self, repo: str, manifest: Manifest) -> dict[str, str]:
        """The image config's labels (for an index: those of its first runnable image)."""
        m = manifest
        if m.is_index:
            for child in m.body.get("manifests", []):
                plat = child.get("platform") or {}
                if plat.get("os") == "unknown":  # attestation manifests
                    continue
                sub = self.manifest(repo, child.get("digest", ""))
                if sub is not None and not sub.is_index:
                    m = sub
                    break
            else:
                return {}
        if not m.config_digest:
            return {}
        got = self._get(f"/v2/{repo}/blobs/{m.config_digest}", {}, repo)
        if got is None:
            return {}
        try:
            config = json.loads(got[2].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {}
        return dict((config.get("config") or {}).get("Labels") or {})

    # ---- plumbing ---------------------------------------------------------------------------
    def _get(self, path: str, headers: dict[str, str], repo: str) -> tuple[int, Any, bytes] | None:
        url = self.endpoint.api + path
        for attempt in (1, 2):
            hdrs = dict(headers)
            if repo in self._auth:
                hdrs["Authorization"] = self._auth[repo]
            req = urllib.request.Request(url, headers=hdrs, method="GET")
            try:
                with self._opener(req, self.timeout) as resp:
                    return resp.status, resp.headers, resp.read(8 * 1024 * 1024)
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                if exc.code == 401 and attempt == 1:
                    self._authorize(repo, exc.headers.get("WWW-Authenticate", ""))
                    continue
                raise RemoteError(
                    redact(f"registry {self.endpoint.host} answered {exc.code} for GET {path}"),
                    _hint(exc.code),
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise RemoteError(
                    redact(f"registry {self.endpoint.api} is not reachable ({reason})"),
                    "start it, or fix [tool.release].repositories.docker_registry",
                ) from None
        raise RemoteError(
            f"registry {self.endpoint.host} refused the credentials for {repo}", _hint(401)
        )  # pragma: no cover - loop always returns or raises

    def _authorize(self, repo: str, challenge: str) -> None:
        scheme, params = parse_challenge(challenge)
        basic = ""
        if self._user and self._password:
            basic = "Basic " + base64.b64encode(f"{self._user}:{self._password}".encode()).decode()
            register_secret(basic.split(" ", 1)[1])
        if scheme == "basic":
            if not basic:
                raise RemoteError(f"registry {self.endpoint.host} requires a login", _hint(401))
            self._auth[repo] = basic
            return
        if scheme != "bearer" or not params.get("realm"):
            raise RemoteError(
                f"registry {self.endpoint.host} asked for an unsupported login "
                f"({scheme or 'none'})",
                _hint(401),
            )
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        query.setdefault("scope", f"repository:{repo}:pull")
        url = params["realm"] + "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, headers={"Authorization": basic} if basic else {})
        try:
            with self._opener(req, self.timeout) as resp:
                data = json.loads(resp.read(1024 * 1024).decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise RemoteError(
                f"registry {self.endpoint.host} token service answered {exc.code}", _hint(401)
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RemoteError(
                redact(f"registry token service failed ({exc})"), _hint(401)
            ) from None
        token = data.get("token") or data.get("access_token") or ""
        if not token:
            raise RemoteError(
                f"registry {self.endpoint.host} token service gave no token", _hint(401)
            )
        register_secret(token)
        self._auth[repo] = f"Bearer {token}"


def _hint(status: int) -> str:
    if status in (401, 403):
        return f"set {USER_ENV} and {PASSWORD_ENV} (a token) with read access to the repository"
    if status >= 500:
        return "the registry is failing; retry later"
    return "check the registry and the image name in [tool.release].packages"


# ---- docker CLI (write side) -------------------------------------------------------------------


class DockerCLI:
    """`docker` through the runner; DOCKER_* from the given environment."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = env or {}
        self.env = {k: v for k, v in env.items() if k.startswith("DOCKER_")}
        self.network = env.get(NETWORK_ENV, "")

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> Result:
        try:
            return run(["docker", *args], cwd=cwd, env=self.env, check=check)
        except CommandError as exc:
            raise _daemon_error(exc) from None

    def image(self, ref: str) -> tuple[str, dict[str, str]] | None:
        """(image id, labels) of a local image, or None when it does not exist."""
        res = self.run(
            "image", "inspect", "--format", "{{json .Id}} {{json .Config.Labels}}", ref, check=False
        )
        if not res.ok:
            text = (res.stderr or res.stdout).lower()
            if "no such image" in text or "no such object" in text or "not found" in text:
                return None
            raise _daemon_error(CommandError(res.argv, res.returncode, res.stdout, res.stderr))
        first, _, rest = res.stdout.strip().partition(" ")
        image_id = json.loads(first)
        labels = json.loads(rest) if rest.strip() else None
        return image_id, dict(labels or {})

    def build(self, argv: list[str], cwd: Path) -> None:
        self.run(*argv[1:], cwd=cwd)

    def tag(self, source: str, target: str) -> None:
        self.run("tag", source, target)

    def pull(self, ref: str) -> None:
        self.run("pull", "--quiet", ref)

    def push(self, ref: str) -> str:
        """Push one tag; the manifest digest the daemon reports ('' if it said none)."""
        res = self.run("push", ref)
        return parse_push_digest(res.stdout + "\n" + res.stderr)


def _daemon_error(exc: CommandError) -> ReleaseError:
    text = (exc.stderr or exc.stdout or "").lower()
    if "cannot connect to the docker daemon" in text or "is the docker daemon running" in text:
        return RemoteError(
            "the docker daemon is not reachable", "start dockerd, or set DOCKER_HOST to its socket"
        )
    return exc
