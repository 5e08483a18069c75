"""Invoke tasks: thin. Parse flags, call one function of `release.commands`, print, and map
errors to exit codes (`edge`).

Another repository adopts the toolkit with one line in its tasks.py:

    from release.tasks import ns  # noqa: F401

Collections: `release`, `changelog`, `milestone`, `mergify`. Every area module is imported here
statically and registers its tasks; a missing module is an ImportError at start.
"""

from __future__ import annotations

from invoke import Collection

from release.tasks import changelog, checklist, lines, milestone, release, status, verify
from release.tasks.edge import edge

ns = Collection()
ns.configure({"release": {}})


def collection(name: str) -> Collection:
    """The sub-collection `name` of the root namespace, created on first use."""
    if name not in ns.collections:
        ns.add_collection(Collection(name))
    return ns.collections[name]


# The areas, in the order `--list` shows them (release.status first).
AREAS = (status, release, changelog, milestone, lines, verify, checklist)
for _area in AREAS:
    _area.register(collection, edge)
