#!/usr/bin/env bash
# install-deps.sh — installs every system dependency of tide from the distribution's packages
# (Debian/Ubuntu apt), and with --python a virtual environment under build/venv holding the
# Python tooling the tests and benchmarks use (numpy for format interop; more with --bench).
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

want_python=0
want_bench=0
for a in "$@"; do
    case "$a" in
    --python) want_python=1 ;;
    --bench) want_python=1; want_bench=1 ;;
    *) echo "install-deps.sh: unknown option $a" >&2; exit 2 ;;
    esac
done

pkgs=(build-essential cmake pkg-config git jq
      libopenblas-dev liblapacke-dev zlib1g-dev libcjson-dev libutf8proc-dev
      libmicrohttpd-dev
      chromium haproxy
      libopenmpi-dev openmpi-bin python3 python3-venv time
      clang libclang-rt-dev)  # clang + libFuzzer: the fuzz build (scripts/fuzz.sh)

# chromium (81 MB download, 290 MB installed, about a minute) drives tide-serve's page in the
# tests/cli/serve/page.sh browser test; TIDE_NO_BROWSER=1 leaves it out (the test then skips).
# haproxy (2 MB) runs the sharding example of docs/tide-serve.md in tests/cli/serve/shard.sh.
if [ "${TIDE_NO_BROWSER:-0}" = 1 ]; then
    keep=(); for p in "${pkgs[@]}"; do [ "$p" = chromium ] || keep+=("$p"); done; pkgs=("${keep[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "install-deps: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$want_python" -eq 1 ]; then
    if [ ! -x build/venv/bin/python ]; then
        mkdir -p build
        python3 -m venv build/venv
    fi
    py=build/venv/bin/python
    $py -c 'import numpy' 2>/dev/null || $py -m pip install -q --disable-pip-version-check numpy
    if [ "$want_bench" -eq 1 ]; then
        $py -m pip install -q --disable-pip-version-check -r bench/requirements.txt
    fi
fi
