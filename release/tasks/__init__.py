"""Invoke tasks: thin. Parse flags, call one function of `release.commands`, print, and map
errors to exit codes (`edge`).

Another repository adopts the toolkit with one line in its tasks.py:

    from release.tasks import ns  # noqa: F401

A tasks.py that has tasks of its own (Invoke then lists only `ns`) adds ours to its namespace:

    from release.tasks import add_to; ns = add_to(Collection(lint, test))   # or add_to(ns)

Without any tasks.py, `release-kit TASK` (or `python -m release TASK`) runs the same tasks.

Collections: `release`, `changelog`, `milestone`, `mergify`. Every area module is imported here
statically and registers its tasks; a missing module is an ImportError at start.
"""

from __future__ import annotations

from types import ModuleType

from invoke import Collection

from release.tasks import (
    changelog,
    checklist,
    doctor,
    lines,
    milestone,
    page,
    release,
    status,
    verify,
)
from release.tasks.edge import edge

ns = Collection()
ns.configure({"release": {}})


def collection(name: str) -> Collection:
    """The sub-collection `name` of the root namespace, created on first use."""
    if name not in ns.collections:
        ns.add_collection(Collection(name))
    return ns.collections[name]


# The areas, in the order `--list` shows them (release.status first).
AREAS = (status, release, changelog, milestone, lines, verify, checklist, doctor, page)
for _area in AREAS:
    _area.register(collection, edge)


def add_to(namespace: Collection | ModuleType) -> Collection:
    """`namespace` (a repository's own tasks: a Collection, or a tasks module whose tasks
    Invoke would collect) with our collections added beside its tasks, and returned: in a
    tasks.py, `ns = add_to(Collection(lint, test))`; one that has an `ns` already,
    `add_to(ns)`. A name both sides use is refused (ValueError), never silently replaced."""
    if isinstance(namespace, ModuleType):
        namespace = Collection.from_module(namespace)
    if not isinstance(namespace, Collection):
        raise TypeError(f"add_to takes an invoke Collection, not {type(namespace).__name__}")
    for name, coll in ns.collections.items():
        if name in namespace.collections or name in namespace.tasks:
            raise ValueError(
                f"your tasks already have a {'collection' if name in namespace.collections else 'task'} "
                f"named {name!r}; rename it to add release-kit's {name!r} collection"
            )
        namespace.add_collection(coll, name)
    namespace.configure({"release": {}})  # keeps values already set under `release`
    return namespace
