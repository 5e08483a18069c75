"""`--json` of every task that reports (issue 16): one style, one JSON Schema per task.

Each task runs as a user runs it (`python -m release TASK ... --json`) where it has something to
say: a sandbox after a real `release.minor --yes` and a real `release.final`, a lost journal
rebuilt, a hand-ticked checklist item; `release.backport` and `milestone.check` against the
GitHub stand-in. Every output is one object whose `schema` names its task, valid against
`release/tasks/schemas/<task>.json`, and holds no unix-integer time: every key that names a
time (`at`, `*_at`, `*date`, `*time`, `*ends`, `*published`, ...) is an ISO 8601 string.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from release.tasks.jsonout import SCHEMA_DIR
from tests.fixtures.gitrepo import WorkDir
from tests.fixtures.sandbox import Sandbox, make_sandbox
from tests.integration.test_backport import (
    cli,
    configure,
    conflicting_fix,
    merged_pr,
    two_lines,
)

pytestmark = pytest.mark.integration

# Every task that reports, and so has --json (docs/json.md has a section per task).
TASKS = {
    "release.plan",
    "release.journals",
    "release.journal",
    "release.verify",
    "release.schedule",
    "release.checklist",
    "release.status",
    "release.backport",
    "milestone.check",
    "changelog.draft",
    "release.prune",
    "release.doctor",
    "release.page",
    "changelog.full",
}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def names_a_time(key: str) -> bool:
    k = key.lower()
    return k in ("at", "when", "now", "start", "started", "finished") or k.endswith(
        ("_at", "date", "time", "ends", "published", "_start")
    )


def times_are_iso(obj: Any, where: str = "$") -> list[str]:
    """Where a key that names a time holds anything but an ISO 8601 string (or null, or an
    object/list to look into); and any number in the range of unix times of this era."""
    bad: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            at = f"{where}.{k}"
            scalar = not isinstance(v, (dict, list)) and v is not None
            iso = isinstance(v, str) and bool(TIME.match(v) or DAY.match(v))
            if names_a_time(k) and scalar and not iso:
                bad.append(f"{at} = {v!r}")
            bad += times_are_iso(v, at)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            bad += times_are_iso(v, f"{where}[{i}]")
    return bad


def schema_of(task: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{task}.json").read_text())


def check(task: str, res: subprocess.CompletedProcess[str], code: int = 0) -> dict[str, Any]:
    """The one JSON object `res` printed: its task's schema, valid, times ISO."""
    assert res.returncode == code, f"{task}: exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    data = json.loads(res.stdout)
    assert isinstance(data, dict) and next(iter(data)) == "schema"
    assert data["schema"] == f"{task}/1"
    errors = sorted(
        jsonschema.Draft202012Validator(schema_of(task)).iter_errors(data), key=lambda e: e.path
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors)
    assert times_are_iso(data) == []
    return data


# ---- the schemas themselves ------------------------------------------------------------------


def test_one_valid_schema_per_task_and_its_keys_are_snake_case():
    shipped = {p.name[: -len(".json")] for p in SCHEMA_DIR.glob("*.json")}
    assert shipped >= TASKS
    for task in sorted(shipped):
        schema = schema_of(task)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema"] == {"const": f"{task}/1"}
        assert schema["type"] == "object" and "schema" in schema["required"]

        def keys(node: Any) -> list[str]:
            out: list[str] = []
            if isinstance(node, dict):
                out += list((node.get("properties") or {}).keys())
                for v in node.values():
                    out += keys(v)
            elif isinstance(node, list):
                for v in node:
                    out += keys(v)
            return out

        bad = [k for k in keys(schema) if not SNAKE.match(k)]
        assert not bad, f"{task}: keys not snake_case: {bad}"


def test_the_schemas_are_in_the_wheel(tmp_path):
    """Package data: hatchling's wheel of this project holds release/tasks/schemas/*.json."""
    import sys
    import zipfile

    from tests.fixtures.sandbox import PROJECT_ROOT

    pytest.importorskip("hatchling")
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))",
            str(tmp_path),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    wheel = tmp_path / res.stdout.strip().splitlines()[-1]
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"release/tasks/schemas/{t}.json" for t in TASKS} <= names


def test_every_reporting_task_takes_json(tmp_path, monkeypatch):
    sb = make_sandbox(tmp_path, monkeypatch)
    for task in sorted(TASKS):
        res = sb.run(task, "--help", check=True)
        assert re.search(r"-j, --json", res.stdout), f"{task} has no --json:\n{res.stdout}"


# ---- a release, then every task that reports on it -------------------------------------------


def test_every_task_prints_its_schema_around_a_real_release(tmp_path, monkeypatch):
    sb: Sandbox = make_sandbox(tmp_path, monkeypatch)
    before = check("release.plan", sb.run("release.plan", "minor", "--json"))
    assert before["ready"] and before["version"] == "0.1.0rc1" and before["window"] is None
    assert [s["number"] for s in before["steps"]] == list(range(1, len(before["steps"]) + 1))
    assert check("release.journals", sb.run("release.journals", "--json"))["journals"] == []

    sb.run("release.minor", "--yes", check=True)

    status = check("release.status", sb.run("release.status", "--json"))
    (rc,) = status["open_rcs"]
    assert TIME.match(rc["rc1_date"]) and TIME.match(rc["window_ends"])
    check("release.schedule", sb.run("release.schedule", "--json"))
    journals = check("release.journals", sb.run("release.journals", "--json"))
    (entry,) = journals["journals"]
    assert entry["state"] == "complete" and TIME.match(entry["published_at"])
    journal = check("release.journal", sb.run("release.journal", "0.1.0rc1", "--json"))
    assert journal["version"] == "0.1.0rc1" and TIME.match(journal["published"]["at"])
    assert TIME.match(journal["steps"]["git:tag"]["facts"]["window_ends"])
    sb.run("release.checklist", "0.1.0rc1", "--mark", "thread", "--note", "by hand", check=True)
    marked = check("release.checklist", sb.run("release.checklist", "0.1.0rc1", "--json"))
    assert marked["items"][0]["status"] == "done"
    journal = check("release.journal", sb.run("release.journal", "0.1.0rc1", "--json"))
    assert TIME.match(journal["checklist"]["thread"]["when"])
    assert check("release.verify", sb.run("release.verify", "0.1.0rc1", "--json"))["ok"]
    check("changelog.draft", sb.run("changelog.draft", "--json"))
    check("changelog.full", sb.run("changelog.full", "--json"))
    check("release.prune", sb.run("release.prune", "--dry-run", "--json"))
    doc = sb.run("release.doctor", "--json")
    assert doc.returncode in (0, 3), doc.stderr  # 3: a problem found (the sandbox has no GitHub)
    report = check("release.doctor", doc, code=doc.returncode)
    assert report["ok"] == (doc.returncode == 0) and TIME.match(report["checked_at"])

    # the final's plan inside the window: not ready (exit 3), the JSON is printed all the same
    waiting = check("release.plan", sb.run("release.plan", "final", "--json"), code=3)
    assert not waiting["ready"] and any(g["status"] == "failed" for g in waiting["gates"])
    w = waiting["window"]
    assert w["rc1"] == "v0.1.0rc1" and w["days"] == 7 and w["ends_at"] > w["rc1_date"]
    assert w["rc1_date"] == rc["rc1_date"] and w["ends_at"] == rc["window_ends"]
    why = "json test: no need to wait"
    ready = check("release.plan", sb.run("release.plan", "final", "--override", why, "--json"))
    assert ready["ready"] and ready["override"]["reason"] == why

    # the journal lost, then rebuilt from origin's mirror
    path = sb.root / ".git" / "release" / "0.1.0rc1.json"
    path.write_text("not json")
    bad = check("release.journals", sb.run("release.journals", "--json"))
    assert bad["journals"][0]["state"] == "unreadable"
    rebuilt = check("release.journal", sb.run("release.journal", "0.1.0rc1", "--rebuild", "--json"))
    assert rebuilt["rebuilt"]["moved_aside"] and rebuilt["complete"]

    # the final: a release line with a final, a window and an override in the journal
    sb.run("release.final", "--override", why, "--yes", check=True)
    status = check("release.status", sb.run("release.status", "--json"))
    (line,) = status["lines"]
    assert line["latest_final"] == "v0.1.0" and TIME.match(line["latest_final_date"])
    schedule = check("release.schedule", sb.run("release.schedule", "--json"))
    assert any(r["last"] == "v0.1.0" and DAY.match(r["last_date"]) for r in schedule["rows"])
    final = check("release.journal", sb.run("release.journal", "0.1.0", "--json"))
    assert TIME.match(final["release"]["window"]["ends_at"])
    assert TIME.match(final["overrides"][0]["when"])
    check("release.checklist", sb.run("release.checklist", "0.1.0", "--json"))
    check("release.verify", sb.run("release.verify", "0.1.0", "--json"))
    check("release.prune", sb.run("release.prune", "--json"))
    check("release.page", sb.run("release.page", "--json"))
    draft = check("changelog.draft", sb.run("changelog.draft", "--version", "0.1.0", "--json"))
    assert draft["version"] == "0.1.0"


# ---- the tasks that talk to GitHub: the stand-in ---------------------------------------------


def test_backport_json_opened_conflict_and_abort(git_repo: WorkDir, github):
    configure(git_repo, github)
    two_lines(git_repo)
    env = {"GITHUB_TOKEN": github.token}
    fix = git_repo.commit("fix: crash on empty input (#7)", "fix.py", "fixed\n")
    git_repo.git("push", "-q", "origin", "main")
    pr = merged_pr(github, fix, "fix: crash on empty input", ["bug"])

    res = cli(
        git_repo,
        "release.backport",
        str(pr["number"]),
        "--to",
        "0.4",
        "--to",
        "0.3",
        "--json",
        env=env,
    )
    done = check("release.backport", res)
    assert done["ok"] and done["action"] == "backport" and done["ref"] == str(pr["number"])
    assert [(b["target"], b["status"]) for b in done["backports"]] == [
        ("release-0.4.x", "opened"),
        ("release-0.3.x", "opened"),
    ]
    assert all(b["pr_url"] and isinstance(b["pr_number"], int) for b in done["backports"])

    clash = conflicting_fix(git_repo)
    res = cli(git_repo, "release.backport", clash, "--to", "release-0.4.x", "--json", env=env)
    stopped = check("release.backport", res, code=4)
    assert not stopped["ok"] and "conflicts in app.py" in stopped["stopped"]
    assert stopped["backports"][-1]["status"] == "conflict"
    assert "conflicts in app.py" in res.stderr  # the error line, as without --json

    aborted = check("release.backport", cli(git_repo, "release.backport", "--abort", "--json"))
    assert aborted["action"] == "abort" and aborted["messages"][-1] == "backport aborted"


def test_milestone_check_json_ready_and_not(git_repo: WorkDir, github):
    configure(git_repo, github)
    env = {"GITHUB_TOKEN": github.token}
    m4 = github.add_milestone(None, "0.4.0")
    github.add_issues(None, 3, milestone=m4["number"], state="closed")
    ok = check("milestone.check", cli(git_repo, "milestone.check", "0.4.0", "--json", env=env))
    assert ok["ok"] and ok["closed_issues"] == 3 and ok["violations"] == []
    assert "seen" not in ok  # the event cache of the next check is not output

    m5 = github.add_milestone(None, "0.5.0")
    issue = github.add_issue(None, "still open", milestone=m5["number"])
    github.add_pull(None, "a fix", head="fix-1", milestone=m5["number"], merged=True)
    res = cli(git_repo, "milestone.check", "0.5.0", "--json", env=env)
    not_ready = check("milestone.check", res, code=3)
    assert not not_ready["ok"] and not_ready["open_items"][0]["number"] == issue["number"]
    assert not_ready["pull_request_count"] == 1 and len(not_ready["violations"]) == 2


def test_every_task_is_checked_above():
    """Each schema is exercised by a real output in a test of this module."""
    source = Path(__file__).read_text()
    assert {t for t in TASKS if f'check("{t}"' not in source} == set()


def test_the_docs_describe_every_task_and_their_examples_validate():
    text = (Path(__file__).resolve().parents[2] / "docs" / "json.md").read_text()
    for task in TASKS:
        assert f"## `{task}`" in text and f'"schema": "{task}/1"' in text, task
    examples = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    assert {e["schema"][: -len("/1")] for e in examples} >= TASKS
    for example in examples:
        task = example["schema"][: -len("/1")]
        errors = list(jsonschema.Draft202012Validator(schema_of(task)).iter_errors(example))
        assert not errors, f"docs/json.md, {task}: " + "; ".join(e.message for e in errors)
        assert times_are_iso(example) == [], task
