"""Where a Python release goes, pure: release candidates to TestPyPI, finals to PyPI.

One function, used by the publish steps, the preflight gate and the docs alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from release.core.policy import Repositories
from release.core.version import Version


@dataclass(frozen=True)
class PythonIndex:
    label: str  # "PyPI" | "TestPyPI"
    upload: str  # twine --repository-url
    simple: str  # the simple API the release is probed and verified on


def python_index(version: Version, repos: Repositories) -> PythonIndex:
    """TestPyPI for an RC (`X.Y.ZrcN`), PyPI for a final."""
    if version.is_rc:
        return PythonIndex("TestPyPI", repos.testpypi_upload, repos.testpypi_simple)
    return PythonIndex("PyPI", repos.pypi_upload, repos.pypi_simple)
