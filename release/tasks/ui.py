"""Output at the edge: rich tables for people, JSON for CI. Rich is imported only when used."""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from release.adapters.runner import redact


def emit_json(obj: Any, schema: str | None = None) -> None:
    """Print `obj` as JSON in the one style of docs/json.md (times ISO 8601 UTC, versions PEP
    440 strings); with `schema` (the task, e.g. "release.status") a top-level object whose first
    key is `"schema": "release.status/1"`."""
    from release.tasks import jsonout

    data = jsonout.document(schema, obj) if schema else jsonout.plain(obj)
    # no cycles in these documents: skipping the encoder's cycle check is a third of its time
    text = json.dumps(data, indent=2, sort_keys=False, default=str, check_circular=False)
    sys.stdout.write(redact(text) + "\n")


def date(ts: int | None) -> str:
    if not ts:
        return "-"
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%d")


def when(ts: int | None) -> str:
    """An exact UTC time (a window's end is a moment, not a day)."""
    if not ts:
        return "-"
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print one table (rich when available, plain text otherwise)."""
    cells = [["-" if c is None else redact(str(c)) for c in r] for r in rows]
    width = max(100, min(160, _width()))
    if not _is_tty():
        # Off a terminal (a pipe, a CI log) each row is one line, never wrapped, so that grep
        # finds a whole row; drawn here as rich draws a table that fits, without importing and
        # warming up rich (~45 ms of a release that otherwise spends its time in git, builds and
        # uploads). Cells that are not plain ASCII on one line go to rich.
        plain = plain_table(redact(title), list(columns), cells, None)
        if plain is not None:
            _before_output()
            sys.stdout.write(plain)
            sys.stdout.flush()
            return
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover
        print(title)
        for r in cells:
            print("  " + " | ".join(r))
        return
    from rich.text import Text

    # Text, never markup: a cell like "[x]" or "[tool.release].github_repo" is shown as it is
    t = Table(title=Text(redact(title)), title_justify="left")
    for col in columns:
        t.add_column(Text(col))
    for r in cells:
        t.add_row(*(Text(c) for c in r))
    _before_output()
    # colours and control codes only on a terminal (FORCE_COLOR never puts them in a pipe)
    Console(width=width, force_terminal=_is_tty()).print(t)


def plain_table(
    title: str, columns: list[str], rows: list[list[str]], width: int | None
) -> str | None:
    """The table as rich prints it without a terminal (heavy head box, one space of padding,
    the title left-justified to the table's width), or None when rich would do more: a cell
    that is not printable ASCII on one line, or a table wider than `width` (rich would wrap
    it; None: no limit, rows are never wrapped)."""
    cells = [title, *columns, *(c for r in rows for c in r)]
    if any(not c.isascii() or not c.isprintable() for c in cells if c):
        return None
    if any(len(r) != len(columns) for r in rows):
        return None
    widths = [max([len(col), *(len(r[i]) for r in rows)]) for i, col in enumerate(columns)]
    total = sum(widths) + 3 * len(widths) + 1
    if (width is not None and total > width) or len(title) > total:
        return None

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right + "\n"

    def cells_of(values: list[str], bar: str) -> str:
        return (
            bar + bar.join(f" {v:<{w}} " for v, w in zip(values, widths, strict=True)) + bar + "\n"
        )

    out = [f"{title:<{total}}\n"] if title else []
    out += [line("┏", "━", "┳", "┓"), cells_of(columns, "┃"), line("┡", "━", "╇", "┩")]
    out += [cells_of(r, "│") for r in rows]
    out.append(line("└", "─", "┴", "┘"))
    return "".join(out)


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 20)).columns


def say(text: str = "") -> None:
    _before_output()
    print(redact(text), flush=True)


def _is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


# ---- a release run as it happens ------------------------------------------------------------------

# Called before anything is printed (GitHub Actions: `::add-mask::` of a secret registered since).
_BEFORE_OUTPUT: list[Any] = []


def _before_output() -> None:
    for hook in _BEFORE_OUTPUT:
        hook()


MARKS = {
    "done": "=",
    "applied": "+",
    "would": "~",
    "skipped": "-",
    "failed": "!",
    "conflict": "!",
    "waiting": "~",
    "not-run": " ",
}
STYLES = {"=": "cyan", "+": "green", "~": "yellow", "-": "dim", "!": "bold red", " ": "dim"}
FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def row_line(row: Any) -> str:
    """A step's final line, the one scripts parse: ` + git:tag    applied  detail`."""
    return f" {MARKS.get(row.status, '?')} {row.name:<28} {row.status:<8} {row.detail}"


def start_line(name: str, description: str) -> str:
    """A step's start: ` > gate:tests   started  description` (never parsed as a row)."""
    return f" > {name:<28} started  {description}"


def log_line(message: str) -> str:
    """A progress message of the running step: `   | message`."""
    return f"   | {message}"


def elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s}s" if s < 60 else f"{s // 60}m{s % 60:02d}s"


class RunView:
    """What a release owner sees while a release runs.

    level: "quiet" (failed rows and the summary only), "normal", "verbose" (start and log lines
    with a timestamp, each row with its time). On a terminal (`tty`) a step's line appears when it
    starts, with a spinner and the elapsed time; log messages are printed above it as they come;
    the step's final row replaces it. Elsewhere: one plain line per event (` > ` start, `   | `
    log, the row as always), flushed at once, no control codes. `gha`: GitHub Actions
    (`tasks/gha.py`): every known secret as `::add-mask::` before any other output, each step
    inside `::group::<step>` / `::endgroup::` (its final row after the group, visible folded).
    Every text passes through `redact`."""

    def __init__(
        self,
        level: str = "normal",
        *,
        tty: bool = False,
        gha: bool = False,
        stamp: Any = None,
        clock: Any = None,
    ) -> None:
        import time

        self.level = level
        self.tty = tty and not gha
        self.gha = gha
        self.stamp = stamp or (lambda: time.strftime("%H:%M:%S"))
        self.clock = clock or time.monotonic
        self.masked: set[str] = set()
        self.grouped = False  # GitHub Actions: a step's group is open
        self._live: Any = None
        self._console: Any = None
        self._running: Any = None

    @classmethod
    def here(cls, quiet: bool = False, verbose: bool = False, env: Any = None) -> RunView:
        """The view for this process: its stdout (a terminal or not), GitHub Actions or not."""
        import os

        env = os.environ if env is None else env
        level = "quiet" if quiet else ("verbose" if verbose else "normal")
        return cls(level, tty=_is_tty(), gha=env.get("GITHUB_ACTIONS") == "true")

    # ---- lifecycle ----
    def __enter__(self) -> RunView:
        if self.gha:
            _BEFORE_OUTPUT.append(self.mask_new)
            self.mask_new()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop()
        self._endgroup()
        if self.mask_new in _BEFORE_OUTPUT:
            _BEFORE_OUTPUT.remove(self.mask_new)

    def mask_new(self) -> None:
        """GitHub Actions: `::add-mask::` every secret not masked yet (the only place a secret
        is ever written, and only to the runner, which hides it from the log)."""
        from release.adapters.runner import known_secrets

        new = [s for s in known_secrets() if s not in self.masked]
        if not new:
            return
        self.masked.update(new)
        lines = _gha().masks(new)
        if lines:
            sys.stdout.write("".join(line + "\n" for line in lines))
            sys.stdout.flush()

    # ---- events ----
    def start(self, name: str, description: str) -> None:
        self._stop()
        self._endgroup()
        if self.level == "quiet":
            return
        if self.gha:
            self._write(_gha().group(name))
            self.grouped = True
        if self.tty:
            self._spin(name, description)
            return
        line = start_line(name, description)
        if self.level == "verbose":
            line = f" > {name:<28} started  {self.stamp()} {description}"
        self._write(line)

    def log(self, message: str) -> None:
        if self.level == "quiet":
            return
        text = " ".join(str(message).split())
        if self.level == "verbose":
            text = f"{self.stamp()} {text}"
        if self.tty:
            self._print(log_line(text), "dim")
        else:
            self._write(log_line(text))

    def row(self, row: Any) -> None:
        self._stop()
        self._endgroup()
        if self.level == "quiet" and row.status not in ("failed", "conflict"):
            return
        line = row_line(row)
        if self.level == "verbose" and row.seconds:
            line += f" ({row.seconds:.1f}s)"
        if self.tty:
            took = (
                f"  {elapsed(row.seconds)}" if row.seconds >= 1 and self.level != "verbose" else ""
            )
            self._print(line, STYLES.get(MARKS.get(row.status, "?"), ""), took)
        else:
            self._write(line)

    def error(self, title: str, message: str) -> None:
        """GitHub Actions: one `::error` annotation (one line, escaped)."""
        if self.gha:
            self._write(_gha().error(title, message))

    # ---- output ----
    def _endgroup(self) -> None:
        if self.grouped:
            self.grouped = False
            self._write(_gha().endgroup())

    def _write(self, line: str) -> None:
        _before_output()
        sys.stdout.write(redact(line) + "\n")
        sys.stdout.flush()

    def _console_(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(force_terminal=True, highlight=False, markup=False, emoji=False)
        return self._console

    def _print(self, line: str, style: str = "", tail: str = "") -> None:
        from rich.text import Text

        text = Text(redact(line), style=style)
        if tail:
            text.append(tail, style="dim")
        self._console_().print(text, soft_wrap=True)

    def _spin(self, name: str, description: str) -> None:
        from rich.live import Live

        console = self._console_()
        frames = FRAMES if (console.encoding or "").lower().startswith("utf") else "|/-\\"
        self._running = _Spinner(name, redact(description), self.clock, frames)
        self._live = Live(self._running, console=console, transient=True, refresh_per_second=8)
        self._live.start(refresh=True)

    def _stop(self) -> None:
        if self._live is not None:
            live, self._live, self._running = self._live, None, None
            live.stop()


class _Spinner:
    """The live line of the running step: spinner, name, elapsed time, description (cut to the
    terminal's width)."""

    def __init__(self, name: str, description: str, clock: Any, frames: str) -> None:
        self.name, self.description, self.clock, self.frames = name, description, clock, frames
        self.t0 = clock()

    def __rich__(self) -> Any:
        from rich.text import Text

        spent = self.clock() - self.t0
        frame = self.frames[int(spent * 10) % len(self.frames)]
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {frame} ", style="cyan")
        text.append(f"{self.name:<28} ")
        text.append(f"{elapsed(spent):>6}  ", style="yellow")
        text.append(self.description, style="dim")
        return text


def _gha() -> Any:
    from release.tasks import gha

    return gha
