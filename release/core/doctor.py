"""`release.doctor`, pure: which verdict each observation gets, days before a release.

Every check of the doctor is one `Check(name, status, detail, advice)`; `status` is `ok`,
`warning` (works, or cannot be checked, but deserves a look) or `problem` (the release would
fail, or fail half-way). The commands gather the observations (a GitHub header, an HTTP status, a
git exit code); the rules that turn them into a verdict live here, so the thresholds are one
place and unit-tested:

- the GitHub token: missing or refused (401) -> problem; its expiry
  (`github-authentication-token-expiration`) passed -> problem, within `EXPIRY_WARNING_DAYS`
  -> warning; a classic token without `repo`/`public_repo` in `X-OAuth-Scopes` -> problem;
- the repository: no `permissions.push` -> problem (no tags, releases, milestones);
- branch protection: what refuses a direct push (required reviews, required status checks, a
  lock, required signatures, push restrictions) on a release branch -> problem; on main with
  `dev_bump_on_main` -> problem, with `changelog_to_main = "push"` only -> warning (a refused
  forward-port becomes a pull request); an unprotected release branch -> warning;
- a dispatched workflow: missing on the default branch, without `workflow_dispatch`, an input
  we send that it does not declare, or a required input (without default) we do not send ->
  problem;
- the credentials of a Python index: missing configured variables -> problem, missing default
  ones -> warning (keyring, trusted publishing); PyPI/TestPyPI cannot check a token without an
  upload -> warning, unless its shape already tells (not a token, a token of the other index)
  -> problem; a private index that refuses them (401/403) -> problem;
- npm: `whoami` failing -> problem; publish rights per package from the registry's
  collaborators, else its maintainers, else a warning saying why they cannot be checked;
- Docker: the registry refusing the credentials -> problem; no credentials for a registry that
  asks for a login -> warning;
- webhooks: the variable unset -> problem; a Discord webhook that does not exist -> problem;
- git: no user.name/user.email -> problem; the identity not in CODEOWNERS -> problem;
- the project: a configured version file missing or holding no version (on main and the newest
  release branches) -> problem; with `tests.evidence = "nox"`, a tag of `tests.patch|minor|major`
  that no nox session carries, no noxfile, or a noxfile nox cannot list -> problem.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from release.core import codeowners

OK, WARNING, PROBLEM = "ok", "warning", "problem"
STATUSES = (OK, WARNING, PROBLEM)
EXPIRY_WARNING_DAYS = 14
DAY = 86400
WRITE_SCOPES = ("repo", "public_repo")


@dataclass(frozen=True)
class Check:
    """One row of the doctor: what was checked, the verdict, what was seen, what to do."""

    name: str
    status: str  # ok | warning | problem
    detail: str
    advice: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)  # machine-readable facts (JSON)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "advice": self.advice,
        }
        if self.data:
            out["data"] = dict(self.data)
        return out


def ok(name: str, detail: str, advice: str = "", **data: Any) -> Check:
    return Check(name, OK, detail, advice, data)


def warning(name: str, detail: str, advice: str = "", **data: Any) -> Check:
    return Check(name, WARNING, detail, advice, data)


def problem(name: str, detail: str, advice: str = "", **data: Any) -> Check:
    return Check(name, PROBLEM, detail, advice, data)


def counts(checks: Iterable[Check]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for c in checks:
        out[c.status] += 1
    return out


def problems(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if c.status == PROBLEM]


def summary(checks: Sequence[Check]) -> str:
    n = counts(checks)
    return f"{n[OK]} ok, {n[WARNING]} warning(s), {n[PROBLEM]} problem(s)"


# ---- configuration ---------------------------------------------------------------------------


def config_check(error: str = "", hint: str = "", where: str = "pyproject.toml") -> Check:
    if error:
        return problem(
            "configuration",
            f"{error}; the checks that need it (GitHub, indexes, npm, Docker, webhooks) did not run",
            hint or "fix [tool.release] and run release.doctor again",
        )
    return ok("configuration", f"[tool.release] of {where} is valid")


# ---- git -------------------------------------------------------------------------------------


def remote_check(
    remote: str,
    known: Sequence[str],
    returncode: int | None,
    output: str = "",
    error: str = "",
    ref: str = "",
) -> Check:
    """`git push --dry-run` of a scratch ref to the remote: it connects, authenticates for a push
    and computes what it would send; nothing is sent and nothing changes on the remote."""
    name = f"remote {remote}"
    if remote not in known:
        return problem(
            name,
            f"{remote!r} is not a remote of this repository (git remote lists: "
            f"{', '.join(known) or 'none'})",
            f"git remote add {remote} <url>, or set [tool.release].remote",
        )
    if error:
        return problem(name, error, "check the remote URL, the network and your credentials")
    if returncode != 0:
        lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
        key = [ln for ln in lines if ln.lower().startswith(("fatal:", "error:", "remote:", "!"))]
        why = (key or lines or [f"git push --dry-run exited {returncode}"])[0]
        return problem(
            name,
            f"a push to {remote} would fail: {why}",
            f"check `git remote get-url {remote}`, the network and that you may push there",
        )
    return ok(
        name,
        f"reachable, a push is accepted (git push --dry-run of {ref or 'a scratch ref'}: "
        "nothing sent)",
    )


def identity_check(name: str, email: str) -> Check:
    missing = [k for k, v in (("user.name", name), ("user.email", email)) if not v.strip()]
    if missing:
        return problem(
            "git identity",
            f"git {' and '.join(missing)} not set: the release commit and tag need an author",
            "; ".join(
                f'git config {k} "{"Your Name" if k == "user.name" else "you@example.com"}"'
                for k in missing
            ),
        )
    return ok("git identity", f"{name} <{email}>")


def codeowners_check(
    identity: str,
    source: str,
    path: str,
    text: str | None,
    *,
    required: bool = True,
    allow_teams: bool = True,
    teams: Mapping[str, list[str]] | None = None,
) -> Check:
    """Is who will run the release (its login or e-mail) a listed owner?"""
    name = "CODEOWNERS"
    if not required:
        return ok(name, "not required (require_codeowners = false)")
    if text is None:
        return problem(
            name,
            "no CODEOWNERS file (.github/CODEOWNERS, CODEOWNERS or docs/CODEOWNERS) on the "
            "main branch: every release would stop at the release owner gate",
            "commit a CODEOWNERS file listing the release owners",
        )
    if not identity:
        return problem(
            name,
            f"who runs the release is unknown ({source})",
            "set git user.email, or a GitHub token when GitHub is configured",
        )
    owners = codeowners.parse(text)
    listed, why = codeowners.is_owner(
        owners, identity, allow_teams=allow_teams, team_members=dict(teams or {})
    )
    if listed:
        return ok(name, f"{why} in {path} ({source})")
    return problem(
        name,
        f"{identity} ({source}) is not a listed owner in {path}",
        f"add {identity} to {path} (or a team of [tool.release].teams), or let a listed owner "
        "run the release",
    )


# ---- GitHub: the token -------------------------------------------------------------------------

_EXPIRY_FORMATS = ("%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S %z")


def parse_expiration(text: str | None) -> int | None:
    """`github-authentication-token-expiration` -> unix seconds, or None.

    GitHub sends `2026-02-01 12:00:00 UTC`, and for some tokens an offset instead of the zone
    name (`2026-02-01 13:00:00 +0100`)."""
    raw = (text or "").strip()
    if not raw:
        return None
    for fmt in _EXPIRY_FORMATS:
        try:
            when = _dt.datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if when.tzinfo is None:  # %Z accepts UTC/GMT and leaves the time naive
            when = when.replace(tzinfo=_dt.timezone.utc)
        return int(when.timestamp())
    return None


def iso(ts: int) -> str:
    return _dt.datetime.fromtimestamp(int(ts), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expiry_verdict(expires: int | None, now: int) -> tuple[str, str]:
    """(status, words) of a token's expiry: expired -> problem, within 14 days -> warning."""
    if expires is None:
        return OK, "no expiry date"
    left = expires - now
    if left <= 0:
        return PROBLEM, f"expired {iso(expires)} ({-left // DAY} day(s) ago)"
    days = left // DAY
    when = (
        f"expires {iso(expires)} (in {days} day(s))" if days else f"expires {iso(expires)} (today)"
    )
    if left <= EXPIRY_WARNING_DAYS * DAY:
        return WARNING, when
    return OK, when


def parse_scopes(header: str | None) -> list[str] | None:
    """`X-OAuth-Scopes: repo, workflow` -> ["repo", "workflow"]; None when absent (fine-grained
    and app tokens carry no scopes header); [] for a classic token without scopes."""
    if header is None:
        return None
    return [s.strip() for s in header.split(",") if s.strip()]


def token_check(
    *,
    env_name: str,
    status: int,
    login: str = "",
    message: str = "",
    scopes_header: str | None = None,
    expiration: str | None = None,
    now: int = 0,
) -> Check:
    """The token GitHub sees (GET /user): accepted, its scopes, its expiry."""
    name = "GitHub token"
    renew = f"create a new token (repo scope, or a fine-grained token with Contents, Issues, Pull requests and Actions: write) and export {env_name or 'GITHUB_TOKEN'}"
    if not env_name:
        return problem(name, "neither GITHUB_TOKEN nor GH_TOKEN is set", renew)
    if status == 401:
        return problem(
            name,
            f"GitHub refused {env_name} (401 {message or 'Bad credentials'}): it is expired, "
            "revoked or mistyped",
            renew,
        )
    expires = parse_expiration(expiration)
    verdict, when = expiry_verdict(expires, now)
    data: dict[str, Any] = {"env": env_name}
    if expires is not None:
        data["expires_at"] = expires
    who = f"{env_name} acts as {login}" if login else f"{env_name} (an app or Actions token)"
    scopes = parse_scopes(scopes_header)
    if scopes is None:
        kind = "fine-grained or app token (no X-OAuth-Scopes header; its rights are read below)"
    else:
        data["scopes"] = scopes
        kind = f"classic token, scopes: {', '.join(scopes) or 'none'}"
        if not set(WRITE_SCOPES) & set(scopes):
            return problem(
                name,
                f"{who}; {kind}: without repo (or public_repo) it cannot push tags, create "
                "releases or dispatch workflows",
                "create a token with the repo scope (public_repo for a public repository)",
                **data,
            )
    detail = f"{who}; {kind}; {when}"
    if verdict == PROBLEM:
        return problem(name, detail, renew, **data)
    if verdict == WARNING:
        return warning(name, detail, f"renew it before the release: {renew}", **data)
    return ok(name, detail, **data)


def access_check(repo: str, permissions: Mapping[str, Any] | None, default_branch: str) -> Check:
    """Push permission on the repository: tags, releases, milestones, workflow dispatches."""
    name = "GitHub access"
    perms = dict(permissions or {})
    if not perms:
        return ok(
            name,
            f"{repo} (default branch {default_branch}); GitHub did not list the token's "
            "permissions (an app token): they show at the first write",
        )
    have = ", ".join(k for k in ("admin", "maintain", "push", "triage", "pull") if perms.get(k))
    if not perms.get("push"):
        return problem(
            name,
            f"the token cannot push to {repo} (permissions: {have or 'none'}): no tags, GitHub "
            "releases, milestones or workflow dispatches",
            f"use a token of a maintainer with write access to {repo}",
        )
    return ok(
        name,
        f"{repo}: push ({have}): tags, releases and workflow dispatches are allowed; "
        f"default branch {default_branch}",
    )


# ---- GitHub: branch protection ---------------------------------------------------------------


def push_blockers(protection: Mapping[str, Any], login: str) -> tuple[list[str], list[str]]:
    """(what refuses a direct push of a new commit, what might), from a branch protection."""
    sure: list[str] = []
    maybe: list[str] = []
    reviews = protection.get("required_pull_request_reviews")
    if reviews:
        n = reviews.get("required_approving_review_count", 1) if isinstance(reviews, dict) else 1
        sure.append(f"pull request reviews required ({n} approval(s))")
    checks = protection.get("required_status_checks")
    if isinstance(checks, dict):
        names = list(checks.get("contexts") or []) or [
            str(c.get("context")) for c in checks.get("checks") or [] if isinstance(c, dict)
        ]
        if names:
            sure.append(f"status checks required ({', '.join(names)})")
    if (protection.get("lock_branch") or {}).get("enabled"):
        sure.append("the branch is locked (read-only)")
    if (protection.get("required_signatures") or {}).get("enabled"):
        sure.append("signed commits required (release commits are not signed)")
    restrictions = protection.get("restrictions")
    if isinstance(restrictions, dict):
        users = {str(u.get("login", "")).lower() for u in restrictions.get("users") or []}
        teams = [str(t.get("slug", "")) for t in restrictions.get("teams") or []]
        if login.lower() not in users:
            who = ", ".join(sorted(users) + [f"@{t}" for t in teams]) or "nobody"
            (maybe if teams else sure).append(f"pushes restricted to {who}")
    return sure, maybe


def protection_check(
    branch: str,
    role: str,
    state: str,
    protection: Mapping[str, Any] | None = None,
    *,
    login: str = "",
    admin: bool = False,
    dev_bump_on_main: bool = False,
    changelog_push: bool = False,
    message: str = "",
) -> Check:
    """`role`: "main" or "release". `state`: protected | unprotected | missing | unreadable;
    for the release branch pattern itself (`branch` is the pattern): none (no release branch on
    the remote yet) | unknown (the remote did not list its branches)."""
    name = f"protection {branch}"
    if state == "none":
        return ok(
            name,
            "no release branch on the remote yet; protect the pattern against force pushes and "
            "deletions (without required reviews) before the first one is cut",
        )
    if state == "unknown":
        return warning(
            name,
            "the remote did not list its branches: the release branches were not checked",
            "fix the remote (see its row) and run release.doctor again",
        )
    main_reasons = [
        *(["dev_bump_on_main = true pushes the dev bump to it"] * dev_bump_on_main),
        *(
            ['changelog_to_main = "push" pushes each final\'s CHANGELOG.md section to it']
            * changelog_push
        ),
    ]
    pushes = role == "release" or bool(main_reasons)
    why_push = (
        "the release commit is pushed to it" if role == "release" else "; ".join(main_reasons)
    )
    if state == "missing":
        return warning(name, f"GitHub has no branch {branch}", "push it, or fix the branch name")
    if state == "unreadable":
        detail = f"cannot read its protection ({message or 'reading it needs admin rights'})"
        if not pushes:
            return ok(name, f"{detail}; not needed: releases do not push to {branch}")
        return warning(
            name,
            f"{detail}; {why_push}",
            "ask an admin whether direct pushes are allowed, or use a token with admin "
            "(fine-grained: Administration: read)",
        )
    if state == "unprotected":
        if role == "release":
            return warning(
                name,
                f"{branch} is not protected: a force push or a deletion can rewrite a release line",
                "protect the release branch pattern: no force pushes, no deletions (and no "
                "required reviews, so the release can push)",
            )
        return ok(name, f"not protected; {why_push if pushes else 'releases do not push to it'}")
    sure, maybe = push_blockers(protection or {}, login)
    enforce = bool(((protection or {}).get("enforce_admins") or {}).get("enabled"))
    said = "; ".join(sure + maybe)
    if not pushes:
        return ok(
            name,
            f"protected ({said or 'no rule against pushes'}); releases do not push to it "
            '(dev_bump_on_main = false, changelog_to_main is not "push")',
        )
    if not sure and not maybe:
        return ok(name, f"protected, direct pushes allowed; {why_push}")
    if admin and not enforce:
        return warning(
            name,
            f"protected ({said}); {why_push}: it goes through only because the token's user is "
            "an admin and admins may bypass it",
            "do not rely on the bypass: allow the release's pushes explicitly",
        )
    fix = (
        'set changelog_to_main = "pr" and dev_bump_on_main = false (main changes by pull '
        f"request), or allow {login or 'the release user'} to push to {branch}"
        if role == "main"
        else f"allow {login or 'the release user'} to push to {branch} (drop required reviews/checks for release branches)"
    )
    if role == "main" and not dev_bump_on_main and (sure or maybe):
        # only the CHANGELOG.md forward-port pushes to main: refused, it opens a pull request
        return warning(
            name,
            f"{said}: {why_push}; refused, each goes as a pull request instead",
            'set changelog_to_main = "pr" to ask for the pull request directly, or "off"',
        )
    if sure:
        return problem(name, f"{said}: {why_push}, and that push will be refused", fix)
    return warning(
        name, f"{said}: {why_push}; whether you may push depends on team membership", fix
    )


# ---- GitHub: workflows ---------------------------------------------------------------------------


def dispatch_inputs(doc: Any) -> tuple[bool, dict[str, tuple[bool, bool]]]:
    """From a parsed workflow file: (declares workflow_dispatch, {input: (required, has default)})."""
    if not isinstance(doc, Mapping):
        return False, {}
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on:` key as True
    if isinstance(on, str):
        return on == "workflow_dispatch", {}
    if isinstance(on, list):
        return "workflow_dispatch" in on, {}
    if not isinstance(on, Mapping) or "workflow_dispatch" not in on:
        return False, {}
    spec = on.get("workflow_dispatch") or {}
    inputs = spec.get("inputs") if isinstance(spec, Mapping) else None
    out: dict[str, tuple[bool, bool]] = {}
    for key, value in (inputs or {}).items() if isinstance(inputs, Mapping) else ():
        v = value if isinstance(value, Mapping) else {}
        out[str(key)] = (bool(v.get("required")), "default" in v)
    return True, out


def workflow_check(
    file: str,
    ref: str,
    text: str | None,
    doc: Any = None,
    parse_error: str = "",
    sent: Iterable[str] = (),
) -> Check:
    """A configured workflow: on the default branch, dispatchable, with the inputs we send."""
    name = f"workflow {file}"
    path = f".github/workflows/{file}"
    if text is None:
        return problem(
            name,
            f"{path} does not exist on {ref} (the default branch): the dispatch will fail",
            f"merge {path} into {ref}, or fix [[tool.release.workflows]].file",
        )
    if parse_error:
        return problem(name, f"{path} on {ref} is not valid YAML ({parse_error})", f"fix {path}")
    dispatchable, inputs = dispatch_inputs(doc)
    if not dispatchable:
        return problem(
            name,
            f"{path} on {ref} has no workflow_dispatch trigger: GitHub refuses to dispatch it",
            f"add `on: workflow_dispatch` (with the inputs we send) to {path}",
        )
    sent = sorted(set(sent))
    undeclared = [i for i in sent if i not in inputs]
    unsent = sorted(i for i, (req, dflt) in inputs.items() if req and not dflt and i not in sent)
    issues = []
    if undeclared:
        issues.append(f"sends input(s) {', '.join(undeclared)} that {file} does not declare")
    if unsent:
        issues.append(f"does not send required input(s) {', '.join(unsent)}")
    if issues:
        return problem(
            name,
            f"the release {' and '.join(issues)}: GitHub answers 422 to the dispatch",
            f"declare them under on.workflow_dispatch.inputs in {path}, or change "
            "[[tool.release.workflows]].inputs",
        )
    return ok(
        name,
        f"on {ref}, workflow_dispatch with input(s) {', '.join(sent) or 'none'}"
        + (f" (declared: {', '.join(sorted(inputs))})" if inputs else ""),
    )


# ---- Python indexes ------------------------------------------------------------------------------

WAREHOUSE = {
    "pypi.org": "pypi.org",
    "upload.pypi.org": "pypi.org",
    "test.pypi.org": "test.pypi.org",
}


def warehouse_host(url: str) -> str | None:
    """`pypi.org` or `test.pypi.org` when `url` is PyPI's or TestPyPI's (Warehouse), else None."""
    m = re.match(r"^[a-z][a-z0-9+.-]*://([^/:@]+)", (url or "").strip().lower())
    return WAREHOUSE.get(m.group(1)) if m else None


def index_check(
    *,
    label: str,
    role: str,
    upload: str,
    names: str,
    source: str,
    missing: Sequence[str],
    missing_hint: str,
    refused_hint: str,
    username: str = "",
    is_token: bool = True,
    token_host: str | None = None,
    probe: int | None = None,
    probe_error: str = "",
) -> Check:
    """The credentials of the index a release kind uploads to (`core.routing.python_credentials`).

    `username` is a name (shown); of the password only its shape is known: `is_token` (a `pypi-`
    API token) and `token_host` (the index a PyPI token was made on). `probe`: the HTTP status a
    private index gave an authenticated request that uploads nothing (None: not asked)."""
    name = f"{label} credentials"
    data = {"index": label, "upload": upload, "variables": names}
    if missing:
        text = f"{', '.join(missing)} not set ({role} upload to {label})"
        if source == "configured":
            return problem(name, text, missing_hint, **data)
        return warning(
            name,
            f"{text}; twine may still find credentials in a keyring, CI may use trusted publishing",
            missing_hint,
            **data,
        )
    host = warehouse_host(upload)
    if host is not None:
        if username and username != "__token__":
            return problem(
                name,
                f"{names}: {label} takes API tokens only (username __token__), not the "
                f"password of {username}",
                f"create an API token on https://{host}/manage/account/token/ and set it as the password ({names})",
                **data,
            )
        if not is_token:
            return problem(
                name,
                f"{names} does not hold a {label} API token (they start with pypi-)",
                f"create an API token on https://{host}/manage/account/token/",
                **data,
            )
        if token_host and token_host != host:
            return problem(
                name,
                f"{names} holds a token of {token_host}; {label} ({host}) refuses it",
                f"create an API token on https://{host}/manage/account/token/",
                **data,
            )
        return warning(
            name,
            f"{names} set ({role} upload to {label}); {label} accepts or refuses a token only "
            "with an upload: it cannot be checked before the first upload",
            "to be sure before release day, upload a throw-away project with this token by hand",
            **data,
        )
    who = f"as {username or '__token__'}"
    if probe_error:
        return problem(
            name,
            f"{label} ({upload}) is not reachable: {probe_error}",
            "check the URL and the network",
            **data,
        )
    if probe in (401, 403):
        verb = "asked for a login" if probe == 401 else "refused the credentials"
        return problem(
            name,
            f"{label} {verb} ({names}, {who}; HTTP {probe} to a request that uploads nothing)",
            refused_hint,
            **data,
        )
    if probe is not None and (200 <= probe < 300 or probe in (400, 405, 409, 415, 422)):
        return ok(
            name,
            f"{label} accepts {names} ({who}): an empty upload request was answered HTTP "
            f"{probe} after the login check (nothing uploaded)",
            **data,
        )
    return warning(
        name,
        f"{names} set; {label} answered HTTP {probe} to an empty upload request: cannot tell "
        "whether it accepts them",
        f"check [tool.release].repositories ({upload})",
        **data,
    )


# ---- npm -------------------------------------------------------------------------------------------


def npm_login_check(registry: str, user: str, error: str = "") -> Check:
    name = "npm login"
    if error or not user:
        return problem(
            name,
            f"npm whoami on {registry} failed: {error or 'no user'}",
            f"set NPM_TOKEN to a token of the publishing user (or `npm login --registry {registry}`)",
        )
    return ok(name, f"{registry}: logged in as {user}")


def npm_scope(name: str) -> str:
    return name[1:].split("/", 1)[0] if name.startswith("@") and "/" in name else ""


def npm_package_check(
    package: str,
    registry: str,
    user: str,
    *,
    exists: bool,
    collaborators: Mapping[str, str] | None = None,
    maintainers: Sequence[str] = (),
) -> Check:
    """May `user` publish `package`? From the registry's collaborators (npmjs), else the
    package's maintainers (`npm owner ls`), else: cannot be checked (warning)."""
    name = f"npm {package}"
    if not exists:
        scope = npm_scope(package)
        if not scope or scope.lower() == user.lower():
            return ok(
                name,
                f"not on {registry} yet: the first publish creates it as {user}"
                + (f" (in {user}'s own scope)" if scope else ""),
            )
        return warning(
            name,
            f"not on {registry} yet, in the scope @{scope}: the registry does not say whether "
            f"{user} may publish there",
            f"make sure {user} may publish in @{scope} (an org member with write access)",
        )
    if collaborators is not None:
        perm = {k.lower(): v for k, v in collaborators.items()}.get(user.lower(), "")
        if perm == "read-write":
            return ok(name, f"{user} may publish it (collaborators: read-write)")
        return problem(
            name,
            f"{user} may not publish it ({perm or 'not a collaborator'}; collaborators: "
            f"{', '.join(sorted(collaborators)) or 'none'})",
            f"npm access grant read-write <team> {package}, or npm owner add {user} {package}, "
            "or use a token of a collaborator",
        )
    if maintainers:
        if user.lower() in {m.lower() for m in maintainers}:
            return ok(name, f"{user} is a maintainer (npm owner ls)")
        return warning(
            name,
            f"npm owner ls lists {', '.join(maintainers)}, not {user}: the registry may refuse "
            "the publish",
            f"npm owner add {user} {package}, or use a token of a maintainer",
        )
    return warning(
        name,
        f"{registry} does not say who may publish {package} (no collaborators API, no "
        f"maintainers): its own access rules decide when {user} publishes",
        "check the registry's access rules for this package (Verdaccio: `packages` in its config)",
    )


# ---- Docker ------------------------------------------------------------------------------------


def docker_check(
    host: str,
    repositories: Sequence[str],
    *,
    credentials: bool,
    challenged: bool,
    user: str = "",
    error: str = "",
    refused: bool = False,
) -> Check:
    """The registry's login, as the registry API sees it (a token handshake for the images)."""
    name = f"docker registry {host}"
    what = ", ".join(repositories)
    if error and not refused:
        return problem(name, error, "start it, or fix [tool.release].repositories.docker_registry")
    if refused:
        if credentials:
            return problem(
                name,
                f"{host} refused the login of {user} for {what} ({error})",
                "correct DOCKER_USERNAME / DOCKER_PASSWORD (a token with push rights)",
            )
        return warning(
            name,
            f"{host} asks for a login to read {what} ({error}) and DOCKER_USERNAME / "
            "DOCKER_PASSWORD are not set: the login the push uses is not checked",
            "set DOCKER_USERNAME and DOCKER_PASSWORD (or check `docker login` by hand)",
        )
    if not challenged:
        return ok(name, f"{host} answers for {what} and asks for no login")
    if credentials:
        return ok(name, f"{host} accepted the login of {user} for {what} (token handshake)")
    return warning(
        name,
        f"{host} gave an anonymous token for {what}; DOCKER_USERNAME / DOCKER_PASSWORD are not "
        "set, so the login the push uses (docker's own) is not checked",
        "set DOCKER_USERNAME and DOCKER_PASSWORD (a token) to check it",
    )


# ---- the project: version files, nox sessions ------------------------------------------------


def version_files_check(where: Sequence[str], problems_seen: Sequence[str], files: int) -> Check:
    """Every configured version file exists and holds a version at each of `where` (revisions
    the next releases start from: main, the newest release branches)."""
    name = "version files"
    if not where:
        return warning(name, "no commit to read them from yet", "commit first")
    shown = ", ".join(where)
    if problems_seen:
        return problem(
            name,
            "; ".join(problems_seen),
            "fix the file or [[tool.release.packages]].version_files, then run release.doctor again",
            problems=list(problems_seen),
        )
    if not files:
        return ok(name, "no package lists a version file (versions come from the tags)")
    return ok(name, f"{files} version file(s) hold a version on {shown}")


def nox_check(
    evidence: str,
    wanted: Mapping[str, Sequence[str]],
    sessions: Sequence[Mapping[str, Any]] | None,
    error: str = "",
) -> Check:
    """The nox tags each release type needs (`wanted`: type -> tags) against the sessions
    `nox --list --json` showed (each with its `tags`). `sessions` None: not listed (`error`)."""
    name = "nox sessions"
    if evidence != "nox":
        return ok(name, f"tests.evidence = {evidence!r}: the release runs no nox session")
    needed = {t: list(tags) for t, tags in wanted.items() if tags}
    if not needed:
        return ok(name, "tests.patch, tests.minor and tests.major list no nox tag")
    if sessions is None:
        return problem(
            name,
            error or "nox could not list the sessions",
            "add a noxfile.py whose sessions carry the tags (@nox.session(tags=[...]))",
        )
    by_tag: dict[str, list[str]] = {}
    for s in sessions:
        for tag in s.get("tags") or []:
            by_tag.setdefault(str(tag), []).append(str(s.get("name") or s.get("session") or "?"))
    missing = [(t, tag) for t, tags in needed.items() for tag in tags if tag not in by_tag]
    if missing:
        shown = ", ".join(f"{tag!r} ({t})" for t, tag in missing)
        return problem(
            name,
            f"no nox session carries the tag {shown}: `nox -t` would run nothing and the "
            "tests gate would stop the release",
            "tag the sessions those releases need (@nox.session(tags=[...])) or change "
            "[tool.release.tests]",
            missing=[tag for _, tag in missing],
        )
    shown = "; ".join(
        f"{t}: {', '.join(dict.fromkeys(n for tag in tags for n in by_tag[tag]))}"
        for t, tags in needed.items()
    )
    return ok(name, shown)


# ---- webhooks ----------------------------------------------------------------------------------


def webhook_check(
    channel: str,
    kind: str,
    url_env: str,
    *,
    url_set: bool,
    http_url: bool = True,
    status: int | None = None,
    error: str = "",
    webhook_name: str = "",
) -> Check:
    """A notification channel: its variable set; a Discord webhook asked with a GET (which
    returns the webhook and posts nothing); a Slack one only by presence."""
    name = f"webhook #{channel}"
    if not url_env:
        return problem(name, f"[tool.release].notify.{channel} has no url_env", "set url_env")
    if not url_set:
        return problem(
            name,
            f"{url_env} is not set: the {kind} post to #{channel} would fail after the push",
            f"export {url_env}=<the webhook URL from the channel's settings>",
        )
    if not http_url:
        return problem(
            name, f"{url_env} is not an http(s) URL", f"set {url_env} to the webhook URL"
        )
    if kind != "discord":
        return ok(name, f"{url_env} set ({kind} webhooks cannot be checked without posting)")
    if error:
        return problem(
            name, f"the Discord webhook in {url_env} is not reachable: {error}", "check the network"
        )
    if status == 200:
        return ok(
            name,
            f"{url_env}: Discord webhook {webhook_name!r} exists (checked with a GET, nothing posted)"
            if webhook_name
            else f"{url_env}: the Discord webhook exists (checked with a GET, nothing posted)",
        )
    if status in (401, 403, 404):
        return problem(
            name,
            f"Discord says the webhook in {url_env} does not exist (HTTP {status}): deleted or "
            "regenerated",
            f"create a webhook in the channel's settings and update {url_env}",
        )
    return warning(
        name,
        f"{url_env} set; its host answered HTTP {status} to a GET, so the webhook is not verified",
        f"check {url_env}",
    )
