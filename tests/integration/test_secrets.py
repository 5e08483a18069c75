"""Secrets never shown: every task of `python -m release --list`, run with plausible arguments
against the full demo project and stack (success or failure), with recognisable secrets in the
environment - the working credentials of the stack (GitHub token, TWINE_PASSWORD, NPM_TOKEN,
webhook URLs with their tokens) and fake ones (DOCKER_PASSWORD, GH_TOKEN, NODE_AUTH_TOKEN,
PYPI_API_TOKEN, a Slack webhook URL, a wrong GitHub token and a wrong TWINE_PASSWORD for the
failure paths). None may appear in stdout, stderr, any file under .git/release/ (journals, locks,
the work dir), any git object or note of the repository and its origin, or what reached GitHub
and the webhooks.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_faults import fresh_project, need_full

pytestmark = pytest.mark.integration

FAKES = {
    "DOCKER_USERNAME": "releaser",
    "DOCKER_PASSWORD": "dckr_pat_FAKE7docker7password7K3y9",
    "GH_TOKEN": "ghp_FAKEghTOKENnotUSEDbecauseGITHUBtoken1",
    "NODE_AUTH_TOKEN": "npm_FAKEnodeAUTHtokenNOTusedBECAUSEnpm1",
    "PYPI_API_TOKEN": "pypi-AgEIcHlwaS5vcmcFAKEpypiAPItoken0000000",
    "SLACK_RELEASES_WEBHOOK": "https://hooks.slack.com/services/T0FAKE00/B0FAKE00/FAKEslackSECRETtoken1",
}
WRONG_GITHUB = "ghp_WRONGwrongWRONGwrongWRONGwrongWRONG12"
WRONG_TWINE = "wrong-twine-password-FAKE-4711"


def task_names(listing: str) -> set[str]:
    return {
        m.group(1)
        for ln in listing.splitlines()
        if (m := re.match(r"^  ([a-z]+\.[a-z_-]+)(\s|$)", ln))
    }


def git_everything(git_dir_owner, cwd: Path) -> bytes:
    """Every object (blobs, trees, commits, tags, notes) and the config of a repository."""
    objs = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=cwd,
        env=git_dir_owner.env,
        capture_output=True,
        check=True,
    ).stdout
    notes = subprocess.run(
        ["git", "log", "--all", "--notes=*", "--format=%H %N"],
        cwd=cwd,
        env=git_dir_owner.env,
        capture_output=True,
        check=False,
    ).stdout
    config = (cwd / ("config" if (cwd / "config").is_file() else ".git/config")).read_bytes()
    return objs + notes + config


def files_under(root: Path) -> list[tuple[Path, bytes]]:
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink() and p.stat().st_size < 20_000_000:
            out.append((p, p.read_bytes()))
    return out


def test_no_task_shows_or_stores_a_secret(full_stack, tmp_path):
    stack = full_stack
    need_full(stack)
    sb = fresh_project(stack, tmp_path / "p")
    sb.env.update(FAKES)
    secrets = {k: v for k, v in sb.env.items() if k in FAKES and k != "DOCKER_USERNAME"}
    secrets.update(
        {
            "GITHUB_TOKEN": sb.env["GITHUB_TOKEN"],
            "TWINE_PASSWORD": sb.env["TWINE_PASSWORD"],
            "NPM_TOKEN": sb.env["NPM_TOKEN"],
            "webhook token": stack.webhook.token,
            "DISCORD_RELEASES_WEBHOOK": sb.env["DISCORD_RELEASES_WEBHOOK"],
            "DISCORD_ANNOUNCE_WEBHOOK": sb.env["DISCORD_ANNOUNCE_WEBHOOK"],
            "wrong GitHub token": WRONG_GITHUB,
            "wrong TWINE_PASSWORD": WRONG_TWINE,
        }
    )
    assert sb.env["GITHUB_TOKEN"].startswith("ghp_")
    runs: list[tuple[str, subprocess.CompletedProcess[str]]] = []

    def task(
        *args: str, env: dict[str, str] | None = None, ok: bool | None = True
    ) -> subprocess.CompletedProcess[str]:
        res = sb.run(*args, env=env)
        runs.append((" ".join(args), res))
        if ok is True:
            assert res.returncode == 0, f"{args}: {res.stdout[-2000:]}{res.stderr}"
        elif ok is False:
            assert res.returncode != 0, f"{args} should fail: {res.stdout[-2000:]}"
        return res

    listing = task("--list").stdout
    tasks = task_names(listing)
    assert len(tasks) >= 20

    # before the release: reads, plans, previews
    task("release.status")
    task("release.status", "--json")
    task("release.schedule")
    task("release.schedule", "--json")
    task("release.page", "--json")
    task("release.doctor", ok=None)
    task(
        "release.doctor",
        "--json",
        env={"GITHUB_TOKEN": WRONG_GITHUB, "TWINE_PASSWORD": WRONG_TWINE},
        ok=False,
    )
    task("changelog.draft")
    task("changelog.draft", "--json")
    task("changelog.full")
    task("changelog.full", "--json")
    task("release.plan", "--kind", "minor")
    task("milestone.check", "--version", "0.1.0", "--json")
    task("milestone.check", "--version", "0.1.0", env={"GITHUB_TOKEN": WRONG_GITHUB}, ok=False)
    task("release.minor", "--dry-run")
    task("release.major", "--dry-run")
    # the release itself, with every credential in use
    task("release.minor", "--yes")
    task("release.journals")
    task("release.journal", "0.1.0rc1", "--json")
    task("release.checklist", "--version", "0.1.0rc1")
    task("release.checklist", "--version", "0.1.0rc1", "--json")
    task("release.verify", "--version", "0.1.0rc1", "--json")
    task("release.resume", "--version", "0.1.0rc1", "--yes", ok=None)
    task("release.abort", "--version", "0.1.0rc1", "--yes", ok=False)  # public: refused
    task("release.unlock", "--version", "0.1.0rc1")
    task("release.prune", "--dry-run", "--json")
    task("release.prune")
    task("release.journal", "0.1.0rc1", "--rebuild", ok=False)  # readable: nothing to rebuild
    task(
        "release.final",
        "--dry-run",
        "--line",
        "0.1",
        "--override",
        "secret test: no need to wait",
        ok=None,
    )
    task("release.patch", "--dry-run", "--line", "0.1", ok=None)
    # milestones on GitHub
    task("milestone.create", "--version", "0.2.0")
    task(
        "milestone.move",
        "--version",
        "0.1.0",
        "--to",
        "0.2.0",
        "--reason",
        "moved by the secret test",
        "--dry-run",
    )
    task(
        "milestone.move",
        "--version",
        "0.1.0",
        "--to",
        "0.2.0",
        "--reason",
        "moved by the secret test",
    )
    # Mergify
    task("mergify.sync")
    task("mergify.check", ok=None)
    sb.wd.git("checkout", "-q", "--", ".")
    sb.wd.git("clean", "-qfd", "--", ".github")
    # a backport through git and a GitHub pull request
    fix = sb.wd.commit(
        "fix(client): handle an empty name (#9)",
        path="client/demo_client/extra.py",
        text="def empty() -> str:\n    return ''\n",
    )
    sb.wd.git("push", "-q", "origin", "main")
    task("release.backport", "--ref", fix, "--to", "release-0.1.x")
    # the next RC with a wrong index password: gate:registries finds it before any change
    sb.wd.git("checkout", "-q", "release-0.1.x")
    sb.wd.git("pull", "-q", "--ff-only", "origin", "release-0.1.x")
    # (the backport PR is not merged here: --allow-empty releases the line as it is)
    rc = task("release.rc", "--yes", "--allow-empty", env={"TWINE_PASSWORD": WRONG_TWINE}, ok=False)
    names = sb.names
    assert "gate:registries" in rc.stdout and "refused the credentials" in rc.stderr, (
        rc.stdout[-1500:] + rc.stderr
    )
    task("release.rc", "--yes", "--allow-empty")  # with the right password
    task("changelog.update", "--version", "0.2.0", ok=None)

    exercised = {r[0].split()[0] for r in runs}
    assert tasks <= exercised, f"tasks not run by this test: {sorted(tasks - exercised)}"

    # where a secret could end up
    places: dict[str, bytes] = {}
    for name, res in runs:
        places[f"stdout of {name}"] = res.stdout.encode()
        places[f"stderr of {name}"] = res.stderr.encode()
        assert "Traceback" not in res.stdout + res.stderr, name
    release_dir = sb.root / ".git" / "release"
    stored = files_under(release_dir)
    assert any(
        p.suffix == ".json" and f'"publish:{sb.names.client}"'.encode() in d for p, d in stored
    ), "no journal was read"
    for p, data in stored:
        places[str(p.relative_to(sb.root))] = data
    places["git objects, notes and config (repository)"] = git_everything(sb.wd, sb.root)
    places["git objects, notes and config (origin)"] = git_everything(sb.wd, sb.wd.origin)
    gh_state = stack.github.state.repo(names.github_repo)
    places["GitHub (releases, issues, PRs, comments, milestones)"] = json.dumps(
        [
            gh_state.releases,
            gh_state.issues,
            gh_state.pulls,
            gh_state.comments,
            gh_state.milestones,
        ],
        default=str,
    ).encode()
    places["webhook posts"] = json.dumps(
        [p.body for p in stack.webhook.posts], default=str
    ).encode()

    leaks = [
        f"{what} in {where}"
        for what, value in secrets.items()
        for where, data in places.items()
        if value.encode() in data
    ]
    assert leaks == [], leaks
    # the secrets were really in play: the release published, the PR was opened, the posts went out
    assert stack.webhook.accepted() and stack.github.pulls(names.github_repo)
    assert any(n.startswith(f"{names.client_module}-0.1.0rc2") for n in stack.pypi.testpypi.files())
