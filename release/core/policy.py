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
NPM_RC_TAG_MODES = ("remove", "keep", "move")  # npm_rc_tag_after_final (core.latest)
PUBLISH_VIA_MODES = ("twine", "action", "auto")  # publish_via (core.routing.publish_via)
# a repositories.*_credentials_env value: "TOKEN_VAR" or "USER_VAR:PASSWORD_VAR"
CREDENTIALS_ENV = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?")


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
    # the credentials of each role, as environment variable NAMES: "TOKEN_VAR" (username
    # __token__) or "USER_VAR:PASSWORD_VAR"; empty: TWINE_*_<LABEL>, then TWINE_* (core.routing)
    pypi_credentials_env: str = ""
    testpypi_credentials_env: str = ""


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
class TrainMember:
    """A repository released with this one in a release train (one version, several
    repositories; this one is implicitly the last member). The member keeps its own
    `[tool.release]`, read from its checkout (`config`, default pyproject.toml)."""

    name: str = ""  # how the train, its journal and depends_on refer to the member
    url: str = ""  # any git URL, a local path included: cloned to .git/release/train/<name>/
    path: str = ""  # an existing checkout to use instead (relative to this repository's root)
    config: str = ""  # the member's file holding its [tool.release], relative to its checkout
    depends_on: list[str] = field(default_factory=list)  # members released before this one
    # the member's [tool.release] given here, for a repository without release-kit (read
    # instead of its own files; paths relative to its checkout): `[tool.release.train.release]`
    release: dict[str, Any] = field(default_factory=dict)


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
    # python: the interpreter of the smoke test (a command or a path, e.g. "python3.12"); "":
    # the current one when it satisfies Requires-Python, else the highest python3.X found
    smoke_python: str = ""
    # docker
    image: str = ""
    dockerfile: str = "Dockerfile"
    context: str = "."
    build_args: dict[str, str] = field(default_factory=dict)
    network: str = ""  # docker build --network for RUN (e.g. "host" to reach a local index)
    # several images from one Dockerfile, one per variant (`{variant}` in image, dockerfile,
    # context, build_args); None = one image. `variant` is set by `expand_variants` only.
    variants: list[str] | None = None
    variant: str = ""
    # npm
    access: str = "public"
    # how step names, journals and depends_on refer to it: the name, or kind:name when another
    # kind of package has the same name (a Python and an npm client may share one)
    key: str = ""

    @property
    def ref(self) -> str:
        return self.key or self.name

    @property
    def slug(self) -> str:
        """The name as one safe path component (`@demo/client` -> `_demo_client`), for work dirs."""
        import re

        return re.sub(r"[^A-Za-z0-9._-]", "_", self.ref)


@dataclass(frozen=True)
class NotesSection:
    """One section of the release notes: its title and the commit types it lists."""

    title: str = ""
    # conventional-commit types (feat, fix, ...), or "breaking" (every breaking change) and
    # "other" (unconventional subjects and types no section lists)
    types: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NotesConfig:
    """[tool.release.notes]: the sections of the release notes and CHANGELOG.md, the types
    left out, the PR labels that mark a breaking change, and optional Jinja2 templates."""

    # empty: the built-in sections (core.notes.SECTIONS); else the whole ordered list
    sections: list[NotesSection] = field(default_factory=list)
    # types left out of the notes (a breaking change is never left out)
    hidden: list[str] = field(default_factory=lambda: ["chore", "test", "ci"])
    # PR labels (GitHub, when configured) that mark a change as breaking
    breaking_labels: list[str] = field(default_factory=lambda: ["breaking", "breaking-change"])
    # Jinja2 templates, paths relative to the repository root: the release notes (GitHub
    # release body) and the CHANGELOG.md section; "" = the built-in rendering
    notes_template: str = ""
    changelog_template: str = ""


@dataclass(frozen=True)
class Policy:
    """Everything the release process decides by; defaults are the seed's rules."""

    main_branch: str = "main"
    remote: str = "origin"
    branch_pattern: str = "release-{major}.{minor}.x"
    tag_pattern: str = "v{version}"
    # sign release tags with the user's git signing setup: "" (annotated, unsigned), ssh or gpg
    sign_tags: str = ""
    changelog: str = "CHANGELOG.md"
    # a final's CHANGELOG.md section on main too: "push" (a commit on main, pushed after the
    # release), "pr" (a branch and a pull request to main, GitHub), "off"
    changelog_to_main: str = "push"
    notes: NotesConfig = field(default_factory=NotesConfig)  # [tool.release.notes]
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
    # who uploads the Python files: "twine" (the publish step), "action" (the step hands the
    # checked files over to pypa/gh-action-pypi-publish and stops the run), "auto" (core.routing)
    publish_via: str = "twine"
    next_milestone: bool = True
    # after a final's npm publish, the `rc` dist-tag still on an RC of its line: remove | keep | move
    npm_rc_tag_after_final: str = "remove"
    # after the version bump, refresh the lock files the project keeps (uv.lock with `uv lock`,
    # package-lock.json with `npm install --package-lock-only`) in the release commit
    refresh_locks: bool = True
    # keep .git/release/work/<version>/ (builds, venvs, exports) once the release is complete
    keep_work: bool = False
    # independent builds (build:, pack:, image: before the push) run at most this many at a time;
    # RELEASE_BUILD_WORKERS overrides it, 1 builds one after the other
    build_workers: int = 2
    cadence: Cadence = field(default_factory=Cadence)
    windows: Windows = field(default_factory=Windows)
    tests: Tests = field(default_factory=Tests)
    repositories: Repositories = field(default_factory=Repositories)
    notify: Notify = field(default_factory=Notify)
    workflows: list[Workflow] = field(default_factory=list)
    train: list[TrainMember] = field(default_factory=list)  # other repositories, one version
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
            if p.ref == name:
                return p
        for p in self.packages:
            if p.name == name:
                return p
        raise ConfigError(f"no package named '{name}' in [tool.release].packages")

    def dependencies(self, pkg: Package) -> list[Package]:
        """The packages `pkg` depends on: a depends_on entry names a key (kind:name) or a name
        (every package of that name)."""
        return resolve_deps(self.packages, pkg)

    def publish_order(self) -> list[Package]:
        """Packages in dependency order: every package after the ones it depends on."""
        return topo_order(self.packages)

    def images(self) -> list[Package]:
        """Every docker image of the release in dependency order, one per variant
        (`expand_variants`): what image/push steps, verify and any list of images go by."""
        return [i for p in self.publish_order() if p.kind == "docker" for i in expand_variants(p)]


def expand_variants(pkg: Package) -> list[Package]:
    """The images of a package: a docker package with `variants` is one package per variant,
    keyed `<ref>[<variant>]` (step names `image:distribution[starter]`, its slug a path
    component), `{variant}` filled in image, dockerfile and context; its build args keep the
    placeholder for `adapters.docker.render_build_args`, which fills it with `variant`. The name
    stays the configured one (`{name}`, depends_on). Any other package is its own one image."""
    if pkg.kind != "docker" or not pkg.variants:
        return [pkg]
    return [
        dataclasses.replace(
            pkg,
            image=pkg.image.replace("{variant}", v),
            dockerfile=pkg.dockerfile.replace("{variant}", v),
            context=pkg.context.replace("{variant}", v),
            variants=None,
            variant=v,
            key=f"{pkg.ref}[{v}]",
        )
        for v in pkg.variants
    ]


def resolve_deps(packages: list[Package], pkg: Package) -> list[Package]:
    out: list[Package] = []
    for dep in pkg.depends_on:
        found = [p for p in packages if p.ref == dep] or [p for p in packages if p.name == dep]
        if not found:
            known = sorted({p.ref for p in packages})
            raise ConfigError(
                f"[tool.release].packages '{pkg.ref}' depends_on '{dep}', which is not a package",
                f"known packages: {', '.join(known) or 'none'}",
            )
        out += [p for p in found if p is not pkg and p not in out]
    return out


def topo_order(packages: list[Package]) -> list[Package]:
    done: list[Package] = []
    seen: set[str] = set()
    visiting: set[str] = set()

    def visit(p: Package, chain: list[str]) -> None:
        if p.ref in seen:
            return
        if p.ref in visiting:
            cycle = " -> ".join([*chain, p.ref])
            raise ConfigError(
                f"[tool.release].packages depends_on has a cycle: {cycle}", "remove one edge"
            )
        visiting.add(p.ref)
        for dep in resolve_deps(packages, p):
            visit(dep, [*chain, p.ref])
        visiting.discard(p.ref)
        seen.add(p.ref)
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
    if tp is Any:  # a table validated on its own (a train member's inline [tool.release])
        if not isinstance(value, dict):
            raise ConfigError(
                f"[tool.release].{where} = {value!r} is not valid", "expected a table"
            )
        return value
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
        if inner is Any:  # a table validated on its own (a train member's inline policy)
            return dict(value)
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


def policy_from_table(table: dict[str, Any], where: str = "") -> Policy:
    """Validate a `[tool.release]` table (already parsed) and build the Policy; `where` prefixes
    the keys errors name (a train member's inline table: `train[0].release`)."""
    policy: Policy = _build(Policy, table, where)
    policy = _with_keys(policy)
    _check_semantics(policy)
    return policy


def _with_keys(p: Policy) -> Policy:
    """Give each package its key: its name, or kind:name when another kind shares the name."""
    from dataclasses import replace

    kinds: dict[str, set[str]] = {}
    for pkg in p.packages:
        kinds.setdefault(pkg.name, set()).add(pkg.kind)
    packages = [
        pkg if pkg.key or len(kinds[pkg.name]) == 1 else replace(pkg, key=f"{pkg.kind}:{pkg.name}")
        for pkg in p.packages
    ]
    return replace(p, packages=packages)


def _check_semantics(p: Policy) -> None:
    # changelog = "" turns CHANGELOG.md off (the project keeps none); version files need a path
    for key, paths in (
        ("changelog", [p.changelog] if p.changelog else []),
        ("version_files", list(p.version_files)),
    ):
        for value in paths:
            if not value or value.startswith("/") or ".." in PurePosixPath(value).parts:
                raise ConfigError(
                    f"[tool.release].{key} = {value!r} leaves the repository",
                    "use a path relative to the repository root, inside it",
                )
    _check_notes(p.notes)
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
    if p.changelog_to_main not in ("push", "pr", "off"):
        raise ConfigError(
            f"[tool.release].changelog_to_main = {p.changelog_to_main!r} is not valid",
            'expected "push", "pr" or "off"',
        )
    if p.changelog_to_main == "pr" and not p.github_repo:
        raise ConfigError(
            '[tool.release].changelog_to_main = "pr" needs GitHub',
            'set github_repo, or use "push" or "off"',
        )
    if p.sign_tags not in ("", "ssh", "gpg"):
        raise ConfigError(
            f"[tool.release].sign_tags = {p.sign_tags!r} is not valid",
            'expected "" (unsigned), "ssh" or "gpg"',
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
    if p.npm_rc_tag_after_final not in NPM_RC_TAG_MODES:
        raise ConfigError(
            f"[tool.release].npm_rc_tag_after_final = {p.npm_rc_tag_after_final!r} is not valid",
            f"expected one of {', '.join(NPM_RC_TAG_MODES)}",
        )
    if p.publish_via not in PUBLISH_VIA_MODES:
        raise ConfigError(
            f"[tool.release].publish_via = {p.publish_via!r} is not valid",
            f"expected one of {', '.join(PUBLISH_VIA_MODES)}",
        )
    for role in ("pypi", "testpypi"):
        value = getattr(p.repositories, f"{role}_credentials_env")
        if value and not CREDENTIALS_ENV.fullmatch(value):
            raise ConfigError(
                f"[tool.release].repositories.{role}_credentials_env = {value!r} is not valid",
                'expected an environment variable name ("PYPI_TOKEN", username __token__) '
                'or two ("INDEX_USER:INDEX_PASSWORD")',
            )
    if p.github_repo and p.github_repo.count("/") != 1:
        raise ConfigError(
            f"[tool.release].github_repo = {p.github_repo!r} is not valid", "expected owner/name"
        )
    names: set[str] = set()
    kind_names: set[tuple[str, str]] = set()
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
        if (pkg.kind, pkg.name) in kind_names:
            raise ConfigError(
                f"{where} name {pkg.name!r} is used twice for a {pkg.kind} package",
                "names are unique per kind (a Python and an npm package may share one)",
            )
        kind_names.add((pkg.kind, pkg.name))
        if pkg.ref in names:
            raise ConfigError(
                f"{where} key {pkg.ref!r} is used twice", "package keys must be unique"
            )
        names.add(pkg.ref)
        if pkg.kind not in PACKAGE_KINDS:
            raise ConfigError(
                f"{where}.kind = {pkg.kind!r} is not valid",
                f"expected one of {', '.join(PACKAGE_KINDS)}",
            )
        if pkg.kind == "docker" and not pkg.image:
            raise ConfigError(
                f"{where} ({pkg.name}) is a docker package without image", 'add image = "repo/name"'
            )
        if pkg.smoke_python and pkg.kind != "python":
            raise ConfigError(
                f"{where}.smoke_python is set on a {pkg.kind} package ({pkg.name})",
                "only python packages have a smoke test; remove it",
            )
        # it reaches argv as the command to run: nothing there may read as an option
        if pkg.smoke_python and (
            pkg.smoke_python != pkg.smoke_python.strip()
            or pkg.smoke_python.startswith("-")
            or any(c in pkg.smoke_python for c in "\n\r\t\0")
        ):
            raise ConfigError(
                f"{where}.smoke_python = {pkg.smoke_python!r} is not an interpreter",
                'name a command on PATH or a path to a Python, e.g. "python3.12"',
            )
        _check_variants(where, pkg)
    for ch_name in ("releases", "announcements"):
        ch = getattr(p.notify, ch_name)
        if ch is not None and ch.kind not in ("discord", "slack"):
            raise ConfigError(
                f"[tool.release].notify.{ch_name}.kind = {ch.kind!r} is not valid",
                "expected discord or slack",
            )
    topo_order(p.packages)  # cycles and unknown depends_on
    _check_train(p.train)


# A train member's name names its checkout (.git/release/train/<name>/): one path component.
_MEMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _check_notes(n: NotesConfig) -> None:
    from release.core.notes import SECTION_TITLES

    known = sorted(SECTION_TITLES)
    for t in n.hidden:
        if t not in SECTION_TITLES or t == "breaking":
            raise ConfigError(
                f"[tool.release].notes.hidden has {t!r}",
                f"expected types of {', '.join(k for k in known if k != 'breaking')}",
            )
    seen: dict[str, int] = {}
    for i, sec in enumerate(n.sections):
        where = f"[tool.release].notes.sections[{i}]"
        if not sec.title.strip():
            raise ConfigError(f"{where}.title is missing", 'add title = "Features"')
        if not sec.types:
            raise ConfigError(f"{where}.types is empty", 'list the types it holds, e.g. ["feat"]')
        for t in sec.types:
            if t not in SECTION_TITLES:
                raise ConfigError(
                    f"{where}.types has {t!r}", f"expected some of {', '.join(known)}"
                )
            if t in seen:
                raise ConfigError(
                    f"{where}.types has {t!r}, already in notes.sections[{seen[t]}]",
                    "list each type in one section",
                )
            seen[t] = i
    for key in ("notes_template", "changelog_template"):
        value = getattr(n, key)
        if value and (value.startswith("/") or ".." in PurePosixPath(value).parts):
            raise ConfigError(
                f"[tool.release].notes.{key} = {value!r} leaves the repository",
                "use a path relative to the repository root, inside it",
            )


def _check_train(members: list[TrainMember]) -> None:
    """Each member: a name (unique, one path component), a url or an existing checkout, a
    config file inside its checkout, depends_on naming other members, no cycle."""
    from release.core.plan import train_order

    seen: set[str] = set()
    for i, m in enumerate(members):
        where = f"[tool.release].train[{i}]"
        if not m.name:
            raise ConfigError(f"{where} has no name", 'add name = "..." (the member\'s repository)')
        if not _MEMBER.fullmatch(m.name) or ".." in m.name:
            raise ConfigError(
                f"{where}.name = {m.name!r} is not valid",
                "use letters, digits, '.', '_' and '-' (it names .git/release/train/<name>/)",
            )
        if m.name in seen:
            raise ConfigError(
                f"{where}.name = {m.name!r} is used twice", "each member is listed once"
            )
        seen.add(m.name)
        if not m.url and not m.path:
            raise ConfigError(
                f"{where} ({m.name}) has neither url nor path",
                'add url = "https://github.com/org/repo.git" (or a local path), or path = '
                '"../repo" for an existing checkout',
            )
        # the URL and the path reach git's argv: nothing there may read as an option
        for key in ("url", "path"):
            value = getattr(m, key)
            if value and (
                value.startswith("-")
                or value != value.strip()
                or any(c in value for c in "\n\r\t\0")
            ):
                raise ConfigError(
                    f"{where}.{key} = {value!r} is not valid",
                    "a git URL or a path, without leading '-' or surrounding spaces",
                )
        if m.config and (m.config.startswith("/") or ".." in PurePosixPath(m.config).parts):
            raise ConfigError(
                f"{where}.config = {m.config!r} leaves the member's checkout",
                "use a path relative to the member's checkout, e.g. pyproject.toml",
            )
        if m.release:
            if m.config:
                raise ConfigError(
                    f"{where} ({m.name}) has both config and release",
                    "give the member's [tool.release] inline (release) or in its file (config)",
                )
            if m.release.get("train"):
                raise ConfigError(
                    f"{where}.release.train: a member cannot hold a train of its own",
                    "list every repository in this repository's [[tool.release.train]]",
                )
            policy_from_table(m.release, f"train[{i}].release")  # key-level errors, here
    train_order(members)  # unknown depends_on, a member depending on itself, cycles


# A variant becomes part of an image name: one path component of the distribution spec.
_VARIANT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")


def _uses_variant(template: str) -> bool:
    """Does a build arg value use the `{variant}` placeholder (not a literal `{{variant}}`)?"""
    import string

    try:
        return any(f == "variant" for _, f, _, _ in string.Formatter().parse(template))
    except ValueError:
        return False  # malformed: render_build_args names it when rendering


def _check_variants(where: str, pkg: Package) -> None:
    if pkg.variant:
        raise ConfigError(
            f"{where}.variant is not a known key", "list the images in variants = [...]"
        )
    if pkg.variants is None:
        used = [(k, getattr(pkg, k)) for k in ("image", "dockerfile", "context")]
        used = [(k, v) for k, v in used if "{variant}" in v]
        used += [(f"build_args.{k}", v) for k, v in pkg.build_args.items() if _uses_variant(v)]
        if used:
            key, value = used[0]
            raise ConfigError(
                f"{where}.{key} = {value!r} uses {{variant}}, but the package has no variants",
                'add variants = ["..."], or drop {variant}',
            )
        return
    if pkg.kind != "docker":
        raise ConfigError(
            f"{where}.variants is only for docker packages ({pkg.name} is {pkg.kind})",
            "drop variants, or make it a docker package",
        )
    if not pkg.variants:
        raise ConfigError(
            f"{where}.variants = [] is not valid",
            "list at least one variant, or drop the key for a single image",
        )
    seen: set[str] = set()
    for j, v in enumerate(pkg.variants):
        if not _VARIANT.fullmatch(v):
            raise ConfigError(
                f"{where}.variants[{j}] = {v!r} is not valid in an image name",
                "use lowercase letters and digits, separated by single '.', '_' or '-' "
                "(e.g. postgres-demo)",
            )
        if v in seen:
            raise ConfigError(
                f"{where}.variants has {v!r} twice", "each variant is one image: list it once"
            )
        seen.add(v)
    if "{variant}" not in pkg.image:
        raise ConfigError(
            f"{where}.image = {pkg.image!r} has no {{variant}}, so every variant would push it",
            'put {variant} in the image, e.g. image = "org/distribution-{variant}"',
        )
