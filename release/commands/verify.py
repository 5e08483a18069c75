"""`release.verify VERSION`: re-check a published release against its journal.

Read-only. For every item the journal recorded, ask the world again:

- git: the tag on origin (`ls-remote`, peeled) is the recorded release commit;
- python: every recorded file is on the recorded index with the recorded sha256;
- npm: NAME@VERSION is on the registry with the recorded shasum/integrity, and its dist-tag still
  serves it (or moved on to a higher version of the same kind); an RC is not `latest`;
- docker: every recorded tag still serves the recorded digest (`release.docker.verify_world`).

Each check is a row (item, expected, actual, ok); the task prints them as a table and exits
non-zero naming the items that differ.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from release.errors import ReleaseError


@dataclass
class Finding:
    item: str
    expected: str
    actual: str
    ok: bool
    unreachable: bool = False  # could not be checked (the remote did not answer): not a difference

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _short(sha: str | None, n: int = 16) -> str:
    return (sha or "")[:n] or "missing"


def check_git(world: Any) -> list[Finding]:
    tag = world.tag
    want = (
        world.journal.facts("git:tag").get("commit")
        or world.journal.facts("git:commit").get("sha")
        or world.repo.tag_commit(tag)
        or ""
    )
    item = f"git tag {tag} on {world.policy.remote}"
    try:
        refs = world.repo.remote_refs(f"refs/tags/{tag}")
    except ReleaseError as exc:
        return [Finding(item, _short(want, 12), f"unreachable ({exc.message})", False, True)]
    have = refs.get(f"refs/tags/{tag}")
    if not want:
        return [Finding(item, "a recorded release commit", _short(have, 12), False)]
    return [Finding(item, want[:12], _short(have, 12), have == want)]


def check_python(world: Any, pkg: Any) -> list[Finding]:
    from release.adapters import pypi

    facts = world.journal.facts(f"publish:{pkg.name}")
    files: dict[str, str] = facts.get("files") or {}
    if not files or not facts.get("index"):
        return [
            Finding(f"python {pkg.name}", "a recorded upload", "no record in the journal", False)
        ]
    index = pypi.SimpleIndex(facts["index"])
    project = facts.get("project") or pkg.name
    try:
        theirs = pypi.index_hashes(index, project, list(files))
    except ReleaseError as exc:
        where = f"python {pkg.name} on {facts['index']}"
        return [Finding(where, "reachable", f"unreachable ({exc.message})", False, True)]
    rows = []
    for name, sha in sorted(files.items()):
        have = theirs.get(name)
        rows.append(
            Finding(
                f"python {name} on {facts['index']}",
                _short(sha),
                _short(have) if have else "missing",
                (have or "").lower() == sha.lower(),
            )
        )
    return rows


def check_npm(world: Any, pkg: Any) -> list[Finding]:
    from pathlib import Path

    from release.adapters.npm import Npm, tag_ok
    from release.core.version import Version

    facts = world.journal.facts(f"publish:{pkg.name}")
    if not facts.get("shasum") or not facts.get("name"):
        return [Finding(f"npm {pkg.name}", "a recorded publish", "no record in the journal", False)]
    registry = facts.get("registry") or world.policy.repositories.npm_registry
    npm = Npm(registry, world.env, Path(world.work_dir) / "npm-verify")
    name, ver = facts["name"], facts["version"]
    item = f"npm {name}@{ver}"
    try:
        seen = npm.view(name, ver)
        tags = npm.dist_tags(name)
    except ReleaseError as exc:
        return [Finding(item, "reachable", f"unreachable ({exc.message})", False, True)]
    rows = []
    dist = (seen or {}).get("dist") or {}
    rows.append(
        Finding(
            f"{item} shasum",
            facts["shasum"],
            dist.get("shasum") or "missing",
            dist.get("shasum") == facts["shasum"],
        )
    )
    if facts.get("integrity"):
        rows.append(
            Finding(
                f"{item} integrity",
                facts["integrity"][:24],
                (dist.get("integrity") or "missing")[:24],
                dist.get("integrity") == facts["integrity"],
            )
        )
    tag = facts.get("dist_tag")
    if tag:
        ok, _why = tag_ok(tag, tags.get(tag), Version.parse(ver))
        rows.append(Finding(f"{item} dist-tag {tag}", ver, tags.get(tag) or "unset", ok))
        if tag != "latest" and tags.get("latest") == ver and facts.get("latest_before") != "":
            rows.append(Finding(f"{item} dist-tag latest", "not this version", ver, False))
    return rows


def check_docker(world: Any) -> list[Finding]:
    if not any(p.kind == "docker" for p in world.policy.packages):
        return []
    from release.steps import docker

    diffs = docker.verify_world(world)
    if not diffs:
        names = ", ".join(p.name for p in world.policy.packages if p.kind == "docker")
        return [Finding(f"docker images ({names})", "recorded digests", "served", True)]
    return [Finding(item, str(expected), str(actual), False) for item, expected, actual in diffs]


def check_release(world: Any) -> list[Finding]:
    """Every check of a release, in package order (git first)."""
    rows = check_git(world)
    for pkg in world.policy.publish_order():
        if pkg.kind == "python":
            rows += check_python(world, pkg)
        elif pkg.kind == "npm":
            rows += check_npm(world, pkg)
    rows += check_docker(world)
    return rows


def open_world(version: str, path: str = ".", config: str | None = None) -> Any:
    """A read-only World for a recorded release (its journal must exist)."""
    from release.adapters.git import GitRepo
    from release.core.version import Version
    from release.journal import Journal
    from release.session import open_session
    from release.world import World

    s = open_session(path, config)
    v = Version.parse(version)
    journal = Journal.open(s.state.git_dir, v.pep440())
    if not journal.path.exists():
        raise ReleaseError(
            f"no journal for {v} in {journal.path.parent}",
            "release.verify checks releases made from this clone; release.journal lists them",
        )
    kind = (journal.data.get("release") or {}).get("kind", "")
    return World(
        root=s.root,
        repo=GitRepo(s.root, s.policy.remote),
        policy=s.policy,
        version=v,
        kind=kind,
        journal=journal,
        tagset=s.state.tagset,
        now=s.now,
        dry_run=True,
    )


def verify(version: str, path: str = ".", config: str | None = None) -> list[Finding]:
    return check_release(open_world(version, path, config))


def raise_for(version: str, rows: list[Finding]) -> None:
    from release.errors import ConflictError, RemoteError

    bad = [r.item for r in rows if not r.ok and not r.unreachable]
    unreachable = [r.item for r in rows if r.unreachable]
    if unreachable and not bad:
        raise RemoteError(
            f"{version}: {len(unreachable)} item(s) could not be checked: {'; '.join(unreachable[:5])}",
            "the remote did not answer; nothing differs that could be seen; re-run when it is up",
        )
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ConflictError(
            f"{version}: {len(bad)} item(s) differ from the journal: {shown}",
            "see the table; nothing was changed",
        )
