"""`release-kit` / `python -m release`: the same tasks without a tasks.py in the repository."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from invoke import Program

    from release.tasks import ns

    from . import __version__

    args = help_first(list(argv if argv is not None else sys.argv), set(ns.task_names))
    # Invoke turns bytecode writing off unless told: a source checkout would then recompile
    # every module a release imports late (engine, journal, GitPython) on every run (~0.3 s)
    if "--write-pyc" not in args:
        args.insert(1, "--write-pyc")
    try:
        Program(namespace=ns, version=__version__, name="release-kit", binary="release-kit").run(
            args
        )
    except BrokenPipeError:  # `release-kit --list | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


def help_first(argv: list[str], tasks: set[str]) -> list[str]:
    """`release-kit TASK ... -h` shows TASK's help: Invoke would read `-h` as the value of a
    task's required positional argument (`release.verify -h`: "'-h' is not a version")."""
    names = [a for a in argv[1:] if a in tasks]
    if not names or not any(a in ("-h", "--help") for a in argv[argv.index(names[0]) + 1 :]):
        return argv
    return [argv[0], "--help", names[0]]
