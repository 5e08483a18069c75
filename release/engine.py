"""The one step engine every release kind runs through.

A step has a stable `name`, `describe()`, `probe(world)` (is this already true in the real
world?), `apply(world)` and `verify(world)` (is it true now?). The engine runs a plan in order:

    probe -> done? skip : apply -> verify -> journal.record(step.name, facts)

A probe that finds a *conflicting* truth (a tag at another commit, a file with another hash)
stops the run; the engine never fixes the world by force. `--dry-run` runs the same plan with
the same probes; only `apply` is replaced by "would ...". Exit 0 only when every step is
verified (or legitimately skipped, which the report and journal say with a reason).

Consecutive steps with the same `parallel_group` (the builds before the push: `build:`, `pack:`,
`image:` of packages that need no other package of the release) are probed one after the other,
then applied and verified side by side in a bounded pool (`build_workers`, env
RELEASE_BUILD_WORKERS); each records its own journal entry as it ends; their rows are emitted in
plan order once all have ended; a failure stops the run after the others have finished.

The engine knows nothing about git or PyPI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from release.adapters.runner import redact
from release.errors import ConfigError, ConflictError, NotReady, ReleaseError
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

WORKERS_ENV = "RELEASE_BUILD_WORKERS"


def build_workers(world: Any) -> int:
    """How many steps of a parallel group run at once: RELEASE_BUILD_WORKERS, else the policy's
    `build_workers`, else 1 (a world without a policy); never less than 1."""
    env = getattr(world, "env", None) or {}
    raw = str(env.get(WORKERS_ENV, "") or "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ConfigError(
                f"{WORKERS_ENV}={raw!r} is not a number of workers",
                "e.g. 2; 1 builds one package after the other",
            ) from None
    n = getattr(getattr(world, "policy", None), "build_workers", 1)
    return max(1, n) if isinstance(n, int) else 1


def _group_at(steps: list[Any], index: int) -> list[Any]:
    """The consecutive steps from `index` sharing its `parallel_group` (never a gate or an
    irreversible step); [] when the step at `index` is in no group."""

    def key(step: Any) -> str:
        if getattr(step, "irreversible", False) or getattr(step, "gate", False):
            return ""
        return str(getattr(step, "parallel_group", "") or "")

    group = key(steps[index])
    if not group:
        return []
    end = index
    while end < len(steps) and key(steps[end]) == group:
        end += 1
    return steps[index:end]


def would(desc: str) -> str:
    """What a dry run says of a step: "would " + its description, the first letter lowered
    unless it starts an acronym or a name ("Tag v1.0.0" -> "would tag v1.0.0", "CI ..." stays)."""
    if not desc:
        return "would run"
    if len(desc) > 1 and not desc[1].islower():
        return f"would {desc}"
    return f"would {desc[0].lower()}{desc[1:]}"


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
    on_start: Callable[[str, str], None] | None = None,
    workers: int | None = None,
) -> Report:
    """Run `steps` in order against `world`; see the module docstring for the contract.

    `on_start(name, description)` is called when a step starts (before its probe; dry runs
    too), `on_row(row)` when it ends; a step that never starts (not-run) has only its row.
    `workers`: how many steps of a parallel group run at once (default `build_workers(world)`;
    dry runs apply nothing, so they run every step in turn)."""
    report = Report(dry_run=dry_run)
    pool_size = 1 if dry_run else (workers if workers is not None else build_workers(world))
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

    def applied(step: Any, desc: str, t0: float) -> tuple[Row, ReleaseError | None]:
        """apply + verify one step of a group (in its own thread) and journal how it ended."""
        try:
            facts = step.apply(world) or {}
            after = step.verify(world)
        except ReleaseError as exc:
            status = "waiting" if getattr(exc, "waiting", False) else "failed"
            if journal is not None:
                journal.record(step.name, status, None, exc.one_line())
            return Row(step.name, desc, status, exc.one_line(), time.monotonic() - t0), exc
        if after.conflict or not after.done:
            why = after.conflict or after.detail or "verification found it not done"
            if journal is not None:
                journal.record(step.name, "failed", {**facts, **after.facts}, why)
            error = ReleaseError(
                f"{step.name}: applied but not verified: {why}", "re-run to retry this step"
            )
            return Row(step.name, desc, "failed", why, time.monotonic() - t0), error
        if journal is not None:
            journal.record(step.name, "verified", {**facts, **after.facts}, after.detail)
        row = Row(step.name, desc, "applied", redact(after.detail or ""), time.monotonic() - t0)
        return row, None

    def run_group(start: int, group: list[Any]) -> bool:
        """Probe the group's steps in turn, apply the ones not done side by side, emit every
        row in plan order once all have ended. False: the run stops (report.error is set)."""
        from concurrent.futures import ThreadPoolExecutor

        rows: list[list[Row]] = [[] for _ in group]
        todo: list[tuple[int, Any, str, float]] = []  # (position, step, description, t0)
        error: ReleaseError | None = None
        for pos, step in enumerate(group):
            t0 = time.monotonic()
            desc = step.describe()
            if on_start:
                on_start(step.name, desc)
            try:
                seen = step.probe(world)
            except ReleaseError as exc:
                error = exc
                rows[pos].append(Row(step.name, desc, "failed", f"probe: {exc.one_line()}"))
                break
            if seen.conflict:
                error = ConflictError(
                    f"{step.name}: {seen.conflict}", "nothing was changed by this step"
                )
                rows[pos].append(Row(step.name, desc, "conflict", seen.conflict))
                if journal is not None:
                    journal.record(step.name, "conflict", seen.facts, seen.conflict)
                break
            if seen.skip:
                rows[pos].append(Row(step.name, desc, "skipped", seen.skip))
                if journal is not None:
                    journal.record(step.name, "skipped", seen.facts, seen.skip)
                continue
            if seen.done and _must_reverify(step, journal):
                again = step.verify(world)
                if again.conflict or not again.done:
                    why = again.conflict or again.detail or "verification found it not right"
                    error = ReleaseError(
                        f"{step.name}: verification failed: {why}",
                        "fix the world (or abandon the release with release.abort); "
                        "this step stays failed until it verifies",
                    )
                    if journal is not None:
                        journal.record(step.name, "failed", again.facts, why)
                    rows[pos].append(Row(step.name, desc, "failed", why, time.monotonic() - t0))
                    break
                seen = again
            if seen.done:
                detail = seen.detail or "already true"
                rows[pos].append(Row(step.name, desc, "done", detail, time.monotonic() - t0))
                if journal is not None and journal.steps.get(step.name, {}).get("status") != (
                    "verified"
                ):
                    journal.record(
                        step.name, "verified", seen.facts, seen.detail or "found already true"
                    )
                continue
            todo.append((pos, step, desc, t0))
        if error is None and todo:
            if journal is not None:
                for _, step, _, _ in todo:
                    journal.record(step.name, "started")
            size = min(pool_size, len(todo))
            with ThreadPoolExecutor(max_workers=size, thread_name_prefix="release-step") as pool:
                futures = [(pos, pool.submit(applied, s, d, t0)) for pos, s, d, t0 in todo]
            for pos, future in futures:  # every one has ended: the pool waited for them
                row, failed = future.result()
                rows[pos].append(row)
                if error is None and failed is not None:
                    error = failed
        elif error is not None:  # stopped while probing: the steps that were to run never did
            for pos, step, desc, _ in todo:
                rows[pos].append(Row(step.name, desc, "not-run"))
        ended = 0
        for pos, step in enumerate(group):
            if not rows[pos]:
                break  # after the step whose probe stopped the group
            ended = pos + 1
            for row in rows[pos]:
                emit(row)
            if after_step and rows[pos][-1].status in ("done", "applied"):
                after_step(step.name)
        if error is not None:
            report.error = error
            _not_run(steps[start + ended :], emit)
            return False
        return True

    resume_at = 0
    for index, step in enumerate(steps):
        if index < resume_at:
            continue  # run in the parallel group before it
        group = _group_at(steps, index) if pool_size > 1 else []
        if len(group) > 1:
            if not run_group(index, group):
                return report
            resume_at = index + len(group)
            continue
        t0 = time.monotonic()
        desc = step.describe()
        if on_start:
            on_start(step.name, desc)
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
                    would(desc),
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
            # a step that hands its work to someone else (publish_via = "action") is waiting for
            # them, not failed: the re-run probes the world again as for any step
            status = "waiting" if getattr(exc, "waiting", False) else "failed"
            if journal is not None:
                journal.record(step.name, status, None, exc.one_line())
            emit(Row(step.name, desc, status, exc.one_line(), time.monotonic() - t0))
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
