"""`release.page`: a static release status page, one self-contained `index.html`.

The page is presentation of `core.status.page_model` (gathered by `commands.page`): the release
lines with their state, the cadence with overdue releases marked, the open GitHub milestones, and
a lifecycle chart drawn as inline SVG. No JavaScript, no external asset (inline CSS only), so it
reads the same from `file://`, GitHub Pages or an artifact download.

Every text that comes from git or GitHub (tag names and messages, branch names, milestone titles
and links, the project's name) passes through `_e` (HTML escaping, quotes included); links are
only ever http(s). The document is well-formed XML as well as HTML (void elements closed, no
named entity but XML's), so the tests parse it, and its SVG, with `xml.etree`.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from typing import Any

from release.core.windows import DAY, utc, utc_date
from release.tasks.flags import task

STATE_LABELS = {
    "unreleased": "unreleased",
    "rc": "release candidates",
    "supported": "supported",
    "eol": "end of life",
}

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: #1d2329; background: #f6f7f9; }
.wrap { max-width: 1120px; margin: 0 auto; padding: 24px 28px 40px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
.meta { margin: 0; color: #57606a; }
section { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 16px 20px;
  margin-top: 20px; }
h2 { margin: 0 0 12px; font-size: 20px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid #e6e9ed; vertical-align: top; }
th { font-size: 13px; color: #57606a; font-weight: 600; background: #f6f8fa; }
td small { color: #57606a; }
code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
time { white-space: nowrap; }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 13px;
  font-weight: 600; white-space: nowrap; }
.state-supported { background: #dff3e4; color: #1a6b32; }
.state-rc { background: #fff1cc; color: #7a4d00; }
.state-eol { background: #eceef1; color: #57606a; }
.state-unreleased { background: #e1ecfb; color: #1d4f91; }
tr.overdue td { background: #fff0f0; }
.overdue-mark { color: #b42318; font-weight: 700; }
.due-mark { color: #7a4d00; font-weight: 700; }
.muted { color: #57606a; }
.warn { color: #b42318; }
details summary { cursor: pointer; color: #1d4f91; }
details pre { white-space: pre-wrap; margin: 6px 0 0; padding: 8px; background: #f6f8fa;
  border-radius: 6px; font: 12px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; max-width: 520px; }
.bar { height: 8px; background: #eceef1; border-radius: 4px; overflow: hidden; min-width: 120px; }
.bar span { display: block; height: 100%; background: #2f8f4e; }
figure { margin: 0; }
svg.chart { width: 100%; height: auto; display: block; }
.legend { margin-top: 8px; font-size: 13px; color: #57606a; }
.legend span.key { display: inline-block; width: 14px; height: 10px; border-radius: 2px;
  margin: 0 4px 0 14px; vertical-align: middle; }
.legend span.key.first { margin-left: 0; }
footer { margin-top: 18px; font-size: 13px; color: #57606a; }
"""

# Chart colours (SVG presentation attributes: no stylesheet needed inside the SVG).
BAR_FILL = {"supported": "#3f9a5c", "rc": "#d9822b", "eol": "#a7afb8", "unreleased": "#5b8fd6"}
WINDOW_FILL, WINDOW_STROKE = "#f6c445", "#8a5a00"
TODAY = "#c62828"


def _e(text: Any) -> str:
    """HTML (and XML) escaping of a text from git or GitHub; None is a dash."""
    return html.escape("-" if text is None else str(text), quote=True)


def _day(ts: int | None) -> str:
    return utc_date(ts) if ts else "-"


def _when(ts: int | None, exact: bool = False) -> str:
    """A day, with the exact UTC time as a tooltip (or as the text when `exact`)."""
    if not ts:
        return "-"
    if exact:
        return _e(utc(ts))
    return f'<time datetime="{_e(_iso(ts))}" title="{_e(utc(ts))}">{_e(utc_date(ts))}</time>'


def _iso(ts: int) -> str:
    return _dt.datetime.fromtimestamp(int(ts), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(url: Any, text: str) -> str:
    """`text` (already escaped) as a link when `url` is http(s); the text alone otherwise."""
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}">{text}</a>'
    return text


# ---- sections -----------------------------------------------------------------------------------


def _lines_section(d: dict[str, Any]) -> str:
    rows = []
    for r in d["lines"]:
        notes = ""
        if r.get("notes"):
            notes = (
                f"<details><summary>{_e(r['notes_tag'])}</summary>"
                f"<pre>{_e(r['notes'])}</pre></details>"
            )
        final = (
            f"<code>{_e(r['latest_final'])}</code><br/><small>{_when(r['latest_final_date'])}</small>"
            if r["latest_final"]
            else '<span class="muted">none</span>'
        )
        rc = (
            f"<code>{_e(r['latest_rc'])}</code><br/><small>{_when(r['latest_rc_date'])}</small>"
            if r["latest_rc"]
            else '<span class="muted">none</span>'
        )
        branch = (
            f"<code>{_e(r['branch'])}</code>" if r["branch"] else '<span class="muted">-</span>'
        )
        rows.append(
            f'<tr class="line line-{_e(r["state"])}" id="line-{_e(r["line"])}">'
            f"<td><strong>{_e(r['line'])}</strong></td>"
            f'<td><span class="pill state-{_e(r["state"])}">{_e(r["state_text"])}</span></td>'
            f"<td>{branch}</td><td>{final}</td><td>{rc}</td>"
            f"<td>{_when(r['first_release_date'])}</td>"
            f"<td>{_when(r['eol_date'])}</td><td>{notes}</td></tr>"
        )
    if not rows:
        body = '<p class="muted">No release line yet: no release tag in this repository.</p>'
    else:
        body = (
            "<table><thead><tr><th>Line</th><th>State</th><th>Branch</th><th>Latest final</th>"
            "<th>Latest RC</th><th>First release</th><th>End of life</th><th>Notes</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>"
        )
    rules = d["rules"]
    wd = rules["window_days"]
    text = (
        f"Supported: the newest {rules['supported_lines']} lines with a final release, minus those "
        f"declared end of life. Testing window from the first release candidate to the final: "
        f"{wd['minor']} days for a minor, {wd['major']} for a major."
    )
    return (
        f'<section id="lines"><h2>Release lines</h2>{body}<p class="muted">{_e(text)}</p></section>'
    )


def _cadence_section(d: dict[str, Any]) -> str:
    cad = d["cadence"]
    rules = d["rules"]["cadence_days"]
    rows = []
    for r in cad.get("rows", []):
        what = r["type"] + (f" {r['line']}" if r.get("line") else "")
        if r["status"] == "overdue":
            status = '<span class="overdue-mark">OVERDUE</span>'
        elif r["status"] == "due":
            status = '<span class="due-mark">due now</span>'
        elif r["status"] == "ok":
            status = f"in {_e(format(r['days_left'], 'g'))} days"
        else:
            status = '<span class="muted">never released</span>'
        if r.get("in_progress"):
            status += f" <small>({_e(r['in_progress'])} in testing)</small>"
        due = _e(r["due"])
        if r.get("due_latest") and r["due_latest"] != r["due"]:
            due = f"{_e(r['due'])} .. {_e(r['due_latest'])}"
        css = ' class="overdue"' if r["overdue"] else ""
        rows.append(
            f'<tr{css} id="due-{_e(what.replace(" ", "-"))}"><td>{_e(what)}</td>'
            f"<td><code>{_e(r['last'] or 'never')}</code></td><td>{_e(r['last_date'])}</td>"
            f"<td><code>{_e(r.get('next_version'))}</code></td><td>{due}</td><td>{status}</td></tr>"
        )
    overdue = cad.get("overdue") or []
    summary = (
        f'<p class="overdue-mark">Overdue: {_e(", ".join(overdue))}</p>'
        if overdue
        else '<p class="muted">Nothing is overdue.</p>'
    )
    text = (
        f"Cadence: a patch every {rules['patch']} days on each supported line, a minor every "
        f"{rules['minor']} days, a major every {rules['major_min']}-{rules['major_max']} days "
        "(due dates count from the last final of each type; days are UTC)."
    )
    return (
        '<section id="cadence"><h2>Next releases</h2>'
        "<table><thead><tr><th>Release</th><th>Last</th><th>Shipped</th><th>Next version</th>"
        f"<th>Due</th><th>Status</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'{summary}<p class="muted">{_e(text)}</p></section>'
    )


def _milestones_section(d: dict[str, Any]) -> str:
    m = d["milestones"]
    head = '<section id="milestones"><h2>Open milestones</h2>'
    if not m.get("configured"):
        return (
            f'{head}<p class="muted">GitHub not configured: set '
            "<code>[tool.release].github_repo</code> to list the open milestones.</p></section>"
        )
    where = f" of <code>{_e(m['repository'])}</code>" if m.get("repository") else ""
    if m.get("error"):
        return f'{head}<p class="warn">Milestones{where} could not be read: {_e(m["error"])}</p></section>'
    if not m.get("items"):
        return f'{head}<p class="muted">No open milestone{where}.</p></section>'
    rows = []
    for it in m["items"]:
        done, left = int(it["closed_issues"]), int(it["open_issues"])
        pct = round(100 * done / (done + left)) if done + left else 0
        rows.append(
            f"<tr><td>{_link(it.get('url'), _e(it['title']))}</td>"
            f"<td>{left}</td><td>{done}</td><td>{_when(it.get('due_at'))}</td>"
            f'<td><div class="bar" title="{pct}% closed"><span style="width: {pct}%"></span></div>'
            f"</td></tr>"
        )
    return (
        f'{head}<p class="muted">Open milestones{where}, with GitHub\'s counts of their open '
        "and closed items.</p><table><thead><tr><th>Milestone</th><th>Open</th><th>Closed</th>"
        f"<th>Due</th><th>Progress</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


# ---- the lifecycle chart ------------------------------------------------------------------------

W, LEFT, RIGHT, TOP, ROW, AXIS = 1040, 64, 24, 26, 30, 34


def _ticks(t0: float, t1: float) -> list[tuple[float, str]]:
    """Axis ticks between t0 and t1: days, weeks or months, at most about 12."""
    span = (t1 - t0) / DAY
    out: list[tuple[float, str]] = []
    if span <= 120:
        step = max(1, math.ceil(span / 10))
        if step > 1:
            step = 7 * math.ceil(step / 7)
        d = math.floor(t0 / DAY) * DAY + DAY
        while d < t1:
            out.append((d, utc_date(int(d))))
            d += step * DAY
        return out
    months = next((m for m in (1, 2, 3, 6, 12, 24, 60, 120) if span / 30.4 / m <= 12), 240)
    start = _dt.datetime.fromtimestamp(t0, _dt.timezone.utc)
    index = start.year * 12 + start.month  # the month after t0's (0-based months)
    while True:
        if index % months == 0:
            y, mo = divmod(index, 12)
            ts = _dt.datetime(y, mo + 1, 1, tzinfo=_dt.timezone.utc).timestamp()
            if ts >= t1:
                return out
            out.append((ts, f"{y}-{mo + 1:02d}"))
        index += 1


def render_chart(d: dict[str, Any]) -> str:
    """The lifecycle chart: one bar per line from its first release to its end of life (or
    today), the RC testing windows over them, and a line at today. Well-formed SVG."""
    now = int(d["generated_at"])
    lines = d["lines"]
    starts = [r["first_release_date"] for r in lines if r["first_release_date"]]
    ends = [now]
    for r in lines:
        w = r.get("window")
        if w:
            ends += [w["window_ends"], w.get("advised_ends") or w["window_ends"]]
        if r.get("eol_date"):
            ends.append(r["eol_date"])
    first = min(starts) if starts else now - 30 * DAY
    span = max(max(ends) - first, 14 * DAY)
    t0, t1 = first - span * 0.04, max(ends) + span * 0.10
    plot = W - LEFT - RIGHT
    height = TOP + ROW * max(1, len(lines)) + AXIS

    def x(ts: float) -> float:
        return round(LEFT + (ts - t0) / (t1 - t0) * plot, 1)

    bottom = TOP + ROW * max(1, len(lines))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {W} {height}" '
        f'width="{W}" height="{height}" role="img" aria-labelledby="chart-title" '
        'font-family="system-ui, DejaVu Sans, sans-serif" font-size="12">',
        '<title id="chart-title">Lifecycle of the release lines</title>',
    ]
    for ts, label in _ticks(t0, t1):
        if not LEFT + 30 <= x(ts) <= W - 32:
            continue  # its label would be cut at an edge
        out.append(
            f'<line x1="{x(ts)}" y1="{TOP - 6}" x2="{x(ts)}" y2="{bottom}" stroke="#e6e9ed"/>'
            f'<text x="{x(ts)}" y="{bottom + 16}" text-anchor="middle" fill="#57606a">'
            f"{_e(label)}</text>"
        )
    if not lines:
        out.append(
            f'<text x="{LEFT + plot / 2}" y="{TOP + ROW / 2 + 4}" text-anchor="middle" '
            'fill="#57606a">No release yet</text>'
        )
    for i, r in enumerate(lines):
        y = TOP + i * ROW
        mid = y + ROW / 2
        if i % 2:
            out.append(
                f'<rect x="0" y="{y}" width="{W}" height="{ROW}" fill="#f6f8fa" opacity="0.7"/>'
            )
        out.append(
            f'<text x="{LEFT - 10}" y="{mid + 4}" text-anchor="end" font-weight="600" '
            f'fill="#1d2329">{_e(r["line"])}</text>'
        )
        first = r["first_release_date"]
        if not first:
            out.append(
                f'<text x="{x(now) + 8}" y="{mid + 4}" fill="#1d4f91">{_e(r["state_text"])}</text>'
            )
            continue
        end = r["eol_date"] or now
        label = STATE_LABELS.get(r["state"], r["state"])
        tip = f"{r['line']}: {utc_date(first)} .. {utc_date(end) if r['eol_date'] else 'today'} ({label})"
        w = r.get("window")
        if w:
            wtip = (
                f"testing window of {w['version']}: {utc(w['start'])} .. {utc(w['window_ends'])}"
                + (" (open)" if w["open"] else "")
            )
            out.append(
                f'<rect class="window" x="{x(w["start"])}" y="{y + 4}" '
                f'width="{max(3.0, round(x(w["window_ends"]) - x(w["start"]), 1))}" '
                f'height="{ROW - 8}" rx="3" fill="{WINDOW_FILL}" fill-opacity="0.55" '
                f'stroke="{WINDOW_STROKE}" stroke-dasharray="4 2"><title>{_e(wtip)}</title></rect>'
            )
            if w.get("advised_ends"):
                out.append(
                    f'<line x1="{x(w["advised_ends"])}" y1="{y + 4}" x2="{x(w["advised_ends"])}" '
                    f'y2="{y + ROW - 4}" stroke="{WINDOW_STROKE}" stroke-dasharray="2 2"/>'
                )
        out.append(
            f'<rect class="bar bar-{_e(r["state"])}" x="{x(first)}" y="{y + 8}" '
            f'width="{max(3.0, round(x(end) - x(first), 1))}" height="{ROW - 16}" rx="3" '
            f'fill="{BAR_FILL.get(r["state"], "#a7afb8")}"><title>{_e(tip)}</title></rect>'
        )
    out.append(
        f'<line class="today" x1="{x(now)}" y1="{TOP - 8}" x2="{x(now)}" y2="{bottom}" '
        f'stroke="{TODAY}" stroke-width="2" stroke-dasharray="5 3"/>'
        f'<text x="{x(now)}" y="{TOP - 12}" text-anchor="middle" fill="{TODAY}" '
        f'font-weight="600">today {_e(utc_date(now))}</text>'
    )
    out.append(
        f'<line x1="{LEFT}" y1="{bottom}" x2="{W - RIGHT}" y2="{bottom}" stroke="#8c959f"/></svg>'
    )
    return "".join(out)


def _chart_section(d: dict[str, Any]) -> str:
    legend = "".join(
        f'<span class="key{" first" if i == 0 else ""}" style="background: {c}"></span>{_e(t)}'
        for i, (c, t) in enumerate(
            [
                (BAR_FILL["supported"], "supported"),
                (BAR_FILL["rc"], "release candidates"),
                (BAR_FILL["eol"], "end of life"),
                (WINDOW_FILL, "RC testing window"),
                (TODAY, "today"),
            ]
        )
    )
    return (
        '<section id="lifecycle"><h2>Lifecycle</h2><figure>'
        f'{render_chart(d)}<figcaption class="legend">{legend}</figcaption></figure>'
        '<p class="muted">Each bar runs from the first release of a line to its end of life, or '
        "to today while it lives.</p></section>"
    )


def render(d: dict[str, Any]) -> str:
    """The whole page: one HTML document, inline CSS, inline SVG, no script."""
    project = _e(d["project"])
    latest = f" Latest final: <code>{_e(d['latest_final'])}</code>." if d["latest_final"] else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        '<meta name="generator" content="release-kit release.page"/>'
        f"<title>{project}: release status</title><style>{CSS}</style></head>"
        f'<body><div class="wrap"><header><h1>{project} release status</h1>'
        f'<p class="meta">Generated {_e(utc(int(d["generated_at"])))}.{latest}</p></header>'
        "<main>"
        f"{_lines_section(d)}{_chart_section(d)}{_cadence_section(d)}{_milestones_section(d)}"
        "</main><footer>Made with release-kit (<code>invoke release.page</code>). Times are UTC."
        "</footer></div></body></html>\n"
    )


# ---- the task -----------------------------------------------------------------------------------


def register(collection: Any, edge: Any) -> None:
    from release.tasks.edge import cfg as _cfg

    @task(
        help={
            "out": "directory to write index.html into (default: .git/release/page/)",
            "json": "print the page's data as one JSON object (for CI)",
            "path": "repository path (default: .)",
            "config": "pyproject.toml to read [tool.release] from",
        }
    )
    @edge
    def page(c, out=None, json=False, path=None, config=None):
        """Write the release status page (one static index.html): lines, windows, cadence, milestones, lifecycle chart."""
        import sys

        from release.adapters.runner import redact
        from release.commands.page import out_dir, page_data, write_page
        from release.tasks import ui

        got = page_data(path or _cfg(c, "path", "."), config or _cfg(c, "config"))
        data = got["data"]
        target = write_page(out_dir(out, got["out_default"]), render(data))
        error = data["milestones"].get("error")
        if error:
            print(redact(f"warning: GitHub milestones not shown: {error}"), file=sys.stderr)
        if json:
            ui.emit_json({**data, "page": str(target)}, "release.page")
            return
        states = ", ".join(f"{r['line']} {STATE_LABELS[r['state']]}" for r in data["lines"])
        ui.say(f"Release status page: {target}")
        ui.say(f"  lines: {states or 'none yet'}")
        overdue = data["cadence"].get("overdue") or []
        ui.say(f"  overdue: {', '.join(overdue) if overdue else 'nothing'}")

    collection("release").add_task(page)
