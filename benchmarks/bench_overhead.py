"""Benchmark: the toolkit's own overhead in a whole release (issue 15).

    python benchmarks/bench_overhead.py [--repeat 3] [--packages 1] [--limit 0.10] [--json out.json]

Each run makes a fresh sandbox project the way the integration tests do
(`tests/fixtures/sandbox.py` `make_sandbox(package=True)` plus the `make_published_sandbox`
setup there: a hatchling package, published to a local pypiserver
pair started by `tests/fixtures/pypi_server.py`'s own helpers), then times
`python -m release release.minor --yes` as a user runs it.

The release runs with `RELEASE_PROFILE=<file>`: `release.adapters.runner.run` appends one JSON
line per subprocess (program, subcommand, wall time). Git commands that GitPython starts (the
mutating branch/tag/worktree operations) do not go through the runner; a `sitecustomize` on the
release's PYTHONPATH (this file writes it to a temporary directory) times them into the same
file, and times the in-process waits (`time.sleep` of the bounded polling) and HTTP requests
(from the request sent to the response's headers: the index's own time) too. Then

    overhead = wall - (subprocesses | GitPython's git | waits | HTTP) - Python startup

is the time the toolkit spends in Python itself: imports, reading configuration, planning,
the engine, the journal. All of those are counted as the union of their intervals (each line
has its start), so builds running side by side (`--packages 2`, `build_workers`) are not
counted twice. The run fails (exit 1) when the median
overhead is more than `--limit` of the median wall time (default 10 %).

`--packages 2` adds a second, independent Python package (two builds in one release).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

# Timing hook loaded by the release process only (see the module docstring). It wraps
# GitPython's `Git.execute` when `git.cmd` is imported, and `time.sleep`; each call appends a
# line to RELEASE_PROFILE like the runner's.
SITECUSTOMIZE = """\
import json, os, sys, time

_PROFILE = os.environ.get("RELEASE_PROFILE")


def _write(record):
    with open(_PROFILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\\n")


def _timed(fn, what):
    def wrapper(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(self, *args, **kwargs)
        finally:
            argv0, label = what(self, args)
            took = time.perf_counter() - t0
            _write({"argv0": argv0, "what": label, "seconds": round(took, 6),
                    "start": round(time.time() - took, 6)})
    return wrapper


def _git_what(self, args):
    command = args[0] if args else ()
    sub = command[1] if isinstance(command, (list, tuple)) and len(command) > 1 else ""
    return "git", f"git {sub} (GitPython)"


def _wrap(name, module):
    if name == "git.cmd":
        module.Git.execute = _timed(module.Git.execute, _git_what)
    elif name == "http.client":  # from the request sent to the response's headers
        module.HTTPConnection.getresponse = _timed(
            module.HTTPConnection.getresponse, lambda self, a: ("http", "HTTP (server time)"))


class _Finder:
    def find_spec(self, name, path=None, target=None):
        if name not in ("git.cmd", "http.client"):
            return None
        sys.meta_path.remove(self)
        try:
            import importlib.util
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_wrap(module):
            exec_module(module)
            _wrap(name, module)

        spec.loader.exec_module = exec_and_wrap
        return spec


if _PROFILE and os.environ.get("BENCH_OVERHEAD_PID") == "release":
    os.environ.pop("BENCH_OVERHEAD_PID")  # the release's own children are not hooked
    sys.meta_path.insert(0, _Finder())
    _sleep = time.sleep

    def sleep(seconds):
        t0 = time.perf_counter()
        try:
            _sleep(seconds)
        finally:
            took = time.perf_counter() - t0
            _write({"argv0": "sleep", "what": "wait (time.sleep)", "seconds": round(took, 6),
                    "start": round(time.time() - took, 6)})

    time.sleep = sleep
    if os.environ.get("BENCH_CPROFILE"):  # --cprofile FILE: profile the release process
        import atexit, cProfile
        _prof = cProfile.Profile()
        _out = os.environ.pop("BENCH_CPROFILE")
        atexit.register(lambda: (_prof.disable(), _prof.dump_stats(_out)))
        _prof.enable()
"""

EXTRA_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo-extra"
version = "0.0.0"  # managed by release-kit
readme = "README.md"
dependencies = []
"""

EXTRA_PACKAGE = """
[[tool.release.packages]]
name = "demo-extra"
kind = "python"
path = "extra"
version_files = ["pyproject.toml", "demo_extra/__init__.py"]
"""


def start_indexes(base: Path):
    """The PyPI/TestPyPI pair, started by the fixture's own helpers (as `pypi_servers` does)."""
    from passlib.apache import HtpasswdFile

    from tests.fixtures.pypi_server import USERNAME, PypiServers, _start

    base.mkdir(parents=True, exist_ok=True)
    password = os.urandom(12).hex()
    started = []
    try:
        for role in ("pypi", "testpypi"):
            htpasswd = base / f"{role}.htpasswd"
            ht = HtpasswdFile(str(htpasswd), new=True, default_scheme="sha256_crypt")
            ht.set_password(USERNAME, password)
            ht.save()
            started.append(_start(role, base, htpasswd, password))
    except BaseException:
        stop_indexes(started)
        raise
    return PypiServers(*started), started


def stop_indexes(started) -> None:
    from tests.fixtures.procs import stop

    for idx in started:
        if idx.proc is not None:
            stop(idx.proc)


def make_project(tmp: Path, servers, packages: int):
    """`make_sandbox(tmp, package=True)` + the `make_published_sandbox` setup (+ a second
    package)."""
    from tests.fixtures.sandbox import BUILD_SYSTEM, make_sandbox

    sb = make_sandbox(tmp, package=True)
    text = (sb.root / "pyproject.toml").read_text()
    text = BUILD_SYSTEM + text.replace(
        "dependencies = []", 'readme = "README.md"\ndependencies = []'
    )
    repos = "\n".join(f'{k} = "{v}"' for k, v in servers.repositories().items())
    if packages > 1:
        text += EXTRA_PACKAGE
        sb.wd.write("extra/pyproject.toml", EXTRA_PYPROJECT)
        sb.wd.write("extra/README.md", "# demo-extra\n")
        sb.wd.write("extra/demo_extra/__init__.py", '"""Extra."""\n\n__version__ = "0.0.0"\n')
    text += f"\n[tool.release.repositories]\n{repos}\n"
    sb.wd.write("pyproject.toml", text)
    sb.wd.write("README.md", "# demo-client\n\nA sample project.\n")
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "build: publishable package")
    sb.wd.git("push", "-q", "origin", "main")
    sb.env.update({"RELEASE_BUILD_ISOLATION": "0", **servers.twine_env()})
    return sb


def precompile(prefix: Path) -> None:
    """Bytecode for the toolkit and GitPython, as a pip install writes it. Needed because invoke
    sets `sys.dont_write_bytecode` once it has parsed its arguments (unless `--write-pyc`), so
    every module the release imports lazily after that (the engine, the journal, the commands,
    GitPython) would otherwise be compiled from source on every run, warm-up or not."""
    import git

    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    dirs = [str(ROOT / "release"), str(Path(git.__file__).parent)]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], env=env, check=True)


def python_startup(repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def one_release(work: Path, servers, packages: int, hook_dir: Path, extra_env: dict) -> dict:
    servers.reset()
    sb = make_project(work, servers, packages)
    # Bytecode as an installed package has it (pip compiles it): cached under a prefix outside
    # the tree, filled by the warm-up run, for the release and the tools it starts alike.
    sb.env.pop("PYTHONDONTWRITEBYTECODE", None)
    profile = work / "profile.jsonl"
    env = {
        "PYTHONPYCACHEPREFIX": str(hook_dir.parent / "pycache"),
        "RELEASE_PROFILE": str(profile),
        "BENCH_OVERHEAD_PID": "release",
        "PYTHONPATH": str(hook_dir) + os.pathsep + sb.env["PYTHONPATH"],
        **extra_env,
    }
    t0, began = time.perf_counter(), time.time()
    res = sb.run("release.minor", "--yes", "--verbose", env=env)
    wall = time.perf_counter() - t0
    ended = time.time()
    if res.returncode != 0:
        raise SystemExit(f"release.minor failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    if os.environ.get("BENCH_OVERHEAD_STDERR"):  # e.g. with --env PYTHONPROFILEIMPORTTIME=1
        Path(os.environ["BENCH_OVERHEAD_STDERR"]).write_text(res.stderr)
    rows = [json.loads(ln) for ln in profile.read_text().splitlines() if ln.strip()]
    by_what: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        by_what[r["what"]].append(r["seconds"])
    runner = [
        r for r in rows if r["argv0"] not in ("sleep", "http") and "(GitPython)" not in r["what"]
    ]
    gitpython = [r for r in rows if "(GitPython)" in r["what"]]
    sleeps = [r for r in rows if r["argv0"] == "sleep"]
    http = [r for r in rows if r["argv0"] == "http"]
    # the time something outside the toolkit's Python was running: the union of the intervals
    # (builds in parallel overlap; their sum would count the overlap twice)
    spans = sorted((r["start"], r["start"] + r["seconds"], r["what"]) for r in rows)
    busy, end, last = 0.0, began, "(process start)"
    gaps: list[tuple[float, str, str]] = []  # the toolkit's own stretches: (seconds, after, before)
    for a, z, what in spans:
        if a > end:
            gaps.append((a - end, last, what))
        if z > end:
            busy += z - max(a, end)
            end, last = z, what
    gaps.append((ended - end, last, "(process end)"))
    build_rows = [
        ln
        for ln in res.stdout.splitlines()
        if ln.startswith(" + ") and ln.split()[1].startswith(("build:", "pack:", "image:"))
    ]
    build_times = [
        float(ln.rsplit("(", 1)[1].rstrip("s)")) for ln in build_rows if ln.endswith("s)")
    ]
    return {
        "wall": wall,
        "busy_s": busy,
        "build_sum": sum(build_times),
        "build_max": max(build_times, default=0.0),
        "runner_n": len(runner),
        "runner_s": sum(r["seconds"] for r in runner),
        "gitpython_n": len(gitpython),
        "gitpython_s": sum(r["seconds"] for r in gitpython),
        "sleep_n": len(sleeps),
        "sleep_s": sum(r["seconds"] for r in sleeps),
        "http_n": len(http),
        "http_s": sum(r["seconds"] for r in http),
        "by_what": {k: (len(v), sum(v)) for k, v in by_what.items()},
        "steps": [ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith(" + ")],
        "gaps": sorted(gaps, reverse=True)[:12],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first (bytecode cache)")
    ap.add_argument("--packages", type=int, choices=(1, 2), default=1)
    ap.add_argument("--limit", type=float, default=0.10, help="max overhead / wall (0.10 = 10%%)")
    ap.add_argument("--json", type=Path, help="write the measurements here")
    ap.add_argument(
        "--cprofile", type=Path, help="cProfile one more (uncounted) release into this file"
    )
    ap.add_argument(
        "--env", action="append", default=[], help="KEY=VALUE for the release (repeatable)"
    )
    args = ap.parse_args()
    try:
        import hatchling  # noqa: F401
        import passlib  # noqa: F401
        import pypiserver  # noqa: F401
    except ImportError as exc:
        print(f"{exc.name} is not installed; scripts/install-test-deps.sh installs it")
        return 2
    extra_env = dict(kv.split("=", 1) for kv in args.env)
    if args.cprofile:
        extra_env["BENCH_CPROFILE"] = str(args.cprofile.resolve())

    base = Path(tempfile.mkdtemp(prefix="bench-overhead-"))
    try:
        hook_dir = base / "hook"
        hook_dir.mkdir()
        (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
        precompile(base / "pycache")
        servers, started = start_indexes(base / "indexes")
        try:
            runs = []
            timed_env = {k: v for k, v in extra_env.items() if k != "BENCH_CPROFILE"}
            for i in range(args.warmup + args.repeat):
                work = base / f"run{i}"
                work.mkdir()
                result = one_release(work, servers, args.packages, hook_dir, timed_env)
                if i >= args.warmup:
                    runs.append(result)
            if args.cprofile:  # one more run, profiled, not counted
                work = base / "profiled"
                work.mkdir()
                one_release(work, servers, args.packages, hook_dir, extra_env)
        finally:
            stop_indexes(started)
        startup = python_startup()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    wall, sub, gp, waits = med("wall"), med("runner_s"), med("gitpython_s"), med("sleep_s")
    http = med("http_s")
    overheads = [r["wall"] - r["busy_s"] - startup for r in runs]
    overhead = statistics.median(overheads)
    ratio = overhead / wall if wall else 0.0
    last = runs[-1]
    print(
        f"release.minor --yes, {args.packages} package(s), median of {args.repeat} runs "
        f"({sys.platform}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]})\n"
    )
    print("| measure | seconds | share of wall |")
    print("|---|---:|---:|")
    table = [
        ("wall time of the release", wall),
        (f"subprocesses through the runner ({last['runner_n']} calls)", sub),
        (f"git through GitPython ({last['gitpython_n']} calls)", gp),
        (f"waits (time.sleep, {last['sleep_n']} calls)", waits),
        (f"HTTP: the indexes answering ({last['http_n']} requests)", http),
        ("Python startup (`python -c pass`)", startup),
        ("all of these, overlaps counted once", med("busy_s")),
        ("**Python-side overhead** (wall - the line above - startup)", overhead),
    ]
    for label, sec in table:
        print(f"| {label} | {sec:.3f} | {sec / wall:.1%} |")
    print(f"\nSteps applied: {', '.join(last['steps'])}")
    print(
        f"Build steps (build:/pack:/image:): each step's own time summed {med('build_sum'):.3f} s "
        f"(their serial cost), the longest {med('build_max'):.3f} s (the critical path when "
        "they run side by side)"
    )
    print("\nSubprocesses of the last run, by command (calls, total seconds):")
    for what, (n, s) in sorted(last["by_what"].items(), key=lambda kv: -kv[1][1]):
        print(f"  {s:7.3f} s  {n:3d}x  {what}")
    print("\nThe toolkit's longest stretches of its own in the last run (between two timed calls):")
    for gap, after, before in last["gaps"]:
        print(f"  {gap:7.3f} s  after {after}, before {before}")
    verdict = "ok" if ratio <= args.limit else "TOO HIGH"
    print(f"\noverhead / wall = {ratio:.1%} (limit {args.limit:.0%}): {verdict}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "runs": runs,
                    "startup": startup,
                    "overhead": overhead,
                    "ratio": ratio,
                    "packages": args.packages,
                },
                indent=2,
            )
        )
    return 0 if ratio <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
