"""Regenerate docs/plans.md: `release.plan KIND` for every kind, on the demo project.

    python scripts/plan_examples.py          # starts the local stack, writes docs/plans.md

It walks the demo project through minor -> rc -> final -> patch (releasing each for real against
the local registries, so that the next kind's plan is the real one) and shows the major plan on
main at the end. Run from a checkout of release-kit (it uses tests/fixtures/stack.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.stack import make_project, report_ci_green, start_stack  # noqa: E402

OVERRIDE = "demo: the window is simulated"


def main() -> int:
    out: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="plans-") as tmp,
        start_stack(Path(tmp) / "stack") as stack,
    ):
        sb = make_project(stack, Path(tmp) / "project", tests="none")
        env = dict(sb.env, COLUMNS="104", PYTHONPATH=str(ROOT))

        def run(*args: str, show: bool = False) -> None:
            res = subprocess.run(
                [sys.executable, "-m", "release", *args],
                cwd=sb.root,
                env=env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
            )
            if res.returncode != 0:
                raise SystemExit(f"{' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")
            if show:
                out.append(f"```\n$ invoke {' '.join(args)}\n{res.stdout.rstrip()}\n```\n")

        def green(ref: str) -> None:
            report_ci_green(stack, sb.wd.git("rev-parse", ref))

        def fix(subject: str) -> None:
            sb.wd.commit(subject)
            sb.wd.git("push", "-q", "origin", "HEAD")
            green("HEAD")

        green("main")
        out.append("## minor (from main)\n")
        run("release.plan", "minor", show=True)
        run("release.minor", "--yes")
        sb.wd.git("checkout", "-q", "release-0.1.x")
        fix("fix(client): a backported fix (#20)")
        out.append("## rc (on release-0.1.x, after a backport)\n")
        run("release.plan", "rc", show=True)
        run("release.rc", "--yes")
        out.append("## final (on release-0.1.x, inside the window, with an override)\n")
        run("release.plan", "final", "--override", OVERRIDE, show=True)
        run("release.final", "--override", OVERRIDE, "--yes")
        fix("fix(server): a patch fix (#21)")
        out.append("## patch (on release-0.1.x)\n")
        run("release.plan", "patch", show=True)
        sb.wd.git("checkout", "-q", "main")
        out.append("## major (from main)\n")
        run("release.plan", "major", show=True)
    header = (
        "# The plan of each release kind\n\n"
        "`release.plan KIND` on the demo project (a Python client, a Python server pinning it, an npm\n"
        "client and a Docker image; GitHub, Discord and the registries are the local stand-ins of\n"
        "`tests/fixtures/stack.py`). Each kind's plan was taken right before that release was made,\n"
        "in the order minor, rc, final, patch; major is planned on main at the end. Regenerate with\n"
        "`python scripts/plan_examples.py`.\n\n"
        "Steps that do not apply are still listed, and show as *skipped* with the reason when run\n"
        "(e.g. `gate:milestone` for an RC). The dry run (`--dry-run`) probes every step of the same\n"
        "plan and prints, for each, `done`, `would ...` or `skipped`.\n\n"
    )
    text = header + "\n".join(out)
    text = text.replace(os.environ.get("TMPDIR", "/tmp"), "/tmp")
    (ROOT / "docs" / "plans.md").write_text(text)
    print(f"wrote docs/plans.md ({len(out)} plans)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
