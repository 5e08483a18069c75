"""Benchmark: changelog generation against `git log` and against commitizen, python-semantic-release
and git-cliff, on synthetic conventional-commit repositories.

    python benchmarks/bench_changelog.py [--sizes 2000,20000] [--repeat 5] [--no-peers]
                                         [--timeout 300] [--json results.json] [--no-readme]

For each repository size (made by benchmarks/synth.py with `git fast-import`, cached under
benchmarks/.cache/), two scopes are timed:

* **full**: the whole CHANGELOG from every release tag (ours: `history()` + `render_changelog()`,
  one `git log` over every final tag);
* **latest**: the notes of the newest minor release vX.Y.0 (since its previous final, RCs folded).

Ours is timed in-process (the API the release engine calls, given the tags it has already read:
`history()` / `release_notes()` + rendering) and as a CLI (`python -m release.tasks.changelog`:
interpreter start, imports and reading the repository's tags and status included). Every time is the
median of `--repeat` runs and is shown with its ratio to `git log` over the same range, with the
same format we ask git for (`git log -z --format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B`).

Peers run from their own venv (benchmarks/.cache/peers; `pip install commitizen
python-semantic-release git-cliff`), configured for the same `v{version}` tags; a peer that cannot
be installed, configured or run shows "n/a (reason)" instead of failing the benchmark. Their
config files (.cz.toml, pyproject.toml, CHANGELOG.md written by semantic-release) are kept out
of `git status` through .git/info/exclude. The table is printed and written into the
"## Changelog" section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
PEERS = CACHE / "peers"
README = HERE / "README.md"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from synth import make_repo, repo_info  # noqa: E402

TAGS_FOR = {2000: 120, 20000: 480, 100000: 900}  # same repositories as bench_status.py
FMT = "%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B"
TAG_REGEX = r"^v[0-9]+\.[0-9]+\.[0-9]+(rc[0-9]+)?$"
PEER_PACKAGES = ["commitizen", "python-semantic-release", "git-cliff"]
PEER_BINS = {"commitizen": "cz", "semantic-release": "semantic-release", "git-cliff": "git-cliff"}

CZ_TOML = """[tool.commitizen]
name = "cz_conventional_commits"
tag_format = "v$version"
version_scheme = "pep440"
version_provider = "scm"
"""
PSR_TOML = """[tool.semantic_release]
tag_format = "v{version}"
allow_zero_version = true

[tool.semantic_release.changelog]
mode = "init"

[tool.semantic_release.changelog.default_templates]
changelog_file = "CHANGELOG.md"
"""


# ---- timing -----------------------------------------------------------------------------------


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Median time of each function, run round-robin so that load changes hit all of them alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for f in fns.values():  # warm-up: page cache, imports
        f()
    for _ in range(repeat):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


class Failed(Exception):
    pass


def run_cmd(argv: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    try:
        res = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed(f"timeout after {timeout:.0f} s") from None
    except FileNotFoundError:
        raise Failed(f"{argv[0]} not found") from None
    if res.returncode != 0:
        tail = [ln for ln in res.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        last = re.sub(r"\x1b\[[0-9;]*m", "", tail[-1]).strip() if tail else "no output"
        raise Failed(f"exit {res.returncode}: {last[:80]}")
    return res.stdout.decode("utf-8", "replace")


def time_cmd(
    argv: list[str], cwd: Path, repeat: int, timeout: float, env: dict[str, str] | None = None
) -> float:
    """Median wall time of a command; slow commands (> 3 s) are run once."""
    t0 = time.perf_counter()
    run_cmd(argv, cwd, timeout, env)
    first = time.perf_counter() - t0
    if first > 3 or repeat <= 1:
        return first
    return statistics.median(
        [first]
        + [median_time(lambda: run_cmd(argv, cwd, timeout, env), 1) for _ in range(repeat - 1)]
    )


# ---- peers ------------------------------------------------------------------------------------


def ensure_peers(timeout: float) -> dict[str, str]:
    """Path of each peer's executable, or 'n/a (reason)'."""
    bindir = PEERS / ("Scripts" if os.name == "nt" else "bin")
    missing = [b for b in PEER_BINS.values() if not (bindir / b).exists()]
    if missing:
        try:
            if not (bindir / "python").exists():
                subprocess.run(
                    [sys.executable, "-m", "venv", str(PEERS)], check=True, capture_output=True
                )
            subprocess.run(
                [str(bindir / "python"), "-m", "pip", "install", "-q", *PEER_PACKAGES],
                check=True,
                capture_output=True,
                timeout=timeout,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            reason = "pip install failed"
            if isinstance(exc, subprocess.CalledProcessError) and exc.stderr:
                lines = [
                    ln for ln in exc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()
                ]
                reason = lines[-1][:80] if lines else reason
            return dict.fromkeys(PEER_BINS, f"n/a ({reason})")
    out = {}
    for name, b in PEER_BINS.items():
        out[name] = str(bindir / b) if (bindir / b).exists() else f"n/a ({b} not installed)"
    return out


def configure_peers(repo: Path) -> None:
    """Configs for the same v{version} tags; kept out of `git status` by .git/info/exclude."""
    (repo / ".cz.toml").write_text(CZ_TOML)
    (repo / "pyproject.toml").write_text(PSR_TOML)
    exclude = repo / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    have = exclude.read_text() if exclude.exists() else ""
    add = [p for p in (".cz.toml", "pyproject.toml", "CHANGELOG.md") if p not in have.split()]
    if add:
        exclude.write_text(
            have + ("" if have.endswith("\n") or not have else "\n") + "\n".join(add) + "\n"
        )
    remotes = subprocess.run(
        ["git", "remote"], cwd=repo, capture_output=True, text=True
    ).stdout.split()
    if "origin" not in remotes:  # semantic-release reads the remote URL for its links
        subprocess.run(
            ["git", "remote", "add", "origin", "https://github.com/example/synth.git"],
            cwd=repo,
            check=True,
        )


# ---- one repository ---------------------------------------------------------------------------


def cell(seconds: float | str, git: float) -> str:
    if isinstance(seconds, str):
        return seconds
    return f"{seconds:.3f} s ({seconds / git:.1f}×)"


def bench_repo(
    n: int, repeat: int, peers: dict[str, str] | None, timeout: float
) -> list[dict[str, Any]]:
    from release.commands import changelog as cl
    from release.core import notes
    from release.session import open_session

    repo = make_repo(None, commits=n, tags=TAGS_FOR.get(n, max(60, n // 40)))
    info = repo_info(repo)
    if peers is not None:
        configure_peers(repo)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")

    s = open_session(repo)
    tags = s.state.tagset
    targets = notes.history_targets(tags)
    latest = max(
        (t for t in tags.finals if t.version and t.version.patch == 0),
        key=lambda t: t.version._key(),
    )
    prev = notes.previous_tag(tags, latest.version)
    assert prev is not None
    # correctness guard: what we time is a complete changelog
    full_text = notes.render_changelog(cl.history(s.root, tags, s.policy))
    sections = full_text.count("\n## [") - 1  # minus Unreleased
    if sections != len(targets):
        raise SystemExit(f"full changelog has {sections} sections, expected {len(targets)}")
    latest_notes = cl.release_notes(s.root, tags, latest.version, s.policy)

    rows: list[dict[str, Any]] = []
    for scope in ("full", "latest"):
        if scope == "full":
            git_argv = ["git", "log", "-z", f"--format={FMT}", *[t.name for t in targets]]
            count = int(
                run_cmd(["git", "rev-list", "--count", *[t.name for t in targets]], repo, timeout)
            )

            def ours() -> None:
                notes.render_changelog(cl.history(s.root, tags, s.policy))

            cli = [sys.executable, "-m", "release.tasks.changelog", "-C", str(repo), "--full"]
            peer_cmds = {
                "commitizen": ["{cz}", "changelog", "--dry-run"],
                "semantic-release": ["{semantic-release}", "changelog"],
                "git-cliff": ["{git-cliff}", "--tag-pattern", TAG_REGEX],
            }
            what = f"every release ({len(targets)} sections)"
        else:
            rng = f"{prev.name}..{latest.name}"
            git_argv = ["git", "log", "-z", "--no-merges", f"--format={FMT}", rng]
            count = int(run_cmd(["git", "rev-list", "--count", "--no-merges", rng], repo, timeout))

            def ours() -> None:
                cl.release_notes(s.root, tags, latest.version, s.policy).markdown  # noqa: B018

            cli = [
                sys.executable,
                "-m",
                "release.tasks.changelog",
                "-C",
                str(repo),
                "--version",
                str(latest.version),
            ]
            peer_cmds = {
                "commitizen": ["{cz}", "changelog", "--dry-run", latest.name],
                "semantic-release": None,
                "git-cliff": ["{git-cliff}", "--tag-pattern", TAG_REGEX, rng],
            }
            what = f"{latest.name} ({rng}, {len(latest_notes.entries)} entries)"
        timed = interleaved(
            {
                "git_log": lambda argv=git_argv: run_cmd(argv, repo, timeout),
                "ours_in_process": ours,
                "ours_cli": lambda argv=cli: run_cmd(argv, repo, timeout, env),
            },
            repeat,
        )
        git_t = timed["git_log"]
        row: dict[str, Any] = {
            "commits": n,
            "tags": info["tag_count"],
            "scope": scope,
            "what": what,
            "range_commits": count,
            **timed,
        }
        for name, argv in peer_cmds.items():
            if peers is None:
                row[name] = "not run (--no-peers)"
                continue
            exe = peers[name]
            if argv is None:
                row[name] = "n/a (renders the whole history only)"
                continue
            if exe.startswith("n/a"):
                row[name] = exe
                continue
            argv = [exe if a == "{" + PEER_BINS[name] + "}" else a for a in argv]
            try:
                row[name] = time_cmd(argv, repo, repeat, timeout)
            except Failed as exc:
                row[name] = f"n/a ({exc})"
        rows.append(row)
        print(
            f"  {n} commits, {scope}: ours {row['ours_in_process']:.3f} s in-process, "
            f"{row['ours_cli']:.3f} s CLI, git log {git_t:.3f} s",
            file=sys.stderr,
        )
    return rows


# ---- output -----------------------------------------------------------------------------------

COLUMNS = ["commitizen", "semantic-release", "git-cliff"]


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| commits / tags | scope | git log | ours, in-process | ours, CLI | "
        "commitizen | python-semantic-release | git-cliff |"
    )
    out = [head, "|" + "---|" * 8]
    for r in rows:
        g = r["git_log"]
        cells = [
            f"{r['commits']:,} / {r['tags']}",
            f"{r['scope']}: {r['what']}, {r['range_commits']:,} commits",
            f"{g:.3f} s",
            cell(r["ours_in_process"], g),
            cell(r["ours_cli"], g),
            *[cell(r[c], g) for c in COLUMNS],
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def environment() -> str:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {git}; {time.strftime('%Y-%m-%d', time.gmtime())}"
    )


def readme_section(rows: list[dict[str, Any]], peers: dict[str, str] | None) -> str:
    runs = ", ".join(
        dict.fromkeys(f"{r['commits']:,} at {r.get('measured', '?')} UTC" for r in rows)
    )
    versions = ""
    if peers:
        found = []
        for name, exe in peers.items():
            if exe.startswith("n/a"):
                continue
            try:
                flag = (
                    "version" if name == "commitizen" else "--version"
                )  # `cz --version` is an error
                out = run_cmd([exe, flag], ROOT, 60).strip().splitlines()
                found.append(f"{name} {out[-1].split()[-1] if out else '?'}")
            except Failed:
                pass
        versions = f" Peers: {', '.join(found)}." if found else ""
    return f"""## Changelog

`python benchmarks/bench_changelog.py --sizes {",".join(str(s) for s in sorted({r["commits"] for r in rows}))}`
(latest run: {environment()}; each size's rows are from its latest run: {runs}).{versions}

Median wall time; the ratio in parentheses is to `git log` over the same range with the same
format we use (`-z`, hash, parents, author, date, full message). **full** = the whole CHANGELOG
from every final tag (plus the last RC of an open version), in one `git log` over all of them;
**latest** = the newest minor vX.Y.0 since its previous final (RCs folded in). "ours, in-process"
is the API the release engine calls, given the tags it has already read (collect + classify +
render); "ours, CLI" is `python -m release.tasks.changelog`: interpreter start, imports and reading the
repository (tags, branches, status) included.

{table(rows)}

Notes on the peers, configured for the same `v{{version}}` tags (config written by the benchmark):

- commitizen (`cz changelog --dry-run [TAG]`) walks HEAD's history only, so tags on release
  branches (patch releases) get no section; it reports the stray tags as invalid and goes on.
- python-semantic-release (`semantic-release changelog`, writes CHANGELOG.md) cannot parse PEP 440
  RC tags (`v0.4.0rc1`) and has no option to render one release's range.
- git-cliff (`git-cliff --tag-pattern '{TAG_REGEX}' [A..B]`, default config) skips
  unconventional commits; ours keeps them under "Other".

Rows of sizes not in the latest run are kept from their own latest run (dates above); a
`--no-peers` run keeps the peers' latest times.

{verdict(rows)}
"""


def verdict(rows: list[dict[str, Any]]) -> str:
    """The issue's aims, checked against the rows (in-process times)."""
    by = {(r["commits"], r["scope"]): r for r in rows}
    out = ["Against the issue's aims (in-process):", ""]
    full20 = by.get((20000, "full"))
    if full20:
        t = full20["ours_in_process"]
        out.append(
            f"- full 20k history under 0.5 s: {t:.3f} s ({'met' if t < 0.5 else 'NOT met'})."
        )
    ratios = [r["ours_in_process"] / r["git_log"] for r in rows if r["scope"] == "latest"]
    if ratios:
        worst = max(ratios)
        out.append(
            f"- latest range within 3× of `git log`: at most {worst:.1f}× ({'met' if worst <= 3 else 'NOT met'})."
        )
    full100 = by.get((100000, "full"))
    if full20 and full100:
        grow = full100["ours_in_process"] / full20["ours_in_process"]
        git_grow = full100["git_log"] / full20["git_log"]
        t = full100["ours_in_process"]
        ok = (
            "met"
            if t < 2
            else f"NOT met on this machine, where `git log` alone takes {full100['git_log']:.2f} s"
        )
        out.append(
            f"- 100k commits linear, under 2 s: {t:.3f} s, {grow:.1f}× the 20k time for 5× the commits "
            f"(`git log` itself grows {git_grow:.1f}×), {t / full100['git_log']:.1f}× `git log` ({ok})."
        )
    else:
        out.append("- 100k commits: run with `--sizes 2000,20000,100000`.")
    return "\n".join(out)


def write_readme(section: str) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n\n"
    m = re.search(r"^## Changelog[^\n]*\n", text, re.M)
    if m:
        nxt = re.search(r"^## ", text[m.end() :], re.M)
        end = m.end() + nxt.start() if nxt else len(text)
        text = text[: m.start()] + section.rstrip("\n") + "\n" + ("\n" + text[end:] if nxt else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text)


RESULTS = CACHE / "changelog-results.json"


def merge_results(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's rows plus earlier runs' rows for sizes not measured now (kept in .cache)."""
    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    for r in rows:
        r["measured"] = stamp
    try:
        old = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        old = []
    sizes = {r["commits"] for r in rows}
    before = {(r.get("commits"), r.get("scope")): r for r in old}
    for r in rows:  # --no-peers: keep the peers' latest times for this size
        prev = before.get((r["commits"], r["scope"]))
        for name in COLUMNS:
            if prev and str(r.get(name, "")).startswith("not run") and name in prev:
                r[name] = prev[name]
    merged = [r for r in old if r.get("commits") not in sizes] + rows
    merged.sort(key=lambda r: (r["commits"], r["scope"] != "full"))
    CACHE.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    return merged


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,20000", help="commit counts, e.g. 2000,20000,100000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true", help="time ours and git only")
    ap.add_argument(
        "--timeout", type=float, default=300, help="seconds per peer run (and pip install)"
    )
    ap.add_argument(
        "--json", help="also write {name: seconds} of this run to this file (nox -s bench)"
    )
    ap.add_argument("--no-readme", action="store_true", help="do not update benchmarks/README.md")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if shutil.which("git") is None:
        print("git is not installed", file=sys.stderr)
        return 2
    peers = None if args.no_peers else ensure_peers(args.timeout)
    rows: list[dict[str, Any]] = []
    for n in sizes:
        print(f"repository of {n} commits ...", file=sys.stderr)
        rows += bench_repo(n, args.repeat, peers, args.timeout)
    print(table(rows))
    if args.json:  # the bench contract: one flat {name: seconds}, lower is better, stable names
        flat = {}
        for r in rows:
            flat[f"changelog_{r['commits']}_{r['scope']}"] = r["ours_in_process"]
            flat[f"changelog_{r['commits']}_{r['scope']}_cli"] = r["ours_cli"]
        Path(args.json).write_text(json.dumps(flat, indent=2) + "\n")
    rows = merge_results(rows)
    if not args.no_readme:
        write_readme(readme_section(rows, peers))
        print(f"\nwritten to {README.relative_to(ROOT)} (## Changelog)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
