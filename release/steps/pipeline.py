"""The release pipeline: every step of every release kind, in order, as one static list.

Read it top to bottom as the checklist of RELEASE_PROCESS.md. Every step module is imported
here statically, so a renamed or missing module is an ImportError when the toolkit starts, never
a shorter release. A step whose feature is not configured (no GitHub, no packages, no webhooks)
is still in the list and probes as *skipped* with its reason; only steps that cannot apply to the
release kind (a branch cut for a patch, closing the milestone for an RC) are left out, by the
entries below and nowhere else.
"""

from __future__ import annotations

from release.core.plan import Plan
from release.core.policy import Policy
from release.engine import BaseStep, Probe
from release.steps import git, github, notify, preflight, publish, tests


def release_steps(plan: Plan, policy: Policy, notify_off: str = "") -> list[BaseStep]:
    """The ordered steps of `plan`: gates, git, build, push, publish, tell, close. `notify_off`
    (a release train's member): the notify steps stay in the list and probe as skipped with
    that reason (the train announces once, from its last release)."""
    v, kind = plan.version, plan.kind
    return [
        # -- gates that ask a live service, before anything is written ----------------------------
        *preflight.preflight_steps(policy, v, kind),  # gate:registries  every index answers
        *tests.test_gate_steps(policy, v, kind),  # gate:tests       nox -t TYPE on the base commit
        *github.gate_steps(policy, v, kind),  # gate:milestone, gate:ci
        # -- local git: nothing public yet ------------------------------------------------------
        *git.branch_steps(plan),  # git:branch       minor/major: cut release-X.Y.x
        git.CommitStep(plan.branch, promote_from=plan.last_rc if kind == "final" else None),
        git.TagStep(plan.tag),  # git:tag          annotated, release notes as message
        *publish.build_steps(policy, v),  # build:/pack:/image:  every artifact checked locally
        # -- the first irreversible step ----------------------------------------------------------
        git.PushStep(plan.branch, plan.tag),  # git:push         branch + tag, one atomic push
        *told(notify.thread_steps(policy, v, kind), notify_off),  # notify:thread  #releases
        *publish.publish_steps(policy, v),  # publish:/push:   dependency order, index serves it
        *github.post_steps(policy, v, kind),  # github:release, github:workflows, milestone:close
        *told(notify.announce_steps(policy, v, kind), notify_off),  # notify:announce
        *git.dev_bump_steps(plan, policy),  # git:dev-bump     main -> X.(Y+1).0.dev0 (opt-in)
        *git.changelog_main_steps(plan, policy),  # git:changelog-main  the section on main
    ]


class Elsewhere(BaseStep):
    """A step of this release that another one does (a train member's notify steps: the train
    announces once): kept in the list, probed as skipped with the reason, never applied."""

    def __init__(self, step: BaseStep, why: str) -> None:
        self.name, self.text, self.why = step.name, step.describe(), why

    def probe(self, world: object) -> Probe:
        return Probe.skipped(self.why)


def told(steps: list[BaseStep], off: str) -> list[BaseStep]:
    """The notify steps as they are, or (`off` says why) each one skipped with that reason."""
    return [Elsewhere(st, off) for st in steps] if off else steps
