"""The CLI starts without the heavy dependencies; they load when a task needs them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.fixtures.sandbox import PROJECT_ROOT

HEAVY = ["github", "twine", "build", "git", "rich", "tomlkit", "requests"]


def test_loading_every_task_imports_no_heavy_dependency():
    code = (
        "import sys, json; import release.tasks; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_status_json_imports_no_heavy_dependency():
    code = (
        "import sys, json, runpy; sys.argv = ['release', 'release.status', '--json'];\n"
        "import atexit; atexit.register(lambda: sys.stderr.write(json.dumps("
        f"[m for m in {HEAVY!r} if m in sys.modules])))\n"
        "runpy.run_module('release', run_name='__main__')"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stderr.strip().splitlines()[-1]) == []
