# Out-of-memory fault injection swept over the main path of "train-knn" (common.bash; see oom.bash).
OOM_PROG=train-knn
source "$SRC/tests/cli/faults/oom.bash"
