"""Docker steps: `image:<name>` builds from the release commit, `push:<name>` pushes the version
tag (and `latest` per `core.latest`), records each digest and checks the registry serves it.
`verify` re-checks a release's images against its journal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from release.adapters.docker import (
    LABEL_REVISION,
    LABEL_VERSION,
    LATEST,
    DockerCLI,
    Endpoint,
    Manifest,
    Registry,
    build_argv,
    export_paths,
    image_ref,
    registry_endpoint,
    render_build_args,
    repository,
    version_of_label,
)
from release.core.latest import docker_tags, moved_on
from release.core.policy import Package, Policy
from release.core.version import Version
from release.engine import BaseStep, Probe
from release.errors import ConfigError, ReleaseError
from release.world import World

# ---- steps -------------------------------------------------------------------------------------


def _docker(world: World) -> DockerCLI:
    return world.service("docker", lambda: DockerCLI(world.env))


def _registry(world: World, endpoint: Endpoint) -> Registry:
    return world.service(f"docker-registry:{endpoint.api}", lambda: Registry(endpoint, world.env))


class _ImageStep(BaseStep):
    def __init__(self, policy: Policy, pkg: Package, version: Version) -> None:
        self.policy = policy
        self.pkg = pkg
        self.version = version
        self.endpoint = registry_endpoint(policy.repositories.docker_registry)
        self.repo = repository(pkg, self.endpoint)
        self.ref = image_ref(pkg, self.endpoint)
        self.vtag = version.docker_tag()

    def _recorded_digest(self, world: World, tag: str) -> str:
        return (world.journal.facts(f"push:{self.pkg.ref}").get("digests") or {}).get(tag, "")

    def _registry_holds_ours(self, world: World, m: Manifest, commit: str) -> tuple[bool, str]:
        """Is the version tag in the registry this release's image? (yes, why-not)."""
        if self._recorded_digest(world, self.vtag) == m.digest:
            return True, ""
        labels = _registry(world, self.endpoint).labels(self.repo, m)
        rev = labels.get(LABEL_REVISION, "")
        if commit and rev == commit:
            return True, ""
        if not rev:
            why = "an image without a revision label (not built by this release)"
        elif not commit:
            why = f"an image built from {rev[:12]} (no release commit yet to compare)"
        else:
            why = f"an image built from {rev[:12]}, not from the release commit {commit[:12]}"
        return False, why


class BuildImage(_ImageStep):
    """Build the image of one docker package from the release commit."""

    irreversible = False
    # "build" when publish.build_steps puts it before the push and it needs no other package of
    # the release: the engine may then build it beside other independent builds
    parallel_group = ""

    def __init__(self, policy: Policy, pkg: Package, version: Version) -> None:
        super().__init__(policy, pkg, version)
        self.name = f"image:{pkg.ref}"

    def describe(self) -> str:
        context, dockerfile = export_paths(self.pkg)
        return f"Build image {self.ref}:{self.vtag} from the release commit ({dockerfile}, context {context})"

    def probe(self, world: World) -> Probe:
        commit = world.release_commit
        m = _registry(world, self.endpoint).manifest(self.repo, self.vtag)
        if m is not None:
            ours, why = self._registry_holds_ours(world, m, commit)
            if not ours:
                return Probe.clash(
                    f"registry already holds {self.ref}:{self.vtag} ({m.digest}): {why}; "
                    "tags are immutable",
                    registry_digest=m.digest,
                )
            return Probe.yes(
                f"{self.ref}:{self.vtag} is already in the registry ({m.digest[:19]})",
                image=self.ref,
                image_id=m.identity,
                source="registry",
                revision=commit,
            )
        local = _docker(world).image(f"{self.ref}:{self.vtag}")
        if local is not None and commit and local[1].get(LABEL_REVISION) == commit:
            return Probe.yes(
                f"image {self.ref}:{self.vtag} is built from {commit[:12]}",
                image=self.ref,
                image_id=local[0],
                source="local",
                revision=commit,
            )
        if not commit:
            return Probe.no("the release commit is not known yet (it is built once tagged)")
        return Probe.no(f"image {self.ref}:{self.vtag} not built yet")

    def apply(self, world: World) -> dict[str, Any]:
        commit = world.release_commit
        if not commit:
            raise ReleaseError(
                f"{self.name}: no release commit to build from",
                "run the commit and tag steps first",
            )
        context, dockerfile = export_paths(self.pkg)
        root = Path(world.work_dir) / "docker" / self.pkg.slug
        export_tree(world.repo, commit, [context, dockerfile], root, self.pkg.slug)
        if not (root / dockerfile).is_file():
            raise ConfigError(
                f"package {self.pkg.name!r}: {dockerfile} does not exist at {commit[:12]}",
                "fix [tool.release].packages dockerfile/path",
            )
        if not (root / context).is_dir():
            raise ConfigError(
                f"package {self.pkg.name!r}: context {context} is not a directory at {commit[:12]}",
                "fix [tool.release].packages context/path",
            )
        docker = _docker(world)
        tags = docker_tags(self.version, world.is_latest)
        labels = {LABEL_REVISION: commit, LABEL_VERSION: self.version.pep440()}
        argv = build_argv(
            self.ref,
            tags,
            root / context,
            root / dockerfile,
            render_build_args(self.pkg, self.version),
            labels,
            self.pkg.network or docker.network,
        )
        docker.build(argv, cwd=root)
        local = docker.image(f"{self.ref}:{self.vtag}")
        if local is None:
            raise ReleaseError(
                f"{self.name}: docker build finished but {self.ref}:{self.vtag} is missing"
            )
        return {
            "image": self.ref,
            "tags": tags,
            "image_id": local[0],
            "revision": commit,
            "dockerfile": dockerfile,
            "context": context,
            "source": "built",
        }


class PushImage(_ImageStep):
    """Push the version tag (and `latest` for the highest final); verify the registry's digests."""

    irreversible = True

    def __init__(self, policy: Policy, pkg: Package, version: Version) -> None:
        super().__init__(policy, pkg, version)
        self.name = f"push:{pkg.ref}"
        self._pushed: dict[str, str] = {}

    def describe(self) -> str:
        extra = "an RC never moves latest" if self.version.is_rc else "and latest if highest final"
        return f"Push {self.ref}:{self.vtag} ({extra}); record and verify the digest"

    def _expected_identity(self, world: World) -> str:
        built = world.journal.facts(f"image:{self.pkg.ref}").get("image_id", "")
        if built:
            return built
        local = _docker(world).image(f"{self.ref}:{self.vtag}")
        commit = world.release_commit
        if local is not None and commit and local[1].get(LABEL_REVISION) == commit:
            return local[0]
        return ""

    def _latest(self, world: World, version_digest: str) -> tuple[str, str]:
        """State of `latest` for this release: ("ours" | "left" | "move", detail).

        "ours": it points at the version's digest; "left": it is not ours to move (not the
        highest final, or it already holds a higher final); "move": it must be pushed.
        """
        if not world.is_latest:
            return "left", "latest not moved (not the highest final)"
        reg = _registry(world, self.endpoint)
        cur = reg.manifest(self.repo, LATEST)
        if cur is None:
            return "move", "latest does not exist yet"
        if cur.digest == version_digest:
            return "ours", "latest points at it"
        held = version_of_label(reg.labels(self.repo, cur).get(LABEL_VERSION))
        if moved_on(LATEST, held, self.version):
            return "left", f"latest stays at the higher {held}"
        return "move", f"latest points at {cur.digest[:19]}" + (f" ({held})" if held else "")

    def probe(self, world: World) -> Probe:
        reg = _registry(world, self.endpoint)
        m = reg.manifest(self.repo, self.vtag)
        if m is None:
            return Probe.no(f"{self.ref}:{self.vtag} is not in the registry yet")
        recorded = self._recorded_digest(world, self.vtag)
        if recorded != m.digest:
            expected = self._expected_identity(world)
            if expected and expected != m.identity:
                return Probe.clash(
                    f"registry holds {self.ref}:{self.vtag} as {m.digest} (image {m.identity[:19]}), "
                    f"not the image built for this release ({expected[:19]}); tags are immutable",
                    registry_digest=m.digest,
                )
            if not expected:
                ours, why = self._registry_holds_ours(world, m, world.release_commit)
                if not ours:
                    return Probe.clash(
                        f"registry holds {self.ref}:{self.vtag} ({m.digest}): {why}; "
                        "tags are immutable",
                        registry_digest=m.digest,
                    )
        state, latest = self._latest(world, m.digest)
        digests = {self.vtag: m.digest}
        if state == "ours":
            digests[LATEST] = m.digest
        facts = {"image": self.ref, "digest": m.digest, "digests": digests, "image_id": m.identity}
        if state == "move":
            return Probe.no(f"{self.vtag} is in the registry; {latest}", **facts)
        return Probe.yes(f"{self.ref}:{self.vtag} = {m.digest[:19]}; {latest}", **facts)

    def apply(self, world: World) -> dict[str, Any]:
        docker = _docker(world)
        reg = _registry(world, self.endpoint)
        source = f"{self.ref}:{self.vtag}"
        pushed: dict[str, str] = {}
        m = reg.manifest(self.repo, self.vtag)
        if m is None:
            if docker.image(source) is None:
                raise ReleaseError(
                    f"{self.name}: image {source} is not built here",
                    f"re-run so image:{self.pkg.ref} builds it",
                )
            pushed[self.vtag] = docker.push(source) or self._served(reg, self.vtag)
        else:
            pushed[self.vtag] = m.digest
        state, _ = self._latest(world, pushed[self.vtag])
        if state == "move":
            if docker.image(source) is None:
                docker.pull(source)  # built elsewhere / earlier: move latest to what is served
            docker.tag(source, f"{self.ref}:{LATEST}")
            pushed[LATEST] = docker.push(f"{self.ref}:{LATEST}") or self._served(reg, LATEST)
        self._pushed = pushed
        return {"image": self.ref, "digest": pushed[self.vtag], "digests": dict(pushed)}

    def _served(self, reg: Registry, tag: str) -> str:
        m = reg.manifest(self.repo, tag)
        return m.digest if m else ""

    def verify(self, world: World) -> Probe:
        if not self._pushed:
            return self.probe(world)
        reg = _registry(world, self.endpoint)
        served: dict[str, str] = {}
        for tag, digest in self._pushed.items():
            m = reg.manifest(self.repo, tag)
            served[tag] = m.digest if m else ""
            if not m:
                return Probe.no(f"registry does not serve {self.ref}:{tag} after the push")
            if digest and m.digest != digest:
                return Probe.no(
                    f"registry serves {m.digest} for {self.ref}:{tag}, the push reported {digest}"
                )
        after = self.probe(world)
        if after.conflict or not after.done:
            return after
        return Probe.yes(
            after.detail,
            image=self.ref,
            digest=served[self.vtag],
            digests=served,
            image_id=after.facts.get("image_id", ""),
        )


def export_tree(repo: Any, commit: str, paths: list[str], dest: Path, name: str) -> None:
    """Extract `paths` of `commit` into a clean `dest` (what was tagged, not the work tree)."""
    from release.adapters.artifacts import archive_into

    specs = sorted(set(paths))
    if "." in specs:
        specs = ["."]
    for spec in specs:
        if spec != "." and not repo.git("cat-file", "-e", f"{commit}:{spec}", check=False).ok:
            raise ConfigError(
                f"package {name!r}: {spec} does not exist at {commit[:12]}",
                "fix [tool.release].packages path/context/dockerfile, or tag a commit that has it",
            )
    archive_into(
        repo, commit, specs, dest, name, "fix [tool.release].packages path/context/dockerfile"
    )


# ---- plan hooks --------------------------------------------------------------------------------


def docker_packages(policy: Policy) -> list[Package]:
    """Every image in dependency order, one per variant (`Policy.images`)."""
    return policy.images()


def image_steps(policy: Policy, version: Version) -> list[BuildImage]:
    """`image:<name>` (`image:<name>[<variant>]`) for every docker image, in dependency order."""
    return [BuildImage(policy, p, version) for p in docker_packages(policy)]


def push_steps(policy: Policy, version: Version) -> list[PushImage]:
    """`push:<name>` (`push:<name>[<variant>]`) for every docker image, in dependency order."""
    return [PushImage(policy, p, version) for p in docker_packages(policy)]


# ---- release.verify ----------------------------------------------------------------------------

Difference = tuple[str, str, str]  # (item, expected, actual)


def verify(
    policy: Policy,
    version: Version,
    facts: Mapping[str, Mapping[str, Any]],
    env: Mapping[str, str] | None = None,
    registry: Callable[[Endpoint], Registry] | None = None,
) -> list[Difference]:
    """Re-check a release's images against its journal facts: every recorded tag must still
    serve the recorded digest (`latest` may have moved on to a higher final)."""
    if not docker_packages(policy):
        return []
    endpoint = registry_endpoint(policy.repositories.docker_registry)
    reg = registry(endpoint) if registry else Registry(endpoint, env or {})
    diffs: list[Difference] = []
    vtag = version.docker_tag()
    for pkg in docker_packages(policy):
        repo, ref = repository(pkg, endpoint), image_ref(pkg, endpoint)
        pushed = facts.get(f"push:{pkg.ref}") or {}
        digests = dict(pushed.get("digests") or {})
        if vtag not in digests:
            m = reg.manifest(repo, vtag)
            diffs.append(
                (
                    f"image {ref}:{vtag}",
                    "a pushed digest in the journal",
                    f"no record (registry: {m.digest if m else 'missing'})",
                )
            )
            continue
        for tag, digest in sorted(digests.items()):
            m = reg.manifest(repo, tag)
            if m is not None and m.digest == digest:
                continue
            if tag == LATEST and m is not None:
                held = version_of_label(reg.labels(repo, m).get(LABEL_VERSION))
                if moved_on(LATEST, held, version):
                    continue  # a higher final moved latest on, as it should
            diffs.append((f"image {ref}:{tag}", digest, m.digest if m else "missing"))
    return diffs


def verify_world(world: World) -> list[Difference]:
    """`verify` for a World (policy, version, journal and env from it)."""
    return verify(world.policy, world.version, world.journal.all_facts(), env=world.env)
