"""`release-kit` / `python -m release`: the same tasks without a tasks.py in the repository."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from invoke import Program

    from release.tasks import ns

    from . import __version__

    try:
        Program(namespace=ns, version=__version__, name="release-kit", binary="release-kit").run(
            argv if argv is not None else sys.argv
        )
    except BrokenPipeError:  # `release-kit --list | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
