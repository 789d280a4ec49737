# Out-of-memory fault injection swept over the main path of "recommend" (common.bash; see oom.bash).
OOM_PROG=recommend
source "$SRC/tests/cli/faults/oom.bash"
