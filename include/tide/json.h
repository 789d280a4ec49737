/* json.h — what cJSON does not keep: the literal text of a JSON value.
 *
 * cJSON turns every number into a double (so 9007199254740993 and 9007199254740992, or 1 and
 * 1.0, become one value) and cuts a string at an escaped NUL ("a\u0000b" reads as "a"). Ids are
 * the literal text a file holds, so readers of ids take the value's raw token from the text
 * cJSON parsed: numbers keep their digits as written, and strings with \u0000 are recognised.
 */
#ifndef TIDE_JSON_H
#define TIDE_JSON_H

#include <stddef.h>

typedef struct cJSON cJSON;

/* The raw text of `item`, a direct member of the object `obj` that cJSON parsed from text[0, n)
 * (the whole text; whitespace around it allowed): 1 with *raw and *len set (a string's token
 * includes its quotes), 0 if `item` is not a member of `obj` or the text does not hold it. */
int tide_json_member_raw(const char *text, size_t n, const cJSON *obj, const cJSON *item, const char **raw,
                         size_t *len);

/* Whether the raw token of a JSON string (quotes included) holds an escaped NUL (\u0000), which
 * cJSON's NUL-terminated strings cannot represent. */
int tide_json_string_has_nul(const char *raw, size_t len);

#endif
