"""Invoke tasks: thin. Parse flags, call one function in `release`, map errors to exit codes.

Another repository adopts the toolkit with a three-line tasks.py:

    from release.tasks import ns  # noqa: F401

Collections: `release`, `changelog`, `milestone`, `mergify`.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

from invoke import Collection, Exit, task

from .errors import ReleaseError
from .runner import redact


def edge(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map the ReleaseError family to one redacted line on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ReleaseError as exc:
            raise Exit(redact(f"error: {exc.one_line()}"), code=exc.exit_code) from None
        except KeyboardInterrupt:
            raise Exit("error: interrupted; re-run the same command to resume", code=130) from None
        except Exit:
            raise
        except Exception as exc:  # a bug: still one line, no traceback unless asked for
            if os.environ.get("RELEASE_DEBUG"):
                raise
            raise Exit(
                redact(f"error: internal error {type(exc).__name__}: {' '.join(str(exc).split())}"
                       " (set RELEASE_DEBUG=1 for the traceback)"),
                code=70,
            ) from None

    return wrapper


def _cfg(c: Any, key: str, default: Any = None) -> Any:
    """`c.config.release.<key>`, the fallback of every task argument."""
    try:
        return c.config.release.get(key, default)
    except AttributeError:
        return default


# ---- release.status -----------------------------------------------------------------------


@task(help={"json": "print one JSON object (for CI)", "path": "repository path (default: .)",
            "config": "pyproject.toml to read [tool.release] from"})
@edge
def status(c, json=False, path=None, config=None):
    """Show branches, lines, latest releases, the next version of every kind, open RCs, strays, cadence."""
    from .commands import status_data

    data = status_data(path or _cfg(c, "path", "."), config or _cfg(c, "config"))
    if json:
        from .ui import emit_json

        emit_json(data)
    else:
        from .commands import print_status

        print_status(data)


release_ns = Collection("release")
release_ns.add_task(status)

ns = Collection()
ns.add_collection(release_ns)
ns.configure({"release": {}})


def collection(name: str) -> Collection:
    """The sub-collection `name` of the root namespace, created on first use."""
    if name not in ns.collections:
        ns.add_collection(Collection(name))
    return ns.collections[name]


def _register(module_name: str) -> None:
    """Add the tasks a feature module declares (keeps this file free of feature logic)."""
    import importlib

    mod = importlib.import_module(module_name)
    mod.register(collection, edge)


for _mod in (
    "release.tasks_engine",
    "release.tasks_changelog",
    "release.tasks_github",
    "release.tasks_lines",
    "release.tasks_publish",
    "release.tasks_notify",
    "release.tasks_dev",
):
    try:
        _register(_mod)
    except ModuleNotFoundError as _exc:  # a feature module not present yet
        if _exc.name != _mod:
            raise

if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: invoke release.status")
