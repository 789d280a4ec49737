/* jsonraw.c — raw token spans of a parsed JSON object's members (see include/tide/json.h).
 *
 * Only ever run on text cJSON has already accepted, so the walk trusts the grammar and needs no
 * error reporting: it skips values by their first byte, and strings by their closing quote. cJSON
 * keeps an object's members in document order, so the i-th member in the text is the i-th child.
 * Every step is still bounded by n, so wrong input cannot read past the text.
 */
#include "tide/json.h"

#include <cjson/cJSON.h>
#include <string.h>

static size_t skip_ws(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* Index just past the string starting at s[i] == '"'. */
static size_t skip_string(const char *s, size_t n, size_t i) {
    for (i++; i < n; i++) {
        if (s[i] == '\\') i++;
        else if (s[i] == '"') return i + 1;
    }
    return n;
}

/* Index just past the value starting at s[i]. */
static size_t skip_value(const char *s, size_t n, size_t i) {
    if (i >= n) return n;
    if (s[i] == '"') return skip_string(s, n, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < n; i++) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, n, i) - 1;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return n;
    }
    /* number, true, false, null */
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
           s[i] != '\r')
        i++;
    return i;
}

int tide_json_member_raw(const char *text, size_t n, const cJSON *obj, const cJSON *item, const char **raw,
                         size_t *len) {
    if (!text || !obj || !item || !cJSON_IsObject(obj)) return 0;
    size_t i = skip_ws(text, n, 0);
    if (i >= n || text[i] != '{') return 0;
    i++;
    for (const cJSON *c = obj->child; c; c = c->next) {
        i = skip_ws(text, n, i);
        if (i >= n || text[i] != '"') return 0;
        i = skip_ws(text, n, skip_string(text, n, i));
        if (i >= n || text[i] != ':') return 0;
        i = skip_ws(text, n, i + 1);
        size_t end = skip_value(text, n, i);
        if (c == item) {
            if (end <= i) return 0;
            *raw = text + i;
            *len = end - i;
            return 1;
        }
        i = skip_ws(text, n, end);
        if (i >= n || text[i] != ',') return 0;
        i++;
    }
    return 0;
}

int tide_json_string_has_nul(const char *raw, size_t len) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (raw[i] != '\\') continue;
        if (raw[i + 1] == 'u' && i + 5 < len && memcmp(raw + i + 2, "0000", 4) == 0) return 1;
        i++; /* skip the escaped character, so "\\u0000" (a backslash, then text) is not a NUL */
    }
    return 0;
}
