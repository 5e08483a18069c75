"""release.runner.redact: token shapes, URL credentials, Authorization headers, configured secrets;
and the one-door rule: no shell anywhere in release/ (the source is read, not trusted)."""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path

import pytest

from release.adapters import runner
from release.adapters.runner import MASK, CommandError, redact, register_secret
from release.errors import ReleaseError

RELEASE_DIR = Path(__file__).resolve().parents[3] / "release"

A36 = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # 36 alphanumerics, like a classic GitHub token body

# (text with a secret, the secret that must be gone, what must stay)
SHAPES = [
    pytest.param(f"token ghp_{A36} rejected", f"ghp_{A36}", "token", id="github-classic"),
    pytest.param(f"gho_{A36}", f"gho_{A36}", "", id="github-oauth"),
    pytest.param(f"ghs_{A36}", f"ghs_{A36}", "", id="github-app-installation"),
    pytest.param(f"ghu_{A36}", f"ghu_{A36}", "", id="github-user-to-server"),
    pytest.param(f"ghr_{A36}", f"ghr_{A36}", "", id="github-refresh"),
    pytest.param(
        f"using github_pat_11ABCDEFG0_{A36}",
        f"github_pat_11ABCDEFG0_{A36}",
        "using",
        id="github-fine-grained",
    ),
    pytest.param(
        f"pypi-AgEIcHlwaS5vcmcCJ{A36}", f"pypi-AgEIcHlwaS5vcmcCJ{A36}", "", id="pypi-api-token"
    ),
    pytest.param(f"npm_{A36}", f"npm_{A36}", "", id="npm-automation-token"),
    pytest.param(
        "xoxb-1234567890-0987654321-abcdefghij",
        "xoxb-1234567890-0987654321-abcdefghij",
        "",
        id="slack-bot-token",
    ),
    pytest.param(
        "https://releaser:s3cr3t-pw@pypi.example.org/legacy/",
        "s3cr3t-pw",
        "https://***@pypi.example.org/legacy/",
        id="url-user-password",
    ),
    pytest.param(
        "http://__token__:pypi-short@127.0.0.1:8080/",
        "pypi-short",
        "127.0.0.1:8080",
        id="url-token-user",
    ),
    pytest.param(
        f"git push https://x-access-token:ghs_{A36}@github.com/o/r main",
        f"ghs_{A36}",
        "github.com/o/r main",
        id="url-in-git-argv",
    ),
    pytest.param(
        "ssh://deploy:hunter2hunter2@git.example.org/r.git",
        "hunter2hunter2",
        "git.example.org",
        id="url-ssh-password",
    ),
    pytest.param(
        "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.SflKxwRJSM",
        "eyJhbGciOi.eyJzdWIiOi.SflKxwRJSM",
        "Authorization: Bearer ***",
        id="authorization-bearer",
    ),
    pytest.param(
        "authorization: token 0123456789abcdef0123",
        "0123456789abcdef0123",
        "authorization: token",
        id="authorization-token-lowercase",
    ),
    pytest.param(
        "Authorization: Basic cmVsZWFzZXI6czNjcjN0",
        "cmVsZWFzZXI6czNjcjN0",
        "Basic",
        id="authorization-basic",
    ),
    pytest.param(
        "headers={'Authorization': 'Bearer abc.def.ghi1234'}",
        "abc.def.ghi1234",
        "Authorization",
        id="authorization-in-a-dict-repr",
    ),
    pytest.param(
        '{"authorization": "token sekrit-value-42"}',
        "sekrit-value-42",
        "authorization",
        id="authorization-in-json",
    ),
    pytest.param(
        "//registry.npmjs.org/:_authToken=abcdef0123456789",
        "abcdef0123456789",
        "_authToken=",
        id="npmrc-auth-token",
    ),
    pytest.param(
        "https://discord.com/api/webhooks/123456789/AbC-dEf_GhI-jKl",
        "AbC-dEf_GhI-jKl",
        "https://discord.com/api/webhooks/123456789/",
        id="discord-webhook",
    ),
    pytest.param(
        "https://discordapp.com/api/webhooks/1/tOkEn_123?wait=true",
        "tOkEn_123",
        "?wait=true",
        id="discordapp-webhook-with-query",
    ),
    pytest.param(
        "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX",
        "XXXXsecretXXXX",
        "https://hooks.slack.com/services/",
        id="slack-webhook",
    ),
]


@pytest.mark.parametrize(("text", "secret", "kept"), SHAPES)
def test_token_shapes_are_masked_without_being_configured(text, secret, kept):
    out = redact(text, {})
    assert secret not in out
    assert MASK in out
    assert kept in out


@pytest.mark.parametrize(
    "text",
    [
        "v0.4.0rc1 tagged at 3f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c",  # a commit sha is not a secret
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "https://pypi.org/simple/llama-stack-client/",
        "https://github.com/meta-llama/llama-stack/releases/tag/v0.4.0",
        "uploaded llama_stack_client-0.4.0-py3-none-any.whl",
        "ghp_short",  # too short to be a token
        "npm error code E409",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact(text, {}) == text


def test_configured_secrets_are_masked_by_env_name(monkeypatch):
    monkeypatch.setattr(runner, "_extra_secrets", set())  # only what the environment names
    env = {
        "TWINE_PASSWORD": "hunter2-but-longer",
        "DOCKER_PASSWORD": "dckr-pw-77",
        "DISCORD_RELEASES_WEBHOOK": "http://127.0.0.1:9/api/hooks/whatever",
        "SOME_API_KEY": "k3y-k3y",
        "MY_SECRET": "classified",
        "HTTP_AUTH": "user-pass-blob",
        "TWINE_USERNAME": "releaser",
    }
    text = " | ".join(env.values())
    out = redact(text, env)
    for name, value in env.items():
        if name == "TWINE_USERNAME":
            assert value in out  # a user name is not a secret
        else:
            assert value not in out, name


def test_longest_secret_is_masked_first(monkeypatch):
    monkeypatch.setattr(runner, "_extra_secrets", set())
    env = {"A_TOKEN": "abcd", "B_TOKEN": "abcdefgh-longer"}
    assert redact("x abcdefgh-longer y", env) == "x *** y"


def test_tiny_values_are_not_treated_as_secrets(monkeypatch):
    monkeypatch.setattr(runner, "_extra_secrets", set())
    # a 3-character "secret" would mask every occurrence of ordinary text
    assert redact("pw is abc", {"TWINE_PASSWORD": "abc"}) == "pw is abc"


def test_registered_secret_is_masked_wherever_it_appears(monkeypatch):
    monkeypatch.setattr(runner, "_extra_secrets", set())
    register_secret("read-from-a-file-0xC0FFEE")
    register_secret(None)
    register_secret("")
    assert redact("token=read-from-a-file-0xC0FFEE;", {}) == "token=***;"
    assert "read-from-a-file-0xC0FFEE" in runner.known_secrets({})


def test_command_error_text_is_redacted(monkeypatch):
    monkeypatch.setenv("NPM_TOKEN", "npm-secret-value-123")
    argv = [
        "twine",
        "upload",
        "--repository-url",
        "https://u:pw-in-url@example.org/legacy/",
        "x.whl",
    ]
    err = CommandError(argv, 1, "", "ERROR HTTPError: 403 with npm-secret-value-123 and ghp_" + A36)
    text = err.one_line()
    assert "pw-in-url" not in text and "npm-secret-value-123" not in text and A36 not in text
    assert "exit 1" in text and isinstance(err, ReleaseError)


def test_run_redacts_failures_of_real_commands(monkeypatch):
    import sys

    monkeypatch.setenv("DOCKER_PASSWORD", "dckr-real-cmd-secret")
    code = "import sys; print('error: login failed for dckr-real-cmd-secret', file=sys.stderr); sys.exit(3)"
    with pytest.raises(CommandError) as info:
        runner.run([sys.executable, "-c", code])
    assert "dckr-real-cmd-secret" not in str(info.value)
    assert "exit 3" in str(info.value)
    # the raw output stays on the exception for callers, but every text shown is redacted
    assert "dckr-real-cmd-secret" not in info.value.one_line()


def test_run_refuses_a_shell_string():
    # a string is one argv element (a program name), never a command line for a shell
    with pytest.raises(ReleaseError, match="is not installed"):
        runner.run(["echo hi; touch /tmp/never-created-by-release-kit"])
    assert not Path("/tmp/never-created-by-release-kit").exists()


# ---- no shell anywhere in release/ ----------------------------------------------------------

SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
}
SUBPROCESS_ENTRY = {"run", "Popen", "call", "check_call", "check_output"}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _dotted(func: ast.expr) -> tuple[str, str] | None:
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id, func.attr
    return None


def shell_uses(path: Path) -> list[str]:
    """Every way a shell could be started from `path`, with its line."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for call in _calls(tree):
        where = f"{path.name}:{call.lineno}"
        for kw in call.keywords:
            if kw.arg == "shell" and not (
                isinstance(kw.value, ast.Constant) and kw.value.value is False
            ):
                found.append(f"{where} shell={ast.unparse(kw.value)}")
        name = _dotted(call.func)
        if name in SHELL_CALLS or (
            name and name[0] == "os" and name[1].startswith(("exec", "spawn"))
        ):
            found.append(f"{where} {name[0]}.{name[1]}")
        # invoke's Context.run (c.run / ctx.run) always goes through a shell
        if name and name[0] in ("c", "ctx", "context") and name[1] in ("run", "sudo"):
            found.append(f"{where} {name[0]}.{name[1]} (invoke runs a shell)")
        if (
            path.name != "runner.py"
            and name
            and name[0] == "subprocess"
            and name[1] in SUBPROCESS_ENTRY
        ):
            found.append(f"{where} subprocess.{name[1]} outside release.runner")
    return found


def test_no_shell_anywhere_in_release():
    files = sorted(RELEASE_DIR.rglob("*.py"))
    assert len(files) > 20  # the scan really read the package
    found = [u for f in files for u in shell_uses(f)]
    assert found == [], "shells or subprocesses outside release.runner: " + "; ".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os, subprocess\n"
        "def f(c, x):\n"
        "    subprocess.run(x, shell=True)\n"
        "    os.system(x)\n"
        "    c.run(f'git tag {x}')\n"
        "    subprocess.check_output(['git'])\n"
    )
    found = shell_uses(bad)
    assert len(found) == 5, found  # shell=True also counts as subprocess.run outside the runner


def test_runner_is_the_only_module_importing_subprocess():
    importers = sorted(
        f.name
        for f in RELEASE_DIR.rglob("*.py")
        if any(
            isinstance(n, (ast.Import, ast.ImportFrom))
            and (
                "subprocess" in [a.name for a in n.names]
                if isinstance(n, ast.Import)
                else n.module == "subprocess"
            )
            for n in ast.walk(ast.parse(f.read_text()))
        )
    )
    assert importers == ["runner.py"]


# ---- names are not secrets; secrets in every form --------------------------------------------


def test_a_twine_username_is_a_name_not_a_secret(monkeypatch, tmp_path):
    from release.adapters import pypi

    seen = {}
    monkeypatch.setattr(pypi, "run", lambda argv, **kw: seen.setdefault("argv", argv))
    wheel = tmp_path / "x-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"w")
    env = {"TWINE_USERNAME": "release", "TWINE_PASSWORD": "pw-0123456789"}
    with contextlib.suppress(
        Exception
    ):  # the fake run returns no Result: only the registration counts
        pypi.upload([wheel], "http://127.0.0.1:1/", env=env)
    text = "owner@example.com built .git/release/work/0.1.0 with pw-0123456789"
    assert redact(text) == "owner@example.com built .git/release/work/0.1.0 with ***"


def test_a_token_with_whitespace_is_masked_stripped_and_url_encoded():
    env = {"GITHUB_TOKEN": "  weird token/value+1 \n"}
    assert redact("Authorization: token weird token/value+1", env) == "Authorization: token ***"
    assert "weird" not in redact("https://x/?t=weird%20token%2Fvalue%2B1", env)


def test_release_debug_tracebacks_are_redacted(monkeypatch, capsys):
    from invoke import Config, Context, Exit

    from release.tasks.edge import edge

    monkeypatch.setenv("GITHUB_TOKEN", "tok-abcdef-123456")
    monkeypatch.setenv("RELEASE_DEBUG", "1")

    @edge
    def status(c):
        try:
            raise ValueError("inner tok-abcdef-123456")
        except ValueError as exc:
            raise RuntimeError("outer tok-abcdef-123456") from exc

    with pytest.raises(Exit) as err:
        status(Context(Config()))
    shown = capsys.readouterr().err + str(err.value.message)
    assert "Traceback" in shown and "inner" in shown and "outer" in shown
    assert "tok-abcdef-123456" not in shown
