"""Mergify backport rules: one rule per release line, kept in a marked block of the config file.

The block sits inside `pull_request_rules:` between two marker comments and is the only part of
the file this module ever writes: every other rule, comment, blank line and quoting style is kept
byte for byte (a text-block approach; a YAML round-trip would reflow hand-written rules). With
no block yet, it is appended at the end of the `pull_request_rules` list, indented like the rules
already there; with no list, one is added at the end of the file. Rendering is pure and stable,
so `sync` is idempotent and `check` is a plain comparison.

A rule (label `backport release-X.Y.x` -> Mergify's `backport` action to that branch)::

    - name: backport to release-0.4.x (release-kit)
      conditions:
        - base=main
        - "label=backport release-0.4.x"
      actions:
        backport:
          branches:
            - release-0.4.x
          title: "{{ title }} (backport #{{ number }})"
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from release.core.policy import Policy
from release.core.version import parse_line
from release.errors import ConfigError, ReleaseError

BEGIN = "# >>> release-kit backport rules: written by `invoke mergify.sync`, do not edit by hand"
END = "# <<< release-kit backport rules"
RULE_SUFFIX = "(release-kit)"
CANDIDATES = (".github/mergify.yml", ".mergify.yml", ".mergify/config.yml")

_TOP_KEY = re.compile(r"^[A-Za-z_][\w\-]*\s*:")
_PRR = re.compile(r"^pull_request_rules\s*:\s*(#.*)?$")
_PRR_INLINE = re.compile(r"^pull_request_rules\s*:\s*\S")


class MergifyDrift(ReleaseError):
    """The Mergify config does not hold the rules the supported lines call for."""

    exit_code = 1


def label_for(branch: str) -> str:
    return f"backport {branch}"


def rule_name(branch: str) -> str:
    return f"backport to {branch} {RULE_SUFFIX}"


def _q(text: str) -> str:
    """A YAML double-quoted scalar (always valid, whatever the text holds)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_rules(branches: list[str], main_branch: str = "main", indent: int = 0) -> list[str]:
    """The lines of the marked block (markers included) for these target branches."""
    p = " " * indent
    out = [p + BEGIN]
    if not branches:
        out.append(p + "# (no supported release line yet)")
    for br in branches:
        out += [
            f"{p}- name: {_q(rule_name(br))}",
            f"{p}  conditions:",
            f"{p}    - {_q('base=' + main_branch)}",
            f"{p}    - {_q('label=' + label_for(br))}",
            f"{p}  actions:",
            f"{p}    backport:",
            f"{p}      branches:",
            f"{p}        - {_q(br)}",
            f"{p}      title: {_q('{{ title }} (backport #{{ number }})')}",
        ]
    out.append(p + END)
    return out


def branches_for(lines: list[str], policy: Policy) -> list[str]:
    """Release branches of lines X.Y, newest first (the order rules are listed in)."""
    parsed = sorted({parse_line(x) for x in lines}, reverse=True)
    return [policy.branch_for(ln) for ln in parsed]


@dataclass
class _Span:
    start: int  # first line index of the block (the BEGIN marker)
    end: int  # index after the END marker
    indent: int


def _find_block(lines: list[str]) -> _Span | None:
    begins = [i for i, ln in enumerate(lines) if ln.strip() == BEGIN]
    ends = [i for i, ln in enumerate(lines) if ln.strip() == END]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise ConfigError(
            "the Mergify config has a broken release-kit block (markers missing, doubled or swapped)",
            f"keep exactly one '{BEGIN[:30]}...' and one '{END}' line, or delete both and re-run mergify.sync",
        )
    b = begins[0]
    return _Span(b, ends[0] + 1, len(lines[b]) - len(lines[b].lstrip(" ")))


def _is_comment_or_blank(line: str) -> bool:
    s = line.strip()
    return not s or s.startswith("#")


def sync_text(text: str, branches: list[str], main_branch: str = "main") -> str:
    """`text` (a Mergify config, possibly empty) with the marked block set to rules for `branches`."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    span = _find_block(lines)
    if span is not None:
        block = render_rules(branches, main_branch, span.indent)
        new = lines[: span.start] + block + lines[span.end :]
        return newline.join(new) + newline

    prr = [i for i, ln in enumerate(lines) if _PRR.match(ln)]
    if not prr:
        if any(_PRR_INLINE.match(ln) for ln in lines):
            raise ConfigError(
                "pull_request_rules in the Mergify config is written in flow style ([...])",
                "write it as a block list (one '- name:' per rule) and re-run mergify.sync",
            )
        # No list yet: add one at the end.
        head = lines[:]
        while head and not head[-1].strip():
            head.pop()
        sep = [""] if head else []
        new = head + sep + ["pull_request_rules:"] + render_rules(branches, main_branch, 0)
        return newline.join(new) + newline

    start = prr[0]
    # The list ends at the next top-level key (or the end of the file).
    stop = len(lines)
    for i in range(start + 1, len(lines)):
        if _TOP_KEY.match(lines[i]):
            stop = i
            break
    # Comments and blank lines just before the next key belong to it.
    insert = stop
    while insert > start + 1 and _is_comment_or_blank(lines[insert - 1]):
        insert -= 1
    items = [ln for ln in lines[start + 1 : insert] if ln.lstrip().startswith("- ")]
    indent = min((len(ln) - len(ln.lstrip(" ")) for ln in items), default=2)
    block = render_rules(branches, main_branch, indent)
    before = lines[:insert]
    sep = [""] if items else []
    after = lines[insert:]
    if after and after[0].strip():
        after = ["", *after]
    new = before + sep + block + after
    return newline.join(new) + newline


def config_path(root: str | os.PathLike[str], explicit: str | None = None) -> Path:
    """The Mergify config of a repository: an explicit path, the first existing candidate, or
    .github/mergify.yml."""
    base = Path(root)
    if explicit:
        p = Path(explicit)
        return p if p.is_absolute() else base / p
    for cand in CANDIDATES:
        if (base / cand).is_file():
            return base / cand
    return base / CANDIDATES[0]


def _validate(text: str, branches: list[str]) -> None:
    """Parse the result with PyYAML (a runtime dependency): the block must sit in pull_request_rules."""
    import yaml  # type: ignore[import-untyped]

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(
            f"the Mergify config would not be valid YAML after the update{where}",
            "fix the file by hand (the release-kit block must sit inside pull_request_rules) and re-run",
        ) from None
    rules = data.get("pull_request_rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        rules = []
    names = {r.get("name") for r in rules if isinstance(r, dict)}
    missing = [b for b in branches if rule_name(b) not in names]
    if missing:
        raise ConfigError(
            "the release-kit block is not inside pull_request_rules of the Mergify config",
            "move the two marker lines into the pull_request_rules list and re-run mergify.sync",
        )


@dataclass
class SyncResult:
    path: Path
    branches: list[str]
    changed: bool
    created: bool
    text: str


def plan_sync(path: Path, branches: list[str], main_branch: str = "main") -> SyncResult:
    """What `sync` would write (nothing is written)."""
    try:
        old = path.read_text(encoding="utf-8")
        created = False
    except FileNotFoundError:
        old, created = "", True
    new = sync_text(old, branches, main_branch)
    _validate(new, branches)
    return SyncResult(path, branches, new != old, created, new)


def sync(path: Path, branches: list[str], main_branch: str = "main") -> SyncResult:
    """Write the rules (only when they differ); idempotent."""
    res = plan_sync(path, branches, main_branch)
    if res.changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(res.text.encode("utf-8"))
        tmp.replace(path)
    return res


def check(path: Path, branches: list[str], main_branch: str = "main") -> SyncResult:
    """Raise MergifyDrift when the file is not what `sync` would write."""
    res = plan_sync(path, branches, main_branch)
    if res.changed:
        what = "does not exist" if res.created else "is out of date"
        raise MergifyDrift(
            f"{path.name} {what}: the backport rules should cover {', '.join(branches) or 'no line'}",
            "run `invoke mergify.sync` and commit the file",
        )
    return res


def rule_branches(text: str) -> list[str]:
    """Target branches of the rules currently in the marked block (for reporting)."""
    lines = text.splitlines()
    span = _find_block(lines)
    if span is None:
        return []
    out = []
    for ln in lines[span.start : span.end]:
        m = re.match(r'^\s*- name: "backport to (.+) \(release-kit\)"\s*$', ln)
        if m:
            out.append(m.group(1))
    return out
