"""Tasks of the `changelog` collection: draft (stdout only) and update (CHANGELOG.md)."""

from __future__ import annotations

from release.tasks.flags import task


def register(collection, edge) -> None:
    ns = collection("changelog")

    @task(
        help={
            "since": "start from this tag instead of the previous release",
            "json": "print one JSON object",
            "version": "notes of this version instead of the next release from here",
            "path": "repository path (default: .)",
            "config": "pyproject.toml holding [tool.release]",
        }
    )
    @edge
    def draft(c, since=None, json=False, version=None, path=None, config=None):
        """Print the release notes of the next release from this branch (nothing is written)."""
        import sys

        from release.commands.changelog import draft_notes

        notes = draft_notes(path or ".", config, since, version)
        if json:
            from release.tasks.ui import emit_json

            emit_json(notes.to_json(), "changelog.draft")
        else:
            sys.stdout.write(notes.markdown)

    @task(
        help={
            "version": "the version whose section to insert (X.Y.Z or X.Y.ZrcN)",
            "since": "start from this tag instead of the previous release",
            "path": "repository path (default: .)",
            "config": "pyproject.toml holding [tool.release]",
        }
    )
    @edge
    def update_(c, version, since=None, path=None, config=None):
        """Insert VERSION's section into CHANGELOG.md (idempotent; text under Unreleased moves in)."""
        from release.commands.changelog import update

        changed, file = update(version, path or ".", config, since)
        print(f"{file}: {'added' if changed else 'already has'} {version}")

    @task(
        help={
            "json": "print one JSON object",
            "path": "repository path (default: .)",
            "config": "pyproject.toml holding [tool.release]",
        }
    )
    @edge
    def full(c, json=False, path=None, config=None):
        """Print the whole CHANGELOG.md from every release tag, [Unreleased] from this branch."""
        import sys

        from release.commands.changelog import full_changelog

        releases, unreleased, text = full_changelog(path or ".", config)
        if json:
            from release.tasks.ui import emit_json

            emit_json(
                {
                    "unreleased": unreleased.to_json() if unreleased is not None else None,
                    "releases": [n.to_json() for n in releases],
                    "markdown": text,
                },
                "changelog.full",
            )
        else:
            sys.stdout.write(text)

    update_.__name__ = "update"
    ns.add_task(draft)
    ns.add_task(update_, name="update")
    ns.add_task(full)


# ---- command line (also what the benchmark times) ------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m release.tasks.changelog [-C PATH] [--full | --version V] [--since TAG] [--json]`."""
    import argparse
    import json
    import sys

    from release.commands.changelog import full_history, next_version_here, release_notes
    from release.core.notes import render_changelog
    from release.core.version import Version
    from release.errors import ReleaseError
    from release.session import open_session

    ap = argparse.ArgumentParser(
        prog="python -m release.tasks.changelog", description="Print release notes."
    )
    ap.add_argument("-C", dest="path", default=".", help="repository path")
    ap.add_argument("--full", action="store_true", help="the whole CHANGELOG from every tag")
    ap.add_argument("--version", help="notes of this version (default: the next release from here)")
    ap.add_argument("--since", help="start from this tag instead of the previous release")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    try:
        s = open_session(args.path)
        tags = s.state.tagset
        if args.full:
            all_notes, unreleased = full_history(s.root, tags, s.policy)
            if args.json:
                sys.stdout.write(json.dumps([n.to_json() for n in all_notes]) + "\n")
            else:
                sys.stdout.write(render_changelog(all_notes, unreleased))
            return 0
        version = (
            Version.parse(args.version)
            if args.version
            else next_version_here(tags, s.policy, s.state.branch)
        )
        notes = release_notes(s.root, tags, version, s.policy, since=args.since)
    except ReleaseError as exc:
        from release.adapters.runner import redact

        print(redact(f"error: {exc.one_line()}"), file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(json.dumps(notes.to_json(), indent=2) + "\n" if args.json else notes.markdown)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
