"""Adapter: run `nox -t TAG ...` on one exact commit and read back what ran.

The commit is checked out in a detached worktree under the release's work directory (never the
user's checkout), nox runs there with `--report FILE.json` (nox's own JSON: every session with
its result, reason and duration), and the worktree is removed afterwards. Virtualenvs live in
one envdir shared by the releases of this repository (`.git/release/work/nox`), so a session's
venv is reused across releases while the project is reinstalled from the worktree each time.

Environment:
    RELEASE_NOX          the command that runs nox (default: this Python's `-m nox`, else `nox`)
    RELEASE_NOX_TIMEOUT  seconds before the run is abandoned (default: no limit)

No policy here: which tags a release type needs, and what counts as evidence, is decided by
release.steps_tests.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.adapters.runner import redact, run
from release.errors import ReleaseError

NOX_ENV = "RELEASE_NOX"
TIMEOUT_ENV = "RELEASE_NOX_TIMEOUT"
# Test seams of the release process itself, never meant for the nox run it starts.
_BLANKED = ("RELEASE_KILL_AFTER", "RELEASE_PAUSE_AFTER")
PASSING = ("success", "skipped")


@dataclass(frozen=True)
class SessionResult:
    """One nox session as it ran: name (with its parameters), success|failed|skipped|aborted."""

    name: str
    result: str
    seconds: float
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.result in PASSING


@dataclass
class NoxRun:
    """What one `nox -t ...` run on one commit showed."""

    commit: str
    tags: list[str]
    sessions: list[SessionResult] = field(default_factory=list)
    returncode: int = 0
    seconds: float = 0.0
    log: str = ""  # path of the saved (redacted) output
    error: str = ""  # nox could not run the sessions at all (bad noxfile, no session with the tag)

    @property
    def failed(self) -> list[SessionResult]:
        return [s for s in self.sessions if not s.passed]

    @property
    def ok(self) -> bool:
        return not self.error and self.returncode == 0 and bool(self.sessions) and not self.failed

    def facts(self) -> dict[str, Any]:
        """The journal's record: commit, tags, each session's result and duration."""
        return {
            "commit": self.commit,
            "tags": list(self.tags),
            "ok": self.ok,
            "returncode": self.returncode,
            "seconds": round(self.seconds, 3),
            "sessions": [
                {
                    "name": s.name,
                    "result": s.result,
                    "seconds": round(s.seconds, 3),
                    **({"reason": s.reason} if s.reason else {}),
                }
                for s in self.sessions
            ],
            **({"error": self.error} if self.error else {}),
            **({"log": self.log} if self.log else {}),
        }


def parse_report(data: Any) -> list[SessionResult]:
    """Sessions from nox's `--report` JSON ({"result": 0|1, "sessions": [...]})."""
    if not isinstance(data, dict) or not isinstance(data.get("sessions"), list):
        raise ReleaseError(
            "nox's report is not the JSON nox writes", "check the nox version (>= 2024.3)"
        )
    out = []
    for entry in data["sessions"]:
        sigs = [s for s in entry.get("signatures") or [] if isinstance(s, str)]
        name = max(sigs, key=len) if sigs else str(entry.get("name", "?"))
        out.append(
            SessionResult(
                name=name,
                result=str(entry.get("result", "failed")).lower(),
                seconds=float(entry.get("duration") or 0.0),
                reason=str(entry.get("reason") or ""),
            )
        )
    return out


def nox_command(env: Mapping[str, str]) -> list[str]:
    """How to start nox: $RELEASE_NOX, else `python -m nox` when importable here, else `nox`."""
    if env.get(NOX_ENV):
        return shlex.split(env[NOX_ENV])
    if importlib.util.find_spec("nox") is not None:
        return [sys.executable, "-m", "nox"]
    return ["nox"]


def has_noxfile(repo: Any, commit: str) -> bool:
    """True when `noxfile.py` exists at the root of `commit`."""
    return repo.git("cat-file", "-e", f"{commit}:noxfile.py", check=False).ok


def run_nox(
    repo: Any,
    commit: str,
    tags: list[str],
    work_dir: Path,
    env: Mapping[str, str],
    version: str = "",
) -> NoxRun:
    """Run `nox -t TAGS` on `commit` in a throwaway worktree; return the sessions it ran."""
    tree = work_dir / "tests"
    report = work_dir / f"nox-{'-'.join(tags)}.json"
    log = work_dir / f"nox-{'-'.join(tags)}.log"
    envdir = work_dir.parent / "nox"
    repo.worktree_remove(tree)
    tree.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    repo.worktree_add(tree, commit)
    run_env = {**dict(env), **dict.fromkeys(_BLANKED, "")}
    if version:
        run_env["RELEASE_VERSION"] = version
    timeout = float(env[TIMEOUT_ENV]) if env.get(TIMEOUT_ENV) else None
    argv = [
        *nox_command(env),
        "--nocolor",
        "--non-interactive",
        "--envdir",
        str(envdir),
        "--report",
        str(report),
        "-t",
        *tags,
    ]
    t0 = time.monotonic()
    try:
        res = run(argv, cwd=tree, env=run_env, check=False, timeout=timeout)
    finally:
        repo.worktree_remove(tree)
    out = NoxRun(
        commit=commit, tags=list(tags), returncode=res.returncode, seconds=time.monotonic() - t0
    )
    text = redact(res.stdout + res.stderr)
    log.write_text(text, encoding="utf-8")
    out.log = str(log)
    if report.is_file():
        try:
            out.sessions = parse_report(json.loads(report.read_text(encoding="utf-8")))
        except json.JSONDecodeError:
            out.error = f"nox wrote an unreadable report {report}"
    if not out.sessions and not out.error:
        lines = [ln.removeprefix("nox > ").strip() for ln in text.splitlines() if ln.strip()]
        out.error = lines[-1] if lines else f"nox exited {res.returncode} without running a session"
    return out


def list_sessions(cwd: Path, env: Mapping[str, str]) -> tuple[list[dict[str, Any]] | None, str]:
    """`nox --list --json` in `cwd`: (the sessions with their tags, '') or (None, why not).
    Lists only: no virtualenv is made and no session runs."""
    if not (cwd / "noxfile.py").is_file():
        return None, f"no noxfile.py in {cwd}"
    run_env = {**dict(env), **dict.fromkeys(_BLANKED, "")}
    argv = [*nox_command(env), "--list", "--json", "--nocolor"]
    try:
        res = run(argv, cwd=cwd, env=run_env, check=False, timeout=120)
    except ReleaseError as exc:
        return None, f"nox could not be started: {exc.message}"
    if res.returncode != 0:
        lines = [ln.strip() for ln in redact(res.stderr + res.stdout).splitlines() if ln.strip()]
        return None, f"nox --list failed: {lines[-1] if lines else f'exit {res.returncode}'}"
    try:
        data = json.loads(res.stdout)
    except json.JSONDecodeError:
        return None, "nox --list --json printed no JSON (nox >= 2023.4 is needed)"
    return [s for s in data if isinstance(s, dict)] if isinstance(data, list) else [], ""
