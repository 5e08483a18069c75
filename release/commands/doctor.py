"""`release.doctor`: everything a release will need from the outside world, checked days before
release day, changing nothing anywhere.

Each check reads one thing (a git dry run, a GitHub read, an authenticated request that uploads
nothing, `npm whoami`, a registry token handshake, a GET of a Discord webhook) and hands what it
saw to `core.doctor`, which gives the verdict (`ok`, `warning`, `problem`) and the advice. A
check that cannot run (no configuration, a service down) is a row too: the others still run.

Nothing is written: no ref (the push is `--dry-run` of a scratch ref), no journal, no git index
refresh (no `git status`), no upload, no publish, no post; GitHub sees only GETs.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.adapters.git import GitRepo, find_root
from release.adapters.runner import redact, register_secret
from release.core import doctor as rules
from release.core.codeowners import LOCATIONS
from release.core.doctor import Check
from release.core.policy import Policy
from release.errors import ConfigError, NotReady, ReleaseError

SCRATCH_REF = "refs/release/doctor/"  # + random hex: the ref the dry-run push would create


@dataclass
class Report:
    root: Path
    checked_at: int
    checks: list[Check] = field(default_factory=list)

    @property
    def problems(self) -> list[Check]:
        return rules.problems(self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.root),
            "checked_at": self.checked_at,
            "ok": not self.problems,
            "counts": rules.counts(self.checks),
            "checks": [c.as_dict() for c in self.checks],
        }


def raise_for(report: Report) -> None:
    """Exit 3 (a gate-like refusal) when any check found a problem; warnings pass."""
    if report.problems:
        err = NotReady([c.name for c in report.problems], "release")
        err.hint = "fix the problems listed above and run release.doctor again"
        raise err


def doctor(
    path: str | os.PathLike[str] = ".",
    config: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Report:
    """Run every check (read-only) and return the rows, in the order a release needs them."""
    from release.session import load_repo_policy, now

    environ = dict(os.environ if env is None else env)
    root = find_root(path)
    report = Report(root, now())
    where = config or "pyproject.toml"
    policy: Policy | None
    try:
        policy = load_repo_policy(root, config)
        if config is None and not (root / "pyproject.toml").exists():
            cfg = rules.ok("configuration", "no pyproject.toml: the default policy applies")
        else:
            cfg = rules.config_check(where=where)
    except ConfigError as exc:
        policy, cfg = None, rules.config_check(exc.message, exc.hint, where)
    pol = policy or Policy()
    repo = GitRepo(root, pol.remote)
    remote_row, heads = check_remote(repo)
    github_rows: list[Check] = []
    login, login_source = "", ""
    if policy is not None:
        github_rows, login, login_source = check_github(policy, environ, report.checked_at, heads)
    name, email = repo.config("user.name"), repo.config("user.email")
    report.checks += [
        cfg,
        remote_row,
        rules.identity_check(name, email),
        check_codeowners(repo, pol, login, login_source, email),
    ]
    if policy is not None:
        report.checks += [
            check_version_files(repo, policy, heads),
            check_nox(root, policy, environ),
        ]
    report.checks += github_rows
    if policy is not None:
        report.checks += check_python(policy, environ)
        report.checks += check_npm(policy, environ)
        report.checks += check_docker(policy, environ)
        report.checks += check_webhooks(policy, environ)
    return report


# ---- git ---------------------------------------------------------------------------------------


def check_remote(repo: GitRepo) -> tuple[Check, dict[str, str] | None]:
    """The remote answers and takes a push (dry run); its branches when it answered."""
    known = repo.remotes()
    if repo.remote not in known:
        return rules.remote_check(repo.remote, known, None), None
    head = repo.rev("HEAD")
    if not head:
        return rules.warning(
            f"remote {repo.remote}", "no commit yet: nothing to try a push with", "commit first"
        ), None
    ref = SCRATCH_REF + secrets.token_hex(6)
    try:
        res = repo.push_dry_run(head, ref)
    except ReleaseError as exc:
        return rules.remote_check(repo.remote, known, None, error=exc.one_line()), None
    row = rules.remote_check(repo.remote, known, res.returncode, res.stderr + res.stdout, ref=ref)
    if res.returncode != 0:
        return row, None
    try:
        refs = repo.remote_refs("refs/heads/*")
    except ReleaseError:
        return row, None
    return row, {r[len("refs/heads/") :]: sha for r, sha in refs.items()}


def check_codeowners(
    repo: GitRepo,
    policy: Policy,
    login: str,
    login_source: str,
    email: str,
) -> Check:
    """CODEOWNERS as committed on the main branch lists who will run the release."""
    main = policy.main_branch
    rev = next(
        (
            r
            for r in (f"refs/heads/{main}", f"refs/remotes/{policy.remote}/{main}", "HEAD")
            if repo.rev(r)
        ),
        "",
    )
    path, text = "", None
    for loc in LOCATIONS:
        found = repo.show_file(rev, loc) if rev else None
        if found is not None:
            path, text = loc, found
            break
    if login:
        identity, source = login, login_source
    else:
        identity = email
        source = "git user.email" + (" (no GitHub identity)" if policy.github_repo else "")
    return rules.codeowners_check(
        identity,
        source,
        f"{path} on {main}" if path else "",
        text,
        required=policy.require_codeowners,
        allow_teams=policy.allow_teams,
        teams=policy.teams,
    )


# ---- the project ---------------------------------------------------------------------------------


def check_version_files(repo: GitRepo, policy: Policy, heads: dict[str, str] | None) -> Check:
    """Every package's version files parse on main and on the newest release branches (what the
    next minor and the next patches start from), read from git objects, not the checkout."""
    from release.commands.release import version_file_problems
    from release.core.plan import version_file_paths

    where: list[tuple[str, str]] = []
    for branch, _role in branches_to_check(policy, heads):
        rev = next(
            (
                r
                for r in (f"refs/remotes/{policy.remote}/{branch}", f"refs/heads/{branch}")
                if repo.rev(r)
            ),
            "",
        )
        if rev:
            where.append((branch, rev))
    if not where and repo.rev("HEAD"):
        where.append(("HEAD", "HEAD"))
    seen: list[str] = []
    for branch, rev in where:
        seen += [f"{p} (on {branch})" for p in version_file_problems(repo, policy, rev)]
    return rules.version_files_check([b for b, _ in where], seen, len(version_file_paths(policy)))


def check_nox(root: Path, policy: Policy, env: Mapping[str, str]) -> Check:
    """The nox tags each release type runs have sessions (`nox --list --json`, nothing runs)."""
    wanted = {t: list(getattr(policy.tests, t)) for t in ("patch", "minor", "major")}
    if policy.tests.evidence != "nox" or not any(wanted.values()):
        return rules.nox_check(policy.tests.evidence, wanted, [])
    from release.adapters.nox import list_sessions

    sessions, error = list_sessions(root, env)
    return rules.nox_check(policy.tests.evidence, wanted, sessions, error)


# ---- GitHub ------------------------------------------------------------------------------------


def check_github(
    policy: Policy, env: Mapping[str, str], now: int, heads: dict[str, str] | None
) -> tuple[list[Check], str, str]:
    """(rows, login, where the login came from): the token, the repository access, branch
    protection of main and the release branches, the dispatched workflows. GETs only."""
    from release.adapters.github import TOKEN_ENV, GitHub

    if not policy.github_repo:
        return (
            [
                rules.ok(
                    "GitHub",
                    "not configured ([tool.release].github_repo is empty): the GitHub steps are "
                    "skipped",
                )
            ],
            "",
            "",
        )
    env_name = next((n for n in TOKEN_ENV if env.get(n)), "")
    if not env_name:
        return [rules.token_check(env_name="", status=0)], "", ""
    try:
        gh = GitHub(policy.github_api, policy.github_repo, env[env_name], attempts=3, max_wait=30)
        facts = gh.token_facts()
    except ReleaseError as exc:
        return (
            [
                rules.problem(
                    "GitHub token",
                    f"GitHub ({policy.github_api}) could not be asked: {exc.message}",
                    exc.hint or "check [tool.release].github_api and the network",
                )
            ],
            "",
            "",
        )
    rows = [
        rules.token_check(
            env_name=env_name,
            status=int(facts.get("status") or 0),
            login=facts.get("login") or "",
            message=facts.get("message") or "",
            scopes_header=facts.get("scopes"),
            expiration=facts.get("expiration"),
            now=now,
        )
    ]
    if facts.get("status") == 401:
        return rows, "", ""  # every other read would be refused the same way
    login, source = facts.get("login") or "", "the GitHub token's login"
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_ACTOR"):
        login, source = env["GITHUB_ACTOR"], "GITHUB_ACTOR"
    try:
        data = gh.get_json(f"repository {policy.github_repo}", f"/repos/{policy.github_repo}")
    except ReleaseError as exc:
        rows.append(rules.problem("GitHub access", exc.message, exc.hint))
        return rows, login, source
    data = data or {}
    perms = data.get("permissions") or {}
    default = str(data.get("default_branch") or policy.main_branch)
    rows.append(rules.access_check(policy.github_repo, perms, default))
    for branch, role in branches_to_check(policy, heads):
        try:
            state, found = gh.branch_protection(branch)
        except ReleaseError as exc:
            state, found = "unreadable", {"message": exc.message}
        rows.append(
            rules.protection_check(
                branch,
                role,
                state,
                found if state == "protected" else None,
                login=facts.get("login") or "",
                admin=bool(perms.get("admin")),
                dev_bump_on_main=policy.dev_bump_on_main,
                changelog_push=policy.changelog_to_main == "push" and bool(policy.changelog),
                message=unreadable(found) if state == "unreadable" else "",
            )
        )
    pattern_state = release_branches_known(policy, heads)
    if pattern_state:
        rows.append(rules.protection_check(policy.branch_pattern, "release", pattern_state))
    for wf in policy.workflows:
        rows.append(check_workflow(gh, wf.file, default, list(wf.inputs)))
    return rows, login, source


def branches_to_check(policy: Policy, heads: dict[str, str] | None) -> list[tuple[str, str]]:
    """main, and the release branches of the newest supported lines that exist on the remote."""
    out = [(policy.main_branch, "main")]
    lines = sorted(
        ((line, b) for b in (heads or {}) if (line := policy.line_of_branch(b)) is not None),
        reverse=True,
    )
    out += [(b, "release") for _, b in lines[: max(1, policy.supported_lines)]]
    return out


def unreadable(found: Mapping[str, Any]) -> str:
    status = f"HTTP {found['status']} " if found.get("status") else ""
    return f"{status}{found.get('message') or 'refused'}: reading it needs admin rights"


def release_branches_known(policy: Policy, heads: dict[str, str] | None) -> str:
    """'' when release branches were found on the remote; else the pattern's state: `none`
    (the remote has none yet) or `unknown` (the remote did not answer)."""
    if heads is None:
        return "unknown"
    return "" if any(policy.line_of_branch(b) is not None for b in heads) else "none"


def check_workflow(gh: Any, file: str, ref: str, sent: list[str]) -> Check:
    import yaml  # type: ignore[import-untyped]

    path = f".github/workflows/{file}"
    try:
        text = gh.file_text(path, ref)
    except ReleaseError as exc:
        return rules.warning(f"workflow {file}", f"cannot read {path}: {exc.message}", exc.hint)
    doc, error = None, ""
    if text is not None:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            error = " ".join(str(exc).split())[:200]
    return rules.workflow_check(file, ref, text, doc, error, sent)


# ---- Python indexes ------------------------------------------------------------------------------


def check_python(policy: Policy, env: Mapping[str, str]) -> list[Check]:
    """The credentials of each index a release uploads to: PyPI for finals, TestPyPI for the
    release candidates (when a release type goes through RCs). The same check runs in every
    release's gate:registries, before the first local change."""
    from release.core.version import Version
    from release.steps.preflight import python_credential_check

    targets = [(Version(0, 0, 1), "finals")]
    if policy.rc_required:
        targets.append((Version(0, 0, 1, 1), "release candidates"))
    rows = [python_credential_check(policy, v, env, role) for v, role in targets]
    return [r for r in rows if r is not None]


# ---- npm -----------------------------------------------------------------------------------------


def check_npm(policy: Policy, env: Mapping[str, str]) -> list[Check]:
    """`npm whoami` against the configured registry, then who may publish each package."""
    from release.adapters.npm import Npm

    names = list(dict.fromkeys(p.name for p in policy.packages if p.kind == "npm"))
    if not names:
        return []
    registry = redact(policy.repositories.npm_registry)
    with tempfile.TemporaryDirectory(prefix="release-doctor-npm-") as scratch:
        npm = Npm(policy.repositories.npm_registry, env, scratch=Path(scratch))
        try:
            user = npm.whoami()
        except ReleaseError as exc:
            return [rules.npm_login_check(registry, "", exc.message)]
        rows = [rules.npm_login_check(registry, user)]
        for name in names:
            try:
                exists, maintainers = npm.owners(name)
                collaborators = npm.collaborators(name) if exists else None
            except ReleaseError as exc:
                rows.append(rules.warning(f"npm {name}", exc.message, exc.hint))
                continue
            rows.append(
                rules.npm_package_check(
                    name,
                    registry,
                    user,
                    exists=exists,
                    collaborators=collaborators,
                    maintainers=maintainers,
                )
            )
    return rows


# ---- Docker --------------------------------------------------------------------------------------


def check_docker(policy: Policy, env: Mapping[str, str]) -> list[Check]:
    """The registry's login for the image repositories: the registry API's token handshake
    (DOCKER_USERNAME / DOCKER_PASSWORD when set, anonymous otherwise), one manifest GET each."""
    from release.adapters.docker import (
        PASSWORD_ENV,
        USER_ENV,
        Registry,
        registry_endpoint,
        repository,
    )
    from release.errors import RemoteError

    images = policy.images()
    if not images:
        return []
    try:
        endpoint = registry_endpoint(policy.repositories.docker_registry)
    except ConfigError as exc:
        return [rules.problem("docker registry", exc.message, exc.hint)]
    repos = sorted({repository(p, endpoint) for p in images})
    seen: dict[str, Any] = {"challenged": False, "status": None}

    def opener(req: urllib.request.Request, timeout: float) -> Any:
        try:
            return urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as exc:
            seen["status"] = exc.code
            if exc.code == 401 and "Authorization" not in req.headers:
                seen["challenged"] = True
            raise

    user = env.get(USER_ENV, "")
    credentials = bool(user and env.get(PASSWORD_ENV))
    reg = Registry(endpoint, env, opener=opener)
    error, refused = "", False
    for repo in repos:
        try:
            reg.manifest(repo, "latest")
        except RemoteError as exc:
            error = exc.message
            refused = seen["status"] in (401, 403)
            break
    return [
        rules.docker_check(
            endpoint.host,
            repos,
            credentials=credentials,
            challenged=bool(seen["challenged"]),
            user=user,
            error=error,
            refused=refused,
        )
    ]


# ---- webhooks ------------------------------------------------------------------------------------


def check_webhooks(policy: Policy, env: Mapping[str, str]) -> list[Check]:
    channels = [
        (name, ch)
        for name, ch in (
            ("releases", policy.notify.releases),
            ("announcements", policy.notify.announcements),
        )
        if ch is not None
    ]
    if not channels:
        return [rules.ok("webhooks", "none configured ([tool.release.notify]): nothing is posted")]
    rows = []
    for name, ch in channels:
        url = (env.get(ch.url_env, "") if ch.url_env else "").strip()
        register_secret(url)
        parts = urllib.parse.urlsplit(url)
        http_url = parts.scheme in ("http", "https") and bool(parts.netloc)
        status, hook, error = None, "", ""
        if url and http_url and ch.kind == "discord":
            register_secret(parts.path.rstrip("/").rsplit("/", 1)[-1])
            from release.adapters.notify import discord_webhook_info

            status, hook, error = discord_webhook_info(url)
        rows.append(
            rules.webhook_check(
                name,
                ch.kind,
                ch.url_env,
                url_set=bool(url),
                http_url=http_url,
                status=status,
                error=error,
                webhook_name=hook,
            )
        )
    return rows
