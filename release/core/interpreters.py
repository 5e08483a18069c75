"""Which Python runs a package's smoke test: the choice among interpreters, given the package's
`Requires-Python` (pure; finding the interpreters and asking their versions is the adapter's).

The order of preference, applied by `release.adapters.pypi.smoke_test`:

1. the package's configured `smoke_python` (it must satisfy the specifier; never silently
   replaced by another),
2. the interpreter the toolkit runs on, when it satisfies the specifier,
3. the highest `python3.X` found (on PATH, among pyenv's versions, then through `uv python find`)
   that satisfies it,

and when nothing fits, `no_interpreter` is the one-line error that says what was looked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from release.errors import ReleaseError

# the python3.X names worth looking for: every minor a specifier may ask for, today and for years
MINORS = range(6, 26)
# patch levels tried when deciding whether some 3.X.Y can satisfy a specifier ("==3.12.4")
_PATCHES = range(41)


@dataclass(frozen=True)
class Interpreter:
    """One Python found: what to run, its version ("3.12.1") and where it was found."""

    command: str
    version: str
    source: str = ""  # "smoke_python", "current", "PATH", "pyenv", "uv"

    @property
    def label(self) -> str:
        return f"{self.version} ({self.source})" if self.source else self.version


class NoInterpreter(ReleaseError):
    """No Python satisfies the package's Requires-Python (exit 2: a configuration to fix)."""

    exit_code = 2


def specifier(text: str) -> SpecifierSet:
    """The Requires-Python text as a SpecifierSet ("" = any Python)."""
    try:
        return SpecifierSet(text or "")
    except InvalidSpecifier:
        raise NoInterpreter(
            f"Requires-Python {text!r} is not a valid version specifier",
            "fix requires-python in the package's pyproject.toml (e.g. >=3.10)",
        ) from None


def satisfies(spec: str, version: str) -> bool:
    """Does Python `version` satisfy `spec`? (pre-releases of Python count, as pip counts them)"""
    try:
        v = Version(version)
    except InvalidVersion:
        return False
    return specifier(spec).contains(v, prereleases=True)


def wanted_minors(spec: str, minors: Sequence[int] = MINORS) -> list[str]:
    """The "3.X" whose some release can satisfy `spec`, highest first: the python3.X to look for."""
    s = specifier(spec)
    return [
        f"3.{m}"
        for m in sorted(minors, reverse=True)
        if any(s.contains(Version(f"3.{m}.{p}"), prereleases=True) for p in _PATCHES)
    ]


def best(spec: str, candidates: Sequence[Interpreter]) -> Interpreter | None:
    """The highest version among `candidates` that satisfies `spec` (the first found of equals)."""
    fitting = [c for c in candidates if satisfies(spec, c.version)]
    if not fitting:
        return None
    top = max(Version(c.version) for c in fitting)
    return next(c for c in fitting if Version(c.version) == top)


def check_configured(spec: str, chosen: Interpreter, what: str = "") -> Interpreter:
    """A configured interpreter is used as is, or refused when it does not satisfy `spec`."""
    if satisfies(spec, chosen.version):
        return chosen
    raise NoInterpreter(
        f"smoke_python {chosen.command!r}{' of ' + what if what else ''} is Python "
        f"{chosen.version}, which does not satisfy Requires-Python {spec}",
        "name another interpreter in smoke_python, or remove it to let the smoke test find one",
    )


def choose(
    spec: str,
    current: Interpreter | None,
    found: Sequence[Interpreter] = (),
) -> Interpreter | None:
    """The current interpreter when it satisfies `spec`, else the best of `found` (or None)."""
    if current is not None and satisfies(spec, current.version):
        return current
    return best(spec, found)


def _names(minors: Sequence[str]) -> str:
    """python3.13, python3.12 ... compactly: "python3.12 to python3.25" for a run of minors."""
    if not minors:
        return ""
    nums = sorted(int(m.split(".")[1]) for m in minors)
    if len(nums) > 3 and nums == list(range(nums[0], nums[-1] + 1)):
        return f"python3.{nums[0]} to python3.{nums[-1]}"
    return ", ".join(f"python3.{n}" for n in reversed(nums))


def no_interpreter(
    spec: str,
    looked_in: Sequence[str],
    seen: Sequence[Interpreter],
    what: str = "",
) -> NoInterpreter:
    """The one-line error when nothing fits: the specifier, the names looked for and where, the
    versions seen (none of which fits), and how to name one."""
    minors = wanted_minors(spec)
    if minors:
        looked = f"looked for {_names(minors)} ({', '.join(looked_in) or 'nowhere'})"
    else:
        looked = f"no python3.{MINORS[0]} to python3.{MINORS[-1]} can satisfy it"
    versions = ", ".join(dict.fromkeys(i.label for i in seen)) or "none"
    return NoInterpreter(
        f"no Python satisfies Requires-Python {spec}{' of ' + what if what else ''} for the "
        f"smoke test: {looked}; found {versions}",
        'install one, or name it with smoke_python in [tool.release].packages (e.g. "python3.12")',
    )
