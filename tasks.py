"""Invoke entry point: the whole toolkit is the `release` package's collection."""

from release.tasks import ns  # noqa: F401
