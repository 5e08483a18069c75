"""`python scripts/demo.py` (or `nox -s demo`): one whole release cycle in a throwaway sandbox.

It starts the local services of the test suite (tests/fixtures/stack.py: pypiserver as PyPI and
TestPyPI, Verdaccio, dockerd + a registry, the GitHub API stand-in, a Discord webhook receiver),
makes a project (a Python client, a Python server pinning it, an npm client, a Docker image) with
a bare origin, and runs, as a release owner would (`python -m release ...` in the project):

    release.plan minor, release.minor            0.1.0rc1: branch release-0.1.x, TestPyPI, npm rc
    a fix on main, release.backport SHA          cherry-pick onto release-0.1.x, PR, merged
    release.plan rc, release.rc                  0.1.0rc2
    release.plan final (refused: the window)     release.final --override "reason" (shown in its plan)
    release.journal 0.1.0                        the override, journaled
    a fix on main, backport, release.patch       0.1.1 on the release line
    release.status, release.verify each version, and what landed where
    a release train over two more repositories   release.plan minor, release.minor, release.status

then stops every process it started (also on Ctrl-C or a failure) and exits non-zero if any step
failed. It needs a checkout of release-kit (the services come from its tests/ directory), which is
why it lives in scripts/ and not in the installed package.

Options: --workdir DIR keeps the sandbox and the services' data in DIR (and writes DIR/demo.json:
the steps, the origin, the index directories, the PIDs started); --no-docker, --no-npm leave those
artifact kinds out. In CI (CI=true) a service that cannot start fails the demo.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.adapters.runner import run

LINE = "release-0.1.x"
OVERRIDE = "demo: the window is simulated"
CHECKOUT_HINT = (
    "run from a checkout of release-kit (the demo starts the services of its tests/ directory)"
)


class DemoFailed(Exception):
    """A step of the demo failed (its output is above)."""


@dataclass
class Step:
    title: str
    argv: list[str]
    returncode: int
    seconds: float
    expect_failure: bool = False

    @property
    def ok(self) -> bool:
        return (self.returncode != 0) if self.expect_failure else (self.returncode == 0)


@dataclass
class Demo:
    stack: Any
    sandbox: Any
    steps: list[Step] = field(default_factory=list)

    # ---- output ------------------------------------------------------------------------------
    @staticmethod
    def banner(text: str) -> None:
        print(f"\n{'=' * 100}\n== {text}\n{'=' * 100}", flush=True)

    @staticmethod
    def note(text: str) -> None:
        print(f"demo: {text}", flush=True)

    # ---- actions -----------------------------------------------------------------------------
    def release(
        self, title: str, *args: str, expect_failure: bool = False, where: Any = None
    ) -> Step:
        """`python -m release ARGS` in the project (or in the sandbox `where`), as the release
        owner types it."""
        box = where or self.sandbox
        argv = [sys.executable, "-m", "release", *args]
        print(f"\n--- {title}\n$ release-kit {' '.join(_quote(a) for a in args)}", flush=True)
        t0 = time.monotonic()
        # through the one door for subprocesses; the transcript keeps the tool's stdout and stderr
        res = run(argv, cwd=box.root, env=box.env, check=False)
        sys.stdout.write(res.stdout + res.stderr)
        step = Step(title, list(args), res.returncode, time.monotonic() - t0, expect_failure)
        self.steps.append(step)
        verdict = "ok" if step.ok else "FAILED"
        extra = " (refused, as expected)" if expect_failure and step.ok else ""
        print(f"--- exit {res.returncode}{extra}: {verdict} in {step.seconds:.1f}s", flush=True)
        if not step.ok:
            raise DemoFailed(f"{title}: `release-kit {' '.join(args)}` exited {res.returncode}")
        return step

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return self.sandbox.wd.git(*args, cwd=cwd)

    def ci_green(self, ref: str) -> None:
        """What CI reports on a pushed commit: ci.yml's `nox -t TAG` jobs, green."""
        from tests.fixtures.stack import report_ci_green

        sha = self.git("rev-parse", ref)
        report_ci_green(self.stack, sha, repo=self.sandbox.names.github_repo)
        self.note(f"CI reported green on {ref} ({sha[:12]}): nox -t patch, nox -t minor")

    def merge_fix(self, subject: str, path: str, text: str) -> str:
        """A reviewed fix lands on main (squash-merged, PR number in the subject); CI is green."""
        self.git("switch", "-q", "main")
        sha = self.sandbox.wd.commit(subject, path=path, text=text)
        self.git("push", "-q", "origin", "main")
        self.note(f"merged on main: {sha[:12]} {subject}")
        self.ci_green("main")
        return sha

    def merge_backport_pr(self, sha: str) -> None:
        """The maintainer merges the backport PR: the release branch moves on origin, the PR is
        marked merged on GitHub, the backport branch is deleted, the checkout pulls."""
        branch = f"backport/{sha[:10]}/{LINE}"
        self.git("fetch", "-q", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        self.git("push", "-q", "origin", f"refs/remotes/origin/{branch}:refs/heads/{LINE}")
        self.git("push", "-q", "origin", "--delete", branch)
        gh = self.stack.github
        if gh is not None:
            repo = self.sandbox.names.github_repo
            pr = next(
                (p for p in gh.pulls(repo) if p["head"]["ref"] == branch and p["state"] == "open"),
                None,
            )
            if pr is None:
                raise DemoFailed(f"no open backport PR for {branch} on the GitHub stand-in")
            req = urllib.request.Request(
                f"{gh.url}/repos/{repo}/pulls/{pr['number']}/merge",
                method="PUT",
                data=b'{"merge_method": "rebase"}',
                headers={"Authorization": f"token {gh.token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=10):
                pass
            self.note(f"backport PR #{pr['number']} merged into {LINE}")
        self.git("switch", "-q", LINE)
        self.git("fetch", "-q", "origin")
        self.git("merge", "-q", "--ff-only", f"origin/{LINE}")
        self.ci_green(LINE)


def _quote(arg: str) -> str:
    return f'"{arg}"' if (" " in arg or not arg) else arg


# ---- the cycle -----------------------------------------------------------------------------------


def cycle(d: Demo) -> list[str]:
    """The release cycle; returns the versions released."""
    versions = ["0.1.0rc1", "0.1.0rc2", "0.1.0", "0.1.1"]

    d.banner("1. minor release: cut release-0.1.x from main, publish 0.1.0rc1")
    d.ci_green("main")
    d.release("the plan (nothing is done)", "release.plan", "minor")
    d.release("the release", "release.minor", "--yes")

    d.banner("2. a fix lands on main and is backported to release-0.1.x")
    fix1 = d.merge_fix(
        "fix(server): strip spaces around names (#5)",
        "server/demo_server/app.py",
        "from demo_client import greet\n\n\ndef handle(name: str) -> str:\n"
        "    return greet(name.strip())\n",
    )
    d.release("backport the fix", "release.backport", fix1, "--to", LINE)
    d.merge_backport_pr(fix1)

    d.banner("3. second release candidate from the release branch: 0.1.0rc2")
    d.release("the plan", "release.plan", "rc")
    d.release("the release", "release.rc", "--yes")
    d.ci_green(LINE)  # CI runs on the pushed release branch too

    d.banner("4. final release 0.1.0: the testing window is still open, so it is overridden")
    d.release("the plan without an override: refused", "release.plan", "final", expect_failure=True)
    d.release("the release", "release.final", "--yes", "--override", OVERRIDE)
    d.release("the journal records the override and its reason", "release.journal", "0.1.0")

    d.banner("5. a patch on the release line: 0.1.1")
    d.git("switch", "-q", "main")
    fix2 = d.merge_fix(
        "fix(client): greet an empty name as the world (#6)",
        "client/demo_client/__init__.py",
        _patched_client(d),
    )
    d.release("backport the fix", "release.backport", fix2, "--to", LINE)
    d.merge_backport_pr(fix2)
    d.release("the plan", "release.plan", "patch")
    d.release("the release", "release.patch", "--yes")

    d.banner("6. where things stand")
    d.release("status", "release.status")
    for v in versions:
        d.release(f"verify {v} against origin, the indexes and the registries", "release.verify", v)
    return versions


TRAIN_HUB = """\
[project]
name = "demo-hub"
version = "0.0.0"

[tool.release]
changelog = "CHANGELOG.md"
version_files = ["pyproject.toml"]

[tool.release.tests]
evidence = "none"

# demo-web knows nothing of release-kit: its policy is given here, and the train drives it
# through git and its package.json alone
[[tool.release.train]]
name = "demo-web"
url = "{web}"
[tool.release.train.release]
changelog = ""
version_files = ["package.json"]
"""


def train(d: Demo, work: Path) -> list[str]:
    """Step 7: a release train, one version across two repositories (each with its origin):
    demo-hub holds the train, demo-web (a package.json repository without release-kit) goes
    first. Returns the tags on both origins."""
    from tests.fixtures.gitrepo import make_workdir
    from tests.fixtures.sandbox import Sandbox

    d.banner("7. a release train: one version across two repositories, demo-web first")
    owners = "*  @release-bot owner@example.com\n"
    web = make_workdir(work / "train", "demo-web")
    web.write("package.json", json.dumps({"name": "demo-web", "version": "0.0.0"}, indent=2) + "\n")
    web.write(".github/CODEOWNERS", owners)
    web.git("add", "-A")
    web.git("commit", "-q", "-m", "feat: the web client (#1)")
    web.git("push", "-q", "-u", "origin", "main")
    hub = make_workdir(work / "train", "demo-hub")
    hub.write("pyproject.toml", TRAIN_HUB.format(web=web.origin))
    hub.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n")
    hub.write(".github/CODEOWNERS", owners)
    hub.git("add", "-A")
    hub.git("commit", "-q", "-m", "feat: the hub (#1)")
    hub.git("push", "-q", "-u", "origin", "main")
    box = Sandbox(hub)
    box.env["PYTHONPATH"] = d.sandbox.env.get("PYTHONPATH", "")
    d.note(f"demo-hub {hub.root} holds the train; demo-web {web.root} is its member")
    d.release(
        "the train's plan: each repository, then every step in order",
        "release.plan",
        "minor",
        where=box,
    )
    d.release("the train", "release.minor", "--yes", where=box)
    d.release("status: every repository side by side", "release.status", where=box)
    tags = [f"demo-web {t}" for t in web.git("tag", "--list", cwd=web.origin).split()]
    tags += [f"demo-hub {t}" for t in hub.git("tag", "--list", cwd=hub.origin).split()]
    return tags


def _patched_client(d: Demo) -> str:
    text = (d.sandbox.root / "client/demo_client/__init__.py").read_text()
    return text.replace("return f'hello {name}'", "return f'hello {name or \"world\"}'")


# ---- what landed where -------------------------------------------------------------------------------


def landed(stack: Any, sandbox: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"origin tags": sandbox.origin_tags()}
    if stack.pypi is not None:
        out["PyPI"] = stack.pypi.pypi.files()
        out["TestPyPI"] = stack.pypi.testpypi.files()
    if stack.npm is not None:
        names = list(_package_names(sandbox, "npm"))
        out["npm"] = {
            n: {"versions": stack.npm.versions(n), "dist-tags": _dist_tags(stack.npm, n)}
            for n in names
        }
    if stack.docker is not None:
        out["docker"] = {img: stack.docker.tags(img) for img in _images(sandbox)}
    if stack.github is not None:
        gh, repo = stack.github, sandbox.names.github_repo
        out["GitHub releases"] = [
            f"{r['tag_name']}{' (pre-release)' if r.get('prerelease') else ''}"
            for r in sorted(gh.releases(repo), key=lambda r: r["id"])
        ]
        r = gh.state.repos[repo]
        out["GitHub milestones"] = [f"{m['title']} ({m['state']})" for m in r.milestones.values()]
        out["GitHub pull requests"] = [
            f"#{p['number']} {p['title']} -> {p['base']['ref']}"
            f" ({'merged' if p.get('merged') else p['state']})"
            for p in gh.pulls(repo)
        ]
        out["workflow runs"] = [
            f"{run['display_title']}: {run['status']}/{run['conclusion']}" for run in gh.runs(repo)
        ]
    if stack.webhook is not None:
        out["webhook posts"] = [_post_line(p) for p in stack.webhook.accepted()]
    return out


def _package_names(sandbox: Any, kind: str) -> list[str]:
    from release.adapters.files import load_policy

    pol = load_policy(sandbox.root / "pyproject.toml", check_paths=False)
    return [p.name for p in pol.packages if p.kind == kind]


def _images(sandbox: Any) -> list[str]:
    from release.adapters.files import load_policy

    pol = load_policy(sandbox.root / "pyproject.toml", check_paths=False)
    return [p.image for p in pol.packages if p.kind == "docker"]


def _dist_tags(reg: Any, name: str) -> dict[str, str]:
    try:
        return reg.dist_tags(name)
    except OSError:
        return {}


def _post_line(post: Any) -> str:
    body = post.body if isinstance(post.body, dict) else {}
    channel = "#releases" if "/api/webhooks/1/" in post.path else "#announcements"
    where = (
        f" (new thread '{body['thread_name']}')"
        if body.get("thread_name")
        else (" (in the thread)" if post.query.get("thread_id") else "")
    )
    first = (body.get("content") or "").splitlines()[0] if body.get("content") else "(embed)"
    return f"{channel}{where}: {first[:110]}"


def print_landed(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"    {k}: {v}")
        elif isinstance(value, list):
            print(f"{key}:")
            for item in value or ["(none)"]:
                print(f"    {item}")
        else:
            print(f"{key}: {value}")


# ---- the entry point --------------------------------------------------------------------------------


def _load_stack_module() -> tuple[Any, Path]:
    """tests/fixtures/stack.py of the checkout this package lives in (and that checkout's root)."""
    here = Path(__file__).resolve().parent.parent
    if not (here / "tests" / "fixtures" / "stack.py").is_file():
        raise SystemExit(f"scripts/demo.py: {CHECKOUT_HINT}; {here} has no tests/fixtures/stack.py")
    sys.path.insert(0, str(here))  # this checkout's tests/, not another package named tests
    try:
        import tests.fixtures.stack as stack_mod
    except ImportError as exc:
        raise SystemExit(
            f"scripts/demo.py: {CHECKOUT_HINT}, with its test extra installed "
            f"(pip install -e '.[test]'): {exc}"
        ) from None
    return stack_mod, here


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_quietly(stack: Any) -> None:
    """Stop the stack with Ctrl-C and SIGTERM held off: a second Ctrl-C must not leave a daemon."""
    old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    old_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        stack.stop()
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python scripts/demo.py", description=__doc__.splitlines()[0])
    p.add_argument(
        "--workdir",
        help="keep the sandbox and the services' data here (default: a temp dir, removed)",
    )
    p.add_argument("--no-docker", action="store_true", help="leave the Docker image out")
    p.add_argument("--no-npm", action="store_true", help="leave the npm package out")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stack_mod, checkout = _load_stack_module()
    signal.signal(signal.SIGTERM, _on_sigterm)
    keep = args.workdir is not None
    work = Path(args.workdir).resolve() if keep else Path(tempfile.mkdtemp(prefix="release-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "workdir": str(work),
        "steps": [],
        "pids": [],
        "missing": {},
        "ok": False,
    }
    started = time.monotonic()
    failure = ""
    code = 1
    stack = stack_mod.new_stack(work / "stack")
    try:
        Demo.banner(f"release-kit demo in {work}")
        with stack_mod.running(stack, docker=not args.no_docker, npm=not args.no_npm):
            demo = None
            try:
                for p in stack.processes:
                    Demo.note(f"started {p.name}: pid {p.pid}")
                for name, flag in (("docker", args.no_docker), ("npm", args.no_npm)):
                    if flag:
                        Demo.note(f"without {name} (--no-{name})")
                for name, why in stack.missing.items():
                    Demo.note(
                        f"WITHOUT {name}: {why} (continuing without that artifact kind; in CI this fails)"
                    )
                record["missing"] = dict(stack.missing)
                record["pids"] = [
                    {"name": p.name, "pid": p.pid, "start_ticks": p.start_ticks}
                    for p in stack.processes
                ]
                sandbox = stack_mod.make_project(stack, work / "project")
                sandbox.env["PYTHONPATH"] = (
                    str(checkout) + os.pathsep + os.environ.get("PYTHONPATH", "")
                )
                record.update(origin=str(sandbox.wd.origin), project=str(sandbox.root))
                if stack.pypi is not None:
                    record["indexes"] = {
                        "pypi": str(stack.pypi.pypi.packages_dir),
                        "testpypi": str(stack.pypi.testpypi.packages_dir),
                    }
                Demo.note(
                    f"project {sandbox.root} (origin {sandbox.wd.origin}), services on 127.0.0.1"
                )
                demo = Demo(stack, sandbox)
                record["versions"] = cycle(demo)
                record["train"] = train(demo, work)
                Demo.banner("what landed where")
                record["landed"] = landed(stack, sandbox)
                print_landed(record["landed"])
                code = 0
            except DemoFailed as exc:
                failure = str(exc)
            finally:
                if demo is not None:
                    record["steps"] = [
                        {
                            "title": s.title,
                            "argv": s.argv,
                            "exit": s.returncode,
                            "ok": s.ok,
                            "seconds": round(s.seconds, 1),
                        }
                        for s in demo.steps
                    ]
                _stop_quietly(stack)
    except KeyboardInterrupt:
        failure, code = "interrupted", 130
    except stack_mod.StackUnavailable as exc:
        failure = f"a service cannot start: {exc}"
    finally:
        _stop_quietly(stack)  # when starting failed half-way (the context manager did it already)
        stopped = stack.stopped
        left = [p for p in stopped if p.alive()]
        record["stopped"] = [
            {"name": p.name, "pid": p.pid, "start_ticks": p.start_ticks} for p in stopped
        ]
        if stopped:
            Demo.note(f"stopped {len(stopped)} processes: " + " ".join(f"{p.pid}" for p in stopped))
        if left:
            failure = failure or "processes left behind: " + ", ".join(
                f"{p.name} {p.pid}" for p in left
            )
            code = code or 1
        record["ok"] = code == 0
        record["failure"] = failure
        record["seconds"] = round(time.monotonic() - started, 1)
        if keep:
            (work / "demo.json").write_text(json.dumps(record, indent=2) + "\n")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failure:
        print(f"\ndemo FAILED: {failure}", file=sys.stderr, flush=True)
    else:
        print(
            f"\ndemo passed in {record['seconds']:.0f}s: {len(record['steps'])} commands, every process stopped",
            flush=True,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
