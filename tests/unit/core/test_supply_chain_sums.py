"""SHA256SUMS from the journal, SBOM names and closures, the npm provenance decision, and the
signing gate: pure functions of release.core."""

from __future__ import annotations

import pytest

from release.core.checklist import (
    dependency_closure,
    npm_provenance,
    parse_sums,
    render_sums,
    sbom_name,
    sums_differences,
    sums_entries,
)
from release.core.gates import tag_signing
from release.core.policy import Policy

WHL = "a" * 64
SDIST = "b" * 64
TGZ = "c" * 64
DIGEST = "sha256:" + "d" * 64

FACTS = {
    "git:tag": {"commit": "1" * 40},
    "build:demo-client": {
        "files": {
            "demo_client-0.1.0rc1-py3-none-any.whl": WHL,
            "demo_client-0.1.0rc1.tar.gz": SDIST,
        }
    },
    "pack:demo-js": {"tarball": "demo-js-0.1.0-rc.1.tgz", "sha256": TGZ.upper()},
    "push:demo-image": {
        "image": "localhost:5000/demo/server",
        "digest": DIGEST,
        "digests": {"0.1.0rc1": DIGEST, "latest": DIGEST},
    },
    "publish:demo-client": {"files": {"ignored.whl": "e" * 64}},
}


def test_sums_list_every_artifact_from_the_journal_sorted_in_sha256sum_format():
    text = render_sums(sums_entries(FACTS))
    assert text == (
        f"{TGZ}  demo-js-0.1.0-rc.1.tgz\n"
        f"{WHL}  demo_client-0.1.0rc1-py3-none-any.whl\n"
        f"{SDIST}  demo_client-0.1.0rc1.tar.gz\n"
        f"{DIGEST}  localhost:5000/demo/server:0.1.0rc1\n"
    )
    lines = text.splitlines()
    assert [ln.split("  ", 1)[1] for ln in lines] == sorted(ln.split("  ", 1)[1] for ln in lines)
    # the moving `latest` tag is not an artifact; what publish steps saw is not a source
    assert "latest" not in text and "ignored.whl" not in text


def test_sums_of_nothing_built_is_empty_and_rendering_is_deterministic():
    assert render_sums(sums_entries({"git:tag": {}})) == ""
    assert render_sums(sums_entries(FACTS)) == render_sums(
        sums_entries(dict(reversed(FACTS.items())))
    )


def test_parse_reads_back_what_render_writes_and_the_binary_marker():
    entries = sums_entries(FACTS)
    assert parse_sums(render_sums(entries)) == entries
    assert parse_sums(f"{WHL} *x.whl\r\n\nnot a line\n") == {"x.whl": WHL}


def test_differences_name_each_artifact():
    want = sums_entries(FACTS)
    have = dict(want)
    assert sums_differences(want, have) == []
    have["demo_client-0.1.0rc1.tar.gz"] = "f" * 64
    del have["demo-js-0.1.0-rc.1.tgz"]
    have["evil.whl"] = "0" * 64
    assert sums_differences(want, have) == [
        "demo-js-0.1.0-rc.1.tgz missing",
        f"demo_client-0.1.0rc1.tar.gz has {'f' * 16}, the journal {SDIST[:16]}",
        "evil.whl not an artifact of the release",
    ]


def test_sbom_is_named_after_the_wheel_dist():
    assert sbom_name("demo-server", "0.1.0rc1") == "demo_server-0.1.0rc1.cdx.json"
    assert sbom_name("Foo.Bar", "1.0") == "Foo_Bar-1.0.cdx.json"


def test_closure_holds_what_the_package_pulls_in_and_nothing_else():
    installed = [
        {
            "name": "demo-server",
            "version": "1",
            "requires": ["Demo_Client==1", "rich; extra == 'cli'"],
        },
        {"name": "demo_client", "version": "1", "requires": ["idna>=3; python_version >= '3'"]},
        {"name": "idna", "version": "3.7", "requires": []},
        {"name": "rich", "version": "13", "requires": []},  # only the extra wants it
        {"name": "pip", "version": "24", "requires": []},  # the venv's own
    ]
    dists, edges = dependency_closure("Demo.Server", installed)
    assert [d["name"] for d in dists] == ["demo-server", "demo_client", "idna"]
    assert edges == {"demo-server": ["demo-client"], "demo-client": ["idna"], "idna": []}
    assert dependency_closure("absent", installed) == ([], {})


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://t/"}, True),
        ({"GITHUB_ACTIONS": "true"}, False),  # no `id-token: write`: no OIDC token to sign with
        ({"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": " "}, False),
        ({"ACTIONS_ID_TOKEN_REQUEST_URL": "https://t/"}, False),  # not GitHub Actions
        ({"GITHUB_ACTIONS": "false", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://t/"}, False),
        ({}, False),
    ],
)
def test_npm_provenance_only_in_github_actions_with_an_id_token(env, expected):
    assert npm_provenance(env) is expected


GOOD_SSH = {
    "mode": "ssh",
    "key": "/k/id_ed25519",
    "key_file": "/k/id_ed25519",
    "key_file_exists": True,
    "allowed_signers": "/k/allowed",
    "allowed_signers_exists": True,
}


@pytest.mark.parametrize(
    ("mode", "setup", "ok", "fragment"),
    [
        ("", None, True, "not set"),
        ("ssh", GOOD_SSH, True, "ssh: /k/id_ed25519"),
        ("ssh", None, False, "no user.signingkey"),
        ("ssh", {**GOOD_SSH, "key": "", "key_file": ""}, False, "no user.signingkey"),
        ("ssh", {**GOOD_SSH, "key_file_exists": False}, False, "/k/id_ed25519 does not exist"),
        ("ssh", {**GOOD_SSH, "allowed_signers": ""}, False, "gpg.ssh.allowedSignersFile"),
        ("ssh", {**GOOD_SSH, "allowed_signers_exists": False}, False, "/k/allowed does not exist"),
        ("gpg", {"mode": "gpg", "key": "ABCD1234"}, True, "gpg: ABCD1234"),
        ("gpg", {"mode": "gpg", "key": ""}, False, "no user.signingkey"),
    ],
)
def test_signing_gate(mode, setup, ok, fragment):
    gate = tag_signing(Policy(sign_tags=mode), setup)
    assert gate.ok is ok and fragment in gate.reason
    assert gate.skipped is (mode == "")
