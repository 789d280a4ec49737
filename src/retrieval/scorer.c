/* scorer.c — the engine's side of tide/scorer.h that no model family owns: releasing a scorer,
 * checking it against the dataset it is applied to, and the view of a dataset row. */
#include <stdlib.h>
#include <string.h>

#include "tide/scorer.h"

void tide_scorer_free(tide_scorer *s) {
    if (!s) return;
    if (s->iface && s->iface->destroy) s->iface->destroy(s);
    free(s);
}

tide_status tide_scorer_check_dataset(const tide_scorer *s, const tide_dataset *ds, const char *data_dir,
                                      int allow_new_data) {
    const tide_scorer_info *m = &s->info;
    if (ds->n_items != m->n_items)
        return tide_error(TIDE_ERR_DATA, "%s: %lld items, but the model (trained on %s, checksum %s) has %lld: a model applies only to its own dataset's items",
                          data_dir, (long long)ds->n_items, m->dataset_path[0] ? m->dataset_path : "?", m->dataset_checksum,
                          (long long)m->n_items);
    if (strcmp(ds->checksum, m->dataset_checksum) == 0) return TIDE_OK;
    if (!allow_new_data)
        return tide_error(TIDE_ERR_DATA, "%s: dataset checksum %s differs from the one the model was trained on (%s, %s); "
                          "pass --allow-new-data if it shares the model's item ids (e.g. another part of the same tide-split)",
                          data_dir, ds->checksum, m->dataset_checksum, m->dataset_path[0] ? m->dataset_path : "path unknown");
    return TIDE_OK;
}

void tide_user_view_from_dataset(const tide_dataset *ds, int64_t u, int64_t as_of, tide_user_view *v) {
    memset(v, 0, sizeof *v);
    int64_t a = ds->indptr[u], b = ds->indptr[u + 1];
    v->user = u;
    v->n = b - a;
    v->items = ds->items + a;
    v->times = ds->times ? ds->times + a : NULL;
    v->weights = ds->weights ? ds->weights + a : NULL;
    v->events = ds->events ? ds->events + a : NULL;
    if (ds->text_indptr && ds->n_text) {
        int64_t ta = ds->text_indptr[u], tb = ds->text_indptr[u + 1];
        v->n_text = tb - ta;
        v->texts = (const char *const *)ds->texts + ta;
        v->text_times = ds->text_times + ta;
        v->text_items = ds->text_items + ta;
    }
    v->as_of = as_of;
}
