"""A dry run says "would " + each step's description: every one must read as English (issue 16).

The steps of every kind of release, under a policy that turns every feature on (packages of each
kind, GitHub, both channels, a forum thread, workflows, each test evidence, the dev bump), are
described; "would " + the description starts with a verb, never "would gate ..." or "would cI".
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from release.core.plan import Plan
from release.core.policy import Channel, Notify, Workflow, policy_from_table
from release.core.version import Version
from release.engine import would
from release.steps.pipeline import release_steps

# The verbs the descriptions start with. A new step whose description starts with another verb
# adds it here; one that starts with a noun ("Milestone ...", "Test evidence ...") is rephrased.
VERBS = {
    "announce",
    "build",
    "check",
    "close",
    "commit",
    "create",
    "move",
    "pack",
    "post",
    "publish",
    "push",
    "release",
    "require",
    "run",
    "tag",
    "trigger",
    "upload",
}

KINDS = {  # kind -> (version, branch, a new branch is cut)
    "minor": ("0.2.0rc1", "release-0.2.x", True),
    "major": ("1.0.0rc1", "release-1.0.x", True),
    "rc": ("0.2.0rc2", "release-0.2.x", False),
    "final": ("0.2.0", "release-0.2.x", False),
    "patch": ("0.1.1", "release-0.1.x", False),
}


def policies():
    base = policy_from_table(
        {
            "github_repo": "o/r",
            "dev_bump_on_main": True,
            "packages": [
                {"name": "p", "kind": "python", "path": "."},
                {"name": "j", "kind": "npm", "path": "js"},
                {"name": "d", "kind": "docker", "image": "o/d"},
            ],
        }
    )
    for evidence, forum in (("none", False), ("nox", True), ("checks", False)):
        yield dataclasses.replace(
            base,
            tests=dataclasses.replace(base.tests, evidence=evidence),
            notify=Notify(Channel(url_env="R", forum=forum), Channel(url_env="A")),
            workflows=[Workflow()],
        )


def descriptions() -> list[tuple[str, str, str]]:
    out = []
    for policy in policies():
        for kind, (version, branch, cut) in KINDS.items():
            v = Version.parse(version)
            plan = Plan(
                kind=kind,
                version=v,
                tag=v.tag(policy.tag_pattern),
                branch=branch,
                base="a" * 40,
                create_branch=cut,
                gates=[],
                last_rc="v0.2.0rc2" if kind == "final" else None,
            )
            out += [(kind, s.name, s.describe()) for s in release_steps(plan, policy)]
    return sorted(set(out))


DESCRIPTIONS = descriptions()


def test_every_step_kind_is_described():
    names = {name.split(":")[0] + ":" for _, name, _ in DESCRIPTIONS}
    assert {"gate:", "git:", "build:", "pack:", "image:", "publish:", "push:"} <= names
    assert {"github:", "notify:", "milestone:"} <= names
    assert any(name == "git:dev-bump" for _, name, _ in DESCRIPTIONS)


@pytest.mark.parametrize(("kind", "name", "desc"), DESCRIPTIONS)
def test_would_plus_the_description_reads_as_english(kind, name, desc):
    text = would(desc)
    first = text.split()[1]
    assert first.lower() in VERBS, f"{kind} {name}: {text!r} does not start with a verb"
    assert first[0].islower(), f"{kind} {name}: {text!r}"
    assert not re.search(r"\bwould [a-z][A-Z]", text), f"{kind} {name}: {text!r}"
    assert not text.startswith("would gate"), text


def test_the_rule_lowers_only_a_first_letter_that_starts_a_word():
    assert would("Tag v1.0.0 (annotated)") == "would tag v1.0.0 (annotated)"
    assert would("CI is green") == "would CI is green"  # an acronym stays (rephrase such text)
    assert would("npm pack") == "would npm pack"
    assert would("") == "would run"
