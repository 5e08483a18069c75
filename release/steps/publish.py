"""The publishing steps of a release, in dependency order (`policy.publish_order()`).

    build_steps(policy, version)    build:<name> (python), pack:<name> (npm), image:<name> (docker)
    publish_steps(policy, version)  publish:<name> (python, npm), push:<name> (docker)

Build steps run before the git push: a package that does not build, install or import stops the
release before anything is public. Publish steps run after it, each waiting (bounded polling with
backoff) until the index or registry serves the new version before returning, so a dependent
(a server pinning `client==X.Y.Z`, an image installing from the index) never comes out first.
A docker image that depends on a python or npm package of the release is built right before its
push, after that package is served; other images are built with the rest.

The published name of a package is read from its own metadata (the wheel's `Name`, package.json's
`name`); `[tool.release].packages[].name` only identifies it in the configuration and step names.

Idempotency comes from the world: a file on the index with the same name and the same sha256
(an npm version with the same shasum) is done; the same name with other content is a conflict
that stops the run (nothing is overwritten). sha256s are recorded in the journal.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from release.adapters import artifacts as b
from release.core.latest import TagChange, npm_dist_tag, rc_tag_after_final
from release.core.policy import Package, Policy
from release.core.routing import publish_via, python_credentials, python_index
from release.core.version import Version, npm_version
from release.core.versionfiles import scm_build_env
from release.engine import BaseStep, Probe
from release.errors import ReleaseError
from release.world import World


def _sleep(world: World) -> Any:
    return world.services.get("sleep", time.sleep)


def dist_dir(world: World, pkg: Package) -> Path:
    return Path(world.work_dir) / "dist" / pkg.slug


def src_dir(world: World, pkg: Package) -> Path:
    return Path(world.work_dir) / "src" / pkg.slug


class _PackageStep(BaseStep):
    prefix = ""

    def __init__(self, policy: Policy, pkg: Package, version: Version) -> None:
        self.policy = policy
        self.pkg = pkg
        self.version = version
        self.name = f"{self.prefix}:{pkg.ref}"
        self._facts: dict[str, Any] = {}

    def _recorded(self, world: World, step: str) -> dict[str, Any]:
        if step == self.name and self._facts:
            return self._facts
        return dict(world.journal.facts(step))

    def _wait(self, world: World, what: str) -> Probe:
        """verify: poll the probe until done (or a clash), bounded; say how long it waited."""
        seen: list[Probe] = []

        def check() -> bool:
            p = self.probe(world)
            seen.append(p)
            return p.done or bool(p.conflict)

        limit = b.max_wait(world.env)
        b.poll(check, sleep=_sleep(world), limit=limit)
        last = seen[-1]
        if last.done or last.conflict:
            return last
        return Probe.no(f"{what} still not served after {limit:.0f}s ({last.detail})")


# ---- python ----------------------------------------------------------------------------------


class BuildPython(_PackageStep):
    """Build, check, smoke-test one Python distribution from the release commit."""

    prefix = "build"
    parallel_group = "build"  # the engine may run it beside other independent builds

    def describe(self) -> str:
        return f"Build {self.pkg.name} {self.version} (twine check, wheel check, smoke test)"

    def probe(self, world: World) -> Probe:
        facts = self._recorded(world, self.name)
        files = facts.get("files") or {}
        if not files or facts.get("commit") != world.release_commit:
            return Probe.no("not built")
        d = dist_dir(world, self.pkg)
        on_disk = (
            {p.name: b.sha256_file(p) for p in d.iterdir() if p.is_file()} if d.is_dir() else {}
        )
        if on_disk != files:
            return Probe.no(f"{d} does not hold the recorded build")
        return Probe.yes(f"built {', '.join(sorted(files))}", **facts)

    def _served(self, world: World, project: str) -> tuple[Any, dict[str, Any]]:
        """(the index, {filename: RemoteFile}) of what the release's index already serves of
        this version: files published by an earlier run, perhaps on a runner that is gone."""
        from release.adapters import pypi

        simple = python_index(self.version, self.policy.repositories).simple
        index = world.service(f"index:{simple}", lambda: pypi.SimpleIndex(simple))
        listed = index.files(project)
        return index, {
            n: f for n, f in listed.items() if pypi.same_version(_file_version(n), self.version)
        }

    def _pyproject(self, world: World, commit: str) -> str:
        """The package's pyproject.toml at the release commit ('' when it has none)."""
        import posixpath

        rel = posixpath.normpath(posixpath.join(self.pkg.path or ".", "pyproject.toml"))
        return world.repo.show_file(commit, rel) or ""

    def _project(self, world: World, commit: str) -> str:
        """The distribution name before building: recorded, else pyproject's [project].name."""
        recorded = self._recorded(world, self.name).get("project")
        if recorded:
            return str(recorded)
        from release.adapters.files import parse_toml

        name = (parse_toml(self._pyproject(world, commit)).get("project") or {}).get("name")
        return str(name) if isinstance(name, str) and name else self.pkg.name

    def apply(self, world: World) -> dict[str, Any]:
        from release.adapters import pypi

        commit = world.release_commit
        epoch = b.commit_time(world.repo, commit)
        # a version from git tags (setuptools-scm, hatch-vcs) gets the release version through
        # the backend's own override: the exported tree has no .git to read it from
        scm = scm_build_env(self._pyproject(world, commit), self.version)
        env = {**dict(world.env), "SOURCE_DATE_EPOCH": epoch, **scm}
        out = dist_dir(world, self.pkg)
        earlier = self._recorded(world, self.name)
        earlier_files = dict(earlier.get("files") or {}) if earlier.get("commit") == commit else {}
        index, served = self._served(world, self._project(world, commit))
        adopted: dict[str, str] = {}
        if any(n.endswith(".whl") for n in served) and any(n.endswith(".tar.gz") for n in served):
            # Never rebuild what is published: the served files are the release's files.
            if out.exists():
                shutil.rmtree(out)
            out.mkdir(parents=True)
            for n, f in sorted(served.items()):
                index.download(f, out / n)
                adopted[n] = "served"
            files = sorted(out / n for n in served)
        else:
            src = b.export_tree(
                world.repo, commit, self.pkg.path, src_dir(world, self.pkg), self.pkg.slug
            )
            files = pypi.build(
                src,
                out,
                isolation=b.truthy(world.env.get(pypi.ISOLATION_ENV)),
                env=env,
                installer=world.env.get(pypi.INSTALLER_ENV),
            )
            for f in files:
                if f.name.endswith(".tar.gz"):
                    pypi.normalize_sdist(f, int(epoch))
            for f in files:
                if f.name in served:  # published by an earlier run: that file is the release's
                    same = (served[f.name].sha256 or "").lower() == b.sha256_file(f)
                    if not same:
                        index.download(served[f.name], f)
                    adopted[f.name] = "same as served" if same else "served (the rebuild differed)"
        pypi.twine_check(files, env=env)
        wheels = [f for f in files if f.suffix == ".whl"]
        info = pypi.read_wheel(wheels[0])
        names = list(self.pkg.import_names) or pypi.default_import_names(info.name)
        problems: list[str] = []
        for w in wheels:
            problems += [f"{w.name}: {p}" for p in pypi.wheel_problems(w, self.version, names)]
        for s in files:
            if s.name.endswith(".tar.gz"):
                problems += pypi.sdist_problems(s, self.version)
        if problems:
            shutil.rmtree(out, ignore_errors=True)  # nothing refused stays around to be uploaded
            raise pypi.ArtifactError(
                f"{self.pkg.name} refused before upload: {'; '.join(problems)}",
                "fix the package (version files, packaged modules) and re-run",
            )
        links = [
            dist_dir(world, p)
            for p in self.policy.publish_order()
            if p.kind == "python" and dist_dir(world, p).is_dir()
        ]
        smoke = pypi.smoke_test(
            wheels[0],
            links,
            names,
            Path(world.work_dir) / "smoke" / self.pkg.slug,
            env=env,
            # beside the journals, shared by every release (the work dir is per version)
            cache=world.journal.path.parent / "cache",
            smoke_python=self.pkg.smoke_python,
            installer=world.env.get(pypi.INSTALLER_ENV),
        )
        hashes = {f.name: b.sha256_file(f) for f in files}
        self._facts = {
            "project": info.name,
            "version": self.version.pep440(),
            "commit": commit,
            "files": hashes,
            "dist_dir": str(out),
            "import_names": names,
            "smoke": smoke.summary,
            "smoke_python": smoke.python.command,
            **({"adopted": adopted} if adopted else {}),
            # an earlier build's hashes are kept when this one differs (never silently replaced)
            **(
                {"earlier_files": earlier_files}
                if earlier_files and earlier_files != hashes
                else {}
            ),
        }
        return dict(self._facts)

    def verify(self, world: World) -> Probe:
        p = self.probe(world)
        adopted = self._facts.get("adopted") or {}
        if p.done and adopted:
            served = ", ".join(f"{n} ({how})" for n, how in sorted(adopted.items()))
            return Probe.yes(f"{p.detail}; from the index: {served}", **self._facts)
        return p


def _file_version(filename: str) -> str:
    """The version part of a wheel (`name-ver-...whl`) or sdist (`name-ver.tar.gz`) filename."""
    if filename.endswith(".whl"):
        parts = filename.split("-")
        return parts[1] if len(parts) > 2 else ""
    if filename.endswith(".tar.gz"):
        return filename[: -len(".tar.gz")].rsplit("-", 1)[-1]
    return ""


HANDOVER_ENV = "RELEASE_HANDOVER_DIR"  # the hand-over directory, relative to the repository root
HANDOVER_DIR = "dist"  # pypa/gh-action-pypi-publish's default packages-dir
HANDED_OVER = "handed over"  # the journal status and the first words of the step's detail


class HandedOver(ReleaseError):
    """publish_via = action: the checked files wait in the hand-over directory for
    pypa/gh-action-pypi-publish; the run stops here, successfully (exit 0). Re-running the same
    command afterwards finds them served (the probe compares sha256s) and finishes the release."""

    exit_code = 0
    waiting = True  # the engine records the step as "waiting", not "failed"

    def __init__(self, directory: str, files: dict[str, str], index: str, upload: str) -> None:
        self.directory, self.files, self.index, self.upload = directory, files, index, upload
        super().__init__(
            f"{HANDED_OVER}: {len(files)} file(s) in {directory}/ for pypa/gh-action-pypi-publish "
            f"({index}, {upload})",
            "upload them with the action (trusted publishing, attestations), then re-run the "
            "same command: it verifies that the index serves these files and finishes the release",
        )


class PublishPython(_PackageStep):
    """Upload the built files to PyPI (finals) or TestPyPI (RCs); wait until they are served.

    With publish_via = action (core.routing.publish_via) the step uploads nothing: it copies
    the built, checked files the index does not have yet, of this package and of the Python
    packages after it that depend on nothing else of the release, into the hand-over directory
    (`RELEASE_HANDOVER_DIR`, default `dist/`, emptied first) and stops the run (`HandedOver`).
    """

    prefix = "publish"
    irreversible = True

    def _target(self) -> tuple[str, str, str]:
        idx = python_index(self.version, self.policy.repositories)
        return idx.label, idx.upload, idx.simple

    def describe(self) -> str:
        label, _, simple = self._target()
        if self.policy.publish_via == "action":
            return (
                f"Hand {self.pkg.name} {self.version} over to pypa/gh-action-pypi-publish for "
                f"{label} ({simple}); a re-run verifies it is served"
            )
        how = ""
        if self.policy.publish_via == "auto":
            how = " (or hand it over, in GitHub Actions with OIDC)"
        return f"Upload {self.pkg.name} {self.version} to {label} ({simple}){how} and wait until it is served"

    def _built(self, world: World) -> dict[str, Any]:
        facts = self._recorded(world, f"build:{self.pkg.ref}")
        if not facts.get("files"):
            raise ReleaseError(
                f"{self.name}: build:{self.pkg.ref} has no record of built files",
                "re-run the release: the build step comes first",
            )
        return facts

    def probe(self, world: World) -> Probe:
        from release.adapters import pypi

        if getattr(world, "dry_run", False) and not self._recorded(
            world, f"build:{self.pkg.ref}"
        ).get("files"):
            return Probe.no("would upload what build:" + self.pkg.ref + " builds")
        built = self._built(world)
        ours: dict[str, str] = built["files"]
        label, _, simple = self._target()
        index = world.service(f"index:{simple}", lambda: pypi.SimpleIndex(simple))
        theirs = pypi.index_hashes(index, built["project"], list(ours))
        c = pypi.compare(ours, theirs)
        facts = {"index": simple, "project": built["project"], "files": ours}
        if c.conflicting:
            desc = "; ".join(
                f"{n} (ours {o[:12]}, index {t[:12]})" for n, (o, t) in c.conflicting.items()
            )
            return Probe.clash(
                f"{label} already has {desc}: same name, other content; files are immutable",
                index=simple,
                conflicting={n: t for n, (o, t) in c.conflicting.items()},
            )
        if c.complete:
            return Probe.yes(
                f"{label} serves {len(ours)} file(s) of {built['project']} {self.version}", **facts
            )
        return Probe.no(f"{len(c.missing)} of {len(ours)} file(s) not on {label} yet")

    def apply(self, world: World) -> dict[str, Any]:
        from release.adapters import pypi

        built = self._built(world)
        label, upload_url, simple = self._target()
        index = world.service(f"index:{simple}", lambda: pypi.SimpleIndex(simple))
        c = pypi.compare(
            built["files"], pypi.index_hashes(index, built["project"], list(built["files"]))
        )
        if c.conflicting:
            raise ReleaseError(
                f"{label} has other content under {', '.join(c.conflicting)}",
                "nothing was uploaded",
            )
        d = Path(built["dist_dir"])
        paths = [d / n for n in c.missing]
        for p in paths:
            if not p.is_file() or b.sha256_file(p) != built["files"][p.name]:
                raise ReleaseError(
                    f"{p} is not the file that was built and checked",
                    "re-run the release: the build step rebuilds it",
                )
        # the credentials of this index: which variables is a core rule; the adapter reads them
        creds = python_credentials(
            self.version, self.policy.repositories, [k for k, v in world.env.items() if v]
        )
        via = publish_via(self.policy.publish_via, world.env, creds)
        if paths and via.hand_over:
            self._hand_over(world, via.why, label, upload_url, [(self.pkg, built, paths)])
        if paths:
            pypi.upload(paths, upload_url, env=world.env, credentials=creds)
        return {
            "index": simple,
            "project": built["project"],
            "uploaded": sorted(c.missing),
            "credentials": creds.names,  # variable names, never values
        }

    def verify(self, world: World) -> Probe:
        label, _, _ = self._target()
        return self._wait(world, f"{label} ({self.pkg.name} {self.version})")

    # ---- publish_via = action: the hand-over ---------------------------------------------------

    def _hand_over(
        self,
        world: World,
        why: str,
        label: str,
        upload_url: str,
        group: list[tuple[Package, dict[str, Any], list[Path]]],
    ) -> None:
        """Copy the files of `group` (and of the Python packages that go up with it) into the
        emptied hand-over directory, check every copy's sha256, journal it, stop the run."""
        group = group + self._handed_over_with(world, group[0][0])
        target, shown = self._handover_dir(world)
        files: dict[str, str] = {}
        for _, built, paths in group:
            for src in paths:
                dest = target / src.name
                shutil.copyfile(src, dest)
                files[src.name] = b.sha256_file(dest)
                if files[src.name] != built["files"][src.name]:
                    raise ReleaseError(
                        f"the copy of {src.name} in {shown}/ is not the file that was built",
                        "re-run the release: it hands the files over again",
                    )
        there = sorted(p.name for p in target.iterdir())
        if there != sorted(files):  # pragma: no cover - the directory was emptied above
            raise ReleaseError(f"{shown}/ holds {', '.join(there)}, not only the release's files")
        facts = {
            "handed_over": {
                "dir": shown,
                "files": files,
                "packages": [pkg.ref for pkg, _, _ in group],
                "index": label,
                "upload": upload_url,
                "via": why,
            }
        }
        err = HandedOver(shown, files, label, upload_url)
        world.journal.record(self.name, HANDED_OVER, facts, err.one_line())
        raise err

    def _handed_over_with(self, world: World, first: Package) -> list[Any]:
        """The Python packages after `first` (publish order) that go up in the same hand-over:
        built, not (all) served, no conflict, and depending on no npm or docker package of the
        release (those are published in between, so such a package waits for the next run)."""
        from release.adapters import pypi

        order = self.policy.publish_order()
        refs = [p.ref for p in order]
        _, _, simple = self._target()
        index = world.service(f"index:{simple}", lambda: pypi.SimpleIndex(simple))
        out: list[Any] = []
        for pkg in order[refs.index(first.ref) + 1 :]:
            if pkg.kind != "python" or not self._python_only(pkg):
                continue
            built = self._recorded(world, f"build:{pkg.ref}")
            ours = dict(built.get("files") or {})
            if not ours or not built.get("project"):
                continue
            c = pypi.compare(ours, pypi.index_hashes(index, built["project"], list(ours)))
            if c.conflicting or not c.missing:
                continue  # its own step stops on the conflict, or finds it served
            paths = [Path(built["dist_dir"]) / n for n in c.missing]
            if all(p.is_file() and b.sha256_file(p) == ours[p.name] for p in paths):
                out.append((pkg, built, paths))
        return out

    def _python_only(self, pkg: Package) -> bool:
        """Does `pkg` depend (transitively) on Python packages of the release only?"""
        todo, seen = self.policy.dependencies(pkg), set()
        while todo:
            dep = todo.pop()
            if dep.ref in seen:
                continue
            seen.add(dep.ref)
            if dep.kind != "python":
                return False
            todo += self.policy.dependencies(dep)
        return True

    def _handover_dir(self, world: World) -> tuple[Path, str]:
        """The hand-over directory, emptied: `RELEASE_HANDOVER_DIR` relative to the repository
        root, default `dist`. Refused (nothing deleted): a path outside the repository (also
        through a symlink), the root itself, anything in .git, a directory holding tracked
        files, a file."""
        from release.errors import ConfigError

        rel = (world.env.get(HANDOVER_ENV) or HANDOVER_DIR).strip().rstrip("/") or HANDOVER_DIR
        root = Path(world.root).resolve()
        target = Path(root, rel)
        resolved = target.resolve()
        why = ""
        if Path(rel).is_absolute() or ".." in Path(rel).parts or root not in resolved.parents:
            why = "is not inside the repository"
        elif ".git" in resolved.relative_to(root).parts:
            why = "is inside .git"
        elif target.exists() and (target.is_symlink() or not target.is_dir()):
            why = "is not a directory"
        else:
            shown = resolved.relative_to(root).as_posix()
            tracked = world.repo.git("ls-files", "-z", "--", shown, check=False).stdout
            if tracked.strip("\0"):
                why = "holds files tracked by git"
        if why:
            raise ConfigError(
                f"the hand-over directory {rel!r} ({HANDOVER_ENV}) {why}; nothing was deleted",
                f"name a directory inside the repository that git does not track "
                f"(default: {HANDOVER_DIR})",
            )
        if target.is_dir():
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        target.mkdir(parents=True, exist_ok=True)
        return target, resolved.relative_to(root).as_posix()


# ---- npm -------------------------------------------------------------------------------------


def _npm(world: World, policy: Policy) -> Any:
    from release.adapters.npm import Npm

    registry = policy.repositories.npm_registry
    return world.service(
        f"npm:{registry}", lambda: Npm(registry, world.env, Path(world.work_dir) / "npm")
    )


class PackNpm(_PackageStep):
    """`npm pack` the package of the release commit; record the tarball's shasum and integrity."""

    prefix = "pack"
    parallel_group = "build"  # the engine may run it beside other independent builds

    def describe(self) -> str:
        return f"Pack {self.pkg.name} {self.version.semver()} (npm pack)"

    def probe(self, world: World) -> Probe:
        facts = self._recorded(world, self.name)
        tarball = Path(facts.get("tarball_path", "")) if facts.get("tarball_path") else None
        if (
            not facts
            or facts.get("commit") != world.release_commit
            or tarball is None
            or not tarball.is_file()
        ):
            return Probe.no("not packed")
        if b.sha256_file(tarball) != facts.get("sha256"):
            return Probe.no(f"{tarball.name} differs from the recorded pack")
        return Probe.yes(f"packed {tarball.name}", **facts)

    def apply(self, world: World) -> dict[str, Any]:
        from release.adapters.pypi import ArtifactError

        commit = world.release_commit
        src = b.export_tree(
            world.repo, commit, self.pkg.path, src_dir(world, self.pkg), self.pkg.slug
        )
        manifest = src / "package.json"
        if not manifest.is_file():
            raise ArtifactError(
                f"package {self.pkg.name!r}: no package.json in {self.pkg.path!r} at {commit[:12]}",
                "fix [tool.release].packages path",
            )
        meta = json.loads(manifest.read_text())
        want = npm_version(self.version)
        if meta.get("version") != want:
            raise ArtifactError(
                f"{self.pkg.name} refused before publishing: package.json version is "
                f"{meta.get('version')!r}, the release is {want}",
                "the version files step must set it; check version_files in [tool.release]",
            )
        packed = _npm(world, self.policy).pack(src, dist_dir(world, self.pkg))
        if packed.version != want:
            raise ArtifactError(
                f"npm pack produced {packed.name}@{packed.version}, the release is {want}"
            )
        tarball = dist_dir(world, self.pkg) / packed.filename
        self._facts = {
            "name": packed.name,
            "version": packed.version,
            "commit": commit,
            "tarball": packed.filename,
            "tarball_path": str(tarball),
            "shasum": packed.shasum,
            "integrity": packed.integrity,
            "sha256": b.sha256_file(tarball),
        }
        return dict(self._facts)


class PublishNpm(_PackageStep):
    """`npm publish` the packed tarball with its dist-tag; wait until the registry serves it.

    A final then retires the `rc` dist-tag of its line (`core.latest.rc_tag_after_final`): every
    dist-tag of the package is this step's, so the probe is done only when both are as they
    should be, and a re-run (or a run killed in between) does only what is left."""

    prefix = "publish"
    irreversible = True
    _on_registry: bool | None = None  # what the last probe saw, so apply does not ask twice

    def _packed(self, world: World) -> dict[str, Any]:
        facts = self._recorded(world, f"pack:{self.pkg.ref}")
        if not facts.get("shasum"):
            raise ReleaseError(
                f"{self.name}: pack:{self.pkg.ref} has no record of a packed tarball",
                "re-run the release: the pack step comes first",
            )
        return facts

    def _tag(self, world: World) -> str:
        return npm_dist_tag(self.version, world.is_latest)

    def _rc_change(self, tags: dict[str, str]) -> TagChange | None:
        """A final retires the `rc` dist-tag of its line (core.latest, npm_rc_tag_after_final)."""
        return rc_tag_after_final(self.version, tags, self.policy.npm_rc_tag_after_final)

    @staticmethod
    def _dist_tags(npm: Any, name: str, seen: dict[str, Any]) -> dict[str, str]:
        # `npm view NAME@VERSION` carries the package's dist-tags; `npm dist-tag ls` when it does not
        tags = seen.get("dist-tags")
        return dict(tags) if isinstance(tags, dict) else npm.dist_tags(name)

    def describe(self) -> str:
        mode = self.policy.npm_rc_tag_after_final
        retire = ""
        if not self.version.is_rc and mode != "keep":
            line = f"{self.version.major}.{self.version.minor}"
            retire = (
                f"; {'remove' if mode == 'remove' else 'move to it'} dist-tag rc "
                f"if it holds an RC of {line}"
            )
        return (
            f"Publish {self.pkg.name} {self.version.semver()} to {self.policy.repositories.npm_registry} "
            f"and wait until it is served{retire}"
        )

    def probe(self, world: World) -> Probe:
        from release.adapters.npm import tag_ok

        if getattr(world, "dry_run", False) and not self._recorded(
            world, f"pack:{self.pkg.ref}"
        ).get("shasum"):
            return Probe.no("would publish what pack:" + self.pkg.ref + " packs")
        packed = self._packed(world)
        npm = _npm(world, self.policy)
        name, ver, tag = packed["name"], packed["version"], self._tag(world)
        seen = npm.view(name, ver)
        self._on_registry = seen is not None
        if seen is None:
            return Probe.no(f"{name}@{ver} is not on the registry yet")
        dist = seen.get("dist") or {}
        if dist.get("shasum") != packed["shasum"] or (
            dist.get("integrity") and dist["integrity"] != packed["integrity"]
        ):
            return Probe.clash(
                f"the registry has {name}@{ver} with other content (shasum {str(dist.get('shasum'))[:12]}, "
                f"ours {packed['shasum'][:12]}); versions are immutable"
            )
        tags = self._dist_tags(npm, name, seen)
        note = ""
        if tag != "latest" and tags.get("latest") == ver:
            if self._recorded(world, self.name).get("latest_before") != "":
                return Probe.clash(
                    f"dist-tag latest points at {ver}, which must not be latest", dist_tags=tags
                )
            # npm registries give a package's very first version `latest`, whatever --tag said
            note = f"; latest -> {ver} only because this was the package's first publish"
        ok, why = tag_ok(tag, tags.get(tag), self.version, seen.get("versions"))
        if not ok:
            return Probe.no(f"{name}@{ver} is published; dist-tag {why}")
        change = self._rc_change(tags)
        if change is not None:
            return Probe.no(f"{name}@{ver} is published, {why}; {change.describe()} still to do")
        return Probe.yes(
            f"{name}@{ver} served, {why}{note}",
            registry=npm.registry,
            name=name,
            version=ver,
            shasum=packed["shasum"],
            integrity=packed["integrity"],
            dist_tag=tag,
            dist_tags=tags,
        )

    def apply(self, world: World) -> dict[str, Any]:
        from release.adapters.npm import tag_ok

        packed = self._packed(world)
        npm = _npm(world, self.policy)
        name, ver = packed["name"], packed["version"]
        tag = self._tag(world)
        on_registry: bool | None = getattr(self, "_on_registry", None)  # what the probe just saw
        if on_registry is None:
            on_registry = npm.view(name, ver) is not None
        self._on_registry = None
        out: dict[str, Any]
        if not on_registry:
            tarball = Path(packed["tarball_path"])
            if not tarball.is_file() or b.sha256_file(tarball) != packed["sha256"]:
                raise ReleaseError(
                    f"{tarball} is not the tarball that was packed",
                    "re-run the release: the pack step packs it again",
                )
            tags = npm.dist_tags(name)
            before = tags.get("latest", "")
            self._facts = {"latest_before": before}
            world.journal.record(self.name, "publishing", {"latest_before": before})
            npm.publish(tarball, tag, self.pkg.access)
            tags[tag] = ver  # the publish moved only `tag`
            out = {"published": f"{name}@{ver}", "dist_tag": tag, "latest_before": before}
        else:
            seen = npm.view(name, ver) or {}
            tags = self._dist_tags(npm, name, seen)
            out = {"dist_tag": tag}
            if not tag_ok(tag, tags.get(tag), self.version, seen.get("versions"))[0]:
                npm.add_dist_tag(name, ver, tag)
                tags[tag] = ver
                out["tagged"] = True
        # then the `rc` tag of the final's line: removed or moved, re-read from the registry by
        # the probe (verify), so a re-run after a kill here does exactly what is left
        change = self._rc_change(tags)
        if change is not None:
            if change.action == "move":
                npm.add_dist_tag(name, change.to, change.tag)
            else:
                npm.remove_dist_tag(name, change.tag)
            out["rc_tag"] = change.describe()
        return out

    def verify(self, world: World) -> Probe:
        return self._wait(world, f"{self.pkg.name}@{self.version.semver()}")


# ---- composition ------------------------------------------------------------------------------


def _docker(policy: Policy, version: Version) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The docker steps by package name: (image builds, pushes), one per variant of a package."""
    from release.steps import docker

    builds: dict[str, list[Any]] = {}
    pushes: dict[str, list[Any]] = {}
    for image in docker.image_steps(policy, version):
        builds.setdefault(image.pkg.name, []).append(image)
    for push in docker.push_steps(policy, version):
        pushes.setdefault(push.pkg.name, []).append(push)
    return builds, pushes


def needs_published(policy: Policy, pkg: Package) -> bool:
    """Does `pkg` depend (transitively) on a python or npm package of the release?"""
    todo, seen = policy.dependencies(pkg), set()
    while todo:
        dep = todo.pop()
        if dep.ref in seen:
            continue
        seen.add(dep.ref)
        if dep.kind in ("python", "npm"):
            return True
        todo += policy.dependencies(dep)
    return False


def build_steps(policy: Policy, version: Version) -> list[Any]:
    """Build/pack steps for every package in dependency order (before the git push). A build of
    a package that depends on no other package of the release is in `parallel_group` "build":
    the engine runs consecutive ones side by side (`build_workers`)."""
    builds, _ = _docker(policy, version)
    steps: list[Any] = []
    for pkg in policy.publish_order():
        if pkg.kind == "python":
            new: list[Any] = [BuildPython(policy, pkg, version)]
        elif pkg.kind == "npm":
            new = [PackNpm(policy, pkg, version)]
        elif pkg.kind == "docker" and not needs_published(policy, pkg):
            new = builds.get(pkg.name, [])
            for image in new:
                image.parallel_group = "build"
        else:
            new = []
        if policy.dependencies(pkg):
            # it builds from (or smoke-tests against) another package's build: after it, alone
            for step in new:
                step.parallel_group = ""
        steps += new
    return steps


def publish_steps(policy: Policy, version: Version) -> list[Any]:
    """Publish steps in dependency order; each waits until its index/registry serves it."""
    builds, pushes = _docker(policy, version)
    steps: list[Any] = []
    for pkg in policy.publish_order():
        if pkg.kind == "python":
            steps.append(PublishPython(policy, pkg, version))
        elif pkg.kind == "npm":
            steps.append(PublishNpm(policy, pkg, version))
        elif pkg.kind == "docker":
            if needs_published(policy, pkg):  # every variant built before the first is pushed
                steps += builds.get(pkg.name, [])
            steps += pushes.get(pkg.name, [])
    return steps
