"""Release trains on three git-only repositories (issue 17): a forced `--version`, the table of
bad input (each refused with one line, nothing changed in any repository), and a kill after
every step of every member that does something, each resumed to exactly one tag per repository
and one announcement for the train.

Git-only members (version files, no package) keep these cheap: what a train adds over a single
release is the order, the consistency checks and the resume across repositories, which do not
depend on what is published (tests/integration/test_train.py publishes to the real indexes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.gitrepo import WorkDir, make_workdir
from tests.fixtures.sandbox import CHANGELOG, PYPROJECT, Sandbox

pytestmark = pytest.mark.integration

OWNERS = "# release owners\n*  @rel-owner owner@example.com\n"
ANNOUNCE = (
    '\n[tool.release.notify.announcements]\nkind = "discord"\nurl_env = "TRAIN_ANNOUNCE_HOOK"\n'
)


def scaffold(wd: WorkDir, name: str, extra: str = "") -> None:
    for path, text in {
        "pyproject.toml": PYPROJECT.replace("demo-client", name) + ANNOUNCE + extra,
        "demo_client/__init__.py": '"""Demo."""\n\n__version__ = "0.0.0"\n',
        "CHANGELOG.md": CHANGELOG,
        ".github/CODEOWNERS": OWNERS,
    }.items():
        wd.write(path, text)
    wd.git("add", "-A")
    wd.git("commit", "-q", "-m", "chore: scaffold")
    wd.commit(f"feat: {name} does something (#1)")
    wd.git("push", "-q", "-u", "origin", "main")


@dataclass
class Trio:
    """api (Python client), web (TypeScript client, depends on api), server (holds the train)."""

    api: WorkDir
    web: WorkDir
    server: Sandbox
    hook: Any
    undo: Any = None  # put back what a bad-input case took away (after its run)

    def run(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return self.server.run(
            *args, env={"TRAIN_ANNOUNCE_HOOK": self.hook.discord_url(5), **(env or {})}
        )

    def repos(self) -> dict[str, WorkDir]:
        return {"api": self.api, "web": self.web, "server": self.server.wd}

    def clone(self, name: str) -> Path:
        return self.server.root / ".git" / "release" / "train" / name

    def snapshot(self) -> dict[str, Any]:
        """Every ref of every repository and its origin, the worktrees' status, every journal
        file anywhere, the announcements."""
        out: dict[str, Any] = {n: wd.snapshot() for n, wd in self.repos().items()}
        for name in ("api", "web"):
            clone = self.clone(name)
            if (clone / ".git").exists():  # a cache of the member: fetching refreshes it
                out[f"{name} clone"] = (
                    self.api.git(
                        "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", cwd=clone
                    ),
                    self.api.git("status", "--porcelain", cwd=clone),
                    self.api.git("rev-parse", "HEAD", cwd=clone),
                )
        out["journals"] = sorted(
            str(p.relative_to(self.server.root)) for p in self.server.root.rglob(".git/**/*.json")
        )
        out["posts"] = len(self.hook.posts)
        return out

    def tags(self, name: str) -> list[str]:
        wd = self.repos()[name]
        return wd.git("tag", "--list", cwd=wd.origin).split()


@pytest.fixture
def trio(tmp_path, monkeypatch, webhook) -> Trio:
    api = make_workdir(tmp_path, "api")
    for key, value in api.env.items():
        if key.startswith("GIT_") or key in ("HOME", "XDG_CONFIG_HOME"):
            monkeypatch.setenv(key, value)
    scaffold(api, "api")
    web = make_workdir(tmp_path, "web")
    scaffold(web, "web")
    server = make_workdir(tmp_path, "server")
    scaffold(
        server,
        "server",
        f'\n[[tool.release.train]]\nname = "api"\nurl = "{api.origin}"\n'
        f'\n[[tool.release.train]]\nname = "web"\nurl = "{web.origin}"\ndepends_on = ["api"]\n',
    )
    return Trio(api, web, Sandbox(server), webhook)


def refused(res: Any) -> list[str]:
    return [ln[len("refused: ") :] for ln in res.stdout.splitlines() if ln.startswith("refused: ")]


def shown(res: Any) -> str:
    return f"exit {res.returncode}\n{res.stdout[-5000:]}\n{res.stderr[-2000:]}"


# ---- --version ------------------------------------------------------------------------------------


def test_version_forces_the_trains_version_and_is_journaled(trio):
    """api already released 0.1.0 by itself: its next minor (0.2.0rc1) disagrees with the
    server's (0.1.0rc1). Refused without --version; a bad --version is one line; --version
    0.2.0rc1 releases it everywhere and the train journal says what each would have made."""
    trio.api.tag("v0.1.0")
    trio.api.git("push", "-q", "origin", "v0.1.0")
    res = trio.run("release.minor", "--yes")  # the first run clones the members (a cache)
    assert res.returncode == 3, shown(res)
    assert refused(res) == ["api: its next minor is 0.2.0rc1, the train's is 0.1.0rc1"]
    before = trio.snapshot()
    for bad, line in (
        ("0.1.0rc5", "api: minor not ready: --version 0.1.0rc5: line 0.1 has finals already"),
        ("0.2.1", "a minor here is X.Y.0rcN"),
        ("two", "'two' is not a release version"),
    ):
        res = trio.run("release.minor", "--yes", "--version", bad)
        assert res.returncode != 0 and "Traceback" not in res.stderr, shown(res)
        assert line in res.stdout + res.stderr, (bad, shown(res))
    assert trio.snapshot() == before

    res = trio.run("release.minor", "--yes", "--version", "0.2.0rc1")
    assert res.returncode == 0, shown(res)
    assert "version forced with --version 0.2.0rc1" in res.stdout
    for name in ("api", "web", "server"):
        assert "v0.2.0rc1" in trio.tags(name), name
    assert "v0.1.0rc1" not in trio.tags("server")
    journal = json.loads((trio.server.root / ".git/release/train-0.2.0rc1.json").read_text())
    assert journal["train"]["forced_version"] == "0.2.0rc1"
    assert journal["members"]["web"]["own_next"] == "0.1.0rc1"
    assert journal["members"]["server"]["own_next"] == "0.1.0rc1"
    assert (
        "own_next" not in journal["members"]["api"]
        or journal["members"]["api"]["own_next"] == "0.2.0rc1"
    )
    server = json.loads((trio.server.root / ".git/release/0.2.0rc1.json").read_text())
    assert server["release"]["forced_version"].startswith("version forced with --version 0.2.0rc1")
    assert len(trio.hook.posts) == 1  # one announcement for the train


# ---- bad input: one line each, nothing changed anywhere ------------------------------------------


def _missing_repo(t: Trio) -> str:
    text = (t.server.root / "pyproject.toml").read_text()
    t.server.wd.commit(
        "build: a member that does not exist",
        path="pyproject.toml",
        text=text.replace(str(t.web.origin), str(t.web.origin) + "-gone"),
    )
    t.server.wd.git("push", "-q", "origin", "main")
    return "does not appear to be a git repository"


def _member_dirty(t: Trio) -> str:
    text = (t.server.root / "pyproject.toml").read_text()
    t.server.wd.commit(
        "build: web by path",
        path="pyproject.toml",
        text=text.replace(f'url = "{t.web.origin}"', f'path = "{t.web.root}"'),
    )
    t.server.wd.git("push", "-q", "origin", "main")
    with (t.web.root / "CHANGELOG.md").open("a") as fh:
        fh.write("half-written\n")
    return "web: not ready:"


def _member_on_another_version(t: Trio) -> str:
    t.web.tag("v0.3.0")
    t.web.git("push", "-q", "origin", "v0.3.0")
    return "web: its next minor is 0.4.0rc1, the train's is 0.1.0rc1"


def _member_tagged(t: Trio) -> str:
    t.api.tag("v0.1.0rc1")
    t.api.git("push", "-q", "origin", "v0.1.0rc1")
    return "api: its next minor is 0.1.0rc2, the train's is 0.1.0rc1 (tag v0.1.0rc1 exists there)"


def _origin_unreachable(t: Trio) -> str:
    # the train cloned api before (the dry run); then api's origin went away (put back after)
    away = t.api.origin.with_name(t.api.origin.name + "-away")
    t.api.origin.rename(away)
    t.undo = lambda: away.rename(t.api.origin)
    return "api: not ready: cannot read origin"


def _cycle(t: Trio) -> str:
    text = (t.server.root / "pyproject.toml").read_text()
    t.server.wd.commit(
        "build: a cycle",
        path="pyproject.toml",
        text=text.replace(
            f'url = "{t.api.origin}"\n', f'url = "{t.api.origin}"\ndepends_on = ["web"]\n', 1
        ),
    )
    t.server.wd.git("push", "-q", "origin", "main")
    return "depends_on"


BAD = {
    "member repository missing": _missing_repo,
    "member dirty": _member_dirty,
    "member on another version": _member_on_another_version,
    "member already tagged": _member_tagged,
    "member origin unreachable": _origin_unreachable,
    "cycle in depends_on": _cycle,
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_nothing_changes_in_any_member(trio, case):
    warm = trio.run("release.minor", "--dry-run")  # the clones exist, as after any first run
    assert warm.returncode == 0, shown(warm)
    before = trio.snapshot()
    said = BAD[case](trio)
    after_setup = None if trio.undo else trio.snapshot()
    res = trio.run("release.minor", "--yes")
    if trio.undo:
        trio.undo()
    assert res.returncode not in (0, 1), shown(res)  # refused (3) or bad input (2), not a crash
    assert "Traceback" not in res.stdout + res.stderr, shown(res)
    text = res.stdout + res.stderr
    assert said in text, shown(res)
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, shown(res)
    assert trio.snapshot() == (after_setup or before)


# ---- a kill after every step of every member -------------------------------------------------------

# The steps that act in a git-only minor (the others probe as skipped and never call the seam),
# member by member in the train's order: api, web, then the server, which announces.
ACTING = ["git:branch", "git:commit", "git:tag", "git:push"]
KILLS = [f"{m}/{s}" for m in ("api", "web") for s in ACTING] + [
    f"server/{s}" for s in [*ACTING, "notify:announce"]
]


@pytest.mark.parametrize("kill", KILLS)
def test_a_kill_after_any_step_of_any_member_resumes_to_one_of_everything(trio, kill):
    killed = trio.run("release.minor", "--yes", env={"RELEASE_KILL_AFTER": kill})
    assert killed.returncode != 0, shown(killed)
    again = trio.run("release.minor", "--yes")
    assert again.returncode == 0, shown(again)
    assert "released the train minor 0.1.0rc1 (3 repositories)" in again.stdout
    for name, wd in trio.repos().items():
        assert trio.tags(name) == ["v0.1.0rc1"], name
        branch = wd.git("rev-parse", "release-0.1.x", cwd=wd.origin)
        assert branch == wd.git("rev-parse", "v0.1.0rc1^{}", cwd=wd.origin), name
        # one release commit on the branch, whatever was killed
        log = wd.git("log", "--format=%s", "main..release-0.1.x", cwd=wd.origin).splitlines()
        assert len(log) == 1, (name, log)
    assert len(trio.hook.posts) == 1  # one announcement for the train
    journal = json.loads((trio.server.root / ".git/release/train-0.1.0rc1.json").read_text())
    assert journal["complete"] is True
    assert {m["state"] for m in journal["members"].values()} == {"complete"}
    # a third run finds it complete and changes nothing
    before = trio.snapshot()
    third = trio.run("release.minor", "--yes")
    assert trio.snapshot() == before, shown(third)


def test_in_github_actions_a_train_writes_its_outputs_and_summary(trio, tmp_path):
    out, summary = tmp_path / "output", tmp_path / "summary"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    res = trio.run("release.minor", "--yes", env=env)
    assert res.returncode == 0, shown(res)
    lines = dict(ln.split("=", 1) for ln in out.read_text().splitlines())
    assert (lines["version"], lines["tag"], lines["released"], lines["kind"]) == (
        "0.1.0rc1",
        "v0.1.0rc1",
        "true",
        "minor",
    )
    assert json.loads(lines["members"]) == [
        {"name": "api", "tag": "v0.1.0rc1", "outcome": "released"},
        {"name": "web", "tag": "v0.1.0rc1", "outcome": "released"},
        {"name": "server", "tag": "v0.1.0rc1", "outcome": "released"},
    ]
    text = summary.read_text()
    assert "train minor 0.1.0rc1" in text and "api/git:tag" in text and "server/git:push" in text
    # a refused train: released=false, one ::error line, the summary says why
    out.unlink()
    trio.api.tag("v0.2.0")
    trio.api.git("push", "-q", "origin", "v0.2.0")
    res = trio.run("release.patch", "--yes", "--line", "0.1", env=env)
    assert res.returncode != 0
    lines = dict(ln.split("=", 1) for ln in out.read_text().splitlines())
    assert lines["released"] == "false"
    assert [ln for ln in res.stdout.splitlines() if ln.startswith("::error")], res.stdout


# ---- status and plan, side by side ---------------------------------------------------------------


def _schema_ok(task: str, data: dict) -> None:
    import jsonschema

    from release.tasks.jsonout import schema_path

    jsonschema.validate(data, json.loads(schema_path(task).read_text()))


def test_status_shows_every_member_side_by_side_and_plan_lists_every_step_in_order(trio):
    # before the first run: the members are not cloned; status says so and does not clone
    data = json.loads(trio.run("release.status", "--json").stdout)
    _schema_ok("release.status", data)
    assert [m["name"] for m in data["train"]] == ["api", "web", "server"]
    assert data["train"][0]["checkout"] is None and "not cloned yet" in data["train"][0]["note"]
    assert not trio.clone("api").exists()

    trio.api.tag("v0.1.0")
    trio.api.git("push", "-q", "origin", "v0.1.0")
    before = trio.snapshot()
    plan = trio.run("release.plan", "minor")
    assert plan.returncode == 3, shown(plan)  # api disagrees: refused, one line
    assert "refused: api: its next minor is 0.2.0rc1, the train's is 0.1.0rc1" in plan.stdout
    heads = [ln for ln in plan.stdout.splitlines() if ln.startswith("== ")]
    assert heads == ["== api (1 of 3)", "== web (2 of 3)", "== server (3 of 3)"]
    after_plan = trio.snapshot()
    assert {k: v for k, v in after_plan.items() if "clone" not in k} == before  # only clones

    data = json.loads(trio.run("release.status", "--json").stdout)
    _schema_ok("release.status", data)
    rows = {m["name"]: m for m in data["train"]}
    assert rows["api"]["latest_final"] == "0.1.0" and rows["api"]["next"]["minor"] == "0.2.0rc1"
    assert "minor" in rows["api"]["differs"] and rows["web"]["differs"] == []
    assert rows["server"]["next"]["minor"] == "0.1.0rc1"
    table = trio.run("release.status").stdout
    assert "Release train (in release order)" in table and "0.2.0rc1 (differs)" in table

    forced = trio.run("release.plan", "minor", "--version", "0.2.0rc1", "--json")
    assert forced.returncode == 0, shown(forced)
    doc = json.loads(forced.stdout)
    _schema_ok("release.plan", doc)
    assert [m["name"] for m in doc["train"]] == ["api", "web", "server"]
    assert all(m["plan"]["version"] == "0.2.0rc1" for m in doc["train"])
    steps = trio.run("release.plan", "minor", "--version", "0.2.0rc1").stdout
    order = [ln.split("│")[2].strip() for ln in steps.splitlines() if "/git:tag" in ln]
    assert order == ["api/git:tag", "web/git:tag", "server/git:tag"]
    assert trio.snapshot() == after_plan  # planning changes nothing


def test_backport_repo_works_in_the_members_checkout(trio):
    """`release.backport SHA --to release-0.1.x --repo api` from the server: the pick is made in
    api's clone and pushed to api's origin; the server's repository is untouched; an unknown
    member is one line."""
    assert trio.run("release.minor", "--yes").returncode == 0
    trio.api.git("checkout", "-q", "main")
    trio.api.git("pull", "-q", "--ff-only", "origin", "main")
    sha = trio.api.commit("fix: api crash (#7)")
    trio.api.git("push", "-q", "origin", "main")
    server_before = trio.server.wd.snapshot()
    res = trio.run("release.backport", sha, "--to", "release-0.1.x", "--repo", "api", "--json")
    assert res.returncode == 0, shown(res)
    data = json.loads(res.stdout)
    assert data["ok"] is True
    branches = trio.api.git(
        "for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=trio.api.origin
    )
    picked = [b for b in branches.split() if b.startswith("backport/")]
    assert picked, branches
    log = trio.api.git("log", "-1", "--format=%B", picked[0], cwd=trio.api.origin)
    assert f"(cherry picked from commit {sha})" in log
    assert trio.server.wd.snapshot() == server_before
    bad = trio.run("release.backport", sha, "--to", "release-0.1.x", "--repo", "nope")
    assert bad.returncode == 2 and "--repo nope: not a member of the train" in bad.stderr
    assert "use one of: api, web" in bad.stderr


def test_a_member_without_release_kit_is_driven_by_the_trains_inline_table(
    tmp_path, monkeypatch, webhook
):
    """`web` is a package.json repository that knows nothing of release-kit: no pyproject.toml,
    no CHANGELOG.md. The server's `[tool.release.train.release]` is its policy: the train bumps
    its package.json and tags it with the train's version. A wrong key there is a key-level
    error before anything happens."""
    api = make_workdir(tmp_path, "api")
    for key, value in api.env.items():
        if key.startswith("GIT_") or key in ("HOME", "XDG_CONFIG_HOME"):
            monkeypatch.setenv(key, value)
    scaffold(api, "api")
    web = make_workdir(tmp_path, "web")
    web.write("package.json", json.dumps({"name": "web", "version": "0.0.0"}, indent=2) + "\n")
    web.write(".github/CODEOWNERS", OWNERS)
    web.git("add", "-A")
    web.git("commit", "-q", "-m", "chore: a TypeScript client")
    web.git("push", "-q", "-u", "origin", "main")
    server = make_workdir(tmp_path, "server")
    inline = (
        f'\n[[tool.release.train]]\nname = "api"\nurl = "{api.origin}"\n'
        f'\n[[tool.release.train]]\nname = "web"\nurl = "{web.origin}"\ndepends_on = ["api"]\n'
        '[tool.release.train.release]\nchangelog = ""\nversion_files = ["package.json"]\n'
    )
    scaffold(server, "server", inline)
    sb = Sandbox(server)
    wrong = inline.replace('changelog = ""', 'chnagelog = ""')
    server.commit(
        "build: a typo",
        path="pyproject.toml",
        text=(server.root / "pyproject.toml").read_text().replace(inline, wrong),
    )
    bad = sb.run("release.minor", "--yes")
    assert bad.returncode == 2, shown(bad)
    assert "[tool.release].train[1].release.chnagelog is not a known key" in bad.stderr
    server.git("reset", "-q", "--hard", "HEAD~1")

    res = sb.run("release.minor", "--yes", env={"TRAIN_ANNOUNCE_HOOK": webhook.discord_url(5)})
    assert res.returncode == 0, shown(res)
    assert web.git("tag", "--list", cwd=web.origin).split() == ["v0.1.0rc1"]
    manifest = json.loads(web.git("show", "v0.1.0rc1:package.json", cwd=web.origin))
    assert manifest["version"] == "0.1.0-rc.1"
    assert web.git("ls-tree", "--name-only", "v0.1.0rc1", cwd=web.origin).split() == [
        ".github",
        "package.json",
    ]  # nothing of release-kit was added to it
