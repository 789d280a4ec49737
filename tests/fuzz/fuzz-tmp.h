/* fuzz-tmp.h — where fuzz targets put their scratch files: $TIDE_FUZZ_TMP, else /dev/shm when it
 * exists (a memory file system: writing a file per input on ext4 costs a journal update and held
 * the id-list target at ~300 inputs/s), else /tmp. */
#ifndef TIDE_FUZZ_TMP_H
#define TIDE_FUZZ_TMP_H
#include <stdlib.h>
#include <sys/stat.h>

static inline const char *fuzz_tmp_base(void) {
    const char *e = getenv("TIDE_FUZZ_TMP");
    struct stat sb;
    if (e && *e) return e;
    if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode)) return "/dev/shm";
    return "/tmp";
}
#endif
