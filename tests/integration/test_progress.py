"""What a release owner sees while a release runs (issue 16).

A real `python -m release release.minor --yes` on a sandbox whose test gate runs a real nox
session and whose CI gate asks the GitHub stand-in:

- under a real pseudo-terminal, each step's line appears when the step starts (the nox session
  blocks on a FIFO until this test has seen the `gate:tests` line) and a progress message of the
  step (the GitHub client's retry wait, while the stand-in holds the retried request until this
  test has seen the message) is shown while the step still runs;
- through pipes, one plain line per event and no control codes;
- in GitHub Actions, `::add-mask::` first, `::group::` per step, one escaped `::error` on a
  failure, the job summary and the outputs.

Nothing waits on time: the test and the release hand over through the FIFO and the stand-in.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import threading

import pytest

from tests.fixtures.sandbox import make_sandbox

pytestmark = pytest.mark.integration

NOXFILE = '''\
import os

import nox


@nox.session(python=False, tags=["minor"], name="wait-100%")
def wait(session):
    """Block until the test has seen this step start (a line in $PROGRESS_FIFO); red on demand."""
    fifo = os.environ.get("PROGRESS_FIFO")
    if fifo:
        with open(fifo) as fh:
            fh.readline()
    if os.environ.get("PROGRESS_RED"):
        session.run("false")
'''

STEPS = [
    "gate:registries",
    "gate:tests",
    "gate:milestone",
    "gate:ci",
    "git:branch",
    "git:commit",
    "git:tag",
    "git:push",
    "notify:thread",
    "github:release",
    "github:workflows",
    "notify:announce",
]
RETRY = "retrying in 0s (1/5)"  # the GitHub client's progress message of a retry wait


def live(name: str) -> str:
    """The live line of a running step: spinner, name, elapsed time (never the plan's table)."""
    return rf"^ [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏|/\\-] {re.escape(name)} +\d+s  "


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")
# A guard against a hang, never an assertion on time: nothing here waits for a clock.
STUCK_S = 300


def project(tmp_path, monkeypatch, github):
    """The sandbox: the nox test gate, GitHub (the stand-in) for the CI gate and the release."""
    sb = make_sandbox(tmp_path, monkeypatch)
    text = (sb.root / "pyproject.toml").read_text()
    text = text.replace('evidence = "none"', 'evidence = "nox"').replace(
        "[tool.release]\n",
        f'[tool.release]\ngithub_repo = "{github.repo}"\ngithub_api = "{github.url}"\n',
        1,
    )
    sb.wd.write("pyproject.toml", text)
    sb.wd.write("noxfile.py", NOXFILE)
    # the stand-in's token acts as release-bot; in GitHub Actions the actor is rel-owner
    sb.wd.write(".github/CODEOWNERS", "# release owners\n*  @rel-owner @release-bot\n")
    sb.wd.git("add", "-A")
    sb.wd.git("commit", "-q", "-m", "test: a nox gate and GitHub")
    sb.wd.git("push", "-q", "origin", "main")
    for key in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES", "GITHUB_ACTIONS"):
        sb.env.pop(key, None)
    sb.env["GITHUB_TOKEN"] = github.token
    return sb


def retry_once_then_hold(github, monkeypatch) -> threading.Event:
    """The CI gate's first status request is rate limited (Retry-After: 0), so the client logs
    its retry; the retried request is held until the returned event is set."""
    github.fail_next("GET", r"/commits/[0-9a-f]+/status$", 403, headers={"Retry-After": "0"})
    release = threading.Event()
    seen: list[str] = []
    respond = github._respond

    def held(request):
        if request.method == "GET" and re.search(r"/commits/[0-9a-f]+/status$", request.path):
            seen.append(request.path)
            if len(seen) == 2:
                release.wait(STUCK_S)
        return respond(request)

    monkeypatch.setattr(github, "_respond", held)
    return release


class Terminal:
    """`python -m release ...` with stdin, stdout and stderr on a real pseudo-terminal."""

    def __init__(self, sb, *args: str, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 220, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "release", *args],
            cwd=sb.root,
            env={**sb.env, **env},
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.raw = b""

    @property
    def text(self) -> str:
        """What was shown so far, control codes removed."""
        return ANSI.sub("", self.raw.decode("utf-8", "replace")).replace("\r", "\n")

    def until(self, pattern: str) -> str:
        """Read until the regex `pattern` matches what was shown (or the process ended)."""
        while not re.search(pattern, self.text, re.M):
            ready, _, _ = select.select([self.master], [], [], STUCK_S)
            assert ready, f"nothing shown for {STUCK_S}s, waiting for {pattern!r}:\n{self.text}"
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the process closed the terminal
                chunk = b""
            if not chunk:
                break
            self.raw += chunk
        return self.text

    def finish(self) -> int:
        self.until(r"\x00never")  # to the end of the output
        os.close(self.master)
        return self.proc.wait()


def test_each_step_is_shown_when_it_starts_and_its_progress_while_it_runs(
    tmp_path, monkeypatch, github
):
    sb = project(tmp_path, monkeypatch, github)
    fifo = tmp_path / "gate.fifo"
    os.mkfifo(fifo)
    held = retry_once_then_hold(github, monkeypatch)
    term = Terminal(
        sb,
        "release.minor",
        "--yes",
        env={"PROGRESS_FIFO": str(fifo), "TERM": "xterm-256color"},
    )
    unblocked = threading.Event()

    def unblock() -> None:  # opening a FIFO to write waits for its reader: not in this thread
        with fifo.open("w") as fh:
            fh.write("go\n")
        unblocked.set()

    try:
        shown = term.until(live("gate:tests"))
        # the nox session is blocked on the FIFO: the step runs and its line is there already
        assert not re.search(r"[=+!-] gate:tests\s+(applied|done|failed)", shown), shown
        threading.Thread(target=unblock, daemon=True).start()

        shown = term.until(re.escape(RETRY))
        assert re.search(r"\+ gate:tests\s+applied", shown), shown
        assert re.search(live("gate:ci"), shown, re.M), shown  # gate:ci's live line came first
        # the retried request is held: gate:ci runs still, its message is on the screen
        assert not re.search(r"[=+!-] gate:ci\s+(done|applied|failed)", shown), shown
        line = next(ln for ln in shown.splitlines() if RETRY in ln)
        assert "rate limited (403, Retry-After 0s)" in line and line.startswith("   | "), line
        held.set()

        code = term.finish()
    finally:
        held.set()
        if not unblocked.is_set():  # the session never read the FIFO: release the writer
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()
    out = term.text
    assert code == 0, out
    assert "\x1b[" in term.raw.decode("utf-8", "replace")  # a terminal: rich drew the live lines
    # every step's final line replaces its live line, in the order of the plan
    finals = [
        m.group(1) for m in re.finditer(r"^ [=+~!-] (\S+)\s+(?:done|applied|skipped)\b", out, re.M)
    ]
    assert finals == STEPS, out
    assert out.index(RETRY) < out.index(" = gate:ci ") and "released v0.1.0rc1" in out
    assert github.token not in out


def test_without_a_terminal_one_plain_line_per_event(tmp_path, monkeypatch, github):
    sb = project(tmp_path, monkeypatch, github)
    dry = sb.run("release.minor", "--dry-run")  # a dry run says when each step starts too
    assert dry.returncode == 0, dry.stdout + dry.stderr
    dry_lines = dry.stdout.splitlines()
    assert [ln.split()[1] for ln in dry_lines if ln.startswith(" > ")] == STEPS
    assert [ln.split()[1] for ln in dry_lines if ln[:3] in (" ~ ", " - ", " = ")] == STEPS

    github.fail_next("GET", r"/commits/[0-9a-f]+/status$", 403, headers={"Retry-After": "0"})
    # TTY_COMPATIBLE=1 would make rich draw for a terminal: a pipe still gets plain lines
    res = sb.run("release.minor", "--yes", env={"TTY_COMPATIBLE": "1"})
    assert res.returncode == 0, res.stdout + res.stderr
    for stream in (res.stdout, res.stderr):
        assert "\x1b" not in stream and "\r" not in stream
    lines = res.stdout.splitlines()
    starts = [ln.split()[1] for ln in lines if ln.startswith(" > ")]
    rows = [ln.split()[1] for ln in lines if ln[:3] in (" + ", " = ", " - ")]
    logs = [ln for ln in lines if ln.startswith("   | ")]
    assert starts == STEPS and rows == STEPS, res.stdout
    assert len(logs) == 1 and RETRY in logs[0], res.stdout
    # each event once, in order: start, what it said while running, its final row
    for name in STEPS:
        start = lines.index(next(ln for ln in lines if ln.startswith(f" > {name} ")))
        end = lines.index(
            next(ln for ln in lines if ln[:3] in (" + ", " = ", " - ") and ln.split()[1] == name)
        )
        assert start < end and lines[start].split()[2] == "started"
        if name == "gate:ci":
            assert start < lines.index(logs[0]) < end
    assert [ln for ln in lines if ln.startswith("released v0.1.0rc1: ")], res.stdout


def test_quiet_shows_errors_and_the_summary_only(tmp_path, monkeypatch, github):
    sb = project(tmp_path, monkeypatch, github)
    red = sb.run("release.minor", "--yes", "-q", env={"PROGRESS_RED": "1"})
    assert red.returncode == 3, red.stdout + red.stderr
    lines = red.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("v0.1.0rc1 stopped: "), red.stdout
    assert lines[0].startswith(" ! gate:tests ") and "wait-100% (failed)" in lines[0]
    assert red.stderr.startswith("error: tests not ready: ")

    github.fail_next("GET", r"/commits/[0-9a-f]+/status$", 403, headers={"Retry-After": "0"})
    res = sb.run("release.minor", "--yes", "-q")
    assert res.returncode == 0, res.stdout + res.stderr
    (line,) = res.stdout.splitlines()
    assert line.startswith("released v0.1.0rc1: ") and res.stderr == "", res.stdout


def test_verbose_stamps_the_start_and_progress_lines(tmp_path, monkeypatch, github):
    sb = project(tmp_path, monkeypatch, github)
    github.fail_next("GET", r"/commits/[0-9a-f]+/status$", 403, headers={"Retry-After": "0"})
    res = sb.run("release.minor", "--yes", "--verbose")
    assert res.returncode == 0, res.stdout + res.stderr
    stamp = r"\d\d:\d\d:\d\d"
    log = next(ln for ln in res.stdout.splitlines() if RETRY in ln)
    assert re.match(rf"   \| {stamp} GitHub status of ", log), log
    start = next(ln for ln in res.stdout.splitlines() if ln.startswith(" > git:tag "))
    assert re.match(rf" > git:tag\s+started  {stamp} Tag v0.1.0rc1", start), start
    tag = next(ln for ln in res.stdout.splitlines() if ln.startswith(" + git:tag "))
    assert re.search(r"\(\d+\.\ds\)$", tag), tag


def github_actions(tmp_path, secret: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_ACTOR": "rel-owner",
        "TWINE_PASSWORD": secret,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }


def test_github_actions_masks_groups_summary_and_outputs(tmp_path, monkeypatch, github):
    sb = project(tmp_path, monkeypatch, github)
    secret = "tw-Secret-4b9f1c"
    env = github_actions(tmp_path, secret)
    res = sb.run("release.minor", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    masks = []
    for ln in lines:  # the masks come before anything else
        if not ln.startswith("::add-mask::"):
            break
        masks.append(ln)
    assert f"::add-mask::{secret}" in masks and f"::add-mask::{github.token}" in masks
    assert not [ln for ln in lines[len(masks) :] if ln.startswith("::add-mask::")]
    summary = (tmp_path / "summary.md").read_text()
    outputs = (tmp_path / "output.txt").read_text()
    everything = res.stdout + res.stderr + summary + outputs
    assert everything.count(secret) == 1 and everything.count(github.token) == 1

    groups = [ln.removeprefix("::group::") for ln in lines if ln.startswith("::group::")]
    assert groups == STEPS
    assert lines.count("::endgroup::") == len(STEPS)
    for name in STEPS:  # the step's start line inside its group, its final row after it
        at = lines.index(f"::group::{name}")
        assert lines[at + 1].startswith(f" > {name} ") and lines[at + 2] == "::endgroup::"
        assert lines[at + 3].split()[1] == name
    assert "::error" not in res.stdout

    assert "## minor release v0.1.0rc1: released" in summary
    assert re.search(r"^\| `git:tag` \| applied \| v0\.1\.0rc1 at [0-9a-f]{12} \| ", summary, re.M)
    assert re.search(r"^\| `gate:tests` \| applied \| ", summary, re.M)
    assert re.search(r"^\| `gate:ci` \| done \| no CI checks reported", summary, re.M)
    (rel,) = github.releases()
    assert f"- GitHub release: {rel['html_url']}" in summary
    assert outputs.splitlines() == [
        "version=0.1.0rc1",
        "tag=v0.1.0rc1",
        "released=true",
        "kind=minor",
    ]


def test_github_actions_failure_is_one_escaped_error_and_not_released(
    tmp_path, monkeypatch, github
):
    sb = project(tmp_path, monkeypatch, github)
    env = {**github_actions(tmp_path, "tw-Secret-77aa01"), "PROGRESS_RED": "1"}
    res = sb.run("release.minor", "--yes", env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    errors = [ln for ln in res.stdout.splitlines() if ln.startswith("::error")]
    assert len(errors) == 1, res.stdout
    (error,) = errors
    # the title and the message escaped as GitHub's toolkit does (% -> %25, ':' in a property)
    assert error.startswith("::error title=gate%3Atests::tests not ready: nox -t minor on ")
    assert "wait-100%25 (failed)" in error and "wait-100% " not in error
    assert lines_after(res.stdout, "::group::gate:tests")[:1] != ["::endgroup::"]
    summary = (tmp_path / "summary.md").read_text()
    assert "## minor release v0.1.0rc1: stopped" in summary
    assert re.search(r"^\| `gate:tests` \| failed \| tests not ready: ", summary, re.M)
    assert re.search(r"^\| `git:tag` \| not-run \| ", summary, re.M)
    assert (tmp_path / "output.txt").read_text().splitlines() == [
        "version=0.1.0rc1",
        "tag=v0.1.0rc1",
        "released=false",
        "kind=minor",
    ]
    assert sb.origin_tags() == []


def lines_after(text: str, line: str) -> list[str]:
    lines = text.splitlines()
    return lines[lines.index(line) + 1 :]
