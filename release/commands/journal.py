"""`release.journal VERSION --rebuild`: give a version its journal back.

From the remote's mirror when there is one (the run that published it pushed it there); else
from the world: the tag names the release commit, the kind follows from the version, and no
step is marked done, so the next run probes every step against the world again (probes are the
truth; the journal only remembers). A version that is not tagged anywhere has nothing to rebuild.
"""

from __future__ import annotations

from typing import Any

from release.adapters.git import GitRepo
from release.core.plan import kind_of
from release.core.version import Version
from release.errors import ReleaseError
from release.journal import Journal
from release.session import open_session


def rebuild(version: str, path: str = ".", config: str | None = None) -> dict[str, Any]:
    """Rebuild the journal of `version`; returns {"version", "source", "kind", "moved_aside"}."""
    from release.commands.release import _journal_data

    s = open_session(path, config, fetch=True)
    v = Version.parse(version)
    name = v.pep440()
    repo = GitRepo(s.root, s.policy.remote)
    path_ = Journal.dir_for(s.state.git_dir) / f"{name}.json"
    existed = path_.exists()
    data = None
    source = ""
    if s.fetched:
        for done in (False, True):
            if name in repo.remote_journals(done=done):
                data = _journal_data(repo.read_remote_journal(name, done=done))
                if data is not None:
                    source = f"the journal mirrored on {s.policy.remote}"
                    break
    if data is None:
        tag = v.tag(s.policy.tag_pattern)
        sha = s.state.tag_sha(tag)
        if not sha:
            raise ReleaseError(
                f"nothing to rebuild: {tag} is not tagged here or on {s.policy.remote}",
                f"a release that never got its tag starts anew with its command "
                f"(release.abort {name} removes what a run left)",
            )
        had_rcs = bool(s.state.tagset.rcs_of(v.base))
        kind = kind_of(v, had_rcs)
        branch = s.policy.branch_for(v.line)
        try:
            on_remote = bool(repo.remote_refs(f"refs/heads/{branch}"))
        except ReleaseError:
            on_remote = True
        data = {
            "release": {
                "version": name,
                "kind": kind,
                "tag": tag,
                "branch": branch,
                "base": None,
                "create_branch": kind in ("minor", "major") and not on_remote,
                "rebuilt": True,
            },
            "steps": {"git:commit": {"status": "verified", "facts": {"sha": sha}}},
        }
        source = f"the world ({tag} at {sha[:12]}; every step is probed again on the next run)"
    moved = ""
    if existed:
        try:
            Journal.open(s.state.git_dir, name)
        except ReleaseError:
            moved = str(path_) + ".bad"
        else:
            raise ReleaseError(
                f"{path_} is a readable journal; nothing to rebuild",
                f"release.journal {name} shows it; move it aside first to rebuild it anyway",
            )
    Journal.adopt(s.state.git_dir, name, data)
    return {
        "version": name,
        "kind": (data.get("release") or {}).get("kind", "?"),
        "source": source,
        "moved_aside": moved,
        "complete": bool(data.get("complete")),
    }
