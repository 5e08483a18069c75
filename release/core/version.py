"""Versions and tags, pure: PEP 440 is canonical; SemVer (npm) and Docker renderings.

The rules that pick the next version live here too, one function per release kind. They take a
`TagSet` (every tag of a repository, classified once) and never look at the clock or the disk.

Rules for messy histories (documented in docs/versioning.md):

* Only canonical `v{X.Y.Z}` and `v{X.Y.Z}rc{N}` tags count. Everything else -- 4-part versions,
  `.devN`, nightlies, `-dev` markers, alpha/beta, post releases, non-canonical spellings and
  non-version names -- is a *stray*: reported, never chosen as a base.
* An RC whose final already exists is *superseded* (e.g. `v0.2.12rc6` tagged after `v0.2.12`):
  it never reopens its version.
* RCs are for X.Y.0 versions. An RC of a patch version counts only when it is the RC of the
  very next patch of its line (it is then *noticed* by the patch rule); any other (e.g. the typo
  `v0.1.19rc8` among 0.1.9) is *out of line*: reported, ignored.
* An RC of X.Y.0 that is neither the next minor nor the next major after the highest final
  (e.g. `v0.9.0rc1` when 0.4.2 is the highest final) is out of line too.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import total_ordering

from release.errors import VersionError

_CANON = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:rc(0|[1-9]\d*))?$")
_SEMVER_RC = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)-rc\.?(0|[1-9]\d*)$")


@total_ordering
@dataclass(frozen=True)
class Version:
    """An immutable release version: X.Y.Z final or X.Y.ZrcN candidate."""

    major: int
    minor: int
    patch: int
    rc: int | None = None

    # ---- parsing -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse `X.Y.Z`, `X.Y.ZrcN` (PEP 440) or `X.Y.Z-rc.N` (SemVer); a leading `v` is allowed."""
        raw = text.strip()
        body = raw[1:] if raw[:1] in ("v", "V") else raw
        m = _CANON.match(body) or _SEMVER_RC.match(body)
        if not m:
            raise VersionError(
                f"'{text}' is not a release version",
                "use X.Y.Z or X.Y.ZrcN (PEP 440), e.g. 0.4.0 or 0.4.0rc1",
            )
        major, minor, patch, rc = m.groups()
        return cls(int(major), int(minor), int(patch), int(rc) if rc is not None else None)

    # ---- renderings ----------------------------------------------------------------------
    @property
    def base(self) -> Version:
        """The final this version leads to (itself for a final)."""
        return Version(self.major, self.minor, self.patch)

    @property
    def is_rc(self) -> bool:
        return self.rc is not None

    @property
    def line(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def pep440(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core if self.rc is None else f"{core}rc{self.rc}"

    def semver(self) -> str:
        """SemVer 2 rendering for npm and the semver library: 0.4.0-rc.1."""
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core if self.rc is None else f"{core}-rc.{self.rc}"

    def docker_tag(self) -> str:
        """Docker tag rendering: the PEP 440 text (only [A-Za-z0-9_.-] are used)."""
        return self.pep440()

    def tag(self, pattern: str = "v{version}") -> str:
        return pattern.format(version=self.pep440())

    def __str__(self) -> str:
        return self.pep440()

    # ---- ordering ------------------------------------------------------------------------
    def _key(self) -> tuple[int, int, int, int, int]:
        return (self.major, self.minor, self.patch, 0 if self.rc is not None else 1, self.rc or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    # ---- bumps (pure, return new values) -------------------------------------------------
    def bump_patch(self) -> Version:
        return Version(self.major, self.minor, self.patch + 1)

    def bump_minor(self) -> Version:
        return Version(self.major, self.minor + 1, 0)

    def bump_major(self) -> Version:
        return Version(self.major + 1, 0, 0)

    def with_rc(self, n: int) -> Version:
        return Version(self.major, self.minor, self.patch, n)


def npm_version(version: Version) -> str:
    """The SemVer 2 text npm receives (`0.4.0-rc.1`), checked with the `semver` library: it must
    parse and mean the same version, or the release stops before anything is built."""
    import semver

    text = version.semver()
    try:
        parsed = semver.Version.parse(text)
    except ValueError as exc:
        raise VersionError(
            f"{version} renders as {text!r} for npm, which is not SemVer ({exc})",
            "use X.Y.Z or X.Y.ZrcN versions",
        ) from None
    back = Version(
        parsed.major,
        parsed.minor,
        parsed.patch,
        int(str(parsed.prerelease).split(".")[-1]) if parsed.prerelease else None,
    )
    if back != version or str(parsed) != text:
        raise VersionError(
            f"{version} renders as {text!r} for npm, which SemVer reads as {parsed}",
            "use X.Y.Z or X.Y.ZrcN versions",
        )
    return text


def from_npm(text: str | None) -> Version | None:
    """A version an npm registry reports (SemVer), or None when it is not one of our releases."""
    if not text:
        return None
    import semver

    if not semver.Version.is_valid(text):
        return None
    try:
        return Version.parse(text)
    except VersionError:
        return None


def parse_line(text: str) -> tuple[int, int]:
    """Parse a line `X.Y` (also accepts `release-X.Y.x`-like text ending in X.Y or X.Y.x)."""
    m = re.search(r"(\d+)\.(\d+)(?:\.x)?$", text.strip())
    if not m:
        raise VersionError(f"'{text}' is not a release line", "use X.Y, e.g. 0.4")
    return int(m.group(1)), int(m.group(2))


def line_arg(text: str) -> tuple[int, int]:
    """A `--line` argument: exactly `X.Y` (`9.0.1` or `1.2.3.4` are refused, never re-read)."""
    m = re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)", text.strip())
    if not m:
        raise VersionError(f"--line {text!r} is not a release line", "use X.Y, e.g. --line 0.4")
    return int(m.group(1)), int(m.group(2))


def line_str(line: tuple[int, int]) -> str:
    return f"{line[0]}.{line[1]}"


# ---- tags ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagInfo:
    """A tag as the release rules see it: final, rc or stray (with the reason)."""

    name: str
    kind: str  # "final" | "rc" | "stray"
    version: Version | None = None
    reason: str = ""
    date: int = 0  # unix time of the tag (tagger date, or commit date for lightweight tags)
    sha: str = ""  # the commit the tag points at


def classify_tag(name: str, prefix: str = "v", date: int = 0, sha: str = "") -> TagInfo:
    """Classify one tag name; never raises."""
    if not name.startswith(prefix):
        return TagInfo(name, "stray", None, "not a version tag", date, sha)
    body = name[len(prefix) :]
    m = _CANON.match(body)
    if m:
        # Two objects per tag, built from this match (no second parse) and without the frozen
        # dataclasses' __init__, which sets each field through object.__setattr__: the same
        # objects (equal, same hash and repr) at half the cost, for every tag of a repository.
        # Valid while Version and TagInfo have no __post_init__, no slots and no computed field
        # (tests/unit/core/test_version_scaling.py checks it).
        major, minor, patch, rc = m.groups()
        v = _new(Version)
        d = v.__dict__
        d["major"], d["minor"], d["patch"] = int(major), int(minor), int(patch)
        d["rc"] = None if rc is None else int(rc)
        t = _new(TagInfo)
        d = t.__dict__
        d["name"], d["kind"], d["version"] = name, "final" if rc is None else "rc", v
        d["reason"], d["date"], d["sha"] = "", date, sha
        return t
    return TagInfo(name, "stray", None, _stray_reason(body), date, sha)


_new = object.__new__


def _stray_reason(body: str) -> str:
    from packaging.version import InvalidVersion
    from packaging.version import Version as PV

    try:
        pv = PV(body)
    except InvalidVersion:
        return "not a PEP 440 version"
    if pv.epoch:
        return "has an epoch"
    if pv.local:
        return "has a local version label"
    if pv.dev is not None:
        return "development or nightly marker"
    if pv.post is not None:
        return "post release"
    if len(pv.release) != 3:
        return f"{len(pv.release)}-part version"
    if pv.pre is not None and pv.pre[0] != "rc":
        return f"'{pv.pre[0]}' pre-release (only rc is used)"
    return f"non-canonical spelling (canonical: {prefix_hint(str(pv))})"


def prefix_hint(pep440: str) -> str:
    return f"v{pep440}"


@dataclass
class Anomaly:
    """A tag that is valid but must not steer the next version; said in status, ignored."""

    tag: str
    reason: str


_Base = tuple[int, int, int]  # (major, minor, patch): an index key, hashed in C


class _Index:
    """The finals by version and by line, built in one pass over the sorted finals, so that no
    query scans every tag: `has_final`, `finals_of_line` and the anomaly rules are dict lookups.
    Keyed by plain tuples, so building it makes no `Version` per tag. (The RCs of one version
    are a run of the sorted RCs: `rcs_of` finds it with two binary searches, no index.)"""

    __slots__ = ("final_by_base", "finals_by_line")

    def __init__(self, finals: list[TagInfo]) -> None:
        self.final_by_base: dict[_Base, TagInfo] = {}
        self.finals_by_line: dict[tuple[int, int], list[TagInfo]] = {}
        by_base, by_line = self.final_by_base, self.finals_by_line
        for t in finals:  # sorted by version: each line's list is sorted, its last is its top
            v = t.version
            if v is None:
                continue
            by_base.setdefault((v.major, v.minor, v.patch), t)  # the first, as a scan finds it
            line = (v.major, v.minor)
            same = by_line.get(line)
            if same is None:
                by_line[line] = [t]
            else:
                same.append(t)


class _Counted:
    """The RCs that count (not anomalies), by line, and the open X.Y.0 bases: built once."""

    __slots__ = ("by_line", "open_bases", "rcs")

    def __init__(self, rcs: list[TagInfo], ignored: set[str], finals: dict[_Base, TagInfo]) -> None:
        self.rcs = [t for t in rcs if t.name not in ignored] if ignored else list(rcs)
        self.by_line: dict[tuple[int, int], list[TagInfo]] = {}
        bases: set[_Base] = set()
        for t in self.rcs:
            v = t.version
            if v is None:
                continue
            self.by_line.setdefault((v.major, v.minor), []).append(t)
            if v.patch == 0 and (v.major, v.minor, 0) not in finals:
                bases.add((v.major, v.minor, 0))
        self.open_bases = [Version(*b) for b in sorted(bases)]


@dataclass
class TagSet:
    """Every tag of a repository, classified once; the input of every next-version rule.

    Every query is a lookup in an index built once (one pass over the tags), never a scan of
    every tag per call: building a TagSet and answering the rules is O(n log n) in tags (the
    sort). The indexes are rebuilt if a list is replaced or grows (treat a TagSet as read-only).
    """

    finals: list[TagInfo] = field(default_factory=list)  # sorted by version
    rcs: list[TagInfo] = field(default_factory=list)  # sorted by version
    strays: list[TagInfo] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    by_name: dict[str, TagInfo] = field(default_factory=dict)

    @classmethod
    def from_tags(cls, tags: Iterable[TagInfo]) -> TagSet:
        ts = cls()
        lists = {"final": ts.finals, "rc": ts.rcs, "stray": ts.strays}
        for t in tags:
            ts.by_name[t.name] = t
            lists[t.kind].append(t)
        ts.finals.sort(key=_version_key)
        ts.rcs.sort(key=_version_key)
        ts.strays.sort(key=lambda t: t.name)
        ts._find_anomalies()
        return ts

    @classmethod
    def from_names(cls, names: Iterable[str], prefix: str = "v") -> TagSet:
        return cls.from_tags(classify_tag(n, prefix) for n in names)

    # ---- indexes (built once; kept out of the dataclass fields, so == and repr ignore them) --
    def _stamp(self) -> tuple[int, ...]:
        return (id(self.finals), len(self.finals), id(self.rcs), len(self.rcs))

    def _index(self) -> _Index:
        stamp = (id(self.finals), len(self.finals))
        cached = self.__dict__.get("_idx")
        if cached is None or cached[0] != stamp:
            cached = self.__dict__["_idx"] = (stamp, _Index(self.finals))
        return cached[1]

    def _counted(self) -> _Counted:
        idx = self._index()
        stamp = (*self._stamp(), id(self.anomalies), len(self.anomalies))
        cached = self.__dict__.get("_cnt")
        if cached is None or cached[0] != stamp:
            counted = _Counted(self.rcs, self._ignored_names(), idx.final_by_base)
            cached = self.__dict__["_cnt"] = (stamp, counted)
        return cached[1]

    # ---- queries ---------------------------------------------------------------------
    def highest_final(self) -> Version | None:
        return self.finals[-1].version if self.finals else None

    def has_final(self, v: Version) -> bool:
        return (v.major, v.minor, v.patch) in self._index().final_by_base

    def finals_of_line(self, line: tuple[int, int]) -> list[TagInfo]:
        return list(self._index().finals_by_line.get(line, ()))

    def rcs_of(self, base: Version) -> list[TagInfo]:
        """The RCs of final `base`, sorted (none for an RC: an RC is no RC's base): the run of
        the sorted RCs between X.Y.Zrc0 and X.Y.Z, found with two binary searches."""
        if base.rc is not None:
            return []
        x, y, z = base.major, base.minor, base.patch
        lo = bisect_left(self.rcs, (x, y, z, 0, 0), key=_version_key)
        hi = bisect_left(self.rcs, (x, y, z, 1, 0), lo, key=_version_key)
        return self.rcs[lo:hi]

    def previous_final(self, version: Version) -> TagInfo | None:
        """The highest final of `version`'s line below its base, else the highest final below
        it on any line; None when no final is below (two binary searches, no scan)."""
        key = version.base._key()
        same = self._index().finals_by_line.get((version.major, version.minor))
        if same:
            j = bisect_left(same, key, key=_version_key)
            if j:
                return same[j - 1]
        i = bisect_left(self.finals, key, key=_version_key)
        return self.finals[i - 1] if i else None

    def final_lines(self) -> list[tuple[int, int]]:
        """Every line X.Y that has a final, ascending."""
        return sorted(self._index().finals_by_line)

    def lines(self) -> list[tuple[int, int]]:
        """Every line X.Y that has a final or a counted RC, ascending."""
        return sorted(self._index().finals_by_line.keys() | self._counted().by_line.keys())

    def line_tags(self) -> list[tuple[tuple[int, int], list[TagInfo], list[TagInfo]]]:
        """(line, its finals, its counted RCs) for every line of `lines()`, ascending, each list
        sorted by version: what a table of lines shows, from the indexes in one call."""
        finals, rcs = self._index().finals_by_line, self._counted().by_line
        return [(ln, list(finals.get(ln, ())), list(rcs.get(ln, ()))) for ln in self.lines()]

    def _ignored_names(self) -> set[str]:
        return {a.tag for a in self.anomalies}

    def counted_rcs(self) -> list[TagInfo]:
        return list(self._counted().rcs)

    def counted_rcs_of_line(self, line: tuple[int, int]) -> list[TagInfo]:
        """The counted RCs of line X.Y, sorted by version."""
        return list(self._counted().by_line.get(line, ()))

    def open_rc_bases(self) -> list[Version]:
        """X.Y.0 versions with counted RCs and no final: the lines under community testing."""
        return list(self._counted().open_bases)

    def _find_anomalies(self) -> None:
        """One pass over the RCs, each checked with dict lookups (never a scan of the finals)."""
        idx = self._index()
        top = self.highest_final()
        for t in self.rcs:
            v = t.version
            assert v is not None
            final = idx.final_by_base.get((v.major, v.minor, v.patch))
            if final is not None:
                # A late RC of a released version: superseded, never reopens the version.
                if t.date and final.date and t.date > final.date:
                    self.anomalies.append(
                        Anomaly(t.name, f"RC tagged after its final {final.name}")
                    )
                continue
            if v.patch != 0:
                line_finals = idx.finals_by_line.get((v.major, v.minor))
                line_top = line_finals[-1].version if line_finals else None
                expected = line_top.bump_patch() if line_top is not None else None
                if v.base != expected:
                    self.anomalies.append(
                        Anomaly(
                            t.name,
                            f"RC out of line (next patch of {v.line[0]}.{v.line[1]} is {expected or 'none'})",
                        )
                    )
                continue
            if (
                top is not None
                and v.base > top
                and v.base not in (top.bump_minor(), top.bump_major())
            ):
                self.anomalies.append(
                    Anomaly(
                        t.name,
                        f"RC ahead of the next minor/major ({top.bump_minor()} / {top.bump_major()})",
                    )
                )


def _version_key(t: TagInfo) -> tuple[int, int, int, int, int]:
    """Sort key of a final or RC tag: `t.version._key()` inlined (one call per tag, and tuples
    compared in C: no rich compares of `Version`s)."""
    v = t.version
    assert v is not None
    rc = v.rc
    return (v.major, v.minor, v.patch, 0 if rc is not None else 1, rc or 0)


# ---- next-version rules (pure) -------------------------------------------------------------


@dataclass(frozen=True)
class Next:
    """The answer of a next-version rule, with anything worth saying about it."""

    version: Version
    notes: tuple[str, ...] = ()


def _next_rc_number(tags: TagSet, base: Version) -> int:
    numbers = [t.version.rc for t in tags.rcs_of(base) if t.version and t.version.rc is not None]
    return max(numbers) + 1 if numbers else 1


def next_patch(tags: TagSet, line: tuple[int, int]) -> Next:
    """Next patch of line X.Y: its highest final plus one; other lines never matter."""
    finals = tags.finals_of_line(line)
    if not finals:
        raise VersionError(
            f"line {line_str(line)} has no final release yet",
            "promote its release candidate with release.final first",
        )
    nxt = finals[-1].version.bump_patch()  # type: ignore[union-attr]
    notes: list[str] = []
    pending = [t.name for t in tags.rcs_of(nxt)]
    if pending:
        notes.append(f"{', '.join(pending)} exists without a final; this patch is its final")
    return Next(nxt, tuple(notes))


def _next_cut(tags: TagSet, target: Version, kind: str) -> Next:
    if tags.has_final(target):
        raise VersionError(f"{target} is already released", f"nothing to cut for {kind}")
    n = _next_rc_number(tags, target)
    notes = (f"continuing {target}: rc1..rc{n - 1} exist",) if n > 1 else ()
    return Next(target.with_rc(n), notes)


def next_minor(tags: TagSet) -> Next:
    """X.(Y+1).0rcN from the highest final anywhere (rc1, or the next RC if some were cut)."""
    top = tags.highest_final() or Version(0, 0, 0)
    return _next_cut(tags, top.bump_minor(), "minor")


def next_major(tags: TagSet) -> Next:
    """(X+1).0.0rcN from the highest final anywhere."""
    top = tags.highest_final() or Version(0, 0, 0)
    return _next_cut(tags, top.bump_major(), "major")


def open_base_for(tags: TagSet, line: tuple[int, int] | None) -> Version:
    """The X.Y.0 under testing: the one of `line`, or the only open one when no line is given."""
    bases = tags.open_rc_bases()
    if line is not None:
        base = Version(line[0], line[1], 0)
        if base in bases:
            return base
        if tags.has_final(base):
            raise VersionError(
                f"line {line_str(line)} is already final ({base})", "use release.patch"
            )
        raise VersionError(
            f"line {line_str(line)} has no release candidate",
            "start it with release.minor or release.major",
        )
    if len(bases) == 1:
        return bases[0]
    if not bases:
        raise VersionError(
            "no release candidate is open", "start one with release.minor or release.major"
        )
    names = ", ".join(str(b) for b in bases)
    raise VersionError(
        f"several release candidates are open ({names})", "run from the release branch"
    )


def next_rc(tags: TagSet, line: tuple[int, int] | None = None) -> Next:
    """The next RC of the open line."""
    base = open_base_for(tags, line)
    return Next(base.with_rc(_next_rc_number(tags, base)))


def final_of(tags: TagSet, line: tuple[int, int] | None = None) -> Next:
    """The final of the open line: its last RC's version without the suffix."""
    base = open_base_for(tags, line)
    last = tags.rcs_of(base)[-1]
    return Next(base, (f"promotes {last.name}",))
