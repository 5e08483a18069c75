"""Release notes and CHANGELOG.md of a repository: read the commits (`adapters.gitlog`), render
them (`core.notes`), write CHANGELOG.md.

The range end is the version's own tag when it exists (stable notes when a release resumes),
else `rev`. `history` renders every released version from one `git log` over all their tags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from release.adapters.gitlog import _git_log, collect, parse_log
from release.core.notes import (
    Notes,
    _iso,
    assign,
    history_targets,
    make_notes,
    previous_tag,
    previous_tags,
)
from release.core.policy import Policy
from release.core.version import TagInfo, TagSet, Version
from release.errors import ReleaseError


def _resolve(tagset: TagSet, name: str) -> TagInfo:
    info = tagset.by_name.get(name)
    if info is None or not info.sha:
        known = ", ".join(t.name for t in tagset.finals[-3:]) or "none"
        raise ReleaseError(
            f"tag {name} does not exist", f"name an existing tag (latest finals: {known})"
        )
    return info


def release_notes(
    root: Path,
    tagset: TagSet,
    version: Version,
    policy: Policy,
    *,
    rev: str = "HEAD",
    date: str | None = None,
    override_reason: str | None = None,
    since: str | None = None,
) -> Notes:
    """Notes of `version`: the range from its previous tag (or `since`) to its tag or `rev`."""
    tag = version.tag(policy.tag_pattern)
    prev = _resolve(tagset, since) if since else previous_tag(tagset, version)
    own = tagset.by_name.get(tag)
    end = own.sha if own is not None and own.sha else rev
    commits = collect(Path(root), prev.sha if prev else None, end)
    if date is None:
        date = (
            _iso(own.date)
            if own is not None and own.date
            else (_iso(commits[0].date) if commits else "")
        )
    return make_notes(
        commits,
        version,
        tag,
        prev.name if prev else None,
        date=date,
        github_repo=policy.github_repo,
        override_reason=override_reason,
        head=end,
    )


def history(root: Path, tagset: TagSet, policy: Policy) -> list[Notes]:
    """Notes of every released version (newest first) from ONE `git log` over all their tags."""
    targets = history_targets(tagset)
    if not targets:
        return []
    commits = parse_log(_git_log(Path(root), [t.sha for t in targets], no_merges=False))
    groups = assign(commits, targets)
    prevs = previous_tags(tagset)
    out: list[Notes] = []
    for t in reversed(targets):
        assert t.version is not None
        prev = prevs.get(t.version.base)
        out.append(
            make_notes(
                groups[t.name],
                t.version,
                t.name,
                prev.name if prev else None,
                date=_iso(t.date),
                github_repo=policy.github_repo,
                head=t.sha,
            )
        )
    return out


# ---- which release is next (for the draft) ---------------------------------------------------


def next_version_here(tagset: TagSet, policy: Policy, branch: str | None) -> Version:
    """The version the next release from `branch` would have (for `changelog.draft`)."""
    from release.core.version import final_of, next_minor, next_patch

    line = policy.line_of_branch(branch)
    if line is not None:
        if any(b.line == line for b in tagset.open_rc_bases()):
            return final_of(tagset, line).version
        if tagset.finals_of_line(line):
            return next_patch(tagset, line).version
    return next_minor(tagset).version


# ---- the changelog tasks' bodies ----------------------------------------------------------------


def _today(now: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(now, dt.timezone.utc).date().isoformat()


def draft_notes(
    path: str = ".", config: str | None = None, since: str | None = None, version: str | None = None
) -> Any:
    """Notes of the next release from the current branch (or of `version`); nothing is written."""
    from release.core.version import Version
    from release.session import open_session

    s = open_session(path, config)
    tags = s.state.tagset
    v = Version.parse(version) if version else next_version_here(tags, s.policy, s.state.branch)
    return release_notes(s.root, tags, v, s.policy, since=since, date=_today(s.now))


def update(
    version: str, path: str = ".", config: str | None = None, since: str | None = None
) -> tuple[bool, str]:
    """Insert VERSION's section into the policy's changelog file; (changed, file path)."""
    from release.adapters.files import contained, update_changelog
    from release.core.version import Version
    from release.session import open_session

    s = open_session(path, config)
    v = Version.parse(version)
    notes = release_notes(s.root, s.state.tagset, v, s.policy, since=since, date=_today(s.now))
    target = contained(s.root, s.policy.changelog, "[tool.release].changelog")
    return update_changelog(target, notes), str(target)
