/* dist.c — the few collective operations distributed ALS needs. Built with TIDE_MPI and run
 * under mpirun, they use MPI_COMM_WORLD (the program calls MPI_Init); otherwise, or when MPI
 * was not initialised, there is one rank and they do nothing. */
#include <stdlib.h>

#include "tide/mf.h"

#ifdef TIDE_USE_MPI
#include <mpi.h>

static int mpi_on(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}
#endif

int tide_mf_dist_rank(void) {
#ifdef TIDE_USE_MPI
    if (mpi_on()) {
        int r;
        MPI_Comm_rank(MPI_COMM_WORLD, &r);
        return r;
    }
#endif
    return 0;
}

int tide_mf_dist_size(void) {
#ifdef TIDE_USE_MPI
    if (mpi_on()) {
        int s;
        MPI_Comm_size(MPI_COMM_WORLD, &s);
        return s;
    }
#endif
    return 1;
}

void tide_mf_dist_range(int64_t n, int rank, int size, int64_t *lo, int64_t *hi) {
    *lo = n * rank / size;
    *hi = n * (rank + 1) / size;
}

tide_status tide_mf_dist_allgather_rows(float *M, int64_t n, int k) {
#ifdef TIDE_USE_MPI
    int size = tide_mf_dist_size();
    if (size <= 1) return TIDE_OK;
    /* Count in rows of k floats so the int counts of MPI do not overflow on large matrices. */
    if (n > INT32_MAX) return tide_error(TIDE_ERR_USAGE, "MPI: more than 2^31 rows");
    int *cnt = malloc((size_t)size * sizeof *cnt), *disp = malloc((size_t)size * sizeof *disp);
    if (!cnt || !disp) {
        free(cnt); free(disp);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    for (int r = 0; r < size; r++) {
        int64_t lo, hi;
        tide_mf_dist_range(n, r, size, &lo, &hi);
        cnt[r] = (int)(hi - lo);
        disp[r] = (int)lo;
    }
    MPI_Datatype row;
    MPI_Type_contiguous(k, MPI_FLOAT, &row);
    MPI_Type_commit(&row);
    int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, M, cnt, disp, row, MPI_COMM_WORLD);
    MPI_Type_free(&row);
    free(cnt);
    free(disp);
    if (rc != MPI_SUCCESS) return tide_error(TIDE_ERR_IO, "MPI_Allgatherv failed (code %d)", rc);
#else
    (void)M; (void)n; (void)k;
#endif
    return TIDE_OK;
}

tide_status tide_mf_dist_sum(double *v, int n) {
#ifdef TIDE_USE_MPI
    if (tide_mf_dist_size() > 1) {
        int rc = MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return tide_error(TIDE_ERR_IO, "MPI_Allreduce failed (code %d)", rc);
    }
#else
    (void)v; (void)n;
#endif
    return TIDE_OK;
}
