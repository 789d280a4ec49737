/* checksum.c — CRC-32 (the zlib/gzip polynomial), for manifests' input and dataset checksums and
 * tide-eval's input checksums. zlib 1.2's table-driven crc32 runs at ~1 byte per cycle, a
 * noticeable part of reading a multi-gigabyte file; on x86 with PCLMULQDQ the bulk of a buffer
 * is folded with carry-less multiplies instead (Gopal et al., "Fast CRC Computation for Generic
 * Polynomials Using PCLMULQDQ", Intel 2009: bit-reflected constants from the paper), which gives
 * the same value as zlib at several bytes per cycle. Short buffers and tails go through zlib. */
#include "tide/fileio.h"
#include "checksum-impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TIDE_CRC_CLMUL 1

/* Constants: bit-reflected x^(D+32) mod P and x^(D-32) mod P, shifted left by one, for folding
 * by D bits (D = 512: four 128-bit lanes; D = 128: one lane; D = 2048: sixteen lanes). */
#define CRC_K512 0x01c6e41596, 0x0154442bd4
#define CRC_K128 0x00ccaa009e, 0x01751997d0
#define CRC_K2048 0x01322d1430, 0x011542778a

/* Four 128-bit lanes (x1 first in the data) and the remaining n (a multiple of 16) bytes at buf
 * -> the CRC register. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t crc32_clmul_finish(__m128i x1, __m128i x2, __m128i x3, __m128i x4,
                                                                            const unsigned char *buf, size_t n) {
    const __m128i k3k4 = _mm_set_epi64x(CRC_K128);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
    const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641); /* Barrett mu', P' */
    const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
    /* Fold the four lanes into one, then the remaining 16-byte blocks. */
    __m128i x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x2), x5);
    x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x3), x5);
    x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x4), x5);
    while (n >= 16) {
        x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
        x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, _mm_loadu_si128((const __m128i *)buf)), x5);
        buf += 16;
        n -= 16;
    }
    /* 128 -> 64 bits, 64 -> 32 bits, then Barrett reduction. */
    x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k5, 0x00), x2);
    x2 = _mm_and_si128(x1, mask32);
    x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
    x2 = _mm_and_si128(x2, mask32);
    x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}


/* crc is the raw (pre-inverted) register; n >= 64 and a multiple of 16. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t crc32_clmul(uint32_t crc, const unsigned char *buf, size_t n) {
    const __m128i k1k2 = _mm_set_epi64x(CRC_K512); /* fold by 4 x 128 bits */
    __m128i x1 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
    __m128i x4 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    buf += 64;
    n -= 64;
    /* Four independent 128-bit lanes keep the multiplier busy. */
    while (n >= 64) {
        __m128i x5 = _mm_clmulepi64_si128(x1, k1k2, 0x00), x6 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
        __m128i x7 = _mm_clmulepi64_si128(x3, k1k2, 0x00), x8 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
        x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11);
        x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
        x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11);
        x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), _mm_loadu_si128((const __m128i *)(buf + 0x00)));
        x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), _mm_loadu_si128((const __m128i *)(buf + 0x10)));
        x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), _mm_loadu_si128((const __m128i *)(buf + 0x20)));
        x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), _mm_loadu_si128((const __m128i *)(buf + 0x30)));
        buf += 64;
        n -= 64;
    }
    return crc32_clmul_finish(x1, x2, x3, x4, buf, n);
}

#define CRC_VCLMUL __attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.1")))

/* One 512-bit block a folded forward by the distance of k, onto b. */
CRC_VCLMUL static inline __m512i fold512(__m512i a, __m512i k, __m512i b) {
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(a, k, 0x00), _mm512_clmulepi64_epi128(a, k, 0x11), b, 0x96);
}

/* The same with VPCLMULQDQ on 512-bit registers: sixteen 128-bit lanes, 256 bytes per step;
 * n >= 256 and a multiple of 16. */
CRC_VCLMUL static uint32_t crc32_vclmul(uint32_t crc, const unsigned char *buf, size_t n) {
    const __m512i k2048 = _mm512_broadcast_i32x4(_mm_set_epi64x(CRC_K2048));
    const __m512i k512 = _mm512_broadcast_i32x4(_mm_set_epi64x(CRC_K512));
    __m512i z0 = _mm512_loadu_si512(buf), z1 = _mm512_loadu_si512(buf + 64);
    __m512i z2 = _mm512_loadu_si512(buf + 128), z3 = _mm512_loadu_si512(buf + 192);
    z0 = _mm512_xor_si512(z0, _mm512_castsi128_si512(_mm_cvtsi32_si128((int)crc)));
    buf += 256;
    n -= 256;
    while (n >= 256) {
        z0 = fold512(z0, k2048, _mm512_loadu_si512(buf));
        z1 = fold512(z1, k2048, _mm512_loadu_si512(buf + 64));
        z2 = fold512(z2, k2048, _mm512_loadu_si512(buf + 128));
        z3 = fold512(z3, k2048, _mm512_loadu_si512(buf + 192));
        buf += 256;
        n -= 256;
    }
    z3 = fold512(fold512(fold512(z0, k512, z1), k512, z2), k512, z3);
    return crc32_clmul_finish(_mm512_extracti32x4_epi32(z3, 0), _mm512_extracti32x4_epi32(z3, 1),
                              _mm512_extracti32x4_epi32(z3, 2), _mm512_extracti32x4_epi32(z3, 3), buf, n);
}

static int best(void) {
    static int v = -1; /* benign race: every thread computes the same answer */
    if (v < 0) {
        int have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
        v = !have ? TIDE_CRC_ZLIB
            : __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq")
                ? TIDE_CRC_VPCLMUL
                : TIDE_CRC_PCLMUL;
    }
    return v;
}
#endif

int tide_crc32_available(int how) {
#ifdef TIDE_CRC_CLMUL
    return how <= best();
#else
    return how == TIDE_CRC_ZLIB;
#endif
}

uint32_t tide_crc32(uint32_t crc, const void *data, size_t n) {
#ifdef TIDE_CRC_CLMUL
    return tide_crc32_with(best(), crc, data, n);
#else
    return tide_crc32_with(TIDE_CRC_ZLIB, crc, data, n);
#endif
}

uint32_t tide_crc32_with(int how, uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = data;
#ifdef TIDE_CRC_CLMUL
    if (n >= 64 && how != TIDE_CRC_ZLIB) {
        size_t bulk = n & ~(size_t)15;
        crc = how == TIDE_CRC_VPCLMUL && bulk >= 256 ? ~crc32_vclmul(~crc, p, bulk) : ~crc32_clmul(~crc, p, bulk);
        p += bulk;
        n -= bulk;
    }
#endif
    /* zlib takes uInt lengths: feed large buffers in chunks. */
    while (n) {
        uInt c = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, c);
        p += c;
        n -= c;
    }
    return crc;
}

tide_status tide_file_crc32(const char *path, uint32_t *crc, uint64_t *size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tide_error(TIDE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* The read buffer is sized to a small regular file (one read, +1 to see the end): manifests
     * list many small arrays, and a fresh 1 MiB buffer per file cost more than the checksum. */
    unsigned char small[4096], *buf = small;
    size_t cap = 1 << 20;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size < cap) cap = (size_t)sb.st_size + 1;
    if (cap > sizeof small && !(buf = tide_malloc(cap))) {
        close(fd);
        return TIDE_ERR_NOMEM;
    }
    if (cap < sizeof small) cap = sizeof small;
    uint32_t c = 0;
    uint64_t total = 0;
    tide_status st = TIDE_OK;
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            st = tide_error(TIDE_ERR_IO, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        if (r == 0) break;
        c = tide_crc32(c, buf, (size_t)r);
        total += (uint64_t)r;
    }
    if (buf != small) free(buf);
    close(fd);
    *crc = c;
    *size = total;
    return st;
}
