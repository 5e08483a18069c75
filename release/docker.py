"""Docker images: built from the tagged commit, pushed as `X.Y.Z` / `X.Y.ZrcN` (+ `latest` only
for the highest final), the pushed digest recorded and checked against the registry.

Two steps per docker package (in `policy.publish_order()`):

- `image:<name>`  build the image from an export of the release commit (`git archive`), with the
  configured context, Dockerfile and build args (`{version}` = PEP 440, `{name}` = package name),
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

from .engine import BaseStep, Probe
from .errors import ConfigError, ReleaseError, RemoteError
from .policy import Package, Policy
from .runner import CommandError, Result, redact, register_secret, run
from .version import Version

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


def tags_for(version: Version, is_latest: bool) -> list[str]:
    """`X.Y.Z` or `X.Y.ZrcN`, plus `latest` only for the highest final (never for an RC)."""
    tags = [version.docker_tag()]
    if is_latest and not version.is_rc:
        tags.append(LATEST)
    return tags


def render_build_args(pkg: Package, version: Version) -> dict[str, str]:
    """Build args with `{version}` (PEP 440) and `{name}` filled in; anything else is an error."""
    values = {"version": version.pep440(), "name": pkg.name}
    out: dict[str, str] = {}
    for key, raw in pkg.build_args.items():
        try:
            out[key] = raw.format_map(values)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"package {pkg.name!r}: build arg {key} = {raw!r} cannot be rendered ({exc})",
                "placeholders are {version} and {name}; write {{ and }} for literal braces",
            ) from None
    return out


def export_paths(pkg: Package) -> tuple[str, str]:
    """(context, dockerfile) as paths inside the repository, both relative to the package path."""
    base = PurePosixPath(pkg.path or ".")
    context = _norm(base / (pkg.context or "."))
    dockerfile = _norm(base / (pkg.dockerfile or "Dockerfile"))
    for label, p in (("context", context), ("dockerfile", dockerfile)):
        if p.startswith("../") or p == ".." or p.startswith("/"):
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
    return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 - http(s) only


class Registry:
    """The few registry reads the steps need: a tag's manifest, an image's labels."""

    def __init__(self, endpoint: Endpoint, env: Mapping[str, str] | None = None,
                 opener: Opener = _urlopen, timeout: float = 30.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
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
        status, headers, data = got
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RemoteError(f"registry {self.endpoint.host} sent an unreadable manifest for "
                              f"{repo}:{ref}") from None
        media = (headers.get("Content-Type") or body.get("mediaType") or "").split(";")[0].strip()
        digest = headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(data).hexdigest()
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
        raise RemoteError(f"registry {self.endpoint.host} refused the credentials for {repo}",
                          _hint(401))  # pragma: no cover - loop always returns or raises

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
            raise RemoteError(f"registry {self.endpoint.host} asked for an unsupported login "
                              f"({scheme or 'none'})", _hint(401))
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        query.setdefault("scope", f"repository:{repo}:pull")
        url = params["realm"] + "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, headers={"Authorization": basic} if basic else {})
        try:
            with self._opener(req, self.timeout) as resp:
                data = json.loads(resp.read(1024 * 1024).decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise RemoteError(f"registry {self.endpoint.host} token service answered {exc.code}",
                              _hint(401)) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RemoteError(redact(f"registry token service failed ({exc})"), _hint(401)) from None
        token = data.get("token") or data.get("access_token") or ""
        if not token:
            raise RemoteError(f"registry {self.endpoint.host} token service gave no token", _hint(401))
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
        res = self.run("image", "inspect", "--format", "{{json .Id}} {{json .Config.Labels}}", ref,
                       check=False)
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
        return RemoteError("the docker daemon is not reachable",
                           "start dockerd, or set DOCKER_HOST to its socket")
    return exc


# ---- steps -------------------------------------------------------------------------------------


def _docker(world: Any) -> DockerCLI:
    return world.service("docker", lambda: DockerCLI(world.env))


def _registry(world: Any, endpoint: Endpoint) -> Registry:
    return world.service(f"docker-registry:{endpoint.api}", lambda: Registry(endpoint, world.env))


class _ImageStep(BaseStep):
    def __init__(self, policy: Policy, pkg: Package, version: Version) -> None:
        self.policy = policy
        self.pkg = pkg
        self.version = version
        self.endpoint = registry_endpoint(policy.repositories.docker_registry)
        self.repo = repository(pkg, self.endpoint)
        self.ref = image_ref(pkg, self.endpoint)
        self.vtag = version.docker_tag()

    def _recorded_digest(self, world: Any, tag: str) -> str:
        return (world.journal.facts(f"push:{self.pkg.name}").get("digests") or {}).get(tag, "")

    def _registry_holds_ours(self, world: Any, m: Manifest, commit: str) -> tuple[bool, str]:
        """Is the version tag in the registry this release's image? (yes, why-not)."""
        if self._recorded_digest(world, self.vtag) == m.digest:
            return True, ""
        labels = _registry(world, self.endpoint).labels(self.repo, m)
        rev = labels.get(LABEL_REVISION, "")
        if commit and rev == commit:
            return True, ""
        if not rev:
            why = "an image without a revision label (not built by this release)"
        elif not commit:
            why = f"an image built from {rev[:12]} (no release commit yet to compare)"
        else:
            why = f"an image built from {rev[:12]}, not from the release commit {commit[:12]}"
        return False, why


class BuildImage(_ImageStep):
    """Build the image of one docker package from the release commit."""

    irreversible = False

    def __init__(self, policy: Policy, pkg: Package, version: Version) -> None:
        super().__init__(policy, pkg, version)
        self.name = f"image:{pkg.name}"

    def describe(self) -> str:
        context, dockerfile = export_paths(self.pkg)
        return f"Build image {self.ref}:{self.vtag} from the release commit ({dockerfile}, context {context})"

    def probe(self, world: Any) -> Probe:
        commit = world.release_commit
        m = _registry(world, self.endpoint).manifest(self.repo, self.vtag)
        if m is not None:
            ours, why = self._registry_holds_ours(world, m, commit)
            if not ours:
                return Probe.clash(f"registry already holds {self.ref}:{self.vtag} ({m.digest}): {why}; "
                                   "tags are immutable", registry_digest=m.digest)
            return Probe.yes(f"{self.ref}:{self.vtag} is already in the registry ({m.digest[:19]})",
                             image=self.ref, image_id=m.identity, source="registry", revision=commit)
        local = _docker(world).image(f"{self.ref}:{self.vtag}")
        if local is not None and commit and local[1].get(LABEL_REVISION) == commit:
            return Probe.yes(f"image {self.ref}:{self.vtag} is built from {commit[:12]}",
                             image=self.ref, image_id=local[0], source="local", revision=commit)
        if not commit:
            return Probe.no("the release commit is not known yet (it is built once tagged)")
        return Probe.no(f"image {self.ref}:{self.vtag} not built yet")

    def apply(self, world: Any) -> dict[str, Any]:
        commit = world.release_commit
        if not commit:
            raise ReleaseError(f"{self.name}: no release commit to build from",
                               "run the commit and tag steps first")
        context, dockerfile = export_paths(self.pkg)
        root = Path(world.work_dir) / "docker" / self.pkg.slug
        export_tree(world.repo, commit, [context, dockerfile], root, self.pkg.slug)
        if not (root / dockerfile).is_file():
            raise ConfigError(f"package {self.pkg.name!r}: {dockerfile} does not exist at {commit[:12]}",
                              "fix [tool.release].packages dockerfile/path")
        if not (root / context).is_dir():
            raise ConfigError(f"package {self.pkg.name!r}: context {context} is not a directory at "
                              f"{commit[:12]}", "fix [tool.release].packages context/path")
        docker = _docker(world)
        tags = tags_for(self.version, world.is_latest)
        labels = {LABEL_REVISION: commit, LABEL_VERSION: self.version.pep440()}
        argv = build_argv(self.ref, tags, root / context, root / dockerfile,
                          render_build_args(self.pkg, self.version), labels,
                          self.pkg.network or docker.network)
        docker.build(argv, cwd=root)
        local = docker.image(f"{self.ref}:{self.vtag}")
        if local is None:
            raise ReleaseError(f"{self.name}: docker build finished but {self.ref}:{self.vtag} is missing")
        return {"image": self.ref, "tags": tags, "image_id": local[0], "revision": commit,
                "dockerfile": dockerfile, "context": context, "source": "built"}


class PushImage(_ImageStep):
    """Push the version tag (and `latest` for the highest final); verify the registry's digests."""

    irreversible = True

    def __init__(self, policy: Policy, pkg: Package, version: Version) -> None:
        super().__init__(policy, pkg, version)
        self.name = f"push:{pkg.name}"
        self._pushed: dict[str, str] = {}

    def describe(self) -> str:
        extra = "an RC never moves latest" if self.version.is_rc else "and latest if highest final"
        return f"Push {self.ref}:{self.vtag} ({extra}); record and verify the digest"

    def _expected_identity(self, world: Any) -> str:
        built = world.journal.facts(f"image:{self.pkg.name}").get("image_id", "")
        if built:
            return built
        local = _docker(world).image(f"{self.ref}:{self.vtag}")
        commit = world.release_commit
        if local is not None and commit and local[1].get(LABEL_REVISION) == commit:
            return local[0]
        return ""

    def _latest(self, world: Any, version_digest: str) -> tuple[str, str]:
        """State of `latest` for this release: ("ours" | "left" | "move", detail).

        "ours": it points at the version's digest; "left": it is not ours to move (not the
        highest final, or it already holds a higher final); "move": it must be pushed.
        """
        if not world.is_latest:
            return "left", "latest not moved (not the highest final)"
        reg = _registry(world, self.endpoint)
        cur = reg.manifest(self.repo, LATEST)
        if cur is None:
            return "move", "latest does not exist yet"
        if cur.digest == version_digest:
            return "ours", "latest points at it"
        held = version_of_label(reg.labels(self.repo, cur).get(LABEL_VERSION))
        if held is not None and not held.is_rc and held > self.version:
            return "left", f"latest stays at the higher {held}"
        return "move", f"latest points at {cur.digest[:19]}" + (f" ({held})" if held else "")

    def probe(self, world: Any) -> Probe:
        reg = _registry(world, self.endpoint)
        m = reg.manifest(self.repo, self.vtag)
        if m is None:
            return Probe.no(f"{self.ref}:{self.vtag} is not in the registry yet")
        recorded = self._recorded_digest(world, self.vtag)
        if recorded != m.digest:
            expected = self._expected_identity(world)
            if expected and expected != m.identity:
                return Probe.clash(
                    f"registry holds {self.ref}:{self.vtag} as {m.digest} (image {m.identity[:19]}), "
                    f"not the image built for this release ({expected[:19]}); tags are immutable",
                    registry_digest=m.digest)
            if not expected:
                ours, why = self._registry_holds_ours(world, m, world.release_commit)
                if not ours:
                    return Probe.clash(f"registry holds {self.ref}:{self.vtag} ({m.digest}): {why}; "
                                       "tags are immutable", registry_digest=m.digest)
        state, latest = self._latest(world, m.digest)
        digests = {self.vtag: m.digest}
        if state == "ours":
            digests[LATEST] = m.digest
        facts = {"image": self.ref, "digest": m.digest, "digests": digests, "image_id": m.identity}
        if state == "move":
            return Probe.no(f"{self.vtag} is in the registry; {latest}", **facts)
        return Probe.yes(f"{self.ref}:{self.vtag} = {m.digest[:19]}; {latest}", **facts)

    def apply(self, world: Any) -> dict[str, Any]:
        docker = _docker(world)
        reg = _registry(world, self.endpoint)
        source = f"{self.ref}:{self.vtag}"
        pushed: dict[str, str] = {}
        m = reg.manifest(self.repo, self.vtag)
        if m is None:
            if docker.image(source) is None:
                raise ReleaseError(f"{self.name}: image {source} is not built here",
                                   f"re-run so image:{self.pkg.name} builds it")
            pushed[self.vtag] = docker.push(source) or self._served(reg, self.vtag)
        else:
            pushed[self.vtag] = m.digest
        state, _ = self._latest(world, pushed[self.vtag])
        if state == "move":
            if docker.image(source) is None:
                docker.pull(source)  # built elsewhere / earlier: move latest to what is served
            docker.tag(source, f"{self.ref}:{LATEST}")
            pushed[LATEST] = docker.push(f"{self.ref}:{LATEST}") or self._served(reg, LATEST)
        self._pushed = pushed
        return {"image": self.ref, "digest": pushed[self.vtag], "digests": dict(pushed)}

    def _served(self, reg: Registry, tag: str) -> str:
        m = reg.manifest(self.repo, tag)
        return m.digest if m else ""

    def verify(self, world: Any) -> Probe:
        if not self._pushed:
            return self.probe(world)
        reg = _registry(world, self.endpoint)
        served: dict[str, str] = {}
        for tag, digest in self._pushed.items():
            m = reg.manifest(self.repo, tag)
            served[tag] = m.digest if m else ""
            if not m:
                return Probe.no(f"registry does not serve {self.ref}:{tag} after the push")
            if digest and m.digest != digest:
                return Probe.no(f"registry serves {m.digest} for {self.ref}:{tag}, "
                                f"the push reported {digest}")
        after = self.probe(world)
        if after.conflict or not after.done:
            return after
        return Probe.yes(after.detail, image=self.ref, digest=served[self.vtag], digests=served,
                         image_id=after.facts.get("image_id", ""))


def export_tree(repo: Any, commit: str, paths: list[str], dest: Path, name: str) -> None:
    """Extract `paths` of `commit` into a clean `dest` (what was tagged, not the work tree)."""
    from .build import archive_into

    specs = sorted(set(paths))
    if "." in specs:
        specs = ["."]
    for spec in specs:
        if spec != "." and not repo.git("cat-file", "-e", f"{commit}:{spec}", check=False).ok:
            raise ConfigError(f"package {name!r}: {spec} does not exist at {commit[:12]}",
                              "fix [tool.release].packages path/context/dockerfile, or tag a commit "
                              "that has it")
    archive_into(repo, commit, specs, dest, name, "fix [tool.release].packages path/context/dockerfile")


# ---- plan hooks --------------------------------------------------------------------------------


def docker_packages(policy: Policy) -> list[Package]:
    return [p for p in policy.publish_order() if p.kind == "docker"]


def build_steps(policy: Policy, version: Version) -> list[BaseStep]:
    """`image:<name>` for every docker package, in dependency order."""
    return [BuildImage(policy, p, version) for p in docker_packages(policy)]


def publish_steps(policy: Policy, version: Version) -> list[BaseStep]:
    """`push:<name>` for every docker package, in dependency order."""
    return [PushImage(policy, p, version) for p in docker_packages(policy)]


# ---- release.verify ----------------------------------------------------------------------------

Difference = tuple[str, str, str]  # (item, expected, actual)


def verify(policy: Policy, version: Version, facts: Mapping[str, Mapping[str, Any]],
           env: Mapping[str, str] | None = None,
           registry: Callable[[Endpoint], Registry] | None = None) -> list[Difference]:
    """Re-check a release's images against its journal facts: every recorded tag must still
    serve the recorded digest (`latest` may have moved on to a higher final)."""
    if not docker_packages(policy):
        return []
    endpoint = registry_endpoint(policy.repositories.docker_registry)
    reg = registry(endpoint) if registry else Registry(endpoint, env or {})
    diffs: list[Difference] = []
    vtag = version.docker_tag()
    for pkg in docker_packages(policy):
        repo, ref = repository(pkg, endpoint), image_ref(pkg, endpoint)
        pushed = facts.get(f"push:{pkg.name}") or {}
        digests = dict(pushed.get("digests") or {})
        if vtag not in digests:
            m = reg.manifest(repo, vtag)
            diffs.append((f"image {ref}:{vtag}", "a pushed digest in the journal",
                          f"no record (registry: {m.digest if m else 'missing'})"))
            continue
        for tag, digest in sorted(digests.items()):
            m = reg.manifest(repo, tag)
            if m is not None and m.digest == digest:
                continue
            if tag == LATEST and m is not None:
                held = version_of_label(reg.labels(repo, m).get(LABEL_VERSION))
                if held is not None and not held.is_rc and held > version:
                    continue  # a higher final moved latest on, as it should
            diffs.append((f"image {ref}:{tag}", digest, m.digest if m else "missing"))
    return diffs


def verify_world(world: Any) -> list[Difference]:
    """`verify` for a World (policy, version, journal and env from it)."""
    return verify(world.policy, world.version, world.journal.all_facts(), env=world.env)
