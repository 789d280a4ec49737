# The backend's CPU kernel choice is shown by --version and -v, and the environment overrides of
# docs/environment.md change it.
run tide-train-mf --version
assert_exit 0
assert_stdout_has "kernels: BLAS "
assert_stdout_has "ALS CG rows "
assert_stdout_has "LM dense layers "
TIDE_ALS_PORTABLE=1 TIDE_LM_AMX=0 run tide-embed --version
assert_exit 0
assert_stdout_has "ALS CG rows portable"
grep -q "LM dense layers BLAS sgemm" "$RUN_OUT" || fail "TIDE_LM_AMX=0 did not select the BLAS path"
run tide-split -v --data nowhere --out out --method time
assert_stderr_has "kernels: BLAS "
