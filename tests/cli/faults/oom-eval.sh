# Out-of-memory fault injection swept over the main path of "eval" (common.bash; see oom.bash).
OOM_PROG=eval
source "$SRC/tests/cli/faults/oom.bash"
