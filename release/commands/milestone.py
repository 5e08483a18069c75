"""Milestones as a release criterion: check, move open issues (with a rationale), create.
Each returns data; nothing prints."""

from __future__ import annotations

from typing import Any


def _open(version: str, path: str, config: str | None, gh: Any = None) -> tuple[Any, Any, Any]:
    from release.core.milestones import milestone_title
    from release.errors import ReleaseError
    from release.session import open_session

    session = open_session(path, config)
    if gh is None:
        if not session.policy.github_repo:
            raise ReleaseError(
                "no GitHub repository configured", 'set [tool.release].github_repo = "owner/name"'
            )
        from release.adapters.github import GitHub

        gh = GitHub.from_policy(session.policy)
    return session, gh, milestone_title(version)


def _number_hint(session: Any, title: str) -> int | None:
    from release.journal import Journal

    try:
        return Journal.open(session.state.git_dir, title).facts("gate:milestone").get("number")
    except Exception:  # an unreadable journal only costs the cache
        return None


def milestone_check(
    version: str, path: str = ".", config: str | None = None, gh: Any = None
) -> Any:
    """The milestone gate's view (a release.milestones.MilestoneCheck); nothing is changed."""
    from release.adapters.files import read_seen, write_seen
    from release.journal import Journal

    session, gh, title = _open(version, path, config, gh)
    where = Journal.dir_for(session.state.git_dir)
    chk = gh.check_milestone(title, _number_hint(session, title), read_seen(where, title))
    write_seen(where, title, chk.seen)
    return chk


def milestone_move(
    version: str,
    to: str,
    reason: str,
    path: str = ".",
    config: str | None = None,
    gh: Any = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Move the open issues of milestone VERSION to TO, leaving the rationale on each."""
    from release.core.milestones import milestone_title, move_comment
    from release.errors import ReleaseError

    if not reason or not reason.strip():
        raise ReleaseError(
            "a move needs a rationale", 'pass --reason "why these issues wait for the next release"'
        )
    session, gh, title = _open(version, path, config, gh)
    dst_title = milestone_title(to)
    if dst_title == title:
        raise ReleaseError(
            f"--to {to} is milestone {title} itself", "name the next milestone, e.g. --to 0.6.0"
        )
    src = gh.find_milestone(title, _number_hint(session, title))
    if src is None:
        raise ReleaseError(
            f"milestone {title} does not exist", f"see `invoke milestone.check {title}`"
        )
    items = [i for i in gh.milestone_items(int(src["number"]), "open") if "pull_request" not in i]
    moved: list[int] = []
    if dry_run:
        return {
            "from": title,
            "to": dst_title,
            "moved": [],
            "would_move": [int(i["number"]) for i in items],
        }
    if not items:
        return {"from": title, "to": dst_title, "moved": [], "created": False}
    dst, created = gh.create_milestone(dst_title)
    body = move_comment(title, dst_title, reason)
    for issue in items:
        gh.move_issue(int(issue["number"]), int(dst["number"]), body)
        moved.append(int(issue["number"]))
    return {"from": title, "to": dst_title, "moved": moved, "created": created}


def milestone_create(
    version: str, path: str = ".", config: str | None = None, gh: Any = None
) -> dict[str, Any]:
    _, gh, title = _open(version, path, config, gh)
    m, created = gh.create_milestone(title)
    return {
        "title": title,
        "number": int(m["number"]),
        "created": created,
        "url": m.get("html_url", ""),
    }
