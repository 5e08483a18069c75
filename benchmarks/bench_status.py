"""Benchmark: `release.status --json` against `git for-each-ref` on synthetic repositories.

    python benchmarks/bench_status.py [--sizes 2000,20000] [--repeat 5] [--json results.json]

Both are timed as whole commands (interpreter start included for ours), median of `--repeat`
runs, and reported as a ratio to git. The repositories come from benchmarks/synth.py (made with
`git fast-import`, deterministic, cached under benchmarks/.cache/).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synth import make_repo, repo_info  # noqa: E402

TAGS_FOR = {2000: 120, 20000: 480, 100000: 900}


def timed(argv: list[str], cwd: Path, repeat: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(sizes: list[int], repeat: int) -> list[dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    rows = []
    for n in sizes:
        repo = make_repo(None, commits=n, tags=TAGS_FOR.get(n, max(60, n // 40)))
        info = repo_info(repo)
        git = timed(["git", "for-each-ref", "refs/tags", "refs/heads"], repo, repeat)
        python = timed([sys.executable, "-c", "pass"], repo, repeat)
        ours = timed(
            [sys.executable, "-m", "release", "release.status", "--json"], repo, repeat, env
        )
        out = subprocess.run(
            [sys.executable, "-m", "release", "release.status", "--json"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        data = json.loads(out)
        rows.append(
            {
                "commits": info["main_commits"] + info["branch_commits"],
                "tags": info["tag_count"],
                "git_for_each_ref_s": git,
                "python_start_s": python,
                "status_s": ours,
                "ratio_to_git": ours / git if git else float("inf"),
                "next_minor": data["next"]["minor"]["version"],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,20000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", dest="json_out", help="write {name: seconds} results here")
    args = ap.parse_args(argv)
    rows = bench([int(s) for s in args.sizes.split(",") if s], args.repeat)
    print(
        f"{'commits':>8} {'tags':>5} {'git for-each-ref':>17} {'python -c pass':>15} "
        f"{'release.status --json':>22} {'ratio to git':>13}"
    )
    for r in rows:
        print(
            f"{r['commits']:>8} {r['tags']:>5} {r['git_for_each_ref_s']:>16.3f}s {r['python_start_s']:>14.3f}s "
            f"{r['status_s']:>21.3f}s {r['ratio_to_git']:>12.1f}x"
        )
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps({f"status_{r['commits']}": r["status_s"] for r in rows}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
