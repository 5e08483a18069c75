"""Compare benchmark results with the stored baseline; a regression beyond a ratio fails.

    python benchmarks/compare.py RESULT.json [RESULT.json ...] [--baseline benchmarks/baseline.json]
                                 [--max-ratio 2.0] [--update]

The contract every benchmark script follows: `--json PATH` writes one flat JSON object
{"name": seconds, ...} (lower is better; names stable across runs). This script merges the
results, prints a table against the baseline, and exits 1 when any result is slower than
`max-ratio` x its baseline (default 2.0, or $BENCH_MAX_RATIO: wall-clock timings differ between
machines, so only a clear regression fails). A name without a baseline is reported as new, never
failed; `--update` writes the merged results as the new baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path) -> dict[str, float]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(isinstance(v, (int, float)) for v in data.values()):
        raise SystemExit(f"{path}: expected a JSON object of name -> seconds")
    return {str(k): float(v) for k, v in data.items()}


def compare(
    results: dict[str, float], baseline: dict[str, float], max_ratio: float
) -> tuple[list[tuple], list[str]]:
    """(rows, regressions): rows are (name, baseline or None, seconds, ratio or None, verdict)."""
    rows, bad = [], []
    for name in sorted(results):
        now, base = results[name], baseline.get(name)
        if base is None or base <= 0:
            rows.append((name, base, now, None, "new"))
            continue
        ratio = now / base
        verdict = "REGRESSION" if ratio > max_ratio else ("faster" if ratio < 1 else "ok")
        if ratio > max_ratio:
            bad.append(
                f"{name}: {now:.3f}s is {ratio:.2f}x the baseline {base:.3f}s (limit {max_ratio:g}x)"
            )
        rows.append((name, base, now, ratio, verdict))
    return rows, bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument("--baseline", type=Path, default=HERE / "baseline.json")
    ap.add_argument(
        "--max-ratio", type=float, default=float(os.environ.get("BENCH_MAX_RATIO", "2.0"))
    )
    ap.add_argument("--update", action="store_true", help="write the results as the new baseline")
    args = ap.parse_args(argv)
    results: dict[str, float] = {}
    for path in args.results:
        results.update(load(path))
    baseline = load(args.baseline) if args.baseline.exists() else {}
    rows, bad = compare(results, baseline, args.max_ratio)
    print(f"{'benchmark':<32} {'baseline':>10} {'now':>10} {'ratio':>7}  verdict")
    for name, base, now, ratio, verdict in rows:
        b = f"{base:.3f}s" if base is not None else "-"
        r = f"{ratio:.2f}x" if ratio is not None else "-"
        print(f"{name:<32} {b:>10} {now:>9.3f}s {r:>7}  {verdict}")
    if args.update:
        args.baseline.write_text(
            json.dumps({**baseline, **results}, indent=2, sort_keys=True) + "\n"
        )
        print(f"baseline updated: {args.baseline}")
        return 0
    for line in bad:
        print(f"regression: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
