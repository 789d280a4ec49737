/* manifest.h — reading manifest.json files as the untrusted input they are.
 *
 * Every tide directory (dataset, model, vectors, interest) is described by a manifest.json, and
 * tide-serve loads the same directories: a manifest is a security boundary. Two rules, kept here
 * so that every reader applies them alike:
 *  - whatever a manifest names resolves inside its own directory: a relative path of ordinary
 *    components (no absolute path, no "." or ".." component, no control characters), which,
 *    once symlinks are followed, still lies inside the directory;
 *  - every key read is type-checked: present with the wrong type (or out of range) is bad data,
 *    never silently the default.
 * Failures are TIDE_ERR_DATA (exit 3) with "manifest path: what is wrong".
 */
#ifndef TIDE_MANIFEST_H
#define TIDE_MANIFEST_H

#include <stdint.h>

#include "tide/core.h"

typedef struct cJSON cJSON;

/* Read and parse DIR/manifest.json into *out (a JSON object; free with cJSON_Delete). *mpath gets
 * the manifest's path (malloc'ed, for messages; may be NULL). A missing or unreadable file is
 * TIDE_ERR_DATA naming `what` ("not a model directory"), invalid JSON or a non-object too. */
tide_status tide_manifest_load(const char *dir, const char *what, cJSON **out, char **mpath);

/* Check a name a manifest gives for a file of its directory (see above) and return
 * DIR/NAME in *path (malloc'ed) when path is not NULL. `key` names the entry in messages. */
tide_status tide_manifest_file(const char *mpath, const char *dir, const char *key, const char *name, char **path);

/* The "arrays" object ({name: file}), if present: every value a string naming a file inside the
 * directory (tide_manifest_file). Absent is fine (older writers); anything else is bad data. */
tide_status tide_manifest_check_arrays(const char *mpath, const char *dir, const cJSON *man);

/* DIR/file of array `name`: the file "arrays" gives for it (checked), or NAME.npy when "arrays"
 * does not list it. *path is malloc'ed. */
tide_status tide_manifest_array_path(const char *mpath, const char *dir, const cJSON *man, const char *name, char **path);

/* Record "files": {name: {"bytes": N, "crc32": "xxxxxxxx"}} (as tide-embed's manifests do) for
 * every regular file directly in `dir` except manifest.json and temporaries (".NAME.tmp.*"),
 * replacing any "files" key already there. Called by writers just before the manifest itself is
 * written, so `tide verify` can tell a flipped byte in any array from a sound one. */
tide_status tide_manifest_add_files(cJSON *man, const char *dir);

/* The tail every directory writer shares: record "files" (tide_manifest_add_files) for what the
 * writer put in the directory being built, write its manifest.json (printed, ending in a newline)
 * and commit the directory (tide_atomic_dir_commit). On failure nothing is committed: the caller
 * still aborts `d`. `man` stays the caller's. */
struct tide_atomic_dir;
tide_status tide_manifest_commit_dir(struct tide_atomic_dir *d, cJSON *man);
/* The same, taking the entries of `known` ({name: {"bytes", "crc32"}}, may be NULL) for files
 * of that name and size instead of reading them: hard links to a committed dir's files, whose
 * manifest already checksummed those very bytes (an interest --update links gigabytes). */
tide_status tide_manifest_commit_dir_known(struct tide_atomic_dir *d, cJSON *man, const cJSON *known);
tide_status tide_manifest_add_files_known(cJSON *man, const char *dir, const cJSON *known);

/* Whether a directory entry name is a tide temporary (".NAME.tmp.XXXXXX", core/atomic.c). */
int tide_manifest_is_temp_name(const char *name);

/* Typed getters: `obj` may be NULL (then the key is absent). Absent: TIDE_OK, *present = 0 (when
 * present is not NULL) and *out untouched. Present with the wrong type or outside [lo, hi]:
 * TIDE_ERR_DATA "mpath: "where.key" must be ...". `where` is the enclosing object's name for
 * messages ("params"), or NULL for top-level keys. */
tide_status tide_manifest_number(const char *mpath, const cJSON *obj, const char *where, const char *key, double lo,
                                 double hi, double *out, int *present);
tide_status tide_manifest_int(const char *mpath, const cJSON *obj, const char *where, const char *key, int64_t lo,
                              int64_t hi, int64_t *out, int *present);
tide_status tide_manifest_bool(const char *mpath, const cJSON *obj, const char *where, const char *key, int *out,
                               int *present);
tide_status tide_manifest_string(const char *mpath, const cJSON *obj, const char *where, const char *key,
                                 const char **out, int *present);
/* An object (or, with want_array, an array). */
tide_status tide_manifest_object(const char *mpath, const cJSON *obj, const char *where, const char *key,
                                 int want_array, const cJSON **out, int *present);

#endif
