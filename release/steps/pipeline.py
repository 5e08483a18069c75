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
from release.engine import BaseStep
from release.steps import git, github, notify, preflight, publish, tests


def release_steps(plan: Plan, policy: Policy) -> list[BaseStep]:
    """The ordered steps of `plan`: gates, git, build, push, publish, tell, close."""
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
        *notify.thread_steps(policy, v, kind),  # notify:thread    the #releases thread
        *publish.publish_steps(policy, v),  # publish:/push:   dependency order, index serves it
        *github.post_steps(policy, v, kind),  # github:release, github:workflows, milestone:close
        *notify.announce_steps(policy, v, kind),  # notify:announce  #announcements
        *git.dev_bump_steps(plan, policy),  # git:dev-bump     main -> X.(Y+1).0.dev0 (opt-in)
    ]
