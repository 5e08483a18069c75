"""`release.verify VERSION`: re-check a published release against its journal.

Read-only. For every item the journal recorded, ask the world again:

- git: the tag on origin (`ls-remote`, peeled) is the recorded release commit;
- python: every recorded file is on the recorded index with the recorded sha256;
- npm: NAME@VERSION is on the registry with the recorded shasum/integrity, and its dist-tag still
  serves it (or moved on to a higher version of the same kind); an RC is not `latest`;
- docker: every recorded tag still serves the recorded digest (`release.docker.verify_world`);
- a signed tag: the tag object origin has, fetched afresh, passes `git verify-tag`;
- GitHub: the release of the tag exists, its prerelease flag is right, its body is the one
  published (sha256 recorded by `github:release`), every asset downloaded through the API hashes
  to the recorded sha256 (an asset the journal does not know differs too), and SHA256SUMS lists
  exactly the artifacts the journal records (files, npm tarball, image digests) with their hashes;
- announcements: a Discord message the journal recorded is still there (GET through the
  webhook: `/messages/<id>`); for Slack, whose webhooks cannot be asked, the record itself.

Each check is a row (item, expected, actual, ok); the task prints them as a table and exits
non-zero naming the items that differ: 4 when something differs, 5 when nothing seen differs but
some remote did not answer (unreachable is never reported as tampered).
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

    facts = world.journal.facts(f"publish:{pkg.ref}")
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

    facts = world.journal.facts(f"publish:{pkg.ref}")
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
        published = (seen or {}).get("versions")
        ok, _why = tag_ok(tag, tags.get(tag), Version.parse(ver), published)
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
        names = ", ".join(p.ref for p in world.policy.images())  # one per variant
        return [Finding(f"docker images ({names})", "recorded digests", "served", True)]
    return [Finding(item, str(expected), str(actual), False) for item, expected, actual in diffs]


def check_signature(world: Any) -> list[Finding]:
    """A signed tag (journaled by git:tag, or sign_tags set): origin's tag object verifies."""
    mode = world.journal.facts("git:tag").get("signed") or world.policy.sign_tags
    if not mode:
        return []
    item = f"git tag {world.tag} signature ({mode}) on {world.policy.remote}"
    try:
        ok, said = world.repo.verify_remote_tag(world.tag)
    except ReleaseError as exc:
        return [Finding(item, "a good signature", f"unreachable ({exc.message})", False, True)]
    return [Finding(item, "a good signature", said or ("verified" if ok else "bad"), ok)]


def check_github(world: Any) -> list[Finding]:
    """The GitHub release against what `github:release` recorded (see the module docstring)."""
    from release.core.checklist import SUMS_NAME, parse_sums, sums_differences, sums_entries

    if not world.policy.github_repo:
        return []
    entry = world.journal.steps.get("github:release") or {}
    if entry.get("status") == "skipped":
        return []
    item = f"github release {world.tag}"
    facts = entry.get("facts") or {}
    if not facts:
        return [Finding(item, "a recorded release", "no record in the journal", False)]
    built = sums_entries(world.journal.all_facts())
    # assets recorded by github:release; else the built files (image digests are not assets)
    recorded: dict[str, str] = facts.get("asset_sha256") or {
        n: h for n, h in built.items() if not h.startswith("sha256:")
    }
    try:
        from release.adapters.github import GitHub

        gh = GitHub.from_policy(world.policy, world.env, attempts=2)
        rel = gh.release_by_tag(world.tag)
        hashes = gh.asset_hashes(rel) if rel is not None else {}
        sums = gh.asset_bytes(rel, SUMS_NAME) if rel is not None and SUMS_NAME in hashes else None
    except ReleaseError as exc:
        return [Finding(item, "reachable", f"unreachable ({exc.message})", False, True)]
    if rel is None:
        return [Finding(item, "published", "missing", False)]
    rows = [Finding(item, "published", "published", True)]
    want_pre = bool(facts.get("prerelease", world.version.is_rc))
    rows.append(
        Finding(
            f"{item} prerelease flag",
            str(want_pre).lower(),
            str(bool(rel.prerelease)).lower(),
            bool(rel.prerelease) == want_pre,
        )
    )
    body = facts.get("body_sha256")
    if body:
        import hashlib

        seen = hashlib.sha256((rel.body or "").encode()).hexdigest()
        rows.append(Finding(f"{item} body", _short(body), _short(seen), seen == body))
    for name in sorted({*recorded, *hashes}):
        want, have = recorded.get(name), hashes.get(name)
        rows.append(
            Finding(
                f"{item} asset {name}",
                _short(want) if want else "not an asset of the release",
                _short(have) if have else "missing",
                bool(want) and want == have,
            )
        )
    if built:
        listed = parse_sums(sums.decode("utf-8", "replace")) if sums is not None else {}
        # the file against the journal; each attached file against the journal is its asset row
        diffs = sums_differences(built, listed) if sums is not None else [f"{SUMS_NAME} missing"]
        rows.append(
            Finding(
                f"{item} {SUMS_NAME}",
                f"{len(built)} artifacts as journaled",
                "; ".join(diffs[:3]) + (f"; and {len(diffs) - 3} more" if len(diffs) > 3 else "")
                if diffs
                else f"{len(listed)} artifacts, consistent",
                not diffs,
            )
        )
    return rows


def check_announcements(world: Any) -> list[Finding]:
    """Each journaled announcement: a Discord message is still there; Slack: the record."""
    rows = []
    for step, name in (("notify:thread", "releases"), ("notify:announce", "announcements")):
        channel = getattr(world.policy.notify, name, None)
        entry = world.journal.steps.get(step) or {}
        if channel is None or entry.get("status") == "skipped":
            continue
        facts = entry.get("facts") or {}
        item = f"{channel.kind} #{name} {'thread' if step == 'notify:thread' else 'announcement'}"
        if not facts.get("posted"):
            rows.append(Finding(item, "posted", "no record in the journal", False))
            continue
        mid = str(facts.get("message_id") or "")
        if channel.kind != "discord" or not mid:
            how = "confirmed by hand" if facts.get("confirmed_by") else "posted"
            rows.append(Finding(item, "a journal record", f"{how} (journal)", True))
            continue
        item = f"{item} message {mid}"
        try:
            from release.adapters.notify import Notifier

            hook = Notifier(env=world.env).webhook(name, channel)
            status, code = hook.message_status(mid, str(facts.get("thread_id") or ""))
        except ReleaseError as exc:
            rows.append(Finding(item, "present", f"unreachable ({exc.message})", False, True))
            continue
        if status == 200:
            rows.append(Finding(item, "present", "present", True))
        elif status == 404 and code == 10008:
            rows.append(Finding(item, "present", "deleted (Unknown Message)", False))
        else:
            why = f"HTTP {status}" + (f", code {code}" if code else "")
            rows.append(Finding(item, "present", f"could not be checked ({why})", False, True))
    return rows


def check_release(world: Any) -> list[Finding]:
    """Every check of a release, in package order (git first), then GitHub and the channels."""
    rows = check_git(world)
    rows += check_signature(world)
    for pkg in world.policy.publish_order():
        if pkg.kind == "python":
            rows += check_python(world, pkg)
        elif pkg.kind == "npm":
            rows += check_npm(world, pkg)
    rows += check_docker(world)
    rows += check_github(world)
    rows += check_announcements(world)
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
