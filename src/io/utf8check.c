/* utf8check.c — UTF-8 validation for the readers (RFC 3629 well-formedness, NUL rejected).
 *
 * Inputs are mostly ASCII ids and numbers, so the check skips 8-byte words whose bytes are all in
 * 0x01..0x7f with two word operations, and decodes multi-byte sequences only where they occur.
 * The table of valid sequences is Table 3-7 of the Unicode standard (no overlong forms, no
 * surrogates D800..DFFF, nothing above U+10FFFF).
 */
#include "tide/reader.h"

#include <string.h>

size_t tide_utf8_check(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (i < len) {
        /* ASCII fast path: a word with no byte >= 0x80 and no zero byte. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & highs) || ((w - ones) & ~w & highs)) break;
            i += 8;
        }
        if (i >= len) break;
        unsigned c = s[i];
        if (c == 0) return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) need = 1;
        else if (c == 0xe0) { need = 2; lo = 0xa0; }
        else if (c >= 0xe1 && c <= 0xec) need = 2;
        else if (c == 0xed) { need = 2; hi = 0x9f; }
        else if (c >= 0xee && c <= 0xef) need = 2;
        else if (c == 0xf0) { need = 3; lo = 0x90; }
        else if (c >= 0xf1 && c <= 0xf3) need = 3;
        else if (c == 0xf4) { need = 3; hi = 0x8f; }
        else return i;
        if (len - i <= need) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) return i;
        i += need + 1;
    }
    return len;
}
