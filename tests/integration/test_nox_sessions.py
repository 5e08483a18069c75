"""`nox -l` on the project's own noxfile: the sessions, their tags, the type they gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def nox(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("nox")
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_nox_list_shows_the_sessions_with_their_tags():
    res = nox("-l", "--nocolor")
    assert res.returncode == 0, res.stderr
    lines = {ln.split()[1]: ln for ln in res.stdout.splitlines() if ln[:2] in ("* ", "- ")}
    assert "[patch,minor,major]" in lines["lint"] and "[patch,minor,major]" in lines["tests"]
    assert "[patch,minor,major]" in lines["typecheck"]
    assert "[minor,major]" in lines["docs"]
    assert "[major]" in lines["bench"] and "[major]" in lines["compat-3.10(lowest)"]
    assert "compat-3.13(highest)" in lines
    assert "demo" in lines and "[" not in lines["demo"]  # the demo gates nothing
    assert "-> Check docs strictly" in lines["docs"]  # the one-line docstring says what it checks


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("patch", {"lint", "typecheck", "tests"}),
        ("minor", {"lint", "typecheck", "tests", "docs"}),
        (
            "major",
            {"lint", "typecheck", "tests", "docs", "bench"}
            | {
                f"compat-{py}({deps})"
                for py in ("3.10", "3.11", "3.12", "3.13")
                for deps in ("lowest", "highest")
            },
        ),
    ],
)
def test_each_release_type_selects_its_sessions(tag, expected):
    res = nox("-l", "--json", "-t", tag)
    assert res.returncode == 0, res.stderr
    assert {s["session"] for s in json.loads(res.stdout)} == expected


def test_docs_session_runs_without_a_virtualenv_and_reports_broken_links(tmp_path):
    """The docs session on a copy of the noxfile beside a README with one broken link."""
    (tmp_path / "noxfile.py").write_text((ROOT / "noxfile.py").read_text())
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "README.md").write_text("# Top\n\n[ok](#top) and [broken](docs/nope.md)\n")
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [1.2.0] - 2026-01-01\n- x\n")
    base = [
        sys.executable,
        "-m",
        "nox",
        "-f",
        str(tmp_path / "noxfile.py"),
        "-s",
        "docs",
        "--nocolor",
    ]
    res = subprocess.run(
        [*base, "--", "1.2.0"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert (
        res.returncode == 1
        and "README.md: (docs/nope.md): docs/nope.md does not exist" in res.stderr
    )
    (tmp_path / "README.md").write_text("# Top\n\n[ok](#top)\n")
    res = subprocess.run(
        [*base, "--", "1.2.0"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert res.returncode == 0, res.stderr
    res = subprocess.run(
        [*base, "--", "1.3.0"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert res.returncode == 1 and "no section for 1.3.0" in res.stderr
