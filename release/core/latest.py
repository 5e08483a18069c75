"""The `latest` policy, pure: which release may be called latest, and what that means on each
channel (npm dist-tag, Docker tag, GitHub's "make latest" flag).

Only a final that is the highest final across every line is latest. An RC never is (npm tag
`rc`, no Docker `latest`, a GitHub pre-release); a final of an older line gets the npm tag
`release-X.Y` so that `latest` never moves backwards.

Once a final is out, the `rc` dist-tag of its line is retired (`rc_tag_after_final`): removed,
moved to the final, or kept, as `[tool.release].npm_rc_tag_after_final` says; never when it holds
an RC of another line, or a later RC of the same line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from release.core.version import TagSet, Version, from_npm

LATEST = "latest"
RC_TAG = "rc"


def is_latest(version: Version, tags: TagSet) -> bool:
    """True only for a final that is, or will be, the highest final across every line."""
    if version.is_rc:
        return False
    top = tags.highest_final()
    return top is None or version >= top


def npm_dist_tag(version: Version, latest: bool) -> str:
    """The dist-tag a publish moves: `rc` for RCs, `latest` only for the highest final,
    `release-X.Y` for a final of an older line."""
    if version.is_rc:
        return RC_TAG
    if latest:
        return LATEST
    return f"release-{version.major}.{version.minor}"


def docker_tags(version: Version, latest: bool) -> list[str]:
    """`X.Y.Z` or `X.Y.ZrcN`, plus `latest` only for the highest final (never for an RC)."""
    tags = [version.docker_tag()]
    if latest and not version.is_rc:
        tags.append(LATEST)
    return tags


def github_make_latest(version: Version, latest: bool) -> bool:
    """GitHub's "make latest" flag: the highest final only (RCs are pre-releases)."""
    return latest and not version.is_rc


def moved_on(tag: str, held: Version | None, ours: Version) -> bool:
    """Has tag `tag` (npm dist-tag or Docker `latest`) legitimately moved past our release?

    A higher version of the same kind (a later RC for `rc`, a higher final for `latest`, a later
    patch of the same line for `release-X.Y`) may hold it; so may a final for `rc` (moved there by
    `npm_rc_tag_after_final = "move"`); anything else means ours is missing."""
    if held is None or not held > ours:
        return False
    if tag == RC_TAG:
        return True  # a later RC, or the final it was moved to
    same_kind = not held.is_rc
    if tag.startswith("release-"):
        same_kind = same_kind and held.line == ours.line
    return same_kind


def rc_retired(tag: str, held: Version | None, ours: Version, published: Iterable[Version]) -> bool:
    """Is tag `rc`, no longer on our RC, legitimately retired because a final of our RC's line
    above it is published (`rc_tag_after_final` removed it, or moved it to that final)?"""
    if tag != RC_TAG or not ours.is_rc or (held is not None and held.is_rc):
        return False
    return any(not v.is_rc and v.line == ours.line and v > ours for v in published)


@dataclass(frozen=True)
class TagChange:
    """What to do with a dist-tag: remove it, or move it to `to`."""

    tag: str
    action: str  # "remove" | "move"
    held: str  # the version the tag holds now (npm's text)
    to: str = ""  # the version it moves to ("move")

    def describe(self) -> str:
        if self.action == "move":
            return f"dist-tag {self.tag} {self.held} -> {self.to}"
        return f"dist-tag {self.tag} -> {self.held} removed"


def rc_tag_after_final(version: Version, tags: Mapping[str, str], mode: str) -> TagChange | None:
    """After the npm publish of final `version`: the change to the RC dist-tag, or None.

    Only a final touches it, only when `mode` is "remove" or "move", and only when the tag holds
    an RC of the final's own line that is older than the final (`0.4.0-rc.2` for `0.4.0` or a
    later patch of 0.4): another line's RC, a later RC and anything that is not one of our
    versions keep it. None once done (removed, or on the final): a re-run changes nothing."""
    if version.is_rc or mode not in ("remove", "move"):
        return None
    # whatever tag RCs are published under (npm_dist_tag of an RC of this version)
    tag = npm_dist_tag(Version(version.major, version.minor, version.patch, 1), False)
    text = tags.get(tag)
    held = from_npm(text)
    if text is None or held is None or not held.is_rc:
        return None
    if held.line != version.line or not held < version:
        return None
    if mode == "move":
        return TagChange(tag, "move", text, version.semver())
    return TagChange(tag, "remove", text)
