"""The edge of every task: the ReleaseError family becomes one redacted line and an exit code."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from invoke import Exit

from release.adapters.runner import redact
from release.errors import AlreadyReleased, ConfigError, ReleaseError

# Tasks that change nothing: Invoke's --dry is harmless for them.
READ_ONLY = {
    "draft",
    "schedule_",
    "check",
    "plan_",
    "journals",
    "journal",
    "status",
    "verify",
    "doctor",
}
# Invoke's run flags: they configure shell commands, and release tasks run none.
RUN_FLAGS = {"echo": "--echo", "warn": "--warn-only", "pty": "--pty", "hide": "--hide"}


def core_flags(fn: Callable[..., Any], c: Any, kwargs: dict[str, Any]) -> None:
    """Give Invoke's core flags a meaning or refuse them: `invoke --dry release.rc` is a dry
    run (never a real release); `--echo`, `--warn-only`, `--pty`, `--hide` are refused."""
    run = getattr(getattr(c, "config", None), "run", None)
    if run is None:
        return
    for key, flag in RUN_FLAGS.items():
        if key == "echo" and run.get("dry"):
            continue  # Invoke's --dry implies --echo
        if run.get(key):
            raise ConfigError(
                f"invoke {flag} has no meaning for release tasks (they run no shell commands)",
                f"drop {flag}",
            )
    if run.get("dry"):
        if "dry_run" in inspect.signature(fn).parameters:
            kwargs["dry_run"] = True
        elif fn.__name__ not in READ_ONLY or kwargs.get("rebuild"):
            raise ConfigError(
                f"invoke --dry: {fn.__name__.rstrip('_')} has no dry run and would change things",
                "drop --dry (release.plan and --dry-run preview a release)",
            )


def edge(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map the ReleaseError family to one redacted line on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previewing = fn.__name__ in READ_ONLY
        try:
            if args:
                core_flags(fn, args[0], kwargs)
            previewing = previewing or bool(kwargs.get("dry_run"))
            return fn(*args, **kwargs)
        except AlreadyReleased as exc:
            # with --json, stdout holds JSON or nothing: the line goes to stderr (still exit 0)
            out = sys.stderr if kwargs.get("json") else sys.stdout
            print(redact(exc.one_line()), file=out, flush=True)
            return None
        except ReleaseError as exc:
            raise Exit(redact(f"error: {exc.one_line()}"), code=exc.exit_code) from None
        except KeyboardInterrupt:
            if previewing:
                raise Exit("error: interrupted; nothing was changed", code=130) from None
            raise Exit("error: interrupted; re-run the same command to resume", code=130) from None
        except Exit:
            raise
        except Exception as exc:  # a bug: still one line, no traceback unless asked for
            if os.environ.get("RELEASE_DEBUG"):
                import traceback

                # the traceback (chained exceptions included) through the same redaction
                print(redact(traceback.format_exc()), file=sys.stderr, flush=True)
            raise Exit(
                redact(
                    f"error: internal error {type(exc).__name__}: {' '.join(str(exc).split())}"
                    " (set RELEASE_DEBUG=1 for the traceback)"
                ),
                code=70,
            ) from None

    return wrapper


def cfg(c: Any, key: str, default: Any = None) -> Any:
    """`c.config.release.<key>`, the fallback of every task argument."""
    try:
        return c.config.release.get(key, default)
    except AttributeError:
        return default
