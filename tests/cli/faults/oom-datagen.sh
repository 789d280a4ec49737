# Out-of-memory fault injection swept over the main path of "datagen" (common.bash; see oom.bash).
OOM_PROG=datagen
source "$SRC/tests/cli/faults/oom.bash"
