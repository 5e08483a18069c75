"""The verdicts of release.doctor (`core.doctor`): which status each observation gets."""

from __future__ import annotations

import pytest
import yaml

from release.core import doctor as d

NOW = 1768478400  # 2026-01-15T12:00:00Z
DAY = 86400


def test_counts_problems_and_summary():
    rows = [d.ok("a", "x"), d.warning("b", "y"), d.problem("c", "z", "fix"), d.ok("e", "w")]
    assert d.counts(rows) == {"ok": 2, "warning": 1, "problem": 1}
    assert [c.name for c in d.problems(rows)] == ["c"]
    assert d.summary(rows) == "2 ok, 1 warning(s), 1 problem(s)"
    assert rows[2].as_dict() == {"name": "c", "status": "problem", "detail": "z", "advice": "fix"}
    assert d.ok("t", "x", expires_at=5).as_dict()["data"] == {"expires_at": 5}


def test_config():
    assert d.config_check().status == "ok"
    bad = d.config_check("[tool.release].windows.minor = 'seven' is not valid", "an integer")
    assert bad.status == "problem" and "did not run" in bad.detail and bad.advice == "an integer"


# ---- the GitHub token -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-20 12:00:00 UTC", NOW + 5 * DAY),
        ("2026-01-20 13:00:00 +0100", NOW + 5 * DAY),
        ("2026-01-20 12:00:00 GMT", NOW + 5 * DAY),
        ("", None),
        (None, None),
        ("next tuesday", None),
    ],
)
def test_the_expiration_header_in_both_of_githubs_spellings(text, expected):
    assert d.parse_expiration(text) == expected


@pytest.mark.parametrize(
    ("left", "status", "words"),
    [
        (None, "ok", "no expiry date"),
        (-2 * DAY, "problem", "expired 2026-01-13T12:00:00Z (2 day(s) ago)"),
        (0, "problem", "expired"),
        (3600, "warning", "(today)"),
        (5 * DAY, "warning", "expires 2026-01-20T12:00:00Z (in 5 day(s))"),
        (14 * DAY, "warning", "(in 14 day(s))"),
        (14 * DAY + 1, "ok", "(in 14 day(s))"),
        (90 * DAY, "ok", "(in 90 day(s))"),
    ],
)
def test_expiry_thresholds(left, status, words):
    got, text = d.expiry_verdict(None if left is None else NOW + left, NOW)
    assert got == status and words in text


def test_token_verdicts():
    assert d.token_check(env_name="", status=0).status == "problem"
    refused = d.token_check(env_name="GH_TOKEN", status=401, message="Bad credentials")
    assert refused.status == "problem" and "expired, revoked or mistyped" in refused.detail
    assert "export GH_TOKEN" in refused.advice
    fine = d.token_check(
        env_name="GITHUB_TOKEN", status=200, login="me", scopes_header="repo, workflow", now=NOW
    )
    assert fine.status == "ok" and "acts as me" in fine.detail and "no expiry" in fine.detail
    assert fine.data == {"env": "GITHUB_TOKEN", "scopes": ["repo", "workflow"]}
    grained = d.token_check(env_name="GITHUB_TOKEN", status=200, login="me", now=NOW)
    assert grained.status == "ok" and "fine-grained" in grained.detail
    no_repo = d.token_check(
        env_name="GITHUB_TOKEN", status=200, login="me", scopes_header="read:org", now=NOW
    )
    assert no_repo.status == "problem" and "without repo" in no_repo.detail
    assert (
        d.token_check(env_name="T", status=200, scopes_header="public_repo", now=NOW).status == "ok"
    )
    assert d.token_check(env_name="T", status=200, scopes_header="", now=NOW).status == "problem"
    soon = d.token_check(
        env_name="T", status=200, expiration="2026-01-20 12:00:00 UTC", now=NOW, login="me"
    )
    assert soon.status == "warning" and soon.advice.startswith("renew it")
    assert soon.data["expires_at"] == NOW + 5 * DAY
    gone = d.token_check(env_name="T", status=200, expiration="2026-01-01 00:00:00 UTC", now=NOW)
    assert gone.status == "problem" and "expired 2026-01-01T00:00:00Z" in gone.detail
    app = d.token_check(env_name="GITHUB_TOKEN", status=403, now=NOW)
    assert app.status == "ok" and "an app or Actions token" in app.detail


def test_access():
    assert d.access_check("o/r", {"push": True, "pull": True}, "main").status == "ok"
    no = d.access_check("o/r", {"push": False, "pull": True}, "main")
    assert no.status == "problem" and "(permissions: pull)" in no.detail
    assert d.access_check("o/r", None, "main").status == "ok"  # an app token: no permissions


# ---- branch protection --------------------------------------------------------------------------

REVIEWS = {"required_pull_request_reviews": {"required_approving_review_count": 2}}


def test_what_refuses_a_direct_push():
    sure, maybe = d.push_blockers(
        {
            **REVIEWS,
            "required_status_checks": {"contexts": ["ci"], "checks": [{"context": "ci"}]},
            "lock_branch": {"enabled": True},
            "required_signatures": {"enabled": True},
            "restrictions": {"users": [{"login": "other"}], "teams": []},
        },
        "me",
    )
    assert sure == [
        "pull request reviews required (2 approval(s))",
        "status checks required (ci)",
        "the branch is locked (read-only)",
        "signed commits required (release commits are not signed)",
        "pushes restricted to other",
    ]
    assert maybe == []
    assert d.push_blockers({"restrictions": {"users": [{"login": "Me"}], "teams": []}}, "me") == (
        [],
        [],
    )
    assert d.push_blockers({"restrictions": {"users": [], "teams": [{"slug": "rel"}]}}, "me") == (
        [],
        ["pushes restricted to @rel"],
    )
    assert d.push_blockers({"required_status_checks": {"contexts": [], "checks": []}}, "me") == (
        [],
        [],
    )


def test_main_matters_only_when_releases_push_to_it():
    quiet = d.protection_check("main", "main", "protected", REVIEWS, login="me")
    assert quiet.status == "ok" and "dev_bump_on_main = false" in quiet.detail
    bump = d.protection_check(
        "main", "main", "protected", REVIEWS, login="me", dev_bump_on_main=True
    )
    assert bump.status == "problem" and "dev_bump_on_main = false" in bump.advice
    port = d.protection_check("main", "main", "protected", REVIEWS, changelog_push=True)
    assert port.status == "warning" and 'changelog_to_main = "push" pushes' in port.detail
    assert "goes as a pull request instead" in port.detail
    assert 'set changelog_to_main = "pr"' in port.advice
    both = d.protection_check(
        "main", "main", "protected", REVIEWS, changelog_push=True, dev_bump_on_main=True
    )
    assert both.status == "problem"
    bypass = d.protection_check(
        "main", "main", "protected", REVIEWS, login="me", admin=True, dev_bump_on_main=True
    )
    assert bypass.status == "warning" and "bypass" in bypass.detail
    enforced = d.protection_check(
        "main",
        "main",
        "protected",
        {**REVIEWS, "enforce_admins": {"enabled": True}},
        login="me",
        admin=True,
        dev_bump_on_main=True,
    )
    assert enforced.status == "problem"
    assert d.protection_check("main", "main", "unprotected", dev_bump_on_main=True).status == "ok"
    assert d.protection_check("main", "main", "unreadable").status == "ok"
    assert (
        d.protection_check("main", "main", "unreadable", dev_bump_on_main=True).status == "warning"
    )
    assert d.protection_check("main", "main", "missing").status == "warning"


def test_release_branches():
    checks = {"required_status_checks": {"contexts": ["nox"]}}
    blocked = d.protection_check("release-0.4.x", "release", "protected", checks, login="me")
    assert blocked.status == "problem" and "the release commit is pushed to it" in blocked.detail
    open_ = d.protection_check("release-0.4.x", "release", "unprotected")
    assert open_.status == "warning" and "force push" in open_.detail
    guarded = d.protection_check(
        "release-0.4.x", "release", "protected", {"allow_force_pushes": {"enabled": False}}
    )
    assert guarded.status == "ok"
    teams = {"restrictions": {"users": [], "teams": [{"slug": "rel"}]}}
    assert d.protection_check("r", "release", "protected", teams, login="me").status == "warning"
    assert d.protection_check("release-{major}.{minor}.x", "release", "none").status == "ok"
    assert d.protection_check("release-{major}.{minor}.x", "release", "unknown").status == "warning"


# ---- workflows ------------------------------------------------------------------------------------

WF = """\
on:
  push:
  workflow_dispatch:
    inputs:
      version: {required: true}
      kind: {required: true, default: minor}
      note: {required: false}
jobs: {}
"""


def test_the_dispatch_trigger_and_its_inputs_from_yaml():
    doc = yaml.safe_load(WF)
    assert True in doc  # YAML 1.1: a bare `on:` is the boolean key
    assert d.dispatch_inputs(doc) == (
        True,
        {"version": (True, False), "kind": (True, True), "note": (False, False)},
    )
    assert d.dispatch_inputs({"on": "workflow_dispatch"}) == (True, {})
    assert d.dispatch_inputs({"on": ["push", "workflow_dispatch"]}) == (True, {})
    assert d.dispatch_inputs({"on": {"push": None}}) == (False, {})
    assert d.dispatch_inputs({True: {"workflow_dispatch": None}}) == (True, {})
    assert d.dispatch_inputs("not a mapping") == (False, {})


def test_workflow_verdicts():
    doc = yaml.safe_load(WF)
    assert d.workflow_check("r.yml", "main", WF, doc, sent=["version"]).status == "ok"
    assert d.workflow_check("r.yml", "main", WF, doc, sent=["version", "note"]).status == "ok"
    missing = d.workflow_check("r.yml", "main", None)
    assert missing.status == "problem" and "does not exist on main" in missing.detail
    broken = d.workflow_check("r.yml", "main", "on: [", None, parse_error="bad")
    assert broken.status == "problem" and "not valid YAML" in broken.detail
    push_only = d.workflow_check("r.yml", "main", "on: push", {True: "push"})
    assert push_only.status == "problem" and "no workflow_dispatch" in push_only.detail
    extra = d.workflow_check("r.yml", "main", WF, doc, sent=["version", "tag"])
    assert extra.status == "problem" and "sends input(s) tag" in extra.detail
    unsent = d.workflow_check("r.yml", "main", WF, doc, sent=[])
    assert unsent.status == "problem" and "does not send required input(s) version" in unsent.detail


# ---- Python indexes -------------------------------------------------------------------------------


def test_warehouse_hosts():
    assert d.warehouse_host("https://upload.pypi.org/legacy/") == "pypi.org"
    assert d.warehouse_host("https://test.pypi.org/legacy/") == "test.pypi.org"
    assert d.warehouse_host("https://PyPI.org/simple/") == "pypi.org"
    assert d.warehouse_host("https://nexus.example.com/repository/pypi/") is None
    assert d.warehouse_host("http://127.0.0.1:8080/") is None


def idx(**kw):
    base = {
        "label": "TestPyPI",
        "role": "release candidates",
        "upload": "https://test.pypi.org/legacy/",
        "names": "TWINE_PASSWORD_TESTPYPI (username __token__)",
        "source": "per-index",
        "missing": (),
        "missing_hint": "set TWINE_PASSWORD_TESTPYPI",
        "refused_hint": "correct TWINE_PASSWORD_TESTPYPI",
    }
    return d.index_check(**{**base, **kw})


def test_index_credentials_verdicts():
    assert idx(missing=("TWINE_PASSWORD_TESTPYPI",)).status == "warning"  # keyring, OIDC
    configured = idx(source="configured", missing=("TEST_PYPI_TOKEN",))
    assert configured.status == "problem" and configured.advice == "set TWINE_PASSWORD_TESTPYPI"
    # Warehouse: only an upload tells; the token's shape may tell first
    unknown = idx(token_host="test.pypi.org")
    assert unknown.status == "warning"
    assert "cannot be checked before the first upload" in unknown.detail
    assert idx(token_host=None).status == "warning"
    other = idx(token_host="pypi.org")
    assert other.status == "problem" and "a token of pypi.org" in other.detail
    assert idx(is_token=False).status == "problem"
    assert idx(username="alice").status == "problem"
    # a private index, asked with a request that uploads nothing
    private = {"label": "PyPI", "upload": "http://127.0.0.1:1/", "username": "releaser"}
    assert idx(**private, probe=400).status == "ok"
    assert idx(**private, probe=405).status == "ok"
    refused = idx(**private, probe=403)
    assert refused.status == "problem" and "refused the credentials" in refused.detail
    assert refused.advice == "correct TWINE_PASSWORD_TESTPYPI"
    assert idx(**private, probe=401).status == "problem"
    assert idx(**private, probe=404).status == "warning"
    assert idx(**private, probe=502).status == "warning"
    down = idx(**private, probe_error="Connection refused")
    assert down.status == "problem" and "not reachable" in down.detail


# ---- npm, Docker, webhooks ------------------------------------------------------------------------


def test_npm_verdicts():
    assert d.npm_login_check("R", "", "E401").status == "problem"
    assert d.npm_login_check("R", "me").status == "ok"
    pkg = d.npm_package_check
    assert pkg("new-one", "R", "me", exists=False).status == "ok"
    assert pkg("@me/new", "R", "me", exists=False).status == "ok"
    assert pkg("@org/new", "R", "me", exists=False).status == "warning"
    assert pkg("p", "R", "me", exists=True, collaborators={"me": "read-write"}).status == "ok"
    ro = pkg("p", "R", "me", exists=True, collaborators={"me": "read-only", "boss": "read-write"})
    assert ro.status == "problem" and "read-only" in ro.detail
    other = pkg("p", "R", "me", exists=True, collaborators={"boss": "read-write"})
    assert other.status == "problem" and "not a collaborator" in other.detail
    assert pkg("p", "R", "me", exists=True, maintainers=["Me"]).status == "ok"
    assert pkg("p", "R", "me", exists=True, maintainers=["boss"]).status == "warning"
    blind = pkg("p", "R", "me", exists=True)
    assert blind.status == "warning" and "does not say who may publish" in blind.detail


def test_docker_verdicts():
    kw = {"credentials": False, "challenged": False}
    assert d.docker_check("h", ["a/b"], **kw).status == "ok"
    assert d.docker_check("h", ["a/b"], **{**kw, "error": "not reachable"}).status == "problem"
    assert d.docker_check("h", ["a/b"], credentials=False, challenged=True).status == "warning"
    assert d.docker_check("h", ["a/b"], credentials=True, challenged=True, user="u").status == "ok"
    refused = d.docker_check(
        "h", ["a/b"], credentials=True, challenged=True, user="u", error="401", refused=True
    )
    assert refused.status == "problem" and "DOCKER_PASSWORD" in refused.advice
    anonymous = d.docker_check(
        "h", ["a/b"], credentials=False, challenged=True, error="401", refused=True
    )
    assert anonymous.status == "warning"


def test_webhook_verdicts():
    hook = d.webhook_check
    assert hook("releases", "discord", "", url_set=False).status == "problem"
    unset = hook("releases", "discord", "HOOK", url_set=False)
    assert unset.status == "problem" and unset.advice.startswith("export HOOK=")
    assert hook("releases", "discord", "HOOK", url_set=True, http_url=False).status == "problem"
    assert hook("releases", "slack", "HOOK", url_set=True).status == "ok"
    assert hook("releases", "discord", "HOOK", url_set=True, status=200).status == "ok"
    assert hook("releases", "discord", "HOOK", url_set=True, status=404).status == "problem"
    assert hook("releases", "discord", "HOOK", url_set=True, status=401).status == "problem"
    assert hook("releases", "discord", "HOOK", url_set=True, status=501).status == "warning"
    assert hook("releases", "discord", "HOOK", url_set=True, error="refused").status == "problem"


# ---- git ---------------------------------------------------------------------------------------------


def test_git_verdicts():
    assert d.remote_check("origin", ["upstream"], None).status == "problem"
    assert d.remote_check("origin", ["origin"], None, error="timed out").status == "problem"
    failed = d.remote_check(
        "origin",
        ["origin"],
        128,
        "fatal: '/x' does not appear to be a git repository\nfatal: Could not read from remote",
    )
    assert failed.status == "problem"
    assert failed.detail == (
        "a push to origin would fail: fatal: '/x' does not appear to be a git repository"
    )
    assert d.remote_check("origin", ["origin"], 0, ref="refs/release/doctor/1").status == "ok"
    assert d.identity_check("A", "a@x").status == "ok"
    assert d.identity_check("A", "").status == "problem"


def test_codeowners_verdicts():
    text = "* @alice owner@example.com @org/rel\n"
    co = d.codeowners_check
    assert co("x", "s", "", None, required=False).status == "ok"
    assert co("alice", "s", "", None).status == "problem"
    assert co("", "s", "CODEOWNERS", text).status == "problem"
    assert co("alice", "s", "CODEOWNERS", text).status == "ok"
    assert co("owner@example.com", "s", "CODEOWNERS", text).status == "ok"
    bob = co("bob", "the GitHub token's login", "CODEOWNERS", text)
    assert bob.status == "problem" and "add bob to CODEOWNERS" in bob.advice
    assert co("bob", "s", "CODEOWNERS", text, teams={"@org/rel": ["bob"]}).status == "ok"
    assert (
        co("bob", "s", "CODEOWNERS", text, teams={"@org/rel": ["bob"]}, allow_teams=False).status
        == "problem"
    )


def test_nox_session_verdicts():
    wanted = {"patch": ["patch"], "minor": ["minor"], "major": ["major", "bench"]}
    sessions = [
        {"name": "tests", "tags": ["patch", "minor", "major"]},
        {"name": "docs", "tags": ["minor"]},
    ]
    assert d.nox_check("none", wanted, None).status == "ok"
    assert d.nox_check("nox", {"patch": []}, None).status == "ok"
    assert d.nox_check("nox", wanted, None, "no noxfile.py in /x").detail == "no noxfile.py in /x"
    missing = d.nox_check("nox", wanted, sessions)
    assert missing.status == "problem" and missing.data["missing"] == ["bench"]
    assert "'bench' (major)" in missing.detail
    good = d.nox_check("nox", {"patch": ["patch"], "minor": ["minor"]}, sessions)
    assert good.status == "ok" and good.detail == "patch: tests; minor: tests, docs"
    assert d.nox_check("nox", {"patch": ["patch"]}, []).status == "problem"


def test_version_file_verdicts():
    assert d.version_files_check([], [], 2).status == "warning"
    assert d.version_files_check(["main"], [], 0).status == "ok"
    bad = d.version_files_check(["main", "release-0.1.x"], ["a has no x (on main)"], 2)
    assert bad.status == "problem" and bad.data["problems"] == ["a has no x (on main)"]
    assert (
        d.version_files_check(["main"], [], 2).detail == "2 version file(s) hold a version on main"
    )
