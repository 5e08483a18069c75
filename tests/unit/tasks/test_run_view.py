"""The view of a release run (release/tasks/ui.py RunView) without a terminal: one plain line per
event, rows as scripts parse them, quiet and verbose, GitHub Actions commands, secrets masked."""

from __future__ import annotations

import os

import pytest

from release.adapters import runner
from release.engine import Row
from release.tasks import ui


def view(level="normal", gha=False):
    return ui.RunView(level, tty=False, gha=gha, stamp=lambda: "12:00:00")


def run(v):
    with v:
        v.start("gate:ci", "CI is green")
        v.log("gate:ci waiting for tests\n(pending)")
        v.row(Row("gate:ci", "CI is green", "done", "CI green on abc", 31.5))
        v.start("git:tag", "Tag v0.1.0")
        v.row(Row("git:tag", "Tag v0.1.0", "failed", "tag refused", 0.2))
        v.row(Row("git:push", "Push", "not-run"))


def test_plain_lines_one_per_event_rows_unchanged(capsys):
    run(view())
    out = capsys.readouterr().out
    assert out.splitlines() == [
        " > gate:ci                      started  CI is green",
        "   | gate:ci waiting for tests (pending)",
        " = gate:ci                      done     CI green on abc",
        " > git:tag                      started  Tag v0.1.0",
        " ! git:tag                      failed   tag refused",
        "   git:push                     not-run  ",
    ]
    assert "\x1b" not in out and "\r" not in out


def test_quiet_shows_only_failures(capsys):
    run(view("quiet"))
    assert capsys.readouterr().out.splitlines() == [
        " ! git:tag                      failed   tag refused"
    ]


def test_verbose_stamps_starts_and_messages_and_times_rows(capsys):
    run(view("verbose"))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == " > gate:ci                      started  12:00:00 CI is green"
    assert lines[1] == "   | 12:00:00 gate:ci waiting for tests (pending)"
    assert lines[2] == " = gate:ci                      done     CI green on abc (31.5s)"


@pytest.fixture
def secret(monkeypatch):
    value = "Pw-7f3c-9d1e"
    monkeypatch.setenv("TWINE_PASSWORD", value)
    monkeypatch.setattr(runner, "_extra_secrets", set())  # only this test's secrets
    for key in list(os.environ):
        if runner.SECRET_ENV_PATTERN.search(key) and key != "TWINE_PASSWORD":
            monkeypatch.delenv(key)
    return value


def test_github_actions_masks_first_then_groups(capsys, secret):
    v = view(gha=True)
    with v:
        v.start("gate:ci", "CI is green")
        v.log(f"token {secret} seen")
        v.row(Row("gate:ci", "CI is green", "done", "ok", 1.0))
        runner.register_secret("late-secret-value")
        v.start("git:tag", "Tag")
        v.error("git:tag", "refused: 100%")
        v.row(Row("git:tag", "Tag", "failed", "refused", 0.1))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"::add-mask::{secret}"
    assert lines[1:6] == [
        "::group::gate:ci",
        " > gate:ci                      started  CI is green",
        "   | token *** seen",
        "::endgroup::",
        " = gate:ci                      done     ok",
    ]
    # a secret registered later is masked before the next line is written
    assert lines[6] == "::add-mask::late-secret-value"
    assert lines[7] == "::group::git:tag"
    assert "::error title=git%3Atag::refused: 100%25" in lines
    assert "\n".join(lines).count(secret) == 1


def test_quiet_in_github_actions_opens_no_group(capsys, secret):
    run(ui.RunView("quiet", gha=True))
    assert capsys.readouterr().out.splitlines() == [
        f"::add-mask::{secret}",
        " ! git:tag                      failed   tag refused",
    ]


def test_a_run_that_stops_inside_a_step_closes_its_group(capsys, secret):
    v = view(gha=True)
    with pytest.raises(KeyboardInterrupt), v:
        v.start("git:push", "Push")
        raise KeyboardInterrupt
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [" > git:push                     started  Push", "::endgroup::"]
