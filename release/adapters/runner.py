"""The one door for subprocesses: every git/twine/npm/docker command goes through `run`.

It logs the command with secrets redacted, never uses a shell, and turns failures into
`ReleaseError`s whose text is redacted too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from release.errors import ReleaseError

log = logging.getLogger("release.run")

# Environment variables whose values are secrets wherever they appear.
SECRET_ENV_PATTERN = re.compile(
    r"(TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|WEBHOOK|CREDENTIAL|(^|_)AUTH($|_))", re.I
)
# Anything shaped like a token, even if we were never told about it.
TOKEN_SHAPES = [
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"pypi-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"npm_[A-Za-z0-9]{20,}"),
    re.compile(r"xox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(
        r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@"
    ),  # user:password@ in URLs (any scheme)
    re.compile(
        r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|token|basic)\s+)[A-Za-z0-9._\-+/=]+"
    ),
    re.compile(r"(_authToken=)[^\s]+"),
    re.compile(r"(https://discord(?:app)?\.com/api/webhooks/\d+/)[A-Za-z0-9_\-]+"),
    re.compile(r"(https://hooks\.slack\.com/services/)[A-Za-z0-9/]+"),
]
MASK = "***"

_extra_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a value that must never be printed (e.g. a token read from a file)."""
    if value and len(value) >= 4:
        _extra_secrets.add(value)


# known_secrets() of os.environ, keyed by a snapshot of the environment and of _extra_secrets:
# `redact` runs on every string the journal writes (thousands per release), and walking
# os.environ (decoding each entry, matching each name) each time was a third of the toolkit's
# own time in a release. Any change to either recomputes it.
_secrets_cache: tuple[object, list[str]] | None = None


def known_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret value and the forms it takes in text: as given, stripped of the whitespace a
    shell or a file adds, and URL-encoded (in a URL or a form body)."""
    global _secrets_cache
    if environ is None:
        raw_env = getattr(os.environ, "_data", None)  # the bytes dict behind os.environ
        if isinstance(raw_env, dict):
            key = (tuple(raw_env.items()), frozenset(_extra_secrets))
            cached = _secrets_cache
            if cached is not None and cached[0] == key:
                return list(cached[1])
            values = _known_secrets(os.environ)
            _secrets_cache = (key, values)
            return list(values)
    return _known_secrets(os.environ if environ is None else environ)


def _known_secrets(env: Mapping[str, str]) -> list[str]:
    from urllib.parse import quote

    raw = {v for k, v in env.items() if SECRET_ENV_PATTERN.search(k) and v} | _extra_secrets
    values: set[str] = set()
    for v in raw:
        for form in (v, v.strip(), quote(v.strip(), safe="")):
            if len(form) >= 4:
                values.add(form)
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Mask configured secrets and anything that looks like a token."""
    if not text:
        return text
    return _redact_with(text, known_secrets(environ))


_memo: tuple[object, dict[str, str]] = (None, {})


def redactor() -> Callable[[str], str]:
    """`redact` for many strings at once (a journal save scrubs every string it holds): the
    secrets are looked up once, and a text already redacted with the same secrets is not
    redacted again. Valid until the next call (a new secret gives a new memo)."""
    global _memo
    secrets = known_secrets()
    key = _secrets_cache
    if key is None:  # no cache key for this environment: no memo either
        return lambda text: _redact_with(text, secrets) if text else text
    if _memo[0] is not key:
        _memo = (key, {})
    memo = _memo[1]

    def fn(text: str) -> str:
        if not text:
            return text
        out = memo.get(text)
        if out is None:
            out = _redact_with(text, secrets)
            if len(memo) < 50_000:
                memo[text] = out
        return out

    return fn


def _redact_with(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern in TOKEN_SHAPES:
        if pattern.groups:
            text = pattern.sub(
                lambda m: m.group(1) + MASK + ("@" if m.group(0).endswith("@") else ""), text
            )
        else:
            text = pattern.sub(MASK, text)
    return text


class CommandError(ReleaseError):
    """A command exited non-zero; the message carries its redacted stderr tail."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        tail = [ln.strip() for ln in (stderr or stdout or "").strip().splitlines() if ln.strip()]
        key = [
            ln for ln in tail if ln.lower().startswith(("fatal:", "error:", "error ", "npm error"))
        ]
        last = key[0] if key else (tail[-1] if tail else "no output")
        super().__init__(redact(f"`{_show(argv)}` failed (exit {returncode}): {last}"))


@dataclass
class Result:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandTimeout(ReleaseError):
    """A command did not finish within its time limit (it and its helpers were stopped)."""

    exit_code = 5

    def __init__(self, argv: Sequence[str], seconds: float) -> None:
        self.argv = list(argv)
        self.seconds = seconds
        super().__init__(f"`{_show(argv)}` did not finish within {seconds:g}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a command (its whole process group when it has one) and reap it."""
    import signal

    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    with contextlib.suppress(Exception):
        proc.communicate(timeout=5)


def http_timeout(default: float, env: Mapping[str, str] | None = None) -> float:
    """Seconds one HTTP request may take: RELEASE_NETWORK_TIMEOUT when set, else the adapter's
    own `default` (a request is shorter than a git push)."""
    raw = (env if env is not None else os.environ).get("RELEASE_NETWORK_TIMEOUT", "")
    return network_timeout(env) if raw else default


def network_timeout(env: Mapping[str, str] | None = None) -> float:
    """Seconds a network call may take: RELEASE_NETWORK_TIMEOUT, default 300 (a push of a big
    repository over a slow link fits; a remote that accepts and never answers does not hang)."""
    raw = (env if env is not None else os.environ).get("RELEASE_NETWORK_TIMEOUT", "")
    try:
        value = float(raw) if raw else 300.0
    except ValueError:
        raise ReleaseError(
            f"RELEASE_NETWORK_TIMEOUT={raw!r} is not a number of seconds", "e.g. 300"
        ) from None
    return value if value > 0 else 300.0


def _show(argv: Sequence[str]) -> str:
    return redact(" ".join(str(a) for a in argv))


def _profile(path: str, argv: Sequence[str], seconds: float) -> None:
    """RELEASE_PROFILE=<file>: append one JSON line per command (the program's base name, its
    wall time and when it started) and `what`, the program with its subcommand (`git rev-parse`, `python -m build`),
    never the other arguments, which may hold secrets. One `write` on an O_APPEND file, so lines
    from parallel commands do not interleave. A profile that cannot be written is skipped."""
    import json

    argv0 = str(argv[0]).rsplit(os.sep, 1)[-1]
    rest = [str(a) for a in argv[1:3]]
    sub = rest[1] if rest[:1] == ["-m"] and len(rest) > 1 else (rest[0] if rest else "")
    what = f"{argv0} -m {sub}" if rest[:1] == ["-m"] else argv0
    if sub and what == argv0 and re.fullmatch(r"[a-z][a-z0-9-]*", sub):
        what = f"{argv0} {sub}"
    record = {
        "argv0": argv0,
        "what": redact(what),
        "seconds": round(seconds, 6),
        "start": round(time.time() - seconds, 6),  # wall clock: overlapping commands show
    }
    data = (json.dumps(record) + "\n").encode()
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
    timeout: float | None = None,
) -> Result:
    """Run `argv` (a list, never a shell string) and return its decoded output."""
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    log.debug("run: %s (cwd=%s)", _show(argv), cwd)
    profile = os.environ.get("RELEASE_PROFILE")  # off by default: one dict lookup
    started = time.perf_counter() if profile else 0.0
    try:
        # With a timeout the command gets its own process group, so that a hang ends with every
        # helper it started (git's remote helpers, ssh) and not only the first process.
        proc = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=full_env,
            stdin=subprocess.PIPE if input is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=timeout is not None,
        )
    except FileNotFoundError:
        raise ReleaseError(f"`{argv[0]}` is not installed", "install it and retry") from None
    try:
        raw_out, raw_err = proc.communicate(
            input.encode() if input is not None else None, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise CommandTimeout(argv, timeout or 0) from None
    except BaseException:  # Ctrl-C: the command must not outlive us
        _stop(proc)
        raise
    finally:
        if profile:
            _profile(profile, argv, time.perf_counter() - started)
    out = raw_out.decode("utf-8", "replace")
    err = raw_err.decode("utf-8", "replace")
    result = Result(list(map(str, argv)), proc.returncode, out, err)
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, out, err)
    return result
