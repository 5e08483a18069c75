"""Lock files are refreshed with their own tools; a kept lock without its tool is one line."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from release.adapters.locks import refresh
from release.errors import ConfigError


def test_package_lock_follows_the_bumped_package_json(tmp_path):
    if shutil.which("npm") is None:
        pytest.skip("npm missing")
    pkg = tmp_path / "client"
    pkg.mkdir()
    (pkg / "package.json").write_text('{"name": "c", "version": "0.1.0"}\n')
    subprocess.run(
        ["npm", "install", "--package-lock-only", "--ignore-scripts"],
        cwd=pkg,
        check=True,
        capture_output=True,
        env={"PATH": __import__("os").environ["PATH"], "HOME": str(tmp_path)},
    )
    (pkg / "package.json").write_text('{"name": "c", "version": "0.2.0"}\n')
    assert refresh(tmp_path, [".", "client"], {"HOME": str(tmp_path)}) == [
        "client/package-lock.json"
    ]
    assert json.loads((pkg / "package-lock.json").read_text())["version"] == "0.2.0"
    assert refresh(tmp_path, [".", "client"], {"HOME": str(tmp_path)}) == []  # nothing to do


def test_no_lock_file_is_created_and_a_missing_tool_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.0.0"\n')
    assert refresh(tmp_path, ["."]) == []
    assert not (tmp_path / "uv.lock").exists()
    (tmp_path / "uv.lock").write_text("version = 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(ConfigError, match="uv.lock is kept but uv is not installed") as exc:
        refresh(tmp_path, ["."])
    assert "refresh_locks = false" in exc.value.one_line()
