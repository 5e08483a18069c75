"""Release trains, the pure part (core/plan.py, the train section): the members' order, the
version each member's own history gives, the one refusal line per member, the journal a re-run
resumes, the announcement's list of members; and the `[[tool.release.train]]` validation."""

from __future__ import annotations

import pytest

from release.core.plan import (
    own_next,
    train_artifacts,
    train_order,
    train_refusal,
    train_resume,
    with_train_members,
)
from release.core.policy import Policy, TrainMember, policy_from_table
from release.core.version import TagSet, Version
from release.errors import ConfigError

V = Version.parse


def members(*specs: tuple[str, list[str]]) -> list[TrainMember]:
    return [TrainMember(name=n, url=f"/srv/{n}.git", depends_on=d) for n, d in specs]


# ---- order -------------------------------------------------------------------------------------


def test_members_go_in_the_listed_order_when_nothing_depends():
    assert train_order(members(("b", []), ("a", []), ("c", []))) == ["b", "a", "c"]


def test_a_member_goes_after_what_it_depends_on_and_the_rest_keeps_its_order():
    order = train_order(members(("ts", ["py"]), ("docs", []), ("py", ["core"]), ("core", [])))
    assert order == ["core", "py", "ts", "docs"]


@pytest.mark.parametrize(
    ("specs", "needle"),
    [
        ((("a", ["b"]), ("b", ["a"])), "cycle: a -> b -> a"),
        ((("a", ["a"]),), "(a) depends_on itself"),
        ((("a", ["server"]),), "depends_on 'server', which is not a member of the train"),
    ],
)
def test_an_unknown_member_a_self_dependency_or_a_cycle_is_refused(specs, needle):
    with pytest.raises(ConfigError) as exc:
        train_order(members(*specs))
    assert needle in exc.value.message


# ---- each member's own next version -------------------------------------------------------------


def test_own_next_is_what_the_members_own_command_would_plan():
    policy = Policy()
    assert own_next(TagSet.from_names([]), policy, "minor", None) == (V("0.1.0rc1"), "")
    assert own_next(TagSet.from_names(["v0.7.0"]), policy, "minor", None)[0] == V("0.8.0rc1")
    assert own_next(TagSet.from_names(["v0.7.0"]), policy, "major", None)[0] == V("1.0.0rc1")
    tags = TagSet.from_names(["v0.7.0", "v0.7.1"])
    assert own_next(tags, policy, "patch", (0, 7))[0] == V("0.7.2")
    tags = TagSet.from_names(["v0.8.0rc1"])
    assert own_next(tags, policy, "rc", (0, 8))[0] == V("0.8.0rc2")
    assert own_next(tags, policy, "final", (0, 8))[0] == V("0.8.0")
    no_rcs = Policy(rc_required=[])
    assert own_next(TagSet.from_names(["v0.7.0"]), no_rcs, "minor", None)[0] == V("0.8.0")


def test_own_next_says_why_there_is_none():
    version, why = own_next(TagSet.from_names(["v0.7.0"]), Policy(), "final", (0, 8))
    assert version is None and why


# ---- consistency: one line per member -----------------------------------------------------------


def test_a_member_that_agrees_is_not_refused():
    line = train_refusal(
        "client", "minor", V("0.7.0rc1"), V("0.7.0rc1"), tag="v0.7.0rc1", branch="release-0.7.x"
    )
    assert line == ""


def test_a_member_whose_next_version_disagrees_is_one_line_naming_both_and_the_tag():
    line = train_refusal(
        "llama-stack-client-python",
        "minor",
        V("0.7.0"),
        V("0.8.0"),
        tag="v0.7.0",
        tag_there=True,
        branch="release-0.7.x",
    )
    assert line == (
        "llama-stack-client-python: its next minor is 0.8.0, the train's is 0.7.0 "
        "(tag v0.7.0 exists there)"
    )
    assert "\n" not in line


def test_a_member_that_has_the_tag_is_refused_even_when_the_versions_agree():
    line = train_refusal("ts", "patch", V("0.7.1"), V("0.7.1"), tag="v0.7.1", tag_there=True)
    assert line == "ts: tag v0.7.1 already exists there; the train would release 0.7.1 again"


@pytest.mark.parametrize("kind", ["patch", "rc", "final"])
def test_a_member_without_its_release_branch_is_refused_never_made_from_main(kind):
    line = train_refusal(
        "ts", kind, V("0.7.1"), V("0.7.1"), branch="release-0.7.x", branch_there=False
    )
    assert line.startswith("ts: has no release-0.7.x") and "never from main" in line


def test_a_minor_needs_no_release_branch_yet():
    line = train_refusal(
        "ts", "minor", V("0.8.0rc1"), V("0.8.0rc1"), branch="release-0.8.x", branch_there=False
    )
    assert line == ""


def test_a_member_with_no_next_version_of_its_own_says_why():
    line = train_refusal("ts", "final", V("0.8.0"), None, why="no open release line")
    assert line == "ts: has no next final of its own (no open release line), the train's is 0.8.0"


# ---- resume --------------------------------------------------------------------------------------


def test_a_rerun_resumes_the_unfinished_train_of_its_kind_and_line():
    journals = [
        ("0.7.0rc1", {"train": {"kind": "minor"}, "complete": True}),
        ("0.8.0rc1", {"train": {"kind": "minor"}}),
        ("0.7.2", {"train": {"kind": "patch"}}),
        ("0.6.4", {"train": {"kind": "patch"}}),
    ]
    assert train_resume(journals, "minor", None) == "0.8.0rc1"
    assert train_resume(journals, "patch", (0, 6)) == "0.6.4"
    assert train_resume(journals, "patch", (0, 7)) == "0.7.2"
    assert train_resume(journals, "patch", (0, 5)) is None
    assert train_resume(journals, "major", None) is None


# ---- the one announcement ------------------------------------------------------------------------


def test_artifacts_name_each_package_where_it_went():
    policy = policy_from_table(
        {
            "packages": [
                {"name": "client", "kind": "python"},
                {"name": "client", "kind": "npm"},
                {"name": "img", "kind": "docker", "image": "org/img"},
            ]
        }
    )
    assert train_artifacts(policy, V("0.7.0rc1")) == [
        "client 0.7.0rc1 on TestPyPI",
        "client@0.7.0-rc.1 on npm",
        "org/img:0.7.0rc1",
    ]
    assert train_artifacts(policy, V("0.7.0"))[0] == "client 0.7.0 on PyPI"


def test_the_announcement_lists_the_members_before_its_closing_link():
    text = "3 changes since v0.6.0.\n\nFull release notes: https://x/releases/v0.7.0"
    out = with_train_members(
        text, [("client", "v0.7.0", ["client 0.7.0 on PyPI"]), ("ts", "v0.7.0", [])]
    )
    assert out == (
        "3 changes since v0.6.0.\n\nReleased with it:\n- client v0.7.0: client 0.7.0 on PyPI\n"
        "- ts v0.7.0\n\nFull release notes: https://x/releases/v0.7.0"
    )
    assert with_train_members(text, []) == text
    long = with_train_members("x" * 1880, [("client", "v0.7.0", ["y" * 500])])
    assert len(long) <= 1900


# ---- [[tool.release.train]] ---------------------------------------------------------------------


def test_the_train_table_is_read_and_checked():
    policy = policy_from_table(
        {
            "train": [
                {"name": "client-py", "url": "https://github.com/org/client-py.git"},
                {
                    "name": "client-ts",
                    "url": "../client-ts",
                    "config": "release.toml",
                    "depends_on": ["client-py"],
                },
            ]
        }
    )
    assert [m.name for m in policy.train] == ["client-py", "client-ts"]
    assert policy.train[1] == TrainMember(
        "client-ts", "../client-ts", "", "release.toml", ["client-py"]
    )
    assert Policy().train == []


@pytest.mark.parametrize(
    ("member", "needle"),
    [
        ({"url": "x"}, "[tool.release].train[0] has no name"),
        ({"name": "a/b", "url": "x"}, "[tool.release].train[0].name = 'a/b' is not valid"),
        ({"name": "a"}, "[tool.release].train[0] (a) has neither url nor path"),
        ({"name": "a", "url": "--upload-pack=x"}, "[tool.release].train[0].url = "),
        ({"name": "a", "url": "x", "config": "../p.toml"}, "leaves the member's checkout"),
        ({"name": "a", "url": "x", "depends_on": ["b"]}, "depends_on 'b', which is not a member"),
        ({"name": "a", "url": "x", "branch": "main"}, "[tool.release].train[0].branch is not a"),
        ({"name": "a", "url": 3}, "[tool.release].train[0].url = 3 is not valid"),
    ],
)
def test_a_bad_member_is_refused_naming_the_key(member, needle):
    with pytest.raises(ConfigError) as exc:
        policy_from_table({"train": [member]})
    assert needle in exc.value.message


def test_a_member_listed_twice_is_refused():
    with pytest.raises(ConfigError) as exc:
        policy_from_table({"train": [{"name": "a", "url": "x"}, {"name": "a", "url": "y"}]})
    assert exc.value.message == "[tool.release].train[1].name = 'a' is used twice"


@pytest.mark.parametrize(
    "member, needle",
    [
        ({"release": {"chnagelog": ""}}, "train[0].release.chnagelog is not a known key"),
        ({"release": {"packages": [{"name": "x", "kind": "rust"}]}}, "kind"),
        ({"release": {"changelog": ""}, "config": "x.toml"}, "has both config and release"),
        ({"release": {"train": [{"name": "y", "url": "u"}]}}, "cannot hold a train of its own"),
    ],
)
def test_an_inline_member_policy_is_checked_key_by_key(member, needle):
    table = {"train": [{"name": "web", "url": "../web", **member}]}
    with pytest.raises(ConfigError) as exc:
        policy_from_table(table)
    assert needle in exc.value.one_line()
    good = policy_from_table(
        {"train": [{"name": "web", "url": "../web", "release": {"changelog": ""}}]}
    )
    assert good.train[0].release == {"changelog": ""}


def test_forced_versions_keep_the_kinds_shape_and_never_go_back():
    from release.core.plan import Request, forced_target
    from release.errors import NotReady

    tags = TagSet.from_names(["v0.1.0rc1", "v0.1.0", "v0.1.1", "v0.2.0rc1"])
    pol = Policy()

    def force(kind, version, line=None):
        return forced_target(tags, pol, Request(kind, version=version, line=line))

    assert force("patch", "0.1.3")[0] == Version.parse("0.1.3")  # skipping 0.1.2 is allowed
    assert "the patch of this history would be 0.1.2" in force("patch", "0.1.3")[2][0]
    assert force("rc", "0.2.0rc3")[1] == "release-0.2.x"
    assert force("final", "0.2.0")[0] == Version.parse("0.2.0")
    assert force("minor", "0.3.0rc1")[0] == Version.parse("0.3.0rc1")
    for kind, version, said in (
        ("patch", "0.1.1", "is not above 0.1.1"),
        ("patch", "0.1.0rc2", "a patch is X.Y.Z"),
        ("patch", "0.3.1", "has no final release to patch"),
        ("rc", "0.2.0rc1", "is not above 0.2.0rc1"),
        ("rc", "0.1.0rc9", "is already final"),
        ("final", "0.3.0", "has no release candidate to promote"),
        ("minor", "0.2.0rc2", "line 0.2 has 0.2.0rc1 already; use release.rc"),
        ("minor", "0.3.0", "a minor here is X.Y.0rcN"),
        ("minor", "0.0.5rc1", "a minor here is X.Y.0rcN"),
        ("major", "0.4.0rc1", "a major here is X.0.0rcN"),
        ("patch", "0.1.5", "is not on the line 0.2"),
    ):
        line = (0, 2) if version == "0.1.5" else None
        with pytest.raises(NotReady) as exc:
            force(kind, version, line)
        assert said in exc.value.one_line(), (kind, version, exc.value.one_line())
