"""Release notes and the changelog, pure: classify commits, pick ranges, render.

* **classify**: conventional-commit type/scope/`!`, `BREAKING CHANGE:` footers, PR numbers
  from squash-merge subjects `(#1234)`, Mergify backports `(backport #N) (#M)`, cherry-pick
  trailers `(cherry picked from commit <sha>)`, authors and `Co-authored-by:`. Unconventional
  subjects go to "Other", never dropped.
* **render**: one `Notes` value renders the CHANGELOG.md section (`.markdown`), the tag
  message (`.plain`), the GitHub release body (`.github_body`), a short announcement
  (`.announcement(url)`, under Discord's 2,000 characters) and JSON (`.to_json()`).
* **CHANGELOG.md text** (`insert_section`): keep-a-changelog layout with `## [Unreleased]`;
  idempotent; hand edits of existing sections are kept; text under Unreleased moves into the
  new section.

Range rules (`previous_tag`), all resolved through the `TagSet` (tag commit shas, no lookups):

* final X.Y.Z: since the previous final of the same line (X.Y.Z-1), RCs of X.Y.Z folded in;
  for X.Y.0 (no earlier final on its line): since the highest final below it (any line).
* RC X.Y.ZrcN: since the previous final (same rule, computed for X.Y.Z), so rc2 repeats rc1's
  entries and the final repeats them all once.
* patch X.Y.Z on release-X.Y.x: since X.Y.(Z-1) only; other lines never matter.

Duplicates are removed: a cherry-pick whose original is in the same range, and two commits of
the same original PR (a `-x` pick and a Mergify backport), give one entry, attributed to the
original PR with the backport PR noted.

GitHub enrichment (labels, logins, new contributors) is a seam: `enrich(notes, fetch)` takes a
callable that receives every PR number at once and returns what it knows; this module never
imports a GitHub client. The commits come from `release.adapters.gitlog` (one `git log`).
"""

from __future__ import annotations

import datetime as _dt
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from release.core.routing import GITHUB_WEB, github_web_url
from release.core.version import TagInfo, TagSet, Version

# ---- sections --------------------------------------------------------------------------------

SECTIONS: tuple[tuple[str, str], ...] = (
    ("breaking", "Breaking Changes"),
    ("feat", "Features"),
    ("fix", "Bug Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("docs", "Documentation"),
    ("refactor", "Refactoring"),
    ("test", "Tests"),
    ("build", "Build"),
    ("ci", "CI"),
    ("style", "Style"),
    ("chore", "Chores"),
    ("other", "Other"),
)

SECTION_TITLES = dict(SECTIONS)

SECTION_ORDER = {key: i for i, (key, _) in enumerate(SECTIONS)}

DEFAULT_HIDDEN = ("chore", "test", "ci")  # [tool.release.notes].hidden by default


def section_layout(config: Any = None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(key, title, types) of every section in order, from [tool.release.notes].sections
    (`config.sections`, NotesSection values); the built-in SECTIONS when none are configured.
    Custom sections are keyed by their first type; "other" is appended when no section lists it."""
    custom = list(getattr(config, "sections", None) or ())
    if not custom:
        return [(k, t, (k,)) for k, t in SECTIONS]
    out = [(sec.types[0], sec.title, tuple(sec.types)) for sec in custom]
    if not any("other" in types for _, _, types in out):
        out.append(("other", SECTION_TITLES["other"], ("other",)))
    return out


def _section_of(e: Entry, layout: list[tuple[str, str, tuple[str, ...]]]) -> str:
    """The key of the section an entry goes to under `layout`."""
    wanted = [e.section] if not e.breaking else ["breaking", e.type or "other"]
    for w in wanted:
        for key, _, types in layout:
            if w in types:
                return key
    return "other"


TYPE_ALIASES = {
    "feature": "feat",
    "features": "feat",
    "feat": "feat",
    "fix": "fix",
    "fixes": "fix",
    "bugfix": "fix",
    "hotfix": "fix",
    "perf": "perf",
    "revert": "revert",
    "docs": "docs",
    "doc": "docs",
    "refactor": "refactor",
    "test": "test",
    "tests": "test",
    "build": "build",
    "deps": "build",
    "ci": "ci",
    "style": "style",
    "chore": "chore",
}

_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:\s*(?P<desc>\S.*)$"
)

_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")

# Commits release-kit itself makes: `chore(release): vX.Y.Z` and `chore: open X.Y development`.
_BOOKKEEPING = re.compile(r"^chore\(release\): \S+$|^chore: open \d+\.\d+ development$")

_PICKED = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,40})\)")

_AUTO_BACKPORT = re.compile(r"automatic backport of pull request #(\d+)")

_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(.*(?:\n(?!\n).+)*)", re.M)

_COAUTHOR = re.compile(r"^Co-authored-by:\s*([^<\n]+?)\s*<", re.M | re.I)

_REVERT = re.compile(r'^Revert "(.+)"$')


class Commit(NamedTuple):
    """One commit as `git log` gave it (a NamedTuple: 20k of them are made per changelog)."""

    sha: str
    author: str
    email: str
    date: int
    subject: str
    body: str = ""
    parents: tuple[str, ...] = ()


@dataclass(slots=True)
class Entry:
    """One line of the notes: a change, attributed to its original PR."""

    section: str  # a key of SECTIONS
    description: str
    sha: str
    type: str | None = None
    scope: str | None = None
    pr: int | None = None  # the original PR (for a backport: the PR that was backported)
    backports: tuple[int, ...] = ()  # backport PR numbers folded into this entry
    picked_from: str | None = None  # the original commit of a cherry-pick
    breaking: bool = False
    breaking_note: str = ""
    authors: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # from enrichment
    subject: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "type": self.type,
            "scope": self.scope,
            "description": self.description,
            "pr": self.pr,
            "backports": list(self.backports),
            "sha": self.sha,
            "picked_from": self.picked_from,
            "breaking": self.breaking,
            "breaking_note": self.breaking_note,
            "authors": list(self.authors),
            "labels": list(self.labels),
            "subject": self.subject,
        }


def _pr_numbers(subject: str) -> tuple[str, int | None, tuple[int, ...]]:
    """Strip trailing `(#M)` / `(backport #N)` groups: (rest, original PR, backport PRs).

    The innermost number is the original PR: `fix: x (backport #12) (#34)` and `fix: x (#12) (#34)`
    are PR 12, backported in PR 34.
    """
    rest = subject
    plain: list[int] = []
    explicit: int | None = None
    while rest.endswith(")"):
        i = rest.rfind("(")
        inner = rest[i + 1 : -1]
        if inner[:1] == "#" and inner[1:].isdigit():
            plain.append(int(inner[1:]))
        elif inner[:10] == "backport #" and inner[10:].isdigit():
            explicit = int(inner[10:])
        else:
            break
        rest = rest[:i].rstrip()
    if explicit is not None:
        return rest, explicit, tuple(plain)
    if plain:
        return rest, plain[-1], tuple(plain[:-1])
    if rest[:19] == "Merge pull request ":
        m = _MERGE_PR.match(subject)
        if m:
            return rest, int(m.group(1)), ()
    return rest, None, ()


def classify(c: Commit) -> Entry:
    """Classify one commit (pure)."""
    subject = c.subject
    body = c.body
    rest, pr, backports = (
        _pr_numbers(subject)
        if subject[-1:] == ")" or subject[:6] == "Merge "
        else (subject, None, ())
    )
    picked_from = None
    authors: tuple[str, ...] = (c.author,) if c.author else ()
    note = ""
    body_breaking = False
    if body:
        if "cherry picked" in body:
            m = _PICKED.search(body)
            if m:
                picked_from = m.group(1)
        if pr is not None and "automatic backport" in body:
            m = _AUTO_BACKPORT.search(body)
            if m and int(m.group(1)) != pr:
                backports = (pr, *backports)
                pr = int(m.group(1))
        if "o-authored-by" in body:
            extra = [a for a in _COAUTHOR.findall(body) if a and a not in authors]
            authors = authors + tuple(dict.fromkeys(extra))
        if "BREAKING" in body:
            m = _BREAKING.search(body)
            if m:
                body_breaking = True
                note = " ".join(m.group(1).split())
    header = _HEADER.match(rest) if ":" in rest else None
    ctype = scope = None
    breaking = body_breaking
    desc = rest
    if header is not None:
        raw_type, raw_scope, bang, hdesc = header.groups()
        ctype = TYPE_ALIASES.get(raw_type) or TYPE_ALIASES.get(raw_type.lower())
        if ctype is not None:
            scope = raw_scope.strip() or None if raw_scope else None
            breaking = breaking or bang is not None
            desc = hdesc.rstrip()
    elif rest[:8] == 'Revert "' and _REVERT.match(rest):
        ctype = "revert"
    section = "breaking" if breaking else (ctype or "other")
    return Entry(
        section,
        desc or subject,
        c.sha,
        ctype,
        scope,
        pr,
        backports,
        picked_from,
        breaking,
        note,
        authors,
        (),
        subject,
    )


def entries_of(commits: Sequence[Commit]) -> list[Entry]:
    """Classify and de-duplicate the commits of one range (newest first in, newest first out).

    A cherry-pick whose original is in the same range is dropped; commits of the same original
    PR collapse into one entry (the oldest), which keeps the backport PR numbers of the others.
    """
    in_range = {c.sha for c in commits}
    kept: list[Entry] = []
    by_key: dict[int | str, Entry] = {}  # original PR number, else original commit sha
    for c in reversed(commits):  # oldest first: originals come before their picks
        if len(c.parents) > 1:
            continue  # merge commits carry no change of their own
        if _BOOKKEEPING.match(c.subject):
            continue  # the toolkit's own release commits and dev bumps are not changes
        e = classify(c)
        picked = e.picked_from
        if picked is not None and picked in in_range:
            continue
        key: int | str = e.pr if e.pr is not None else (picked or e.sha)
        first = by_key.get(key)
        if first is None:
            by_key[key] = e
            kept.append(e)
            continue
        extra = tuple(n for n in e.backports if n not in first.backports and n != first.pr)
        first.backports = first.backports + extra
        first.authors = first.authors + tuple(a for a in e.authors if a not in first.authors)
        if e.breaking and not first.breaking:
            first.breaking, first.breaking_note, first.section = True, e.breaking_note, "breaking"
    kept.reverse()
    return kept


# ---- range rules (pure) --------------------------------------------------------------------------


def _first_dates(tagset: TagSet) -> dict[Version, int]:
    """The date of the first tag (an RC or the final) of every version base, one pass."""
    out: dict[Version, int] = {}
    for t in (*tagset.rcs, *tagset.finals):
        if t.version is not None and t.date:
            b = t.version.base
            if b not in out or t.date < out[b]:
                out[b] = t.date
    return out


def _previous(
    tagset: TagSet, version: Version, first: Mapping[Version, int] | None
) -> TagInfo | None:
    found = tagset.previous_final(version)  # binary searches: same line, else any line
    if (
        first is None
        or found is None
        or found.version is None
        or found.version.line == version.line
    ):
        return found
    # X.Y.0: the final its line branched from, i.e. the highest final below it that existed
    # when its first tag was made; a later patch of an older line never moves a published range
    cutoff = first.get(version.base)
    if not cutoff:
        return found
    i = bisect_left(tagset.finals, version.base._key(), key=lambda t: t.version._key())  # type: ignore[union-attr]
    while i > 0:
        i -= 1
        t = tagset.finals[i]
        if not t.date or t.date <= cutoff:
            return t
    return None


def previous_tag(tagset: TagSet, version: Version, *, as_published: bool = False) -> TagInfo | None:
    """The tag a release's notes start from (see the module docstring for the rules): the
    previous final of the same line, else the highest final below (binary searches in the
    TagSet's sorted finals).

    `as_published=True` (what every command uses): for X.Y.0 the highest final below it that
    was tagged no later than X.Y.0's first tag (its rc1), i.e. the final its line branched from;
    a patch of an older line tagged later never moves a published range (v0.1.0...v0.2.0 stays
    so after 0.1.1). One pass over the tags for their dates, then a walk down from the binary
    search past the finals tagged later. Tags without a date are never skipped."""
    return _previous(tagset, version, _first_dates(tagset) if as_published else None)


# ---- notes -------------------------------------------------------------------------------------


def _iso(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).date().isoformat() if ts else ""


def _safe_mentions(text: str) -> str:
    """Defuse mass pings in text meant for chat (a subject saying @everyone must not ping)."""
    return text.replace("@everyone", "@\u200beveryone").replace("@here", "@\u200bhere")


@dataclass(frozen=True)
class Notes:
    """The release notes of one version, and every rendering of them."""

    version: Version
    tag: str
    previous_tag: str | None
    date: str
    entries: list[Entry] = field(default_factory=list)
    github_repo: str = ""
    override_reason: str | None = None
    new_contributors: tuple[tuple[str, int | None], ...] = ()  # (login, first PR), from enrichment
    head: str = ""  # the commit the notes end at
    github_url: str = GITHUB_WEB  # web host of the links (routing.github_web_url of github_api)
    config: Any = None  # [tool.release.notes] (policy.NotesConfig); None: the built-in layout
    changelog_body: str | None = None  # the CHANGELOG.md section body from changelog_template
    notes_body: str | None = None  # the release notes (GitHub body) from notes_template

    # ---- derived -------------------------------------------------------------------------
    @property
    def compare_url(self) -> str | None:
        if self.github_repo and self.previous_tag:
            return f"{self.github_url}/{self.github_repo}/compare/{self.previous_tag}...{self.tag}"
        return None

    def pr_url(self, n: int) -> str | None:
        return f"{self.github_url}/{self.github_repo}/pull/{n}" if self.github_repo else None

    def sections(self) -> list[tuple[str, str, list[Entry]]]:
        """(key, title, entries) in the configured order (`section_layout`), empty sections
        left out."""
        layout = section_layout(self.config)
        buckets: dict[str, list[Entry]] = {}
        for e in self.entries:
            buckets.setdefault(_section_of(e, layout), []).append(e)
        return [(k, t, buckets[k]) for k, t, _ in layout if k in buckets]

    @property
    def contributors(self) -> list[str]:
        return sorted({a for e in self.entries for a in e.authors}, key=str.lower)

    def counts(self) -> dict[str, int]:
        return {k: len(es) for k, _, es in self.sections()}

    # ---- renderings ----------------------------------------------------------------------
    def _refs(self, e: Entry, links: bool) -> str:
        parts: list[str] = []
        if e.pr is not None:
            url = self.pr_url(e.pr) if links else None
            parts.append(f"[#{e.pr}]({url})" if url else f"#{e.pr}")
        for n in e.backports:
            url = self.pr_url(n) if links else None
            parts.append(f"backport [#{n}]({url})" if url else f"backport #{n}")
        if not parts:
            parts.append(e.sha[:9])
        return f" ({', '.join(parts)})"

    def _line(self, e: Entry, markdown: bool, authors: bool = False) -> str:
        desc = e.description
        if e.scope:
            desc = f"**{e.scope}:** {desc}" if markdown else f"{e.scope}: {desc}"
        text = f"- {desc}{self._refs(e, markdown)}"
        if authors and e.authors:
            text += f" by {', '.join(e.authors)}"
        if e.breaking_note:
            text += f"\n  - {e.breaking_note}"
        return text

    def _override_line(self) -> str:
        return f"Released before the end of its testing window: {self.override_reason}"

    def body_markdown(self, level: int = 3, authors: bool = False) -> str:
        """The sections as Markdown, headings at `level`, without the version heading."""
        out: list[str] = []
        hashes = "#" * level
        if self.override_reason:
            out.append(f"> {self._override_line()}\n")
        secs = self.sections()
        if not secs:
            out.append("_No changes._\n")
        for _, title, entries in secs:
            out.append(f"{hashes} {title}\n")
            out.append("\n".join(self._line(e, True, authors) for e in entries) + "\n")
        if self.compare_url:
            out.append(
                f"**Full Changelog**: [{self.previous_tag}...{self.tag}]({self.compare_url})\n"
            )
        elif self.previous_tag:
            out.append(f"Changes since {self.previous_tag}.\n")
        return "\n".join(out)

    @property
    def heading(self) -> str:
        return f"## [{self.version}] - {self.date}" if self.date else f"## [{self.version}]"

    @property
    def markdown(self) -> str:
        """The CHANGELOG.md section: `## [X.Y.Z] - DATE` and the sections."""
        return f"{self.heading}\n\n{self.changelog_markdown()}"

    def changelog_markdown(self) -> str:
        """The body of the CHANGELOG.md section: changelog_template's text when configured."""
        if self.changelog_body is not None:
            return self.changelog_body.rstrip("\n") + "\n"
        return self.body_markdown(3)

    @property
    def plain(self) -> str:
        """The annotated tag message: plain text, no Markdown, no line starting with '#'."""
        out = [f"Release {self.version}" + (f" ({self.date})" if self.date else ""), ""]
        if self.override_reason:
            out += [self._override_line(), ""]
        secs = self.sections()
        if not secs:
            out += ["No changes.", ""]
        for _, title, entries in secs:
            out.append(f"{title}:")
            out += [self._line(e, False) for e in entries]
            out.append("")
        if self.previous_tag:
            out.append(f"Full changelog: {self.compare_url or f'{self.previous_tag}...{self.tag}'}")
        return "\n".join(out).rstrip() + "\n"

    @property
    def github_body(self) -> str:
        """The GitHub release body: sections with authors, contributors, compare link (or
        notes_template's text when configured)."""
        if self.notes_body is not None:
            return self.notes_body.rstrip("\n") + "\n"
        out = ["## What's Changed\n", self.body_markdown(3, authors=True).rstrip("\n") + "\n"]
        if self.new_contributors:
            out.append("## New Contributors\n")
            lines = []
            for login, first in self.new_contributors:
                where = ""
                if first is not None:
                    url = self.pr_url(first)
                    where = f" in [#{first}]({url})" if url else f" in #{first}"
                lines.append(f"- @{login} made their first contribution{where}")
            out.append("\n".join(lines) + "\n")
        names = self.contributors
        if names:
            out.append(f"**Contributors**: {', '.join(names)}\n")
        return "\n".join(out)

    def announcement(self, url: str, limit: int = 1900) -> str:
        """A short text for chat (Discord's limit is 2,000): counts, highlights, the link."""
        counts = self.counts()
        total = len(self.entries)
        since = f" since {self.previous_tag}" if self.previous_tag else ""
        summary = [f"{total} change{'s' if total != 1 else ''}{since}"]
        for key, label in (("breaking", "breaking"), ("feat", "features"), ("fix", "fixes")):
            if counts.get(key):
                summary.append(f"{counts[key]} {label}")
        head = [
            ", ".join(summary[:1])
            + (": " + ", ".join(summary[1:]) if len(summary) > 1 else "")
            + "."
        ]
        if self.override_reason:
            head.append(self._override_line())
        tail = f"Full release notes: {url}" if url else ""
        budget = min(limit, 1990) - len("\n".join(head)) - len(tail) - 4
        lines: list[str] = []
        shown = 0
        picks = [e for e in self.entries if e.section == "breaking"] + [
            e for e in self.entries if e.section == "feat"
        ]
        for title, group, most in (
            ("Breaking changes:", [e for e in picks if e.section == "breaking"], 8),
            ("Highlights:", [e for e in picks if e.section == "feat"], 10),
        ):
            if not group:
                continue
            block = [title]
            for e in group[:most]:
                line = self._line(e, False).split("\n")[0]
                line = line if len(line) <= 200 else line[:199] + "…"
                if len("\n".join(lines + block + [line])) > budget - 30:
                    break
                block.append(line)
                shown += 1
            if len(block) > 1:
                lines += block
        rest = total - shown
        if shown and rest > 0:
            lines.append(f"…and {rest} more.")
        text = "\n".join(head + (["", *lines] if lines else []) + (["", tail] if tail else []))
        return _safe_mentions(text)[: min(limit, 1999)]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": str(self.version),
            "tag": self.tag,
            "previous_tag": self.previous_tag,
            "date": self.date,
            "head": self.head,
            "compare_url": self.compare_url,
            "override_reason": self.override_reason,
            "counts": self.counts(),
            "sections": [
                {"key": k, "title": t, "entries": [e.to_json() for e in es]}
                for k, t, es in self.sections()
            ],
            "contributors": self.contributors,
            "new_contributors": [{"login": login, "pr": pr} for login, pr in self.new_contributors],
            "markdown": self.markdown,
        }


def make_notes(
    commits: Sequence[Commit],
    version: Version,
    tag: str,
    previous: str | None,
    *,
    date: str = "",
    github_repo: str = "",
    override_reason: str | None = None,
    head: str = "",
    github_api: str = "",
    config: Any = None,
) -> Notes:
    """Notes from already collected commits (pure); links go to the web host of `github_api`
    ([tool.release].github_api; empty: github.com). `config` is [tool.release.notes]: its
    hidden types are left out (never a breaking change), its sections order the rest."""
    hidden = set(getattr(config, "hidden", DEFAULT_HIDDEN))
    return Notes(
        version=version,
        tag=tag,
        previous_tag=previous,
        date=date,
        entries=[e for e in entries_of(commits) if e.breaking or e.section not in hidden],
        config=config,
        github_repo=github_repo,
        override_reason=override_reason,
        head=head,
        github_url=github_web_url(github_api) if github_api else GITHUB_WEB,
    )


# ---- optional GitHub enrichment (seam) ------------------------------------------------------

PrFacts = Mapping[str, Any]  # {"labels": [...], "login": str, "first_contribution": bool}

LABEL_SECTIONS = {
    "breaking": "breaking",
    "breaking-change": "breaking",
    "bug": "fix",
    "enhancement": "feat",
    "feature": "feat",
    "documentation": "docs",
    "performance": "perf",
}


def enrich(
    notes: Notes,
    fetch: Callable[[list[int]], Mapping[int, PrFacts]],
    logins: Mapping[str, str] | None = None,
) -> Notes:
    """Add PR labels, GitHub handles and new contributors from one batch call
    (`fetch(all_pr_numbers)`) and `logins` (a git author name -> its GitHub login).

    `fetch` is given every PR number at once and must use a bounded number of API calls (e.g.
    one GraphQL query per 100 PRs); missing PRs are simply left as they are. A label listed in
    `LABEL_SECTIONS` moves an *unconventional* entry into that section, and a label of
    `breaking_labels` marks any entry as breaking. Authors become `@login` where GitHub knows
    them (a commit's author or co-author, else the PR's author for its first author); a name
    GitHub does not know stays as git has it.
    """
    prs = sorted({e.pr for e in notes.entries if e.pr is not None})
    facts = (fetch(prs) or {}) if prs else {}
    names = dict(logins or {})
    entries: list[Entry] = []
    newcomers: dict[str, int | None] = {}
    marks = {
        x.lower() for x in getattr(notes.config, "breaking_labels", ("breaking", "breaking-change"))
    }
    for e in notes.entries:
        f = facts.get(e.pr) if e.pr is not None else None
        e2 = replace(e, authors=_handles(e.authors, names, (f or {}).get("login")))
        if not f:
            entries.append(e2)
            continue
        labels = tuple(str(x) for x in f.get("labels", ()))
        e2.labels = labels
        lowered = {x.lower() for x in labels}
        if lowered & marks:
            e2.breaking, e2.section = True, "breaking"
        elif e.section == "other":
            for lab in labels:
                if lab.lower() in LABEL_SECTIONS:
                    e2.section = LABEL_SECTIONS[lab.lower()]
                    break
        login = f.get("login")
        if login and f.get("first_contribution"):
            newcomers.setdefault(str(login), e.pr)
        entries.append(e2)
    return replace(notes, entries=entries, new_contributors=tuple(newcomers.items()))


def _handles(authors: tuple[str, ...], logins: Mapping[str, str], pr_login: Any) -> tuple[str, ...]:
    """`authors` with each name GitHub knows as `@login` (once each, in order)."""
    out: list[str] = []
    for i, name in enumerate(authors):
        login = logins.get(name) or (str(pr_login) if i == 0 and pr_login else "")
        shown = f"@{login}" if login else name
        if shown not in out:
            out.append(shown)
    return tuple(out)


# ---- the whole history (one git log over every tag) ------------------------------------------


def history_targets(tagset: TagSet) -> list[TagInfo]:
    """The tags that get a section, ascending: every final, plus the last RC of an open version.

    (Same rule as `TagSet.open_rc_bases`, one pass over the counted RCs.)
    """
    targets = [t for t in tagset.finals if t.sha]
    finals = {t.version for t in tagset.finals}
    last_rc: dict[Version, TagInfo] = {}
    for t in tagset.counted_rcs():  # sorted by version: the last one wins
        v = t.version
        if v is not None and t.sha and v.patch == 0 and v.base not in finals:
            last_rc[v.base] = t
    targets += last_rc.values()
    targets.sort(key=lambda t: t.version._key())  # type: ignore[union-attr]
    return targets


def previous_tags(tagset: TagSet, *, as_published: bool = False) -> dict[Version, TagInfo | None]:
    """`previous_tag` for every final and counted RC base at once (pure; the first-tag dates
    are read in one pass, each lookup is a binary search)."""
    bases = {t.version.base for t in tagset.rcs if t.version is not None}
    bases |= {t.version for t in tagset.finals if t.version is not None}
    first = _first_dates(tagset) if as_published else None
    return {q: _previous(tagset, q, first) for q in bases}


def assign(commits: Sequence[Commit], targets: Sequence[TagInfo]) -> dict[str, list[Commit]]:
    """Give each commit to the lowest version whose tag reaches it (pure; targets ascending)."""
    by_sha = {c.sha: c for c in commits}
    owner: dict[str, str] = {}
    for t in targets:
        stack = [t.sha]
        while stack:
            sha = stack.pop()
            if sha in owner:
                continue
            c = by_sha.get(sha)
            if c is None:
                continue
            owner[sha] = t.name
            stack.extend(c.parents)
    groups: dict[str, list[Commit]] = {t.name: [] for t in targets}
    for c in commits:  # keeps git log order (newest first) inside each group
        name = owner.get(c.sha)
        if name is not None:
            groups[name].append(c)
    return groups


CHANGELOG_TITLE = "# Changelog"

CHANGELOG_INTRO = (
    "All notable changes to this project are documented in this file.\n\n"
    "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n"
    "and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).\n"
)


def render_changelog(notes: Iterable[Notes], unreleased: Notes | None = None) -> str:
    """A whole CHANGELOG.md (keep-a-changelog layout) from notes, newest first (pure); the
    `unreleased` notes (what the current branch holds past every release) under [Unreleased]."""
    head = f"{CHANGELOG_TITLE}\n\n{CHANGELOG_INTRO}\n## [Unreleased]\n"
    if unreleased is not None and unreleased.entries:
        head += "\n" + unreleased.body_markdown(3)
    parts = [head]
    parts += [n.markdown for n in notes]
    return "\n".join(parts)


def unreleased_commits(
    commits: Sequence[Commit], released: Iterable[Sequence[Commit]]
) -> list[Commit]:
    """The commits of the current branch that no release holds, minus the changes a release
    already holds as a cherry-pick or backport (same original PR, or picked from them)."""
    prs: set[int] = set()
    shas: set[str] = set()
    for group in released:
        for e in entries_of(group):
            if e.pr is not None:
                prs.add(e.pr)
                prs.update(e.backports)
            shas.add(e.sha)
            if e.picked_from:
                shas.add(e.picked_from)
    out = []
    for c in commits:
        if c.sha in shas:
            continue
        e = classify(c)
        if e.pr is not None and e.pr in prs:
            continue
        out.append(c)
    return out


# ---- CHANGELOG.md ---------------------------------------------------------------------------------

_UNRELEASED = re.compile(r"^##[ \t]+\[?unreleased\]?[^\n]*\n?", re.M | re.I)

_ANY_H2 = re.compile(r"^##[ \t]", re.M)

_LINKDEF_UNRELEASED = re.compile(r"^\[unreleased\]:[ \t]*(\S+)[^\n]*$", re.M | re.I)


def _version_heading(version: Version | str) -> re.Pattern[str]:
    text = str(version).lstrip("vV")
    return re.compile(rf"^##[ \t]+\[?v?{re.escape(text)}\]?(?=[\s(-]|$)", re.M)


def changelog_text_has(text: str, version: Version | str) -> bool:
    return _version_heading(version).search(text) is not None


def insert_section(text: str, notes: Notes) -> str:
    """The CHANGELOG text with the notes' section inserted (pure; unchanged when present).

    * The section goes right below `## [Unreleased]` (created under the title when missing).
    * Hand-written text under Unreleased moves into the new section, above the generated lists.
    * Other sections are never touched; a `[unreleased]: ...compare/A...HEAD` link definition,
      when the file uses them, is moved on to the new tag and the version's link is added.
    """
    if changelog_text_has(text, notes.version):
        return text
    folded = ""
    if notes.version.rc is None:
        text, folded = _drop_rc_sections(text, notes.version)
    if not text.strip():
        text = f"{CHANGELOG_TITLE}\n\n{CHANGELOG_INTRO}"
    m = _UNRELEASED.search(text)
    if m is None:
        first = _ANY_H2.search(text)
        at = first.start() if first else len(text)
        before = text[:at].rstrip("\n")
        text = (before + "\n\n" if before else "") + "## [Unreleased]\n\n" + text[at:].lstrip("\n")
        m = _UNRELEASED.search(text)
        assert m is not None
    head_end = m.end()
    if text[head_end - 1 : head_end] != "\n":
        text = text[:head_end] + "\n" + text[head_end:]
        head_end += 1
    nxt = _ANY_H2.search(text, head_end)
    link_defs = _LINKDEF_UNRELEASED.search(text, head_end)
    body_end = nxt.start() if nxt else (link_defs.start() if link_defs else len(text))
    hand = text[head_end:body_end].strip("\n")
    section = notes.heading + "\n\n"
    if _has_content(hand):
        section += hand.rstrip() + "\n\n"
        keep = ""
    else:  # nothing written, or only an empty template (### Added / ### Fixed): it stays
        keep = hand.rstrip() + "\n\n" if hand.strip() else ""
    if folded:
        section += folded.rstrip() + "\n\n"
    section += notes.changelog_markdown()
    rest = text[body_end:]
    new = (
        text[:head_end]
        + "\n"
        + keep
        + section.rstrip("\n")
        + "\n"
        + ("\n" + rest if rest.strip() else "")
    )
    if link_defs and notes.compare_url:
        new = _move_links(new, notes)
    return new if new.endswith("\n") else new + "\n"


_GENERATED_START = re.compile(
    r"^(?:#{3,}[ \t]|_No changes\._|\*\*Full Changelog\*\*|Changes since |> Released before )",
    re.M,
)


def _drop_rc_sections(text: str, final: Version) -> tuple[str, str]:
    """Remove the sections (and `[X.Y.ZrcN]: ...` link definitions) of `final`'s RCs; the
    final's section lists every change of them once. Hand-written text of an RC section (what
    stands above its generated lists) is returned, oldest RC first, to fold into the final's."""
    v = re.escape(str(final.base).lstrip("vV"))
    head = re.compile(rf"^##[ \t]+\[?v?{v}-?rc\.?\d+\]?(?=[\s(-]|$)[^\n]*\n?", re.M)
    hands: list[str] = []
    while True:
        m = head.search(text)
        if m is None:
            break
        nxt = _ANY_H2.search(text, m.end())
        defs = re.compile(r"^\[[^\]\n]+\]:[ \t]", re.M).search(text, m.end())
        end = nxt.start() if nxt else len(text)
        if defs and defs.start() < end:
            end = defs.start()
        body = text[m.end() : end]
        g = _GENERATED_START.search(body)
        hand = (body[: g.start()] if g else body).strip("\n")
        if _has_content(hand) and hand not in hands:
            hands.append(hand.rstrip())
        text = text[: m.start()] + text[end:]
    text = re.sub(rf"^\[v?{v}-?rc\.?\d+\]:[^\n]*\n?", "", text, flags=re.M | re.I)
    return text, "\n\n".join(reversed(hands))


def _has_content(text: str) -> bool:
    """True when text has something besides headings, blank lines and HTML comments."""
    for line in text.splitlines():
        t = line.strip()
        if t and not t.startswith("#") and not (t.startswith("<!--") and t.endswith("-->")):
            return True
    return False


def _move_links(text: str, notes: Notes) -> str:
    m = _LINKDEF_UNRELEASED.search(text)
    if m is None or notes.compare_url is None:
        return text
    base = notes.compare_url.rsplit("/compare/", 1)[0]
    unreleased = f"[unreleased]: {base}/compare/{notes.tag}...HEAD"
    own = f"[{notes.version}]: {notes.compare_url}"
    label = text[m.start() + 1 : m.start() + 11]  # keep the file's spelling of "unreleased"
    unreleased = f"[{label}]" + unreleased[len("[unreleased]") :]
    return text[: m.start()] + unreleased + "\n" + own + text[m.end() :]


# ---- a released section on another branch (main's CHANGELOG.md) ------------------------------

_H2_VERSION = re.compile(r"^##[ \t]+\[?v?([0-9][^\]\s]*)\]?", re.M)
_LINKDEF = re.compile(r"^\[([^\]]+)\]:[ \t]*\S+[^\n]*$", re.M)


def released_section(text: str, version: Version | str) -> str | None:
    """The `## [version]` section of a CHANGELOG text exactly as written (heading to the next
    `## ` heading or the link definitions), or None."""
    m = _version_heading(version).search(text)
    if m is None:
        return None
    start = m.start()
    ends = [len(text)]
    nxt = _ANY_H2.search(text, m.end())
    if nxt:
        ends.append(nxt.start())
    defs = _LINKDEF.search(text, m.end())
    if defs:
        ends.append(defs.start())
    return text[start : min(ends)].rstrip("\n") + "\n"


def _drop_released_notes(target: str, section: str) -> str:
    """Main's [Unreleased] without the list items the released section holds (notes written on
    main before the line was cut went out with that release); headings and other text stay."""
    m = _UNRELEASED.search(target)
    if m is None:
        return target
    nxt = _ANY_H2.search(target, m.end())
    defs = _LINKDEF.search(target, m.end())
    end = min(x.start() for x in (nxt, defs) if x is not None) if (nxt or defs) else len(target)
    released = {ln.strip() for ln in section.splitlines() if ln.strip()[:2] in ("- ", "* ")}
    block = target[m.end() : end]
    kept = [ln for ln in block.split("\n") if ln.strip() not in released or not ln.strip()]
    if len(kept) == len(block.split("\n")):
        return target
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept))
    return target[: m.end()] + text + target[end:]


def port_section(target: str, source: str, version: Version) -> str:
    """`target` (main's CHANGELOG.md) with the `version` section of `source` (the released one,
    as published) inserted where its version sorts among target's sections: below
    `[Unreleased]` and any newer version, above the older ones (pure; unchanged when target has
    it already or source has none). Other sections and their order stay; a list item under
    [Unreleased] that the section holds goes (it was released); the version's link definition
    is copied when both files use them."""
    if changelog_text_has(target, version):
        return target
    section = released_section(source, version)
    if section is None:
        return target
    if not target.strip():
        target = f"{CHANGELOG_TITLE}\n\n{CHANGELOG_INTRO}\n## [Unreleased]\n"
    target = _drop_released_notes(target, section)
    at = None
    for m in _H2_VERSION.finditer(target):
        try:
            other = Version.parse(m.group(1))
        except ValueError:
            continue
        if other._key() < version._key():
            at = m.start()
            break
    if at is None:  # older than every section: last, above the link definitions
        heads = list(_ANY_H2.finditer(target))
        defs = _LINKDEF.search(target, heads[-1].end() if heads else 0)
        at = defs.start() if defs else len(target)
    before = target[:at].rstrip("\n")
    after = target[at:].lstrip("\n")
    out = before + "\n\n" + section + ("\n" + after if after else "")
    link = re.search(rf"^\[v?{re.escape(str(version))}\]:[^\n]*$", source, re.M)
    if (
        link
        and _LINKDEF.search(out)
        and not re.search(rf"^\[v?{re.escape(str(version))}\]:", out, re.M)
    ):
        out = out.rstrip("\n") + "\n" + link.group(0) + "\n"
    return out if out.endswith("\n") else out + "\n"
