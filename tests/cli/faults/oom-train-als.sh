# Out-of-memory fault injection swept over the main path of "train-als" (common.bash; see oom.bash).
OOM_PROG=train-als
source "$SRC/tests/cli/faults/oom.bash"
