"""Release lines, pure: which lines are supported, which may get a patch or a backport, and
which release type a version belongs to.

Supported lines are exactly "the newest `supported_lines` lines with a final, minus the lines
in `eol_lines`": declaring a line end of life never brings an older one back.
"""

from __future__ import annotations

from release.core.policy import Policy
from release.core.version import TagSet, Version, line_str, parse_line


def version_type(version: Version) -> str:
    """The release type a version belongs to: major (X.0.0), minor (X.Y.0) or patch."""
    if version.patch != 0:
        return "patch"
    return "major" if version.minor == 0 else "minor"


def release_type(version: Version, kind: str) -> str:
    """The type whose tests a release needs: patch/minor/major as asked; an rc or a final takes
    the type of its line."""
    return kind if kind in ("patch", "minor", "major") else version_type(version)


def supported_lines(tags: TagSet, policy: Policy) -> list[str]:
    """The newest `supported_lines` lines with a final, minus those declared end of life."""
    with_final = tags.final_lines()
    newest = (
        [line_str(x) for x in with_final[-policy.supported_lines :]]
        if policy.supported_lines
        else []
    )
    return [x for x in newest if x not in policy.eol_lines]


def _as_line(line: str | tuple[int, int]) -> tuple[int, int]:
    return line if isinstance(line, tuple) else parse_line(line)


def line_support(tags: TagSet, policy: Policy, line: str | tuple[int, int]) -> tuple[bool, str]:
    """May line X.Y get a patch release? (supported?, reason). Unsupported or EOL needs --force."""
    ln = _as_line(line)
    name = line_str(ln)
    supported = supported_lines(tags, policy)
    shown = ", ".join(reversed(supported)) or "none"
    if name in policy.eol_lines:
        return False, f"line {name} is end of life ([tool.release].eol_lines)"
    if not tags.finals_of_line(ln):
        return False, f"line {name} has no final release yet"
    if name not in supported:
        return False, (
            f"line {name} is not supported (the newest {policy.supported_lines} lines with a "
            f"final are: {shown})"
        )
    return True, f"line {name} is supported (supported lines: {shown})"


def backport_lines(tags: TagSet, policy: Policy) -> list[str]:
    """Lines that receive backports, ascending: supported lines plus lines under RC, minus EOL."""
    lines = {parse_line(x) for x in supported_lines(tags, policy)}
    lines |= {b.line for b in tags.open_rc_bases() if line_str(b.line) not in policy.eol_lines}
    return [line_str(x) for x in sorted(lines)]


def target_support(tags: TagSet, policy: Policy, line: str | tuple[int, int]) -> tuple[bool, str]:
    """May line X.Y receive a backport? (ok?, reason). A line under release candidates may."""
    ln = _as_line(line)
    name = line_str(ln)
    if name not in policy.eol_lines and any(b.line == ln for b in tags.open_rc_bases()):
        return True, f"line {name} is under release candidates"
    return line_support(tags, policy, ln)
