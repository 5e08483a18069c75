"""The repository's own files, read and written in place: `[tool.release]` from pyproject.toml,
version files and CHANGELOG.md. What to write is decided by the pure core (`core.policy`,
`core.versionfiles`, `core.notes`); this module only reads, writes and reads back.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath
from typing import Any

from release.core.notes import Notes, insert_section
from release.core.policy import Policy, expand_variants, policy_from_table
from release.core.versionfiles import (
    DYNAMIC,
    Renderable,
    render_file,
    rendering,
    version_in_text,
)
from release.errors import ConfigError

# ---- [tool.release] -------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist", "run from the project root or pass --config"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})", "fix the syntax") from None


def parse_toml(text: str) -> dict[str, Any]:
    """TOML text as a dict; {} when it is not TOML (the caller falls back to what it knows)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def load_policy(
    pyproject: str | Path, *, check_paths: bool = True, root: str | Path | None = None
) -> Policy:
    """Read `[tool.release]` from pyproject.toml; a missing table means the seed's defaults."""
    path = Path(pyproject)
    data = _read_toml(path)
    table = data.get("tool", {}).get("release", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.release] must be a table")
    policy = policy_from_table(table)
    if check_paths:
        # paths are relative to the repository root, wherever the config file lives (--config)
        check_policy_paths(policy, Path(root) if root is not None else path.parent)
    return policy


def policy_in(table: dict[str, Any], root: str | Path, where: str = "") -> Policy:
    """A `[tool.release]` table given elsewhere (a train member's inline one), validated and
    its paths checked against `root` (the member's checkout)."""
    policy = policy_from_table(table, where)
    check_policy_paths(policy, Path(root))
    return policy


def check_policy_paths(policy: Policy, base: Path) -> None:
    """Every path of the policy is inside `base` and exists where it must."""
    if policy.changelog:
        contained(base, policy.changelog, "[tool.release].changelog")
    for vf in policy.version_files:
        contained(base, vf, "[tool.release].version_files entry")
    for pkg in policy.packages:
        pkg_dir = contained(base, pkg.path, f"package {pkg.name!r}: path")
        for vf in pkg.version_files:
            contained(pkg_dir, vf, f"package {pkg.name!r}: version file")
        if pkg.kind == "docker":  # both relative to the package path, for each variant
            for img in expand_variants(pkg):
                for label, rel in (("context", img.context), ("dockerfile", img.dockerfile)):
                    where = str(PurePosixPath(pkg.path) / rel)
                    contained(base, where, f"package {img.ref!r}: {label}")
        if not pkg_dir.is_dir():
            raise ConfigError(
                f"package {pkg.name!r}: path {pkg.path!r} does not exist",
                "fix [tool.release].packages path",
            )
        for vf in pkg.version_files:
            if not (pkg_dir / vf).is_file():
                raise ConfigError(
                    f"package {pkg.name!r}: version file {pkg.path}/{vf} does not exist",
                    "fix [tool.release].packages version_files",
                )


def contained(root: Path, rel: str, what: str) -> Path:
    """`root / rel`, refused when it resolves (symlinks followed) outside `root`."""
    base = Path(root).resolve()
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise ConfigError(
            f"{what} {rel!r} resolves to {target}, outside the repository",
            "point it at a file inside the repository (a symlink out of it is not followed)",
        )
    return base / rel


# ---- version files ------------------------------------------------------------------------------


def read_version(path: Path) -> str:
    """The version text a file holds; ConfigError when it holds none."""
    return version_in_text(path.name, _read(path), str(path))


def write_version(path: Path, version: Renderable, pins: list[str] | None = None) -> bool:
    """Write `version` (and pins of `pins` to the same version) into `path`; True when changed."""
    text = _read(path)
    new = render_file(path.name, text, version, pins or [])
    if new != text:
        path.write_text(new, encoding="utf-8")
    got = read_version(path)
    if got not in (rendering(path.name, version), DYNAMIC):
        raise ConfigError(f"{path}: wrote {rendering(path.name, version)} but read back {got}")
    return new != text


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"version file {path} does not exist", "fix [tool.release].packages version_files"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"version file {path} is not UTF-8", "re-save it as UTF-8") from None


# ---- CHANGELOG.md -------------------------------------------------------------------------------


def update_changelog(path: str | Path, notes: Notes) -> bool:
    """Insert the notes' section into CHANGELOG.md at `path`; True when the file changed.

    Idempotent: when a section for the version exists (generated or hand-written), nothing changes.
    """
    p = Path(path)
    old = p.read_bytes().decode("utf-8") if p.exists() else ""
    crlf = "\r\n" in old
    text = old.replace("\r\n", "\n") if crlf else old
    new = insert_section(text, notes)
    if new == text:
        return False
    if crlf:
        new = new.replace("\n", "\r\n")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(new.encode("utf-8"))
    return True


def read_seen(release_dir: Path, title: str) -> dict[str, Any]:
    """What an earlier milestone check of this clone read (`MilestoneCheck.seen`); {} when none
    or unreadable (the next check then reads the events again: slower, never wrong)."""
    import json

    try:
        data = json.loads((Path(release_dir) / "milestones" / f"{title}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_seen(release_dir: Path, title: str, seen: dict[str, Any]) -> None:
    """Keep `seen` for the next check (atomically; a failed write only costs speed)."""
    import json

    if not seen:
        return
    folder = Path(release_dir) / "milestones"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{title}.json.tmp"
        tmp.write_text(json.dumps(seen, sort_keys=True), "utf-8")
        tmp.replace(folder / f"{title}.json")
    except OSError:
        pass
