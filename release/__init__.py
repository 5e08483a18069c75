"""release-kit: an executable release process (plans, gates, a journaled step engine).

The package is split in three layers (see docs/architecture.md): a pure core (version, policy,
plan, changelog, schedule, codeowners), one step engine (engine, journal) and thin adapters
(git, github, pypi, npm, docker, notify). Heavy dependencies are imported lazily.
"""

__version__ = "0.1.0.dev0"
