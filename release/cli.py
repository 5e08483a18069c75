"""`release-kit` / `python -m release`: the same tasks without a tasks.py in the repository."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from invoke import Program

    from release.tasks import ns

    from . import __version__

    Program(namespace=ns, version=__version__, name="release-kit", binary="release-kit").run(
        argv if argv is not None else sys.argv
    )
