# Out-of-memory fault injection swept over the main path of "ingest" (common.bash; see oom.bash).
OOM_PROG=ingest
source "$SRC/tests/cli/faults/oom.bash"
