/* embed-impl.h — shared between the src/embed files, not public. */
#ifndef TIDE_EMBED_IMPL_H
#define TIDE_EMBED_IMPL_H

#include "tide/embed.h"

/* tide_embed_vectors_load that also says whether a failure was the vectors (or side arrays) not
 * matching their manifest, which --cache treats as "no usable cache" rather than an error. */
tide_status tide_embed__vectors_load_checked(const char *npy, tide_embed_vectors *v, int *mismatch);

#endif
