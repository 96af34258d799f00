#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, and nothing when it is already there:
# Debian's emscripten (nearc compiles contracts with it) and postgresql (issuer tests), a venv in
# .venv, and the project's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v emcc >/dev/null 2>&1 || need_apt+=(emscripten)
command -v make >/dev/null 2>&1 || need_apt+=(make)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
# The issuer service's storage tests run against a real PostgreSQL server (started by the tests).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "bootstrap: installing ${need_apt[*]} with apt-get"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv"
    python3 -m venv .venv
fi

# Reinstall only when the dependency list changed since the last install.
stamp=.venv/.installed-pyproject
if [ ! -f "$stamp" ] || ! cmp -s pyproject.toml "$stamp"; then
    echo "bootstrap: installing Python packages into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
    cp pyproject.toml "$stamp"
fi
