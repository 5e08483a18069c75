"""Tasks of publishing: release.verify (re-check a release against its journal)."""

from __future__ import annotations

from release.tasks.flags import task


def register(collection, edge) -> None:
    @task(
        help={
            "version": "the release to check, e.g. 0.4.0 or 0.4.0rc1",
            "json": "print the checks as JSON (for CI)",
            "path": "repository path (default: .)",
            "config": "pyproject.toml holding [tool.release]",
        }
    )
    @edge
    def verify(c, version, json=False, path=None, config=None):
        """Re-check a release against its journal: tag (and signature) on origin, index files,
        npm, images, the GitHub release and its assets, the announcements."""
        from release.commands.verify import raise_for
        from release.commands.verify import verify as run_checks
        from release.tasks import ui

        rows = run_checks(version, path or ".", config)
        if json:
            from release.core.version import Version

            ui.emit_json(
                {
                    "version": Version.parse(version).pep440(),
                    "ok": all(r.ok for r in rows),
                    "checks": [r.as_dict() for r in rows],
                },
                "release.verify",
            )
        else:
            ui.table(
                f"release.verify {version}",
                ["item", "expected", "actual", "status"],
                [(r.item, r.expected, r.actual, "ok" if r.ok else "DIFFERS") for r in rows],
            )
        raise_for(version, rows)

    collection("release").add_task(verify)
