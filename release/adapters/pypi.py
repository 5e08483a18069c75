"""Python distributions: build, check, smoke-test, probe an index, upload with twine.

Adapter only: it translates to `python -m build`, `twine`, `pip` and the index's simple API, and
decides nothing about the release (the steps in `release.steps_publish` do).

- build: `python -m build` (sdist, then the wheel from it) of an export of the release commit
  into a clean per-version directory, with SOURCE_DATE_EPOCH = the commit time.
- check: `twine check --strict`; the wheel's contents (`wheel_problems`): it ships modules of the
  expected import names, `Version` metadata equal to the release, no stray top-level files.
- smoke test: a fresh venv, `pip --isolated install --no-index --find-links <this release's
  dists>` of the wheel (a server pinning `client==X` gets the client built in the same release),
  then `import` of every import name.
- index: the simple API (PEP 691 JSON or PEP 503 HTML) gives file names and sha256s; same name
  and same hash = already there, same name with another hash = a conflict (never overwritten).
- upload: `python -m twine upload --repository-url URL --non-interactive`; credentials come
  from TWINE_USERNAME / TWINE_PASSWORD (or keyring) in the environment, never from argv.
"""

from __future__ import annotations

import email.parser
import hashlib
import html.parser
import json
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
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
from release.core.version import Version
from release.errors import ReleaseError, RemoteError

SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
ISOLATION_ENV = "RELEASE_BUILD_ISOLATION"  # "0": build with the installed backend (--no-isolation)
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
) -> list[Path]:
    """`python -m build` of `src` into a clean `out_dir`; the built files (sdist, wheel)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    argv = [python, "-m", "build", "--outdir", str(out_dir)]
    if not isolation:
        argv.append("--no-isolation")
    argv.append(str(src))
    try:
        run(argv, cwd=src, env=env)
    except CommandError as exc:
        raise ArtifactError(
            f"build of {src.name} failed: {_last_line(exc)}", f"try `python -m build {src}` locally"
        ) from None
    files = sorted(p for p in out_dir.iterdir() if p.suffix == ".whl" or p.name.endswith(".tar.gz"))
    if not any(p.suffix == ".whl" for p in files):
        raise ArtifactError(
            f"build of {src.name} produced no wheel", "check the build backend configuration"
        )
    return files


def _last_line(exc: CommandError) -> str:
    lines = [ln.strip() for ln in _plain(exc.stderr or exc.stdout or "").splitlines() if ln.strip()]
    key = [ln for ln in lines if "error" in ln.lower()]
    return redact((key[-1] if key else (lines[-1] if lines else exc.message))[:300])


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
    return WheelInfo(str(meta.get("Name", "")), str(meta.get("Version", "")), top, modules)


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


def smoke_test(
    wheel: Path,
    find_links: Sequence[Path],
    import_names: Sequence[str],
    scratch: Path,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
) -> str:
    """Install `wheel` into a fresh venv (from this release's dists only) and import it.

    Returns how dependencies were found: "offline" (every requirement came from this release's
    dists), or "with the configured index" when a third-party requirement needed it.
    """
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    venv = scratch / "venv"
    vpy = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    # the host's pip installs into a pip-less venv (`pip --python`, pip >= 22.3): fast; an older
    # host pip gets a venv with its own pip instead
    run([python, "-m", "venv", "--without-pip", str(venv)], env=env)
    pip = [python, "-m", "pip", "--python", str(vpy)]
    if not _pip_has_python_option(python):
        shutil.rmtree(venv)
        run([python, "-m", "venv", str(venv)], env=env)
        pip = [str(vpy), "-m", "pip"]
    links: list[str] = []
    for d in find_links:
        links += ["--find-links", str(d)]
    common = [
        "install",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-input",
        *links,
        str(wheel),
    ]
    offline = [*pip[:3], "--isolated", *pip[3:], *common[:1], "--no-index", *common[1:]]
    mode = "offline"
    res = run(offline, env=env, check=False)
    if not res.ok:
        out = res.stderr + res.stdout
        if "No matching distribution found" not in out and "Could not find a version" not in out:
            raise ArtifactError(
                f"{wheel.name} does not install in a fresh venv: {_tail(out)}"
            ) from None
        # a third-party requirement: let pip use the configured index for it
        res = run([*pip, *common], env=env, check=False)
        if not res.ok:
            raise ArtifactError(
                f"{wheel.name} does not install in a fresh venv: {_tail(res.stderr + res.stdout)}",
                "its requirements must resolve from this release's dists or the configured index",
            )
        mode = "with the configured index"
    code = "; ".join(f"import {n}" for n in import_names)
    res = run([str(vpy), "-I", "-c", code], cwd=scratch, env=env, check=False)
    if not res.ok:
        raise ArtifactError(
            f"{wheel.name} installs but `{code}` fails: {_tail(res.stderr)}",
            "check the package layout and its import-time requirements",
        )
    return mode


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
) -> None:
    """twine upload of `files`; credentials only through the environment."""
    env = dict(env or {})
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
        if (
            "403" in out
            or "401" in out
            or "credentials" in out.lower()
            or "username" in out.lower()
        ):
            hint = "set TWINE_USERNAME and TWINE_PASSWORD (or use trusted publishing) and re-run"
        elif "409" in out or ("400" in out and "exist" in out.lower()):
            hint = "the index refused a file that exists; re-run: the probe will tell same or other content"
        raise RemoteError(f"upload to {redact(upload_url)} failed: {_tail(out)}", hint) from None
