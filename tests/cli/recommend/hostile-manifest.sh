# Manifests are untrusted input (issue 15): whatever a manifest names must resolve inside its own
# directory (no absolute path, no "..", no symlink escape), and every key read is type-checked.
# Each hostile manifest is refused with exit 3 and a message naming the key; the output is never
# written.
source "$SRC/tests/cli/recommend/fixture.bash"
fixture fx
run tide-recommend --data fx/data --model fx/als --k 3 --out keep.tsv
assert_exit 0
cp keep.tsv before.tsv
# hostile MANIFEST-EDIT MESSAGE: a copy of fx/als with its manifest edited by jq
hostile() {
    rm -rf h && cp -r fx/als h
    jq "$1" fx/als/manifest.json > h/manifest.json || fail "jq $1"
    run tide-recommend --data fx/data --model h --k 3 --out keep.tsv
    assert_exit 3
    assert_stderr_has "$2"
    cmp keep.tsv before.tsv || fail "a refused model touched the output"
}
hostile '.arrays = {"user_factors": "../../etc/passwd"}' '"arrays.user_factors" ('"'"'../../etc/passwd'"'"') leaves the directory'
hostile '.arrays = {"user_factors": "/proc/self/mem"}' '"arrays.user_factors" is an absolute path'
hostile '.arrays = {"notes": "a/../../x"}' '"arrays.notes" ('"'"'a/../../x'"'"') leaves the directory'
hostile '.arrays = {"user_factors": "./user_factors.npy"}' 'leaves the directory or is not a plain relative path'
hostile '.arrays = {"user_factors": 7}' '"arrays.user_factors" must be a file name (a string)'
hostile '.arrays = ["user_factors.npy"]' '"arrays" must be an object'
hostile '.params.alpha = "2"' '"params.alpha" must be a number'
hostile '.params = [1, 2]' '"params" must be a JSON object'
hostile '.params["fold-in"] = "yes"' 'params "fold-in" must be true or false'
hostile '.params["half-life"] = "1d"' 'params "half-life" must be a number'
hostile '.dataset.users = "6"' '"dataset.users" must be an integer'
hostile '.dataset.users = 1e300' '"dataset.users" must be an integer'
hostile '.dataset.items = 4.5' '"dataset.items" must be an integer'
hostile '.dataset.path = 12' '"dataset.path" must be a string'
hostile '.dataset = "fx/data"' '"dataset" must be a JSON object'
# A symlink inside the directory that points out of it.
rm -rf h && cp -r fx/als h && ln -s /etc/passwd h/evil.npy
jq '.arrays = {"user_factors": "user_factors.npy", "item_factors": "evil.npy"}' fx/als/manifest.json > h/manifest.json
run tide-recommend --data fx/data --model h --k 3 --out keep.tsv
assert_exit 3
assert_stderr_has '"arrays.item_factors" ('"'"'evil.npy'"'"') resolves outside the directory'
# ...while a symlink that stays inside, and a file the manifest names, are honoured.
rm -rf h && cp -r fx/als h && mv h/user_factors.npy h/uf.npy && mkdir h/sub && mv h/item_factors.npy h/sub/if.npy
ln -s sub/if.npy h/link.npy
jq '.arrays = {"user_factors": "uf.npy", "item_factors": "link.npy"}' fx/als/manifest.json > h/manifest.json
run tide-recommend --data fx/data --model h --k 3 --out renamed.tsv
assert_exit 0
cmp renamed.tsv before.tsv || fail "arrays under other names gave other recommendations"
# The dataset manifest's keys are typed too.
for edit in '.counts = [1]' '.event_names = "click"' '.item_text_fields = {"a": 1}' '.event_names = [1]'; do
    rm -rf d && cp -r fx/data d
    jq "$edit" fx/data/manifest.json > d/manifest.json
    run tide-recommend --data d --model fx/als --k 3 --out keep.tsv
    assert_exit 3
    assert_stderr_has "d/manifest.json"
done
cmp keep.tsv before.tsv || fail "a refused dataset touched the output"
assert_no_tmp .
