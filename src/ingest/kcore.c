/* kcore.c — (user, item) k-core by queue-based peeling; the definition is in tide/kcore.h.
 *
 * Degrees start as event counts. Every node below its threshold is queued and marked dead; taking
 * a dead user off the queue decrements the degree of each still-alive item it touched (once per
 * event), and an item crossing below its threshold is queued in turn; symmetrically for items.
 * The queue is processed in waves so the number of rounds a synchronous "filter until stable"
 * loop would need is reported too. Memory: an item-major copy of the user indices (4 bytes per
 * interaction) plus O(users + items).
 */
#include "tide/kcore.h"

#include <stdlib.h>
#include <string.h>

tide_status tide_kcore_filter(int64_t n_users, int64_t n_items, const int64_t *indptr, const int32_t *items,
                              int64_t min_user, int64_t min_item, uint8_t *user_keep, uint8_t *item_keep,
                              tide_kcore_stats *stats) {
    tide_status st = TIDE_OK;
    int64_t nnz = indptr[n_users];
    int64_t *udeg = malloc(((size_t)n_users + 1) * sizeof *udeg);
    int64_t *ideg = calloc((size_t)n_items + 1, sizeof *ideg);
    int64_t *iptr = calloc((size_t)n_items + 2, sizeof *iptr);
    int32_t *iusers = malloc(((size_t)nnz + 1) * sizeof *iusers);
    int64_t *queue = malloc(((size_t)n_users + (size_t)n_items + 1) * sizeof *queue); /* u, or -(i+1) */
    if (!udeg || !ideg || !iptr || !iusers || !queue) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory for k-core filtering (%lld interactions)", (long long)nnz);
        goto done;
    }
    if (min_user < 1) min_user = 1;
    if (min_item < 1) min_item = 1;
    memset(stats, 0, sizeof *stats);
    stats->interactions_before = nnz;
    for (int64_t u = 0; u < n_users; u++) {
        udeg[u] = indptr[u + 1] - indptr[u];
        stats->users_before += udeg[u] > 0;
        for (int64_t k = indptr[u]; k < indptr[u + 1]; k++) iptr[items[k] + 2]++;
    }
    for (int64_t i = 0; i < n_items; i++) {
        ideg[i] = iptr[i + 2];
        stats->items_before += ideg[i] > 0;
        iptr[i + 2] += iptr[i + 1];
    }
    for (int64_t u = 0; u < n_users; u++) /* counting sort: iptr[i+1] is item i's write cursor */
        for (int64_t k = indptr[u]; k < indptr[u + 1]; k++) iusers[iptr[items[k] + 1]++] = (int32_t)u;

    int64_t head = 0, tail = 0;
    for (int64_t u = 0; u < n_users; u++) {
        user_keep[u] = udeg[u] >= min_user;
        if (!user_keep[u] && udeg[u] > 0) queue[tail++] = u;
    }
    for (int64_t i = 0; i < n_items; i++) {
        item_keep[i] = ideg[i] >= min_item;
        if (!item_keep[i] && ideg[i] > 0) queue[tail++] = -(i + 1);
    }
    int64_t wave_end = tail;
    stats->rounds = tail > 0;
    while (head < tail) {
        if (head == wave_end) {
            wave_end = tail;
            stats->rounds++;
        }
        int64_t x = queue[head++];
        if (x >= 0) { /* a user left: its alive items lose one event per interaction */
            for (int64_t k = indptr[x]; k < indptr[x + 1]; k++) {
                int32_t i = items[k];
                if (item_keep[i] && --ideg[i] < min_item) {
                    item_keep[i] = 0;
                    queue[tail++] = -((int64_t)i + 1);
                }
            }
        } else {
            int64_t i = -x - 1;
            for (int64_t k = iptr[i]; k < iptr[i + 1]; k++) {
                int32_t u = iusers[k];
                if (user_keep[u] && --udeg[u] < min_user) {
                    user_keep[u] = 0;
                    queue[tail++] = u;
                }
            }
        }
    }
    /* What survives: interactions whose both ends are alive. */
    for (int64_t u = 0; u < n_users; u++) {
        if (!user_keep[u]) continue;
        stats->users_after++;
        stats->interactions_after += udeg[u];
    }
    for (int64_t i = 0; i < n_items; i++) stats->items_after += item_keep[i];
done:
    free(udeg);
    free(ideg);
    free(iptr);
    free(iusers);
    free(queue);
    return st;
}
