"""GitHub Actions as a home for a release run: workflow commands, the job summary, the outputs.

Pure rendering only (no I/O, no environment): the task layer (`tasks/release.py`) decides when it
runs in GitHub Actions (`GITHUB_ACTIONS=true`), redacts, prints and appends to the files named by
`$GITHUB_STEP_SUMMARY` and `$GITHUB_OUTPUT`.

Escaping follows GitHub's toolkit (`@actions/core` `command.ts`): a command's message (its data)
escapes `%`, `\\r`, `\\n`; a property value (`title=`) escapes those and `:` and `,` too, so
`title=gate:ci` is written `title=gate%3Aci` and shown as `gate:ci`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def escape_data(text: str) -> str:
    """A workflow command's message: `%` -> %25, CR -> %0D, LF -> %0A."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: the data escapes, and `:` -> %3A, `,` -> %2C."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str) -> str:
    """`::name key=value,...::message`, escaped."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def group(title: str) -> str:
    return command("group", title)


def endgroup() -> str:
    return "::endgroup::"


def error(title: str, message: str) -> str:
    """One `::error` annotation: one line whatever the message holds."""
    return command("error", message, title=title)


def masks(secrets: Iterable[str]) -> list[str]:
    """`::add-mask::` lines for each secret (and each line of a multi-line one), in order,
    each value once."""
    out: list[str] = []
    seen: set[str] = set()
    for secret in secrets:
        parts = [secret] + ([ln.strip() for ln in secret.splitlines()] if "\n" in secret else [])
        for part in parts:
            if len(part) >= 4 and part not in seen:
                seen.add(part)
                out.append(command("add-mask", part))
    return out


def outputs(version: str, tag: str, released: bool, kind: str) -> str:
    """The `$GITHUB_OUTPUT` lines of a release run (`key=value`, one per line)."""
    values = {"version": version, "tag": tag, "released": "true" if released else "false"}
    values["kind"] = kind
    return "".join(f"{k}={_one_line(v)}\n" for k, v in values.items())


# ---- the job summary ------------------------------------------------------------------------------


def artifacts(steps: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(step, artifact, sha256 or digest) from the journal facts of build:, pack: and push:."""
    out: list[tuple[str, str, str]] = []
    for name, facts in steps.items():
        if not isinstance(facts, Mapping):
            continue
        if name.startswith("build:"):
            files = facts.get("files") or {}
            if isinstance(files, Mapping):
                out += [(name, str(f), str(h)) for f, h in sorted(files.items())]
        elif name.startswith("pack:") and facts.get("tarball"):
            out.append((name, str(facts["tarball"]), str(facts.get("sha256") or "")))
        elif name.startswith("push:"):
            digests = facts.get("digests") or {}
            image = str(facts.get("image") or name.removeprefix("push:"))
            if isinstance(digests, Mapping) and digests:
                out += [(name, f"{image}:{t}", str(d)) for t, d in sorted(digests.items())]
            elif facts.get("digest"):
                out.append((name, image, str(facts["digest"])))
    return out


def links(steps: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(what, URL): the GitHub release and the release workflow runs."""
    out: list[tuple[str, str]] = []
    rel = steps.get("github:release") or {}
    if isinstance(rel, Mapping) and rel.get("url"):
        out.append(("GitHub release", str(rel["url"])))
    runs = (steps.get("github:workflows") or {}).get("runs") or {}
    if isinstance(runs, Mapping):
        for file, run in sorted(runs.items()):
            if isinstance(run, Mapping) and run.get("url"):
                out.append((f"workflow {file}", str(run["url"])))
    return out


def summary(
    *,
    title: str,
    outcome: str,
    rows: Sequence[tuple[str, str, str, float]],
    steps: Mapping[str, Mapping[str, Any]],
    overrides: Sequence[Mapping[str, Any]] = (),
    error: str = "",
) -> str:
    """The Markdown appended to `$GITHUB_STEP_SUMMARY`: the outcome, the steps (status, detail,
    time), the artifacts with their sha256, the links, the overrides.

    rows: (step, status, detail, seconds); steps: step name -> journal facts."""
    lines = [f"## {_cell(title)}: {_cell(outcome)}", ""]
    if error:
        lines += [f"> {_cell(error)}", ""]
    if rows:
        lines += ["| step | status | detail | time |", "|---|---|---|---:|"]
        lines += [
            f"| `{_code(n)}` | {_cell(s)} | {_cell(d)} | {f'{t:.1f}s' if t else ''} |"
            for n, s, d, t in rows
        ]
        lines.append("")
    found = artifacts(steps)
    if found:
        lines += ["### Artifacts", "", "| artifact | sha256 | step |", "|---|---|---|"]
        lines += [f"| `{_code(a)}` | `{_code(h)}` | `{_code(n)}` |" for n, a, h in found]
        lines.append("")
    urls = links(steps)
    if urls:
        lines += ["### Links", ""] + [f"- {_cell(w)}: {_cell(u)}" for w, u in urls] + [""]
    if overrides:
        lines += ["### Overrides", ""]
        lines += [
            f"- {_cell(str(o.get('gate', '?')))} by {_cell(str(o.get('who') or '?'))} "
            f"at {_cell(str(o.get('when') or '?'))}: {_cell(str(o.get('reason') or ''))}"
            for o in overrides
        ]
        lines.append("")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _cell(text: str) -> str:
    """Text in a Markdown table cell or list item: one line, pipes escaped."""
    return _one_line(text).replace("|", "\\|")


def _code(text: str) -> str:
    """Text inside backticks in a table cell."""
    return _cell(text).replace("`", "'")
