"""Python distributions: build, check, smoke-test, probe an index, upload with twine.

Adapter only: it translates to `python -m build`, `twine`, `pip` and the index's simple API, and
decides nothing about the release (the steps in `release.steps_publish` do).

- build: `python -m build` (sdist, then the wheel from it) of an export of the release commit
  into a clean per-version directory, with SOURCE_DATE_EPOCH = the commit time; isolated builds
  use `--installer uv` when uv is installed (RELEASE_BUILD_INSTALLER=pip: never), with pip's
  index configuration passed on to uv.
- check: `twine check --strict`; the wheel's contents (`wheel_problems`): it ships modules of the
  expected import names, `Version` metadata equal to the release, no stray top-level files.
- smoke test: a fresh venv of a Python that satisfies the wheel's Requires-Python (the package's
  `smoke_python`, else the current one, else the highest python3.X found: `find_python`), an
  install of the wheel from this release's dists only (`--no-index --find-links <dists>`: a
  server pinning `client==X` gets the client built in the same release), then from the
  configured index for third-party requirements, with uv when installed and a persistent cache;
  then `import` of every import name.
- index: the simple API (PEP 691 JSON or PEP 503 HTML) gives file names and sha256s; same name
  and same hash = already there, same name with another hash = a conflict (never overwritten).
- upload: `python -m twine upload --repository-url URL --non-interactive`; credentials come
  from the variables `core.routing.python_credentials` names for the index (TWINE_*_<LABEL>,
  a configured variable, TWINE_USERNAME / TWINE_PASSWORD; or keyring), never from argv.
"""

from __future__ import annotations

import ast
import email.parser
import hashlib
import html.parser
import json
import os
import platform
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from release.adapters.runner import (
    CommandError,
    CommandTimeout,
    http_timeout,
    network_timeout,
    redact,
    register_secret,
    run,
)
from release.core import interpreters as interps
from release.core.interpreters import Interpreter
from release.core.routing import TOKEN_USERNAME, Credentials
from release.core.version import Version
from release.errors import ConfigError, ReleaseError, RemoteError

SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
ISOLATION_ENV = "RELEASE_BUILD_ISOLATION"  # "0": build with the installed backend (--no-isolation)
# "pip": never uv (builds and smoke tests); "uv": require it; unset or "auto": uv when installed
INSTALLER_ENV = "RELEASE_BUILD_INSTALLER"
INSTALLERS = ("auto", "uv", "pip")
CREDENTIAL_ENV = ("TWINE_USERNAME", "TWINE_PASSWORD")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(text: str) -> str:
    """Tool output without colour codes (twine colours its verdicts)."""
    return _ANSI.sub("", text or "")


class ArtifactError(ReleaseError):
    """A built artifact is not fit to publish (refused before anything is uploaded)."""


# ---- names ------------------------------------------------------------------------------------


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def default_import_names(dist_name: str) -> list[str]:
    return [re.sub(r"[-.]+", "_", dist_name)]


def same_version(text: str, version: Version) -> bool:
    from packaging.version import InvalidVersion
    from packaging.version import Version as PV

    try:
        return PV(text) == PV(version.pep440())
    except InvalidVersion:
        return False


# ---- building -----------------------------------------------------------------------------------


def build(
    src: Path,
    out_dir: Path,
    *,
    isolation: bool = True,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
    installer: str | None = None,
) -> list[Path]:
    """`python -m build` of `src` into a clean `out_dir`; the built files (sdist, wheel).

    An isolated build uses `--installer uv` (build >= 1.0) when uv is installed, with pip's index
    configuration passed on to it; `installer` ("auto", "uv", "pip": RELEASE_BUILD_INSTALLER)
    says whether uv may be used."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    argv = [python, "-m", "build", "--outdir", str(out_dir)]
    run_env = dict(env) if env is not None else None
    uv = None
    if not isolation:
        argv.append("--no-isolation")
    else:
        uv = find_uv(env, installer)
        if uv and not _build_has_installer(python):
            if installer_setting(installer) == "uv":
                raise ArtifactError(
                    f"{INSTALLER_ENV}=uv, but `python -m build` has no --installer option",
                    "pip install 'build>=1.0', or unset it",
                )
            uv = None
        if uv:
            argv += ["--installer", "uv"]
            run_env = {**(run_env or {}), "UV": uv, **uv_index_env(python, env)}
    argv.append(str(src))
    try:
        run(argv, cwd=src, env=run_env)
    except CommandError as exc:
        hint = f"try `python -m build {src}` locally"
        if uv:
            hint += f"; {INSTALLER_ENV}=pip builds without uv"
        raise ArtifactError(f"build of {src.name} failed: {_last_line(exc)}", hint) from None
    files = sorted(p for p in out_dir.iterdir() if p.suffix == ".whl" or p.name.endswith(".tar.gz"))
    if not any(p.suffix == ".whl" for p in files):
        raise ArtifactError(
            f"build of {src.name} produced no wheel", "check the build backend configuration"
        )
    return files


# ---- installers: uv when installed, else pip ----------------------------------------------------


def installer_setting(value: str | None) -> str:
    """RELEASE_BUILD_INSTALLER's value checked: "auto" (unset), "uv" or "pip"."""
    setting = (value or "").strip().lower() or "auto"
    if setting not in INSTALLERS:
        raise ConfigError(
            f"{INSTALLER_ENV}={value!r} is not valid",
            "expected pip (never uv), uv (require it) or auto (uv when installed)",
        )
    return setting


def _environ(env: Mapping[str, str] | None) -> dict[str, str]:
    """The environment a command run with `env` sees (`run` lays `env` over os.environ)."""
    return {**os.environ, **(env or {})}


def find_uv(env: Mapping[str, str] | None = None, installer: str | None = None) -> str | None:
    """The uv executable to use (on PATH, else beside the toolkit's Python, where `pip install
    uv` puts it), or None: not installed, or `installer` is "pip". "uv" without uv is an error."""
    setting = installer_setting(installer)
    if setting == "pip":
        return None
    found = shutil.which("uv", path=_environ(env).get("PATH"))
    if found is None:
        beside = Path(sys.executable).with_name("uv")
        found = str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None
    if found is None and setting == "uv":
        raise ArtifactError(f"{INSTALLER_ENV}=uv, but uv is not installed", "pip install uv")
    return found


_BUILD_INSTALLER: dict[str, bool] = {}


def _build_has_installer(python: str) -> bool:
    """Does `python -m build` have --installer (build >= 1.0)?"""
    if python not in _BUILD_INSTALLER:
        res = run([python, "-m", "build", "--help"], check=False)
        _BUILD_INSTALLER[python] = "--installer" in res.stdout
    return _BUILD_INSTALLER[python]


def parse_pip_config(text: str) -> dict[str, str]:
    """`pip config list` output -> the settings an install sees: {"index-url": ..., ...}; a
    PIP_* variable (`:env:`) beats the [install] section, which beats [global]."""
    rank = {"global": 0, "install": 1, ":env:": 2}
    found: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        key, sep, raw = line.strip().partition("=")
        section, _, name = key.rpartition(".")
        if not sep or section not in rank:
            continue
        try:
            value = ast.literal_eval(raw) if raw[:1] in "'\"" else raw
        except (ValueError, SyntaxError):
            value = raw
        if name not in found or rank[section] >= found[name][0]:
            found[name] = (rank[section], str(value))
    return {name: value for name, (_, value) in found.items()}


def uv_index_env(python: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """pip's index configuration (its config files and PIP_* variables) as uv's variables, so that
    uv resolves from the indexes pip would: index-url, extra-index-url, find-links, constraint,
    and pip's strategy across several indexes (the best version of any). A UV_* variable already
    set wins (uv's own configuration)."""
    res = run([python, "-m", "pip", "config", "list"], env=env, check=False)
    pip = parse_pip_config(res.stdout) if res.ok else {}
    have = _environ(env)
    out: dict[str, str] = {}

    def put(var: str, value: str, *also: str) -> None:
        if value and not any(v in have for v in (var, *also)):
            out[var] = value

    put("UV_INDEX_URL", pip.get("index-url", ""), "UV_DEFAULT_INDEX")
    put("UV_EXTRA_INDEX_URL", " ".join(pip.get("extra-index-url", "").split()), "UV_INDEX")
    put("UV_FIND_LINKS", ",".join(pip.get("find-links", "").split()))
    put("UV_CONSTRAINT", " ".join(pip.get("constraint", "").split()))
    if pip.get("extra-index-url") or pip.get("find-links"):
        put("UV_INDEX_STRATEGY", "unsafe-best-match")
    return out


# ---- interpreters -------------------------------------------------------------------------------

_ASK_VERSION = "import platform, sys; print(platform.python_version()); print(sys.executable)"


def probe_python(
    command: str, source: str = "", env: Mapping[str, str] | None = None
) -> Interpreter | None:
    """Run `command` to ask its version and real executable (a pyenv shim or a name on PATH
    becomes the interpreter's path); None when it does not run (a shim of a version not
    selected, a broken install)."""
    try:
        res = run([command, "-I", "-c", _ASK_VERSION], env=env, check=False, timeout=60)
    except ReleaseError:
        return None
    lines = res.stdout.strip().splitlines()
    if not res.ok or len(lines) < 2 or not interps.satisfies("", lines[0].strip()):
        return None
    return Interpreter(lines[1].strip() or command, lines[0].strip(), source)


def find_python(
    requires_python: str,
    *,
    configured: str = "",
    current: str = sys.executable,
    env: Mapping[str, str] | None = None,
    uv: str | None = None,
    what: str = "",
) -> Interpreter:
    """The Python a smoke test of a package with `requires_python` runs on (the choice is
    `release.core.interpreters`'): `configured` (smoke_python) as is, else `current` when it
    satisfies the specifier, else the highest python3.X that does, found on PATH, then among
    pyenv's versions ($PYENV_ROOT, default ~/.pyenv), then with `uv python find` (no download)."""
    spec = requires_python.strip()
    interps.specifier(spec)  # an invalid specifier fails here, before anything runs
    if configured:
        chosen = probe_python(configured, "smoke_python", env)
        if chosen is None:
            raise interps.NoInterpreter(
                f"smoke_python {configured!r}{' of ' + what if what else ''} does not run",
                "name an installed interpreter (a command on PATH or a path), e.g. python3.12",
            )
        return interps.check_configured(spec, chosen, what)
    seen: list[Interpreter] = []
    here = (
        Interpreter(sys.executable, platform.python_version(), "current")
        if current == sys.executable
        else probe_python(current, "current", env)
    )
    if here is not None:
        seen.append(here)
    chosen = interps.choose(spec, here)
    if chosen is not None:
        return chosen
    environ = _environ(env)
    minors = interps.wanted_minors(spec)
    looked_in = ["PATH"]

    def highest(source: str, executables: Callable[[str], list[str]]) -> Interpreter | None:
        """The best of the highest minor that has a fitting interpreter (lower ones not run)."""
        for m in minors:
            found = [i for exe in executables(m) if (i := probe_python(exe, source, env))]
            seen.extend(found)
            if (fit := interps.best(spec, found)) is not None:
                return fit
        return None

    pyenv_root = Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    shims = pyenv_root / "shims"

    def on_path(minor: str) -> list[str]:
        exe = shutil.which(f"python{minor}", path=environ.get("PATH"))
        # a pyenv shim runs only the versions pyenv selects (slowly): pyenv's own turn below
        # looks at every installed version directly
        return [exe] if exe and Path(exe).parent != shims else []

    chosen = highest("PATH", on_path)
    versions = pyenv_root / "versions"
    if chosen is None and versions.is_dir():
        looked_in.append("pyenv")
        chosen = highest(
            "pyenv", lambda m: [str(p) for p in sorted(versions.glob(f"*/bin/python{m}"))]
        )
    if chosen is None and uv and spec:
        looked_in.append("uv python find")
        res = run(
            [uv, "python", "find", "--no-config", spec],
            env={**(env or {}), "UV_PYTHON_DOWNLOADS": "never"},
            check=False,
        )
        lines = res.stdout.strip().splitlines()
        found = probe_python(lines[-1].strip(), "uv", env) if res.ok and lines else None
        if found is not None:
            seen.append(found)
            chosen = interps.best(spec, [found])
    if chosen is None:
        raise interps.no_interpreter(spec, looked_in, seen, what)
    return chosen


def _last_line(exc: CommandError) -> str:
    """The error line of a failed tool, with the lines right after it when it ends with ':'
    (`ERROR Unmet dependencies (...):` lists what is missing below it)."""
    lines = [ln.strip() for ln in _plain(exc.stderr or exc.stdout or "").splitlines() if ln.strip()]
    keys = [i for i, ln in enumerate(lines) if "error" in ln.lower()]
    if not keys:
        return redact((lines[-1] if lines else exc.message)[:300])
    i = keys[-1]
    text = lines[i]
    if text.endswith(":"):
        text += " " + " ".join(lines[i + 1 : i + 7])
    return redact(text[:300])


def twine_check(
    files: Sequence[Path], env: Mapping[str, str] | None = None, python: str = sys.executable
) -> None:
    try:
        run([python, "-m", "twine", "check", "--strict", *map(str, files)], env=env)
    except CommandError as exc:
        bad = [
            ln.strip()
            for ln in _plain(exc.stdout + exc.stderr).splitlines()
            if "FAILED" in ln or "ERROR" in ln or "WARNING" in ln
        ]
        raise ArtifactError(
            f"twine check --strict refused the distribution: {'; '.join(bad[:3]) or exc.message}",
            "fix the package metadata (readme, content type)",
        ) from None


@dataclass
class WheelInfo:
    name: str
    version: str
    top_level: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    requires_python: str = ""  # the METADATA's Requires-Python ("" = any Python)


def read_wheel(path: Path) -> WheelInfo:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArtifactError(f"{path.name} is not a readable wheel ({exc})") from None
    with zf:
        names = zf.namelist()
        meta_name = next(
            (n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None
        )
        if meta_name is None:
            raise ArtifactError(
                f"{path.name} has no .dist-info/METADATA", "build it with a PEP 517 backend"
            )
        meta = email.parser.Parser().parsestr(zf.read(meta_name).decode("utf-8", "replace"))
    top = sorted({n.split("/", 1)[0] for n in names if n and not n.startswith("/")})
    modules = [
        n
        for n in names
        if n.endswith((".py", ".so", ".pyd"))
        and ".dist-info/" not in n
        and not n.split("/", 1)[0].endswith(".data")
    ]
    return WheelInfo(
        str(meta.get("Name", "")),
        str(meta.get("Version", "")),
        top,
        modules,
        str(meta.get("Requires-Python", "") or "").strip(),
    )


def _is_import_entry(entry: str, import_names: Sequence[str]) -> bool:
    for imp in import_names:
        if (
            entry == imp
            or entry == f"{imp}.py"
            or entry == f"{imp}.pyi"
            or (entry.startswith(f"{imp}.") and entry.endswith((".so", ".pyd")))
        ):
            return True
    return False


def wheel_problems(
    path: Path,
    version: Version,
    import_names: Sequence[str] | None = None,
    dist_name: str | None = None,
) -> list[str]:
    """What is wrong with a built wheel (empty list: fit to publish)."""
    info = read_wheel(path)
    problems: list[str] = []
    if dist_name and normalize(info.name) != normalize(dist_name):
        problems.append(f"metadata Name is {info.name!r}, expected {dist_name!r}")
    if not same_version(info.version, version):
        problems.append(
            f"metadata Version is {info.version or 'missing'}, the release is {version}"
        )
    parts = path.name[:-4].split("-")
    if len(parts) >= 5 and not same_version(parts[1], version):
        problems.append(f"file name carries version {parts[1]}, the release is {version}")
    names = list(import_names or default_import_names(info.name or (dist_name or "")))
    if not info.modules:
        problems.append("the wheel is empty: it ships no Python module")
    else:
        shipped = [
            imp
            for imp in names
            if any(m == f"{imp}.py" or m.startswith((f"{imp}/", f"{imp}.")) for m in info.modules)
        ]
        missing = [imp for imp in names if imp not in shipped]
        if missing:
            problems.append(f"expected top-level package(s) missing: {', '.join(missing)}")
    stray = [
        e
        for e in info.top_level
        if not e.endswith((".dist-info", ".data", ".pth")) and not _is_import_entry(e, names)
    ]
    if stray:
        problems.append(
            f"stray top-level file(s): {', '.join(stray[:6])} (only {', '.join(names)} expected)"
        )
    return problems


def sdist_problems(path: Path, version: Version) -> list[str]:
    base = path.name[: -len(".tar.gz")]
    ver = base.rsplit("-", 1)[-1] if "-" in base else ""
    if not same_version(ver, version):
        return [f"{path.name} carries version {ver or 'none'}, the release is {version}"]
    return []


@dataclass(frozen=True)
class SmokeResult:
    """How a smoke test went: where the requirements came from, on which Python, with what."""

    mode: str  # "offline" (this release's dists only) or "with the configured index"
    python: Interpreter
    installer: str  # "uv" or "pip"

    @property
    def summary(self) -> str:
        return (
            f"installed and imported ({self.mode}) with Python {self.python.version} "
            f"({self.installer})"
        )


_UV_MISSING = ("not found in the provided package locations", "No solution found")
_PIP_MISSING = ("No matching distribution found", "Could not find a version")


def smoke_test(
    wheel: Path,
    find_links: Sequence[Path],
    import_names: Sequence[str],
    scratch: Path,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
    *,
    cache: Path | None = None,
    smoke_python: str = "",
    installer: str | None = None,
) -> SmokeResult:
    """Install `wheel` into a fresh venv (from this release's dists only) and import it.

    The venv's Python satisfies the wheel's Requires-Python (`find_python`: `smoke_python`, else
    `python`, else the highest python3.X found). The install runs first offline: `--no-index
    --find-links <this release's dists>` (pip also `--isolated`, uv `--no-config`: no configured
    index or link can stand in for a dist of the release); only when a third-party requirement is
    missing, again with the configured index (pip's configuration; uv gets it as UV_* variables).
    uv (`uv venv`, `uv pip install`) when installed and `installer` (RELEASE_BUILD_INSTALLER)
    allows, else `python -m venv` and pip. `cache`: a directory that outlives the release (pip's
    and uv's caches under it), so the next smoke test downloads nothing it already has; None:
    no cache.
    """
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    uv = find_uv(env, installer)
    info = read_wheel(wheel)
    interp = find_python(
        info.requires_python,
        configured=smoke_python,
        current=python,
        env=env,
        uv=uv,
        what=wheel.name,
    )
    venv = scratch / "venv"
    vpy = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    links: list[str] = []
    for d in find_links:
        links += ["--find-links", str(d)]
    if uv:
        no_download = {**(env or {}), "UV_PYTHON_DOWNLOADS": "never"}
        run(
            [uv, "venv", "--quiet", "--no-config", "--python", interp.command, str(venv)],
            env=no_download,
        )
        cached = ["--cache-dir", str(cache / "uv")] if cache else ["--no-cache"]
        # the release's own dists are read again every time, never taken from the cache
        ours = sorted(
            {
                normalize(p.name.split("-")[0])
                for d in find_links
                if d.is_dir()
                for p in d.glob("*.whl")
            }
        )
        fresh = [a for n in ours for a in ("--refresh-package", n)]
        cmd = [uv, "pip", "install", "--python", str(vpy), *cached, *fresh, *links, str(wheel)]
        offline = [*cmd[:3], "--no-config", "--no-index", *cmd[3:]]
        missing = _UV_MISSING
    else:
        # the host's pip installs into a pip-less venv (`pip --python`, pip >= 22.3): fast; an
        # older host pip gets a venv with its own pip instead
        run([interp.command, "-m", "venv", "--without-pip", str(venv)], env=env)
        pip = [python, "-m", "pip", "--python", str(vpy)]
        if not _pip_has_python_option(python):
            shutil.rmtree(venv)
            run([interp.command, "-m", "venv", str(venv)], env=env)
            pip = [str(vpy), "-m", "pip"]
        cached = ["--cache-dir", str(cache / "pip")] if cache else ["--no-cache-dir"]
        common = [
            "install",
            *cached,
            "--disable-pip-version-check",
            "--no-input",
            *links,
            str(wheel),
        ]
        offline = [*pip[:3], "--isolated", *pip[3:], *common[:1], "--no-index", *common[1:]]
        cmd = [*pip, *common]
        missing = _PIP_MISSING
    used = "uv" if uv else "pip"
    mode = "offline"
    res = run(offline, env=env, check=False)
    if not res.ok:
        out = res.stderr + res.stdout
        if not any(m in out for m in missing):
            raise ArtifactError(
                f"{wheel.name} does not install in a fresh venv (Python {interp.version}, {used}): "
                f"{_tail(out)}"
            ) from None
        # a third-party requirement: let the installer use the configured index for it
        online = {**(env or {}), **uv_index_env(python, env)} if uv else env
        res = run(cmd, env=online, check=False)
        if not res.ok:
            raise ArtifactError(
                f"{wheel.name} does not install in a fresh venv (Python {interp.version}, {used}): "
                f"{_tail(res.stderr + res.stdout)}",
                "its requirements must resolve from this release's dists or the configured index",
            )
        mode = "with the configured index"
    code = "; ".join(f"import {n}" for n in import_names)
    res = run([str(vpy), "-I", "-c", code], cwd=scratch, env=env, check=False)
    if not res.ok:
        raise ArtifactError(
            f"{wheel.name} installs but `{code}` fails on Python {interp.version}: "
            f"{_tail(res.stderr)}",
            "check the package layout and its import-time requirements",
        )
    return SmokeResult(mode, interp, used)


_PIP_PYTHON: dict[str, bool] = {}


def _pip_has_python_option(python: str) -> bool:
    if python not in _PIP_PYTHON:
        _PIP_PYTHON[python] = "--python" in run([python, "-m", "pip", "--help"], check=False).stdout
    return _PIP_PYTHON[python]


def _tail(text: str) -> str:
    lines = [ln.strip() for ln in _plain(text).splitlines() if ln.strip()]
    key = [
        ln for ln in lines if ln.lower().startswith(("error", "modulenotfounderror", "importerror"))
    ]
    return redact((key[-1] if key else (lines[-1] if lines else "no output"))[:300])


def normalize_sdist(path: Path, epoch: int) -> None:
    """Rewrite an sdist so that two builds of one commit are byte-identical: every member's
    mtime is `epoch` (SOURCE_DATE_EPOCH), owners are 0/"" and the gzip header carries no time or
    name. Member order and contents are kept; backends stamp build time into these fields."""
    import gzip
    import io
    import tarfile

    buf = io.BytesIO()
    with (
        tarfile.open(path, "r:gz") as src,
        tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as dst,
    ):
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            member.mtime = epoch
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            member.pax_headers = {}
            dst.addfile(member, data)
    tmp = path.with_name(path.name + ".tmp")
    with (
        tmp.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(buf.getvalue())
    tmp.replace(path)


# ---- the index ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    filename: str
    url: str
    sha256: str | None  # None when the index gives no sha256 (then it is fetched and hashed)


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text.strip()))
            self._href = None


def _file_from(
    base: str, href: str, text: str = "", hashes: Mapping[str, str] | None = None
) -> RemoteFile:
    url = urllib.parse.urljoin(base, href)
    parts = urllib.parse.urlsplit(url)
    filename = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1]) or text
    sha = (hashes or {}).get("sha256")
    if sha is None and parts.fragment.startswith("sha256="):
        sha = parts.fragment[len("sha256=") :]
    return RemoteFile(
        filename, urllib.parse.urlunsplit(parts._replace(fragment="")), sha.lower() if sha else None
    )


def parse_simple_html(text: str, base: str) -> dict[str, RemoteFile]:
    p = _Links()
    p.feed(text)
    files = [_file_from(base, href, t) for href, t in p.links if href]
    return {f.filename: f for f in files}


def parse_simple_json(data: Mapping[str, object], base: str) -> dict[str, RemoteFile]:
    out: dict[str, RemoteFile] = {}
    files = data.get("files") or []
    for entry in files if isinstance(files, list) else []:
        if not isinstance(entry, dict):
            continue
        f = _file_from(
            base,
            str(entry.get("url", "")),
            str(entry.get("filename", "")),
            entry.get("hashes") or {},
        )
        name = str(entry.get("filename") or f.filename)
        out[name] = RemoteFile(name, f.url, f.sha256)
    return out


def _urlopen(req: urllib.request.Request, timeout: float):  # seam for tests
    return urllib.request.urlopen(req, timeout=timeout)


class SimpleIndex:
    """Reads of one index through its simple API (what pip itself reads)."""

    def __init__(self, simple_url: str, timeout: float | None = None) -> None:
        self.simple_url = simple_url if simple_url.endswith("/") else simple_url + "/"
        self.timeout = timeout if timeout is not None else http_timeout(20.0)

    def project_url(self, project: str) -> str:
        return urllib.parse.urljoin(self.simple_url, normalize(project) + "/")

    def files(self, project: str) -> dict[str, RemoteFile]:
        """Every file the index lists for `project` ({} when the project does not exist)."""
        url = self.project_url(project)
        req = urllib.request.Request(
            url, headers={"Accept": SIMPLE_ACCEPT, "Cache-Control": "no-cache"}
        )
        try:
            with _urlopen(req, self.timeout) as resp:
                body = resp.read()
                ctype = resp.headers.get("Content-Type", "")
                final = resp.geturl() or url
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return {}
            raise RemoteError(
                f"index {redact(url)} answered HTTP {exc.code}",
                "check [tool.release].repositories and the index's health",
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteError(
                f"index {redact(url)} is unreachable ({reason})",
                "check the URL and the network, then re-run",
            ) from None
        text = body.decode("utf-8", "replace")
        if "json" in ctype:
            try:
                return parse_simple_json(json.loads(text), final)
            except ValueError:
                raise RemoteError(f"index {redact(url)} sent invalid JSON") from None
        return parse_simple_html(text, final)

    def sha256_of(self, f: RemoteFile) -> str:
        """The sha256 of a listed file (fetched and hashed when the index does not say)."""
        if f.sha256:
            return f.sha256
        h = hashlib.sha256()
        try:
            with _urlopen(urllib.request.Request(f.url), self.timeout) as resp:
                for chunk in iter(lambda: resp.read(1 << 20), b""):
                    h.update(chunk)
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteError(
                f"cannot fetch {redact(f.url)} ({getattr(exc, 'reason', exc)})"
            ) from None
        return h.hexdigest()

    def download(self, f: RemoteFile, dest: Path) -> str:
        """Fetch a listed file into `dest` and return its sha256; a file whose bytes do not match
        the index's own sha256 is refused (nothing is kept)."""
        h = hashlib.sha256()
        tmp = dest.with_name(dest.name + ".part")
        try:
            with (
                _urlopen(urllib.request.Request(f.url), self.timeout) as resp,
                tmp.open("wb") as out,
            ):
                for chunk in iter(lambda: resp.read(1 << 20), b""):
                    h.update(chunk)
                    out.write(chunk)
        except (urllib.error.URLError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise RemoteError(
                f"cannot fetch {redact(f.url)} ({getattr(exc, 'reason', exc)})",
                "check the index and re-run",
            ) from None
        got = h.hexdigest()
        if f.sha256 and got.lower() != f.sha256.lower():
            tmp.unlink(missing_ok=True)
            raise RemoteError(
                f"{f.filename} from {redact(f.url)} does not match the index's own sha256",
                "the index or a proxy altered it; check it before going on",
            )
        tmp.replace(dest)
        return got


@dataclass
class Comparison:
    """Our files against the index: present (same hash), missing, conflicting (other hash)."""

    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    conflicting: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (ours, theirs)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.conflicting


def compare(ours: Mapping[str, str], theirs: Mapping[str, str | None]) -> Comparison:
    """Pure: our {filename: sha256} against the index's {filename: sha256}."""
    c = Comparison()
    for name, sha in sorted(ours.items()):
        if name not in theirs:
            c.missing.append(name)
        elif (theirs[name] or "").lower() == sha.lower():
            c.present.append(name)
        else:
            c.conflicting[name] = (sha, theirs[name] or "unknown")
    return c


def index_hashes(
    index: SimpleIndex, project: str, names: Sequence[str] | None = None
) -> dict[str, str]:
    """{filename: sha256} of the index's files of `project` (restricted to `names`)."""
    listed = index.files(project)
    wanted = listed if names is None else {n: listed[n] for n in names if n in listed}
    return {n: index.sha256_of(f) for n, f in wanted.items()}


# ---- upload -------------------------------------------------------------------------------------


def upload(
    files: Sequence[Path],
    upload_url: str,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
    credentials: Credentials | None = None,
) -> None:
    """twine upload of `files`; credentials only through the environment.

    `credentials` (`core.routing.python_credentials`) names the variables of this index: their
    values become twine's TWINE_USERNAME / TWINE_PASSWORD (username `__token__` for a token-only
    variable), and no other index's credentials reach twine. None: the environment as it is."""
    env = dict(env or {})
    if credentials is not None:
        given = dict(env)
        for key in list(env):  # only this index's credentials go to twine
            if key.startswith(CREDENTIAL_ENV):
                del env[key]
        password = given.get(credentials.password_env, "")
        user = given.get(credentials.username_env or "", "")
        if password and not user:
            user = TOKEN_USERNAME  # a token-only variable
        if user:  # a username alone: twine looks its password up in a keyring
            env["TWINE_USERNAME"] = user
        if password:
            env["TWINE_PASSWORD"] = password
    register_secret(env.get("TWINE_PASSWORD"))  # the username is a name, not a secret
    argv = [
        python,
        "-m",
        "twine",
        "upload",
        "--repository-url",
        upload_url,
        "--non-interactive",
        "--disable-progress-bar",
        *map(str, files),
    ]
    seconds = network_timeout(env)
    try:
        run(argv, env=env, timeout=seconds)
    except CommandTimeout:
        raise RemoteError(
            f"upload to {redact(upload_url)} did not finish within {seconds:g}s",
            "check the index; re-run to resume (files already there are probed, never re-sent); "
            "RELEASE_NETWORK_TIMEOUT sets the limit",
        ) from None
    except CommandError as exc:
        out = exc.stderr + "\n" + exc.stdout
        hint = "re-run to retry; files already on the index are skipped"
        status = _http_status(out)
        if status in (401, 403) or "credentials" in out.lower() or "username" in out.lower():
            hint = "set TWINE_USERNAME and TWINE_PASSWORD (or use trusted publishing) and re-run"
            if credentials is not None:  # name this index's variables
                hint = (
                    f"no credentials for {credentials.index}: {credentials.missing_hint()}; then re-run"
                    if credentials.missing
                    else f"{credentials.refused_hint()} and re-run"
                )
        elif status == 409 or (status == 400 and "exist" in out.lower()):
            hint = "the index refused a file that exists; re-run: the probe will tell same or other content"
        raise RemoteError(f"upload to {redact(upload_url)} failed: {_tail(out)}", hint) from None


def _http_status(text: str) -> int | None:
    """The HTTP status twine reports (`HTTPError: 403 Forbidden from URL`), never a number that
    only happens to be in the text (a port, a path)."""
    m = re.search(r"HTTPError: (\d{3})\b", text)
    return int(m.group(1)) if m else None


# ---- what a venv holds, and its SBOM -------------------------------------------------------------

_LIST_DISTS = """\
import importlib.metadata as m, json
out = []
for d in m.distributions():
    name = d.metadata["Name"]
    if name:
        out.append({"name": name, "version": d.version, "requires": list(d.requires or [])})
print(json.dumps(sorted(out, key=lambda x: x["name"].lower())))
"""


def smoke_venv_python(scratch: Path) -> Path:
    """The interpreter of the venv `smoke_test(..., scratch)` made (it may be gone since)."""
    venv = scratch / "venv"
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def venv_distributions(python: Path) -> list[dict[str, object]]:
    """The distributions installed in a venv, as its own Python sees them (`importlib.metadata`,
    isolated mode): [{name, version, requires (its Requires-Dist lines)}], by name."""
    res = run([str(python), "-I", "-c", _LIST_DISTS], cwd=python.parent, check=False)
    if not res.ok:
        raise ArtifactError(
            f"could not list the distributions of {python.parent.parent}: {_tail(res.stderr)}"
        )
    data = json.loads(res.stdout)
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


class SbomUnavailable(ReleaseError):
    """cyclonedx-python-lib is not installed (the optional `sbom` extra)."""


def sbom_available() -> bool:
    """cyclonedx-python-lib (the `sbom` extra) can be imported."""
    try:
        import cyclonedx.model.bom  # noqa: F401
    except ImportError:
        return False
    return True


def cyclonedx_json(
    dists: Sequence[Mapping[str, object]],
    edges: Mapping[str, Sequence[str]],
    timestamp: int,
    serial: str,
) -> str:
    """A CycloneDX 1.6 JSON document (cyclonedx-python-lib): `dists[0]` is the package it
    describes, the others its installed dependencies, `edges` their graph (normalised names).
    Deterministic: the bom-refs are purls, the timestamp and serial number are given."""
    try:
        import datetime as dt
        import uuid

        from cyclonedx.model.bom import Bom, BomMetaData
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.output.json import JsonV1Dot6
        from packageurl import PackageURL
    except ImportError:
        raise SbomUnavailable("cyclonedx-python-lib is not installed") from None

    made: dict[str, Component] = {}
    for d in dists:
        name, version = str(d["name"]), str(d["version"])
        purl = PackageURL(type="pypi", name=normalize(name), version=version)
        made[normalize(name)] = Component(
            name=name,
            version=version,
            type=ComponentType.LIBRARY,
            purl=purl,
            bom_ref=purl.to_string(),
        )
    root, *rest = made.values()
    bom = Bom(
        serial_number=uuid.UUID(serial),
        metadata=BomMetaData(
            component=root,
            timestamp=dt.datetime.fromtimestamp(timestamp, dt.timezone.utc),
        ),
    )
    for comp in rest:
        bom.components.add(comp)
    for n, comp in made.items():
        bom.register_dependency(comp, [made[x] for x in edges.get(n, ()) if x in made])
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


# ---- read-only checks (release.doctor) ----------------------------------------------------------


def token_host(password: str) -> str | None:
    """The index a PyPI API token was made on (`pypi.org`, `test.pypi.org`), from its macaroon's
    location field; None when `password` is not a token or says no location. Nothing is sent."""
    import base64

    if not password.startswith("pypi-"):
        return None
    body = password[len("pypi-") :][:200]
    try:
        raw = base64.urlsafe_b64decode(body[: len(body) // 4 * 4])
    except ValueError:
        return None
    # macaroon v2 (binary): version 2, then field LOCATION (1), its length, the text
    if len(raw) < 3 or raw[0] != 2 or raw[1] != 1 or raw[2] >= 0x80:
        return None
    location = raw[3 : 3 + raw[2]]
    try:
        return location.decode("ascii") or None
    except UnicodeDecodeError:
        return None


def probe_upload_login(
    upload_url: str, username: str, password: str, timeout: float | None = None
) -> tuple[int | None, str]:
    """Ask a (private) index whether it takes these credentials, without uploading anything:
    (HTTP status, '') or (None, why it is unreachable).

    The request is a POST to the upload URL with the credentials and an empty form (no
    `:action`, no file). An index checks the login before it reads the form: pypiserver (whose
    reads need no login with its default `-a update`, so no GET can tell) answers 401 without
    credentials, 403 with wrong ones and 400 "Missing ':action' field!" with right ones, and
    does nothing. Never used against PyPI or TestPyPI (Warehouse checks a token only with an
    upload)."""
    import base64

    register_secret(password)
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    register_secret(basic)
    req = urllib.request.Request(
        upload_url,
        data=b"",
        method="POST",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "release-kit doctor (no upload)",
        },
    )
    try:
        with _urlopen(req, timeout if timeout is not None else http_timeout(20.0)) as resp:
            return int(resp.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), ""
    except (urllib.error.URLError, OSError) as exc:
        return None, redact(str(getattr(exc, "reason", exc)))
