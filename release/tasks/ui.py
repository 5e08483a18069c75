"""Output at the edge: rich tables for people, JSON for CI. Rich is imported only when used."""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from release.adapters.runner import redact


def emit_json(obj: Any) -> None:
    sys.stdout.write(redact(json.dumps(obj, indent=2, sort_keys=False, default=str)) + "\n")


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
    rows = [["-" if c is None else redact(str(c)) for c in r] for r in rows]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover
        print(title)
        for r in rows:
            print("  " + " | ".join(r))
        return
    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col)
    for r in rows:
        t.add_row(*r)
    Console(width=max(100, min(160, _width()))).print(t)


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 20)).columns


def say(text: str = "") -> None:
    print(redact(text))
