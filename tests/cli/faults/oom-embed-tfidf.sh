# Out-of-memory fault injection swept over the main path of "embed-tfidf" (common.bash; see oom.bash).
OOM_PROG=embed-tfidf
source "$SRC/tests/cli/faults/oom.bash"
