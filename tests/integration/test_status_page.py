"""`release.page` (issue 18): the release status page of the demo project after a real release
cycle, read in a real headless browser.

The cycle, on a clock that moves (`RELEASE_NOW`, and the same moment for git's dates so that the
tags carry it): `release.minor --yes` (0.1.0rc1), `release.final` 8 days later, a patch (0.1.1,
whose fix commit says `<script>` so that its tag message, shown on the page, tries to inject
markup), then the next minor's rc1 (0.2.0rc1, its window open). The page is rendered at a moment
when the 0.1 patch is overdue and the 0.2 window is still open.

Chromium (Debian's `chromium`, installed by scripts/install-test-deps.sh) is driven by its own
command line, as a subprocess stopped by its PID: a screenshot (a valid, non-blank PNG), the DOM
after load (`--dump-dom`: every line with its state and versions, the hostile text shown as text,
no element it tried to inject) and the console (`--enable-logging=stderr`: no error from the
page; a control page with an error proves the check sees one). Without Chromium the browser tests
skip, unless CI=true: then they fail.

`python -m tests.integration.test_status_page docs/images/status-page.png` makes the screenshot
of the docs from the same cycle.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.sandbox import Sandbox, make_sandbox

pytestmark = pytest.mark.integration

DAY = 86400
HOSTILE = 'fix: escape <script>alert(1)</script> & "quotes" in <b>names</b> (#3)'
WINDOW = (1280, 1600)


def at(ts: int) -> dict[str, str]:
    """The toolkit's clock and git's dates at `ts`."""
    when = f"@{ts} +0000"
    return {"RELEASE_NOW": str(ts), "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}


def release_cycle(sb: Sandbox, t0: int) -> int:
    """minor (rc1) at t0, final 8 days later, a patch the day after, the next minor's rc1 at
    t0 + 12 days; returns the moment to render the page at (t0 + 17 days: the 0.1 patch is
    overdue, the 0.2 window open)."""
    sb.run("release.minor", "--yes", env=at(t0), check=True)
    sb.run("release.final", "--yes", env=at(t0 + 8 * DAY), check=True)
    sb.wd.git("checkout", "-q", "release-0.1.x")
    sb.wd.git("pull", "-q", "--ff-only", "origin", "release-0.1.x")
    sb.wd.commit(HOSTILE, date=t0 + 9 * DAY)
    sb.wd.git("push", "-q", "origin", "release-0.1.x")
    sb.run("release.patch", "--yes", env=at(t0 + 9 * DAY), check=True)
    sb.wd.git("checkout", "-q", "main")
    sb.wd.git("pull", "-q", "--ff-only", "origin", "main")
    sb.wd.commit("feat(api): a second endpoint (#4)", date=t0 + 11 * DAY)
    sb.wd.git("push", "-q", "origin", "main")
    sb.run("release.minor", "--yes", env=at(t0 + 12 * DAY), check=True)
    return t0 + 17 * DAY


# ---- the browser ----------------------------------------------------------------------------


def chromium() -> str:
    """The Chromium binary; skip without it, unless CI=true (then fail)."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing: scripts/install-test-deps.sh installs it (apt)")
    pytest.skip("chromium is not installed (scripts/install-test-deps.sh installs it)")


def chromium_argv(tmp: Path) -> list[str]:
    """Chromium headless with its own profile; nothing on the network is used (the page is a
    file; background networking, QUIC, sync and component updates are off)."""
    return [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp / f'profile-{time.monotonic_ns()}'}",
    ]


def run_chromium(args: list[str], tmp: Path, timeout: float = 90.0) -> tuple[int, str, str]:
    """Chromium with `args`, in its own process group, stopped by its PID (its group) when it
    overruns."""
    proc = subprocess.Popen(
        [*chromium_argv(tmp), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "HOME": str(tmp)},
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group of the chromium we started, by its PID
        out, err = proc.communicate()
        pytest.fail(f"chromium did not finish within {timeout:g}s:\n{err.decode()[-2000:]}")
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def screenshot(page: Path, png: Path, tmp: Path, size: tuple[int, int] = WINDOW) -> str:
    code, _, err = run_chromium(
        [f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", page.as_uri()], tmp
    )
    assert code == 0 and png.is_file(), err[-2000:]
    return err


def dump_dom(page: Path, tmp: Path) -> tuple[str, str]:
    """(the DOM after load, the console as Chromium logged it)."""
    code, out, err = run_chromium(
        ["--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()], tmp
    )
    assert code == 0, err[-2000:]
    return out, err


def console_lines(log: str, page: Path) -> list[str]:
    """Chromium's log lines of console messages from `page` (`...:CONSOLE:1] "text", source:
    file:///.../index.html (1)`) and of uncaught errors. The page has no script: any is wrong."""
    return [
        line
        for line in log.splitlines()
        if (":CONSOLE" in line and page.as_uri() in line) or "Uncaught" in line
    ]


def console_errors(
    url: str, tmp: Path, timeout: float = 60.0, settle: float = 1.0
) -> dict[str, Any]:
    """Load `url` in Chromium driven over the DevTools protocol (`--remote-debugging-pipe`: the
    browser reads commands on fd 3 and answers on fd 4, NUL-separated JSON), and collect what
    the console reports as an error: uncaught exceptions, console.error/assert, and log entries
    of level error (a resource that failed to load, a blocked request). Returns {"errors":
    [text], "text": the rendered text of the body (innerText)}."""
    r_cmd, w_cmd = os.pipe()
    r_out, w_out = os.pipe()
    # the child's ends above 9 (bash redirects any fd number), then moved to 3 and 4 by bash
    child_r, child_w = fcntl.fcntl(r_cmd, fcntl.F_DUPFD, 10), fcntl.fcntl(w_out, fcntl.F_DUPFD, 10)
    os.close(r_cmd)
    os.close(w_out)
    argv = [
        "bash",
        "-c",
        f'exec "$@" 3<&{child_r} 4>&{child_w} {child_r}<&- {child_w}>&-',
        "bash",
        *chromium_argv(tmp),
        "--remote-debugging-pipe",
        "about:blank",
    ]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(child_r, child_w),
        start_new_session=True,
        env={**os.environ, "HOME": str(tmp)},
    )
    os.close(child_r)
    os.close(child_w)
    buf, events, results, ids = b"", [], {}, iter(range(1, 10_000))
    deadline = time.monotonic() + timeout

    def pump(wait: float) -> None:
        nonlocal buf
        ready, _, _ = select.select([r_out], [], [], wait)
        if not ready:
            return
        chunk = os.read(r_out, 1 << 20)
        if not chunk:
            raise AssertionError("chromium closed the DevTools pipe")
        buf += chunk
        while b"\0" in buf:
            raw, buf = buf.split(b"\0", 1)
            msg = json.loads(raw)
            if "id" in msg:
                results[msg["id"]] = msg
            else:
                events.append(msg)

    def call(method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        n = next(ids)
        msg: dict[str, Any] = {"id": n, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(w_cmd, json.dumps(msg).encode() + b"\0")
        while n not in results:
            if time.monotonic() > deadline:
                raise AssertionError(f"chromium did not answer {method} within {timeout:g}s")
            pump(0.5)
        assert "error" not in results[n], results[n]
        return results[n].get("result", {})

    try:
        targets = call("Target.getTargets")["targetInfos"]
        target = next(t for t in targets if t["type"] == "page")
        sid = call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page"):
            call(f"{domain}.enable", session=sid)
        call("Page.navigate", {"url": url}, session=sid)
        loaded = None
        while loaded is None or time.monotonic() - loaded < settle:  # late errors too
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not load within {timeout:g}s")
            pump(0.2)
            if loaded is None and any(e["method"] == "Page.loadEventFired" for e in events):
                loaded = time.monotonic()
        text = call(
            "Runtime.evaluate",
            {"expression": "document.body.innerText", "returnByValue": True},
            session=sid,
        )["result"]["value"]
        with contextlib.suppress(OSError):
            os.write(w_cmd, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of the chromium we started
            proc.wait()
        os.close(w_cmd)
        os.close(r_out)
    errors = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            errors.append(f"{d.get('text')}: {(d.get('exception') or {}).get('description', '')}")
        elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console error: " + " ".join(str(a.get("value")) for a in p["args"]))
        elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
            errors.append(f"log error: {p['entry'].get('text')} ({p['entry'].get('url', '')})")
    return {"errors": errors, "text": text}


class TextAndTags(HTMLParser):
    """The text of a DOM (script and style left out) and the tags it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def read_dom(dom: str) -> TextAndTags:
    parser = TextAndTags()
    parser.feed(dom)
    parser.close()
    return parser


def png_facts(data: bytes) -> dict[str, Any]:
    """Width, height and the number of distinct scanlines of a PNG, its chunks checked (CRC),
    its pixels inflated. A single-coloured image has a handful of distinct filtered scanlines
    (one or two per filter type); a page has hundreds."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header is not None, "no IHDR"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    raw = zlib.decompress(idat)
    stride = 1 + width * (3 if colour == 2 else 4)
    assert len(raw) == stride * height, "pixel data of the wrong size"
    rows = {raw[i : i + stride] for i in range(0, len(raw), stride)}
    return {"width": width, "height": height, "distinct_rows": len(rows)}


# ---- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Any]:
    """The demo project after a real release cycle, its page written and its data read."""
    tmp = tmp_path_factory.mktemp("page")
    sb = make_sandbox(tmp)
    t0 = int(time.time()) // 60 * 60
    now = release_cycle(sb, t0)
    res = sb.run("release.page", env={"RELEASE_NOW": str(now)}, check=True)
    page = sb.root / ".git" / "release" / "page" / "index.html"
    assert str(page) in res.stdout, res.stdout
    data = json.loads(sb.run("release.page", "--json", env={"RELEASE_NOW": str(now)}).stdout)
    return {"sb": sb, "page": page, "data": data, "t0": t0, "now": now, "tmp": tmp}


def test_the_page_holds_the_cycle(demo):
    d = demo["data"]
    t0 = demo["t0"]
    assert d["schema"] == "release.page/1" and d["page"] == str(demo["page"])
    by_line = {r["line"]: r for r in d["lines"]}
    assert list(by_line) == ["0.2", "0.1"]
    old, new = by_line["0.1"], by_line["0.2"]
    assert old["state"] == "supported" and old["latest_final"] == "v0.1.1"
    assert old["latest_rc"] == "v0.1.0rc1" and old["branch"] == "release-0.1.x"
    assert old["notes_tag"] == "v0.1.1" and "<script>alert(1)</script>" in old["notes"]
    assert new["state"] == "rc" and new["latest_rc"] == "v0.2.0rc1" and new["window"]["open"]
    ends = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t0 + 19 * DAY))
    assert new["state_text"] == f"RC window open until {ends}"
    assert new["window"]["window_ends"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + 19 * DAY)
    )
    assert d["cadence"]["overdue"] == ["patch 0.1"]
    assert d["milestones"] == {
        "configured": False,
        "repository": None,
        "error": None,
        "items": [],
    }
    html = demo["page"].read_text()
    assert "<script" not in html.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "GitHub not configured" in html and 'class="overdue"' in html


def test_out_elsewhere_and_an_out_that_is_a_file_is_refused(demo, tmp_path):
    sb, now = demo["sb"], demo["now"]
    res = sb.run("release.page", "--out", str(tmp_path / "site"), env={"RELEASE_NOW": str(now)})
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "site" / "index.html").read_text() == demo["page"].read_text()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("keep me\n")
    res = sb.run("release.page", "--out", str(blocker))
    assert res.returncode == 2 and "is not a directory" in res.stderr, res.stderr
    assert blocker.read_text() == "keep me\n"


def test_open_milestones_from_github_with_a_hostile_title(git_repo, github, tmp_path):
    """Against the GitHub stand-in: the open milestones with their counts (a closed one is not
    listed), a title that tries to inject markup shown as text; a wrong token is one line on
    stderr and the page is made all the same."""
    from tests.integration.test_backport import cli, configure

    configure(git_repo, github)
    git_repo.tag("v0.1.0")
    hostile = "0.2.0 <img src=x onerror=alert(1)> & <script>alert(2)</script>"
    m = github.add_milestone(None, hostile)
    github.add_issues(None, 2, milestone=m["number"])
    github.add_issues(None, 3, milestone=m["number"], state="closed")
    github.add_milestone(None, "0.1.0", state="closed")
    out = tmp_path / "site"
    res = cli(
        git_repo, "release.page", "--out", str(out), "--json", env={"GITHUB_TOKEN": github.token}
    )
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)["milestones"]
    assert got["configured"] and got["error"] is None and got["repository"] == github.repo
    (item,) = got["items"]
    assert (item["title"], item["open_issues"], item["closed_issues"]) == (hostile, 2, 3)
    html = (out / "index.html").read_text()
    assert "<img" not in html and "<script" not in html
    assert "0.2.0 &lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;" in html

    wrong = cli(git_repo, "release.page", "--out", str(out), env={"GITHUB_TOKEN": "ghp_wrong"})
    assert wrong.returncode == 0, wrong.stderr
    assert "warning: GitHub milestones not shown: GitHub rejected the token" in wrong.stderr
    assert "ghp_wrong" not in wrong.stderr + wrong.stdout + (out / "index.html").read_text()
    assert "could not be read" in (out / "index.html").read_text()


def test_in_a_headless_browser(demo, tmp_path):
    page: Path = demo["page"]
    png = tmp_path / "status-page.png"
    screenshot(page, png, tmp_path)
    facts = png_facts(png.read_bytes())
    assert (facts["width"], facts["height"]) == WINDOW
    assert facts["distinct_rows"] > 100, facts  # not one colour: text, tables, a chart

    dom, log = dump_dom(page, tmp_path)
    assert console_lines(log, page) == []
    parsed = read_dom(dom)
    ends = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(demo["t0"] + 19 * DAY))
    for expected in (
        "demo-client release status",
        "0.1",
        "supported: receives patch releases",
        "release-0.1.x",
        "v0.1.1",
        "v0.1.0rc1",
        "0.2",
        f"RC window open until {ends}",
        "v0.2.0rc1",
        "OVERDUE",
        "patch 0.1",
        "0.1.2",  # the next patch
        "GitHub not configured",
        "Lifecycle",
        "today",
        'escape <script>alert(1)</script> & "quotes" in <b>names</b>',  # shown as text
    ):
        assert expected in parsed.text, f"{expected!r} not in the page:\n{parsed.text[:3000]}"
    assert "script" not in parsed.tags and "b" not in parsed.tags  # nothing was injected
    assert {"svg", "rect", "line", "table", "details"} <= set(parsed.tags)

    seen = console_errors(page.as_uri(), tmp_path)
    assert seen["errors"] == []
    rows = [ln.split("\t") for ln in seen["text"].splitlines() if ln.startswith(("0.1\t", "0.2\t"))]
    assert [(r[0], r[1]) for r in rows] == [
        ("0.2", f"RC window open until {ends}"),
        ("0.1", "supported: receives patch releases"),
    ], seen["text"][:2000]


def test_the_console_checks_see_an_error(tmp_path):
    """The control: a page that logs an error and throws one is caught by both checks."""
    chromium()
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>console.log('fine');"
        "console.error('control error'); undefinedFunction();</script></body></html>"
    )
    _, log = dump_dom(bad, tmp_path)
    assert any("Uncaught" in line for line in console_lines(log, bad)), log[-3000:]
    errors = console_errors(bad.as_uri(), tmp_path)["errors"]
    assert len(errors) == 2, errors
    assert errors[0] == "console error: control error" and "undefinedFunction" in errors[1]


def main(target: str) -> None:  # pragma: no cover - makes docs/images/status-page.png
    import tempfile

    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        sb = make_sandbox(tmp)
        now = release_cycle(sb, int(time.time()) // 60 * 60)
        sb.run("release.page", env={"RELEASE_NOW": str(now)}, check=True)
        page = sb.root / ".git" / "release" / "page" / "index.html"
        png = tmp / "shot.png"
        screenshot(page, png, tmp, (1280, int(os.environ.get("PAGE_HEIGHT", "1600"))))
        Path(target).write_bytes(png.read_bytes())
        print(f"wrote {target} ({png_facts(png.read_bytes())})")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/images/status-page.png")
