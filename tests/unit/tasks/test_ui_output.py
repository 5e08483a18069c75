"""Output at the task edge (issue 16): table cells are text, never markup; JSON in one style."""

from __future__ import annotations

import json

import pytest

from release.errors import AlreadyReleased
from release.tasks import jsonout, ui
from release.tasks.checklist import print_checklist
from release.tasks.edge import edge


def test_table_cells_are_never_parsed_as_markup(capsys):
    ui.table(
        "Release checklist [v0.1.0] (1 done)",
        ["", "item", "detail"],
        [
            ("[x]", "Create the [bold]thread[/bold]", "set [tool.release].github_repo"),
            ("[ ]", ":smile: [link=http://x]y[/link]", "[-]"),
        ],
    )
    out = capsys.readouterr().out
    for text in (
        "[x]",
        "[ ]",
        "[-]",
        "[tool.release].github_repo",
        "[bold]thread[/bold]",
        ":smile:",
        "[link=http://x]y[/link]",
        "Release checklist [v0.1.0]",
    ):
        assert text in out, text


def test_the_checklist_shows_its_marks_and_the_text_in_brackets(capsys):
    print_checklist(
        {
            "version": "0.1.0",
            "tag": "v0.1.0",
            "journal": True,
            "summary": "1 done, 1 pending, 1 skipped",
            "items": [
                {"status": "done", "text": "Create thread", "detail": "notify:thread"},
                {"status": "pending", "text": "Announce", "detail": "not run yet"},
                {
                    "status": "skipped",
                    "text": "Trigger release workflows",
                    "detail": "no GitHub repository configured ([tool.release].github_repo)",
                },
            ],
        }
    )
    out = capsys.readouterr().out
    assert "[x]" in out and "[ ]" in out and "[-]" in out
    assert "([tool.release].github_repo)" in out


def test_say_prints_data_as_it_is(capsys):
    ui.say("would set [tool.release].github_repo [x]")
    assert capsys.readouterr().out == "would set [tool.release].github_repo [x]\n"


def test_json_times_are_iso_and_the_schema_comes_first(capsys):
    ui.emit_json(
        {
            "published": {"at": 1796020859, "step": "git:push"},
            "rc1_date": 1796020859,
            "window_ends": 1796625659.5,
            "ends_at": "2026-12-07 06:40 UTC",
            "due": "2026-12-07",
            "age_days": 1.5,
            "bytes": 1796020859,
            "window_open": True,
            "steps": {"git:tag": {"facts": {"window_start": 1796020858}}},
            "items": [{"when": "2026-11-30T06:40:58Z"}],
        },
        "release.example",
    )
    data = json.loads(capsys.readouterr().out)
    assert next(iter(data)) == "schema" and data["schema"] == "release.example/1"
    assert data["published"] == {"at": "2026-11-30T06:40:59Z", "step": "git:push"}
    assert data["rc1_date"] == "2026-11-30T06:40:59Z"
    assert data["window_ends"] == "2026-12-07T06:40:59Z"
    assert data["ends_at"] == "2026-12-07T06:40:00Z"
    assert data["due"] == "2026-12-07"  # a day stays a day
    assert data["age_days"] == 1.5 and data["bytes"] == 1796020859  # not times
    assert data["window_open"] is True
    assert data["steps"]["git:tag"]["facts"]["window_start"] == "2026-11-30T06:40:58Z"


def test_a_window_gets_the_cores_end_as_a_time():
    from release.core.version import Version

    w = {
        "rc1": "v1.0.0rc1",
        "rc1_date": "2026-11-30",
        "start": 1796020859,
        "source": "published",
        "days": 14,
        "ends": "2026-12-14",
        "ends_at": "2026-12-14 06:40 UTC",
        "advised_days": 21,
        "advised_ends": "2026-12-21",
    }
    assert jsonout.window(w, Version.parse("1.0.0")) == {
        "rc1": "v1.0.0rc1",
        "source": "published",
        "days": 14,
        "rc1_date": "2026-11-30T06:40:59Z",
        "ends_at": "2026-12-14T06:40:59Z",
        "advised_days": 21,
        "advised_ends": "2026-12-21T06:40:59Z",
    }


@pytest.mark.parametrize("as_json", [False, True])
def test_already_released_keeps_stdout_for_json(capsys, as_json):
    @edge
    def plan_(c, json=False):
        raise AlreadyReleased("v0.1.0rc1 is already released", "release.verify checks it")

    plan_(None, json=as_json)
    out, err = capsys.readouterr()
    assert ("already released" in err) is as_json
    assert ("already released" in out) is not as_json


def test_off_a_terminal_a_table_that_fits_is_drawn_exactly_as_rich_draws_it():
    """`ui.plain_table` skips importing rich off a terminal; it must be indistinguishable."""
    import io
    import random
    import string

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    rng = random.Random(20261130)
    alphabet = string.ascii_letters + string.digits + "  [].:/=-_#"
    drawn = 0
    for _ in range(600):
        cols = [
            "".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(rng.randint(1, 5))
        ]
        rows = [
            ["".join(rng.choices(alphabet, k=rng.randint(0, 25))) for _ in cols]
            for _ in range(rng.randint(0, 5))
        ]
        title = "".join(rng.choices(alphabet, k=rng.randint(0, 60)))
        plain = ui.plain_table(title, cols, rows, 100)
        if plain is None:  # wider than 100: rich wraps it
            continue
        drawn += 1
        table = Table(title=Text(title), title_justify="left")
        for c in cols:
            table.add_column(Text(c))
        for r in rows:
            table.add_row(*(Text(c) for c in r))
        buf = io.StringIO()
        Console(file=buf, width=100, force_terminal=False).print(table)
        assert plain == buf.getvalue(), (title, cols, rows)
    assert drawn > 300
    # what it leaves to rich: wider than the console, non-ASCII, a line break
    assert ui.plain_table("t", ["a"], [["x" * 120]], 100) is None
    assert ui.plain_table("t", ["a"], [["é"]], 100) is None
    assert ui.plain_table("t", ["a"], [["x\ny"]], 100) is None
