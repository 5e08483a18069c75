"""The layers of docs/architecture.md, checked on the source (an AST walk, nothing imported):

- `release/core/` is pure: it imports only `release.core`, `release.errors` and the standard
  library's pure modules, and never reads the clock, the environment or files;
- adapters never import steps, commands or tasks; steps never import commands or tasks;
  commands never import tasks (printing lives in tasks);
- nothing in `release/` imports `tests`, and no module loads another by a string name;
- every module of `release/` is reachable by static imports from `release.tasks` (so a renamed
  module is an ImportError at start, never a silently shorter plan).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "release"

# Standard-library modules a pure module may import (no I/O, no clock, no environment).
PURE_STDLIB = {
    "__future__",
    "abc",
    "base64",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "fnmatch",
    "functools",
    "hashlib",
    "html",
    "itertools",
    "json",
    "math",
    "operator",
    "pathlib",
    "re",
    "string",
    "textwrap",
    "typing",
    "unicodedata",
    "urllib.parse",
    "posixpath",
    "tomllib",
    "copy",
    "bisect",
    "heapq",
    "difflib",
    "types",
}
PURE_THIRD_PARTY = {"packaging", "semver", "tomli", "tomlkit"}
IO_CALLS = {
    "open",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "exists",
    "is_file",
    "is_dir",
    "mkdir",
    "unlink",
    "iterdir",
    "glob",
    "rglob",
    "stat",
    "resolve",
    "getenv",
    "time",
    "now",
    "utcnow",
    "today",
    "system",
    "popen",
    "input",
    "print",
}
LAYER_FORBIDS = {
    "core": (
        "release.engine",
        "release.journal",
        "release.world",
        "release.session",
        "release.adapters",
        "release.steps",
        "release.commands",
        "release.tasks",
        "release.cli",
    ),
    "adapters": (
        "release.steps",
        "release.commands",
        "release.tasks",
        "release.world",
        "release.session",
    ),
    "steps": ("release.commands", "release.tasks"),
    "commands": ("release.tasks",),
}


def modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def layer(path: Path) -> str:
    rel = path.relative_to(PKG).parts
    return rel[0] if len(rel) > 1 else ""


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(tree: ast.AST, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the module, at any depth."""
    out = []
    pkg = module_name(path).split(".")
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            out.append((node.lineno, base))
            out += [
                (node.lineno, f"{base}.{a.name}") for a in node.names if base.startswith("release")
            ]
    return out


def call_name(node: ast.Call) -> str:
    """`open` for open(...), `read_text` for p.read_text(...)."""
    fn = node.func
    if isinstance(fn, ast.Attribute):
        return fn.attr
    return fn.id if isinstance(fn, ast.Name) else ""


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def core_problems(path: Path) -> list[str]:
    tree, found = parsed(path), []
    for line, mod in imports(tree, path):
        top = mod.split(".")[0]
        if mod.startswith("release"):
            if not (mod.startswith(("release.core", "release.errors")) or mod == "release"):
                found.append(f"{line}: imports {mod}")
        elif top not in PURE_THIRD_PARTY and mod not in PURE_STDLIB and top not in PURE_STDLIB:
            found.append(f"{line}: imports {mod} (not a pure module)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = call_name(node)
            if name in IO_CALLS:
                found.append(f"{node.lineno}: calls {name}() (I/O, clock or environment)")
        if isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append(f"{node.lineno}: reads the environment")
    return found


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "core"], ids=lambda p: p.name)
def test_core_is_pure(path):
    assert core_problems(path) == [], f"{path.relative_to(PKG.parent)} is not pure"


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if layer(p) in LAYER_FORBIDS],
    ids=lambda p: str(p.relative_to(PKG)),
)
def test_layers_import_downwards_only(path):
    forbidden = LAYER_FORBIDS[layer(path)]
    bad = [
        f"{line}: {mod}"
        for line, mod in imports(parsed(path), path)
        if any(mod == f or mod.startswith(f + ".") for f in forbidden)
    ]
    assert bad == [], f"{path.relative_to(PKG.parent)} ({layer(path)}) imports a layer above it"


def test_nothing_imports_tests_or_loads_by_name():
    bad = []
    for path in modules():
        tree = parsed(path)
        for line, mod in imports(tree, path):
            if mod == "tests" or mod.startswith("tests."):
                bad.append(f"{path.name}:{line} imports {mod}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = call_name(node)
                if name in (
                    "import_module",
                    "__import__",
                    "load_module",
                    "exec_module",
                    "spec_from_file_location",
                ):
                    bad.append(f"{path.name}:{node.lineno} loads code by name ({name})")
    assert bad == []


def reachable_from(start: str) -> set[str]:
    """Modules of `release` reachable by static imports from `start` (any depth, lazy included)."""
    by_name = {module_name(p): p for p in modules()}
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        parts = name.split(".")
        for i in range(1, len(parts)):
            todo.append(".".join(parts[:i]))  # importing a.b.c runs a and a.b
        for _, mod in imports(parsed(by_name[name]), by_name[name]):
            if mod.startswith("release"):
                todo.append(mod)
    return seen


def test_every_module_is_statically_reachable_from_the_tasks():
    reach = reachable_from("release.tasks") | reachable_from("release.cli") | {"release.__main__"}
    missing = sorted({module_name(p) for p in modules()} - reach)
    assert missing == [], (
        "modules nothing imports statically (dead, or loaded by name): " + ", ".join(missing)
    )


def test_no_folder_holds_more_than_about_fifteen_modules():
    for folder in [PKG, *[p for p in PKG.iterdir() if p.is_dir() and p.name != "__pycache__"]]:
        count = len([p for p in folder.glob("*.py") if p.name != "__init__.py"])
        assert count <= 18, f"{folder.relative_to(PKG.parent)} holds {count} modules"


@pytest.mark.parametrize(
    "module", ["steps/github.py", "steps/publish.py", "steps/notify.py", "tasks/milestone.py"]
)
def test_a_renamed_step_or_task_module_fails_at_start_never_a_shorter_plan(tmp_path, module):
    """Rename one module in a copy of the package: the toolkit refuses to start (ImportError)."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "release"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))
    moved = copy / module
    moved.rename(moved.with_name("renamed_" + moved.name))
    res = subprocess.run(
        [sys.executable, "-c", "import release.tasks; import release.steps.pipeline"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith(("ImportError", "ModuleNotFoundError")), last
    assert module.split("/")[-1][:-3] in last


def test_the_pipeline_lists_every_step_kind_of_a_final():
    """The static list names each step a final needs; none depends on a module being present."""
    from release.core.plan import Facts, Request, make_plan
    from release.core.policy import policy_from_table
    from release.core.version import TagSet, classify_tag
    from release.steps.pipeline import release_steps

    class State:
        tagset = TagSet.from_tags([classify_tag("v0.1.0rc1", date=1, sha="a" * 40)])
        dirty: list[str] = []
        branch = "release-0.1.x"

    pol = policy_from_table(
        {
            "github_repo": "o/r",
            "packages": [
                {"name": "p", "kind": "python", "path": "."},
                {"name": "j", "kind": "npm", "path": "js"},
                {"name": "d", "kind": "docker", "image": "o/d"},
            ],
        }
    )
    plan = make_plan(State(), pol, Request("final"), Facts(now=10**10, branch_exists=True))
    names = [s.name for s in release_steps(plan, pol)]
    assert names == [
        "gate:registries",
        "gate:tests",
        "gate:milestone",
        "gate:ci",
        "git:commit",
        "git:tag",
        "build:p",
        "pack:j",
        "image:d",
        "git:push",
        "notify:thread",
        "publish:p",
        "publish:j",
        "push:d",
        "github:release",
        "github:workflows",
        "milestone:close",
        "notify:announce",
        "git:changelog-main",
    ]
