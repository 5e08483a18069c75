"""Version parsing, renderings, tag classification and next-version rules (pure)."""

from __future__ import annotations

import pytest
import semver
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version as PV

from release.core.version import (
    TagSet,
    Version,
    classify_tag,
    final_of,
    next_major,
    next_minor,
    next_patch,
    next_rc,
)
from release.errors import VersionError

nums = st.integers(min_value=0, max_value=300)
rcs = st.one_of(st.none(), st.integers(min_value=1, max_value=30))
versions = st.builds(Version, nums, nums, nums, rcs)


# ---- parsing and renderings ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("0.4.0", Version(0, 4, 0)),
        ("v0.4.0rc1", Version(0, 4, 0, 1)),
        ("0.4.0-rc.2", Version(0, 4, 0, 2)),
        ("10.20.30", Version(10, 20, 30)),
    ],
)
def test_parse(text, expected):
    assert Version.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0.4", "0.4.0.1", "v0.4.0a1", "01.2.3", "x.y.z", "0.4.0rc", "0.4.0-dev"]
)
def test_parse_rejects_with_the_text_in_the_message(text):
    with pytest.raises(VersionError) as exc:
        Version.parse(text)
    assert f"'{text}'" in exc.value.one_line()
    assert isinstance(exc.value, ValueError)


def test_renderings():
    v = Version(0, 4, 0, 1)
    assert v.pep440() == "0.4.0rc1"
    assert v.semver() == "0.4.0-rc.1"
    assert v.docker_tag() == "0.4.0rc1"
    assert v.tag() == "v0.4.0rc1"
    assert Version(1, 2, 3).semver() == "1.2.3"


@given(versions)
def test_renderings_agree_with_reference_libraries(v):
    assert str(PV(v.pep440())) == v.pep440()  # canonical PEP 440
    assert str(semver.Version.parse(v.semver())) == v.semver()
    assert Version.parse(v.pep440()) == v
    assert Version.parse(v.semver()) == v


@given(versions, versions)
def test_order_matches_pep440_and_semver(a, b):
    assert (a < b) == (PV(a.pep440()) < PV(b.pep440()))
    assert (a < b) == (semver.Version.parse(a.semver()) < semver.Version.parse(b.semver()))


@given(versions)
def test_bumps_are_new_values_and_increase(v):
    for bumped in (v.bump_patch(), v.bump_minor(), v.bump_major()):
        assert bumped > v.base
        assert bumped.rc is None
    assert v.with_rc(1).base == v.base


# ---- tags --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,kind,reason",
    [
        ("v0.4.0", "final", ""),
        ("v0.4.0rc1", "rc", ""),
        ("v0.2.10.1", "stray", "4-part version"),
        ("v0.1.4.dev3", "stray", "development or nightly marker"),
        ("v0.3.1-dev.20251022", "stray", "development or nightly marker"),
        ("v0.5.0-dev", "stray", "development or nightly marker"),
        ("stable", "stray", "not a version tag"),
        ("vnext", "stray", "not a PEP 440 version"),
        ("v0.4.0a1", "stray", "'a' pre-release"),
        ("v0.4.0.post1", "stray", "post release"),
        ("v0.4.0-rc1", "stray", "non-canonical spelling (canonical: v0.4.0rc1)"),
        ("v1!0.4.0", "stray", "has an epoch"),
        ("v0.4", "stray", "2-part version"),
    ],
)
def test_classify_every_real_tag_form(name, kind, reason):
    info = classify_tag(name)
    assert info.kind == kind
    assert reason in info.reason


@given(st.text(max_size=30))
def test_classify_never_raises(name):
    assert classify_tag(name).kind in ("final", "rc", "stray")


# ---- next-version rules -------------------------------------------------------------------------

MESSY = [
    "v0.1.0",
    "v0.1.9",
    "v0.1.19rc8",
    "v0.1.4.dev3",
    "stable",
    "v0.2.0rc1",
    "v0.2.0",
    "v0.2.10",
    "v0.2.10.1",
    "v0.2.12",
    "v0.2.12rc6",
    "v0.3.0rc1",
    "v0.3.0",
    "v0.3.5",
    "v0.3.6rc1",
    "v0.3.1-dev.20251022",
    "v0.5.0-dev",
]


def dated(names: list[str]) -> TagSet:
    """Tags dated in list order (later in the list = later in time)."""
    return TagSet.from_tags(
        classify_tag(n, date=1_700_000_000 + i * 86400) for i, n in enumerate(names)
    )


def test_patch_uses_only_its_line_and_notices_pending_rc():
    tags = dated(MESSY)
    nxt = next_patch(tags, (0, 3))
    assert nxt.version == Version(0, 3, 6)
    assert any("v0.3.6rc1" in n for n in nxt.notes)
    assert next_patch(tags, (0, 2)).version == Version(0, 2, 13)


def test_typo_rc_far_ahead_does_not_derail_the_line():
    tags = dated(MESSY)
    assert next_patch(tags, (0, 1)).version == Version(0, 1, 10)
    assert any(a.tag == "v0.1.19rc8" for a in tags.anomalies)


def test_rc_after_its_final_is_superseded_and_reported():
    tags = dated(MESSY)
    assert any(a.tag == "v0.2.12rc6" and "after its final" in a.reason for a in tags.anomalies)
    assert Version(0, 2, 12) not in tags.open_rc_bases()


def test_strays_are_never_a_base():
    tags = dated(MESSY)
    assert {t.name for t in tags.strays} == {
        "v0.1.4.dev3",
        "stable",
        "v0.2.10.1",
        "v0.3.1-dev.20251022",
        "v0.5.0-dev",
    }
    # v0.5.0-dev must not make 0.5 look released or open
    assert next_minor(tags).version == Version(0, 4, 0, 1)
    assert next_major(tags).version == Version(1, 0, 0, 1)


def test_minor_continues_rc_numbering_with_gaps():
    tags = dated(["v0.3.0", "v0.4.0rc1", "v0.4.0rc3"])
    assert next_minor(tags).version == Version(0, 4, 0, 4)
    assert next_rc(tags).version == Version(0, 4, 0, 4)
    assert final_of(tags).version == Version(0, 4, 0)


def test_rc_ahead_of_next_minor_is_ignored():
    tags = dated(["v0.4.2", "v0.9.0rc1"])
    assert next_minor(tags).version == Version(0, 5, 0, 1)
    assert any(a.tag == "v0.9.0rc1" for a in tags.anomalies)
    with pytest.raises(VersionError, match="no release candidate is open"):
        next_rc(tags)


def test_no_tags_at_all():
    tags = TagSet.from_names([])
    assert next_minor(tags).version == Version(0, 1, 0, 1)
    assert next_major(tags).version == Version(1, 0, 0, 1)
    with pytest.raises(VersionError, match="no final release yet"):
        next_patch(tags, (0, 1))
    with pytest.raises(VersionError, match="no release candidate is open"):
        final_of(tags)


def test_rc_and_final_by_line_when_several_are_open():
    tags = dated(["v0.4.0", "v0.5.0rc1", "v1.0.0rc2"])
    with pytest.raises(VersionError, match="several release candidates"):
        next_rc(tags)
    assert next_rc(tags, (0, 5)).version == Version(0, 5, 0, 2)
    assert next_rc(tags, (1, 0)).version == Version(1, 0, 0, 3)
    with pytest.raises(VersionError, match="already final"):
        next_rc(tags, (0, 4))


def test_minor_refuses_when_target_already_released():
    # a final 0.5.0 exists beside a higher final 0.4.9? highest anywhere is 0.5.0 -> 0.6.0rc1
    tags = dated(["v0.4.9", "v0.5.0"])
    assert next_minor(tags).version == Version(0, 6, 0, 1)


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6), st.integers(0, 12), rcs), max_size=25),
    st.integers(0, 3),
    st.integers(0, 6),
)
def test_patch_property_depends_only_on_its_line(raw, x, y):
    names = [Version(*r).tag() for r in raw]
    tags = TagSet.from_names(names)
    line_finals = [Version(*r) for r in raw if r[3] is None and (r[0], r[1]) == (x, y)]
    if not line_finals:
        with pytest.raises(VersionError):
            next_patch(tags, (x, y))
        return
    nxt = next_patch(tags, (x, y)).version
    assert nxt == max(line_finals).bump_patch()
    # adding tags of other lines never changes the answer
    others = TagSet.from_names([*names, "v9.9.9", f"v{x}.{y + 1}.0", f"v{x + 1}.0.0rc1"])
    assert next_patch(others, (x, y)).version == nxt


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6), st.integers(0, 12), rcs), max_size=25)
)
def test_minor_and_major_are_rcs_above_every_final(raw):
    tags = TagSet.from_names([Version(*r).tag() for r in raw])
    top = tags.highest_final() or Version(0, 0, 0)
    for nxt, base in (
        (next_minor(tags).version, top.bump_minor()),
        (next_major(tags).version, top.bump_major()),
    ):
        assert nxt.is_rc and nxt.base == base and nxt > top
        existing = [t.version.rc for t in tags.rcs_of(base)]
        assert nxt.rc == (max(existing) + 1 if existing else 1)
