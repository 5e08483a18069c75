"""The release process as data: `[tool.release]` in pyproject.toml, defaults = the seed's rules.

`policy_from_table(table)` validates the table (read by `release.adapters.files.load_policy`);
unknown keys and wrong types raise `ConfigError` naming the key, the value and what is expected.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from release.errors import ConfigError

KINDS = ("patch", "minor", "major")
PACKAGE_KINDS = ("python", "npm", "docker")


@dataclass(frozen=True)
class Cadence:
    """How often each release type is due, in days (seed: patch weekly, minor 2 months, major 6-8 months)."""

    patch_days: int = 7
    minor_days: int = 61
    major_min_days: int = 183
    major_max_days: int = 244


@dataclass(frozen=True)
class Windows:
    """Community testing windows between rc1 and the final, in days."""

    minor: int = 7
    major: int = 14
    major_advised: int = 21


@dataclass(frozen=True)
class Tests:
    """Nox tags that must pass for each release type, and the evidence source."""

    patch: list[str] = field(default_factory=lambda: ["patch"])
    minor: list[str] = field(default_factory=lambda: ["minor"])
    major: list[str] = field(default_factory=lambda: ["major"])
    # "nox": run `nox -t TAG` on the release commit; "checks": accept green GitHub check runs;
    # "none": skipped (shown as skipped in the plan, never silently passed).
    evidence: str = "nox"
    required_checks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Repositories:
    """Upload and read URLs of the Python indexes (finals to pypi, RCs to testpypi)."""

    pypi_upload: str = "https://upload.pypi.org/legacy/"
    pypi_simple: str = "https://pypi.org/simple/"
    testpypi_upload: str = "https://test.pypi.org/legacy/"
    testpypi_simple: str = "https://test.pypi.org/simple/"
    npm_registry: str = "https://registry.npmjs.org/"
    docker_registry: str = "docker.io"


@dataclass(frozen=True)
class Channel:
    """A notification channel: a Discord or Slack incoming webhook, URL read from an env var."""

    kind: str = "discord"  # discord | slack
    url_env: str = ""
    forum: bool = False  # Discord forum channel: the first post creates a thread (thread_name)


@dataclass(frozen=True)
class Notify:
    releases: Channel | None = None  # the per-release thread (#releases)
    announcements: Channel | None = None  # the announcement (#announcements)


@dataclass(frozen=True)
class Workflow:
    """A GitHub Actions workflow dispatched as part of the release ("trigger release workflows")."""

    file: str = "release.yml"
    ref: str = ""  # defaults to the release tag
    inputs: dict[str, str] = field(default_factory=dict)  # values may use {version}, {kind}, {tag}
    kinds: list[str] = field(default_factory=lambda: ["patch", "minor", "major", "rc", "final"])
    timeout_s: int = 3600


@dataclass(frozen=True)
class Package:
    """One artifact of the release: a Python distribution, an npm package or a Docker image."""

    name: str = ""
    kind: str = "python"
    path: str = "."
    version_files: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    # python: import names for the smoke test; pins "pkg==" rewritten in version files
    import_names: list[str] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    # docker
    image: str = ""
    dockerfile: str = "Dockerfile"
    context: str = "."
    build_args: dict[str, str] = field(default_factory=dict)
    network: str = ""  # docker build --network for RUN (e.g. "host" to reach a local index)
    # npm
    access: str = "public"

    @property
    def slug(self) -> str:
        """The name as one safe path component (`@demo/client` -> `_demo_client`), for work dirs."""
        import re

        return re.sub(r"[^A-Za-z0-9._-]", "_", self.name)


@dataclass(frozen=True)
class Policy:
    """Everything the release process decides by; defaults are the seed's rules."""

    main_branch: str = "main"
    remote: str = "origin"
    branch_pattern: str = "release-{major}.{minor}.x"
    tag_pattern: str = "v{version}"
    changelog: str = "CHANGELOG.md"
    # version files outside any package (relative to the root), bumped like a package's
    version_files: list[str] = field(default_factory=list)
    github_repo: str = ""
    github_api: str = "https://api.github.com"
    rc_required: list[str] = field(default_factory=lambda: ["minor", "major"])
    supported_lines: int = 2
    eol_lines: list[str] = field(default_factory=list)
    allow_teams: bool = True
    teams: dict[str, list[str]] = field(
        default_factory=dict
    )  # "@org/team" -> members (logins/e-mails)
    require_codeowners: bool = True
    dev_bump_on_main: bool = False
    milestone_gate: bool = True
    next_milestone: bool = True
    cadence: Cadence = field(default_factory=Cadence)
    windows: Windows = field(default_factory=Windows)
    tests: Tests = field(default_factory=Tests)
    repositories: Repositories = field(default_factory=Repositories)
    notify: Notify = field(default_factory=Notify)
    workflows: list[Workflow] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)

    # ---- derived, pure -------------------------------------------------------------------
    def branch_for(self, line: tuple[int, int]) -> str:
        return self.branch_pattern.format(major=line[0], minor=line[1])

    def line_of_branch(self, branch: str | None) -> tuple[int, int] | None:
        """The line X.Y a branch name belongs to under `branch_pattern`, or None."""
        if not branch:
            return None
        import re

        pat = re.escape(self.branch_pattern)
        pat = pat.replace(re.escape("{major}"), r"(?P<major>\d+)").replace(
            re.escape("{minor}"), r"(?P<minor>\d+)"
        )
        m = re.fullmatch(pat, branch)
        if not m:
            return None
        return int(m.group("major")), int(m.group("minor"))

    @property
    def tag_prefix(self) -> str:
        return self.tag_pattern.split("{version}")[0]

    def window_days(self, kind: str) -> int:
        return self.windows.major if kind == "major" else self.windows.minor

    def package(self, name: str) -> Package:
        for p in self.packages:
            if p.name == name:
                return p
        raise ConfigError(f"no package named '{name}' in [tool.release].packages")

    def publish_order(self) -> list[Package]:
        """Packages in dependency order: every package after the ones it depends on."""
        return topo_order(self.packages)


def topo_order(packages: list[Package]) -> list[Package]:
    by_name = {p.name: p for p in packages}
    done: list[Package] = []
    seen: set[str] = set()
    visiting: set[str] = set()

    def visit(p: Package, chain: list[str]) -> None:
        if p.name in seen:
            return
        if p.name in visiting:
            cycle = " -> ".join([*chain, p.name])
            raise ConfigError(
                f"[tool.release].packages depends_on has a cycle: {cycle}", "remove one edge"
            )
        visiting.add(p.name)
        for dep in p.depends_on:
            if dep not in by_name:
                raise ConfigError(
                    f"[tool.release].packages '{p.name}' depends_on '{dep}', which is not a package",
                    f"known packages: {', '.join(sorted(by_name)) or 'none'}",
                )
            visit(by_name[dep], [*chain, p.name])
        visiting.discard(p.name)
        seen.add(p.name)
        done.append(p)

    for p in packages:
        visit(p, [])
    return done


# ---- loading and validation ----------------------------------------------------------------


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is int:
        return "an integer"
    if tp is str:
        return "a string"
    if tp is bool:
        return "true or false"
    if origin is list:
        (inner,) = typing.get_args(tp)
        return f"a list of {_describe(inner).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        _, inner = typing.get_args(tp)
        return (
            "a table of strings"
            if inner is str
            else f"a table of {_describe(inner).removeprefix('a ')}"
        )
    if dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


def _convert(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(value, args[0], where)
    bad = ConfigError(
        f"[tool.release].{where} = {value!r} is not valid", f"expected {_describe(tp)}"
    )
    if tp is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad
        return value
    if tp is str:
        if not isinstance(value, str):
            raise bad
        return value
    if origin is list:
        (inner,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise bad
        return [_convert(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, inner = typing.get_args(tp)
        if not isinstance(value, dict):
            raise bad
        if inner is str:
            if not all(
                isinstance(v, (str, int)) and not isinstance(v, bool) for v in value.values()
            ):
                raise bad
            return {str(k): str(v) for k, v in value.items()}
        return {str(k): _convert(v, inner, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise bad
        return _build(tp, value, where)
    raise bad  # pragma: no cover


def _build(cls: Any, table: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        k = key.replace("-", "_")
        if k not in names:
            prefix = f"{where}." if where else ""
            raise ConfigError(
                f"[tool.release].{prefix}{key} is not a known key",
                f"known keys here: {', '.join(sorted(names))}",
            )
        kwargs[k] = _convert(value, hints[k], f"{where}.{key}" if where else key)
    return cls(**kwargs)


def policy_from_table(table: dict[str, Any]) -> Policy:
    """Validate a `[tool.release]` table (already parsed) and build the Policy."""
    policy: Policy = _build(Policy, table, "")
    _check_semantics(policy)
    return policy


def _check_semantics(p: Policy) -> None:
    for key, paths in (("changelog", [p.changelog]), ("version_files", list(p.version_files))):
        for value in paths:
            if not value or value.startswith("/") or ".." in PurePosixPath(value).parts:
                raise ConfigError(
                    f"[tool.release].{key} = {value!r} leaves the repository",
                    "use a path relative to the repository root, inside it",
                )
    # the remote and the branch names reach git's argv: nothing there may read as an option
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", p.remote):
        raise ConfigError(
            f"[tool.release].remote = {p.remote!r} is not a remote name",
            "name a remote of this repository (`git remote` lists them), e.g. origin",
        )
    for key in ("main_branch", "branch_pattern", "tag_pattern"):
        value = getattr(p, key)
        if value.startswith("-") or any(c in value for c in " ~^:?*[\\") or ".." in value:
            raise ConfigError(
                f"[tool.release].{key} = {value!r} is not a valid git ref name",
                "use letters, digits, '.', '-', '_' and '/'",
            )
    if "{major}" not in p.branch_pattern or "{minor}" not in p.branch_pattern:
        raise ConfigError(
            f"[tool.release].branch_pattern = {p.branch_pattern!r} is not valid",
            "it must contain {major} and {minor}, e.g. release-{major}.{minor}.x",
        )
    if p.tag_pattern.count("{version}") != 1:
        raise ConfigError(
            f"[tool.release].tag_pattern = {p.tag_pattern!r} is not valid",
            "it must contain {version} once, e.g. v{version}",
        )
    for kind in p.rc_required:
        if kind not in KINDS:
            raise ConfigError(
                f"[tool.release].rc_required has {kind!r}", f"expected some of {', '.join(KINDS)}"
            )
    if p.tests.evidence not in ("nox", "checks", "none"):
        raise ConfigError(
            f"[tool.release].tests.evidence = {p.tests.evidence!r} is not valid",
            "expected nox, checks or none",
        )
    if p.github_repo and p.github_repo.count("/") != 1:
        raise ConfigError(
            f"[tool.release].github_repo = {p.github_repo!r} is not valid", "expected owner/name"
        )
    names: set[str] = set()
    for i, pkg in enumerate(p.packages):
        where = f"[tool.release].packages[{i}]"
        if not pkg.name:
            raise ConfigError(f"{where} has no name", 'add name = "..."')
        if (
            not re.fullmatch(r"(@[A-Za-z0-9][\w.~-]*/)?[A-Za-z0-9][\w.~-]*", pkg.name)
            or ".." in pkg.name
        ):
            raise ConfigError(
                f"{where} name {pkg.name!r} is not a package name",
                "use a distribution, npm (@scope/name) or image name: letters, digits, . _ - ~",
            )
        for key in ("path",):
            value = getattr(pkg, key)
            if value.startswith("/") or ".." in PurePosixPath(value).parts:
                raise ConfigError(
                    f"{where}.{key} = {value!r} leaves the repository",
                    "use a path relative to the repository root, inside it",
                )
        for vf in pkg.version_files:
            if vf.startswith("/") or ".." in PurePosixPath(vf).parts:
                raise ConfigError(
                    f"{where}.version_files has {vf!r}, which leaves the package",
                    "use paths relative to the package path, inside it",
                )
        if pkg.name in names:
            raise ConfigError(
                f"{where} name {pkg.name!r} is used twice", "package names must be unique"
            )
        names.add(pkg.name)
        if pkg.kind not in PACKAGE_KINDS:
            raise ConfigError(
                f"{where}.kind = {pkg.kind!r} is not valid",
                f"expected one of {', '.join(PACKAGE_KINDS)}",
            )
        if pkg.kind == "docker" and not pkg.image:
            raise ConfigError(
                f"{where} ({pkg.name}) is a docker package without image", 'add image = "repo/name"'
            )
    for ch_name in ("releases", "announcements"):
        ch = getattr(p.notify, ch_name)
        if ch is not None and ch.kind not in ("discord", "slack"):
            raise ConfigError(
                f"[tool.release].notify.{ch_name}.kind = {ch.kind!r} is not valid",
                "expected discord or slack",
            )
    topo_order(p.packages)  # cycles and unknown depends_on
