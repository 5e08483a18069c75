"""Release notes and CHANGELOG.md of a repository: read the commits (`adapters.gitlog`), render
them (`core.notes`), write CHANGELOG.md.

The range end is the version's own tag when it exists (stable notes when a release resumes),
else `rev`. `history` renders every released version from one `git log` over all their tags.
"""

from __future__ import annotations

from collections.abc import Callable
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
    unreleased_commits,
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
    enrich_with: Callable[[Notes], Notes] | None = None,
) -> Notes:
    """Notes of `version`: the range from its previous tag (or `since`) to its tag or `rev`;
    `enrich_with` adds what GitHub knows (handles, PR labels) before the templates render."""
    tag = version.tag(policy.tag_pattern)
    prev = _resolve(tagset, since) if since else previous_tag(tagset, version, as_published=True)
    own = tagset.by_name.get(tag)
    end = own.sha if own is not None and own.sha else rev
    commits = collect(Path(root), prev.sha if prev else None, end)
    if date is None:
        date = (
            _iso(own.date)
            if own is not None and own.date
            else (_iso(commits[0].date) if commits else "")
        )
    notes = make_notes(
        commits,
        version,
        tag,
        prev.name if prev else None,
        date=date,
        github_repo=policy.github_repo,
        github_api=policy.github_api,
        override_reason=override_reason,
        head=end,
        config=policy.notes,
    )
    if enrich_with is not None:
        notes = enrich_with(notes)
    return with_templates(notes, read_templates(root, policy))


def history(root: Path, tagset: TagSet, policy: Policy) -> list[Notes]:
    """Notes of every released version (newest first) from ONE `git log` over all their tags."""
    return full_history(root, tagset, policy, rev=None)[0]


def full_history(
    root: Path, tagset: TagSet, policy: Policy, *, rev: str | None = "HEAD", date: str = ""
) -> tuple[list[Notes], Notes | None]:
    """(notes of every released version, newest first; the notes of what `rev` holds past
    every release, or None) from ONE `git log` over all the tags and `rev`."""
    targets = history_targets(tagset)
    head = None
    if rev is not None:
        from release.adapters.runner import run

        argv = ["git", "rev-parse", "--verify", "-q", f"{rev}^{{commit}}"]
        sha = run(argv, cwd=Path(root), check=False).stdout.strip()
        head = TagInfo("[Unreleased]", "head", None, "", 0, sha) if sha else None
    if not targets and head is None:
        return [], None
    revs = [t.sha for t in targets] + ([head.sha] if head is not None else [])
    commits = parse_log(_git_log(Path(root), revs, no_merges=False))
    groups = assign(commits, [*targets, *([head] if head is not None else [])])
    unreleased = None
    if head is not None:
        pending = unreleased_commits(groups[head.name], [groups[t.name] for t in targets])
        version = next_version_here(tagset, policy, None) if targets else Version(0, 1, 0)
        unreleased = make_notes(
            pending,
            version,
            "HEAD",
            None,
            date=date,
            github_repo=policy.github_repo,
            github_api=policy.github_api,
            head=head.sha,
            config=policy.notes,
        )
    prevs = previous_tags(tagset, as_published=True)
    templates = read_templates(root, policy)
    out: list[Notes] = []
    for t in reversed(targets):
        assert t.version is not None
        prev = prevs.get(t.version.base)
        out.append(
            with_templates(
                make_notes(
                    groups[t.name],
                    t.version,
                    t.name,
                    prev.name if prev else None,
                    date=_iso(t.date),
                    github_repo=policy.github_repo,
                    github_api=policy.github_api,
                    head=t.sha,
                    config=policy.notes,
                ),
                templates,
            )
        )
    return out, unreleased


# ---- Jinja2 templates ([tool.release.notes] notes_template / changelog_template) ----------------


def read_templates(root: Path, policy: Policy) -> tuple[str | None, str | None]:
    """The texts of the configured templates (notes, changelog); None where none is set."""
    from release.adapters.files import contained

    out: list[str | None] = []
    for key in ("notes_template", "changelog_template"):
        rel = getattr(policy.notes, key)
        if not rel:
            out.append(None)
            continue
        where = f"[tool.release].notes.{key}"
        path = contained(Path(root), rel, where)
        try:
            out.append(path.read_text(encoding="utf-8"))
        except OSError as exc:
            from release.errors import ConfigError

            raise ConfigError(
                f"{where} = {rel!r} cannot be read: {exc.strerror or exc}",
                "point it at a Jinja2 template file in the repository",
            ) from exc
    return out[0], out[1]


def template_context(notes: Notes) -> dict[str, Any]:
    """What a template sees: plain data (strings, numbers, lists, dicts), never the objects."""

    def entry(e: Any) -> dict[str, Any]:
        return {
            **e.to_json(),
            "line": notes._line(e, True),
            "line_with_authors": notes._line(e, True, authors=True),
            "pr_url": notes.pr_url(e.pr) if e.pr is not None else None,
        }

    sections: list[dict[str, Any]] = [
        {"key": k, "title": t, "entries": [entry(e) for e in es]} for k, t, es in notes.sections()
    ]
    entries: list[dict[str, Any]] = [e for sec in sections for e in sec["entries"]]
    return {
        "version": str(notes.version),
        "tag": notes.tag,
        "previous_tag": notes.previous_tag,
        "date": notes.date,
        "compare_url": notes.compare_url,
        "override_reason": notes.override_reason,
        "sections": sections,
        "entries": entries,
        "breaking": [e for e in entries if e["breaking"]],
        "highlights": [e for e in entries if e["type"] == "feat" and not e["breaking"]],
        "contributors": notes.contributors,
        "new_contributors": [{"login": a, "pr": n} for a, n in notes.new_contributors],
        "counts": notes.counts(),
        "body": notes.body_markdown(3),  # the built-in CHANGELOG.md body
        "github_body": notes.github_body,  # the built-in release notes
    }


def render_template(text: str, notes: Notes, what: str = "template") -> str:
    """Render a Jinja2 template in a sandbox (no attribute tricks, no imports), autoescape
    off (Markdown); a template error is a ConfigError naming `what`."""
    from release.errors import ConfigError

    try:
        import jinja2
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError as exc:  # pragma: no cover
        raise ConfigError(
            f"{what} needs Jinja2, which is not installed", "pip install 'jinja2>=3.1'"
        ) from exc
    env = SandboxedEnvironment(
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    try:
        return env.from_string(text).render(template_context(notes))
    except jinja2.TemplateError as exc:
        raise ConfigError(
            f"{what} failed: {type(exc).__name__}: {exc}",
            "fix the template (docs/changelog.md lists what a template sees)",
        ) from exc


def with_templates(notes: Notes, templates: tuple[str | None, str | None]) -> Notes:
    """The notes with the configured templates' renderings (unchanged when none is set)."""
    from dataclasses import replace

    notes_t, changelog_t = templates
    if notes_t is None and changelog_t is None:
        return notes
    return replace(
        notes,
        notes_body=(
            render_template(notes_t, notes, "[tool.release].notes.notes_template")
            if notes_t is not None
            else None
        ),
        changelog_body=(
            render_template(changelog_t, notes, "[tool.release].notes.changelog_template")
            if changelog_t is not None
            else None
        ),
    )


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
    if not s.policy.changelog:
        from release.errors import ConfigError

        raise ConfigError(
            'no changelog file: [tool.release].changelog = "" turns it off',
            'set changelog = "CHANGELOG.md" to keep one; changelog.draft prints the notes',
        )
    v = Version.parse(version)
    notes = release_notes(s.root, s.state.tagset, v, s.policy, since=since, date=_today(s.now))
    target = contained(s.root, s.policy.changelog, "[tool.release].changelog")
    return update_changelog(target, notes), str(target)


def full_changelog(
    path: str = ".", config: str | None = None
) -> tuple[list[Notes], Notes | None, str]:
    """`changelog.full`: every release's notes, the unreleased notes of the current branch, and
    the whole CHANGELOG.md text rendered from them (nothing is written)."""
    from release.core.notes import render_changelog
    from release.session import open_session

    s = open_session(path, config)
    releases, unreleased = full_history(s.root, s.state.tagset, s.policy, date=_today(s.now))
    return releases, unreleased, render_changelog(releases, unreleased)
