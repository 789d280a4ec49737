#!/usr/bin/env bash
# check-layers.sh SOURCE_DIR — the include graph keeps the layers of docs/library-map.md: a module
# includes only public headers of lower layers (or its own), never a sibling's or a higher
# layer's, and never another module's private files. Fails naming each offending #include.
# Every public header must be assigned to a module below; a new header or module without an
# entry fails too, so the map cannot silently fall behind.
set -euo pipefail
SRC=${1:?usage: check-layers.sh SOURCE_DIR}
cd "$SRC"

# Layer of each module (docs/library-map.md). Programs (tools/) sit above all of them.
declare -A LAYER=(
    [core]=0
    [io]=1 [text]=1 [backend]=1
    [data]=2 [lm]=2
    [ingest]=3 [split]=3 [synth]=3 [embed]=3 [metrics]=3 [recs]=3
    [retrieval]=4
    [mf]=5 [interest]=5
    [models]=6
    [serve]=7 [verify]=7
)
# Which module owns each public header.
declare -A OWNER=(
    [core.h]=core [clones.h]=core [fileio.h]=core [rng.h]=core [strmap.h]=core
    [npy.h]=io [reader.h]=io [timeparse.h]=io [json.h]=io [manifest.h]=io
    [tokenizer.h]=text [tfidf.h]=text
    [backend.h]=backend
    [dataset.h]=data [decay.h]=data [idlist.h]=data [shard.h]=data
    [ingest.h]=ingest [kcore.h]=ingest [split.h]=split [synth.h]=synth
    [lm.h]=lm [embed.h]=embed
    [metrics.h]=metrics [eval.h]=metrics [recs.h]=recs
    [retrieval.h]=retrieval [scorer.h]=retrieval [qscan.h]=retrieval
    [mf.h]=mf [interest.h]=interest [labels.h]=interest
    [serve.h]=serve [verify.h]=verify
)
# Same-layer edges that are part of the design: the recommendations reader resolves ids
# against the evaluation truth and metrics reads runs through it; the interest family builds on
# mf's factors.
ALLOWED=" metrics>recs recs>metrics interest>mf "
# The registry (models) implements scorer.h's tide_scorer_open; headers of families are read
# by it by design (it sits above them).

bad=0
report() { echo "layer violation: $*"; bad=1; }

check_file() { # check_file FILE MODULE
    local f=$1 m=$2 inc h o
    while IFS= read -r inc; do
        case "$inc" in
        tide/*)
            h=${inc#tide/}
            o=${OWNER[$h]:-}
            if [ -z "$o" ]; then report "$f: includes $inc, which tests/check-layers.sh does not assign to a module"; continue; fi
            [ "$o" = "$m" ] && continue
            [ -n "${LAYER[$o]:-}" ] || { report "$f: $inc belongs to unknown module $o"; continue; }
            if [ "${LAYER[$o]}" -ge "${LAYER[$m]}" ] && [[ "$ALLOWED" != *" $m>$o "* ]]; then
                report "$f ($m, layer ${LAYER[$m]}) includes $inc ($o, layer ${LAYER[$o]})"
            fi
            ;;
        */*) report "$f: includes another module's private file \"$inc\"" ;;
        esac
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
}

for d in src/*/; do
    m=$(basename "$d")
    [ -n "${LAYER[$m]:-}" ] || { report "src/$m: module not in tests/check-layers.sh (and docs/library-map.md)"; continue; }
    for f in "$d"*.c "$d"*.h "$d"*.cu; do [ -e "$f" ] && check_file "$f" "$m"; done
done
for f in include/tide/*.h; do
    h=$(basename "$f")
    o=${OWNER[$h]:-}
    [ -n "$o" ] || { report "$f: public header not assigned to a module"; continue; }
    check_file "$f" "$o"
done
# The engine must not know a model family, by any route.
if grep -rlE '#include "tide/(mf|interest)\.h"' src/retrieval include/tide/retrieval.h include/tide/scorer.h; then
    report "retrieval includes a model family's header"
fi
[ $bad -eq 0 ] && echo "include graph: layers respected"
exit $bad
