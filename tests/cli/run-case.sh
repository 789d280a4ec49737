#!/usr/bin/env bash
# run-case.sh CASE.sh — runs one CLI test case in a fresh temporary directory $T with the
# helpers of lib.sh; the case passes when it exits 0.
set -euo pipefail
case_file="$1"
base="${TIDE_TEST_TMP:-/tmp}/cli"
mkdir -p "$base"
T=$(mktemp -d "$base/$(basename "$(dirname "$case_file")")-$(basename "$case_file" .sh).XXXXXX")
export T
DATA="${TIDE_SHARED_DATA:-}"
SRC="${TIDE_SOURCE_DIR:-}"
cd "$T"
source "$(dirname "$0")/lib.sh"
source "$case_file"
rm -rf "$T"
