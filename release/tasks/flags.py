"""One table of short flags for every task.

Invoke gives an option the first free letter of its name, task by task, so one long option had
different short flags in different tasks (`--config` was -c, -n or -o) and one letter meant
different options (-o was --owner, --override or --config). Here Invoke's automatic short flags
are off: an option gets the letter of `SHORT`, or none. Every task is declared with `task` from
this module (Invoke's `task` with `klass=FlagTask`), so a new task gets the same letters with no
extra work; tests/unit/tasks/test_short_flags.py checks every task of the collection.
"""

from __future__ import annotations

from typing import Any

import invoke
from invoke import Task

# long option (as typed, dashes) -> its short flag in every task that takes it. One letter, one
# option: a letter never means something else in another task.
SHORT: dict[str, str] = {
    "config": "c",
    "path": "p",
    "json": "j",
    "version": "v",
    "yes": "y",
    "dry-run": "d",
    "owner": "o",
    "reason": "r",
    "force": "f",
    "line": "l",
    "allow-empty": "a",
    "offline": "i",
    "commit": "b",  # the base commit of a minor or major release
    "since": "s",
    "to": "t",
    "quiet": "q",  # only errors and the final summary (release runs, release.plan)
}

# Taken by several tasks, yet long only on purpose.
LONG_ONLY: dict[str, str] = {
    "override": "it cuts the testing window of a final short and publishes why: spelled out",
    "file": "-f is --force; after a task name a free -f is Invoke's own -f (runtime config file)",
    "verbose": "-v is --version (release.resume VERSION, release.verify VERSION): spelled out",
}

# Letters no option may take. An option that is in neither table (a task's own, rarer option:
# --mark, --rebuild, --continue, ...) has no short flag.
RESERVED: dict[str, str] = {
    "h": "`release-kit TASK -h` is the task's help",
    "n": "-n is a dry run in make and git: it must never mean an option that changes things",
    "R": "Invoke's --dry, which release tasks turn into a dry run (release/tasks/edge.py)",
}


class FlagTask(Task):
    """A task whose options take their short flags from `SHORT` (and only from there)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("auto_shortflags"):
            raise TypeError("short flags come from release.tasks.flags.SHORT, not from Invoke")
        kwargs["auto_shortflags"] = False
        super().__init__(*args, **kwargs)

    def arg_opts(self, name: str, default: str, taken_names: set[str]) -> dict[str, Any]:
        opts = super().arg_opts(name, default, taken_names)
        long = opts["names"][0]
        short = SHORT.get(long)
        if short is not None:
            if short in taken_names:
                raise ValueError(f"task {self.name}: -{short} of --{long} is already taken")
            opts["names"].append(short)
        return opts


def task(*args: Any, **kwargs: Any) -> Any:
    """Invoke's `@task`, with the short flags of `SHORT` (`klass` must be a FlagTask)."""
    klass = kwargs.setdefault("klass", FlagTask)
    if not (isinstance(klass, type) and issubclass(klass, FlagTask)):
        raise TypeError(f"task class {klass!r} is not a release.tasks.flags.FlagTask")
    return invoke.task(*args, **kwargs)
