"""Milestone tasks: `invoke milestone.check VERSION`, `milestone.move VERSION --to NEXT --reason "..."`,
`milestone.create VERSION`. The functions below the tasks do the work and return data (tested
directly); the tasks only print.
"""

from __future__ import annotations

from typing import Any

from invoke import task


def _open(version: str, path: str, config: str | None, gh: Any = None) -> tuple[Any, Any, Any]:
    from release.errors import ReleaseError
    from release.core.milestones import milestone_title
    from release.session import open_session

    session = open_session(path, config)
    if gh is None:
        if not session.policy.github_repo:
            raise ReleaseError("no GitHub repository configured", "set [tool.release].github_repo = \"owner/name\"")
        from release.adapters.github import GitHub

        gh = GitHub.from_policy(session.policy)
    return session, gh, milestone_title(version)


def _number_hint(session: Any, title: str) -> int | None:
    from release.journal import Journal

    try:
        return Journal.open(session.state.git_dir, title).facts("gate:milestone").get("number")
    except Exception:  # an unreadable journal only costs the cache
        return None


def milestone_check(version: str, path: str = ".", config: str | None = None, gh: Any = None) -> Any:
    """The milestone gate's view (a release.milestones.MilestoneCheck); nothing is changed."""
    session, gh, title = _open(version, path, config, gh)
    return gh.check_milestone(title, _number_hint(session, title))


def milestone_move(version: str, to: str, reason: str, path: str = ".", config: str | None = None,
                   gh: Any = None, dry_run: bool = False) -> dict[str, Any]:
    """Move the open issues of milestone VERSION to TO, leaving the rationale on each."""
    from release.errors import ReleaseError
    from release.core.milestones import milestone_title, move_comment

    if not reason or not reason.strip():
        raise ReleaseError("a move needs a rationale", "pass --reason \"why these issues wait for the next release\"")
    session, gh, title = _open(version, path, config, gh)
    dst_title = milestone_title(to)
    if dst_title == title:
        raise ReleaseError(f"--to {to} is milestone {title} itself", "name the next milestone, e.g. --to 0.6.0")
    src = gh.find_milestone(title, _number_hint(session, title))
    if src is None:
        raise ReleaseError(f"milestone {title} does not exist", f"see `invoke milestone.check {title}`")
    items = [i for i in gh.milestone_items(int(src["number"]), "open") if "pull_request" not in i]
    moved: list[int] = []
    if dry_run:
        return {"from": title, "to": dst_title, "moved": [], "would_move": [int(i["number"]) for i in items]}
    if not items:
        return {"from": title, "to": dst_title, "moved": [], "created": False}
    dst, created = gh.create_milestone(dst_title)
    body = move_comment(title, dst_title, reason)
    for issue in items:
        gh.move_issue(int(issue["number"]), int(dst["number"]), body)
        moved.append(int(issue["number"]))
    return {"from": title, "to": dst_title, "moved": moved, "created": created}


def milestone_create(version: str, path: str = ".", config: str | None = None, gh: Any = None) -> dict[str, Any]:
    _, gh, title = _open(version, path, config, gh)
    m, created = gh.create_milestone(title)
    return {"title": title, "number": int(m["number"]), "created": created, "url": m.get("html_url", "")}


def register(collection: Any, edge: Any) -> None:
    ns = collection("milestone")
    common = {"path": "repository path (default: .)", "config": "pyproject.toml holding [tool.release]"}

    @task(help={"version": "the release, e.g. 0.5.0 (an RC checks its final's milestone)",
                "json": "print one JSON object (for CI)", **common})
    @edge
    def check(c, version, json=False, path=None, config=None):
        """Check a milestone is ready: no pull requests, no open issues, no undocumented moves."""
        from dataclasses import asdict

        from release.errors import NotReady
        from release.tasks.ui import emit_json, say

        chk = milestone_check(version, path or ".", config)
        if json:
            emit_json({**asdict(chk), "ok": chk.ok, "violations": chk.violations()})
        else:
            say(f"{chk.summary()} ({chk.requests} API requests)")
            for v in chk.violations():
                say(f"  - {v}")
        if not chk.ok:
            raise NotReady(chk.violations(), kind=f"milestone {chk.title}")

    @task(help={"version": "the milestone to move open issues out of, e.g. 0.5.0",
                "to": "the milestone to move them to, e.g. 0.6.0 (created if missing)",
                "reason": "the rationale, left as a comment on every moved issue",
                "dry_run": "list the issues that would move; change nothing", **common})
    @edge
    def move(c, version, to, reason, dry_run=False, path=None, config=None):
        """Move the open issues of a milestone to the next one, documenting why on each."""
        from release.tasks.ui import say

        d = milestone_move(version, to, reason, path or ".", config, dry_run=dry_run)
        if dry_run:
            say(f"would move {len(d['would_move'])} issue(s) from {d['from']} to {d['to']}: "
                + ", ".join(f"#{n}" for n in d["would_move"]))
        else:
            say(f"moved {len(d['moved'])} issue(s) from {d['from']} to {d['to']}"
                + (f": {', '.join(f'#{n}' for n in d['moved'])}" if d["moved"] else ""))

    @task(help={"version": "the planned release, e.g. 0.6.0", **common})
    @edge
    def create(c, version, path=None, config=None):
        """Create the milestone of a planned minor or major release (nothing if it exists)."""
        from release.tasks.ui import say

        d = milestone_create(version, path or ".", config)
        say(f"milestone {d['title']} {'created' if d['created'] else 'exists'} (#{d['number']}) {d['url']}")

    for t in (check, move, create):
        ns.add_task(t)
