"""Two machines release the same version of the full demo project at once (issue 14).

Both clones plan, build, commit and tag locally; the first to reach a public step takes the lock
on origin and publishes; the other stops at its first public step with one line naming the
holder. Afterwards the world equals an uninterrupted release's: one tag, one upload per file,
one npm version, one image, one GitHub release, one workflow run, one thread, one announcement.
FIFOs order the two processes; nothing sleeps.
"""

from __future__ import annotations

import pytest

from tests.fixtures.race import clone_for_race, race
from tests.integration.test_faults import fresh_project, reference_world, world

pytestmark = pytest.mark.integration


def test_two_clones_of_the_full_project_publish_everything_once(full_stack, tmp_path_factory):
    stack = full_stack
    tmp = tmp_path_factory.mktemp("race-full")
    reference = reference_world(stack, tmp_path_factory.mktemp("race-reference"))
    a = fresh_project(stack, tmp / "a")
    b_root = clone_for_race(a, tmp / "b-clone")
    r = race(a.env, a.root, b_root, tmp)
    assert r.first.returncode == 0, r.err_first[-3000:]
    assert r.second.returncode == 4, r.err_second[-3000:]
    r.loser_line()
    got = world(stack, a)
    assert got == reference
    locks = a.wd.git("for-each-ref", "refs/release/locks", cwd=a.wd.origin)
    assert locks == ""
