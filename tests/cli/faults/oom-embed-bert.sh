# Out-of-memory fault injection swept over the main path of "embed-bert" (common.bash; see oom.bash).
OOM_PROG=embed-bert
source "$SRC/tests/cli/faults/oom.bash"
