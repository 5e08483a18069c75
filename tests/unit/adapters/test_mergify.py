"""Mergify backport rules: written in a marked block, every other byte of the file kept."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from release.adapters import mergify as mg
from release.core.policy import Policy
from release.errors import ConfigError
from tests.conftest import IN_CI

SAMPLE = (Path(__file__).resolve().parents[2] / "fixtures" / "mergify_sample.yml").read_text()
BRANCHES = ["release-0.4.x", "release-0.3.x"]


def load(text: str):
    try:
        import yaml
    except ImportError:  # pragma: no cover
        if IN_CI:
            pytest.fail("PyYAML is not installed (needed to parse the Mergify config in tests)")
        pytest.skip("PyYAML is not installed")
    return yaml.safe_load(text)


def only_insertions(old: str, new: str) -> list[str]:
    """The lines `new` adds to `old`; fails if any line of `old` was changed or removed."""
    sm = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    added = []
    for op, a1, a2, b1, b2 in sm.get_opcodes():
        assert op in ("equal", "insert"), (
            f"{op}: {old.splitlines()[a1:a2]} -> {new.splitlines()[b1:b2]}"
        )
        if op == "insert":
            added += new.splitlines()[b1:b2]
    return added


def backport_rules(data) -> dict[str, dict]:
    return {r["name"]: r for r in data["pull_request_rules"] if r["name"].endswith(mg.RULE_SUFFIX)}


def test_sync_adds_one_rule_per_line_and_keeps_every_other_rule_and_comment():
    new = mg.sync_text(SAMPLE, BRANCHES)
    added = only_insertions(SAMPLE, new)
    assert added[0] == "" and added[1] == mg.BEGIN and added[-1] == mg.END
    old_data, new_data = load(SAMPLE), load(new)
    assert new_data["queue_rules"] == old_data["queue_rules"]
    n = len(old_data["pull_request_rules"])
    assert new_data["pull_request_rules"][:n] == old_data["pull_request_rules"]
    rules = backport_rules(new_data)
    assert list(rules) == [mg.rule_name(b) for b in BRANCHES]
    r = rules[mg.rule_name("release-0.4.x")]
    assert r["conditions"] == ["base=main", "label=backport release-0.4.x"]
    assert r["actions"]["backport"]["branches"] == ["release-0.4.x"]
    assert r["actions"]["backport"]["title"] == "{{ title }} (backport #{{ number }})"
    assert "# Tell authors when their branch no longer merges cleanly." in new


def test_sync_is_idempotent_and_follows_the_lines():
    once = mg.sync_text(SAMPLE, BRANCHES)
    assert mg.sync_text(once, BRANCHES) == once
    moved = mg.sync_text(once, ["release-0.5.x", "release-0.4.x"])
    assert list(backport_rules(load(moved))) == [
        mg.rule_name("release-0.5.x"),
        mg.rule_name("release-0.4.x"),
    ]
    assert mg.rule_branches(moved) == ["release-0.5.x", "release-0.4.x"]

    # outside the block, nothing moved: dropping the block gives the same text back
    def strip(t):
        return "\n".join(t.split(mg.BEGIN)[0].splitlines() + t.split(mg.END)[1].splitlines()[1:])

    assert strip(moved) == strip(once)
    assert mg.sync_text(moved, BRANCHES) == once


def test_a_file_without_rules_and_an_empty_file():
    assert load(mg.sync_text("", ["release-1.0.x"]))["pull_request_rules"][0][
        "name"
    ] == mg.rule_name("release-1.0.x")
    only_queue = "queue_rules:\n  - name: default\n"
    new = mg.sync_text(only_queue, ["release-1.0.x"])
    assert new.startswith(only_queue)
    assert load(new)["queue_rules"] == [{"name": "default"}]
    none_yet = mg.sync_text(only_queue, [])
    assert load(none_yet)["pull_request_rules"] is None
    assert "(no supported release line yet)" in none_yet


def test_the_block_goes_inside_the_list_when_another_key_follows_with_its_comment():
    text = (
        "pull_request_rules:\n"
        "  - name: automerge\n"
        "    conditions:\n"
        "      - label=ready\n"
        "    actions:\n"
        "      merge: {}\n"
        "\n"
        "# the queue used by automerge\n"
        "queue_rules:\n"
        "  - name: default\n"
    )
    new = mg.sync_text(text, ["release-2.1.x"])
    only_insertions(text, new)
    data = load(new)
    assert [r["name"] for r in data["pull_request_rules"]] == [
        "automerge",
        mg.rule_name("release-2.1.x"),
    ]
    assert data["queue_rules"] == [{"name": "default"}]
    assert "  " + mg.BEGIN in new  # indented like the rules around it
    assert new.index(mg.END) < new.index("# the queue used by automerge")
    assert mg.sync_text(new, ["release-2.1.x"]) == new


def test_windows_line_endings_are_kept():
    crlf = SAMPLE.replace("\n", "\r\n")
    new = mg.sync_text(crlf, BRANCHES)
    assert "\r\n" in new and "\n" not in new.replace("\r\n", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pull_request_rules: []\n", "flow style"),
        (f"pull_request_rules:\n{mg.BEGIN}\n", "broken release-kit block"),
        (f"pull_request_rules:\n{mg.END}\n{mg.BEGIN}\n", "broken release-kit block"),
        (
            f"pull_request_rules:\n{mg.BEGIN}\n{mg.END}\n{mg.BEGIN}\n{mg.END}\n",
            "broken release-kit block",
        ),
    ],
)
def test_files_it_will_not_guess_about(text, message):
    with pytest.raises(ConfigError, match=message):
        mg.sync_text(text, BRANCHES)


def test_check_detects_drift_and_sync_writes_only_on_change(tmp_path):
    path = tmp_path / ".github" / "mergify.yml"
    with pytest.raises(mg.MergifyDrift, match="does not exist"):
        mg.check(path, BRANCHES)
    res = mg.sync(path, BRANCHES)
    assert res.changed and res.created
    assert not mg.check(path, BRANCHES).changed
    mtime = path.stat().st_mtime_ns
    assert not mg.sync(path, BRANCHES).changed
    assert path.stat().st_mtime_ns == mtime
    with pytest.raises(mg.MergifyDrift, match="out of date") as info:
        mg.check(path, ["release-0.5.x", *BRANCHES])
    assert "invoke mergify.sync" in info.value.hint
    path.write_text(
        path.read_text().replace("base=main", "base=master")
    )  # a hand edit in the block
    with pytest.raises(mg.MergifyDrift):
        mg.check(path, BRANCHES)


def test_a_block_moved_out_of_the_list_is_refused(tmp_path):
    block = "\n".join(mg.render_rules(BRANCHES))
    path = tmp_path / "mergify.yml"
    path.write_text(
        f"pull_request_rules:\n- name: x\n  conditions: []\n  actions: {{}}\nother_rules:\n{block}\n"
    )
    assert load(path.read_text())["other_rules"]  # valid YAML, wrong place
    with pytest.raises(ConfigError, match="not inside pull_request_rules"):
        mg.plan_sync(path, BRANCHES)


def test_config_path_and_branches_for(tmp_path):
    assert mg.config_path(tmp_path) == tmp_path / ".github" / "mergify.yml"
    (tmp_path / ".mergify.yml").write_text("")
    assert mg.config_path(tmp_path) == tmp_path / ".mergify.yml"
    assert mg.config_path(tmp_path, "ci/m.yml") == tmp_path / "ci" / "m.yml"
    p = Policy(branch_pattern="stable/{major}.{minor}")
    assert mg.branches_for(["0.3", "0.10", "0.4"], p) == ["stable/0.10", "stable/0.4", "stable/0.3"]
