"""`release-kit` / `python -m release`: the same tasks without a tasks.py in the repository."""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str] | None = None) -> None:
    from invoke import Program

    from release.tasks import ns

    from . import __version__

    args = help_first(list(argv if argv is not None else sys.argv), set(ns.task_names))
    # Invoke turns bytecode writing off unless told: a source checkout would then recompile
    # every module a release imports late (engine, journal, GitPython) on every run (~0.3 s)
    if "--write-pyc" not in args:
        args.insert(1, "--write-pyc")
    code: str | int | None = 0
    namespace = just_the_task(ns, args)
    try:
        Program(
            namespace=namespace, version=__version__, name="release-kit", binary="release-kit"
        ).run(args)
    except BrokenPipeError:  # `release-kit --list | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except SystemExit as exc:
        code = exc.code
    if argv is None:  # the process is ours (not a test calling main): end it without teardown
        fast_exit(code)
    sys.exit(code)


def fast_exit(code: str | int | None) -> None:
    """End the process as `sys.exit(code)` would, minus the interpreter's teardown (freeing
    some 500 modules and their objects: ~50 ms of a release's own overhead). atexit handlers
    still run and the standard streams are flushed; with another (non-daemon) thread still
    running, the normal exit waits for it as usual, and under a profiler or debugger the exit is normal."""
    import atexit
    import contextlib
    import os
    import threading

    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    if any(not t.daemon for t in others) or sys.getprofile() or sys.gettrace():
        sys.exit(code)  # a thread to wait for, a profiler or a debugger: the normal exit
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(status & 0xFF if status >= 0 else 1)


WHOLE = ("-l", "--list", "--complete", "--print-completion-script", "-h", "--help", "-V")


def just_the_task(ns: Any, argv: list[str]) -> Any:
    """The namespace Invoke parses with: only the one task named on the command line (Invoke
    deep-copies the parser context of every task it knows on each run, ~13 ms for ours), or
    the whole namespace for a listing, help, completion, an alias or several tasks."""
    from invoke import Collection

    names = [a for a in argv[1:] if a in set(ns.task_names)]
    if len(names) != 1 or any(a.split("=")[0] in WHOLE or a == "--version" for a in argv[1:]):
        return ns
    *path, last = names[0].split(".")
    small = Collection()
    small.add_task(ns[names[0]], name=last)
    for part in reversed(path):
        outer = Collection()
        outer.add_collection(small, name=part)
        small = outer
    small.configure(ns.configuration())
    return small


def help_first(argv: list[str], tasks: set[str]) -> list[str]:
    """`release-kit TASK ... -h` shows TASK's help: Invoke would read `-h` as the value of a
    task's required positional argument (`release.verify -h`: "'-h' is not a version")."""
    names = [a for a in argv[1:] if a in tasks]
    if not names or not any(a in ("-h", "--help") for a in argv[argv.index(names[0]) + 1 :]):
        return argv
    return [argv[0], "--help", names[0]]
