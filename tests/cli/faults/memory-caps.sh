# Under address-space limits (ulimit -v) and data limits (ulimit -d) every program's main path
# ends within seconds with exit 0, or exit 1 and a message about memory — never a hang (OpenBLAS
# retries failed buffer allocations forever; core/memcap.c) and never a signal.
source "$SRC/tests/cli/faults/common.bash"
is_asan && { echo "skip: AddressSanitizer build (ulimit -v does not apply)"; exit 77; }
fixture fx
for p in $PROGRAMS; do
    for mb in 100 130 160 200 260 330 420 500; do
        mkdir -p "o-$p-$mb"
        run_capped v "$mb" 30 $(prog_cmd "$p" fx "o-$p-$mb" | sed "s|^tide-|$B/tide-|")
        check_capped "$p" "$mb"
    done
    for mb in 150 300; do
        mkdir -p "d-$p-$mb"
        run_capped d "$mb" 30 $(prog_cmd "$p" fx "d-$p-$mb" | sed "s|^tide-|$B/tide-|")
        check_capped "$p (ulimit -d)" "$mb"
    done
    # the largest cap leaves room for the whole run on this fixture
    [ "$CAP_RC" -eq 0 ] || fail "$p under 300 MB of data: exit $CAP_RC"
done
echo "memory caps: $CAPS_TRIED capped runs of ${PROGRAMS// /, }: none hung"
