"""Version files: read and write the version (and pins) in the rendering of each ecosystem.

* `pyproject.toml`: `[project].version` (tomlkit: formatting and comments kept) and, for
  configured pins, `name==X` entries in `[project].dependencies` / optional dependencies.
* `*.py`: `__version__ = "X"`.
* `package.json`: `version` and, for configured pins, `dependencies`-like entries; indent kept.

Python files get the PEP 440 rendering, package.json the SemVer one. Pure: the files are read and
written (and each write verified by reading it back) by `release.adapters.files`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

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
        doc["project"]["version"] = version.pep440()  # type: ignore[index]
        project = doc["project"]
        lists = []
        if "dependencies" in project:  # type: ignore[operator]
            lists.append(project["dependencies"])  # type: ignore[index]
        for extra in (project.get("optional-dependencies") or {}).values():  # type: ignore[union-attr]
            lists.append(extra)
        for deps in lists:
            for i, dep in enumerate(list(deps)):
                for pin in pins:
                    if _pin_name(str(dep)) == _canon(pin):
                        deps[i] = f"{pin}=={version.pep440()}"
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


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pin_name(dep: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", dep)
    return _canon(m.group(1)) if m else ""


def _json_indent(text: str) -> int | str:
    m = re.search(r"\n([ \t]+)\"", text)
    if not m:
        return 2
    ws = m.group(1)
    return "\t" if ws.startswith("\t") else len(ws)
