# Out-of-memory fault injection swept over the main path of "split" (common.bash; see oom.bash).
OOM_PROG=split
source "$SRC/tests/cli/faults/oom.bash"
