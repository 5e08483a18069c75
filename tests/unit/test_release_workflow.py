"""The shipped release workflow and composite action (issue 16): least privilege, pinned actions,
no secret where it is not used, no expression in a script, and zizmor finds nothing high."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"
ACTION = ROOT / "action.yml"
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\s*$")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


def steps_of(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(job, step) of a workflow; ("", step) of a composite action."""
    if "jobs" in doc:
        return [(name, s) for name, job in doc["jobs"].items() for s in job.get("steps", [])]
    return [("", s) for s in doc["runs"].get("steps", [])]


def text_of(value: Any) -> str:
    return json.dumps(value)


def uses_secrets(value: Any) -> bool:
    """Does an expression anywhere in `value` read the `secrets` context?"""
    return bool(re.search(r"\$\{\{[^}]*\bsecrets\.", text_of(value)))


@pytest.fixture(scope="module")
def wf() -> dict[str, Any]:
    return load(RELEASE)


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return load(ACTION)


# ---- the workflow ----------------------------------------------------------------------------


def test_the_jobs_plan_build_publish_finish_in_that_order(wf):
    jobs = wf["jobs"]
    assert list(jobs) == ["plan", "build", "publish", "finish"]
    assert jobs["build"]["needs"] == "plan"
    assert set(jobs["publish"]["needs"]) == {"plan", "build"}
    assert set(jobs["finish"]["needs"]) == {"plan", "build", "publish"}
    assert set(jobs["plan"]["outputs"]) >= {"version", "tag", "index"}


def test_only_the_publish_job_may_request_an_oidc_token(wf):
    assert "id-token" not in wf["permissions"]
    holders = [n for n, job in wf["jobs"].items() if "id-token" in job.get("permissions", {})]
    assert holders == ["publish"]
    assert wf["jobs"]["publish"]["permissions"] == {"id-token": "write"}


def test_the_workflow_is_read_only_and_every_job_says_what_it_needs(wf):
    assert wf["permissions"] == {"contents": "read"}
    for name, job in wf["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{name} inherits the workflow's"
    assert wf["jobs"]["plan"]["permissions"] == {"contents": "read"}
    assert wf["jobs"]["build"]["permissions"]["contents"] == "write"  # it pushes the tag


def test_every_third_party_action_is_pinned_to_a_commit_with_its_tag(wf, action):
    docs = sorted((ACTION.parent / "docs").glob("*.md"))  # the workflow snippets people copy
    for path in [*sorted(WORKFLOWS.glob("*.yml")), ACTION, *docs]:
        for line in path.read_text().splitlines():
            m = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if not m or m.group(1).startswith("./"):
                continue
            assert PINNED.match(m.group(1)), f"{path.name}: {line.strip()}"
            assert TAG_COMMENT.search(m.group(2)), f"{path.name}: no # vX.Y.Z on {line.strip()}"
    uses = [s["uses"] for _, s in steps_of(wf) if "uses" in s]
    assert "./" in uses  # the composite action of this repository
    for wanted in (
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-artifact",
        "actions/download-artifact",
        "pypa/gh-action-pypi-publish",
    ):
        assert any(u.startswith(wanted + "@") for u in uses), wanted


def test_no_secret_at_workflow_or_job_level_and_none_where_it_is_not_used(wf):
    assert not uses_secrets(wf.get("env", {}))
    for name, job in wf["jobs"].items():
        assert not uses_secrets(job.get("env", {})), name
        for step in job.get("steps", []):
            assert not uses_secrets(step.get("with", {})), f"{name}: {step}"
    for name in ("plan", "build", "publish"):  # the tests run in build: no secret there
        assert not uses_secrets(wf["jobs"][name]), name
    assert uses_secrets({"x": "${{ secrets.X }}"})  # the check itself
    posting = [s for s in wf["jobs"]["finish"]["steps"] if uses_secrets(s)]
    assert [s.get("id") for s in posting] == ["finish"]  # the announcements step only
    assert "TWINE_PASSWORD" not in RELEASE.read_text() and "password:" not in RELEASE.read_text()


def test_checkouts_keep_no_credentials(wf):
    checkouts = [s for _, s in steps_of(wf) if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 3  # plan, build, finish; publish checks nothing out
    for s in checkouts:
        assert s["with"]["persist-credentials"] is False
        assert s["with"]["fetch-depth"] == 0


def test_one_release_of_a_version_at_a_time(wf):
    assert wf["concurrency"] == {
        "group": "release-${{ inputs.version || github.ref }}",
        "cancel-in-progress": False,
    }


@pytest.mark.parametrize("path", [*sorted(WORKFLOWS.glob("*.yml")), ACTION], ids=lambda p: p.name)
def test_no_expression_inside_a_script(path):
    """Untrusted input reaches scripts through `env:` only (template injection)."""
    for job, step in steps_of(load(path)):
        assert "${{" not in step.get("run", ""), f"{path.name} {job}: {step.get('name')}"


def test_publish_only_downloads_and_publishes_with_attestations(wf):
    job = wf["jobs"]["publish"]
    assert job["if"] == "needs.build.outputs.handover == 'true'"
    assert job["environment"]["name"] == "${{ needs.plan.outputs.index }}"  # pypi | testpypi
    kinds = [s["uses"].split("@")[0] for s in job["steps"]]
    assert kinds == [
        "actions/download-artifact",
        "pypa/gh-action-pypi-publish",
        "pypa/gh-action-pypi-publish",
    ]
    for s in job["steps"][1:]:
        opts = s.get("with", {})
        assert "attestations" not in opts or opts["attestations"] is True  # the default: on
        assert "skip-existing" not in opts and "password" not in opts
    urls = [s.get("with", {}).get("repository-url") for s in job["steps"][1:]]
    assert urls == ["https://test.pypi.org/legacy/", None]


def test_build_runs_the_release_up_to_the_hand_over_and_uploads_it(wf):
    steps = wf["jobs"]["build"]["steps"]
    release = next(s for s in steps if s.get("id") == "release")
    assert release["uses"] == "./"
    assert release["env"] == {"RELEASE_PUBLISH_VIA": "action", "RELEASE_HANDOVER_DIR": "dist"}
    upload = next(s for s in steps if s.get("with", {}).get("name") == "dist")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "dist/"
    finish = next(s for s in wf["jobs"]["finish"]["steps"] if s.get("id") == "finish")
    assert finish["uses"] == "./" and finish["env"]["RELEASE_PUBLISH_VIA"] == "action"


# ---- the composite action ----------------------------------------------------------------------


def test_action_yml_is_a_composite_action_with_the_inputs_and_outputs(action):
    """actionlint lints workflows only: the structure of action.yml is checked here."""
    assert set(action) <= {"name", "author", "description", "branding", "inputs", "outputs", "runs"}
    assert isinstance(action["name"], str) and isinstance(action["description"], str)
    assert action["inputs"]["task"]["required"] is True
    assert (
        action["inputs"]["args"]["required"] is False and action["inputs"]["args"]["default"] == ""
    )
    for name, spec in action["inputs"].items():
        assert set(spec) <= {"description", "required", "default", "deprecationMessage"}, name
        assert spec["description"], name
    assert set(action["outputs"]) >= {"version", "tag", "released", "kind"}
    for name, spec in action["outputs"].items():
        assert set(spec) == {"description", "value"}, name
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}", name
    runs = action["runs"]
    assert runs["using"] == "composite"
    ids = [s.get("id") for s in runs["steps"]]
    assert "run" in ids
    for step in runs["steps"]:
        assert set(step) <= {"name", "id", "if", "shell", "run", "env", "uses", "with"}
        assert ("run" in step) != ("uses" in step)
        if "run" in step:
            assert step["shell"] == "bash"
    install = runs["steps"][0]["run"]
    assert '"$GITHUB_ACTION_PATH"' in install  # the toolkit of the action's own checkout


def _action_env(tmp_path: Path, task: str, args: str) -> dict[str, str]:
    """The environment GitHub gives the action's `run` step, expressions rendered."""
    step = next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "run")
    rendered = {
        "${{ inputs.task }}": task,
        "${{ inputs.args }}": args,
        "${{ inputs.token }}": "ghs_" + "x" * 36,
        "${{ github.server_url }}": "https://github.com",
    }
    env: dict[str, str] = {}
    for key, value in step["env"].items():
        value = str(value)
        for expr, text in rendered.items():
            value = value.replace(expr, text)
        assert "${{" not in value, key
        env[key] = value
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "release-kit"  # stands in for the toolkit: prints what it was given
    shim.write_text(
        "#!/usr/bin/env bash\n"
        'for a in "$@"; do printf "ARG[%s]\\n" "$a"; done\n'
        'printf "NOX[%s]\\n" "$RELEASE_NOX"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "github_output"
    out.write_text("")
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(out),
        "GITHUB_JOB": "build",
        "GITHUB_RUN_ATTEMPT": "1",
        "DISCORD_ANNOUNCEMENTS_WEBHOOK": "https://discord.com/api/webhooks/1/abc",
        **env,
    }


def _run_step(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "run")["run"]
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`
    return subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=env["HOME"],
    )


def test_the_action_passes_each_line_as_one_argument_and_never_evaluates_it(tmp_path):
    marker = tmp_path / "pwned"
    args = f'--yes\n\n  --override=CVE-1 fix; it\'s "urgent" $(touch {marker}) `id`  \r\n'
    env = _action_env(tmp_path, "release.final", args)
    res = _run_step(env)
    assert res.returncode == 0, res.stdout + res.stderr
    got = [ln[4:-1] for ln in res.stdout.splitlines() if ln.startswith("ARG[")]
    assert got == [
        "release.final",
        "--yes",
        f'--override=CVE-1 fix; it\'s "urgent" $(touch {marker}) `id`',
    ]
    assert not marker.exists()
    outputs = (tmp_path / "github_output").read_text()
    log = Path(re.search(r"^log=(.+)$", outputs, re.M).group(1))
    assert log.read_text() == res.stdout  # the task's output, for the workflow's checks


def test_the_test_gates_nox_gets_no_token_no_webhook_and_no_credential_helper(tmp_path):
    env = _action_env(tmp_path, "release.minor", "--yes")
    res = _run_step(env)
    assert res.returncode == 0, res.stdout + res.stderr
    nox = next(ln[4:-1] for ln in res.stdout.splitlines() if ln.startswith("NOX["))
    argv = nox.split()
    assert argv[0] == "env" and argv[-2:] == ["-m", "nox"]
    unset = {argv[i + 1] for i, a in enumerate(argv) if a == "-u"}
    assert {
        "GITHUB_TOKEN",
        "DISCORD_ANNOUNCEMENTS_WEBHOOK",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_KEY_0",
        "GIT_CONFIG_VALUE_0",
    } <= unset
    assert "PATH" not in unset and "HOME" not in unset
    # a project that sets RELEASE_NOX itself keeps it
    res = _run_step({**env, "RELEASE_NOX": "nox -f ci/noxfile.py"})
    assert "NOX[nox -f ci/noxfile.py]" in res.stdout


def test_the_action_refuses_a_task_that_is_not_a_task_name(tmp_path):
    env = _action_env(tmp_path, "release.minor; touch x\n::set-output name=x::y", "")
    res = _run_step(env)
    assert res.returncode == 2
    assert "::error title=release-kit::the task input is not a task name" in res.stdout
    assert "set-output" not in res.stdout and not (tmp_path / "x").exists()


def test_the_credential_helper_gives_git_the_token_from_the_environment(tmp_path):
    env = _action_env(tmp_path, "release.minor", "")
    env["GIT_TERMINAL_PROMPT"] = "0"
    res = subprocess.run(
        ["git", "credential", "fill"],
        input="protocol=https\nhost=github.com\n\n",
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "username=x-access-token" in res.stdout
    assert f"password={env['GITHUB_TOKEN']}" in res.stdout
    assert not list(tmp_path.glob("**/.git-credentials"))  # stored nowhere


# ---- zizmor ----------------------------------------------------------------------------------


def zizmor() -> str:
    found = shutil.which("zizmor")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("zizmor is not installed (scripts/install-test-deps.sh installs it)")
    pytest.skip("zizmor is not installed (pip install zizmor)")


CI_YML = pytest.param(WORKFLOWS / "ci.yml", id="ci.yml")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(RELEASE, id="release.yml"),
        pytest.param(ACTION, id="action.yml"),
        CI_YML,
        pytest.param(WORKFLOWS / "doctor.yml", id="doctor.yml"),
        pytest.param(WORKFLOWS / "status-page.yml", id="status-page.yml"),
    ],
)
def test_zizmor_finds_nothing_high(path):
    res = subprocess.run(
        [zizmor(), "--offline", "--format", "json", "--min-severity", "high", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode in (0, 10, 11, 12, 13, 14), res.stderr  # 1x: findings (by severity)
    findings = json.loads(res.stdout or "[]")
    high = [
        f"{f['ident']}: {f['desc']}"
        for f in findings
        if f["determinations"]["severity"] == "High" and not f.get("ignored")
    ]
    assert high == []
