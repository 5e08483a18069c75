"""Adopting the toolkit (issue 16): a repository with tasks of its own keeps them.

`from release.tasks import ns` alone makes Invoke list only our namespace (`invoke lint`: "No
idea what 'lint' is!"); the documented line `ns = add_to(Collection(lint))` adds our collections
beside the repository's tasks. Invoke runs as a user runs it: a subprocess in the repository,
the toolkit found through PYTHONPATH. Without any tasks.py, `release-kit` runs the tasks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.sandbox import Sandbox, make_sandbox

pytestmark = pytest.mark.integration

OWN_TASKS = '''\
"""The repository's own tasks."""

from invoke import Collection, task


@task
def lint(c):
    """Lint the code (the repository's own task)."""
    print("lint: all clean")

'''

# the line README.md and docs/user-guide.md give for a tasks.py with tasks of its own
ADOPTION_LINE = "from release.tasks import add_to  # noqa: E402\n\nns = add_to(Collection(lint))\n"


def invoke(sb: Sandbox, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=cwd or sb.root,
        env=sb.env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def listed(out: str) -> set[str]:
    return {ln.split()[0] for ln in out.splitlines() if ln.startswith("  ") and ln.strip()}


@pytest.fixture
def sb(tmp_path, monkeypatch) -> Sandbox:
    return make_sandbox(tmp_path, monkeypatch)


def commit_tasks(sb: Sandbox, text: str) -> None:
    sb.wd.write("tasks.py", text)
    sb.wd.git("commit", "-q", "-am", "chore: tasks")
    sb.wd.git("push", "-q", "origin", "main")


def test_the_documented_line_keeps_the_repositorys_own_tasks(sb):
    commit_tasks(sb, OWN_TASKS + ADOPTION_LINE)
    res = invoke(sb, "--list")
    assert res.returncode == 0, res.stderr
    names = listed(res.stdout)
    assert {"lint", "release.status", "release.minor", "changelog.draft"} <= names
    assert {"milestone.check", "mergify.sync"} <= names

    lint = invoke(sb, "lint")
    assert lint.returncode == 0, lint.stderr
    assert "lint: all clean" in lint.stdout

    status = invoke(sb, "release.status")
    assert status.returncode == 0, status.stderr
    assert "Next version from here" in status.stdout
    as_json = invoke(sb, "release.status", "--json")
    assert as_json.returncode == 0 and '"schema": "release.status/1"' in as_json.stdout


def test_a_tasks_py_with_its_own_ns_adds_ours_to_it(sb):
    text = (
        OWN_TASKS
        + "ns = Collection(lint)\n\nfrom release.tasks import add_to  # noqa: E402\n\nadd_to(ns)\n"
    )
    commit_tasks(sb, text)
    names = listed(invoke(sb, "--list").stdout)
    assert {"lint", "release.status"} <= names
    assert invoke(sb, "lint").returncode == 0
    assert invoke(sb, "release.plan", "minor").returncode == 0


def test_the_module_form_takes_every_task_of_the_file(sb):
    text = OWN_TASKS + (
        "import sys  # noqa: E402\n\nfrom release.tasks import add_to  # noqa: E402\n\n"
        "ns = add_to(sys.modules[__name__])\n"
    )
    commit_tasks(sb, text)
    assert {"lint", "release.status"} <= listed(invoke(sb, "--list").stdout)
    assert "lint: all clean" in invoke(sb, "lint").stdout


def test_the_docs_give_the_tested_line():
    root = Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/user-guide.md"):
        text = (root / doc).read_text()
        assert "from release.tasks import add_to" in text, doc
        assert "ns = add_to(Collection(" in text, doc
        assert "add_to(ns)" in text and "add_to(sys.modules[__name__])" in text, doc
    assert "from release.tasks import ns  # noqa: F401" in (root / "README.md").read_text()


def test_ns_alone_still_adopts_a_repository_without_tasks(sb):
    # make_sandbox's tasks.py is the README's line for a repository without tasks of its own
    assert (sb.root / "tasks.py").read_text() == "from release.tasks import ns  # noqa: F401\n"
    res = invoke(sb, "--list")
    assert res.returncode == 0 and "release.status" in listed(res.stdout)
    assert invoke(sb, "release.status").returncode == 0


def test_a_name_both_sides_use_is_refused_not_replaced():
    from invoke import Collection, task

    from release.tasks import add_to

    @task
    def changelog(c):
        pass

    with pytest.raises(ValueError, match="'changelog'"):
        add_to(Collection(changelog))
    with pytest.raises(ValueError, match="collection named 'release'"):
        add_to(Collection(Collection("release")))
    with pytest.raises(TypeError):
        add_to("tasks")  # type: ignore[arg-type]


def test_release_kit_runs_without_any_tasks_py(sb):
    sb.wd.git("rm", "-q", "tasks.py")
    sb.wd.git("commit", "-q", "-m", "chore: no tasks.py")
    assert not (sb.root / "tasks.py").exists()
    nothing = invoke(sb, "--list")
    assert nothing.returncode != 0  # plain invoke finds no tasks here
    res = sb.run("--list", check=True)  # `python -m release`, the console script's main
    assert {"release.status", "release.minor"} <= listed(res.stdout)
    assert "Next version from here" in sb.run("release.status", check=True).stdout
    exe = shutil.which("release-kit")
    if exe:  # the installed console script (pip install -e .)
        out = subprocess.run(
            [exe, "release.status", "--json"],
            cwd=sb.root,
            env=sb.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0, out.stderr
        assert '"schema": "release.status/1"' in out.stdout
