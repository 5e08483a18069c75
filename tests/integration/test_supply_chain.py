"""Supply chain: what was released can be checked by anyone.

Full stack (tests/fixtures/stack.py): one `release.minor --yes` of the demo project, then the
GitHub release (the stand-in) carries SHA256SUMS (every wheel, sdist, the npm tarball and the
image digest, as the journal recorded them), the npm tarball and a CycloneDX SBOM per Python
package; `release.verify` checks the GitHub release and the announcements too, tells tampering
(exit 4, the item named) from an unreachable GitHub (exit 5).

Git-only sandbox: signed tags with a real throwaway ssh key configured in the sandbox repository
(never the user's config): signed, verified before the push, checked by `release.verify` on a
fresh fetch; a signing setup that is missing stops the release before anything is made.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from release.core.checklist import parse_sums, render_sums, sbom_name, sums_entries
from tests.fixtures.sandbox import Sandbox, make_sandbox
from tests.integration.test_faults import TAG, VERSION, fresh_project, journal

pytestmark = pytest.mark.integration


def _assets(stack: Any, sb: Sandbox) -> dict[str, dict[str, Any]]:
    """name -> the stand-in's asset record (its content base64 in `_data`)."""
    return {a["name"]: a for a in stack.github.state.repo(sb.gh_repo).assets.values()}  # type: ignore[attr-defined]


def _content(asset: dict[str, Any]) -> bytes:
    return base64.b64decode(asset["_data"])


def _verify(sb: Sandbox, *extra: str) -> subprocess.CompletedProcess[str]:
    return sb.run("release.verify", VERSION, *extra)


def _checks(res: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {c["item"]: c for c in json.loads(res.stdout)["checks"]}


@pytest.fixture(scope="module")
def released(full_stack, tmp_path_factory) -> Iterator[tuple[Any, Sandbox]]:
    """The demo project released once (release.minor); the tests below only read it, or tamper
    with it and put it back."""
    sb = fresh_project(full_stack, tmp_path_factory.mktemp("supply") / "p")
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    yield full_stack, sb


def test_the_github_release_carries_sums_the_npm_tarball_and_an_sbom_per_python_package(released):
    stack, sb = released
    steps = journal(sb)["steps"]
    facts = {name: e.get("facts", {}) for name, e in steps.items()}
    assets = _assets(stack, sb)
    # SHA256SUMS: every wheel, sdist, the tarball and the image digest, from the journal
    listed = parse_sums(_content(assets["SHA256SUMS"]).decode())
    built = {
        n: h for k, f in facts.items() if k.startswith("build:") for n, h in f["files"].items()
    }
    pack = next(f for k, f in facts.items() if k.startswith("pack:"))
    push = next(f for k, f in facts.items() if k.startswith("push:"))
    assert len(built) == 4
    want = {**built, pack["tarball"]: pack["sha256"], f"{push['image']}:{VERSION}": push["digest"]}
    assert listed == want
    assert _content(assets["SHA256SUMS"]).decode() == render_sums(sums_entries(facts))
    for name, sha in built.items():  # the attached files are the ones listed
        assert hashlib.sha256(_content(assets[name])).hexdigest() == sha
    assert hashlib.sha256(_content(assets[pack["tarball"]])).hexdigest() == pack["sha256"]
    # one CycloneDX SBOM per Python package, valid, listing what the package pulls in
    projects = {k: f["project"] for k, f in facts.items() if k.startswith("build:")}
    sboms = {k: json.loads(_content(assets[sbom_name(p, VERSION)])) for k, p in projects.items()}
    assert sorted(assets) == sorted(
        [*built, pack["tarball"], "SHA256SUMS", *(sbom_name(p, VERSION) for p in projects.values())]
    )
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    for doc in sboms.values():
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None
        assert doc["bomFormat"] == "CycloneDX"
        assert doc["metadata"]["component"]["version"] == VERSION
    client, server = sb.names.client, sb.names.server  # type: ignore[attr-defined]
    server_doc = sboms[f"build:{server}"]
    assert server_doc["metadata"]["component"]["name"] == server
    assert [c["name"] for c in server_doc["components"]] == [client]
    root = server_doc["metadata"]["component"]["bom-ref"]
    deps = {d["ref"]: d.get("dependsOn", []) for d in server_doc["dependencies"]}
    assert deps[root] == [f"pkg:pypi/{client}@{VERSION}"]
    assert sboms[f"build:{client}"].get("components", []) == []
    # the journal records what release.verify compares with
    gh = facts["github:release"]
    assert sorted(gh["asset_sha256"]) == sorted(assets)
    assert gh["prerelease"] is True and len(gh["body_sha256"]) == 64


def test_verify_checks_the_github_release_and_the_announcements(released):
    _stack, sb = released
    res = _verify(sb, "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    checks = _checks(res)
    assert all(c["ok"] for c in checks.values()), checks
    rel = f"github release {TAG}"
    for item in (rel, f"{rel} prerelease flag", f"{rel} body", f"{rel} SHA256SUMS"):
        assert item in checks, sorted(checks)
    assert sum(1 for i in checks if i.startswith(f"{rel} asset ")) == 8
    announced = [i for i in checks if i.startswith("discord #announcements announcement message")]
    thread = [i for i in checks if i.startswith("discord #releases thread message")]
    assert len(announced) == 1 and len(thread) == 1


def _tamper_asset(stack: Any, sb: Sandbox) -> tuple[str, Any]:
    name = next(n for n in _assets(stack, sb) if n.endswith(".whl"))
    asset = _assets(stack, sb)[name]
    data = bytearray(_content(asset))
    data[-1] ^= 1  # same size, other content
    saved = asset["_data"]
    asset["_data"] = base64.b64encode(bytes(data)).decode()
    return f"asset {name}", lambda: asset.__setitem__("_data", saved)


def _release(stack: Any, sb: Sandbox) -> dict[str, Any]:
    (rel,) = stack.github.state.repo(sb.gh_repo).releases.values()  # type: ignore[attr-defined]
    return rel


def _tamper_body(stack: Any, sb: Sandbox) -> tuple[str, Any]:
    rel = _release(stack, sb)
    saved = rel["body"]
    rel["body"] = saved.replace("demo", "dem0", 1) if "demo" in saved else saved + " "
    return "body", lambda: rel.__setitem__("body", saved)


def _tamper_prerelease(stack: Any, sb: Sandbox) -> tuple[str, Any]:
    rel = _release(stack, sb)
    rel["prerelease"] = False
    return "prerelease flag", lambda: rel.__setitem__("prerelease", True)


def _tamper_announcement(stack: Any, sb: Sandbox) -> tuple[str, Any]:
    mid = journal(sb)["steps"]["notify:announce"]["facts"]["message_id"]
    rx = stack.webhook
    saved = rx.messages[mid]
    assert rx.delete_message(mid)
    return f"announcement message {mid}", lambda: rx.messages.__setitem__(mid, saved)


@pytest.mark.parametrize(
    "tamper",
    [_tamper_asset, _tamper_body, _tamper_prerelease, _tamper_announcement],
    ids=["asset-replaced", "body-edited", "prerelease-flipped", "announcement-deleted"],
)
def test_tampering_is_detected_and_named(released, tamper):
    stack, sb = released
    what, restore = tamper(stack, sb)
    try:
        res = _verify(sb, "--json")
        assert res.returncode == 4, res.stdout + res.stderr
        bad = [i for i, c in _checks(res).items() if not c["ok"]]
        assert len(bad) == 1 and bad[0].endswith(what), bad
        assert not _checks(res)[bad[0]]["unreachable"]
        assert what in res.stderr and res.stderr.count("\n") == 1, res.stderr
    finally:
        restore()
    assert _verify(sb).returncode == 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_github_is_not_tampering(released, tmp_path):
    _stack, sb = released
    text = (sb.root / "pyproject.toml").read_text()
    api = next(ln for ln in text.splitlines() if ln.startswith("github_api = "))
    config = tmp_path / "pyproject.toml"
    config.write_text(text.replace(api, f'github_api = "http://127.0.0.1:{_closed_port()}"'))
    res = _verify(sb, "--json", "--config", str(config))
    assert res.returncode == 5, res.stdout + res.stderr
    checks = _checks(res)
    down = [c for c in checks.values() if not c["ok"]]
    assert [c["item"] for c in down] == [f"github release {TAG}"] and down[0]["unreachable"]
    assert "could not be checked" in res.stderr


# ---- signed tags (git-only sandbox) ----------------------------------------------------------


def _sign_tags(sb: Sandbox, mode: str = "ssh") -> None:
    text = (sb.root / "pyproject.toml").read_text()
    text = text.replace("[tool.release]\n", f'[tool.release]\nsign_tags = "{mode}"\n', 1)
    sb.wd.commit("build: sign release tags", path="pyproject.toml", text=text)
    sb.wd.git("push", "-q", "origin", "main")


def _ssh_key(sb: Sandbox, tmp: Path, *, allowed: bool = True) -> Path:
    """A throwaway ed25519 key configured in the sandbox repository only (.git/config)."""
    key = tmp / "keys" / "id_ed25519"
    key.parent.mkdir()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "owner@example.com", "-f", str(key)],
        check=True,
        env=sb.env,
    )
    sb.wd.git("config", "user.signingkey", str(key))
    if allowed:
        signers = tmp / "keys" / "allowed_signers"
        signers.write_text("owner@example.com " + key.with_suffix(".pub").read_text())
        sb.wd.git("config", "gpg.ssh.allowedSignersFile", str(signers))
    return key


@pytest.fixture
def signed_sandbox(tmp_path, monkeypatch) -> Sandbox:
    sb = make_sandbox(tmp_path, monkeypatch)
    _sign_tags(sb)
    _ssh_key(sb, tmp_path)
    return sb


def test_a_signed_tag_is_signed_verified_pushed_and_checked_by_verify(signed_sandbox):
    sb = signed_sandbox
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert sb.origin_tags() == [TAG]
    raw = sb.wd.git("cat-file", "tag", TAG, cwd=sb.wd.origin)
    assert "-----BEGIN SSH SIGNATURE-----" in raw
    assert (
        "Good"
        in subprocess.run(
            ["git", "verify-tag", TAG], cwd=sb.root, env=sb.env, capture_output=True, text=True
        ).stderr
    )
    steps = journal(sb)["steps"]
    assert steps["git:tag"]["facts"]["signed"] == "ssh"
    assert "Good" in steps["git:push"]["facts"]["signature"]
    res = _verify(sb, "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    sig = _checks(res)[f"git tag {TAG} signature (ssh) on origin"]
    assert sig["ok"] and "Good" in sig["actual"]
    # an unsigned tag of the same name at the same commit, on origin: the signature check fails
    commit = sb.origin_rev(TAG)
    sb.wd.git("tag", "-d", TAG, cwd=sb.wd.origin)
    sb.wd.git("tag", "-a", "-m", "unsigned", TAG, commit, cwd=sb.wd.origin)
    res = _verify(sb, "--json")
    assert res.returncode == 4, res.stdout + res.stderr
    bad = [i for i, c in _checks(res).items() if not c["ok"]]
    assert bad == [f"git tag {TAG} signature (ssh) on origin"]


def test_the_push_refuses_a_tag_whose_signature_does_not_verify(signed_sandbox):
    sb = signed_sandbox
    killed = sb.run("release.minor", "--yes", env={"RELEASE_KILL_AFTER": "git:commit"})
    assert killed.returncode < 0, killed.stdout + killed.stderr
    sb.wd.git("tag", "-a", "-m", "by hand, unsigned", TAG, "release-0.1.x")
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 4, res.stdout + res.stderr
    assert f"tag {TAG} has no signature git can verify" in res.stderr
    assert sb.origin_tags() == []
    sb.wd.git("tag", "-d", TAG)  # as the message says: then the re-run signs it
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "-----BEGIN SSH SIGNATURE-----" in sb.wd.git("cat-file", "tag", TAG, cwd=sb.wd.origin)


@pytest.mark.parametrize("setup", ["no-key", "no-allowed-signers", "key-file-gone"])
def test_a_missing_signing_setup_stops_the_release_before_anything(tmp_path, monkeypatch, setup):
    sb = make_sandbox(tmp_path, monkeypatch)
    _sign_tags(sb)
    if setup != "no-key":
        key = _ssh_key(sb, tmp_path, allowed=setup != "no-allowed-signers")
        if setup == "key-file-gone":
            key.unlink()
    before = sb.wd.snapshot()
    res = sb.run("release.minor", "--yes")
    assert res.returncode == 3, res.stdout + res.stderr
    expected = {
        "no-key": "no user.signingkey",
        "no-allowed-signers": "gpg.ssh.allowedSignersFile",
        "key-file-gone": "does not exist",
    }[setup]
    assert expected in res.stderr and "Traceback" not in res.stderr
    assert sb.wd.snapshot() == before
    assert not (sb.root / ".git" / "release" / f"{VERSION}.json").exists()


# ---- without cyclonedx-python-lib: a warning, never a failure ----------------------------------


def test_without_the_sbom_extra_the_release_says_so_and_attaches_the_rest(
    github, git_repo, monkeypatch
):
    from release import engine
    from release.adapters import pypi
    from release.core.policy import policy_from_table
    from release.steps.github import ReleaseStep
    from tests.integration.test_github_steps import dist, make_world

    monkeypatch.setattr(pypi, "sbom_available", lambda: False)
    pol = policy_from_table(
        {
            "github_repo": github.repo,
            "github_api": github.url,
            "packages": [{"name": "demo", "kind": "python", "path": "."}],
        }
    )
    world = make_world(github, git_repo, version="0.5.0rc1", kind="minor", policy=pol)
    files = {"demo-0.5.0rc1-py3-none-any.whl": 10, "demo-0.5.0rc1.tar.gz": 20}
    dist(world, files)
    hashes = {n: hashlib.sha256(b"x" * size).hexdigest() for n, size in files.items()}
    world.journal.record("build:demo", "verified", {"project": "demo", "files": hashes})
    step = ReleaseStep(world.policy, world.version, "minor")
    report = engine.run([step], world, world.journal)
    assert report.ok, report.rows
    facts = world.journal.facts("github:release")
    assert facts["warnings"] == ["SBOM skipped: pip install release-kit[sbom]"]
    assert "SBOM skipped: pip install release-kit[sbom]" in report.rows[0].detail
    names = sorted(a["name"] for a in github.state.repo(github.repo).assets.values())
    assert names == sorted([*files, "SHA256SUMS"])
    assert sorted(facts["asset_sha256"]) == names
    writes = github.count("POST") + github.count("PATCH")
    again = engine.run([ReleaseStep(world.policy, world.version, "minor")], world, world.journal)
    assert again.ok and again.rows[0].status == "done"
    assert github.count("POST") + github.count("PATCH") == writes
