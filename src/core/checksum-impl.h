/* checksum-impl.h — internal: the CRC-32 implementations behind tide_crc32, by name, so that
 * tests can check each one the CPU has against zlib. */
#ifndef TIDE_CORE_CHECKSUM_IMPL_H
#define TIDE_CORE_CHECKSUM_IMPL_H

#include <stddef.h>
#include <stdint.h>

enum { TIDE_CRC_ZLIB = 0, TIDE_CRC_PCLMUL, TIDE_CRC_VPCLMUL };

/* 1 when implementation `how` can run on this CPU. */
int tide_crc32_available(int how);

/* tide_crc32 by implementation `how` (which must be available). */
uint32_t tide_crc32_with(int how, uint32_t crc, const void *data, size_t n);

#endif
