"""The edge of every task: the ReleaseError family becomes one redacted line and an exit code."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from invoke import Exit

from release.adapters.runner import redact
from release.errors import ReleaseError


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
                redact(
                    f"error: internal error {type(exc).__name__}: {' '.join(str(exc).split())}"
                    " (set RELEASE_DEBUG=1 for the traceback)"
                ),
                code=70,
            ) from None

    return wrapper


def _cfg(c: Any, key: str, default: Any = None) -> Any:
    """`c.config.release.<key>`, the fallback of every task argument."""
    try:
        return c.config.release.get(key, default)
    except AttributeError:
        return default


def cfg(c: Any, key: str, default: Any = None) -> Any:
    """`c.config.release.<key>`, the fallback of every task argument."""
    try:
        return c.config.release.get(key, default)
    except AttributeError:
        return default
