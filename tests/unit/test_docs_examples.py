"""The configuration examples in the docs are valid configurations."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from release.core.policy import policy_from_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_tool_release_example_in_the_configuration_reference_validates():
    text = (DOCS / "configuration.md").read_text()
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[tool.release" in b]
    assert blocks
    for block in blocks:
        policy = policy_from_table(tomllib.loads(block)["tool"]["release"])
        keys = [p.ref for p in policy.packages]
        assert len(keys) == len(set(keys))


def test_a_python_and_an_npm_package_share_a_name_and_are_told_apart_by_key():
    text = (DOCS / "configuration.md").read_text()
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if 'kind = "npm"' in b)
    policy = policy_from_table(tomllib.loads(block)["tool"]["release"])
    refs = {p.ref for p in policy.packages}
    assert {"python:llama-stack-client", "npm:llama-stack-client"} <= refs
    server = policy.package("llama-stack")
    assert [d.ref for d in policy.dependencies(server)] == [
        "python:llama-stack-client",
        "llama-stack-api",
    ]
    order = [p.ref for p in policy.publish_order()]
    assert order.index("python:llama-stack-client") < order.index("llama-stack")
