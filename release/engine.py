"""The one step engine every release kind runs through.

A step has a stable `name`, `describe()`, `probe(world)` (is this already true in the real
world?), `apply(world)` and `verify(world)` (is it true now?). The engine runs a plan in order:

    probe -> done? skip : apply -> verify -> journal.record(step.name, facts)

A probe that finds a *conflicting* truth (a tag at another commit, a file with another hash)
stops the run; the engine never fixes the world by force. `--dry-run` runs the same plan with
the same probes; only `apply` is replaced by "would ...". Exit 0 only when every step is
verified (or legitimately skipped, which the report and journal say with a reason).

The engine knows nothing about git or PyPI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from release.adapters.runner import redact
from release.errors import ConflictError, NotReady, ReleaseError
from release.journal import Journal


@dataclass
class Probe:
    """What a probe saw: done, a conflict (stop), or not yet; plus facts for the journal."""

    done: bool = False
    facts: dict[str, Any] = field(default_factory=dict)
    conflict: str = ""  # non-empty: the world holds another truth; stop
    skip: str = ""  # non-empty: the step does not apply here (e.g. gate not configured)
    detail: str = ""

    @classmethod
    def yes(cls, detail: str = "", **facts: Any) -> Probe:
        return cls(done=True, facts=facts, detail=detail)

    @classmethod
    def no(cls, detail: str = "", **facts: Any) -> Probe:
        return cls(done=False, facts=facts, detail=detail)

    @classmethod
    def clash(cls, why: str, **facts: Any) -> Probe:
        return cls(conflict=why, facts=facts)

    @classmethod
    def skipped(cls, why: str) -> Probe:
        return cls(skip=why)


class Step(Protocol):
    name: str
    # irreversible: pushes, uploads, publications, announcements -> confirmation prompt first
    irreversible: bool
    # gate: a check; its apply may only try to make it true (e.g. run the tests) or raise NotReady
    gate: bool

    def describe(self) -> str: ...

    def probe(self, world: Any) -> Probe: ...

    def apply(self, world: Any) -> dict[str, Any]: ...

    def verify(self, world: Any) -> Probe: ...


class BaseStep:
    """Convenience base: verify = probe, not a gate, reversible, described by `text`."""

    name = "step"
    irreversible = False
    gate = False
    verify_when_done = False  # verify() proves more than probe(): run it on steps found done too
    text = ""

    def describe(self) -> str:
        return self.text or self.name

    def probe(self, world: Any) -> Probe:  # pragma: no cover - overridden
        return Probe.no()

    def apply(self, world: Any) -> dict[str, Any]:  # pragma: no cover - overridden
        return {}

    def verify(self, world: Any) -> Probe:
        return self.probe(world)


@dataclass
class Row:
    """One line of the run report."""

    name: str
    description: str
    status: str  # done | applied | would | skipped | failed | conflict | not-run
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    dry_run: bool = False
    error: ReleaseError | None = None

    @property
    def ok(self) -> bool:
        if self.error is not None:
            return False
        good = {"done", "applied", "skipped"} | ({"would"} if self.dry_run else set())
        return all(r.status in good for r in self.rows)


# A checkpoint hook, called after each step is recorded; tests use it to kill the process.
AfterStep = Callable[[str], None]


def run(
    steps: list[Any],
    world: Any,
    journal: Journal | None,
    *,
    dry_run: bool = False,
    confirm: Callable[[list[Any]], bool] | None = None,
    after_step: AfterStep | None = None,
    on_row: Callable[[Row], None] | None = None,
    before_public: Callable[[], None] | None = None,
) -> Report:
    """Run `steps` in order against `world`; see the module docstring for the contract."""
    report = Report(dry_run=dry_run)
    confirmed = confirm is None or dry_run
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ReleaseError(f"plan has duplicate step names: {names}")  # a programming error
    if journal is not None and not dry_run:
        journal.data["runs"].append({"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        journal.save()

    def emit(row: Row) -> None:
        report.rows.append(row)
        if on_row:
            on_row(row)

    for index, step in enumerate(steps):
        t0 = time.monotonic()
        desc = step.describe()
        if before_public is not None and not dry_run and getattr(step, "irreversible", False):
            try:
                before_public()  # e.g. the remote release lock: one machine publishes a version
            except ReleaseError as exc:
                report.error = exc
                emit(Row(step.name, desc, "failed", exc.one_line(), time.monotonic() - t0))
                _not_run(steps[index + 1 :], emit)
                return report
            before_public = None
        try:
            seen = step.probe(world)
        except ReleaseError as exc:
            report.error = exc
            emit(Row(step.name, desc, "failed", f"probe: {exc.one_line()}"))
            _not_run(steps[index + 1 :], emit)
            return report
        if seen.conflict:
            report.error = ConflictError(
                f"{step.name}: {seen.conflict}", "nothing was changed by this step"
            )
            emit(Row(step.name, desc, "conflict", seen.conflict))
            if journal is not None and not dry_run:
                journal.record(step.name, "conflict", seen.facts, seen.conflict)
            _not_run(steps[index + 1 :], emit)
            return report
        if seen.skip:
            emit(Row(step.name, desc, "skipped", seen.skip))
            if journal is not None and not dry_run:
                journal.record(step.name, "skipped", seen.facts, seen.skip)
            continue
        if seen.done and _must_reverify(step, journal):
            # A step whose verification failed stays failed until it verifies: a re-run never
            # takes "the probe sees it" for "it is right" (e.g. a promotion that was refused).
            again = step.verify(world)
            if again.conflict or not again.done:
                why = again.conflict or again.detail or "verification found it not right"
                report.error = ReleaseError(
                    f"{step.name}: verification failed: {why}",
                    "fix the world (or abandon the release with release.abort); "
                    "this step stays failed until it verifies",
                )
                if journal is not None and not dry_run:
                    journal.record(step.name, "failed", again.facts, why)
                emit(Row(step.name, desc, "failed", why, time.monotonic() - t0))
                _not_run(steps[index + 1 :], emit)
                return report
            seen = again
        if seen.done:
            emit(Row(step.name, desc, "done", seen.detail or "already true", time.monotonic() - t0))
            if journal is not None and not dry_run:
                _published(step, world, journal)
                prev = journal.steps.get(step.name, {}).get("status")
                if prev != "verified":
                    journal.record(
                        step.name, "verified", seen.facts, seen.detail or "found already true"
                    )
            if after_step and not dry_run:
                after_step(step.name)
            continue
        if dry_run:
            emit(
                Row(
                    step.name,
                    desc,
                    "would",
                    f"would {desc[0].lower() + desc[1:]}" if desc else "would run",
                )
            )
            if step.gate and not getattr(step, "dry_run_passes", False):
                # A gate that is not true now would stop the real run here: say so, keep previewing.
                report.rows[-1].detail = f"gate not met now: {seen.detail or desc}"
            continue
        if not confirmed and getattr(step, "irreversible", False):
            pending = [s for s in steps[index:] if getattr(s, "irreversible", False)]
            if not confirm(pending):  # type: ignore[misc]
                from release.errors import Aborted

                report.error = Aborted(
                    "stopped before the first irreversible step", "re-run to continue"
                )
                _not_run(steps[index:], emit)
                return report
            confirmed = True
        if journal is not None:
            if getattr(step, "irreversible", False):
                attempts = list(journal.data.get("public_attempts") or [])
                if step.name not in attempts:
                    journal.data["public_attempts"] = [*attempts, step.name]
            journal.record(step.name, "started")
        try:
            facts = step.apply(world) or {}
            after = step.verify(world)
        except ReleaseError as exc:
            report.error = exc
            if journal is not None:
                journal.record(step.name, "failed", None, exc.one_line())
            emit(Row(step.name, desc, "failed", exc.one_line(), time.monotonic() - t0))
            _not_run(steps[index + 1 :], emit)
            return report
        if after.conflict or not after.done:
            why = after.conflict or after.detail or "verification found it not done"
            report.error = ReleaseError(
                f"{step.name}: applied but not verified: {why}", "re-run to retry this step"
            )
            if journal is not None:
                journal.record(step.name, "failed", {**facts, **after.facts}, why)
            emit(Row(step.name, desc, "failed", why, time.monotonic() - t0))
            _not_run(steps[index + 1 :], emit)
            return report
        if journal is not None:
            journal.record(step.name, "verified", {**facts, **after.facts}, after.detail)
            _published(step, world, journal)
        emit(Row(step.name, desc, "applied", redact(after.detail or ""), time.monotonic() - t0))
        if after_step:
            after_step(step.name)
    return report


def _must_reverify(step: Any, journal: Journal | None) -> bool:
    """Re-verify a step found done when its verification proves more than its probe
    (`verify_when_done`), or when its last verification failed."""
    if getattr(step, "verify_when_done", False):
        return True
    return journal is not None and journal.steps.get(step.name, {}).get("status") == "failed"


def _published(step: Any, world: Any, journal: Journal) -> None:
    """The first irreversible step that is true makes the release public: record when (the
    community window of an RC counts from here, never from a tag's date)."""
    if getattr(step, "irreversible", False) and not journal.data.get("published"):
        clock = getattr(world, "clock", None)
        at = int(clock()) if callable(clock) else int(getattr(world, "now", 0) or time.time())
        journal.set("published", {"at": at, "step": step.name})


def _not_run(rest: list[Any], emit: Callable[[Row], None]) -> None:
    for s in rest:
        emit(Row(s.name, s.describe(), "not-run"))


def raise_for(report: Report) -> None:
    """Turn a failed report into its error (exit code != 0)."""
    if report.error is not None:
        raise report.error
    bad = [r for r in report.rows if r.status not in ("done", "applied", "skipped", "would")]
    if bad:
        raise NotReady([f"{r.name}: {r.detail}" for r in bad])
