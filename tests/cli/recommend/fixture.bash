# fixture.bash — sourced by tide-recommend's CLI cases: builds a small fixture (dataset + one
# model dir per algorithm, integer factors so scores are exact) with bench-recommend gen, which
# is part of the build when benchmarks are on; skips (77) otherwise.
GEN="$TIDE_BIN/bench-recommend"
[ -x "$GEN" ] || { echo "skip: $GEN not built (TIDE_BUILD_BENCH=OFF)"; exit 77; }
fixture() { # fixture DIR [extra gen args]
    local dir="$1"; shift
    "$GEN" gen --out "$dir" --int --users 60 --items 45 --dim 4 --seen 6 --seed 7 "$@" || fail "fixture generation failed"
}
