"""`release.page` as data: read the world once (tags, their messages, journals, the GitHub
milestones when configured), shape it with the pure core (`core.status.page_model`), and write
the rendered page where it is asked to go. Nothing here prints or renders HTML."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from release.adapters.git import GitRepo
from release.core.lines import supported_lines
from release.core.schedule import compute_schedule
from release.core.status import page_model
from release.errors import ConfigError, ReleaseError
from release.journal import Journal
from release.session import open_session

PAGE_FILE = "index.html"
NOTES_LIMIT = 4000  # characters of a tag message kept for the page
MILESTONE_PAGES = 10  # at most 1000 open milestones are listed


def page_data(path: str = ".", config: str | None = None, gh: Any = None) -> dict[str, Any]:
    """The page's data (`core.status.page_model`) with `out_default`: `.git/release/page`."""
    s = open_session(path, config)
    tags = s.state.tagset
    schedule = compute_schedule(tags, s.policy, s.now, supported_lines(tags, s.policy))
    bases = sorted(
        {t.version.base for t in tags.counted_rcs() if t.version and not t.version.patch}
    )
    published = {
        str(b): Journal.published_at(s.state.git_dir, b.with_rc(1).pep440()) for b in bases
    }
    data = page_model(
        s.state,
        s.policy,
        s.now,
        schedule=schedule,
        project=project_name(s.root, s.policy),
        published=published,
        notes=tag_messages(s.root, [*_latest_tags(tags)]),
        milestones=read_milestones(s.policy, gh),
    )
    return {"data": data, "out_default": Path(s.state.git_dir) / "release" / "page"}


def project_name(root: Path, policy: Any) -> str:
    """[project].name of pyproject.toml, else the GitHub repository, else the folder's name."""
    from release.adapters.files import parse_toml

    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    name = (parse_toml(text).get("project") or {}).get("name") if text else None
    return str(name or policy.github_repo or root.name)


def _latest_tags(tags: Any) -> list[str]:
    """The latest final and latest RC of every line: the tags whose messages the page shows."""
    out = []
    for _, finals, rcs in tags.line_tags():
        out += [t.name for t in (finals[-1:] + rcs[-1:])]
    return out


def tag_messages(root: Path, names: list[str]) -> dict[str, str]:
    """tag -> its message (annotated tags only; the signature left out), one `for-each-ref`."""
    if not names:
        return {}
    fmt = "%(refname:strip=2)%00%(objecttype)%00%(contents:subject)%00%(contents:body)%00"
    res = GitRepo(root).git(
        "for-each-ref", f"--format={fmt}", *[f"refs/tags/{n}" for n in names], check=False
    )
    if not res.ok:
        return {}
    parts = res.stdout.split("\0")
    out: dict[str, str] = {}
    for i in range(0, len(parts) - 4, 4):
        name, kind, subject, body = parts[i].lstrip("\n"), parts[i + 1], parts[i + 2], parts[i + 3]
        if kind == "tag":
            text = (subject + ("\n\n" + body.strip() if body.strip() else "")).strip()
            out[name] = text[:NOTES_LIMIT] + (" ..." if len(text) > NOTES_LIMIT else "")
    return out


def read_milestones(policy: Any, gh: Any = None) -> dict[str, Any]:
    """The open milestones of the GitHub repository, with their open/closed counts (GitHub's
    own, 100 per request); without [tool.release].github_repo: not configured. A failure to
    read (no token, GitHub down) is said in `error`: the page is still made."""
    if not policy.github_repo and gh is None:
        return {"configured": False, "repository": None, "error": None, "items": []}
    out: dict[str, Any] = {
        "configured": True,
        "repository": policy.github_repo or getattr(gh, "repo_name", None),
        "error": None,
        "items": [],
    }
    try:
        if gh is None:
            from release.adapters.github import GitHub

            gh = GitHub.from_policy(policy, attempts=3, max_wait=30.0)
        for page in range(1, MILESTONE_PAGES + 1):
            items = (
                gh.get_json(
                    "milestones (open)",
                    f"/repos/{gh.repo_name}/milestones",
                    {"state": "open", "per_page": 100, "page": page, "sort": "due_on"},
                )
                or []
            )
            out["items"] += [_milestone(m) for m in items if isinstance(m, dict)]
            if len(items) < 100:
                break
    except ReleaseError as exc:
        out["error"] = exc.one_line()
        out["items"] = []
    return out


def _milestone(m: dict[str, Any]) -> dict[str, Any]:
    url = str(m.get("html_url") or "")
    return {
        "title": str(m.get("title") or ""),
        "number": int(m.get("number") or 0),
        "url": url if url.startswith(("https://", "http://")) else None,
        "open_issues": int(m.get("open_issues") or 0),
        "closed_issues": int(m.get("closed_issues") or 0),
        "due_at": _unix(m.get("due_on")),
    }


def _unix(text: Any) -> int | None:
    """GitHub's `2026-12-01T08:00:00Z` as unix seconds (None when absent or not a time)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return int(when.timestamp())


def out_dir(out: str | None, default: Path) -> Path:
    """Where the page goes: `--out` (relative to the current directory) or the default; an
    existing path that is not a directory is refused before anything is written."""
    target = Path(out).expanduser() if out else default
    if target.exists() and not target.is_dir():
        raise ConfigError(
            f"--out {target} exists and is not a directory",
            "name a directory (it is created when missing); nothing was written",
        )
    return target


def write_page(directory: Path, html: str) -> Path:
    """Write `index.html` into `directory` (created when missing) atomically: a reader (a web
    server, a browser) never sees half a page."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / PAGE_FILE
    if target.exists() and not target.is_file():
        raise ConfigError(f"{target} exists and is not a file", "remove it; nothing was written")
    tmp = directory / f".{PAGE_FILE}.{os.getpid()}.tmp"
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target
