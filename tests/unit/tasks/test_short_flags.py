"""One set of short flags across every task (issue 15): a long option has the same short flag in
every task that takes it, a short flag means one option everywhere, and no task gives one letter
to two of its options. The flags are read back from the tasks as Invoke's parser sees them."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from invoke import Collection, Task

from release.tasks import ns
from tests.fixtures.sandbox import PROJECT_ROOT


def walk(coll: Collection, prefix: str = "") -> Iterator[tuple[str, Task]]:
    """(dotted name, task) of every task of `coll` and of its sub-collections."""
    for name, t in coll.tasks.items():
        yield prefix + name, t
    for name, sub in coll.collections.items():
        yield from walk(sub, f"{prefix}{name}.")


def arguments(t: Task) -> list[Any]:
    """The parser's Arguments of a task, leaving the task as it was (Invoke consumes the help
    dict of a task while it builds its Arguments)."""
    t = copy.copy(t)
    t.help = dict(t.help)
    return t.get_arguments()


def short_flags(t: Task) -> dict[str, list[str]]:
    """long option (as typed, e.g. `dry-run`) -> its short flags (letters)."""
    out = {}
    for a in arguments(t):
        longs = [n for n in a.names if len(n) > 1]
        assert len(longs) == 1, a.names
        out[longs[0]] = [n for n in a.names if len(n) == 1]
    return out


TASKS = dict(walk(ns))
FLAGS = {name: short_flags(t) for name, t in TASKS.items()}


def takers() -> dict[str, list[str]]:
    """long option -> the tasks that take it."""
    out: dict[str, list[str]] = defaultdict(list)
    for name, flags in FLAGS.items():
        for long in flags:
            out[long].append(name)
    return out


def test_every_task_is_walked():
    assert {"release.patch", "release.backport", "changelog.draft", "mergify.check"} <= set(TASKS)
    assert len(TASKS) >= 20


def test_every_task_is_declared_with_the_table():
    from release.tasks.flags import FlagTask

    assert [n for n, t in TASKS.items() if not isinstance(t, FlagTask)] == []


@pytest.mark.parametrize("name", sorted(TASKS))
def test_no_task_gives_one_short_flag_to_two_options(name):
    seen: dict[str, str] = {}
    for long, shorts in FLAGS[name].items():
        assert len(shorts) <= 1, f"{name}: --{long} has several short flags {shorts}"
        for s in shorts:
            assert s not in seen, f"{name}: -{s} is both --{seen[s]} and --{long}"
            seen[s] = long


def test_a_shared_long_option_has_one_short_flag_in_every_task():
    bad = []
    for long, names in sorted(takers().items()):
        if len(names) < 2:
            continue
        by_flag: dict[str, list[str]] = defaultdict(list)
        for name in names:
            by_flag[" ".join(f"-{s}" for s in FLAGS[name][long]) or "(none)"].append(name)
        if len(by_flag) != 1:
            bad.append(
                f"--{long}: " + "; ".join(f"{f} in {', '.join(n)}" for f, n in by_flag.items())
            )
    assert not bad, "\n".join(bad)


def test_a_short_flag_means_one_option_in_every_task():
    meaning: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, flags in FLAGS.items():
        for long, shorts in flags.items():
            for s in shorts:
                meaning[s][long].append(name)
    bad = [
        f"-{s}: " + "; ".join(f"--{long} in {', '.join(n)}" for long, n in longs.items())
        for s, longs in sorted(meaning.items())
        if len(longs) > 1
    ]
    assert not bad, "\n".join(bad)


def test_every_short_flag_comes_from_the_table():
    from release.tasks.flags import SHORT

    bad = [
        f"{name}: --{long} has {shorts}, the table says {SHORT.get(long)}"
        for name, flags in FLAGS.items()
        for long, shorts in flags.items()
        if shorts != ([SHORT[long]] if long in SHORT else [])
    ]
    assert not bad, "\n".join(bad)


def test_every_shared_option_is_decided():
    """An option taken by several tasks has a letter in the table or is long only on purpose."""
    from release.tasks.flags import LONG_ONLY, SHORT

    undecided = [
        f"--{long} ({', '.join(names)})"
        for long, names in sorted(takers().items())
        if len(names) > 1 and long not in SHORT and long not in LONG_ONLY
    ]
    assert not undecided


def test_the_table_is_one_to_one_and_leaves_the_reserved_letters_free():
    from release.tasks.flags import LONG_ONLY, RESERVED, SHORT

    letters = list(SHORT.values())
    assert len(letters) == len(set(letters))
    assert all(len(s) == 1 for s in letters)
    assert not set(letters) & set(RESERVED)
    assert not set(SHORT) & set(LONG_ONLY)
    assert "h" in RESERVED  # `release.patch -h` is the task's help


def test_a_new_task_gets_the_table_letters_and_no_invented_ones():
    from release.tasks.flags import SHORT, task

    @task
    def fresh(c, config=None, dry_run=False, owner=None, mystery=None):
        pass

    assert short_flags(fresh) == {
        "config": [SHORT["config"]],
        "dry-run": [SHORT["dry-run"]],
        "owner": [SHORT["owner"]],
        "mystery": [],
    }


def test_a_parameter_named_like_a_table_letter_is_refused():
    from release.tasks.flags import SHORT, task

    def body(c, p=None, path=None):
        pass

    with pytest.raises(ValueError, match=f"-{SHORT['path']}"):
        arguments(task(body))
    with pytest.raises(TypeError):
        task(auto_shortflags=True)(body)


def test_task_help_shows_the_table_letters_and_h_stays_help():
    res = subprocess.run(
        [sys.executable, "-m", "release", "release.final", "-h"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    out = res.stdout
    for flag in (
        "-c STRING, --config=STRING",
        "-d, --dry-run",
        "-o STRING, --owner=STRING",
        "-r STRING, --reason=STRING",
        "-y, --yes",
    ):
        assert flag in out, out
    assert "  --override=STRING" in out, out  # long only: it cuts the testing window short


def test_help_after_a_task_with_a_required_argument_shows_its_help():
    from release.cli import help_first

    tasks = {"release.verify", "release.minor"}
    assert help_first(["rk", "release.verify", "-h"], tasks) == ["rk", "--help", "release.verify"]
    assert help_first(["rk", "--config", "x.toml", "release.minor", "--help"], tasks) == [
        "rk",
        "--help",
        "release.minor",
    ]
    assert help_first(["rk", "release.verify", "0.5.0"], tasks) == ["rk", "release.verify", "0.5.0"]
