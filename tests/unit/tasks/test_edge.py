"""The task edge: one line and an exit code; Invoke's core flags mean something or are refused."""

from __future__ import annotations

import pytest
from invoke import Config, Context, Exit

from release.errors import AlreadyReleased
from release.tasks.edge import edge


def ctx(**run: object) -> Context:
    return Context(Config(overrides={"run": run}))


def test_invoke_dry_makes_a_release_task_a_dry_run():
    seen = {}

    @edge
    def minor(c, dry_run=False, yes=False):
        seen["dry_run"] = dry_run

    minor(ctx(dry=True, echo=True), yes=True)  # --dry implies --echo in Invoke
    assert seen == {"dry_run": True}


def test_invoke_dry_is_refused_by_a_task_that_would_change_things():
    @edge
    def sync(c):
        raise AssertionError("must not run")

    with pytest.raises(Exit) as err:
        sync(ctx(dry=True))
    assert err.value.code == 2 and "has no dry run" in str(err.value.message)


@pytest.mark.parametrize("flag", ["echo", "warn", "pty", "hide"])
def test_run_flags_are_refused(flag):
    @edge
    def status(c):
        raise AssertionError("must not run")

    with pytest.raises(Exit) as err:
        status(ctx(**{flag: True if flag != "hide" else "both"}))
    assert err.value.code == 2 and "has no meaning" in str(err.value.message)


def test_interrupting_a_dry_run_says_nothing_changed():
    @edge
    def minor(c, dry_run=False):
        raise KeyboardInterrupt

    with pytest.raises(Exit) as err:
        minor(ctx(), dry_run=True)
    assert err.value.code == 130 and "nothing was changed" in str(err.value.message)
    with pytest.raises(Exit) as err:
        minor(ctx())
    assert "resume" in str(err.value.message)


def test_already_released_is_a_quiet_success(capsys):
    @edge
    def patch(c):
        raise AlreadyReleased("v0.1.1 is already released", "release.verify checks it")

    assert patch(ctx()) is None
    assert "v0.1.1 is already released" in capsys.readouterr().out
