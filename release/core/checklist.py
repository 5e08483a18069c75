"""The seed's release checklist as data, and its status read from a journal (pure).

RELEASE_PROCESS.md asks the Release Owner, for each release, to:

    - [ ] Create release-specific thread in `#releases` Discord channel
    - [ ] Trigger release workflows
    - [ ] Generate release notes
    - [ ] Announce in `#announcements` Discord channel

Each item is proven by journal step(s) (the engine records every step it runs). An item is
*done* when one of its steps is verified (or, for posts, recorded as posted); *skipped* when
every one of its steps was skipped (the reason is the step's), or when none of them is part of
the release's plan (if the plan is known); else *pending*, with what the journal says. A person
can also tick an item by hand (`mark`): the journal keeps who said so and why.

What lets anyone check what the release published (github:release attaches it, release.verify
compares with it), from the journal alone:

- `sums_entries(facts)`: every artifact of a release and its hash (wheels and sdists of
  `build:*`, the npm tarball of `pack:*`, the image digests of `push:*`); `render_sums` writes
  them in `sha256sum` format, sorted by name (an image: `sha256:<digest>  <image>:<tag>`), and
  `parse_sums` reads such a file back;
- `sbom_name`, `dependency_closure`: a Python package's SBOM is named after its wheel
  (`<dist>-<version>.cdx.json`) and lists what its installed requirements pull in;
- `npm_provenance(env)`: `npm publish --provenance` only where an OIDC token can be had, i.e.
  GitHub Actions with `id-token: write` (`GITHUB_ACTIONS=true`, `ACTIONS_ID_TOKEN_REQUEST_URL`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    key: str
    text: str  # the seed's wording
    steps: tuple[str, ...]  # journal steps that prove it, in order of preference


ITEMS: tuple[Item, ...] = (
    Item("thread", "Create release-specific thread in #releases", ("notify:thread",)),
    Item("workflows", "Trigger release workflows", ("github:workflows",)),
    Item("notes", "Generate release notes", ("changelog", "github:release")),
    Item("announce", "Announce in #announcements", ("notify:announce",)),
)

DONE_STATUSES = ("verified", "posted")


def item(key: str) -> Item:
    for it in ITEMS:
        if it.key == key:
            return it
    raise KeyError(key)


def _done_detail(name: str, entry: dict[str, Any]) -> str:
    facts = entry.get("facts", {}) or {}
    bits = [name]
    if facts.get("channel"):
        bits.append(f"#{facts['channel']}")
    if facts.get("thread_name"):
        bits.append(f'thread "{facts["thread_name"]}"')
    if facts.get("message_id"):
        bits.append(f"message {facts['message_id']}")
    url = facts.get("html_url") or facts.get("url")
    if url:
        bits.append(str(url))
    when = facts.get("posted_on") or entry.get("finished", "")
    if when:
        bits.append(str(when)[:10])
    return " ".join(bits)


def item_status(
    it: Item,
    steps: dict[str, Any],
    marks: dict[str, Any] | None = None,
    planned: set[str] | None = None,
) -> dict[str, Any]:
    """{key, text, status: done|pending|skipped, detail, steps} for one item."""
    row: dict[str, Any] = {"key": it.key, "text": it.text, "steps": list(it.steps)}
    for name in it.steps:
        entry = steps.get(name) or {}
        if entry.get("status") in DONE_STATUSES:
            return {**row, "status": "done", "detail": _done_detail(name, entry), "by": name}
    mark = (marks or {}).get(it.key)
    if mark and mark.get("status") in ("done", "skipped"):
        who = f" by {mark['who']}" if mark.get("who") else ""
        note = mark.get("note", "")
        return {
            **row,
            "status": mark["status"],
            "detail": f"marked{who}: {note}".rstrip(": "),
            "by": "mark",
        }
    relevant = [n for n in it.steps if planned is None or n in planned]
    if not relevant:
        return {**row, "status": "skipped", "detail": "not part of this release's plan", "by": ""}
    entries = [(n, steps.get(n) or {}) for n in relevant]
    if all(e.get("status") == "skipped" for _, e in entries):
        reasons = "; ".join(
            dict.fromkeys(e.get("detail", "") for _, e in entries if e.get("detail"))
        )
        return {**row, "status": "skipped", "detail": reasons or "skipped", "by": relevant[0]}
    said = []
    for n, e in entries:
        st = e.get("status")
        if not st or st == "skipped":
            continue
        said.append(
            f"{n} {st}" + (f": {e['detail']}" if e.get("detail") and st != "verified" else "")
        )
    return {**row, "status": "pending", "detail": "; ".join(said) or "not run yet", "by": ""}


def checklist(
    journal_data: dict[str, Any], planned: set[str] | None = None
) -> list[dict[str, Any]]:
    """The status of every item from a journal's data (`Journal.data`)."""
    steps = journal_data.get("steps", {}) or {}
    marks = journal_data.get("checklist", {}) or {}
    if planned is None and isinstance(journal_data.get("plan"), list):
        planned = {str(n) for n in journal_data["plan"]}  # step names, when the engine records them
    return [item_status(it, steps, marks, planned) for it in ITEMS]


def summary(rows: list[dict[str, Any]]) -> str:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("done", "pending", "skipped")}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "empty"


def mark(
    journal_data: dict[str, Any], key: str, status: str, note: str, who: str, when: str
) -> dict[str, Any]:
    """The journal's `checklist` table with item `key` ticked by hand (returns a new dict)."""
    if status not in ("done", "skipped", "pending"):
        raise ValueError(f"status {status!r}: expected done, skipped or pending")
    item(key)  # KeyError for an unknown item
    marks = dict(journal_data.get("checklist", {}) or {})
    if status == "pending":
        marks.pop(key, None)
    else:
        marks[key] = {"status": status, "note": note, "who": who, "when": when}
    return marks


# ---- what lets anyone check a release (SHA256SUMS, SBOMs, npm provenance) ------------------

SUMS_NAME = "SHA256SUMS"
SBOM_SUFFIX = ".cdx.json"
SBOM_EXTRA = "pip install release-kit[sbom]"  # what a missing cyclonedx-python-lib asks for


def sums_entries(facts: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """{file name or image:tag: hash} of every artifact the journal records (step -> facts)."""
    out: dict[str, str] = {}
    for step, f in sorted(facts.items()):
        if step.startswith("build:"):
            for name, sha in (f.get("files") or {}).items():
                out[str(name)] = str(sha).lower()
        elif step.startswith("pack:"):
            if f.get("tarball") and f.get("sha256"):
                out[str(f["tarball"])] = str(f["sha256"]).lower()
        elif step.startswith("push:"):
            image = str(f.get("image") or "")
            digests = dict(f.get("digests") or {})
            for tag, digest in digests.items():
                if image and digest and tag != "latest":  # `latest` moves; version tags do not
                    out[f"{image}:{tag}"] = str(digest)
    return out


def render_sums(entries: Mapping[str, str]) -> str:
    """`sha256sum` format: `<hash>  <name>` per line, sorted by name ('' when there is none)."""
    return "".join(f"{entries[name]}  {name}\n" for name in sorted(entries))


def parse_sums(text: str) -> dict[str, str]:
    """{name: hash} of a `sha256sum` file (`*name`, the binary-mode marker, read as `name`)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = re.fullmatch(r"(\S+) [ *](.+)", line.rstrip("\r"))
        if m:
            out[m.group(2)] = m.group(1)
    return out


def sums_differences(want: Mapping[str, str], have: Mapping[str, str]) -> list[str]:
    """What a SHA256SUMS file (`have`) says differently from the journal (`want`), one per name."""
    out = []
    for name in sorted({*want, *have}):
        if name not in have:
            out.append(f"{name} missing")
        elif name not in want:
            out.append(f"{name} not an artifact of the release")
        elif have[name].lower() != want[name].lower():
            out.append(f"{name} has {have[name][:16]}, the journal {want[name][:16]}")
    return out


def wheel_dist(name: str) -> str:
    """A distribution name as wheel file names spell it (PEP 427: runs of -_. become _)."""
    return re.sub(r"[-_.]+", "_", name)


def sbom_name(project: str, version: str) -> str:
    """`<dist>-<version>.cdx.json`, the dist spelled as in the package's wheel name."""
    return f"{wheel_dist(project)}-{version}{SBOM_SUFFIX}"


def _normalize(name: str) -> str:
    """PEP 503 name normalisation (what makes `Foo.Bar` and `foo-bar` the same project)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    """The project a `Requires-Dist` line names; '' for one that only an extra pulls in."""
    name, _, marker = req.partition(";")
    if re.search(r"\bextra\s*==", marker):
        return ""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", name)
    return _normalize(m.group(1)) if m else ""


def dependency_closure(
    root: str, installed: Iterable[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], dict[str, list[str]]]:
    """What `root` pulls in among the installed distributions (each {name, version, requires}).

    Returns (the distributions reachable from root, root first, the rest by name; {normalised
    name: the normalised names it depends on, installed ones only}). An installer's own
    distributions (pip in a venv made with it) are left out unless something requires them."""
    by_name = {_normalize(str(d["name"])): d for d in installed}
    edges = {
        n: sorted({r for r in map(requirement_name, d.get("requires") or []) if r in by_name} - {n})
        for n, d in by_name.items()
    }
    start = _normalize(root)
    if start not in by_name:
        return [], {}
    seen = {start}
    todo = [start]
    while todo:
        for dep in edges[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    order = [start, *sorted(seen - {start})]
    return [by_name[n] for n in order], {n: edges[n] for n in order}


def npm_provenance(env: Mapping[str, str]) -> bool:
    """Publish with `--provenance`: in GitHub Actions with an OIDC token to ask for."""
    return env.get("GITHUB_ACTIONS", "") == "true" and bool(
        env.get("ACTIONS_ID_TOKEN_REQUEST_URL", "").strip()
    )
