# fixture.bash — sourced by tide-recommend's CLI cases: builds a small fixture (dataset + one
# model dir per algorithm, integer factors so scores are exact) with the synth module's random
# models (tide_synth_models_write, through the test-synth helper), which every test build has.
GEN="$TIDE_BIN/../tests/test-synth"
[ -x "$GEN" ] || fail "$GEN not built"
fixture() { # fixture DIR [extra generator options]
    local dir="$1"; shift
    "$GEN" --models "$dir" --int --users 60 --items 45 --dim 4 --seen 6 --seed 7 "$@" || fail "fixture generation failed"
}
