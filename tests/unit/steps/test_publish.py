"""Publishing, pure parts and step logic with stand-ins: wheel checks, index parsing, dist-tags,
bounded polling, dependency order, and secrets kept out of messages."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from release.adapters import artifacts as b
from release.adapters import pypi
from release.adapters.npm import Npm, tag_ok
from release.adapters.runner import CommandError
from release.commands.verify import Finding, raise_for
from release.core.latest import npm_dist_tag as dist_tag
from release.core.policy import policy_from_table
from release.core.version import Version
from release.errors import RemoteError
from release.journal import Journal
from release.steps.publish import PublishPython, build_steps, needs_published, publish_steps

V = Version.parse("0.1.0")


def wheel(
    tmp_path: Path,
    files: dict[str, str],
    name: str = "demo_client",
    version: str = "0.1.0",
    filename: str | None = None,
) -> Path:
    path = tmp_path / (filename or f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as zf:
        for n, text in files.items():
            zf.writestr(n, text)
        zf.writestr(
            f"{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n",
        )
        zf.writestr(f"{name}-{version}.dist-info/RECORD", "")
    return path


# ---- wheel contents ---------------------------------------------------------------------------


def test_a_good_wheel_has_no_problems(tmp_path):
    w = wheel(tmp_path, {"demo_client/__init__.py": "", "demo_client/api.py": ""})
    assert pypi.wheel_problems(w, V) == []
    assert pypi.wheel_problems(w, V, ["demo_client"], "demo-client") == []


def test_an_empty_wheel_is_refused(tmp_path):
    w = wheel(tmp_path, {})
    assert pypi.wheel_problems(w, V) == ["the wheel is empty: it ships no Python module"]


def test_a_mis_versioned_wheel_is_refused(tmp_path):
    w = wheel(
        tmp_path,
        {"demo_client/__init__.py": ""},
        version="0.0.9",
        filename="demo_client-0.1.0-py3-none-any.whl",
    )
    assert pypi.wheel_problems(w, V) == ["metadata Version is 0.0.9, the release is 0.1.0"]
    w2 = wheel(tmp_path, {"demo_client/__init__.py": ""}, version="0.0.9")
    assert "file name carries version 0.0.9, the release is 0.1.0" in pypi.wheel_problems(w2, V)


def test_rc_versions_compare_canonically(tmp_path):
    w = wheel(tmp_path, {"demo_client/__init__.py": ""}, version="0.2.0rc1")
    assert pypi.wheel_problems(w, Version.parse("0.2.0rc1")) == []
    assert pypi.wheel_problems(w, Version.parse("0.2.0rc2"))


def test_stray_top_level_files_and_missing_packages_are_named(tmp_path):
    w = wheel(tmp_path, {"demo_client/__init__.py": "", "tests/test_x.py": "", "setup.py": ""})
    problems = pypi.wheel_problems(w, V)
    assert problems == ["stray top-level file(s): setup.py, tests (only demo_client expected)"]
    problems = pypi.wheel_problems(w, V, ["demo_client", "demo_extra"])
    assert "expected top-level package(s) missing: demo_extra" in problems


def test_extension_modules_and_pth_files_are_not_stray(tmp_path):
    w = wheel(
        tmp_path,
        {
            "demo_client/__init__.py": "",
            "demo_client.cpython-311-x86_64-linux-gnu.so": "",
            "demo_client.pth": "",
        },
    )
    assert pypi.wheel_problems(w, V) == []


def test_a_wheel_with_another_name_is_refused(tmp_path):
    w = wheel(tmp_path, {"other/__init__.py": ""}, name="other")
    problems = pypi.wheel_problems(w, V, ["demo_client"], "demo-client")
    assert problems[0] == "metadata Name is 'other', expected 'demo-client'"


def test_sdist_version_from_file_name():
    assert pypi.sdist_problems(Path("demo_client-0.1.0.tar.gz"), V) == []
    assert pypi.sdist_problems(Path("demo_client-0.0.9.tar.gz"), V) == [
        "demo_client-0.0.9.tar.gz carries version 0.0.9, the release is 0.1.0"
    ]


def test_not_a_zip_is_an_artifact_error(tmp_path):
    bad = tmp_path / "x-0.1.0-py3-none-any.whl"
    bad.write_bytes(b"nope")
    with pytest.raises(pypi.ArtifactError, match="not a readable wheel"):
        pypi.wheel_problems(bad, V)


# ---- the simple API -----------------------------------------------------------------------------

HTML = """<!DOCTYPE html><html><body><h1>Links for demo-client</h1>
<a href="/packages/demo_client-0.1.0-py3-none-any.whl#sha256=AAAA">demo_client-0.1.0-py3-none-any.whl</a><br>
<a href="../../packages/demo_client-0.1.0.tar.gz#sha256=bbbb" data-requires-python="&gt;=3.10">demo_client-0.1.0.tar.gz</a>
<a href="https://files.example/x/demo_client-0.0.1.tar.gz">demo_client-0.0.1.tar.gz</a>
</body></html>"""


def test_parse_simple_html_gives_names_urls_and_hashes():
    files = pypi.parse_simple_html(HTML, "http://idx/simple/demo-client/")
    assert sorted(files) == [
        "demo_client-0.0.1.tar.gz",
        "demo_client-0.1.0-py3-none-any.whl",
        "demo_client-0.1.0.tar.gz",
    ]
    whl = files["demo_client-0.1.0-py3-none-any.whl"]
    assert (
        whl.url == "http://idx/packages/demo_client-0.1.0-py3-none-any.whl" and whl.sha256 == "aaaa"
    )
    assert files["demo_client-0.1.0.tar.gz"].url == "http://idx/packages/demo_client-0.1.0.tar.gz"
    assert files["demo_client-0.0.1.tar.gz"].sha256 is None


def test_parse_simple_json():
    data = {
        "meta": {"api-version": "1.1"},
        "name": "demo-client",
        "files": [
            {
                "filename": "demo_client-0.1.0.tar.gz",
                "url": "../../packages/demo_client-0.1.0.tar.gz",
                "hashes": {"sha256": "CCCC"},
            },
            {
                "filename": "demo_client-0.1.0-py3-none-any.whl",
                "url": "https://cdn/x.whl",
                "hashes": {},
            },
        ],
    }
    files = pypi.parse_simple_json(data, "https://idx/simple/demo-client/")
    assert files["demo_client-0.1.0.tar.gz"].sha256 == "cccc"
    assert files["demo_client-0.1.0.tar.gz"].url == "https://idx/packages/demo_client-0.1.0.tar.gz"
    assert files["demo_client-0.1.0-py3-none-any.whl"].sha256 is None


def test_compare_same_missing_other():
    c = pypi.compare({"a": "11", "b": "22", "c": "33"}, {"a": "11", "c": "99", "z": "00"})
    assert c.present == ["a"] and c.missing == ["b"] and c.conflicting == {"c": ("33", "99")}
    assert not c.complete
    assert pypi.compare({"a": "AB"}, {"a": "ab"}).complete


def test_project_names_are_normalized():
    assert pypi.normalize("Llama_Stack.Client") == "llama-stack-client"
    assert (
        pypi.SimpleIndex("http://i/simple").project_url("Demo_Client")
        == "http://i/simple/demo-client/"
    )
    assert pypi.default_import_names("llama-stack-client") == ["llama_stack_client"]


# ---- npm dist-tags ------------------------------------------------------------------------------


def test_dist_tag_rules():
    assert dist_tag(Version.parse("0.4.0rc1"), False) == "rc"
    assert dist_tag(Version.parse("0.4.0rc1"), True) == "rc"  # an RC is never latest
    assert dist_tag(Version.parse("0.4.0"), True) == "latest"
    assert dist_tag(Version.parse("0.3.7"), False) == "release-0.3"


def test_a_dist_tag_that_moved_on_still_serves_the_release():
    v = Version.parse("0.3.1")
    assert tag_ok("latest", "0.3.1", v)[0]
    assert tag_ok("latest", "0.4.0", v)[0]  # a higher final moved it on
    assert not tag_ok("latest", "0.4.0-rc.1", v)[0]  # an RC is not a legitimate latest
    assert not tag_ok("latest", "0.3.0", v)[0]
    assert not tag_ok("latest", None, v)[0]
    assert tag_ok("release-0.3", "0.3.2", v)[0]
    assert not tag_ok("release-0.3", "0.4.0", v)[0]  # another line
    rc = Version.parse("0.4.0rc1")
    assert tag_ok("rc", "0.4.0-rc.2", rc)[0] and not tag_ok("rc", "0.3.9", rc)[0]


def test_npm_token_goes_into_a_userconfig_as_a_variable_never_as_text(tmp_path):
    token = "npm_" + "A1b2C3d4" * 5
    npm = Npm("http://127.0.0.1:4873", {"NPM_TOKEN": token}, tmp_path)
    rc = Path(npm.env["NPM_CONFIG_USERCONFIG"]).read_text()
    assert "//127.0.0.1:4873/:_authToken=${NPM_TOKEN}" in rc and token not in rc
    assert npm.registry == "http://127.0.0.1:4873/"


# ---- bounded polling ----------------------------------------------------------------------------


def test_poll_backs_off_until_true():
    calls, sleeps = [], []

    def check():
        calls.append(1)
        return len(calls) >= 4

    assert b.poll(check, sleep=sleeps.append)
    assert sleeps == [0.25, 0.5, 1.0]


def test_poll_is_bounded():
    sleeps: list[float] = []
    assert not b.poll(lambda: False, sleep=sleeps.append, limit=5)
    assert sleeps == [0.25, 0.5, 1.0, 2.0, 1.25]  # the last wait is cut to the bound
    sleeps.clear()
    assert not b.poll(lambda: False, sleep=sleeps.append, limit=0)
    assert sleeps == []


def test_wait_env_must_be_a_number():
    assert b.max_wait({"RELEASE_PUBLISH_WAIT": "12"}) == 12
    assert b.max_wait({}) == sum(b.BACKOFF)
    with pytest.raises(Exception, match="RELEASE_PUBLISH_WAIT"):
        b.max_wait({"RELEASE_PUBLISH_WAIT": "soon"})


# ---- the publish step against a stand-in index ---------------------------------------------------


class FakeIndex:
    """Serves `files` only after `after` reads (an index that lags behind its upload API)."""

    def __init__(self, files: dict[str, str], after: int = 0) -> None:
        self.served = files
        self.after = after
        self.reads = 0

    def files(self, project):
        self.reads += 1
        shown = self.served if self.reads > self.after else {}
        return {n: pypi.RemoteFile(n, f"http://idx/{n}", sha) for n, sha in shown.items()}

    def sha256_of(self, f):
        return f.sha256


POLICY = policy_from_table(
    {
        "repositories": {
            "pypi_simple": "http://idx/simple/",
            "testpypi_simple": "http://test/simple/",
        },
        "packages": [{"name": "demo-client", "kind": "python", "path": "client"}],
    }
)


def fake_world(tmp_path, index, version="0.1.0", wait="60"):
    journal = Journal(tmp_path / "j.json")
    journal.record(
        "build:demo-client",
        "verified",
        {
            "project": "demo-client",
            "files": {"a.whl": "11", "a.tar.gz": "22"},
            "dist_dir": str(tmp_path),
        },
    )
    sleeps: list[float] = []
    v = Version.parse(version)
    simple = POLICY.repositories.testpypi_simple if v.is_rc else POLICY.repositories.pypi_simple
    world = SimpleNamespace(
        journal=journal,
        env={"RELEASE_PUBLISH_WAIT": wait},
        services={f"index:{simple}": index, "sleep": sleeps.append},
    )
    world.service = lambda name, factory: world.services.setdefault(name, factory())
    return world, sleeps


def test_publish_probe_same_hash_done_other_hash_clash_missing_not_yet(tmp_path):
    step = PublishPython(POLICY, POLICY.packages[0], V)
    world, _ = fake_world(
        tmp_path, FakeIndex({"a.whl": "11", "a.tar.gz": "22", "old.tar.gz": "99"})
    )
    assert step.probe(world).done
    world, _ = fake_world(tmp_path, FakeIndex({"a.whl": "11"}))
    seen = step.probe(world)
    assert not seen.done and not seen.conflict and "1 of 2" in seen.detail
    world, _ = fake_world(tmp_path, FakeIndex({"a.whl": "ff", "a.tar.gz": "22"}))
    seen = step.probe(world)
    assert "a.whl (ours 11, index ff)" in seen.conflict


def test_an_rc_targets_the_testpypi_role(tmp_path):
    step = PublishPython(POLICY, POLICY.packages[0], Version.parse("0.1.0rc1"))
    assert "TestPyPI (http://test/simple/)" in step.describe()
    world, _ = fake_world(
        tmp_path, FakeIndex({"a.whl": "11", "a.tar.gz": "22"}), version="0.1.0rc1"
    )
    assert step.probe(world).done


def test_verify_waits_with_backoff_until_the_index_serves(tmp_path):
    step = PublishPython(POLICY, POLICY.packages[0], V)
    world, sleeps = fake_world(tmp_path, FakeIndex({"a.whl": "11", "a.tar.gz": "22"}, after=3))
    assert step.verify(world).done
    assert sleeps == [0.25, 0.5, 1.0]


def test_verify_gives_up_after_the_bound(tmp_path):
    step = PublishPython(POLICY, POLICY.packages[0], V)
    world, sleeps = fake_world(
        tmp_path, FakeIndex({"a.whl": "11", "a.tar.gz": "22"}, after=10**6), wait="3"
    )
    seen = step.verify(world)
    assert not seen.done and "still not served after 3s" in seen.detail
    assert sum(sleeps) == 3


# ---- dependency order and the docker helper's steps ----------------------------------------------


def test_steps_follow_depends_on_and_images_needing_an_index_build_after_it():
    policy = policy_from_table(
        {
            "packages": [
                {"name": "server", "kind": "python", "path": "server", "depends_on": ["client"]},
                {"name": "client", "kind": "python", "path": "client"},
                {"name": "client-js", "kind": "npm", "path": "js"},
                {
                    "name": "distro",
                    "kind": "docker",
                    "image": "acme/distro",
                    "depends_on": ["server"],
                },
                {"name": "base", "kind": "docker", "image": "acme/base"},
            ]
        }
    )
    assert needs_published(policy, policy.package("distro")) and not needs_published(
        policy, policy.package("base")
    )
    builds = [s.name for s in build_steps(policy, V)]
    publishes = [s.name for s in publish_steps(policy, V)]
    assert builds == ["build:client", "build:server", "pack:client-js", "image:base"]
    assert publishes == [
        "publish:client",
        "publish:server",
        "publish:client-js",
        "image:distro",
        "push:distro",
        "push:base",
    ]
    assert len(set(builds + publishes)) == len(builds + publishes)
    assert all(s.irreversible for s in publish_steps(policy, V) if s.name.startswith("publish:"))


# ---- secrets ------------------------------------------------------------------------------------


def test_a_failed_upload_never_says_the_password(monkeypatch, tmp_path):
    password = "pw-" + "s3cr3t" * 4
    seen_argv: list[list[str]] = []

    def fake_run(argv, **kw):
        seen_argv.append(list(argv))
        assert kw["env"]["TWINE_PASSWORD"] == password  # passed through the environment ...
        raise CommandError(argv, 1, "", f"HTTPError: 403 Forbidden for user releaser:{password}")

    monkeypatch.setattr(pypi, "run", fake_run)
    with pytest.raises(RemoteError) as exc:
        pypi.upload(
            [tmp_path / "a.whl"],
            "http://idx/",
            env={"TWINE_USERNAME": "releaser", "TWINE_PASSWORD": password},
        )
    assert password not in exc.value.one_line()  # ... never in argv or the message
    assert password not in " ".join(seen_argv[0])
    assert "TWINE_USERNAME and TWINE_PASSWORD" in exc.value.one_line()


def test_verify_failure_names_the_items():
    rows = [
        Finding("git tag v0.1.0 on origin", "abc", "abc", True),
        Finding("python x-0.1.0.tar.gz on http://idx/simple/", "11", "22", False),
    ]
    with pytest.raises(
        Exception, match=r"1 item\(s\) differ from the journal: python x-0.1.0.tar.gz"
    ) as exc:
        raise_for("0.1.0", rows)
    assert exc.value.exit_code == 4
    raise_for("0.1.0", rows[:1])  # all good: no error


def test_verify_says_unreachable_with_its_own_exit_code_not_tampering():
    from release.errors import ConflictError, RemoteError

    down = [
        Finding("git tag v0.1.0 on origin", "abc", "abc", True),
        Finding("npm x@0.1.0", "reachable", "unreachable (ECONNREFUSED)", False, True),
    ]
    with pytest.raises(RemoteError) as err:
        raise_for("0.1.0", down)
    assert err.value.exit_code == 5 and "could not be checked" in err.value.message
    with pytest.raises(ConflictError):  # a real difference still wins
        raise_for("0.1.0", [*down, Finding("python x.whl", "11", "22", False)])


def test_npm_reads_never_use_a_shared_cache_and_fail_within_the_timeout(tmp_path):
    from release.adapters.npm import Npm

    a, b = Npm("http://127.0.0.1:1/", {"RELEASE_NETWORK_TIMEOUT": "7"}), Npm("http://127.0.0.1:1/")
    assert a.env["npm_config_cache"] != b.env["npm_config_cache"]
    assert a.timeout == 7 and a.env["npm_config_fetch_timeout"] == "7000"
    assert a.env["npm_config_logs_max"] == "0"
