"""Version files: read and write the version (and pins) in the rendering of each ecosystem.

* `pyproject.toml`: `[project].version` (tomlkit: formatting and comments kept) and, for
  configured pins, `name==X` / `name>=X` / `name~=X` entries in `[project].dependencies` /
  optional dependencies (operator, extras and markers kept). A version that comes from git
  (`dynamic = ["version"]` with setuptools-scm or hatch-vcs) has no version to write: its
  `fallback_version` (setuptools-scm) or `fallback-version` (hatch-vcs) is bumped when present,
  and the build gets the release version through the backend's own override (`scm_build_env`).
* `*.py`: `__version__ = "X"`.
* `package.json`: `version` and, for configured pins, `dependencies`-like entries; indent kept.

Python files get the PEP 440 rendering, package.json the SemVer one. Pure: the files are read and
written (and each write verified by reading it back) by `release.adapters.files`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from release.errors import ConfigError


class Renderable(Protocol):
    """Anything with the two renderings a version file needs (Version, DevVersion)."""

    def pep440(self) -> str: ...

    def semver(self) -> str: ...


@dataclass(frozen=True)
class DevVersion:
    """The development version main moves to after a branch cut: X.Y.0.dev0 / X.Y.0-dev.0."""

    major: int
    minor: int

    def pep440(self) -> str:
        return f"{self.major}.{self.minor}.0.dev0"

    def semver(self) -> str:
        return f"{self.major}.{self.minor}.0-dev.0"

    def __str__(self) -> str:
        return self.pep440()


DYNAMIC = "(dynamic: from git tags)"  # what a dynamic pyproject "holds": any version matches
_PIN = re.compile(
    r"^(?P<head>\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*)"
    r"(?P<op>(?:===|==|>=|~=)\s*)(?P<ver>[0-9][^,;\s]*)(?P<tail>\s*(?:;.*)?)$"
)
_SCM_BACKENDS = ("setuptools-scm", "setuptools_scm", "hatch-vcs", "hatch_vcs")


def holds(name: str, text: str, want: str, path: str = "") -> bool:
    """True when the version file's text holds `want` (a dynamic one holds any version)."""
    got = version_in_text(name, text, path)
    return got in (want, DYNAMIC)


def _fallback(doc: Any) -> tuple[Any, str] | None:
    """(the table, the key) of a dynamic version's fallback, when the file has one."""
    tool = doc.get("tool") or {}
    scm = tool.get("setuptools_scm")
    if scm is not None and "fallback_version" in scm:
        return scm, "fallback_version"
    hv = (tool.get("hatch") or {}).get("version")
    if hv is not None and "fallback-version" in hv:
        return hv, "fallback-version"
    if hv is not None and "fallback_version" in (hv.get("raw-options") or {}):
        return hv["raw-options"], "fallback_version"
    return None


def _is_dynamic(project: Any) -> bool:
    return project is not None and "version" in (project.get("dynamic") or [])


def scm_build_env(text: str, version: Renderable) -> dict[str, str]:
    """The environment that makes a git-versioned build (setuptools-scm, hatch-vcs, any backend
    reading SETUPTOOLS_SCM_PRETEND_VERSION) produce `version` from an exported tree without
    .git; {} for a static version (pure)."""
    import tomlkit

    try:
        doc = tomlkit.parse(text)
    except Exception:  # tomlkit raises its own ParseError family; the build will say more
        return {}
    project = doc.get("project")
    if not _is_dynamic(project):
        return {}
    tool = doc.get("tool") or {}
    requires = " ".join(str(r) for r in (doc.get("build-system") or {}).get("requires") or [])
    hatch_vcs = ((tool.get("hatch") or {}).get("version") or {}).get("source") == "vcs"
    if not ("setuptools_scm" in tool or hatch_vcs or any(b in requires for b in _SCM_BACKENDS)):
        return {}
    v = version.pep440()
    env = {"SETUPTOOLS_SCM_PRETEND_VERSION": v}
    name = str(project.get("name") or "")  # type: ignore[union-attr]
    if name:
        env[f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{re.sub(r'[-_.]+', '_', name).upper()}"] = v
    return env


_PY_VERSION = re.compile(r"""^(__version__\s*(?::\s*str\s*)?=\s*)(['"])([^'"]*)(['"])""", re.M)
_DEP_KEYS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def rendering(path: str, version: Renderable) -> str:
    return version.semver() if path.endswith("package.json") else version.pep440()


def version_in_text(name: str, text: str, path: str = "") -> str:
    """The version a version file's text holds (pure); ConfigError when it holds none."""
    path = path or name
    if name == "package.json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})", "fix the file"
            ) from None
        v = data.get("version") if isinstance(data, dict) else None
        if not isinstance(v, str) or not v:
            raise ConfigError(f'{path} has no "version" field', 'add one, e.g. "version": "0.0.0"')
        return v
    if name.endswith(".toml"):
        import tomlkit

        try:
            doc = tomlkit.parse(text)
        except Exception as exc:  # tomlkit raises its own ParseError family
            raise ConfigError(f"{path} is not valid TOML ({exc})", "fix the file") from None
        project = doc.get("project")
        v = project.get("version") if project is not None else None
        if not v and _is_dynamic(project):
            fb = _fallback(doc)
            return str(fb[0][fb[1]]) if fb else DYNAMIC
        if not v:
            raise ConfigError(
                f"{path} has no [project].version", 'set a static version, e.g. version = "0.0.0"'
            )
        return str(v)
    if name.endswith(".py"):
        m = _PY_VERSION.search(text)
        if not m:
            raise ConfigError(f'{path} has no __version__ = "..." line', "add one")
        return m.group(3)
    raise ConfigError(
        f"{path}: unsupported version file type", "use pyproject.toml, *.py or package.json"
    )


def render_file(name: str, text: str, version: Renderable, pins: list[str]) -> str:
    """The file's text with the new version and pins (pure)."""
    if name == "package.json":
        data = json.loads(text)
        indent = _json_indent(text)
        data["version"] = version.semver()
        for key in _DEP_KEYS:
            deps = data.get(key)
            if isinstance(deps, dict):
                for pin in pins:
                    if pin in deps:
                        deps[pin] = version.semver()
        out = json.dumps(data, indent=indent, ensure_ascii=False)
        return out + ("\n" if text.endswith("\n") else "")
    if name.endswith(".toml"):
        import tomlkit

        doc = tomlkit.parse(text)
        project = doc["project"]
        if _is_dynamic(project) and "version" not in project:  # type: ignore[operator]
            fb = _fallback(doc)
            if fb:
                fb[0][fb[1]] = version.pep440()
        else:
            project["version"] = version.pep440()  # type: ignore[index]
        lists = []
        if "dependencies" in project:  # type: ignore[operator]
            lists.append(project["dependencies"])  # type: ignore[index]
        for extra in (project.get("optional-dependencies") or {}).values():  # type: ignore[union-attr]
            lists.append(extra)
        wanted = {_canon(p) for p in pins}
        for deps in lists:
            for i, dep in enumerate(list(deps)):
                new = repin(str(dep), wanted, version.pep440())
                if new != str(dep):
                    deps[i] = new
        return tomlkit.dumps(doc)
    if name.endswith(".py"):
        if not _PY_VERSION.search(text):
            raise ConfigError(f'{name} has no __version__ = "..." line', "add one")
        return _PY_VERSION.sub(
            lambda m: f"{m.group(1)}{m.group(2)}{version.pep440()}{m.group(4)}", text, count=1
        )
    raise ConfigError(
        f"{name}: unsupported version file type", "use pyproject.toml, *.py or package.json"
    )


def repin(dep: str, names: set[str], version: str) -> str:
    """A requirement `name[extras] OP X ; marker` of one of `names` with X replaced (operator,
    extras and marker kept); anything else, or a pin with several clauses, unchanged (pure)."""
    m = _PIN.match(dep)
    if not m or _canon(m.group("name")) not in names:
        return dep
    return f"{m.group('head')}{m.group('op')}{version}{m.group('tail')}"


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _json_indent(text: str) -> int | str:
    m = re.search(r"\n([ \t]+)\"", text)
    if not m:
        return 2
    ws = m.group(1)
    return "\t" if ws.startswith("\t") else len(ws)
