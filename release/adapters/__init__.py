"""Adapters: translate to git, GitHub, PyPI, npm, Docker, webhooks and nox; no policy decisions."""
