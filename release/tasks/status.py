"""`release.status`: lines, latest releases, next versions, open RCs, strays, cadence."""

from __future__ import annotations

from typing import Any

from release.tasks import ui
from release.tasks.flags import task


def register(collection: Any, edge: Any) -> None:
    from release.tasks.edge import cfg as _cfg

    @task(
        help={
            "json": "print one JSON object (for CI)",
            "path": "repository path (default: .)",
            "config": "pyproject.toml to read [tool.release] from",
        }
    )
    @edge
    def status(c, json=False, path=None, config=None):
        """Show branches, lines, latest releases, the next version of every kind, open RCs, strays, cadence."""
        from release.commands.status import status_data

        data = status_data(path or _cfg(c, "path", "."), config or _cfg(c, "config"))
        if json:
            from release.tasks.ui import emit_json

            emit_json(data, "release.status")
        else:
            print_status(data)

    collection("release").add_task(status)


def print_status(d: dict[str, Any]) -> None:
    where = d["branch"] or "(detached HEAD)"
    line = f", line {d['line']}" if d["line"] else ""
    sync = []
    if d["dirty"]:
        sync.append("uncommitted changes")
    if d["ahead"] or d["behind"]:
        sync.append(f"ahead {d['ahead']}, behind {d['behind']}")
    ui.say(
        f"On {where}{line} at {d['head'][:12] or '(no commits)'}"
        + (f" - {'; '.join(sync)}" if sync else "")
    )
    ui.say(f"Latest final: {d['latest_final'] or 'none'}")
    nxt = d["next"]
    rows = []
    for kind in ("patch", "minor", "major", "rc", "final"):
        n = nxt[kind]
        note = "; ".join(n.get("notes", [])) or n.get("reason", "")
        if kind == "patch" and n.get("line"):
            note = f"line {n['line']}" + (f"; {note}" if note else "")
        rows.append((kind, n["version"] or "-", note))
    ui.table("Next version from here", ["kind", "version", "notes"], rows)
    if d.get("train"):
        train_rows = []
        for m in d["train"]:
            nxt = m["next"] or {}
            cells = [
                f"{nxt.get(k) or '-'}{' (differs)' if k in m['differs'] else ''}"
                for k in ("patch", "minor", "rc", "final")
            ]
            train_rows.append(
                (m["name"], m["branch"] or "-", m["latest_final"] or "-", *cells, m["note"])
            )
        ui.table(
            "Release train (in release order)",
            ["repository", "branch", "latest final", "patch", "minor", "rc", "final", "note"],
            train_rows,
        )
    if d["lines"]:
        ui.table(
            "Release lines",
            ["line", "branch", "latest final", "date", "latest rc", "supported"],
            [
                (
                    r["line"],
                    r["branch"],
                    r["latest_final"],
                    ui.date(r["latest_final_date"]),
                    r["latest_rc"],
                    "EOL" if r["eol"] else ("yes" if r["supported"] else "no"),
                )
                for r in reversed(d["lines"])
            ],
        )
    if d["open_rcs"]:
        ui.table(
            "Open release candidates",
            ["version", "kind", "rcs", "rc1 age (days)", "window", "window ends"],
            [
                (
                    r["version"],
                    r["kind"],
                    ", ".join(r["rcs"]),
                    r["age_days"],
                    f"{r['window_days']} days",
                    ui.when(r["window_ends"])
                    + (" (open)" if r["window_open"] else " (passed)")
                    + (
                        f"; advised {ui.date(r['window_advised_ends'])}"
                        if r.get("window_advised_ends")
                        else ""
                    ),
                )
                for r in d["open_rcs"]
            ],
        )
    sched = d.get("schedule") or {}
    if sched.get("rows"):
        ui.table(
            "Cadence",
            ["type", "last", "date", "next due", "status"],
            [
                (
                    r["type"] + (f" {r['line']}" if r.get("line") else ""),
                    r["last"] or "never",
                    r["last_date"],
                    r["due"],
                    "OVERDUE"
                    if r["overdue"]
                    else ("-" if r["days_left"] is None else f"{r['days_left']} days left"),
                )
                for r in sched["rows"]
            ],
        )
    odd = [(s["tag"], "stray: " + s["reason"]) for s in d["strays"]]
    odd += [(a["tag"], "ignored: " + a["reason"]) for a in d["anomalies"]]
    odd += [
        (f["tag"], f"final not on {f['branch']} ({f['commit'][:12]}): its next patch would lack it")
        for f in d.get("off_branch_finals", [])
    ]
    if odd:
        ui.table(f"Tags that do not steer versions ({len(odd)})", ["tag", "why"], odd[:50])
        if len(odd) > 50:
            ui.say(f"... and {len(odd) - 50} more (see --json)")
