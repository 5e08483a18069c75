"""Milestone tasks: `invoke milestone.check VERSION`, `milestone.move VERSION --to NEXT --reason "..."`,
`milestone.create VERSION`. The work is in `release.commands.milestone`; the tasks only print.
"""

from __future__ import annotations

from typing import Any

from release.tasks.flags import task


def register(collection: Any, edge: Any) -> None:
    ns = collection("milestone")
    common = {
        "path": "repository path (default: .)",
        "config": "pyproject.toml holding [tool.release]",
    }

    @task(
        help={
            "version": "the release, e.g. 0.5.0 (an RC checks its final's milestone)",
            "json": "print one JSON object (for CI)",
            **common,
        }
    )
    @edge
    def check(c, version, json=False, path=None, config=None):
        """Check a milestone is ready: no pull requests, no open issues, no undocumented moves."""
        from dataclasses import asdict

        from release.commands.milestone import milestone_check
        from release.errors import NotReady
        from release.tasks.ui import emit_json, say

        chk = milestone_check(version, path or ".", config)
        if json:
            shown = {k: v for k, v in asdict(chk).items() if k != "seen"}  # the event cache
            emit_json({**shown, "ok": chk.ok, "violations": chk.violations()}, "milestone.check")
        else:
            say(f"{chk.summary()} ({chk.requests} API requests)")
            for v in chk.violations():
                say(f"  - {v}")
        if not chk.ok:
            raise NotReady(chk.violations(), kind=f"milestone {chk.title}")

    @task(
        help={
            "version": "the milestone to move open issues out of, e.g. 0.5.0",
            "to": "the milestone to move them to, e.g. 0.6.0 (created if missing)",
            "reason": "the rationale, left as a comment on every moved issue",
            "dry_run": "list the issues that would move; change nothing",
            **common,
        }
    )
    @edge
    def move(c, version, to, reason, dry_run=False, path=None, config=None):
        """Move the open issues of a milestone to the next one, documenting why on each."""
        from release.commands.milestone import milestone_move
        from release.tasks.ui import say

        d = milestone_move(version, to, reason, path or ".", config, dry_run=dry_run)
        if dry_run:
            say(
                f"would move {len(d['would_move'])} issue(s) from {d['from']} to {d['to']}: "
                + ", ".join(f"#{n}" for n in d["would_move"])
            )
        else:
            say(
                f"moved {len(d['moved'])} issue(s) from {d['from']} to {d['to']}"
                + (f": {', '.join(f'#{n}' for n in d['moved'])}" if d["moved"] else "")
            )

    @task(help={"version": "the planned release, e.g. 0.6.0", **common})
    @edge
    def create(c, version, path=None, config=None):
        """Create the milestone of a planned minor or major release (nothing if it exists)."""
        from release.commands.milestone import milestone_create
        from release.tasks.ui import say

        d = milestone_create(version, path or ".", config)
        say(
            f"milestone {d['title']} {'created' if d['created'] else 'exists'} (#{d['number']}) {d['url']}"
        )

    for t in (check, move, create):
        ns.add_task(t)
