/* open.c — the registry of model families: opening a model directory reads its manifest's
 * "format" and hands the directory to the family that scores it. A new family (the
 * dynamic-interest model's "tide-interest" dirs) adds one row to `families`. This module sits
 * above every family, so the engine (src/retrieval) and the families never include each other. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/interest.h"
#include "tide/mf.h"
#include "tide/scorer.h"

typedef struct family {
    const char *format;    /* manifest "format" */
    tide_status (*open)(const char *dir, const char *manifest_path, void *manifest, tide_scorer **out);
} family;

static const family families[] = {
    {"tide-model", tide_mf_scorer_open},
    {"tide-interest", tide_interest_scorer_open},
};

tide_status tide_scorer_open(const char *dir, tide_scorer **out) {
    *out = NULL;
    tide_status st = TIDE_OK;
    char *mpath = tide_path_join(dir, "manifest.json");
    char *text = NULL;
    size_t len = 0;
    cJSON *man = NULL;
    if (!mpath) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if (!tide_is_dir(dir)) { /* missing: I/O (exit 1) like any missing input; else bad data */
        if (!tide_path_exists(dir)) st = tide_error(TIDE_ERR_IO, "%s: no such model directory", dir);
        else st = tide_error(TIDE_ERR_DATA, "%s: not a model directory", dir);
        goto done;
    }
    if ((st = tide_read_file(mpath, &text, &len))) {
        if (!tide_path_exists(mpath)) st = tide_error(TIDE_ERR_DATA, "%s: missing (not a model directory)", mpath);
        goto done;
    }
    man = cJSON_ParseWithLength(text, len);
    if (!man || !cJSON_IsObject(man)) {
        st = tide_error(TIDE_ERR_DATA, "%s: not valid JSON", mpath);
        goto done;
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(man, "format");
    for (size_t i = 0; i < sizeof families / sizeof *families; i++)
        if (cJSON_IsString(fmt) && strcmp(fmt->valuestring, families[i].format) == 0) {
            st = families[i].open(dir, mpath, man, out); /* takes the manifest */
            man = NULL;
            goto done;
        }
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(man, "algorithm");
    const char *kind = cJSON_IsString(alg) ? alg->valuestring : NULL;
    st = tide_error(TIDE_ERR_DATA, "%s: unsupported model kind: format '%s'%s%s (tide-recommend scores \"tide-model\" dirs: als, bpr, ease, itemknn, pop, and \"tide-interest\" dirs)",
                    mpath, cJSON_IsString(fmt) ? fmt->valuestring : "(none)", kind ? ", algorithm " : "", kind ? kind : "");
done:
    cJSON_Delete(man);
    free(mpath);
    free(text);
    return st;
}
