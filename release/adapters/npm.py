"""npm packages: pack, view, publish with a dist-tag, read, add and remove dist-tags.

Adapter only, every command through `release.runner.run` with `--registry` from
`[tool.release].repositories.npm_registry`. Versions are the SemVer rendering (`0.4.0-rc.1`).

Credentials: the user's npm config as it is, or - when NPM_TOKEN (or NODE_AUTH_TOKEN) is set in
the environment - a generated userconfig holding `//host/:_authToken=${NPM_TOKEN}`: npm expands
the variable itself, so the token is in no file, argv or log.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.adapters.runner import (
    CommandError,
    CommandTimeout,
    Result,
    network_timeout,
    redact,
    register_secret,
    run,
)
from release.core.latest import moved_on, rc_retired
from release.core.version import Version, from_npm, line_str
from release.errors import ReleaseError, RemoteError

TOKEN_ENV = ("NPM_TOKEN", "NODE_AUTH_TOKEN")
QUIET = {
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
    "npm_config_loglevel": "warn",
    # npm keeps a debug log of every run under ~/.npm/_logs with whatever a registry echoed back
    # (a token included): keep none
    "npm_config_logs_max": "0",
    # a dead registry fails within the network timeout instead of minutes of silent retries
    "npm_config_fetch_retries": "1",
    "npm_config_fetch_retry_mintimeout": "1000",
    "npm_config_fetch_retry_maxtimeout": "5000",
}


def tag_ok(
    tag: str, holds: str | None, ours: Version, published: Iterable[str] | None = None
) -> tuple[bool, str]:
    """Pure: does dist-tag `tag` (holding version `holds`) serve our release as it should?

    Our version, or a higher one of the same kind (a later RC, a higher final, a later patch of
    the line), is fine: the tag moved on. So is an `rc` tag retired after the final of our RC's
    line (`published`: the versions on the registry). Anything else: the tag still has to be set."""
    if holds == ours.semver():
        return True, f"{tag} -> {holds}"
    held = from_npm(holds)
    if moved_on(tag, held, ours):
        return True, f"{tag} -> {holds} (moved on past {ours.semver()})"
    versions = [v for v in map(from_npm, published or ()) if v is not None]
    if rc_retired(tag, held, ours, versions):
        return (
            True,
            f"{tag} -> {holds or 'unset'} (retired after the final of {line_str(ours.line)})",
        )
    return False, f"{tag} -> {holds or 'unset'}"


@dataclass(frozen=True)
class Packed:
    filename: str
    name: str
    version: str
    shasum: str  # sha1 hex, as npm reports it
    integrity: str  # sha512-... (SRI)


class Npm:
    """The npm CLI against one registry."""

    def __init__(
        self, registry: str, env: Mapping[str, str] | None = None, scratch: Path | None = None
    ) -> None:
        self.registry = registry if registry.endswith("/") else registry + "/"
        self.env: dict[str, str] = {**QUIET, **dict(env or {})}
        seconds = network_timeout(self.env)
        self.timeout = seconds
        self.env.setdefault("npm_config_fetch_timeout", str(int(seconds * 1000)))
        # reads never come from npm's cache: a registry that is down is "unreachable", never an
        # old answer that looks fine
        self._cache = tempfile.mkdtemp(prefix="release-npm-cache-")
        atexit.register(shutil.rmtree, self._cache, True)
        self.env["npm_config_cache"] = self._cache
        token_var = next((k for k in TOKEN_ENV if self.env.get(k)), None)
        if token_var:
            register_secret(self.env[token_var])
            if scratch is not None:
                self.env["NPM_CONFIG_USERCONFIG"] = str(self._token_npmrc(scratch, token_var))

    def _token_npmrc(self, scratch: Path, var: str) -> Path:
        parts = urllib.parse.urlsplit(self.registry)
        scope = f"//{parts.netloc}{parts.path}"
        scratch.mkdir(parents=True, exist_ok=True)
        path = scratch / "npmrc"
        # the literal text ${VAR}: npm substitutes it from the environment when it reads the file
        path.write_text(f"registry={self.registry}\n{scope}:_authToken=${{{var}}}\n")
        path.chmod(0o600)
        return path

    def _npm(self, *args: str, cwd: Path | None = None, check: bool = True) -> Result:
        try:
            return run(
                ["npm", *args, "--registry", self.registry],
                cwd=cwd,
                env=self.env,
                check=check,
                timeout=self.timeout,
            )
        except CommandTimeout:
            raise RemoteError(
                f"the npm registry {redact(self.registry)} did not answer within {self.timeout:g}s",
                "check that it is up; RELEASE_NETWORK_TIMEOUT sets the limit",
            ) from None

    # ---- reads -----------------------------------------------------------------------------
    def pack(self, pkg_dir: Path, dest: Path) -> Packed:
        dest.mkdir(parents=True, exist_ok=True)
        for old in dest.glob("*.tgz"):
            old.unlink()
        try:
            res = self._npm("pack", "--json", "--pack-destination", str(dest), cwd=pkg_dir)
        except CommandError as exc:
            raise ReleaseError(f"npm pack in {pkg_dir.name} failed: {exc.message}") from None
        data = _json_in(res.stdout)
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise ReleaseError(f"npm pack in {pkg_dir.name} printed no package description")
        d = data[0]
        filename = str(d.get("filename", ""))
        if not (dest / filename).is_file():
            found = sorted(dest.glob("*.tgz"))
            if len(found) != 1:
                raise ReleaseError(f"npm pack in {pkg_dir.name} left no single tarball in {dest}")
            filename = found[0].name
        return Packed(filename, d["name"], d["version"], d["shasum"], d["integrity"])

    def view(self, name: str, version: str) -> dict[str, Any] | None:
        """`npm view NAME@VERSION --json`: the version's manifest, or None if it is not there."""
        res = self._npm("view", f"{name}@{version}", "--json", "--prefer-online", check=False)
        out = (res.stdout or "").strip()
        if not res.ok:
            if _not_found(res.stdout + res.stderr):
                return None
            raise RemoteError(
                f"npm view {name}@{version} on {redact(self.registry)} failed: {_npm_error(res)}",
                "check the registry URL and credentials",
            )
        if not out:
            return None
        data = _json_in(out)
        if isinstance(data, list):  # a range can match several; an exact version gives one
            data = next(
                (d for d in data if isinstance(d, dict) and d.get("version") == version), None
            )
        return data if isinstance(data, dict) and data.get("version") == version else None

    def dist_tags(self, name: str) -> dict[str, str]:
        """`npm dist-tag ls NAME`: {tag: version} ({} when the package does not exist)."""
        res = self._npm("dist-tag", "ls", name, check=False)
        if not res.ok:
            # npm's message for a missing package is vague here: ask `npm view`, which says E404
            seen = self._npm("view", name, "dist-tags", "--json", "--prefer-online", check=False)
            if not seen.ok and _not_found(seen.stdout + seen.stderr):
                return {}
            raise RemoteError(
                f"npm dist-tag ls {name} on {redact(self.registry)} failed: {_npm_error(res)}"
            )
        tags: dict[str, str] = {}
        for line in res.stdout.splitlines():
            tag, sep, ver = line.partition(":")
            if sep and tag.strip() and ver.strip():
                tags[tag.strip()] = ver.strip()
        return tags

    # ---- writes ----------------------------------------------------------------------------
    def publish(self, tarball: Path, tag: str, access: str = "public") -> None:
        """`npm publish TARBALL --tag TAG`, with `--provenance` where npm can get an OIDC token
        for it (GitHub Actions with `id-token: write`: `core.checklist.npm_provenance`)."""
        from release.core.checklist import npm_provenance

        args = ["publish", str(tarball), "--tag", tag]
        if access:
            args += ["--access", access]
        if npm_provenance(self.env):
            args.append("--provenance")
        try:
            self._npm(*args, cwd=tarball.parent)
        except CommandError as exc:
            out = exc.stdout + exc.stderr
            hint = "re-run to retry; a version already there is compared, never overwritten"
            if "E401" in out or "ENEEDAUTH" in out or "E403" in out:
                hint = "log in to the registry or set NPM_TOKEN, then re-run"
            raise RemoteError(
                f"npm publish of {tarball.name} failed: {_npm_error(exc)}", hint
            ) from None

    def add_dist_tag(self, name: str, version: str, tag: str) -> None:
        try:
            self._npm("dist-tag", "add", f"{name}@{version}", tag)
        except CommandError as exc:
            raise RemoteError(
                f"npm dist-tag add {name}@{version} {tag} failed: {_npm_error(exc)}"
            ) from None

    def remove_dist_tag(self, name: str, tag: str) -> None:
        """`npm dist-tag rm NAME TAG`; a tag that is already gone is not an error (idempotent)."""
        try:
            self._npm("dist-tag", "rm", name, tag)
        except CommandError as exc:
            if tag not in self.dist_tags(name):
                return  # removed meanwhile (another run): what we wanted
            raise RemoteError(f"npm dist-tag rm {name} {tag} failed: {_npm_error(exc)}") from None

    # ---- read-only checks (release.doctor) ---------------------------------------------------
    def whoami(self) -> str:
        """The user the registry knows the credentials as (`npm whoami`); RemoteError when none."""
        res = self._npm("whoami", check=False)
        lines = [ln.strip() for ln in (res.stdout or "").splitlines() if ln.strip()]
        if not res.ok or not lines:
            raise RemoteError(
                f"npm whoami on {redact(self.registry)} failed: {_npm_error(res)}",
                "set NPM_TOKEN, or npm login to the registry",
            )
        return lines[-1]

    def owners(self, name: str) -> tuple[bool, list[str]]:
        """(the package exists, its maintainers as `npm owner ls` shows them) from `npm view`."""
        res = self._npm(
            "view", name, "name", "maintainers", "--json", "--prefer-online", check=False
        )
        if not res.ok:
            if _not_found(res.stdout + res.stderr):
                return False, []
            raise RemoteError(
                f"npm view {name} on {redact(self.registry)} failed: {_npm_error(res)}"
            )
        data = _json_in(res.stdout)
        found = data.get("maintainers") if isinstance(data, dict) else None
        people = found if isinstance(found, list) else [found] if found else []
        names = []
        for m in people:  # "user <mail>" or {"name": "user", "email": ...}
            who = m.get("name", "") if isinstance(m, dict) else str(m).split(" <", 1)[0]
            if who:
                names.append(str(who).strip())
        return True, names

    def collaborators(self, name: str) -> dict[str, str] | None:
        """{user: "read-only" | "read-write"} (`npm access list collaborators`), or None when the
        registry does not answer it (Verdaccio has no such API)."""
        res = self._npm("access", "list", "collaborators", name, "--json", check=False)
        data = _json_in(res.stdout) if res.ok else None
        if not isinstance(data, dict) or "error" in data:
            return None
        return {str(k): str(v) for k, v in data.items()}


def _json_in(text: str) -> Any:
    """The JSON document in npm's stdout (lifecycle scripts may print lines before it)."""
    text = text.strip()
    for start in range(len(text)):
        if text[start] in "[{":
            try:
                return json.loads(text[start:])
            except ValueError:
                continue
    return None


def _npm_error(res: Any) -> str:
    lines = [ln.strip() for ln in (res.stderr or res.stdout or "").splitlines() if ln.strip()]
    key = [ln for ln in lines if ln.startswith("npm error") and "A complete log" not in ln]
    return redact((key[0] if key else (lines[-1] if lines else "no output"))[:300])


def _not_found(text: str) -> bool:
    """npm said the package or version does not exist (code E404, "404 Not Found"); never a
    bare "404", which a port, a log file's timestamp or a URL can hold."""
    return re.search(r"\bE404\b|\b404 Not Found\b", text) is not None
