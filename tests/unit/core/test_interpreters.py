"""Which Python runs a smoke test, pure: the choice among interpreters given Requires-Python, and
the `smoke_python` key of a package."""

from __future__ import annotations

import pytest

from release.core.interpreters import (
    Interpreter,
    NoInterpreter,
    best,
    check_configured,
    choose,
    no_interpreter,
    satisfies,
    wanted_minors,
)
from release.core.policy import policy_from_table
from release.errors import ConfigError

CURRENT = Interpreter("/usr/bin/python3", "3.11.7", "current")
FOUND = [
    Interpreter("/opt/py/bin/python3.10", "3.10.13", "PATH"),
    Interpreter("/opt/py/bin/python3.12", "3.12.1", "PATH"),
    Interpreter("/opt/py/bin/python3.13", "3.13.0", "PATH"),
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", "3.11.7"),  # no Requires-Python: the current interpreter
        (">=3.9", "3.11.7"),  # the current one satisfies: it wins over a higher one
        (">=3.12", "3.13.0"),  # else the highest that satisfies
        (">=3.12,<3.13", "3.12.1"),
        ("<3.11", "3.10.13"),
        ("!=3.11.*", "3.13.0"),
        ("~=3.12.0", "3.12.1"),
        ("==3.10.*", "3.10.13"),
    ],
)
def test_choose_prefers_the_current_then_the_highest_that_satisfies(spec, expected):
    chosen = choose(spec, CURRENT, FOUND)
    assert chosen is not None and chosen.version == expected


def test_nothing_satisfies_gives_none():
    assert choose(">=3.99", CURRENT, FOUND) is None
    assert best(">=3.12", []) is None
    assert choose(">=3.12", None, []) is None


def test_equal_versions_keep_the_first_found():
    twins = [Interpreter("/a/python3.12", "3.12.1", "PATH"), Interpreter("/b/python3.12", "3.12.1")]
    chosen = best(">=3.12", twins)
    assert chosen is not None and chosen.command == "/a/python3.12"


def test_python_prereleases_count_and_bad_versions_do_not():
    assert satisfies(">=3.13", "3.14.0rc1")
    assert not satisfies(">=3.12", "not-a-version")
    assert satisfies("", "3.8.0")


@pytest.mark.parametrize(
    ("spec", "minors"),
    [
        (">=3.23", ["3.25", "3.24", "3.23"]),
        ("<3.8", ["3.7", "3.6"]),
        ("!=3.11.*,>=3.10,<3.13", ["3.12", "3.10"]),
        ("==3.12.4", ["3.12"]),  # some 3.12.x satisfies it
        (">=3.99", []),
    ],
)
def test_wanted_minors_are_the_python3_x_worth_looking_for_highest_first(spec, minors):
    assert wanted_minors(spec) == minors


def test_an_invalid_specifier_is_one_line():
    with pytest.raises(NoInterpreter) as exc:
        satisfies(">>3.12", "3.12.1")
    assert "'>>3.12' is not a valid version specifier" in exc.value.one_line()


def test_no_candidate_error_names_the_versions_looked_for_and_smoke_python():
    err = no_interpreter(
        ">=3.12",
        ["PATH", "pyenv", "uv python find"],
        [CURRENT, FOUND[0]],
        "demo-1.0-py3-none-any.whl",
    )
    line = err.one_line()
    assert "\n" not in line
    assert "Requires-Python >=3.12 of demo-1.0-py3-none-any.whl" in line
    assert "looked for python3.12 to python3.25 (PATH, pyenv, uv python find)" in line
    assert "found 3.11.7 (current), 3.10.13 (PATH)" in line
    assert "smoke_python" in line
    assert err.exit_code == 2

    none_can = no_interpreter(">=3.99", ["PATH"], [CURRENT]).one_line()
    assert "no python3.6 to python3.25 can satisfy it" in none_can
    assert "found 3.11.7 (current)" in none_can

    gaps = no_interpreter("!=3.11.*,>=3.10,<3.13", ["PATH"], []).one_line()
    assert "looked for python3.12, python3.10 (PATH); found none" in gaps


def test_a_configured_interpreter_is_used_as_is_or_refused():
    mine = Interpreter("python3.11", "3.11.7", "smoke_python")
    assert check_configured(">=3.10", mine) is mine
    with pytest.raises(NoInterpreter) as exc:
        check_configured(">=3.12", mine, "demo")
    line = exc.value.one_line()
    assert "smoke_python 'python3.11' of demo is Python 3.11.7" in line
    assert "does not satisfy Requires-Python >=3.12" in line


def _policy(**pkg):
    return policy_from_table({"packages": [{"name": "demo", **pkg}]})


def test_smoke_python_is_an_optional_package_key():
    assert _policy().packages[0].smoke_python == ""
    assert _policy(smoke_python="python3.12").packages[0].smoke_python == "python3.12"
    path = "/opt/python 3.12/bin/python3"  # a path may hold a space
    assert _policy(**{"smoke-python": path}).packages[0].smoke_python == path


@pytest.mark.parametrize(
    ("pkg", "fragment"),
    [
        ({"smoke_python": 3.12}, "expected a string"),
        ({"smoke_python": "--version"}, "is not an interpreter"),
        ({"smoke_python": " python3.12"}, "is not an interpreter"),
        ({"smoke_python": "python3\n"}, "is not an interpreter"),
        ({"kind": "npm", "smoke_python": "python3.12"}, "only python packages"),
    ],
)
def test_a_bad_smoke_python_is_refused(pkg, fragment):
    with pytest.raises(ConfigError) as exc:
        _policy(**pkg)
    assert fragment in exc.value.one_line()
