"""Tag-set computations are linear in the number of tags (issue 15, "Flat in tags").

No timing: the tests count work. Every tag is a `CountingTag`, which counts each attribute read,
and `Version`'s comparisons and hashes are counted too; the whole `release.status` computation
(TagSet, anomalies, lines, next versions, open RCs, cadence) and the latest-range lookup are run
on 2,000 and on 20,000 synthetic tags. Linear work reads each tag a bounded number of times, so
10x the tags costs about 10x the reads; a scan of every final per RC (the old `_find_anomalies`)
or per line (the old `lines_table`) costs 100x. Reading the repository is one `for-each-ref`
whatever the number of tags. The new lookups are checked against the old scans on random sets.
"""

from __future__ import annotations

import dataclasses
import gc
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from release.adapters import git as git_adapter
from release.adapters.runner import Result
from release.core.lines import backport_lines, supported_lines, target_support
from release.core.notes import history_targets, previous_tag, previous_tags
from release.core.policy import Policy
from release.core.schedule import compute_schedule
from release.core.status import compute_status
from release.core.version import (
    Anomaly,
    TagInfo,
    TagSet,
    Version,
    classify_tag,
    next_minor,
    next_patch,
)

NOW = 1_900_000_000
SMALL, LARGE = 2_000, 20_000
# 10x the tags: linear work grows 10x; allow n log n (log 20,000 / log 2,000 = 1.3).
MAX_GROWTH = 10 * 1.3


# ---- synthetic tags -------------------------------------------------------------------------


def synthetic(n: int, seed: int = 15) -> list[TagInfo]:
    """`n` tags as a long-lived project makes them: per line X.Y, RCs of X.Y.0, the final,
    patches (some with an RC first); now and then a late RC, an out-of-line RC, a stray; the
    newest line open. Dated in the order they were made."""
    rng = random.Random(seed)
    names: list[str] = []
    i = 0
    while len(names) < n:
        major, minor = divmod(i, 40)
        name = f"{major}.{minor + (1 if major == 0 else 0)}"
        rcs = rng.randint(1, 3)
        names += [f"v{name}.0rc{k}" for k in range(1, rcs + 1)]
        if len(names) + 1 >= n:  # the newest line stays open
            break
        names.append(f"v{name}.0")
        if i % 25 == 7:
            names.append(f"v{name}.0rc{rcs + 1}")  # late: after its final
        for z in range(1, rng.randint(2, 8) + 1):
            if rng.random() < 0.25:
                names.append(f"v{name}.{z}rc1")
            names.append(f"v{name}.{z}")
        if i % 40 == 13:
            names.append(f"v{name}.{rng.randint(12, 19)}rc8")  # out of line (a typo)
        if i % 50 == 21:
            names.append(f"v{name}.0.1")  # a stray
        i += 1
    names = names[:n]
    return [
        classify_tag(t, date=1_600_000_000 + k * 3600, sha=f"{k:040x}") for k, t in enumerate(names)
    ]


# ---- counting ---------------------------------------------------------------------------------

TOUCHES = [0]


class CountingTag(TagInfo):
    """A TagInfo that counts every attribute read: scanning all tags shows up as n reads."""

    def __getattribute__(self, name: str):
        TOUCHES[0] += 1
        return object.__getattribute__(self, name)


def counting(tags: list[TagInfo]) -> list[TagInfo]:
    return [CountingTag(t.name, t.kind, t.version, t.reason, t.date, t.sha) for t in tags]


@pytest.fixture
def counted_versions(monkeypatch):
    """Count Version comparisons, hashes and sort keys as tag work too."""

    def wrap(name):
        original = getattr(Version, name)

        def counted(*args, **kwargs):
            TOUCHES[0] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(Version, name, counted)

    for name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__hash__", "_key"):
        wrap(name)


def status_work(tags: list[TagInfo]) -> int:
    """What `release.status --json` and `changelog.draft` compute from the tags; the tag reads."""
    TOUCHES[0] = 0
    ts = TagSet.from_tags(tags)
    policy = Policy()
    state = SimpleNamespace(
        tagset=ts,
        root=Path("/repo"),
        branch="main",
        head="0" * 40,
        dirty=[],
        ahead=0,
        behind=0,
        branches={"main": "0" * 40, policy.branch_for(ts.lines()[-1]): "1" * 40},
        remote_branches={},
    )
    supported = supported_lines(ts, policy)
    sched = compute_schedule(ts, policy, NOW, supported)
    data = compute_status(state, policy, NOW, sched, {})
    assert data["counts"]["finals"] + data["counts"]["rcs"] + data["counts"]["strays"] == len(tags)
    for line in supported:
        next_patch(ts, tuple(int(x) for x in line.split(".")))  # type: ignore[arg-type]
        target_support(ts, policy, line)
    backport_lines(ts, policy)
    previous_tag(ts, next_minor(ts).version)  # the latest range of the notes
    history_targets(ts)
    previous_tags(ts)
    return TOUCHES[0]


def test_status_work_grows_linearly_with_tags(counted_versions):
    small = status_work(counting(synthetic(SMALL)))
    large = status_work(counting(synthetic(LARGE)))
    growth = large / small
    assert growth <= MAX_GROWTH, (
        f"10x the tags cost {growth:.1f}x the tag reads ({small} -> {large})"
    )
    # and a small constant per tag: a handful of passes, never one pass per line or per RC
    assert large / LARGE < 40, f"{large / LARGE:.1f} tag reads per tag"


def test_the_old_quadratic_anomaly_scan_would_fail_this_test(counted_versions):
    """The yardstick works: the old `_find_anomalies` (every final scanned for each RC)."""

    def old_scan(ts: TagSet) -> None:
        finals = {f.version for f in ts.finals}
        for t in ts.rcs:
            v = t.version
            assert v is not None
            if v.base in finals:
                next(f for f in ts.finals if f.version == v.base)

    reads = []
    for n in (SMALL // 40, SMALL // 4):  # smaller sizes: this one is slow by design
        ts = TagSet.from_tags(counting(synthetic(n)))
        TOUCHES[0] = 0
        old_scan(ts)
        reads.append(TOUCHES[0])
    assert reads[1] / reads[0] > 5 * MAX_GROWTH


def test_reading_the_repository_is_one_for_each_ref_whatever_the_tags(tmp_path, monkeypatch):
    calls: list[list[str]] = []

    def fake_run(argv, **kwargs):
        argv = [str(a) for a in argv]
        calls.append(argv)
        sub = argv[1]
        if sub == "rev-parse" and "--show-toplevel" in argv:
            out = f"{tmp_path}\n{tmp_path}/.git\n.git\nfalse\n"
        elif sub == "rev-parse":
            out = "f" * 40 + "\n"
        elif sub == "symbolic-ref":
            out = "main\n"
        elif sub == "for-each-ref":  # every atom the format may ask for, as git gives it
            atoms = next(a for a in argv if a.startswith("--format="))[9:].split("\x1f")

            def row(ref, otype, oid, commit, date):
                known = {
                    "%(refname)": ref,
                    "%(objecttype)": otype,
                    "%(objectname)": oid,
                    "%(*objectname)": commit if otype == "tag" else "",
                    "%(object)": commit if otype == "tag" else "",
                    "%(creatordate:unix)": str(date),
                    "%(upstream:short)": "",
                }
                return "\x1f".join(known[a] for a in atoms)

            rows = [row("refs/heads/main", "commit", "f" * 40, "", 1600000000)]
            rows += [row(f"refs/tags/{t.name}", "tag", oid(t.name), t.sha, t.date) for t in tags]
            out = "\n".join(rows) + "\n"
        else:
            out = ""
        return Result(argv, 0, out, "")

    def oid(name: str) -> str:  # each annotated tag is its own object
        import hashlib

        return hashlib.sha1(name.encode()).hexdigest()

    monkeypatch.setattr(git_adapter, "run", fake_run)
    counts = []
    for n in (10, 5_000):
        tags = synthetic(n)
        for warm in (False, True):  # the first read fills the cache of tag facts
            calls.clear()
            state = git_adapter.read_state(tmp_path)
            assert state.tags == tags  # names, kinds, versions, dates and commits
            assert state.tagset.anomalies == TagSet.from_tags(tags).anomalies
            # the refs, then (cold) the facts of the tags not seen yet: never one call per tag
            assert sum(1 for c in calls if c[1] == "for-each-ref") == (1 if warm else 2)
            counts.append(len(calls))
    assert counts[0] == counts[2] and counts[1] == counts[3], "a git call per tag"

    # the collector is paused while the tags are made, and left as the caller had it
    assert gc.isenabled()
    gc.disable()
    try:
        assert git_adapter.read_state(tmp_path).tagset.finals
        assert not gc.isenabled()
    finally:
        gc.enable()
    gc.freeze()  # objects a caller keeps out of the collections stay out
    try:
        frozen = gc.get_freeze_count()
        assert git_adapter.read_state(tmp_path).tagset.finals
        # not thawed (a thaw would empty it; objects freed meanwhile may leave it) nor grown
        assert 0 < gc.get_freeze_count() <= frozen and gc.isenabled()
    finally:
        gc.unfreeze()


# ---- the lookups answer what the old scans answered -----------------------------------------


def old_anomalies(ts: TagSet) -> list[Anomaly]:
    """`TagSet._find_anomalies` before issue 15 (quadratic), as the reference."""
    out: list[Anomaly] = []
    finals = {t.version for t in ts.finals}
    top = ts.highest_final()
    for t in ts.rcs:
        v = t.version
        assert v is not None
        if v.base in finals:
            final = next(f for f in ts.finals if f.version == v.base)
            if t.date and final.date and t.date > final.date:
                out.append(Anomaly(t.name, f"RC tagged after its final {final.name}"))
            continue
        if v.patch != 0:
            line_finals = [f.version for f in ts.finals if f.version and f.version.line == v.line]
            expected = max(line_finals).bump_patch() if line_finals else None
            if v.base != expected:
                out.append(
                    Anomaly(
                        t.name,
                        f"RC out of line (next patch of {v.line[0]}.{v.line[1]} is {expected or 'none'})",
                    )
                )
            continue
        if top is not None and v.base > top and v.base not in (top.bump_minor(), top.bump_major()):
            out.append(
                Anomaly(
                    t.name,
                    f"RC ahead of the next minor/major ({top.bump_minor()} / {top.bump_major()})",
                )
            )
    return out


def old_previous_tag(ts: TagSet, version: Version) -> TagInfo | None:
    base = version.base
    below = [t for t in ts.finals if t.version is not None and t.version < base]
    if not below:
        return None
    same_line = [t for t in below if t.version is not None and t.version.line == base.line]
    return (same_line or below)[-1]


def random_names(rng: random.Random, n: int) -> list[str]:
    names = set()
    while len(names) < n:
        x, y, z = rng.randint(0, 3), rng.randint(0, 6), rng.randint(0, 5)
        roll = rng.random()
        if roll < 0.45:
            names.add(f"v{x}.{y}.{z}")
        elif roll < 0.9:
            names.add(f"v{x}.{y}.{z}rc{rng.randint(1, 4)}")
        else:
            names.add(rng.choice([f"v{x}.{y}.{z}.dev1", f"v{x}.{y}", "stable", f"v0{x}.{y}.{z}"]))
    return sorted(names, key=lambda _: rng.random())  # shuffled: dates in a random order


@pytest.mark.parametrize("seed", range(10))
def test_lookups_match_the_old_scans(seed):
    rng = random.Random(seed)
    names = random_names(rng, rng.randint(0, 120))
    ts = TagSet.from_tags(
        classify_tag(t, date=rng.choice([0, 1_600_000_000 + k]), sha=f"{k:x}")
        for k, t in enumerate(names)
    )
    assert ts.anomalies == old_anomalies(ts)
    ignored = {a.tag for a in ts.anomalies}
    counted = [t for t in ts.rcs if t.name not in ignored]
    assert ts.counted_rcs() == counted
    finals = {t.version for t in ts.finals}
    assert ts.open_rc_bases() == sorted(
        {t.version.base for t in counted if t.version and t.version.patch == 0} - finals
    )
    lines = {t.version.line for t in ts.finals if t.version}
    assert ts.lines() == sorted(lines | {t.version.line for t in counted if t.version})
    assert ts.final_lines() == sorted(lines)
    assert ts.line_tags() == [
        (ln, ts.finals_of_line(ln), [t for t in counted if t.version.line == ln])
        for ln in ts.lines()
    ]
    for x in range(4):
        for y in range(7):
            line = (x, y)
            assert ts.finals_of_line(line) == [t for t in ts.finals if t.version.line == line]
            assert ts.counted_rcs_of_line(line) == [t for t in counted if t.version.line == line]
            for z in range(7):
                for rc in (None, 1):
                    v = Version(x, y, z, rc)
                    assert ts.has_final(v) == (v.base in finals)
                    assert ts.rcs_of(v) == [t for t in ts.rcs if t.version.base == v]
                    assert previous_tag(ts, v) == old_previous_tag(ts, v)


def test_fast_made_tags_equal_constructed_ones():
    for name in ("v1.2.3", "v0.4.0rc2", "v10.0.0rc10"):
        fast = classify_tag(name, date=5, sha="abc")
        v = Version.parse(name)
        slow = TagInfo(name, "rc" if v.is_rc else "final", v, "", 5, "abc")
        assert fast == slow and repr(fast) == repr(slow)
        assert fast.version == v and hash(fast.version) == hash(v) and repr(fast.version) == repr(v)
        assert type(fast) is TagInfo and type(fast.version) is Version
        assert list(vars(fast)) == [f.name for f in dataclasses.fields(TagInfo)]
        assert list(vars(fast.version)) == [f.name for f in dataclasses.fields(Version)]
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.version.major = 9  # type: ignore[misc]
    # classify_tag builds them without __init__: valid only while __init__ just sets the fields
    for cls in (Version, TagInfo):
        assert not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
        assert all(
            f.init and f.default_factory is dataclasses.MISSING for f in dataclasses.fields(cls)
        )
