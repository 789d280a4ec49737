/* tide/kcore.h — k-core filtering of an interaction matrix.
 *
 * The (user, item) k-core keeps the largest set of interactions in which every remaining user has
 * at least min_user events and every remaining item at least min_item events. It is unique, and
 * reached by repeatedly dropping users and items below their threshold until nothing changes (a
 * fixed point). tide computes it by peeling with a work queue — each removal updates only the
 * degrees it touches — so the cost is O(interactions) however long the cascade is. Repeated
 * (user, item) events count as separate events on both sides.
 */
#ifndef TIDE_KCORE_H
#define TIDE_KCORE_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tide_kcore_stats {
    int64_t users_before, users_after;      /* users with at least one event */
    int64_t items_before, items_after;      /* items with at least one event */
    int64_t interactions_before, interactions_after;
    int64_t rounds;                          /* peeling waves: 0 when nothing was removed */
} tide_kcore_stats;

/* Input: user-major CSR (indptr[n_users+1], items[indptr[n_users]] in [0, n_items)).
 * Output: user_keep[n_users] and item_keep[n_items] set to 1 for users/items that keep at least
 * one event in the core, else 0. An interaction survives iff its user and item are both kept.
 * Thresholds <= 1 only drop users/items without events. */
tide_status tide_kcore_filter(int64_t n_users, int64_t n_items, const int64_t *indptr, const int32_t *items,
                              int64_t min_user, int64_t min_item, uint8_t *user_keep, uint8_t *item_keep,
                              tide_kcore_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
