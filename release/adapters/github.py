"""GitHub adapter: a thin layer over PyGithub (imported lazily), translating only.

- Client: `policy.github_api` + `policy.github_repo` + a token from `GITHUB_TOKEN` or `GH_TOKEN`.
  A missing token is one clear error before anything is written; `ensure_writable()` (called
  before the first write) reads `X-OAuth-Scopes` and names the scopes that are missing.
- Resilience: 5xx answers, connection errors and rate limits (secondary 403/429 with
  `Retry-After`, primary 403 with `X-RateLimit-Remaining: 0` + `X-RateLimit-Reset`) are retried
  with backoff honouring those headers, up to `attempts` tries and `max_wait` seconds per wait;
  then a `RemoteError` that says when to retry. `sleep` and `clock` are injectable (tests never
  really sleep). PyGithub's own retry is disabled (`retry=None`) so there is one retry policy.
- Secrets: the token is registered with the runner's redaction and every message built from a
  PyGithub exception is redacted; exceptions are re-raised `from None` so no chain leaks it.

Reads that must stay cheap (the milestone gate) use the JSON endpoints directly through
PyGithub's requester: PyGithub objects built from lists fetch missing attributes lazily, one
request each, which would break an API budget silently.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from release.adapters.runner import http_timeout, redact, register_secret
from release.core.milestones import Item, MilestoneCheck, documented_from, still_out
from release.core.routing import github_web_url
from release.errors import ReleaseError, RemoteError

T = TypeVar("T")

TOKEN_ENV = ("GITHUB_TOKEN", "GH_TOKEN")
WRITE_SCOPES = ("repo", "public_repo")  # a classic token needs one of these to write
PER_PAGE = 100
GREEN = {"success", "neutral", "skipped"}
RED = {"failure", "error", "cancelled", "timed_out", "action_required", "stale", "startup_failure"}


def token_from_env(env: Mapping[str, str]) -> str:
    for name in TOKEN_ENV:
        value = env.get(name, "")
        if value:
            register_secret(value)
            return value
    raise ReleaseError(
        "no GitHub token: neither GITHUB_TOKEN nor GH_TOKEN is set",
        "export GITHUB_TOKEN with a token that has the repo scope (nothing was changed)",
    )


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == name.lower():
            return str(v)
    return None


def _when(ts: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(ts))


@dataclass
class CheckRun:
    """One CI signal on a commit: a commit status context or a check run."""

    name: str
    state: str  # success | pending | failure
    url: str = ""
    source: str = "check"  # check | status
    detail: str = ""


@dataclass
class Run:
    """A workflow run, as much as the release needs of it."""

    id: int
    status: str
    conclusion: str | None
    url: str
    title: str = ""
    head_branch: str = ""

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Run:
        return cls(
            int(d["id"]),
            d.get("status") or "",
            d.get("conclusion"),
            d.get("html_url") or "",
            d.get("display_title") or d.get("name") or "",
            d.get("head_branch") or "",
        )


class GitHub:
    """One repository on one GitHub API, with bounded retries."""

    def __init__(
        self,
        api: str,
        repo: str,
        token: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        attempts: int = 5,
        max_wait: float = 120.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not repo or repo.count("/") != 1:
            raise ReleaseError(
                f"GitHub repository {repo!r} is not owner/name", "set [tool.release].github_repo"
            )
        if not token:
            token_from_env({})  # raises the one clear error
        register_secret(token)
        token = token.strip()  # a pasted token's newline would make an invalid header
        register_secret(token)
        self.api = api.rstrip("/")
        self.repo_name = repo
        self._token = token
        self.sleep = sleep
        self.clock = clock
        self.attempts = max(1, attempts)
        self.max_wait = max_wait
        self.log = log or (lambda msg: None)
        self._g: Any = None
        self._repo: Any = None
        self._writable = False
        self._lazy = False
        self._requests = 0  # raw JSON requests made (the milestone gate reports its cost)

    @classmethod
    def from_policy(cls, policy: Any, env: Mapping[str, str] | None = None, **kw: Any) -> GitHub:
        import os

        if not policy.github_repo:
            raise ReleaseError(
                "no GitHub repository configured", 'set [tool.release].github_repo = "owner/name"'
            )
        return cls(
            policy.github_api,
            policy.github_repo,
            token_from_env(os.environ if env is None else env),
            **kw,
        )

    def login(self) -> str:
        """The login the token acts as (GET /user; one request)."""
        data = self.get_json("the token's user", "/user") or {}
        return str(data.get("login") or "")

    def __repr__(self) -> str:  # never shows the token
        return f"GitHub({self.api!r}, {self.repo_name!r})"

    # ---- PyGithub objects (lazy import) ---------------------------------------------------------
    @property
    def g(self) -> Any:
        if self._g is None:
            import inspect

            from github import Auth, Github

            kw: dict[str, Any] = {}
            if (
                "lazy" in inspect.signature(Github).parameters
            ):  # PyGithub >= 2.4: no request per get_repo
                kw["lazy"] = True
            self._g = Github(
                base_url=self.api,
                auth=Auth.Token(self._token),
                retry=None,
                per_page=PER_PAGE,
                seconds_between_requests=0,
                seconds_between_writes=0,
                timeout=max(1, round(http_timeout(30.0))),
                **kw,
            )
            self._lazy = bool(kw)
        return self._g

    @property
    def repo(self) -> Any:
        if self._repo is None:
            g = self.g
            self._repo = (
                g.get_repo(self.repo_name) if self._lazy else g.get_repo(self.repo_name, lazy=True)
            )
        return self._repo

    def _path(self, rest: str) -> str:
        return f"/repos/{self.repo_name}{rest}"

    # ---- the retry policy ------------------------------------------------------------------------
    def call(self, what: str, fn: Callable[[], T], *, missing: bool = False) -> T | None:
        """Run `fn` (one or more PyGithub calls); retry transient failures; map errors to ours.

        `missing=True`: a 404 returns None instead of raising.
        """
        from github import GithubException

        try:
            import requests

            transient: tuple[type[BaseException], ...] = (
                requests.ConnectionError,
                requests.Timeout,
            )
        except ImportError:  # pragma: no cover
            transient = (ConnectionError,)
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except GithubException as exc:
                status = exc.status
                if status == 404 and missing:
                    return None
                wait, why = self._retry_wait(exc, attempt)
                if wait is None:
                    raise self._error(what, exc) from None
            except transient as exc:
                wait, why = (
                    min(2.0 ** (attempt - 1), self.max_wait),
                    f"connection failed ({type(exc).__name__})",
                )
            except (ValueError, OSError) as exc:  # a refused header, a TLS or socket failure
                raise RemoteError(
                    redact(f"GitHub {what} failed: {type(exc).__name__}"),
                    f"check [tool.release].github_api ({self.api}) and the token's format",
                ) from None
            if attempt >= self.attempts or wait > self.max_wait:
                at = self.clock() + wait
                raise RemoteError(
                    redact(f"GitHub {what} failed: {why} (after {attempt} attempt(s))"),
                    f"retry after {_when(at)} (in {int(wait) + 1}s); nothing further was changed",
                ) from None
            self.log(f"GitHub {what}: {why}; retrying in {wait:.0f}s ({attempt}/{self.attempts})")
            self.sleep(wait)

    def _retry_wait(self, exc: Any, attempt: int) -> tuple[float | None, str]:
        status = exc.status
        headers = getattr(exc, "headers", None) or {}
        message = _message(exc)
        retry_after = _header(headers, "Retry-After")
        remaining = _header(headers, "X-RateLimit-Remaining")
        reset = _header(headers, "X-RateLimit-Reset")
        if status in (403, 429):
            if retry_after and retry_after.strip().isdigit():
                return float(retry_after), f"rate limited ({status}, Retry-After {retry_after}s)"
            if remaining == "0" and reset and reset.strip().isdigit():
                return max(1.0, float(reset) - self.clock() + 1), f"rate limit exhausted ({status})"
            if status == 429 or "rate limit" in message.lower():
                return 60.0, f"secondary rate limit ({status})"  # GitHub: wait at least a minute
            return None, ""
        if status >= 500:
            return min(2.0 ** (attempt - 1), self.max_wait), f"server error {status}"
        return None, ""

    def _error(self, what: str, exc: Any) -> ReleaseError:
        status, message = exc.status, _message(exc)
        if status == 401:
            return ReleaseError(
                redact(
                    f"GitHub rejected the token for {what} (401 {message or 'Bad credentials'})"
                ),
                "check GITHUB_TOKEN / GH_TOKEN (expired or revoked?)",
            )
        if status == 403:
            return ReleaseError(
                redact(f"GitHub refused {what} (403 {message})"),
                f"the token needs the repo scope and write access to {self.repo_name}",
            )
        if status == 404:
            return RemoteError(
                redact(f"GitHub {what}: not found (404)"),
                f"check [tool.release].github_repo = {self.repo_name!r} and the token's access",
            )
        details = ""
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and data.get("errors"):
            details = "; ".join(
                str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
                for e in data["errors"]
            )
        return RemoteError(
            redact(f"GitHub {what} failed ({status} {message}{': ' + details if details else ''})")
        )

    # ---- raw JSON (controlled request counts) ----------------------------------------------------
    def get_json(
        self, what: str, path: str, params: dict[str, Any] | None = None, *, missing: bool = False
    ) -> Any:
        def go() -> Any:
            self._requests += 1
            _, data = self.g.requester.requestJsonAndCheck("GET", path, parameters=params)
            return data

        return self.call(what, go, missing=missing)

    def send_json(self, what: str, verb: str, path: str, body: Any = None) -> Any:
        self.ensure_writable()

        def go() -> Any:
            self._requests += 1
            _, data = self.g.requester.requestJsonAndCheck(verb, path, input=body)
            return data

        return self.call(what, go)

    # ---- access ----------------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Before the first write: the token exists, is accepted, has a write scope and push access."""
        if self._writable:
            return
        data = self.get_json(f"access to {self.repo_name}", self._path(""))
        scopes = self.g.oauth_scopes  # from X-OAuth-Scopes; None for fine-grained/app tokens
        if scopes is not None and not set(WRITE_SCOPES) & {s.strip() for s in scopes}:
            have = ", ".join(s for s in scopes if s) or "none"
            raise ReleaseError(
                f"the GitHub token lacks the scope needed to release: repo (it has: {have})",
                "create a token with the repo scope (public_repo is enough for a public repository); nothing was changed",
            )
        perms = (data or {}).get("permissions") or {}
        if perms and not perms.get("push"):
            raise ReleaseError(
                f"the GitHub token cannot write to {self.repo_name} (no push permission)",
                "use a token of a maintainer; nothing was changed",
            )
        self._writable = True

    # ---- milestones ------------------------------------------------------------------------------
    def find_milestone(self, title: str, number: int | None = None) -> dict[str, Any] | None:
        """The milestone titled `title` (JSON): by its number when known (1 request), else by
        listing open then closed milestones, 100 per page (1 request for most repositories)."""
        if number:
            m = self.get_json(
                f"milestone {number}", self._path(f"/milestones/{int(number)}"), missing=True
            )
            if m and m.get("title") == title:
                return m
        for state in ("open", "closed"):
            page = 1
            while True:
                items = (
                    self.get_json(
                        f"milestones ({state})",
                        self._path("/milestones"),
                        {
                            "state": state,
                            "per_page": PER_PAGE,
                            "page": page,
                            "sort": "due_on",
                            "direction": "desc",
                        },
                    )
                    or []
                )
                for m in items:
                    if m.get("title") == title:
                        return m
                if len(items) < PER_PAGE:
                    break
                page += 1
        return None

    def create_milestone(self, title: str, description: str = "") -> tuple[dict[str, Any], bool]:
        """(milestone, created): an existing milestone with that title is returned as is."""
        found = self.find_milestone(title)
        if found:
            return found, False
        m = self.send_json(
            f"create milestone {title}",
            "POST",
            self._path("/milestones"),
            {"title": title, "description": description},
        )
        return m, True

    def set_milestone_state(self, number: int, state: str) -> dict[str, Any]:
        return self.send_json(
            f"{'close' if state == 'closed' else 'reopen'} milestone {number}",
            "PATCH",
            self._path(f"/milestones/{int(number)}"),
            {"state": state},
        )

    def search(self, query: str, per_page: int = PER_PAGE) -> tuple[int, list[dict[str, Any]]]:
        """(total_count, first page of items) of an issue search: one request."""
        data = (
            self.get_json("issue search", "/search/issues", {"q": query, "per_page": per_page})
            or {}
        )
        return int(data.get("total_count", 0)), list(data.get("items", []))

    def milestone_items(self, number: int, state: str = "open") -> list[dict[str, Any]]:
        """Issues and pull requests of a milestone, 100 per page."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            items = (
                self.get_json(
                    f"issues of milestone {number}",
                    self._path("/issues"),
                    {
                        "milestone": int(number),
                        "state": state,
                        "per_page": PER_PAGE,
                        "page": page,
                        "direction": "asc",
                    },
                )
                or []
            )
            out.extend(items)
            if len(items) < PER_PAGE:
                return out
            page += 1

    def issue_comments(self, number: int) -> list[str]:
        bodies: list[str] = []
        page = 1
        while True:
            items = (
                self.get_json(
                    f"comments of #{number}",
                    self._path(f"/issues/{int(number)}/comments"),
                    {"per_page": PER_PAGE, "page": page},
                )
                or []
            )
            bodies.extend(c.get("body") or "" for c in items)
            if len(items) < PER_PAGE:
                return bodies
            page += 1

    def left_milestone(
        self, title: str, since: str, through: int = 0
    ) -> tuple[dict[int, str], int]:
        """Issues (pull requests excluded) with a `demilestoned` event for `title`, read newest
        first from the repository's issue events down to event id `through` (the newest one a
        previous check read) or the time `since`: ({number: title}, newest event id seen). Each
        event is read once per clone: the caller keeps both (see `check_milestone`)."""
        left: dict[int, str] = {}
        newest = through
        page = 1
        while True:
            events = (
                self.get_json(
                    "issue events",
                    self._path("/issues/events"),
                    {"per_page": PER_PAGE, "page": page},
                )
                or []
            )
            for ev in events:
                eid = int(ev.get("id") or 0)
                if (through and eid <= through) or (ev.get("created_at") or "") < since:
                    return left, newest
                newest = max(newest, eid)
                if (
                    ev.get("event") == "demilestoned"
                    and (ev.get("milestone") or {}).get("title") == title
                ):
                    issue = ev.get("issue") or {}
                    if issue.get("number") and "pull_request" not in issue:
                        left.setdefault(int(issue["number"]), issue.get("title") or "")
            if len(events) < PER_PAGE:
                return left, newest
            page += 1

    def timeline(self, number: int) -> list[dict[str, Any]] | None:
        """An issue's timeline (events and comments, oldest first); None when it is gone."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            items = self.get_json(
                f"timeline of #{number}",
                self._path(f"/issues/{int(number)}/timeline"),
                {"per_page": PER_PAGE, "page": page},
                missing=True,
            )
            if items is None:
                return None if page == 1 else out
            out.extend(items)
            if len(items) < PER_PAGE:
                return out
            page += 1

    def check_milestone(
        self, title: str, number: int | None = None, seen: Mapping[str, Any] | None = None
    ) -> MilestoneCheck:
        """The gate's view of a milestone. A clean milestone costs 3 requests (the milestone, one
        search for pull requests, the issue events since the last check) and each issue that left
        it one more (its own timeline). `seen` is what an earlier check of this clone read
        (`chk.seen`: the newest event id and the issues that left), so events are read once."""
        start = self._count()
        m = self.find_milestone(title, number)
        if m is None:
            return MilestoneCheck(title, found=False, requests=self._count() - start)
        chk = MilestoneCheck(
            title,
            number=int(m["number"]),
            state=m.get("state", "open"),
            closed_issues=int(m.get("closed_issues", 0)),
        )
        q = f'repo:{self.repo_name} milestone:"{title}" is:pr'
        chk.pull_request_count, prs = self.search(q)
        chk.pull_requests = [_item(p) for p in prs]
        open_total = int(m.get("open_issues", 0))  # GitHub counts open PRs here too
        if chk.pull_request_count:
            items = self.milestone_items(chk.number, "open") if open_total else []
            chk.open_items = [_item(i) for i in items if "pull_request" not in i]
            chk.open_issues = len(chk.open_items)
            closed_prs = sum(1 for p in prs if p.get("state") == "closed")
            chk.closed_issues = max(0, chk.closed_issues - closed_prs)
        else:
            chk.open_issues = open_total
            if open_total:
                chk.open_items = [_item(i) for i in self.milestone_items(chk.number, "open")]
        through, known = _seen(seen, chk.number)
        left, newest = self.left_milestone(title, m.get("created_at") or "", through)
        for n, t in known.items():
            left.setdefault(n, t)
        chk.seen = {
            "milestone": chk.number,
            "through": newest,
            "left": {str(n): left[n] for n in sorted(left)},
        }
        for n in sorted(left):
            tl = self.timeline(n)
            if tl is None or not still_out(tl, title):
                continue  # deleted or transferred, or moved back in
            item = Item(n, left[n], f"{github_web_url(self.api)}/{self.repo_name}/issues/{n}")
            bodies = [i.get("body") or "" for i in tl if i.get("event") == "commented"]
            (chk.documented if documented_from(bodies, title) else chk.undocumented).append(item)
        chk.requests = self._count() - start
        return chk

    def move_issue(self, number: int, to_number: int, comment: str) -> None:
        """Comment first (the rationale), then move: a half-done move is still documented."""
        self.send_json(
            f"comment on #{number}",
            "POST",
            self._path(f"/issues/{int(number)}/comments"),
            {"body": comment},
        )
        self.send_json(
            f"move #{number}",
            "PATCH",
            self._path(f"/issues/{int(number)}"),
            {"milestone": int(to_number)},
        )

    def comment(self, number: int, body: str) -> dict[str, Any]:
        return self.send_json(
            f"comment on #{number}",
            "POST",
            self._path(f"/issues/{int(number)}/comments"),
            {"body": body},
        )

    # ---- release notes: labels and handles (GraphQL, one query per 100 PRs and commits) -------------
    def notes_facts(
        self, prs: Sequence[int], shas: Sequence[str]
    ) -> tuple[dict[int, dict[str, Any]], dict[str, str]]:
        """({PR number: {"labels": [...], "login": author}}, {git author name: GitHub login})
        for the PRs and commits of one release's notes: one GraphQL query per `GRAPHQL_BATCH`
        of them (a release of 60 changes costs one request). A PR or commit GitHub does not know
        is left out; a commit's co-authors are mapped too."""
        items = [("pr", str(int(n))) for n in dict.fromkeys(prs)]
        items += [("c", sha) for sha in dict.fromkeys(shas) if _SHA.fullmatch(sha)]
        found: dict[int, dict[str, Any]] = {}
        logins: dict[str, str] = {}
        owner, name = self.repo_name.split("/", 1)
        for i in range(0, len(items), GRAPHQL_BATCH):
            data = self.graphql(
                "release notes facts",
                notes_query(items[i : i + GRAPHQL_BATCH]),
                {"owner": owner, "name": name},
            )
            repo = (data or {}).get("repository") or {}
            for alias, node in repo.items():
                if not isinstance(node, dict):
                    continue
                if alias.startswith("pr_"):
                    labels = [
                        str(lab.get("name"))
                        for lab in (node.get("labels") or {}).get("nodes") or []
                        if isinstance(lab, dict) and lab.get("name")
                    ]
                    login = ((node.get("author") or {}).get("login")) or ""
                    found[int(node.get("number") or alias[3:])] = {
                        "labels": labels,
                        "login": str(login),
                    }
                else:
                    for who in (node.get("authors") or {}).get("nodes") or []:
                        user = (who or {}).get("user") or {}
                        if who.get("name") and user.get("login"):
                            logins.setdefault(str(who["name"]), str(user["login"]))
        return found, logins

    def graphql(self, what: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """POST a GraphQL query; its `data` (GitHub answers 200 with `errors` for what it could
        not resolve, e.g. a PR number that does not exist: those parts are null and ignored;
        any other error is an error)."""

        def go() -> Any:
            self._requests += 1
            req = self.g.requester
            _, body = req.requestJsonAndCheck(
                "POST", req.graphql_url, input={"query": query, "variables": dict(variables)}
            )
            return body

        body = self.call(what, go) or {}
        errors = [e for e in body.get("errors") or [] if (e or {}).get("type") != "NOT_FOUND"]
        if errors:
            message = str((errors[0] or {}).get("message") or "GraphQL error")
            raise RemoteError(redact(f"GitHub {what} failed: {message}"), "re-run later")
        return body.get("data") or {}

    # ---- pull requests ---------------------------------------------------------------------------
    def get_pull(self, number: int) -> dict[str, Any] | None:
        return self.get_json(
            f"pull request #{number}", self._path(f"/pulls/{int(number)}"), missing=True
        )

    def open_pulls(self, head: str, base: str | None = None) -> list[dict[str, Any]]:
        """Open PRs from `head` (a branch of this repository or "owner:branch")."""
        owner = self.repo_name.split("/")[0]
        params: dict[str, Any] = {
            "state": "open",
            "head": head if ":" in head else f"{owner}:{head}",
            "per_page": PER_PAGE,
        }
        if base:
            params["base"] = base
        return list(self.get_json(f"pull requests from {head}", self._path("/pulls"), params) or [])

    def create_pull(
        self, title: str, body: str, head: str, base: str, labels: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Open a PR (or return the open one from the same head to the same base) and label it."""
        found = self.open_pulls(head, base)
        pr = (
            found[0]
            if found
            else self.send_json(
                f"open pull request {head} -> {base}",
                "POST",
                self._path("/pulls"),
                {"title": title, "body": body, "head": head, "base": base},
            )
        )
        want = [x for x in labels if x not in {lb["name"] for lb in pr.get("labels") or []}]
        if want:
            self.send_json(
                f"label #{pr['number']}",
                "POST",
                self._path(f"/issues/{pr['number']}/labels"),
                {"labels": want},
            )
            pr = self.get_pull(pr["number"]) or pr
        return pr

    # ---- releases --------------------------------------------------------------------------------
    def release_by_tag(self, tag: str) -> Any | None:
        """The (PyGithub) release of a tag, or None."""
        return self.call(f"release {tag}", lambda: self.repo.get_release(tag), missing=True)

    def latest_release_tag(self) -> str | None:
        rel = self.get_json("latest release", self._path("/releases/latest"), missing=True)
        return rel.get("tag_name") if rel else None

    def create_release(
        self,
        tag: str,
        name: str,
        body: str,
        *,
        prerelease: bool,
        make_latest: bool,
        target: str = "",
    ) -> Any:
        self.ensure_writable()
        kw: dict[str, Any] = {
            "prerelease": prerelease,
            "make_latest": "true" if make_latest else "false",
        }
        if target:
            kw["target_commitish"] = target
        return self.call(
            f"create release {tag}", lambda: self.repo.create_git_release(tag, name, body, **kw)
        )

    def update_release(
        self, release: Any, name: str, body: str, *, prerelease: bool, make_latest: bool
    ) -> Any:
        self.ensure_writable()
        return self.call(
            f"update release {release.tag_name}",
            lambda: release.update_release(
                name,
                body,
                draft=False,
                prerelease=prerelease,
                make_latest="true" if make_latest else "false",
            ),
        )

    def release_assets(self, release: Any) -> dict[str, int]:
        """name -> size of a release's assets (one request per 100)."""
        return (
            self.call(
                f"assets of {release.tag_name}",
                lambda: {a.name: a.size for a in release.get_assets()},
            )
            or {}
        )

    def upload_asset(self, release: Any, path: Path) -> None:
        self.ensure_writable()
        self.call(
            f"upload {path.name}",
            lambda: release.upload_asset(
                str(path), name=path.name, content_type="application/octet-stream"
            ),
        )

    # ---- CI --------------------------------------------------------------------------------------
    def commit_checks(self, sha: str) -> list[CheckRun]:
        """Commit statuses (latest per context) and check runs (latest per name) of a commit."""
        status = (
            self.get_json(
                f"status of {sha[:12]}",
                self._path(f"/commits/{sha}/status"),
                {"per_page": PER_PAGE},
            )
            or {}
        )
        out: list[CheckRun] = []
        for st in status.get("statuses") or []:
            state = {"success": "success", "pending": "pending"}.get(st.get("state"), "failure")
            out.append(
                CheckRun(
                    st.get("context") or "status",
                    state,
                    st.get("target_url") or "",
                    "status",
                    st.get("description") or "",
                )
            )
        runs: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            data = (
                self.get_json(
                    f"check runs of {sha[:12]}",
                    self._path(f"/commits/{sha}/check-runs"),
                    {"per_page": PER_PAGE, "page": page},
                )
                or {}
            )
            items = data.get("check_runs") or []
            for cr in items:
                prev = runs.get(cr["name"])
                if prev is None or int(cr["id"]) > int(prev["id"]):
                    runs[cr["name"]] = cr
            if len(items) < PER_PAGE:
                break
            page += 1
        for cr in runs.values():
            if cr.get("status") != "completed":
                state = "pending"
            elif cr.get("conclusion") in GREEN:
                state = "success"
            else:
                state = "failure"
            out.append(
                CheckRun(
                    cr["name"],
                    state,
                    cr.get("html_url") or cr.get("details_url") or "",
                    "check",
                    cr.get("conclusion") or cr.get("status") or "",
                )
            )
        return out

    # ---- workflows -------------------------------------------------------------------------------
    def workflow_runs(self, file: str, branch: str) -> list[Run]:
        """workflow_dispatch runs of a workflow on a ref, newest first (first 100)."""
        data = (
            self.get_json(
                f"runs of {file}",
                self._path(f"/actions/workflows/{file}/runs"),
                {"event": "workflow_dispatch", "branch": branch, "per_page": PER_PAGE},
            )
            or {}
        )
        return [Run.from_json(r) for r in data.get("workflow_runs") or []]

    def get_run(self, run_id: int) -> Run | None:
        data = self.get_json(
            f"workflow run {run_id}", self._path(f"/actions/runs/{int(run_id)}"), missing=True
        )
        return Run.from_json(data) if data else None

    def dispatch(self, file: str, ref: str, inputs: Mapping[str, str]) -> int | None:
        """Dispatch a workflow; the run id when GitHub returns it (`return_run_details`)."""
        data = self.send_json(
            f"dispatch {file} on {ref}",
            "POST",
            self._path(f"/actions/workflows/{file}/dispatches"),
            {"ref": ref, "inputs": dict(inputs), "return_run_details": True},
        )
        if isinstance(data, dict) and data.get("workflow_run_id"):
            return int(data["workflow_run_id"])
        return None

    def wait_run(
        self,
        run_id: int,
        timeout_s: float,
        poll_s: float = 15.0,
        progress: Callable[[Run], None] | None = None,
    ) -> Run:
        """Follow a run until it completes or `timeout_s` passes (then a RemoteError with its link)."""
        deadline = self.clock() + timeout_s
        last = ""
        while True:
            run = self.get_run(run_id)
            if run is None:
                raise RemoteError(
                    f"workflow run {run_id} disappeared", "check the repository's Actions tab"
                )
            if run.status != last and progress:
                progress(run)
            last = run.status
            if run.status == "completed":
                return run
            if self.clock() >= deadline:
                raise RemoteError(
                    f"workflow run {run.title or run_id} still {run.status} after {int(timeout_s)}s: {run.url}",
                    "re-run the same command later to keep following it (it is not dispatched again)",
                )
            self.sleep(poll_s)

    # ---- internals -------------------------------------------------------------------------------
    def _count(self) -> int:
        return self._requests

    # ---- read-only checks (release.doctor) -------------------------------------------------------
    def token_facts(self) -> dict[str, Any]:
        """What GitHub says of the token (GET /user, one request, nothing written): `status`
        (200, or 401/403 when refused), `message`, `login`, `scopes` (the X-OAuth-Scopes header;
        None for fine-grained and app tokens), `expiration` (the
        github-authentication-token-expiration header; None for a token without expiry)."""
        from github import GithubException

        def go() -> dict[str, Any]:
            self._requests += 1
            try:
                headers, data = self.g.requester.requestJsonAndCheck("GET", "/user")
            except GithubException as exc:
                if exc.status in (401, 403) and self._retry_wait(exc, 1)[0] is None:
                    return {
                        "status": exc.status,
                        "message": redact(_message(exc)),
                        "login": "",
                        "scopes": None,
                        "expiration": None,
                    }
                raise
            return {
                "status": 200,
                "message": "",
                "login": str((data or {}).get("login") or ""),
                "scopes": _header(headers, "X-OAuth-Scopes"),
                "expiration": _header(headers, "github-authentication-token-expiration"),
            }

        return self.call("the token's user", go) or {}

    def branch_protection(self, branch: str) -> tuple[str, dict[str, Any]]:
        """The protection of `branch` (GET .../branches/{branch}/protection; needs admin):
        ("protected", settings), ("unprotected", {}), ("missing", {}) for a branch GitHub does
        not have, or ("unreadable", {"status", "message"})."""
        import urllib.parse

        from github import GithubException

        path = self._path(f"/branches/{urllib.parse.quote(branch)}/protection")

        def go() -> tuple[str, dict[str, Any]]:
            self._requests += 1
            try:
                _, data = self.g.requester.requestJsonAndCheck("GET", path)
            except GithubException as exc:
                message = _message(exc)
                if exc.status == 404 and message == "Branch not protected":
                    return "unprotected", {}
                if exc.status == 404 and message == "Branch not found":
                    return "missing", {}
                if exc.status in (403, 404) and self._retry_wait(exc, 1)[0] is None:
                    return "unreadable", {"status": exc.status, "message": redact(message)}
                raise
            return "protected", dict(data or {})

        return self.call(f"protection of {branch}", go) or ("unreadable", {})

    def file_text(self, path: str, ref: str) -> str | None:
        """A file of the repository at `ref` (GET .../contents/{path}?ref=), or None."""
        import base64
        import urllib.parse

        data = self.get_json(
            f"{path} on {ref}",
            self._path(f"/contents/{urllib.parse.quote(path)}"),
            {"ref": ref},
            missing=True,
        )
        if not isinstance(data, dict) or data.get("type", "file") != "file":
            return None  # absent, or a directory
        content = str(data.get("content") or "")
        if data.get("encoding") == "base64":
            return base64.b64decode(content).decode("utf-8", "replace")
        return content

    # ---- release assets: their content -----------------------------------------------------------
    def _asset_list(self, release: Any) -> list[Any]:
        return self.call(f"assets of {release.tag_name}", lambda: list(release.get_assets())) or []

    def asset_bytes(self, release: Any, name: str) -> bytes | None:
        """The content of the release's asset `name`, downloaded through the API (None when the
        release has no asset of that name)."""
        found = [a for a in self._asset_list(release) if a.name == name]
        return self._download(found[0]) if found else None

    def asset_hashes(self, release: Any) -> dict[str, str]:
        """name -> sha256 of every asset of a release, each downloaded through the API."""
        import hashlib

        return {
            a.name: hashlib.sha256(self._download(a)).hexdigest() for a in self._asset_list(release)
        }

    def _download(self, asset: Any) -> bytes:
        """GET the asset's API URL with `Accept: application/octet-stream` (GitHub redirects to
        the file; the token is not sent to another host). A server that answers that URL with
        the asset's JSON whatever Accept says is asked at its browser URL, on the same host."""
        import urllib.parse

        from github import GithubException

        def fetch(url: str) -> tuple[bytes, str]:
            import requests

            try:
                _, headers, chunks = self.g.requester.getStream(url, chunk_size=65536)
                data = b"".join(chunks)
            except requests.HTTPError as exc:
                resp = exc.response
                status = resp.status_code if resp is not None else 500
                raise GithubException(
                    status, {"message": resp.reason if resp is not None else ""}, None
                ) from None
            ctype = {k.lower(): v for k, v in (headers or {}).items()}.get("content-type", "")
            return data, str(ctype)

        def go() -> bytes:
            self._requests += 1
            data, ctype = fetch(asset.url)
            browser = asset.browser_download_url or ""
            same_host = (
                urllib.parse.urlsplit(browser).netloc == urllib.parse.urlsplit(self.api).netloc
            )
            if ctype.startswith("application/json") and browser and same_host:
                self._requests += 1
                data, _ = fetch(browser)
            return data

        return self.call(f"download of {asset.name}", go) or b""


GRAPHQL_BATCH = 100  # aliases per GraphQL query (PRs and commits)
_SHA = re.compile(r"[0-9a-f]{40}")


def notes_query(items: Sequence[tuple[str, str]]) -> str:
    """The GraphQL query for ("pr", number) and ("c", sha) items: labels and author of each
    PR, authors (co-authors included) of each commit with their GitHub users."""
    parts = []
    for kind, key in items:
        if kind == "pr":
            parts.append(
                f"pr_{key}: pullRequest(number: {key}) "
                "{ number author { login } labels(first: 50) { nodes { name } } }"
            )
        else:
            parts.append(
                f'c_{key}: object(oid: "{key}") '
                "{ ... on Commit { oid authors(first: 10) { nodes { name email user { login } } } } }"
            )
    return (
        "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { "
        + " ".join(parts)
        + " } }"
    )


def _message(exc: Any) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return str(data or "")[:200]


def _seen(seen: Mapping[str, Any] | None, number: int) -> tuple[int, dict[int, str]]:
    """(newest event id read, {issue: title} that left) from an earlier check's record of this
    milestone; (0, {}) when there is none or it is not one (then every event is read again)."""
    try:
        if not seen or seen.get("milestone") != number:
            return 0, {}
        return int(seen.get("through") or 0), {
            int(k): str(v) for k, v in dict(seen.get("left") or {}).items()
        }
    except (TypeError, ValueError, AttributeError):
        return 0, {}


def _item(d: Mapping[str, Any]) -> Item:
    return Item(int(d["number"]), d.get("title") or "", d.get("html_url") or "")
