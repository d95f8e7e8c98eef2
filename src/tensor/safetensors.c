/* safetensors.c: the validating safetensors reader, the writer, and parameter save/load.
 *
 * What this is: a purpose-built parser for the one JSON shape a safetensors header may have
 * (no general JSON library: numbers must be plain digit tokens that fit in uint64, exactly as
 * serde's usize), the offset/size validation of the reference reader, and a writer that lays
 * files out as the reference writer does. See safetensors.h for the contract and for the few
 * places where this reader is deliberately stricter than the reference.
 *
 * What this is not: a reader for big-endian hosts (the format is little-endian; the build
 * refuses such hosts) or a converter for dtypes other than F32/F16/BF16.
 *
 * Reading order (each step before anything depends on it):
 *   1. file >= 8 bytes; N = u64 LE; N <= 100,000,000 before any allocation; 8+N <= size;
 *   2. the header is valid UTF-8 (strict: no overlongs, surrogates or code points > U+10FFFF);
 *   3. the JSON is parsed into tensor entries and metadata (escapes decoded into one pool of
 *      N+1 bytes, which always suffices because a decoded string is never longer than its token);
 *   4. names sorted, duplicates rejected; per tensor: END >= BEGIN, overflow-checked element and
 *      bit counts, whole bytes, END-BEGIN == bytes;
 *   5. tensors sorted by (BEGIN, END) tile the data section from 0 without hole or overlap and
 *      the last END + 8 + N equals the file size exactly. */
#define _GNU_SOURCE
#include "base/text.h"
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host (safetensors data is little-endian)"
#endif
_Static_assert(sizeof(size_t) == 8, "safetensors.c assumes 64-bit sizes (as the reference's usize)");

/* ------------------------------------------------------------------------------------------ */
/* Dtypes                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    int bits;
} k_dtypes[ST_DTYPE_COUNT] = {
    [ST_BOOL] = {"BOOL", 8},          [ST_F4] = {"F4", 4},
    [ST_F6_E2M3] = {"F6_E2M3", 6},    [ST_F6_E3M2] = {"F6_E3M2", 6},
    [ST_U8] = {"U8", 8},              [ST_I8] = {"I8", 8},
    [ST_F8_E5M2] = {"F8_E5M2", 8},    [ST_F8_E4M3] = {"F8_E4M3", 8},
    [ST_F8_E8M0] = {"F8_E8M0", 8},    [ST_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 8},
    [ST_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 8},
    [ST_I16] = {"I16", 16},           [ST_U16] = {"U16", 16},
    [ST_F16] = {"F16", 16},           [ST_BF16] = {"BF16", 16},
    [ST_I32] = {"I32", 32},           [ST_U32] = {"U32", 32},
    [ST_F32] = {"F32", 32},           [ST_C64] = {"C64", 64},
    [ST_F64] = {"F64", 64},           [ST_I64] = {"I64", 64},
    [ST_U64] = {"U64", 64},
};

const char *st_dtype_name(st_dtype d) { return ((int)d >= 0 && d < ST_DTYPE_COUNT) ? k_dtypes[d].name : "?"; }
int st_dtype_bits(st_dtype d) { return ((int)d >= 0 && d < ST_DTYPE_COUNT) ? k_dtypes[d].bits : 0; }

static int dtype_lookup(const char *s) {
    for (int d = 0; d < ST_DTYPE_COUNT; d++)
        if (!strcmp(s, k_dtypes[d].name)) return d;
    return -1;
}

const char *st_shape_str(const st_tensor *t, char *buf, size_t n) {
    size_t k = 0;
    if (n == 0) return buf;
    buf[0] = 0;
    k += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < t->nd && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%llu" : "%llu", (unsigned long long)t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
    return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Small helpers: UTF-8, names in messages, little-endian loads                                */
/* ------------------------------------------------------------------------------------------ */


/* A name as it should appear inside an error message: at most ~80 bytes (cut at a UTF-8
 * boundary, "..." appended) with control characters shown as \xNN, so a hostile name can
 * neither flood the message nor put escape sequences on a terminal. */
static const char *msg_name(const char *name, char *buf, size_t n) {
    size_t k = 0, i = 0;
    const size_t keep = n > 96 ? 80 : n / 2;
    for (; name[i]; i++) {
        uint8_t c = (uint8_t)name[i];
        /* at a character boundary there must be room for 4 bytes of it plus "..." and NUL */
        if ((c & 0xC0) != 0x80 && (i >= keep || k + 9 > n)) break;
        if (c < 0x20 || c == 0x7F) k += (size_t)snprintf(buf + k, n - k, "\\x%02x", c);
        else buf[k++] = (char)c;
    }
    if (name[i]) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = 0;
    return buf;
}

static uint64_t load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ------------------------------------------------------------------------------------------ */
/* The header parser                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct hparse {
    const uint8_t *s;   /* the JSON header (N bytes, already checked to be UTF-8) */
    size_t n, i;        /* length and cursor */
    char *pool;         /* decoded strings, NUL-terminated, N+1 bytes in all */
    size_t pool_used;
    st_file *f;
    int cap_tensors, cap_meta;
} hparse;

/* Fails with `status` and "<message> (header byte <cursor>)". */
static mosa_status hp_fail_status(const hparse *p, mosa_status status, const char *fmt, va_list ap) {
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return mosa_fail(status, "%s (header byte %zu)", msg, p->i);
}

static mosa_status hp_fail(const hparse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static mosa_status hp_fail(const hparse *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mosa_status s = hp_fail_status(p, MOSA_ERR_FORMAT, fmt, ap);
    va_end(ap);
    return s;
}

static mosa_status hp_fail_as(const hparse *p, mosa_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static mosa_status hp_fail_as(const hparse *p, mosa_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mosa_status s = hp_fail_status(p, status, fmt, ap);
    va_end(ap);
    return s;
}

/* What sits at the cursor, for "expected X, found Y" messages. */
static const char *hp_found(const hparse *p, char *buf, size_t n) {
    if (p->i >= p->n) return "the end of the header";
    uint8_t c = p->s[p->i];
    if (c >= 0x20 && c < 0x7F) snprintf(buf, n, "'%c'", c);
    else snprintf(buf, n, "byte 0x%02x", c);
    return buf;
}

static void hp_ws(hparse *p) {
    while (p->i < p->n) {
        uint8_t c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static int hp_peek(const hparse *p) { return p->i < p->n ? p->s[p->i] : -1; }

/* Skips whitespace and consumes `c`, or fails with "expected <c> <where>". */
static mosa_status hp_expect(hparse *p, char c, const char *where) {
    hp_ws(p);
    if (hp_peek(p) == c) {
        p->i++;
        return MOSA_OK;
    }
    char fb[32];
    return hp_fail(p, "expected '%c' %s, found %s", c, where, hp_found(p, fb, sizeof fb));
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape (the cursor is after the 'u'). */
static mosa_status hp_hex4(hparse *p, const char *what, uint32_t *out) {
    if (p->n - p->i < 4) return hp_fail(p, "%s: a \\u escape needs 4 hex digits", what);
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p->s[p->i + k]);
        if (h < 0) return hp_fail(p, "%s: a \\u escape needs 4 hex digits", what);
        v = (v << 4) | (uint32_t)h;
    }
    p->i += 4;
    *out = v;
    return MOSA_OK;
}

static size_t utf8_put(uint32_t cp, char *o) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a JSON string at the cursor (after whitespace) into the pool; `what` says what the
 * string is for messages ("a tensor name"). Escapes are decoded; \u0000 is refused. */
static mosa_status hp_string(hparse *p, const char *what, const char **out) {
    hp_ws(p);
    if (hp_peek(p) != '"') {
        char fb[32];
        return hp_fail(p, "expected %s (a JSON string), found %s", what, hp_found(p, fb, sizeof fb));
    }
    p->i++;
    char *start = p->pool + p->pool_used, *o = start;
    for (;;) {
        if (p->i >= p->n) return hp_fail(p, "%s: the string is not terminated", what);
        uint8_t c = p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20) return hp_fail(p, "%s: control byte 0x%02x inside a string must be escaped", what, c);
        p->i++;
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        if (p->i >= p->n) return hp_fail(p, "%s: the string is not terminated", what);
        c = p->s[p->i++];
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t cp;
            MOSA_TRY(hp_hex4(p, what, &cp));
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return hp_fail(p, "%s: \\u%04X is a lone low surrogate (not a character)", what, (unsigned)cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
                    return hp_fail(p, "%s: \\u%04X is a high surrogate without its low half", what, (unsigned)cp);
                p->i += 2;
                MOSA_TRY(hp_hex4(p, what, &lo));
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return hp_fail(p, "%s: \\u%04X is a high surrogate followed by \\u%04X, not a low surrogate",
                                   what, (unsigned)cp, (unsigned)lo);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0) return hp_fail(p, "%s: contains \\u0000 (a NUL character), which mosa does not accept", what);
            o += utf8_put(cp, o);
            break;
        }
        default:
            if (c >= 0x20 && c < 0x7F) return hp_fail(p, "%s: invalid escape '\\%c'", what, c);
            return hp_fail(p, "%s: invalid escape (backslash before byte 0x%02x)", what, c);
        }
    }
    *o++ = 0;
    p->pool_used = (size_t)(o - p->pool);
    *out = start;
    return MOSA_OK;
}

/* Parses a non-negative integer token that fits in uint64 (serde's usize): digits only, no
 * sign, no leading zero, no fraction, no exponent. `what` names the value for messages. */
static mosa_status hp_uint(hparse *p, const char *what, uint64_t *out) {
    hp_ws(p);
    int c = hp_peek(p);
    if (c == '-') return hp_fail(p, "%s: negative number; sizes and offsets are non-negative integers", what);
    if (c < '0' || c > '9') {
        char fb[32];
        return hp_fail(p, "%s: expected a non-negative integer, found %s", what, hp_found(p, fb, sizeof fb));
    }
    if (c == '0' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9')
        return hp_fail(p, "%s: a number with a leading zero is not valid JSON", what);
    uint64_t v = 0;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        uint64_t d = (uint64_t)(p->s[p->i] - '0');
        if (v > (UINT64_MAX - d) / 10) return hp_fail(p, "%s: number does not fit in 64 bits", what);
        v = v * 10 + d;
        p->i++;
    }
    c = hp_peek(p);
    if (c == '.' || c == 'e' || c == 'E')
        return hp_fail(p, "%s: a number with a fraction or exponent; only plain integers are allowed", what);
    *out = v;
    return MOSA_OK;
}

/* Parses [uint, ...] with at most `max` entries into vals; *count gets the number read.
 * More than `max` entries fails with `too_many` (a full sentence). */
static mosa_status hp_uint_array(hparse *p, const char *what, uint64_t *vals, int max, int *count,
                                 mosa_status too_many_status, const char *too_many) {
    char fb[32];
    *count = 0;
    hp_ws(p);
    if (hp_peek(p) != '[') return hp_fail(p, "%s: expected an array, found %s", what, hp_found(p, fb, sizeof fb));
    p->i++;
    hp_ws(p);
    if (hp_peek(p) == ']') {
        p->i++;
        return MOSA_OK;
    }
    for (;;) {
        if (*count == max) return hp_fail_as(p, too_many_status, "%s", too_many);
        MOSA_TRY(hp_uint(p, what, &vals[(*count)++]));
        hp_ws(p);
        int c = hp_peek(p);
        if (c == ',') {
            p->i++;
            continue;
        }
        if (c == ']') {
            p->i++;
            return MOSA_OK;
        }
        return hp_fail(p, "%s: expected ',' or ']' in the array, found %s", what, hp_found(p, fb, sizeof fb));
    }
}

#define ST_STR_(x) #x
#define ST_STR(x) ST_STR_(x)

/* Parses the object of one tensor entry: exactly "dtype", "shape" and "data_offsets". Messages
 * are generic here; hp_tensor puts the tensor's name in front (only when something fails). */
static mosa_status hp_tensor_fields(hparse *p, st_tensor *t) {
    char fb[32];
    hp_ws(p);
    if (hp_peek(p) != '{')
        return hp_fail(p, "expected an object {\"dtype\", \"shape\", \"data_offsets\"}, found %s",
                       hp_found(p, fb, sizeof fb));
    p->i++;
    int have_dtype = 0, have_shape = 0, have_offsets = 0;
    hp_ws(p);
    if (hp_peek(p) == '}') {
        p->i++;
    } else {
        for (;;) {
            const char *key;
            MOSA_TRY(hp_string(p, "a field name", &key));
            MOSA_TRY(hp_expect(p, ':', "after a field name"));
            if (!strcmp(key, "dtype")) {
                if (have_dtype) return hp_fail(p, "field \"dtype\" appears twice");
                have_dtype = 1;
                const char *ds;
                MOSA_TRY(hp_string(p, "the dtype", &ds));
                int d = dtype_lookup(ds);
                if (d < 0) {
                    char db[64];
                    return hp_fail(p,
                                   "unknown dtype '%s' (known: BOOL F4 F6_E2M3 F6_E3M2 U8 I8 F8_E5M2 F8_E4M3 "
                                   "F8_E8M0 F8_E4M3FNUZ F8_E5M2FNUZ I16 U16 F16 BF16 I32 U32 F32 C64 F64 I64 U64)",
                                   msg_name(ds, db, sizeof db));
                }
                t->dtype = (st_dtype)d;
            } else if (!strcmp(key, "shape")) {
                if (have_shape) return hp_fail(p, "field \"shape\" appears twice");
                have_shape = 1;
                MOSA_TRY(hp_uint_array(p, "\"shape\"", t->shape, ST_MAX_DIMS, &t->nd, MOSA_ERR_UNSUPPORTED,
                                       "more than " ST_STR(ST_MAX_DIMS) " dims; mosa reads tensors of at most "
                                       ST_STR(ST_MAX_DIMS) " dims"));
            } else if (!strcmp(key, "data_offsets")) {
                if (have_offsets) return hp_fail(p, "field \"data_offsets\" appears twice");
                have_offsets = 1;
                uint64_t off[2];
                int k;
                MOSA_TRY(hp_uint_array(p, "\"data_offsets\"", off, 2, &k, MOSA_ERR_FORMAT,
                                       "\"data_offsets\" must be [BEGIN, END], found more than 2 numbers"));
                if (k != 2)
                    return hp_fail(p, "\"data_offsets\" must be [BEGIN, END], found %d number%s", k, k == 1 ? "" : "s");
                t->begin = off[0];
                t->end = off[1];
            } else {
                char kb[64];
                return hp_fail(p, "unknown field '%s' (a tensor has exactly \"dtype\", \"shape\" and \"data_offsets\")",
                               msg_name(key, kb, sizeof kb));
            }
            hp_ws(p);
            int c = hp_peek(p);
            if (c == ',') {
                p->i++;
                continue;
            }
            if (c == '}') {
                p->i++;
                break;
            }
            return hp_fail(p, "expected ',' or '}' after a field, found %s", hp_found(p, fb, sizeof fb));
        }
    }
    if (!have_dtype) return hp_fail(p, "missing field \"dtype\"");
    if (!have_shape) return hp_fail(p, "missing field \"shape\"");
    if (!have_offsets) return hp_fail(p, "missing field \"data_offsets\"");
    return MOSA_OK;
}

static mosa_status hp_tensor(hparse *p, st_tensor *t) {
    mosa_status s = hp_tensor_fields(p, t);
    if (s == MOSA_OK || s == MOSA_ERR_NOMEM) return s;
    char nb[128];
    return mosa_fail_context(s, "tensor '%s'", msg_name(t->name, nb, sizeof nb));
}

/* Parses the "__metadata__" value: null, or an object of string values. */
static mosa_status hp_metadata(hparse *p) {
    char fb[32];
    hp_ws(p);
    if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "null", 4)) {
        p->i += 4;
        return MOSA_OK;
    }
    if (hp_peek(p) != '{')
        return hp_fail(p, "\"__metadata__\" must be an object of string values, found %s", hp_found(p, fb, sizeof fb));
    p->i++;
    hp_ws(p);
    if (hp_peek(p) == '}') {
        p->i++;
        return MOSA_OK;
    }
    st_file *f = p->f;
    for (;;) {
        const char *key, *value;
        MOSA_TRY(hp_string(p, "a \"__metadata__\" key", &key));
        MOSA_TRY(hp_expect(p, ':', "after a \"__metadata__\" key"));
        hp_ws(p);
        if (hp_peek(p) != '"') {
            char kb[128];
            return hp_fail(p, "\"__metadata__\" entry '%s': the value must be a string (metadata is a string-to-string "
                              "map), found %s", msg_name(key, kb, sizeof kb), hp_found(p, fb, sizeof fb));
        }
        MOSA_TRY(hp_string(p, "a \"__metadata__\" value", &value));
        if (f->n_meta == p->cap_meta) {
            if (f->n_meta >= ST_MAX_META)
                return hp_fail(p, "more than %d \"__metadata__\" entries; mosa refuses headers this large",
                               ST_MAX_META);
            int cap = p->cap_meta ? 2 * p->cap_meta : 16;
            st_meta *m = mosa_realloc(f->meta, (size_t)cap * sizeof *m);
            if (!m) return mosa_fail_context(MOSA_ERR_NOMEM, "reading the safetensors header");
            f->meta = m;
            p->cap_meta = cap;
        }
        f->meta[f->n_meta].key = key;
        f->meta[f->n_meta].value = value;
        f->n_meta++;
        hp_ws(p);
        int c = hp_peek(p);
        if (c == ',') {
            p->i++;
            continue;
        }
        if (c == '}') {
            p->i++;
            return MOSA_OK;
        }
        return hp_fail(p, "\"__metadata__\": expected ',' or '}', found %s", hp_found(p, fb, sizeof fb));
    }
}

/* Parses the whole header: one object of tensor entries and at most one "__metadata__". */
static mosa_status hp_header(hparse *p) {
    char fb[32];
    st_file *f = p->f;
    int have_meta = 0;
    hp_ws(p);
    if (hp_peek(p) != '{')
        return hp_fail(p, "the header must be a JSON object starting with '{', found %s", hp_found(p, fb, sizeof fb));
    p->i++;
    hp_ws(p);
    if (hp_peek(p) == '}') {
        p->i++;
    } else {
        for (;;) {
            const char *key;
            MOSA_TRY(hp_string(p, "a tensor name or \"__metadata__\"", &key));
            MOSA_TRY(hp_expect(p, ':', "after a tensor name"));
            if (!strcmp(key, "__metadata__")) {
                if (have_meta) return hp_fail(p, "\"__metadata__\" appears twice (duplicate key)");
                have_meta = 1;
                MOSA_TRY(hp_metadata(p));
            } else {
                if (f->n_tensors == p->cap_tensors) {
                    if (f->n_tensors >= ST_MAX_TENSORS)
                        return hp_fail(p, "more than %d tensors; mosa refuses headers this large", ST_MAX_TENSORS);
                    int cap = p->cap_tensors ? 2 * p->cap_tensors : 64;
                    st_tensor *t = mosa_realloc(f->tensors, (size_t)cap * sizeof *t);
                    if (!t) return mosa_fail_context(MOSA_ERR_NOMEM, "reading the safetensors header");
                    f->tensors = t;
                    p->cap_tensors = cap;
                }
                st_tensor *t = &f->tensors[f->n_tensors++];
                memset(t, 0, sizeof *t);
                t->name = key;
                MOSA_TRY(hp_tensor(p, t));
            }
            hp_ws(p);
            int c = hp_peek(p);
            if (c == ',') {
                p->i++;
                continue;
            }
            if (c == '}') {
                p->i++;
                break;
            }
            char nb[128];
            return hp_fail(p, "expected ',' or '}' after the entry '%s', found %s", msg_name(key, nb, sizeof nb),
                           hp_found(p, fb, sizeof fb));
        }
    }
    hp_ws(p);
    if (p->i != p->n)
        return hp_fail(p, "unexpected %s after the header's closing '}' (only whitespace may pad the header)",
                       hp_found(p, fb, sizeof fb));
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Validation of offsets and sizes                                                             */
/* ------------------------------------------------------------------------------------------ */

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

static int cmp_meta_key(const void *a, const void *b) {
    return strcmp(((const st_meta *)a)->key, ((const st_meta *)b)->key);
}

static int cmp_tensor_offsets(const void *a, const void *b) {
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The checks that involve one tensor: END >= BEGIN, element and bit counts without overflow,
 * a whole number of bytes, and END - BEGIN equal to that number. */
static mosa_status check_tensor(const st_tensor *t) {
    char nb[128], sb[256];
    msg_name(t->name, nb, sizeof nb);
    const char *dn = st_dtype_name(t->dtype);
    if (t->end < t->begin)
        return mosa_fail(MOSA_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu) end before they begin", nb,
                         (unsigned long long)t->begin, (unsigned long long)t->end);
    uint64_t ne = 1, nbits;
    for (int d = 0; d < t->nd; d++)
        if (__builtin_mul_overflow(ne, t->shape[d], &ne))
            return mosa_fail(MOSA_ERR_FORMAT, "tensor '%s': shape %s has more elements than fit in 64 bits", nb,
                             st_shape_str(t, sb, sizeof sb));
    if (__builtin_mul_overflow(ne, (uint64_t)st_dtype_bits(t->dtype), &nbits))
        return mosa_fail(MOSA_ERR_FORMAT,
                         "tensor '%s': shape %s of %s is too large (its size in bits overflows 64 bits)", nb,
                         st_shape_str(t, sb, sizeof sb), dn);
    if (nbits % 8 != 0)
        return mosa_fail(MOSA_ERR_FORMAT,
                         "tensor '%s': %llu elements of %s (%d bits each) are not a whole number of bytes", nb,
                         (unsigned long long)ne, dn, st_dtype_bits(t->dtype));
    if (t->end - t->begin != nbits / 8)
        return mosa_fail(MOSA_ERR_FORMAT,
                         "tensor '%s': data_offsets [%llu, %llu) hold %llu bytes but shape %s of %s needs %llu bytes", nb,
                         (unsigned long long)t->begin, (unsigned long long)t->end,
                         (unsigned long long)(t->end - t->begin), st_shape_str(t, sb, sizeof sb), dn,
                         (unsigned long long)(nbits / 8));
    return MOSA_OK;
}

/* Sorted by (BEGIN, END) the tensors must cover [0, last END) exactly once, and the file must end
 * where the last tensor ends. Sets *data_end to the last END. */
static mosa_status check_tiling(st_file *f, uint64_t *data_end) {
    *data_end = 0;
    if (f->n_tensors == 0) return MOSA_OK;
    st_tensor **order = mosa_malloc((size_t)f->n_tensors * sizeof *order);
    if (!order) return mosa_fail_context(MOSA_ERR_NOMEM, "validating the safetensors header");
    for (int i = 0; i < f->n_tensors; i++) order[i] = &f->tensors[i];
    qsort(order, (size_t)f->n_tensors, sizeof *order, cmp_tensor_offsets);
    uint64_t pos = 0;
    mosa_status s = MOSA_OK;
    char nb[128], pb[128];
    for (int k = 0; k < f->n_tensors; k++) {
        const st_tensor *t = order[k];
        if (t->begin > pos) {
            if (k == 0)
                s = mosa_fail(MOSA_ERR_FORMAT,
                              "tensor '%s' is the first in the data section but starts at byte %llu; the data must "
                              "start at 0 with no hole",
                              msg_name(t->name, nb, sizeof nb), (unsigned long long)t->begin);
            else
                s = mosa_fail(MOSA_ERR_FORMAT,
                              "bytes [%llu, %llu) of the data section, between tensors '%s' and '%s', belong to "
                              "no tensor (a hole); every byte must belong to a tensor", (unsigned long long)pos,
                              (unsigned long long)t->begin, msg_name(order[k - 1]->name, pb, sizeof pb),
                              msg_name(t->name, nb, sizeof nb));
            break;
        }
        if (t->begin < pos) {
            const st_tensor *q = order[k - 1];
            s = mosa_fail(MOSA_ERR_FORMAT,
                          "tensors '%s' [%llu, %llu) and '%s' [%llu, %llu) overlap in the data section",
                          msg_name(q->name, pb, sizeof pb), (unsigned long long)q->begin, (unsigned long long)q->end,
                          msg_name(t->name, nb, sizeof nb), (unsigned long long)t->begin, (unsigned long long)t->end);
            break;
        }
        pos = t->end;
    }
    mosa_free(order);
    *data_end = pos;
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Open, parse, close, find                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void st_release(st_file *f) {
    mosa_free(f->tensors);
    mosa_free(f->meta);
    mosa_free(f->strings_);
    if (f->map_) munmap(f->map_, f->size);
    memset(f, 0, sizeof *f);
}

void st_close(st_file *f) {
    if (f) st_release(f);
}

static mosa_status fail_too_small(size_t len) {
    return mosa_fail(MOSA_ERR_FORMAT, "the file is %zu byte%s; a safetensors file starts with an 8-byte header length",
                     len, len == 1 ? "" : "s");
}

mosa_status st_parse(st_file *f, const void *buf, size_t len) {
    memset(f, 0, sizeof *f);
    const uint8_t *b = buf;
    if (len < 8) return fail_too_small(len);
    uint64_t n = load_le64(b);
    if (n > ST_MAX_HEADER_BYTES)
        return mosa_fail(MOSA_ERR_FORMAT, "header length %llu is more than the %llu-byte limit; the file is corrupt or "
                         "not a safetensors file", (unsigned long long)n, ST_MAX_HEADER_BYTES);
    if (8 + n > len)
        return mosa_fail(MOSA_ERR_FORMAT, "header length %llu runs past the end of the file (%zu bytes); the file is "
                         "truncated or not a safetensors file", (unsigned long long)n, len);
    size_t bad = text_utf8_invalid_at(b + 8, (size_t)n);
    if (bad != n)
        return mosa_fail(MOSA_ERR_FORMAT, "the header is not valid UTF-8 (header byte %zu); the file is corrupt", bad);

    f->bytes = b;
    f->size = len;
    f->header_len = n;
    f->strings_ = mosa_malloc((size_t)n + 1);
    if (!f->strings_) {
        st_release(f);
        return mosa_fail_context(MOSA_ERR_NOMEM, "reading the safetensors header");
    }
    hparse p = {.s = b + 8, .n = (size_t)n, .pool = f->strings_, .f = f};
    mosa_status s = hp_header(&p);
    if (s != MOSA_OK) goto fail;

    /* names: sorted, each once */
    if (f->n_tensors > 1) qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, cmp_tensor_name);
    for (int i = 1; i < f->n_tensors; i++)
        if (!strcmp(f->tensors[i - 1].name, f->tensors[i].name)) {
            char nb[128];
            s = mosa_fail(MOSA_ERR_FORMAT, "tensor '%s' appears twice in the header (duplicate key); each name must "
                          "appear once", msg_name(f->tensors[i].name, nb, sizeof nb));
            goto fail;
        }
    if (f->n_meta > 1) qsort(f->meta, (size_t)f->n_meta, sizeof *f->meta, cmp_meta_key);
    for (int i = 1; i < f->n_meta; i++)
        if (!strcmp(f->meta[i - 1].key, f->meta[i].key)) {
            char nb[128];
            s = mosa_fail(MOSA_ERR_FORMAT, "\"__metadata__\" key '%s' appears twice (duplicate key)",
                          msg_name(f->meta[i].key, nb, sizeof nb));
            goto fail;
        }

    /* sizes, then coverage of the data section */
    for (int i = 0; i < f->n_tensors; i++)
        if ((s = check_tensor(&f->tensors[i])) != MOSA_OK) goto fail;
    uint64_t data_end, need;
    if ((s = check_tiling(f, &data_end)) != MOSA_OK) goto fail;
    if (__builtin_add_overflow(data_end, 8 + n, &need) || need > len) {
        s = mosa_fail(MOSA_ERR_FORMAT,
                      "the file is truncated: its tensors end at byte %llu of the data section but the file has "
                      "only %zu bytes after the header", (unsigned long long)data_end, len - 8 - (size_t)n);
        goto fail;
    }
    if (need < len) {
        s = mosa_fail(MOSA_ERR_FORMAT,
                      "%zu byte%s of trailing data after the last tensor (the tensors end at byte %llu of the file, "
                      "which is %zu bytes); a safetensors file ends where its last tensor ends",
                      len - (size_t)need, len - (size_t)need == 1 ? "" : "s", (unsigned long long)need, len);
        goto fail;
    }
    f->data = b + 8 + n;
    f->data_len = len - 8 - (size_t)n;
    for (int i = 0; i < f->n_tensors; i++) {
        st_tensor *t = &f->tensors[i];
        t->nelements = 1;
        for (int d = 0; d < t->nd; d++) t->nelements *= t->shape[d];
        t->data = f->data + t->begin;
    }
    return MOSA_OK;

fail:
    st_release(f);
    return s;
}

mosa_status st_open(st_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mosa_fail(MOSA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return mosa_fail(MOSA_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mosa_fail(MOSA_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > ST_MAX_FILE_BYTES) {
        close(fd);
        return mosa_fail(MOSA_ERR_FORMAT, "%s: the file is %lld bytes, more than the %llu-byte limit for checkpoints",
                         path, (long long)st.st_size, ST_MAX_FILE_BYTES);
    }
    size_t size = (size_t)st.st_size;
    if (size < 8) {
        close(fd);
        fail_too_small(size);
        return mosa_fail_context(MOSA_ERR_FORMAT, "%s", path);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return mosa_fail(MOSA_ERR_IO, "%s: cannot map the file into memory: %s", path, strerror(e));
    mosa_status s = st_parse(f, map, size);
    if (s != MOSA_OK) {
        munmap(map, size);
        return mosa_fail_context(s, "%s", path);
    }
    f->map_ = map;
    return MOSA_OK;
}

const st_tensor *st_find(const st_file *f, const char *name) {
    int lo = 0, hi = f->n_tensors - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(name, f->tensors[mid].name);
        if (c == 0) return &f->tensors[mid];
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return NULL;
}

const char *st_meta_get(const st_file *f, const char *key) {
    int lo = 0, hi = f->n_meta - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(key, f->meta[mid].key);
        if (c == 0) return f->meta[mid].value;
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Conversions                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static float f32_from_bits(uint32_t u) {
    float v;
    memcpy(&v, &u, 4);
    return v;
}

static uint32_t f32_bits(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

/* IEEE binary16 -> binary32, exact for every input (subnormals, infinities, nan payloads). */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
    if (exp == 0x1F) return f32_from_bits(sign | 0x7F800000u | (mant << 13));
    if (exp != 0) return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
    /* zero or subnormal: mant * 2^-24 is exact in float */
    return f32_from_bits(sign | f32_bits((float)mant * 0x1p-24f));
}

/* binary32 -> bfloat16, rounding to nearest even (as torch's .to(torch.bfloat16)); nan stays a
 * quiet nan with its sign. */
static uint16_t float_to_bf16(float v) {
    uint32_t u = f32_bits(v);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

mosa_status st_read_f32(const st_tensor *t, float *out) {
    size_t n = (size_t)t->nelements;
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case ST_F32:
        if (n) memcpy(out, p, n * 4);
        return MOSA_OK;
    case ST_F16:
        for (size_t i = 0; i < n; i++) out[i] = half_to_float((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
        return MOSA_OK;
    case ST_BF16:
        for (size_t i = 0; i < n; i++) out[i] = f32_from_bits((uint32_t)(p[2 * i] | (p[2 * i + 1] << 8)) << 16);
        return MOSA_OK;
    default: {
        char nb[128];
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "tensor '%s' is %s; only F32, F16 and BF16 tensors can be read as float",
                         msg_name(t->name, nb, sizeof nb), st_dtype_name(t->dtype));
    }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t k) {
    if (b->oom) return;
    if (b->n + k > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + k) cap *= 2;
        char *q = mosa_realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
}

static void sb_cstr(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_u64(sbuf *b, uint64_t v) {
    char t[24];
    int k = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    sb_put(b, t, (size_t)k);
}

/* A JSON string escaped as serde_json writes it: \" \\ \b \f \n \r \t, other control bytes
 * as \u00xx, everything else (including '/' and non-ASCII UTF-8) as is. */
static void sb_json_string(sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;
        const char *e = NULL;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default: break;
        }
        if (e) {
            sb_cstr(b, e);
        } else if (c < 0x20) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", c);
            sb_put(b, u, 6);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
    sb_put(b, "\"", 1);
}

typedef struct wentry {
    const char *name;
    const tensor *t;
    uint64_t bytes;
} wentry;

static int cmp_wentry(const void *a, const void *b) {
    return strcmp(((const wentry *)a)->name, ((const wentry *)b)->name);
}

static int cmp_meta_ptr(const void *a, const void *b) {
    return strcmp((*(const st_meta *const *)a)->key, (*(const st_meta *const *)b)->key);
}

static int utf8_ok(const char *s) {
    size_t n = strlen(s);
    return text_utf8_invalid_at((const uint8_t *)s, n) == n;
}

/* Streams one tensor's values to the file as `dtype` (its data may be any strided view). */
static mosa_status write_tensor_data(atomic_file *af, const tensor *t, st_dtype dtype) {
    size_t n = (size_t)t_numel(t);
    if (n == 0) return MOSA_OK;
    const float *src = t->data;
    float *tmp = NULL;
    if (!t_is_contiguous(t)) {
        tmp = mosa_malloc(n * sizeof(float));
        if (!tmp) return mosa_fail_context(MOSA_ERR_NOMEM, "writing tensor '%s'", t->name ? t->name : "?");
        t_copy_to_contiguous(tmp, t);
        src = tmp;
    }
    mosa_status s = MOSA_OK;
    if (dtype == ST_F32) {
        s = atomic_file_write(af, src, n * sizeof(float));
    } else {
        uint8_t buf[8192];
        for (size_t i = 0; i < n && s == MOSA_OK; i += sizeof buf / 2) {
            size_t k = n - i < sizeof buf / 2 ? n - i : sizeof buf / 2;
            for (size_t j = 0; j < k; j++) {
                uint16_t h = float_to_bf16(src[i + j]);
                buf[2 * j] = (uint8_t)(h & 0xFF);
                buf[2 * j + 1] = (uint8_t)(h >> 8);
            }
            s = atomic_file_write(af, buf, 2 * k);
        }
    }
    mosa_free(tmp);
    return s;
}

mosa_status st_write(const char *path, int n, const char *const *names, const tensor *const *tensors,
                     st_dtype dtype, int n_meta, const st_meta *meta) {
    if (dtype != ST_F32 && dtype != ST_BF16)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: st_write stores F32 or BF16, not %s", path, st_dtype_name(dtype));
    if (n < 0 || n_meta < 0 || (n > 0 && (!names || !tensors)) || (n_meta > 0 && !meta))
        return mosa_fail(MOSA_ERR_ARG, "%s: st_write: invalid tensor or metadata list", path);
    const uint64_t esize = dtype == ST_F32 ? 4 : 2;
    char nb[128];
    mosa_status s = MOSA_OK;
    sbuf hb = {0};
    wentry *w = mosa_calloc(n ? (size_t)n : 1, sizeof *w);
    const st_meta **mo = mosa_calloc(n_meta ? (size_t)n_meta : 1, sizeof *mo);
    if (!w || !mo) {
        s = mosa_fail_context(MOSA_ERR_NOMEM, "%s", path);
        goto done;
    }

    /* check and order the tensors (one dtype, so the reference's order is by name) */
    for (int i = 0; i < n; i++) {
        const tensor *t = tensors[i];
        if (!names[i] || !t) {
            s = mosa_fail(MOSA_ERR_ARG, "%s: st_write: tensor %d has no name or no tensor", path, i);
            goto done;
        }
        if (!utf8_ok(names[i]) || !strcmp(names[i], "__metadata__")) {
            s = mosa_fail(MOSA_ERR_ARG, "%s: tensor name '%s' is not valid UTF-8 or is the reserved \"__metadata__\"",
                          path, msg_name(names[i], nb, sizeof nb));
            goto done;
        }
        uint64_t ne = 1;
        for (int d = 0; d < t->nd; d++) {
            if (t->shape[d] < 0 || __builtin_mul_overflow(ne, (uint64_t)t->shape[d], &ne)) {
                s = mosa_fail(MOSA_ERR_ARG, "%s: tensor '%s' has an invalid shape", path,
                              msg_name(names[i], nb, sizeof nb));
                goto done;
            }
        }
        w[i] = (wentry){names[i], t, ne * esize};
    }
    qsort(w, (size_t)n, sizeof *w, cmp_wentry);
    for (int i = 1; i < n; i++)
        if (!strcmp(w[i - 1].name, w[i].name)) {
            s = mosa_fail(MOSA_ERR_ARG, "%s: tensor name '%s' is given twice", path,
                          msg_name(w[i].name, nb, sizeof nb));
            goto done;
        }
    for (int i = 0; i < n_meta; i++) {
        if (!meta[i].key || !meta[i].value || !utf8_ok(meta[i].key) || !utf8_ok(meta[i].value)) {
            s = mosa_fail(MOSA_ERR_ARG, "%s: metadata entry %d is missing or not valid UTF-8", path, i);
            goto done;
        }
        mo[i] = &meta[i];
    }
    qsort(mo, (size_t)n_meta, sizeof *mo, cmp_meta_ptr);
    for (int i = 1; i < n_meta; i++)
        if (!strcmp(mo[i - 1]->key, mo[i]->key)) {
            s = mosa_fail(MOSA_ERR_ARG, "%s: metadata key '%s' is given twice", path,
                          msg_name(mo[i]->key, nb, sizeof nb));
            goto done;
        }

    /* the header, as serde_json writes the reference's Metadata: __metadata__ first, then the
     * tensors in file order, compact, padded with spaces to a multiple of 8 */
    sb_put(&hb, "{", 1);
    if (n_meta > 0) {
        sb_cstr(&hb, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i) sb_put(&hb, ",", 1);
            sb_json_string(&hb, mo[i]->key);
            sb_put(&hb, ":", 1);
            sb_json_string(&hb, mo[i]->value);
        }
        sb_put(&hb, "}", 1);
        if (n > 0) sb_put(&hb, ",", 1);
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        if (i) sb_put(&hb, ",", 1);
        sb_json_string(&hb, w[i].name);
        sb_cstr(&hb, ":{\"dtype\":\"");
        sb_cstr(&hb, st_dtype_name(dtype));
        sb_cstr(&hb, "\",\"shape\":[");
        for (int d = 0; d < w[i].t->nd; d++) {
            if (d) sb_put(&hb, ",", 1);
            sb_u64(&hb, (uint64_t)w[i].t->shape[d]);
        }
        sb_cstr(&hb, "],\"data_offsets\":[");
        sb_u64(&hb, off);
        sb_put(&hb, ",", 1);
        if (__builtin_add_overflow(off, w[i].bytes, &off)) {
            s = mosa_fail(MOSA_ERR_ARG, "%s: the tensors add up to more than 2^64 bytes", path);
            goto done;
        }
        sb_u64(&hb, off);
        sb_cstr(&hb, "]}");
    }
    sb_put(&hb, "}", 1);
    while (hb.n % 8 != 0) sb_put(&hb, " ", 1);
    if (hb.oom) {
        s = mosa_fail_context(MOSA_ERR_NOMEM, "%s: building the header", path);
        goto done;
    }
    if (hb.n > ST_MAX_HEADER_BYTES) {
        s = mosa_fail(MOSA_ERR_ARG, "%s: the header would be %zu bytes, more than the %llu bytes readers accept", path,
                      hb.n, ST_MAX_HEADER_BYTES);
        goto done;
    }

    /* the bytes: length, header, data; all or nothing */
    atomic_file af;
    if ((s = atomic_file_open(&af, path)) != MOSA_OK) goto done;
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)hb.n >> (8 * i));
    atomic_file_write(&af, len8, 8);
    atomic_file_write(&af, hb.p, hb.n);
    for (int i = 0; i < n && s == MOSA_OK; i++) {
        s = write_tensor_data(&af, w[i].t, dtype);
        if (s != MOSA_OK && af.status == MOSA_OK) af.status = s; /* make the commit abort */
    }
    s = atomic_file_commit(&af);

done:
    mosa_free(hb.p);
    mosa_free(w);
    mosa_free(mo);
    return s;
}

mosa_status st_save_params(const char *path, const param_store *ps, st_dtype dtype, int n_meta, const st_meta *meta) {
    int n = ps->n;
    const char **names = mosa_calloc(n ? (size_t)n : 1, sizeof *names);
    const tensor **ts = mosa_calloc(n ? (size_t)n : 1, sizeof *ts);
    mosa_status s;
    if (!names || !ts) {
        s = mosa_fail_context(MOSA_ERR_NOMEM, "%s", path);
    } else {
        for (int i = 0; i < n; i++) {
            names[i] = ps->t[i]->name;
            ts[i] = ps->t[i];
        }
        s = st_write(path, n, names, ts, dtype, n_meta, meta);
    }
    mosa_free(names);
    mosa_free(ts);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading parameters                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* Collects problems into one message: as many as fit, then "and N more". */
typedef struct problems {
    char text[760];
    size_t len;
    int count, listed;
} problems;

static void problem_add(problems *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem_add(problems *pr, const char *fmt, ...) {
    char one[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(one, sizeof one, fmt, ap);
    va_end(ap);
    pr->count++;
    size_t k = strlen(one), sep = pr->listed ? 2 : 0;
    if (pr->listed == pr->count - 1 && pr->len + sep + k + 24 < sizeof pr->text) {
        if (sep) memcpy(pr->text + pr->len, "; ", 2);
        memcpy(pr->text + pr->len + sep, one, k + 1);
        pr->len += sep + k;
        pr->listed++;
    }
}

static int shape_matches(const st_tensor *ft, const tensor *p) {
    if (ft->nd != p->nd) return 0;
    for (int d = 0; d < p->nd; d++)
        if (ft->shape[d] != (uint64_t)p->shape[d]) return 0;
    return 1;
}

mosa_status st_load_params(param_store *ps, const char *path, int strict) {
    st_file f;
    MOSA_TRY(st_open(&f, path));
    uint8_t *seen = mosa_calloc(f.n_tensors ? (size_t)f.n_tensors : 1, 1);
    if (!seen) {
        st_close(&f);
        return mosa_fail_context(MOSA_ERR_NOMEM, "%s", path);
    }
    problems pr = {.len = 0};
    char nb[128], fs[256], ms[256];
    for (int i = 0; i < ps->n; i++) {
        const tensor *p = ps->t[i];
        const st_tensor *ft = st_find(&f, p->name);
        msg_name(p->name, nb, sizeof nb);
        if (!ft) {
            problem_add(&pr, "missing '%s'", nb);
            continue;
        }
        seen[ft - f.tensors] = 1;
        if (!shape_matches(ft, p))
            problem_add(&pr, "'%s' has shape %s in the file but %s in the model", nb, st_shape_str(ft, fs, sizeof fs),
                        t_shape_str(p, ms, sizeof ms));
        else if (ft->dtype != ST_F32 && ft->dtype != ST_F16 && ft->dtype != ST_BF16)
            problem_add(&pr, "'%s' is %s in the file; only F32, F16 and BF16 load into parameters", nb,
                        st_dtype_name(ft->dtype));
    }
    int unexpected = 0;
    if (strict)
        for (int i = 0; i < f.n_tensors; i++)
            if (!seen[i]) {
                problem_add(&pr, "unexpected '%s'", msg_name(f.tensors[i].name, nb, sizeof nb));
                unexpected++;
            }
    mosa_status s = MOSA_OK;
    if (pr.count > 0) {
        char more[48] = "";
        if (pr.listed < pr.count) snprintf(more, sizeof more, "; and %d more", pr.count - pr.listed);
        s = mosa_fail(MOSA_ERR_MISMATCH, "%s: %d problem%s: %s%s%s", path, pr.count, pr.count == 1 ? "" : "s", pr.text,
                      more, unexpected ? " (a non-strict load ignores tensors the model does not have)" : "");
    } else {
        for (int i = 0; i < ps->n && s == MOSA_OK; i++) s = st_read_f32(st_find(&f, ps->t[i]->name), ps->t[i]->data);
    }
    mosa_free(seen);
    st_close(&f);
    return s;
}
