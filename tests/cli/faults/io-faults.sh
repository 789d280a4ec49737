# I/O faults: for every program, a full disk (a 64 KiB tmpfs when this machine may mount one, and
# the shim's /dev/full-backed temporaries), EIO from fsync, a read-only output directory (the shim's
# EROFS: root ignores chmod), a failed rename, RLIMIT_FSIZE (SIGXFSZ is ignored so the write fails
# with EFBIG) and an output path through a regular file. Each must exit 1 with the system's reason
# in the message, keep the previous output byte for byte, and leave no temporaries. (A missing
# parent directory is either created or refused with exit 1 and the reason, per program.)
source "$SRC/tests/cli/faults/common.bash"
SHIM="$(dirname "$TIDE_BIN")/tests/libiofail.so"
[ -f "$SHIM" ] || fail "missing $SHIM"
is_asan && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
fixture fx
snapshot() { (cd out && find . -type f | sort | xargs -r md5sum); }
faults=0 parents=""
expect_fail() { # expect_fail WHAT REASON: exit 1, REASON in stderr, previous output intact, no litter
    faults=$((faults + 1))
    [ "$RUN_RC" -eq 1 ] || fail "$p, $1: exit $RUN_RC, expected 1"
    grep -qiF -- "$2" "$RUN_ERR" || fail "$p, $1: stderr lacks '$2'"
    [ "$(snapshot)" = "$before" ] || fail "$p, $1: the previous output changed"
    for d in $(find out -type d); do assert_no_tmp "$d"; done
}
P="datagen ingest split train-als recommend eval embed-tfidf"
for p in $P; do
    rm -rf out && mkdir out
    set -- $(prog_cmd "$p" fx out | sed "s|^tide-|$B/tide-|")
    "$@" -q >/dev/null || fail "$p: first run failed"
    before=$(snapshot)
    prog="${1##*/}"; shift
    run() { local x="$1"; shift; set +e; "$x" "$@" >"$RUN_OUT" 2>"$RUN_ERR"; RUN_RC=$?; set -e; }
    run env LD_PRELOAD="$SHIM" TIDE_IOFAIL=enospc "$B/$prog" "$@"; expect_fail "ENOSPC (shim)" "No space left on device"
    run env LD_PRELOAD="$SHIM" TIDE_IOFAIL=eio "$B/$prog" "$@"; expect_fail "EIO from fsync" "Input/output error"
    run env LD_PRELOAD="$SHIM" TIDE_IOFAIL=erofs "$B/$prog" "$@"; expect_fail "read-only directory" "Read-only file system"
    case $p in datagen|recommend|eval|embed-tfidf) # file outputs: rename(2); directories swap with renameat2
        run env LD_PRELOAD="$SHIM" TIDE_IOFAIL=rename "$B/$prog" "$@"; expect_fail "failed rename" "Input/output error" ;;
    esac
    run bash -c 'ulimit -f 1; exec "$@"' _ "$B/$prog" "$@"; expect_fail "ulimit -f" "File too large"
    # an output path through a regular file cannot be created
    touch afile
    run "$B/$prog" $(prog_cmd "$p" fx afile/sub | cut -d' ' -f2-); faults=$((faults + 1))
    [ "$RUN_RC" -eq 1 ] && grep -qi "Not a directory" "$RUN_ERR" || fail "$p, output under a file: exit $RUN_RC"
    # a missing parent directory is created (ingest, split, ...) or refused with the reason
    run "$B/$prog" $(prog_cmd "$p" fx new/parent | cut -d' ' -f2-); faults=$((faults + 1))
    [ "$RUN_RC" -eq 0 ] || { [ "$RUN_RC" -eq 1 ] && grep -q "No such file or directory" "$RUN_ERR"; } ||
        fail "$p, missing parent: exit $RUN_RC"
    [ "$RUN_RC" -eq 0 ] && parents="$parents $p(created)" || parents="$parents $p(exit 1)"
    rm -rf new afile
    echo "$p: all faults gave exit 1 with the reason, previous output intact"
done
# A real full disk, where this machine allows mounting a small tmpfs.
mkdir -p small
if mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
    trap 'umount "$T/small" 2>/dev/null || true' EXIT
    "$B/tide-recommend" --data fx/split/train_valid --model fx/als --k 2 --out small/recs.tsv -q || fail "small recs"
    head -c 40000 /dev/zero > small/filler 2>/dev/null || true
    before=$(md5sum small/recs.tsv)
    run "$B/tide-datagen" --out small/gen --users 300 --items 200 --events 3000
    faults=$((faults + 1))
    [ "$RUN_RC" -eq 1 ] && grep -q "No space left on device" "$RUN_ERR" || fail "tmpfs ENOSPC (datagen): exit $RUN_RC"
    run "$B/tide-recommend" --data fx/split/train_valid --model fx/als --k 20 --out small/recs.tsv
    faults=$((faults + 1))
    [ "$RUN_RC" -eq 1 ] && grep -q "No space left on device" "$RUN_ERR" || fail "tmpfs ENOSPC (recommend): exit $RUN_RC"
    [ "$(md5sum small/recs.tsv)" = "$before" ] || fail "tmpfs ENOSPC: previous output changed"
    assert_no_tmp small
    umount small
    trap - EXIT
    echo "a full 64 KiB tmpfs: exit 1, previous output intact"
else
    echo "tmpfs not mountable here (no CAP_SYS_ADMIN): full disk covered by the shim only"
fi
echo "missing parent directory:$parents"
echo "io faults: $faults injected"
