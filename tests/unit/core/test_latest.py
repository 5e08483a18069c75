"""The npm `rc` dist-tag after a final, pure: which tag, to what, and only on the final's own line."""

from __future__ import annotations

import pytest

from release.adapters.npm import tag_ok
from release.core.latest import TagChange, moved_on, rc_retired, rc_tag_after_final
from release.core.policy import policy_from_table
from release.core.version import Version
from release.errors import ConfigError

V = Version.parse


@pytest.mark.parametrize("mode", ["remove", "move"])
def test_a_final_retires_the_rc_tag_of_its_line(mode):
    tags = {"latest": "0.3.2", "rc": "0.4.0-rc.2"}
    change = rc_tag_after_final(V("0.4.0"), tags, mode)
    assert change == (
        TagChange("rc", "move", "0.4.0-rc.2", "0.4.0")
        if mode == "move"
        else TagChange("rc", "remove", "0.4.0-rc.2")
    )
    assert change.describe() == (
        "dist-tag rc 0.4.0-rc.2 -> 0.4.0" if mode == "move" else "dist-tag rc -> 0.4.0-rc.2 removed"
    )


def test_keep_never_touches_it():
    assert rc_tag_after_final(V("0.4.0"), {"rc": "0.4.0-rc.2"}, "keep") is None


@pytest.mark.parametrize("mode", ["remove", "move"])
@pytest.mark.parametrize(
    ("final", "rc", "why"),
    [
        ("0.4.0", "0.5.0-rc.1", "another line's RC holds it"),
        ("0.3.5", "0.4.0-rc.1", "an older line's final, a newer line's RC"),
        ("0.4.0", "0.4.1-rc.1", "a later RC of the same line"),
        ("0.4.0", None, "no rc tag (already removed: a re-run)"),
        ("0.4.0", "0.4.0", "already on the final (already moved: a re-run)"),
        ("0.4.0", "not-a-version", "not one of our versions"),
    ],
)
def test_the_rc_tag_is_left_alone(mode, final, rc, why):
    tags = {"latest": final} | ({"rc": rc} if rc else {})
    assert rc_tag_after_final(V(final), tags, mode) is None, why


@pytest.mark.parametrize("mode", ["remove", "move", "keep"])
def test_an_rc_never_retires_a_tag(mode):
    assert rc_tag_after_final(V("0.4.0rc3"), {"rc": "0.4.0-rc.2"}, mode) is None


def test_a_patch_final_cleans_an_rc_tag_its_line_left_behind():
    change = rc_tag_after_final(V("0.4.1"), {"rc": "0.4.0-rc.2"}, "remove")
    assert change is not None and change.action == "remove"


def test_an_rc_release_still_checks_out_after_its_final_moved_or_removed_the_tag():
    rc1 = V("0.4.0rc1")
    # moved to the final: the tag legitimately moved on
    assert moved_on("rc", V("0.4.0"), rc1)
    assert tag_ok("rc", "0.4.0", rc1)[0]
    # removed: retired once a final of the RC's line above it is on the registry
    assert rc_retired("rc", None, rc1, [V("0.3.2"), V("0.4.0"), V("0.4.0rc1")])
    assert tag_ok("rc", None, rc1, ["0.3.2", "0.4.0-rc.1", "0.4.0"])[0]
    # ... and not before: a missing tag still has to be set
    assert not rc_retired("rc", None, rc1, [V("0.3.2"), V("0.4.0rc1")])
    assert not tag_ok("rc", None, rc1, ["0.3.2", "0.4.0-rc.1"])[0]
    assert not tag_ok("rc", None, rc1)[0]
    # an older RC still never counts
    assert not tag_ok("rc", "0.3.9-rc.1", rc1)[0] and not tag_ok("rc", "0.3.9", rc1)[0]
    # and `latest` keeps its own rules
    assert not rc_retired("latest", None, V("0.4.0"), [V("0.5.0")])


@pytest.mark.parametrize("mode", ["remove", "keep", "move"])
def test_npm_rc_tag_after_final_is_validated(mode):
    assert policy_from_table({"npm_rc_tag_after_final": mode}).npm_rc_tag_after_final == mode


def test_npm_rc_tag_after_final_defaults_to_remove_and_refuses_other_values():
    assert policy_from_table({}).npm_rc_tag_after_final == "remove"
    with pytest.raises(ConfigError) as err:
        policy_from_table({"npm_rc_tag_after_final": "delete"})
    assert err.value.one_line() == (
        "[tool.release].npm_rc_tag_after_final = 'delete' is not valid; "
        "expected one of remove, keep, move"
    )
