"""The test gate: a release of type T does not proceed without test evidence for T.

The type of a release: patch, minor and major are their own; an rc or a final belongs to its
line (X.0.0 -> major, X.Y.0 -> minor, X.Y.Z -> patch). `[tool.release].tests.<type>` lists the
nox tags that must pass for it (defaults: the type's own tag), and `tests.evidence` says where
the evidence comes from:

    nox     run `nox -t TAG ...` on the exact commit being released (release.nox_gate) and journal
            which sessions ran, their results and durations (step facts and evidence.tests)
    checks  accept green GitHub check runs for that commit (release.github's commit_checks); the
            required ones are tests.required_checks, else "nox -t TAG" per tag (ci.yml's jobs)
    none    the gate is shown as skipped, never silently passed

Any repository takes part by tagging its own nox sessions patch/minor/major.
"""

from __future__ import annotations

import time
from typing import Any

from release.core.lines import release_type
from release.core.policy import Policy
from release.core.version import Version
from release.engine import BaseStep, Probe
from release.errors import NotReady
from release.world import World


def test_gate_steps(policy: Policy, version: Version, kind: str) -> list[Any]:
    """The plan's test gate (placed first by release.steps.pipeline)."""
    return [TestGate(policy, version, kind)]


class TestGate(BaseStep):
    """Evidence that the tests required for this release type passed on the release commit."""

    __test__ = False  # not a pytest class, despite the name
    name = "gate:tests"
    gate = True

    def __init__(self, policy: Policy, version: Version, kind: str) -> None:
        self.policy = policy
        self.version = version
        self.kind = kind
        self.type = release_type(version, kind)
        self.tags = list(getattr(policy.tests, self.type))
        self.evidence = policy.tests.evidence
        shown = " ".join(self.tags)
        self.text = {
            "nox": f"Run nox -t {shown} ({self.type} tests) on the release commit",
            "checks": f"Require green CI checks ({self.type} tests) for the release commit",
        }.get(self.evidence, "Release without test evidence (tests.evidence = none)")

    # ---- which commit ------------------------------------------------------------------------
    @staticmethod
    def commit(world: World) -> str:
        """The exact commit being released: the release commit once made, else the base."""
        return world.release_commit or world.base_commit

    @staticmethod
    def candidates(world: World) -> set[str]:
        """Commits whose evidence counts: the release commit only adds version files and the
        changelog to the base, so evidence for the base (gathered before it) still holds."""
        return {c for c in (world.release_commit, world.base_commit) if c}

    # ---- the step ----------------------------------------------------------------------------
    def probe(self, world: World) -> Probe:
        if self.evidence == "none":
            return Probe.skipped("tests.evidence = none")
        if not self.tags:
            return Probe.skipped(f"tests.{self.type} lists no nox tags")
        commit = self.commit(world)
        if not commit:
            return Probe.no("no commit to test yet")
        if self.evidence == "checks":
            # CI ran on the pushed base commit; the local release commit (not pushed yet on a
            # resume) only adds version files and the changelog, so the base's checks count.
            recorded = self._recorded_checks(world)
            if recorded:
                return Probe.yes(
                    f"checks green for {recorded['commit'][:12]} (recorded)", **recorded
                )
            return self._checks(world, world.base_commit or commit)
        if not has_noxfile(world, commit):
            return Probe.skipped("no noxfile.py")
        found = self._recorded(world)
        if found:
            names = ", ".join(s["name"] for s in found["sessions"])
            return Probe.yes(
                f"nox -t {' '.join(self.tags)} passed on {found['commit'][:12]}: {names}", **found
            )
        return Probe.no(f"no passing nox -t {' '.join(self.tags)} on {commit[:12]} yet")

    def apply(self, world: World) -> dict[str, Any]:
        commit = self.commit(world)
        if self.evidence == "checks":
            seen = self._checks(world, world.base_commit or commit)
            if not seen.done:
                raise NotReady([seen.detail], "tests")
            return seen.facts
        from release.adapters.nox import run_nox

        result = run_nox(
            world.repo, commit, self.tags, world.work_dir, world.env, world.version.pep440()
        )
        facts = {**result.facts(), "type": self.type, "finished": _iso(time.time())}
        runs = [*world.journal.data.get("evidence", {}).get("tests", []), facts]
        world.journal.set(
            "evidence", {**world.journal.data.get("evidence", {}), "tests": runs[-10:]}
        )
        shown = f"nox -t {' '.join(self.tags)} on {commit[:12]}"
        if result.error:
            raise NotReady(
                [
                    f"{shown} did not run: {result.error} (log: {result.log}; tag the sessions "
                    f"a {self.type} release needs with '{self.tags[0]}')"
                ],
                "tests",
            )
        if not result.ok:
            failed = (
                ", ".join(f"{s.name} ({s.result})" for s in result.failed)
                or f"nox exit {result.returncode}"
            )
            raise NotReady(
                [f"{shown} failed: {failed} (log: {result.log}); fix and re-run"], "tests"
            )
        return facts

    def verify(self, world: World) -> Probe:
        return self.probe(world)

    # ---- evidence ----------------------------------------------------------------------------
    def _recorded(self, world: World) -> dict[str, Any] | None:
        """The latest passing nox evidence in the journal for these tags and this release's commit."""
        runs = list(world.journal.data.get("evidence", {}).get("tests", []))
        facts = world.journal.facts(self.name)
        if facts.get("sessions"):
            runs.append(facts)
        ok = self.candidates(world)
        for run in reversed(runs):
            if (
                run.get("ok")
                and run.get("commit") in ok
                and set(self.tags) <= set(run.get("tags", []))
            ):
                return run
        return None

    def _recorded_checks(self, world: World) -> dict[str, Any] | None:
        """Green checks this release already journaled for one of its commits."""
        entry = world.journal.steps.get(self.name) or {}
        facts = entry.get("facts") or {}
        if (
            entry.get("status") == "verified"
            and facts.get("source") == "checks"
            and facts.get("commit") in self.candidates(world)
        ):
            return dict(facts)
        return None

    def required_checks(self) -> list[str]:
        return list(self.policy.tests.required_checks) or [f"nox -t {t}" for t in self.tags]

    def _checks(self, world: World, commit: str) -> Probe:
        """Green CI check runs for `commit` (release.github through release.steps_github)."""
        from release.steps.github import client, judge_checks

        required = self.required_checks()
        checks = client(world).commit_checks(commit)
        state, failing, pending = judge_checks(checks, required)
        by_name = {c.name: c for c in checks}
        facts = {
            "commit": commit,
            "tags": self.tags,
            "type": self.type,
            "source": "checks",
            "checks": [
                {"name": n, "state": by_name[n].state, "url": by_name[n].url}
                for n in required
                if n in by_name
            ],
        }
        if state != "success":
            parts = (
                [f"failing: {', '.join(f'{c.name} {c.url}'.strip() for c in failing)}"]
                if failing
                else []
            ) + ([f"pending: {', '.join(pending)}"] if pending else [])
            return Probe.no(
                f"checks for {commit[:12]} not green ({'; '.join(parts) or state})", **facts
            )
        return Probe.yes(f"checks green for {commit[:12]}: {', '.join(required)}", **facts)


def has_noxfile(world: World, commit: str) -> bool:
    from release.adapters.nox import has_noxfile as _has

    return _has(world.repo, commit)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
