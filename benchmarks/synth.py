"""Deterministic synthetic release histories, written with `git fast-import` (no per-commit git calls).

    python benchmarks/synth.py --commits 20000 --tags 480 PATH
    python benchmarks/synth.py --commits 2000 --tags 60          # -> benchmarks/.cache/<key>

The same parameters always give the same repository (same commit shas): authors, dates and
messages come from `random.Random(seed)`, and every timestamp is fixed.

Shape of the history (what the changelog and status code must cope with):

* `main`: conventional-commit subjects (feat/fix/docs/chore/refactor/perf/test/ci/build, with and
  without scopes), squash-merge PR numbers `(#1234)`, ~1% `!` breaking subjects, ~1% bodies with a
  `BREAKING CHANGE:` footer, ~6% unconventional subjects ("Update README.md", "Bump x from 1 to 2").
* Per minor line X.Y: annotated `vX.Y.0rcN` tags (1-3) on main, then `vX.Y.0` on main, then a
  branch `release-X.Y.x` cut at `vX.Y.0` carrying patch tags `vX.Y.Z`; the patch commits are
  cherry-picks of later `fix:` commits of main, half as `git cherry-pick -x` (original subject,
  `(cherry picked from commit <sha>)` trailer), half as Mergify backports
  (`fix: ... (backport #N) (#M)`, with the trailer too). When the tag budget ends before the last
  line's patches, that line is left open (RCs only), like a repository in its testing window.
* Stray tags: `v0.2.10.1`, `v0.1.4.dev3`, `v0.3.1-dev.20251022`, `v0.5.0-dev` and the lightweight
  `stable`.
* Tagger dates increase with the history; every tag is annotated except `stable`.

The import runs in two `git fast-import` passes (main, then the release branches, whose
cherry-pick trailers need the shas of the main commits: read from the first pass's marks file).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_VERSION = 1
HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
START = 1672531200  # 2023-01-01T00:00:00Z
STRAYS = ["v0.2.10.1", "v0.1.4.dev3", "v0.3.1-dev.20251022", "v0.5.0-dev", "stable"]
STAMP = "synth-params.json"

TYPES = [
    ("feat", 28),
    ("fix", 30),
    ("docs", 8),
    ("chore", 9),
    ("refactor", 7),
    ("test", 4),
    ("ci", 3),
    ("perf", 2),
    ("build", 2),
    (None, 7),  # unconventional
]
SCOPES = [
    None,
    None,
    None,
    "api",
    "cli",
    "providers",
    "server",
    "ui",
    "inference",
    "safety",
    "telemetry",
    "deps",
]
VERBS = [
    "add",
    "support",
    "handle",
    "remove",
    "rename",
    "update",
    "fix",
    "improve",
    "expose",
    "validate",
    "cache",
]
NOUNS = [
    "streaming responses",
    "tool calls",
    "vector store search",
    "model registry",
    "auth middleware",
    "provider config",
    "telemetry spans",
    "batch inference",
    "safety shields",
    "file uploads",
    "openai compat layer",
    "the client timeout",
    "docker entrypoint",
    "pagination cursor",
    "agent sessions",
]
UNCONVENTIONAL = [
    "Update README.md",
    "Merge pull request #{pr} from someone/patch-1",
    "WIP",
    "Bump {dep} from 1.{a}.0 to 1.{b}.0",
    "Fixed typo in docs",
    'Revert "feat: {noun}"',
    "initial support for {noun}",
]
DEPS = ["httpx", "pydantic", "fastapi", "uvicorn", "numpy", "openai", "ruff"]
FIRST = [
    "Ada",
    "Ben",
    "Chen",
    "Dana",
    "Eli",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
    "Kai",
    "Lena",
    "Mo",
    "Nia",
]
LAST = ["Ng", "Silva", "Kumar", "Okafor", "Weber", "Sato", "Rossi", "Haddad", "Novak", "Park"]
N_FILES = 200


@dataclass
class Line:
    major: int
    minor: int
    rcs: int
    final: bool
    patches: list[int] = field(default_factory=list)  # cherry-picks per patch release

    @property
    def name(self) -> str:
        return f"{self.major}.{self.minor}"


def _plan_lines(
    rng: random.Random, tags: int, branches: int | None
) -> tuple[list[Line], list[str]]:
    strays = STRAYS[: max(0, min(len(STRAYS), tags // 10))]
    remaining = tags - len(strays)
    lines: list[Line] = []
    i = 0
    while remaining > 0:
        major = i // 25
        minor = i % 25 + (1 if major == 0 else 0)
        rcs = min(rng.choice([1, 2, 2, 3]) + (1 if minor == 0 else 0), remaining)
        remaining -= rcs
        final = remaining > 0
        remaining -= int(final)
        n_patch = min(rng.randint(2, 8), max(remaining, 0)) if final else 0
        remaining -= n_patch
        lines.append(Line(major, minor, rcs, final, [rng.randint(1, 3) for _ in range(n_patch)]))
        i += 1
    # The last line stays open (RCs only) when there is something before it to be final.
    if len(lines) > 1 and lines[-1].final and not lines[-1].patches:
        lines[-1].final = False
        lines[-1].rcs += 1
    if branches is not None:
        with_patches = [ln for ln in lines if ln.patches]
        for ln in with_patches[: max(0, len(with_patches) - branches)]:
            ln.patches = []
    return lines, strays


def _subject(rng: random.Random, pr: int, idx: int) -> tuple[str, str, str | None]:
    """(subject, body, type) of one main commit."""
    kinds, weights = zip(*TYPES, strict=True)
    ctype = rng.choices(kinds, weights)[0]
    noun = rng.choice(NOUNS)
    body_lines: list[str] = []
    if ctype is None:
        tpl = rng.choice(UNCONVENTIONAL)
        a = rng.randint(0, 20)
        subject = tpl.format(pr=pr, dep=rng.choice(DEPS), a=a, b=a + 1, noun=noun)
        if rng.random() < 0.5:
            subject += f" (#{pr})"
    else:
        scope = rng.choice(SCOPES)
        bang = "!" if rng.random() < 0.01 else ""
        head = f"{ctype}({scope}){bang}" if scope else f"{ctype}{bang}"
        subject = f"{head}: {rng.choice(VERBS)} {noun} (#{pr})"
        if rng.random() < 0.5:
            body_lines.append(
                f"This changes how {noun} behave in {rng.choice(SCOPES[3:])} (step {idx})."
            )
        if rng.random() < 0.01:
            body_lines.append(f"BREAKING CHANGE: {noun} now require an explicit opt-in.")
    if rng.random() < 0.3:
        co = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        body_lines.append(f"Co-authored-by: {co} <{co.lower().replace(' ', '.')}@example.com>")
    if rng.random() < 0.4:
        body_lines.append("Signed-off-by: Bot <bot@example.com>")
    return subject, "\n\n".join(body_lines), ctype


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def _who(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first} {last} <{first.lower()}.{last.lower()}@example.com>"


def _commit(
    ref: str,
    mark: int,
    who: str,
    when: int,
    message: str,
    path: str,
    content: str,
    parent: str | None,
) -> bytes:
    out = [
        f"commit {ref}\nmark :{mark}\nauthor {who} {when} +0000\ncommitter {who} {when} +0000\n".encode(),
        _data(message),
    ]
    if parent:
        out.append(f"from {parent}\n".encode())
    out.append(f"M 644 inline {path}\n".encode())
    out.append(_data(content))
    out.append(b"\n")
    return b"".join(out)


def _tag(name: str, target: str, when: int, message: str) -> bytes:
    return (
        f"tag {name}\nfrom {target}\ntagger Release Bot <release@example.com> {when} +0000\n".encode()
        + _data(message)
    )


def _fast_import(
    path: Path, stream: bytes, marks_out: Path | None = None, marks_in: Path | None = None
) -> None:
    argv = ["git", "fast-import", "--quiet", "--done"]
    if marks_out:
        argv.append(f"--export-marks={marks_out}")
    if marks_in:
        argv.append(f"--import-marks={marks_in}")
    subprocess.run(argv, cwd=path, input=stream + b"done\n", check=True, env=_env())


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="synth",
        GIT_AUTHOR_EMAIL="synth@example.com",
        GIT_COMMITTER_NAME="synth",
        GIT_COMMITTER_EMAIL="synth@example.com",
    )
    return env


def params_key(commits: int, tags: int, branches: int | None, seed: int) -> str:
    b = "all" if branches is None else str(branches)
    return f"synth-v{GENERATOR_VERSION}-c{commits}-t{tags}-b{b}-s{seed}"


def _build(path: Path, commits: int, tags: int, branches: int | None, seed: int) -> dict:
    rng = random.Random(seed)
    lines, strays = _plan_lines(rng, tags, branches)
    n_picks = sum(sum(ln.patches) for ln in lines)
    main_n = commits - n_picks
    if main_n < 3 * max(1, len(lines)):
        raise ValueError(
            f"{commits} commits are too few for {tags} tags (need about {3 * len(lines) + n_picks})"
        )

    # ---- main: messages, dates, authors ------------------------------------------------------
    dates: list[int] = []
    when = START
    for _ in range(main_n):
        when += rng.randint(600, 7200)
        dates.append(when)
    subjects: list[tuple[str, str, str | None]] = [
        _subject(rng, 1000 + i, i) for i in range(main_n)
    ]
    authors = [_who(rng) for _ in range(main_n)]
    files = [rng.randrange(N_FILES) for _ in range(main_n)]

    # ---- where each tag goes -----------------------------------------------------------------
    seg = main_n / len(lines)
    main_tags: dict[int, list[str]] = {}  # main index -> tag names
    branch_plan: list[
        tuple[Line, int, list[int]]
    ] = []  # (line, branch point, pick positions per patch)
    for i, ln in enumerate(lines):
        start, end = int(i * seg), int((i + 1) * seg) - 1
        span = end - start
        for k in range(ln.rcs):
            pos = start + int(span * (0.6 + 0.35 * k / max(1, ln.rcs)))
            main_tags.setdefault(min(pos, end - 1), []).append(f"v{ln.name}.0rc{k + 1}")
        if ln.final:
            main_tags.setdefault(end, []).append(f"v{ln.name}.0")
        if ln.patches:
            # patch j of this line happens during the following segment(s)
            n = len(ln.patches)
            moments = [min(main_n - 1, end + int(seg * (j + 1) / (n + 1) * 1.5)) for j in range(n)]
            branch_plan.append((ln, end, moments))
    stray_pos = {name: int(main_n * (0.15 + 0.15 * k)) for k, name in enumerate(strays)}

    # ---- pass 1: main + its tags -------------------------------------------------------------
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=_env())
    chunks: list[bytes] = []
    content_of = [0] * N_FILES
    for i in range(main_n):
        subject, body, _ = subjects[i]
        msg = subject + ("\n\n" + body if body else "") + "\n"
        f = files[i]
        content_of[f] += 1
        chunks.append(
            _commit(
                "refs/heads/main",
                i + 1,
                authors[i],
                dates[i],
                msg,
                f"src/mod{f:03d}.py",
                f"# revision {content_of[f]}\nVALUE = {i}\n",
                None,
            )
        )
        for name in main_tags.get(i, ()):
            chunks.append(_tag(name, f":{i + 1}", dates[i] + 60, f"Release {name[1:]}\n"))
    for name, pos in stray_pos.items():
        if name == "stable":
            chunks.append(f"reset refs/tags/stable\nfrom :{pos + 1}\n\n".encode())
        else:
            chunks.append(_tag(name, f":{pos + 1}", dates[pos] + 90, f"{name}\n"))
    marks = path / ".git" / "synth-main.marks"
    _fast_import(path, b"".join(chunks), marks_out=marks)
    sha_of: dict[int, str] = {}
    for row in marks.read_text().splitlines():
        mark, sha = row.split()
        sha_of[int(mark[1:])] = sha

    # ---- pass 2: release branches, cherry-picks, patch tags ----------------------------------
    chunks = []
    mark = main_n
    picked: set[int] = set()
    backport_pr = 1000 + main_n + 100
    fixes = [i for i in range(main_n) if subjects[i][2] == "fix"]
    for ln, point, moments in branch_plan:
        ref = f"refs/heads/release-{ln.name}.x"
        parent: str | None = f":{point + 1}"
        prev_moment = point
        for z, (n_pick, moment) in enumerate(zip(ln.patches, moments, strict=True), start=1):
            pool = [i for i in fixes if prev_moment < i <= moment and i not in picked]
            last_when = dates[moment]
            for p in range(n_pick):
                mark += 1
                when = dates[moment] + 30 * (p + 1) + z
                last_when = when
                if pool:
                    orig = pool[rng.randrange(len(pool))]
                    pool.remove(orig)
                    picked.add(orig)
                    subject, body, _ = subjects[orig]
                    trailer = f"(cherry picked from commit {sha_of[orig + 1]})"
                    if rng.random() < 0.5:
                        msg = subject + ("\n\n" + body if body else "") + "\n\n" + trailer + "\n"
                    else:
                        backport_pr += 1
                        pr = 1000 + orig
                        bare = subject.rsplit(" (#", 1)[0]
                        msg = (
                            f"{bare} (backport #{pr}) (#{backport_pr})\n\n"
                            f"This is an automatic backport of pull request #{pr} done by "
                            f"[Mergify](https://mergify.com).\n\n{trailer}\n"
                        )
                    path_ = f"src/mod{files[orig]:03d}.py"
                else:
                    backport_pr += 1
                    msg = f"fix: release-{ln.name}.x only fix for {rng.choice(NOUNS)} (#{backport_pr})\n"
                    path_ = "src/release_only.py"
                chunks.append(
                    _commit(
                        ref,
                        mark,
                        _who(rng),
                        when,
                        msg,
                        path_,
                        f"# {ln.name}.{z} pick {p}\n",
                        parent,
                    )
                )
                parent = None  # fast-import continues the branch from its tip
            chunks.append(
                _tag(f"v{ln.name}.{z}", f":{mark}", last_when + 60, f"Release {ln.name}.{z}\n")
            )
            prev_moment = moment
    if chunks:
        _fast_import(path, b"".join(chunks), marks_in=marks)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True, env=_env())
    n_tags = sum(ln.rcs + int(ln.final) + len(ln.patches) for ln in lines) + len(strays)
    return {
        "commits": commits,
        "tags": tags,
        "branches": branches,
        "seed": seed,
        "generator": GENERATOR_VERSION,
        "main_commits": main_n,
        "branch_commits": mark - main_n,
        "tag_count": n_tags,
        "lines": len(lines),
        "release_branches": len(branch_plan),
    }


def make_repo(
    path: str | os.PathLike[str] | None = None,
    commits: int = 20000,
    tags: int = 480,
    branches: int | None = None,
    seed: int = 0,
) -> Path:
    """Make (or reuse) the synthetic repository for these parameters and return its path.

    With `path=None` the repository lives in `benchmarks/.cache/<key>` and is reused while the
    parameters (and the generator version) are the same. An explicit `path` is reused when it
    holds the same parameters and rebuilt otherwise.
    """
    key = params_key(commits, tags, branches, seed)
    target = Path(path) if path is not None else CACHE / key
    stamp = target / ".git" / STAMP
    if stamp.exists():
        try:
            if json.loads(stamp.read_text()).get("key") == key:
                return target
        except ValueError:
            pass
    if target.exists():
        if not (target / ".git").is_dir() and any(target.iterdir()):
            raise FileExistsError(
                f"{target} exists and is not a synthetic repository; refusing to overwrite it"
            )
        shutil.rmtree(target)
    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    info = _build(tmp, commits, tags, branches, seed)
    info["key"] = key
    (tmp / ".git" / STAMP).write_text(json.dumps(info, indent=2) + "\n")
    tmp.rename(target)
    return target


def repo_info(path: str | os.PathLike[str]) -> dict:
    """The parameters and counts a synthetic repository was made with."""
    return json.loads((Path(path) / ".git" / STAMP).read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", help="where to make it (default: benchmarks/.cache/<key>)")
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--tags", type=int, default=480)
    ap.add_argument(
        "--branches",
        type=int,
        default=None,
        help="release branches with patches (default: every line)",
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    repo = make_repo(args.path, args.commits, args.tags, args.branches, args.seed)
    info = repo_info(repo)
    print(
        f"{repo}  ({info['main_commits']} main + {info['branch_commits']} branch commits, "
        f"{info['tag_count']} tags, {info['release_branches']} release branches; {time.perf_counter() - t0:.2f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
