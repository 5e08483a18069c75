"""GitHub steps for the engine: the milestone and CI gates, the GitHub Release, the release
workflows and closing the milestone. Each is named, idempotent and probes GitHub first.

Every step is skipped (with the reason in the report) when `[tool.release].github_repo` is not
set, without touching the network or importing PyGithub. The adapter is `world.service("github")`
(tests put their own in `world.services["github"]`, with a fake sleep and clock).

- gate:milestone  finals only (an RC may ship with open issues: that is what RCs are for;
                  patches are not planned with milestones); off with milestone_gate = false.
- gate:ci         checks first that the token can write (scopes, push access), then
                  the combined status + check runs of the commit the release starts from
                  (`world.base_commit`, else `world.release_commit`): the gate runs before the
                  release commit exists, and that commit is never tested by CI before the tag.
- github:release  create or update the release of the tag; attach dist/*.whl and *.tar.gz,
                  the npm tarballs, SHA256SUMS (from the journal's hashes and digests) and a
                  CycloneDX SBOM per Python package (from its smoke test's venv).
- github:workflows  dispatch each configured workflow for this kind and follow its run.
- milestone:close finals only: close the milestone, create the next one (next_milestone).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from release.adapters import artifacts as b
from release.core.checklist import (
    SBOM_EXTRA,
    SUMS_NAME,
    dependency_closure,
    render_sums,
    sbom_name,
    sums_entries,
)
from release.core.latest import github_make_latest
from release.core.milestones import milestone_title, next_title
from release.core.policy import Policy, Workflow
from release.core.version import Version
from release.engine import BaseStep, Probe
from release.errors import ConflictError, NotReady, ReleaseError
from release.world import World

CI_TIMEOUT_S = 1800.0  # how long gate:ci waits for pending checks
CI_POLL_S = 30.0
RUN_POLL_S = 15.0
FIND_RUN_TRIES = 10  # after a dispatch without a run id: list runs this many times


def client(world: World) -> Any:
    """The world's GitHub adapter (created on first use; reads the token from world.env)."""
    from release.adapters.github import GitHub

    return world.service(
        "github", lambda: GitHub.from_policy(world.policy, world.env, log=world.log)
    )


def judge_checks(checks: list[Any], required: list[str]) -> tuple[str, list[Any], list[str]]:
    """Pure: ("success" | "pending" | "failure" | "none", failing checks, pending names).

    With required checks configured only those count (each must report and be green); without,
    every reported status and check run counts, and a commit with none reports "none".
    """
    if required:
        failing: list[Any] = []
        pending: list[str] = []
        for name in required:
            found = [c for c in checks if c.name == name]
            if not found:
                pending.append(f"{name} (not reported yet)")
            elif any(c.state == "failure" for c in found):
                failing.extend(c for c in found if c.state == "failure")
            elif any(c.state == "pending" for c in found):
                pending.append(name)
    else:
        if not checks:
            return "none", [], []
        failing = [c for c in checks if c.state == "failure"]
        pending = [c.name for c in checks if c.state == "pending"]
    if failing:
        return "failure", failing, pending
    if pending:
        return "pending", [], pending
    return "success", [], []


def _failing_text(failing: list[Any]) -> list[str]:
    return [
        f"{c.name} is {c.detail or 'failing'}" + (f" ({c.url})" if c.url else "") for c in failing
    ]


class GitHubStep(BaseStep):
    def __init__(self, policy: Policy, version: Version, kind: str) -> None:
        self.policy = policy
        self.version = version
        self.kind = kind

    def not_configured(self) -> str:
        return (
            ""
            if self.policy.github_repo
            else "no GitHub repository configured ([tool.release].github_repo)"
        )


# ---- gates ----------------------------------------------------------------------------------------


class MilestoneGate(GitHubStep):
    name = "gate:milestone"
    gate = True

    def __init__(self, policy: Policy, version: Version, kind: str) -> None:
        super().__init__(policy, version, kind)
        self.title = milestone_title(version)
        self._last: Any = None

    def describe(self) -> str:
        return f"Check that milestone {self.title} holds only closed issues (or moves with a rationale), no pull requests"

    def probe(self, world: World) -> Probe:
        why = self.not_configured()
        if why:
            return Probe.skipped(why)
        if not self.policy.milestone_gate:
            return Probe.skipped(
                "milestone gate turned off ([tool.release].milestone_gate = false)"
            )
        if self.version.is_rc or self.kind in ("rc", "minor", "major"):
            return Probe.skipped("release candidates may ship with open issues; the final is gated")
        if self.kind == "patch":
            return Probe.skipped("patches are not planned with milestones")
        from release.adapters.files import read_seen, write_seen

        hint = world.journal.facts(self.name).get("number")
        where = world.journal.path.parent
        chk = client(world).check_milestone(self.title, hint, read_seen(where, self.title))
        write_seen(where, self.title, chk.seen)
        self._last = chk
        facts = {
            "number": chk.number,
            "closed": chk.closed_issues,
            "moved": [i.number for i in chk.documented],
            "requests": chk.requests,
        }
        if chk.ok:
            return Probe.yes(chk.summary(), **facts)
        return Probe.no("; ".join(chk.violations()), **facts)

    def apply(self, world: World) -> dict[str, Any]:
        chk = self._last or client(world).check_milestone(self.title)
        if not chk.ok:
            raise NotReady(chk.violations())
        return {"number": chk.number}


class CIGate(GitHubStep):
    name = "gate:ci"
    gate = True

    def __init__(
        self,
        policy: Policy,
        version: Version,
        kind: str,
        timeout_s: float = CI_TIMEOUT_S,
        poll_s: float = CI_POLL_S,
    ) -> None:
        super().__init__(policy, version, kind)
        self.timeout_s = timeout_s
        self.poll_s = poll_s

    def describe(self) -> str:
        req = self.policy.tests.required_checks
        which = f"required checks ({', '.join(req)})" if req else "every CI status and check run"
        return f"Check that CI is green on the release's commit ({which}) and that the GitHub token can write"

    @staticmethod
    def sha(world: World) -> str:
        return world.base_commit or world.release_commit

    def _look(self, world: World) -> tuple[str, str, list[Any], list[str]]:
        sha = self.sha(world)
        if not sha:
            raise ReleaseError(
                "gate:ci: no commit to check (neither base nor release commit is known)"
            )
        state, failing, pending = judge_checks(
            client(world).commit_checks(sha), list(self.policy.tests.required_checks)
        )
        return sha, state, failing, pending

    def probe(self, world: World) -> Probe:
        why = self.not_configured()
        if why:
            return Probe.skipped(why)
        # The later GitHub steps write (release, workflows, milestone): a missing or under-scoped
        # token is reported here, before the release writes anything (branch, tag, push).
        client(world).ensure_writable()
        sha, state, failing, pending = self._look(world)
        if state == "success":
            return Probe.yes(f"CI green on {sha[:12]}", sha=sha)
        if state == "none":
            return Probe.yes(
                f"no CI checks reported on {sha[:12]} (set tests.required_checks to require some)",
                sha=sha,
            )
        if state == "failure":
            return Probe.no("failing: " + "; ".join(_failing_text(failing)), sha=sha)
        return Probe.no(f"pending on {sha[:12]}: {', '.join(pending)}", sha=sha)

    def apply(self, world: World) -> dict[str, Any]:
        gh = client(world)
        deadline = gh.clock() + self.timeout_s
        while True:
            sha, state, failing, pending = self._look(world)
            if state in ("success", "none"):
                return {"sha": sha}
            if state == "failure":
                raise NotReady([f"CI on {sha[:12]}: {t}" for t in _failing_text(failing)])
            if gh.clock() >= deadline:
                raise NotReady(
                    [
                        f"CI on {sha[:12]} still pending after {int(self.timeout_s)}s: {', '.join(pending)}"
                    ]
                )
            world.log(f"gate:ci waiting for {', '.join(pending)}")
            gh.sleep(self.poll_s)


# ---- after the tag is pushed ----------------------------------------------------------------------


def dist_files(world: World) -> list[Path]:
    d = Path(world.work_dir) / "dist"
    if not d.is_dir():
        return []
    return sorted({*d.rglob("*.whl"), *d.rglob("*.tar.gz")})  # dist/<package>/<files>


def built_files(world: World) -> list[Path]:
    """What the release attaches as built: dist files and the npm tarballs `pack:*` recorded."""
    files = dist_files(world)
    for step, facts in sorted(world.journal.all_facts().items()):
        path = facts.get("tarball_path") if step.startswith("pack:") else None
        if path and Path(path).is_file() and Path(path) not in files:
            files.append(Path(path))
    return files


def assets_dir(world: World) -> Path:
    """Where github:release writes SHA256SUMS and the SBOMs (the per-version work dir)."""
    return Path(world.work_dir) / "github"


def sums_text(world: World) -> bytes:
    """SHA256SUMS of the release, from the journal's facts alone (b'' when nothing is built)."""
    return render_sums(sums_entries(world.journal.all_facts())).encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ReleaseStep(GitHubStep):
    name = "github:release"
    irreversible = True

    def describe(self) -> str:
        what = "pre-release" if self.version.is_rc else "release"
        return (
            f"Publish the GitHub {what} of {self.version.tag(self.policy.tag_pattern)} with the "
            "built files, SHA256SUMS and SBOMs"
        )

    def _want(self, world: World) -> dict[str, Any]:
        notes = world.notes
        body = ""
        if notes is not None:
            body = (
                notes.github_body()
                if callable(getattr(notes, "github_body", None))
                else notes.github_body
            )
        return {
            "name": world.tag,
            "body": body or "",
            "prerelease": self.version.is_rc,
            "latest": github_make_latest(self.version, world.is_latest),
        }

    def probe(self, world: World) -> Probe:
        why = self.not_configured()
        if why:
            return Probe.skipped(why)
        gh = client(world)
        rel = gh.release_by_tag(world.tag)
        if rel is None:
            return Probe.no(f"no GitHub release for {world.tag}")
        want = self._want(world)
        facts = {"id": rel.id, "url": rel.html_url}
        stale = []
        if _title(rel) != want["name"] or (rel.body or "") != want["body"]:
            stale.append("title/body")
        if bool(rel.prerelease) != want["prerelease"]:
            stale.append("prerelease flag")
        latest = gh.latest_release_tag() == world.tag
        if latest != want["latest"]:
            stale.append("latest flag")
        have = gh.release_assets(rel)
        missing = []
        hashes: dict[str, str] = {}
        sboms, warnings = self._sboms(world, have)
        local = [*built_files(world), *(p for p, _, _ in sboms.values() if p.is_file())]
        for f in local:
            size = f.stat().st_size
            if f.name in have and have[f.name] != size:
                return Probe.clash(
                    f"asset {f.name} on the release has {have[f.name]} bytes, the built file "
                    f"{size}; delete the asset on GitHub if it is wrong",
                    **facts,
                )
            if f.name not in have:
                missing.append(f.name)
            hashes[f.name] = b.sha256_file(f)
        for name, (path, _, _) in sboms.items():
            if path.is_file():
                continue
            if name in have:  # made by a run whose work dir is gone: the attached one is it
                hashes[name] = _sha256(gh.asset_bytes(rel, name) or b"")
            else:
                missing.append(name)
        sums = sums_text(world)
        if sums:
            clash = self._sums_clash(gh, rel, have, sums)
            if clash:
                return Probe.clash(clash, **facts)
            if SUMS_NAME not in have:
                missing.append(SUMS_NAME)
            hashes[SUMS_NAME] = _sha256(sums)
        if missing:
            stale.append(f"assets {', '.join(missing)} missing")
        facts["assets"] = sorted(have)
        if not missing:
            facts["asset_sha256"] = hashes
        facts["body_sha256"] = _sha256(want["body"].encode())
        facts["prerelease"] = want["prerelease"]
        if warnings:
            facts["warnings"] = warnings
        said = "".join(f"; {w}" for w in warnings)
        if stale:
            return Probe.no(
                f"release {world.tag} exists; to update: {', '.join(stale)}{said}", **facts
            )
        return Probe.yes(f"release {world.tag} published: {rel.html_url}{said}", **facts)

    def _sboms(
        self, world: World, have: dict[str, int]
    ) -> tuple[dict[str, tuple[Path, str, Path]], list[str]]:
        """{asset name: (its file in the work dir, the project, its smoke-test venv's Python)}
        of the SBOM of each Python package built, and the warnings of those that cannot be made
        (never a failure). `build:<pkg>` made that venv under work/smoke/<pkg>/venv."""
        from release.adapters import pypi

        out: dict[str, tuple[Path, str, Path]] = {}
        warnings: list[str] = []
        lib = pypi.sbom_available()
        for pkg in self.policy.publish_order():
            facts = world.journal.facts(f"build:{pkg.ref}") if pkg.kind == "python" else {}
            if not facts.get("project"):
                continue
            name = sbom_name(str(facts["project"]), self.version.pep440())
            path = assets_dir(world) / name
            venv = pypi.smoke_venv_python(Path(world.work_dir) / "smoke" / pkg.slug)
            if path.is_file() or name in have or (lib and venv.is_file()):
                out[name] = (path, str(facts["project"]), venv)
            elif not lib:
                if f"SBOM skipped: {SBOM_EXTRA}" not in warnings:
                    warnings.append(f"SBOM skipped: {SBOM_EXTRA}")
            else:
                warnings.append(f"SBOM of {pkg.name} skipped: its smoke-test venv is gone")
        return out, warnings

    @staticmethod
    def _make_sbom(world: World, project: str, venv: Path, dest: Path) -> None:
        """Write the CycloneDX SBOM of a package from what its smoke test installed; the same
        venv gives the same bytes (purls as refs, the release commit's time, a serial number
        derived from the content)."""
        import json
        import uuid

        from release.adapters import pypi

        dists, edges = dependency_closure(project, pypi.venv_distributions(venv))
        if not dists:
            raise ReleaseError(
                f"{project} is not installed in its smoke-test venv ({venv.parent.parent})",
                "re-run: the build step makes the venv again when the work dir is gone",
            )
        when = int(b.commit_time(world.repo, world.release_commit) or 0)
        seed = dest.name + json.dumps([dict(d) for d in dists], sort_keys=True)
        text = pypi.cyclonedx_json(dists, edges, when, str(uuid.uuid5(uuid.NAMESPACE_URL, seed)))
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        part.write_text(text, encoding="utf-8")
        part.replace(dest)  # whole or absent: a kill never leaves half an SBOM to upload

    @staticmethod
    def _sums_clash(gh: Any, rel: Any, have: dict[str, int], sums: bytes) -> str:
        if SUMS_NAME not in have:
            return ""
        if have[SUMS_NAME] == len(sums) and gh.asset_bytes(rel, SUMS_NAME) == sums:
            return ""
        return (
            f"asset {SUMS_NAME} on the release is not the one the journal's hashes give; "
            "delete the asset on GitHub if it is wrong"
        )

    def apply(self, world: World) -> dict[str, Any]:
        gh = client(world)
        want = self._want(world)
        rel = gh.release_by_tag(world.tag)
        if rel is None:
            rel = gh.create_release(
                world.tag,
                want["name"],
                want["body"],
                prerelease=want["prerelease"],
                make_latest=want["latest"],
                target=world.release_commit,
            )
        elif (
            _title(rel) != want["name"]
            or (rel.body or "") != want["body"]
            or bool(rel.prerelease) != want["prerelease"]
            or (gh.latest_release_tag() == world.tag) != want["latest"]
        ):
            rel = gh.update_release(
                rel,
                want["name"],
                want["body"],
                prerelease=want["prerelease"],
                make_latest=want["latest"],
            )
        have = gh.release_assets(rel)
        sboms, warnings = self._sboms(world, have)
        for name, (path, project, venv) in sboms.items():
            if not path.is_file() and name not in have:
                self._make_sbom(world, project, venv, path)
        sums = sums_text(world)
        extra: list[Path] = [p for p, _, _ in sboms.values() if p.is_file()]
        if sums:
            clash = self._sums_clash(gh, rel, have, sums)
            if clash:
                raise ConflictError(clash, "nothing was uploaded")
            path = assets_dir(world) / SUMS_NAME
            if not path.is_file() or path.read_bytes() != sums:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(sums)
            extra.append(path)
        uploaded = []
        for f in [*built_files(world), *extra]:
            if f.name in have:
                if have[f.name] != f.stat().st_size:
                    raise ConflictError(
                        f"asset {f.name} exists with another size", "delete it on GitHub first"
                    )
                continue
            gh.upload_asset(rel, f)
            uploaded.append(f.name)
        for w in warnings:
            world.log(f"github:release: {w}")
        return {
            "id": rel.id,
            "url": rel.html_url,
            "uploaded": uploaded,
            **({"warnings": warnings} if warnings else {}),
        }


def _title(rel: Any) -> str:
    return rel.name if hasattr(type(rel), "name") else rel.title


def _workflows_for(policy: Policy, version: Version, kind: str) -> list[Workflow]:
    stage = "rc" if version.is_rc else "final"
    return [w for w in policy.workflows if kind in w.kinds or stage in w.kinds]


def _fmt(text: str, version: Version, kind: str, tag: str) -> str:
    return text.replace("{version}", version.pep440()).replace("{kind}", kind).replace("{tag}", tag)


class WorkflowsStep(GitHubStep):
    """Dispatch each configured workflow once for this version and follow its run to the end.

    A run "for this version" is a workflow_dispatch run of the workflow on the dispatch ref whose
    ref is the release tag (the default) or whose display title names the version (give the
    workflow `run-name: Release ${{ inputs.version }}` when dispatching on a branch). The journal
    also remembers the run ids, so a re-run follows them and never dispatches twice.
    """

    name = "github:workflows"
    irreversible = True

    def __init__(
        self, policy: Policy, version: Version, kind: str, poll_s: float = RUN_POLL_S
    ) -> None:
        super().__init__(policy, version, kind)
        self.poll_s = poll_s
        self._runs: dict[str, dict[str, Any]] = {}

    def describe(self) -> str:
        files = [w.file for w in _workflows_for(self.policy, self.version, self.kind)]
        return f"Trigger the release workflows ({', '.join(files) or 'none'}) and follow them to the end"

    def _ref(self, wf: Workflow, world: World) -> str:
        return _fmt(wf.ref, self.version, self.kind, world.tag) if wf.ref else world.tag

    def _find(self, world: World, wf: Workflow) -> Any:
        gh = client(world)
        known = (
            self._runs.get(wf.file)
            or world.journal.facts(self.name).get("runs", {}).get(wf.file)
            or {}
        )
        if known.get("id"):
            run = gh.get_run(int(known["id"]))
            if run is not None:
                return run
        ref = self._ref(wf, world)
        for run in gh.workflow_runs(wf.file, ref):
            if ref == world.tag or self.version.pep440() in run.title:
                return run
        return None

    def probe(self, world: World) -> Probe:
        why = self.not_configured()
        if why:
            return Probe.skipped(why)
        wfs = _workflows_for(self.policy, self.version, self.kind)
        if not wfs:
            return Probe.skipped(f"no release workflow configured for {self.kind} releases")
        runs: dict[str, dict[str, Any]] = {}
        todo = []
        for wf in wfs:
            run = self._find(world, wf)
            if run is None:
                todo.append(f"{wf.file} not dispatched")
                continue
            runs[wf.file] = {"id": run.id, "url": run.url, "conclusion": run.conclusion}
            if run.status != "completed":
                todo.append(f"{wf.file} {run.status}")
            elif run.conclusion not in ("success", "skipped", "neutral"):
                todo.append(f"{wf.file} concluded {run.conclusion}")
        if todo:
            return Probe.no("; ".join(todo), runs=runs)
        return Probe.yes(", ".join(f"{f} {r['conclusion']}" for f, r in runs.items()), runs=runs)

    def apply(self, world: World) -> dict[str, Any]:
        gh = client(world)
        for wf in _workflows_for(self.policy, self.version, self.kind):
            run = self._find(world, wf)
            if run is None:
                ref = self._ref(wf, world)
                inputs = {
                    k: _fmt(v, self.version, self.kind, world.tag) for k, v in wf.inputs.items()
                }
                before = {r.id for r in gh.workflow_runs(wf.file, ref)}
                run_id = gh.dispatch(wf.file, ref, inputs)
                world.log(f"dispatched {wf.file} on {ref}")
                for _ in range(FIND_RUN_TRIES):
                    if run_id:
                        run = gh.get_run(run_id)
                    else:
                        fresh = [r for r in gh.workflow_runs(wf.file, ref) if r.id not in before]
                        run = fresh[-1] if fresh else None
                    if run is not None:
                        break
                    gh.sleep(self.poll_s / 3)
                if run is None:
                    raise ReleaseError(
                        f"{wf.file} was dispatched on {ref} but its run did not appear",
                        "re-run the same command: it finds the run instead of dispatching again",
                    )
            self._runs[wf.file] = {"id": run.id, "url": run.url}
            if run.status != "completed":
                run = gh.wait_run(
                    run.id,
                    wf.timeout_s,
                    self.poll_s,
                    progress=lambda r, f=wf.file: world.log(f"{f}: {r.status} {r.url}"),
                )
            self._runs[wf.file]["conclusion"] = run.conclusion
            if run.conclusion not in ("success", "skipped", "neutral"):
                raise ReleaseError(
                    f"release workflow {wf.file} concluded {run.conclusion}: {run.url}",
                    "fix and re-run it on GitHub, then re-run this command (it is not dispatched again)",
                )
        return {"runs": dict(self._runs)}


class MilestoneClose(GitHubStep):
    name = "milestone:close"

    def __init__(self, policy: Policy, version: Version, kind: str) -> None:
        super().__init__(policy, version, kind)
        self.title = milestone_title(version)
        self.next = next_title(version)

    def describe(self) -> str:
        extra = f" and create {self.next}" if self.policy.next_milestone else ""
        return f"Close milestone {self.title}{extra}"

    def probe(self, world: World) -> Probe:
        why = self.not_configured()
        if why:
            return Probe.skipped(why)
        gh = client(world)
        hint = world.journal.facts("gate:milestone").get("number")
        m = gh.find_milestone(self.title, hint)
        if m is None:
            return Probe.skipped(f"no milestone {self.title}")
        todo = []
        if m.get("state") != "closed":
            todo.append(f"{self.title} open")
        if self.policy.next_milestone and gh.find_milestone(self.next) is None:
            todo.append(f"{self.next} missing")
        if todo:
            return Probe.no(", ".join(todo), number=m["number"])
        return Probe.yes(f"milestone {self.title} closed", number=m["number"])

    def apply(self, world: World) -> dict[str, Any]:
        gh = client(world)
        m = gh.find_milestone(self.title, world.journal.facts("gate:milestone").get("number"))
        facts: dict[str, Any] = {}
        if m is not None and m.get("state") != "closed":
            gh.set_milestone_state(int(m["number"]), "closed")
            facts["closed"] = int(m["number"])
        if self.policy.next_milestone:
            nxt, _created = gh.create_milestone(self.next)
            facts["next"] = int(nxt["number"])
        return facts


# ---- what the flow asks for -------------------------------------------------------------------------


def gate_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    return [MilestoneGate(policy, version, kind), CIGate(policy, version, kind)]


def post_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    steps: list[Any] = [ReleaseStep(policy, version, kind), WorkflowsStep(policy, version, kind)]
    if not version.is_rc and kind == "final":
        steps.append(MilestoneClose(policy, version, kind))
    return steps
