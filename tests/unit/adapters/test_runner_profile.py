"""RELEASE_PROFILE: `run` appends one JSON line per command (program, subcommand, wall time) and
writes nothing when the variable is unset; arguments (which may hold secrets) are never written."""

from __future__ import annotations

import json
import sys

import pytest

from release.adapters import runner
from release.adapters.runner import CommandError, redact, run


def _lines(path):
    return [json.loads(ln) for ln in path.read_text().splitlines()]


def test_one_line_per_run(tmp_path, monkeypatch):
    profile = tmp_path / "profile.jsonl"
    monkeypatch.setenv("RELEASE_PROFILE", str(profile))
    run([sys.executable, "-c", "pass"])
    run(["git", "--version"])
    run([sys.executable, "-m", "this"])
    rows = _lines(profile)
    assert len(rows) == 3
    assert all(set(r) == {"argv0", "what", "seconds", "start"} for r in rows)
    assert rows[0]["start"] <= rows[1]["start"] <= rows[2]["start"]
    assert all(isinstance(r["seconds"], float) and r["seconds"] >= 0 for r in rows)
    assert rows[0]["argv0"].startswith("python") and rows[0]["what"] == rows[0]["argv0"]
    assert (rows[1]["argv0"], rows[1]["what"]) == ("git", "git")  # an option is not a subcommand
    assert rows[2]["what"].endswith(" -m this")


def test_a_failing_command_is_recorded_too(tmp_path, monkeypatch):
    profile = tmp_path / "profile.jsonl"
    monkeypatch.setenv("RELEASE_PROFILE", str(profile))
    with pytest.raises(CommandError):
        run([sys.executable, "-c", "raise SystemExit(3)"])
    assert len(_lines(profile)) == 1


def test_arguments_are_never_written(tmp_path, monkeypatch):
    profile = tmp_path / "profile.jsonl"
    monkeypatch.setenv("RELEASE_PROFILE", str(profile))
    secret = "s3cr3t-value-xyz"
    run(["git", "config", "--global", "--get-all", secret], check=False)
    text = profile.read_text()
    assert secret not in text and _lines(profile)[0]["what"] == "git config"


def test_nothing_when_off(tmp_path, monkeypatch):
    monkeypatch.delenv("RELEASE_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)
    calls: list[object] = []
    monkeypatch.setattr(runner, "_profile", lambda *a: calls.append(a))
    run([sys.executable, "-c", "pass"])
    assert calls == [] and list(tmp_path.iterdir()) == []


def test_an_unwritable_profile_does_not_fail_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASE_PROFILE", str(tmp_path / "missing-dir" / "profile.jsonl"))
    assert run([sys.executable, "-c", "print('ok')"]).stdout.strip() == "ok"


def test_known_secrets_of_the_environment_follow_every_change(monkeypatch):
    """known_secrets() of os.environ is cached (redact runs on every journal string); a changed
    variable, a new one, a removed one or a registered secret is seen at once."""
    monkeypatch.setenv("BENCH_TEST_TOKEN", "first-secret-value")
    assert "first-secret-value" in runner.known_secrets()
    assert runner.known_secrets() == runner.known_secrets()
    monkeypatch.setenv("BENCH_TEST_TOKEN", "second-secret-value")
    secrets = runner.known_secrets()
    assert "second-secret-value" in secrets and "first-secret-value" not in secrets
    monkeypatch.delenv("BENCH_TEST_TOKEN")
    assert "second-secret-value" not in runner.known_secrets()
    monkeypatch.setattr(runner, "_extra_secrets", set())
    runner.register_secret("registered-later")
    assert "registered-later" in runner.known_secrets()
    assert redact("x registered-later y") == f"x {runner.MASK} y"
    # the cached list is a copy: a caller changing it changes nothing
    runner.known_secrets().clear()
    assert "registered-later" in runner.known_secrets()
