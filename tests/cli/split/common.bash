# common.bash — sourced by tide-split's CLI cases (not a case itself: cases end in .sh).
# The fixtures are written by make-dataset.py (numpy), independently of tide-ingest; without a
# Python that has numpy the case is skipped (exit 77).
if [ -z "${TIDE_PYTHON:-}" ] || ! "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
    echo "SKIP: TIDE_PYTHON with numpy is needed for the dataset fixtures"
    exit 77
fi
HERE="$SRC/tests/cli/split"
mkds() { "$TIDE_PYTHON" "$HERE/make-dataset.py" "$@"; }
dump() { "$TIDE_PYTHON" "$HERE/dump-dataset.py" "$@"; }

# The small dataset most cases use: 3 users, 6 items (i6 only in the catalog), 9 interactions
# with a tie in time (u1's i3 and i4 at 300: input order puts i4 last) and one row out of time
# order in the input (u1 i5 at 250), 4 text events.
small_fixture() {
    printf '%s\n' 'u1	i1	100	1' 'u1	i2	200	2' 'u2	i1	50	1' 'u1	i3	300	3' 'u1	i4	300	4' \
        'u2	i3	60	2' 'u2	i2	70	5' 'u3	i4	10	1' 'u1	i5	250	1' >events.tsv
    printf '%s\n' 'i1	One' 'i6	Cold' >items.tsv
    printf '%s\n' 'u1	i3	300	tie tag' 'u1		260	mid' 'u2	i2	65	between' 'u3		5	short' >text.tsv
    mkds events.tsv "${1:-ds}" --items items.tsv --text text.tsv
}
