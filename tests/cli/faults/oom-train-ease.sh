# Out-of-memory fault injection swept over the main path of "train-ease" (common.bash; see oom.bash).
OOM_PROG=train-ease
source "$SRC/tests/cli/faults/oom.bash"
