"""Benchmark: the cost of tags. Same commits, 1,000 vs 10,000 tags; 10k must cost <= 1.5x 1k.

    python benchmarks/bench_tags.py [--commits 2000] [--sizes 1000,10000] [--repeat 15]
                                    [--max-ratio 1.5] [--json results.json] [--keep DIR]

Two synthetic repositories are written with `git fast-import` (in a temporary directory, or in
`--keep DIR`, where they are reused by later runs): the same `--commits` commits on `main`
(identical shas in both) and either 1,000 or 10,000 tags over them, in a realistic mix (see
`plan_tags`): per release line X.Y, 1-3 RCs `vX.Y.0rcN`, the final `vX.Y.0`, 2-8 patches
`vX.Y.Z` (a quarter of them after an RC of their own), a `release-X.Y.x` branch for one line in
five, now and then a late RC (after its final) or an out-of-line RC, about one stray tag in 200,
and the newest line open (RCs only). Every tag is annotated; refs are packed, as in a clone.

Timed as whole commands (interpreter start included), median of `--repeat` runs, the two sizes
alternating run by run (a busy machine slows both alike), after one warm-up run each:

* `git for-each-ref refs/tags` -- the reference: git listing the tags and nothing else;
* `python -m release --list` -- the startup floor (interpreter, invoke, task modules; no git);
* `python -m release release.status --json` (`release.status` has no network and so no
  `--offline` flag): every tag read once, lines, next versions, open RCs, strays, anomalies,
  cadence;
* `python -m release changelog.draft --json` -- the release notes of the latest range (the next
  release from `main`: from the highest final to HEAD);
* not gated: `status_data` in-process (the work alone, no startup), to show the per-tag cost.

The CPU ratio (user + system time of the command and the git processes it runs) is printed too:
it moves less than wall time on a busy machine. Prints a Markdown table; exits 1 when a gated
command's 10k/1k wall-time ratio exceeds `--max-ratio`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START = 1672531200  # 2023-01-01T00:00:00Z


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
        LC_ALL="C",
    )
    return env


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


# ---- the tags --------------------------------------------------------------------------------


def plan_tags(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """(tag names in the order they were made, release branch names) for `n` tags.

    Lines 0.1, 0.2, ... (40 minors per major, so there are majors too). Per line: 1-3 RCs of
    X.Y.0 (one more for X.0.0), the final, 2-8 patches; 1 patch in 4 had an RC first; 1 line in
    25 gets a late RC after its final, 1 in 40 an out-of-line RC (a typo); 1 tag in 200 is a stray.
    One line in 5 (and the newest few) keeps its `release-X.Y.x` branch. The newest line is open.
    """
    rng = random.Random(seed)
    tags: list[str] = []
    branches: list[str] = []
    strays = ["v{}.dev3", "v{}.1", "v{}-dev", "nightly-{}", "v{}.post1", "v{}b1"]
    i = 0
    while True:
        major, minor = divmod(i, 40)
        minor += 1 if major == 0 else 0
        name = f"{major}.{minor}"
        rcs = rng.choice([1, 2, 2, 3]) + (1 if minor == 0 else 0)
        line = [f"v{name}.0rc{k}" for k in range(1, rcs + 1)]
        if len(tags) + len(line) + 1 >= n:  # the newest line stays open: RCs only
            line = [f"v{name}.0rc{k}" for k in range(1, n - len(tags) + 1)]
            tags += line
            break
        line.append(f"v{name}.0")
        if i % 25 == 7:
            line.append(f"v{name}.0rc{rcs + 1}")  # a late RC, tagged after its final
        for z in range(1, rng.randint(2, 8) + 1):
            if rng.random() < 0.25:
                line.append(f"v{name}.{z}rc1")
            line.append(f"v{name}.{z}")
        if i % 40 == 13:
            line.append(f"v{name}.{rng.randint(12, 19)}rc8")  # out of line
        if rng.random() < 0.05:
            line.append(rng.choice(strays).format(f"{name}.{rng.randint(0, 9)}"))
        if i % 5 == 0:
            branches.append(f"release-{name}.x")
        tags += line[: n - len(tags)]
        if len(tags) >= n:
            break
        i += 1
    branches += [f"release-{major}.{minor}.x" for major, minor in _last_lines(tags, 3)]
    return tags, sorted(set(branches))


def _last_lines(tags: list[str], k: int) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    for t in reversed(tags):
        parts = t[1:].split(".")
        if t.startswith("v") and len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            ln = (int(parts[0]), int(parts[1]))
            if ln not in seen:
                seen.append(ln)
        if len(seen) == k:
            break
    return seen


# ---- the repository --------------------------------------------------------------------------


def make_repo(path: Path, commits: int, n_tags: int, seed: int = 0) -> dict[str, int]:
    """`commits` commits on main (the same for every tag count), `n_tags` annotated tags spread
    over them in the order they were made, some release branches; refs packed. A repository
    already made at `path` with the same parameters is reused."""
    params = {"commits": commits, "tags": n_tags, "seed": seed, "generator": 1}
    stamp = path / ".git" / "bench-tags.json"
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("params") == params:
            return info["counts"]
    if path.exists():
        shutil.rmtree(path)
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=_env())
    out: list[bytes] = []
    when = START
    dates = []
    kinds = ["feat", "fix", "docs", "chore", "refactor", "perf", "test"]
    for i in range(commits):
        when += rng.randint(600, 7200)
        dates.append(when)
        kind = rng.choice(kinds)
        msg = f"{kind}: change {i} of module {i % 97} (#{1000 + i})\n"
        out.append(
            b"commit refs/heads/main\nmark :%d\n" % (i + 1)
            + f"author Dev {i % 13} <dev{i % 13}@example.com> {when} +0000\n".encode()
            + f"committer Dev {i % 13} <dev{i % 13}@example.com> {when} +0000\n".encode()
            + _data(msg)
            + f"M 644 inline src/mod{i % 97:02d}.py\n".encode()
            + _data(f"VALUE = {i}\n")
            + b"\n"
        )
    tags, branches = plan_tags(n_tags, seed)
    # The tags are spread over the history in the order they were made, dates increasing; the
    # last two commits have none, so the latest range is never empty.
    span = max(1, commits - 2)
    for k, name in enumerate(tags):
        at = k * span // len(tags)
        out.append(
            f"tag {name}\nfrom :{at + 1}\n".encode()
            + f"tagger Release Bot <release@example.com> {dates[at] + 60 + k} +0000\n".encode()
            + _data(f"Release {name}\n")
        )
    newest: dict[str, int] = {}  # line X.Y -> index of its newest tag
    for k, name in enumerate(tags):
        newest[".".join(name[1:].split(".")[:2])] = k
    for b in branches:
        # a release branch points at the commit of its line's newest tag
        last = newest[b[len("release-") : -len(".x")]]
        out.append(f"reset refs/heads/{b}\nfrom :{last * span // len(tags) + 1}\n\n".encode())
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=path,
        input=b"".join(out) + b"done\n",
        check=True,
        env=_env(),
    )
    subprocess.run(["git", "pack-refs", "--all"], cwd=path, check=True, env=_env())
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True, env=_env())
    rcs = sum(1 for t in tags if "rc" in t)
    counts = {"commits": commits, "tags": len(tags), "rcs": rcs, "branches": len(branches)}
    stamp.write_text(json.dumps({"params": params, "counts": counts}) + "\n")
    return counts


# ---- timing ----------------------------------------------------------------------------------


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and the git processes it ran, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


IN_PROCESS = """
import sys, time, statistics
from release.commands.status import status_data
status_data(".")
times = []
for _ in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    status_data(".")
    times.append(time.perf_counter() - t0)
print(statistics.median(times))
"""

STARTUP = "python -m release --list"
GIT = "git for-each-ref refs/tags"
STATUS = "release.status --json"
NOTES = "changelog.draft --json"
IN_PROC = "in-process status_data"
COMMANDS = (GIT, STARTUP, STATUS, NOTES, IN_PROC)
GATED = (STATUS, NOTES)


def bench(commits: int, sizes: list[int], repeat: int, workdir: Path) -> list[dict]:
    """Both repositories first; then every command is timed `repeat` times on each, the sizes
    alternating run by run (a busy machine slows both alike), after one warm-up run each."""
    env = _env()
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["RELEASE_NOW"] = str(START + 400 * 86400)
    py = [sys.executable, "-m", "release"]
    argvs = {
        GIT: ["git", "for-each-ref", "refs/tags"],
        STARTUP: [*py, "--list"],
        STATUS: [*py, "release.status", "--json"],
        NOTES: [*py, "changelog.draft", "--json"],
    }
    repos = {n: workdir / f"tags-{n}" for n in sizes}
    rows = {n: dict(make_repo(repos[n], commits, n)) for n in sizes}
    outputs: dict[tuple[str, int], str] = {}
    walls: dict[tuple[str, int], list[float]] = {}
    cpus: dict[tuple[str, int], list[float]] = {}
    for name, argv in argvs.items():
        for n in sizes:
            outputs[name, n] = run(argv, repos[n], env)[2]  # warm-up (and the output checked)
            walls[name, n], cpus[name, n] = [], []
        for r in range(repeat):
            for n in sizes if r % 2 == 0 else reversed(sizes):
                wall, cpu, _ = run(argv, repos[n], env)
                walls[name, n].append(wall)
                cpus[name, n].append(cpu)
    for n in sizes:
        row = rows[n]
        for name in argvs:
            row[name] = statistics.median(walls[name, n])
            row[f"{name} cpu"] = statistics.median(cpus[name, n])
        inproc = run([sys.executable, "-c", IN_PROCESS, str(repeat)], repos[n], env)[2]
        row[IN_PROC] = float(inproc)
        status = json.loads(outputs[STATUS, n])
        notes = json.loads(outputs[NOTES, n])
        listed = outputs[GIT, n].splitlines()
        assert len(listed) == row["tags"], "for-each-ref does not list every tag"
        counts = status["counts"]
        assert counts["finals"] + counts["rcs"] + counts["strays"] == row["tags"]
        row.update(
            next_minor=status["next"]["minor"]["version"],
            anomalies=len(status["anomalies"]),
            notes_range=f"{notes['previous_tag']}..{notes['tag']}",
            notes_entries=sum(len(s["entries"]) for s in notes["sections"]),
        )
    return [rows[n] for n in sizes]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--sizes", default="1000,10000", help="two tag counts: small,large")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--max-ratio", type=float, default=1.5)
    ap.add_argument("--json", dest="json_out", help="write {name: seconds} results here")
    ap.add_argument(
        "--keep", help="make (or reuse) the repositories here and keep them (default: a temp dir)"
    )
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if len(sizes) != 2:
        ap.error("--sizes takes two tag counts")
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-tags-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        small, large = bench(args.commits, sizes, args.repeat, tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    for r in (small, large):
        print(
            f"{r['tags']:,} tags ({r['rcs']:,} RCs, {r['branches']} release branches, "
            f"{r['anomalies']} anomalies) on {r['commits']:,} commits: next minor "
            f"{r['next_minor']}, latest range {r['notes_range']} ({r['notes_entries']} entries)"
        )
    print()
    head = f"{small['tags']:,} tags"
    tail = f"{large['tags']:,} tags"
    print(f"| command | {head} | {tail} | ratio | CPU ratio | gate |")
    print("|---|---:|---:|---:|---:|---|")
    failed = []
    for name in COMMANDS:
        a, b = small[name], large[name]
        ratio = b / a if a else float("inf")
        cpu_a, cpu_b = small.get(f"{name} cpu"), large.get(f"{name} cpu")
        cpu = f"{cpu_b / cpu_a:.2f}x" if cpu_a and cpu_b else "-"
        if name in GATED:
            ok = ratio <= args.max_ratio
            gate = f"<= {args.max_ratio:g}x: {'ok' if ok else 'FAILED'}"
            if not ok:
                failed.append(name)
        elif name == GIT:
            gate = "reference"
        elif name == STARTUP:
            gate = "startup floor (no repository)"
        else:
            gate = "not gated (the work alone, no startup)"
        print(f"| `{name}` | {a:.3f} s | {b:.3f} s | {ratio:.2f}x | {cpu} | {gate} |")
    if args.json_out:
        key = {STATUS: "status", NOTES: "notes_latest", IN_PROC: "status_inproc"}
        results = {f"tags_{key[name]}_{r['tags']}": r[name] for name in key for r in (small, large)}
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")
    if failed:
        print(f"\nFAILED: 10k/1k ratio above {args.max_ratio:g}x for {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
