"""The `latest` policy, pure: which release may be called latest, and what that means on each
channel (npm dist-tag, Docker tag, GitHub's "make latest" flag).

Only a final that is the highest final across every line is latest. An RC never is (npm tag
`rc`, no Docker `latest`, a GitHub pre-release); a final of an older line gets the npm tag
`release-X.Y` so that `latest` never moves backwards.
"""

from __future__ import annotations

from release.core.version import TagSet, Version

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
    patch of the same line for `release-X.Y`) may hold it; anything else means ours is missing."""
    if held is None or not held > ours:
        return False
    same_kind = held.is_rc if tag == RC_TAG else (not held.is_rc)
    if tag.startswith("release-"):
        same_kind = same_kind and held.line == ours.line
    return same_kind
