/* npy.c: the validating .npy reader and the np.save-compatible writer (see npy.h).
 *
 * What this is: a purpose-built parser for the one Python dict literal a .npy header holds (no
 * general Python-literal evaluator), size checks done before anything is allocated or read,
 * conversion to float32/int64 with byte swapping and Fortran-to-C transposition, and a writer
 * laying out bytes as NumPy's _wrap_header does. What this is not: a .npz reader or a writer of
 * dtypes other than <f4 and <i8.
 *
 * Reading order: magic (6 bytes) and version (1.0/2.0/3.0); header length (u16 or u32 LE)
 * <= 10,000 and inside the file; header bytes ASCII without NUL; the dict parsed strictly;
 * dtype whitelisted; shape product and byte count overflow-checked; then the data size must
 * equal the bytes left exactly. */
#include "npy.h"

#include <stdarg.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host"
#endif

/* ------------------------------------------------------------------------------------------ */
/* Dtypes                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static const struct {
    const char *le, *be; /* descr strings; be NULL for single-byte types */
    size_t size;
} k_dtypes[NPY_DTYPE_COUNT] = {
    [NPY_F2] = {"<f2", ">f2", 2}, [NPY_F4] = {"<f4", ">f4", 4}, [NPY_F8] = {"<f8", ">f8", 8},
    [NPY_I4] = {"<i4", ">i4", 4}, [NPY_I8] = {"<i8", ">i8", 8}, [NPY_U1] = {"|u1", NULL, 1},
    [NPY_B1] = {"|b1", NULL, 1},
};

const char *npy_dtype_name(npy_dtype d) { return ((int)d >= 0 && d < NPY_DTYPE_COUNT) ? k_dtypes[d].le : "?"; }

/* ------------------------------------------------------------------------------------------ */
/* The header parser                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct hp {
    const char *s;
    size_t n, i;
    int version;
} hp;

static mosa_status hp_fail(const hp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static mosa_status hp_fail(const hp *p, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mosa_fail(MOSA_ERR_FORMAT, "not a valid .npy header: %s (header character %zu)", msg, p->i);
}

static void hp_ws(hp *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}
static int hp_peek(const hp *p) { return p->i < p->n ? (unsigned char)p->s[p->i] : -1; }

/* What is at the cursor, for messages. */
static const char *hp_found(const hp *p, char *buf, size_t n) {
    if (p->i >= p->n) return "the end of the header";
    snprintf(buf, n, "'%c'", p->s[p->i]);
    return buf;
}

static mosa_status hp_expect(hp *p, char c, const char *what) {
    hp_ws(p);
    if (hp_peek(p) == c) {
        p->i++;
        return MOSA_OK;
    }
    char b[16];
    return hp_fail(p, "expected '%c' %s, found %s", c, what, hp_found(p, b, sizeof b));
}

/* A Python string literal in single or double quotes without escapes, copied into out
 * (at most cap-1 characters; longer strings are an error). */
static mosa_status hp_string(hp *p, char *out, size_t cap, const char *what) {
    hp_ws(p);
    int q = hp_peek(p);
    if (q != '\'' && q != '"') {
        char b[16];
        return hp_fail(p, "expected a quoted string for %s, found %s", what, hp_found(p, b, sizeof b));
    }
    p->i++;
    size_t k = 0;
    for (;;) {
        if (p->i >= p->n) return hp_fail(p, "unterminated string in %s", what);
        char c = p->s[p->i];
        if (c == q) break;
        if (c == '\\') return hp_fail(p, "escape sequences are not supported in %s", what);
        if (c == '\n' || c == '\r') return hp_fail(p, "line break inside a string in %s", what);
        if (k + 1 >= cap) return hp_fail(p, "string too long in %s", what);
        out[k++] = c;
        p->i++;
    }
    p->i++;
    out[k] = 0;
    return MOSA_OK;
}

static mosa_status hp_descr(hp *p, npy_array *a) {
    hp_ws(p);
    if (hp_peek(p) == '[')
        return hp_fail(p, "'descr' is a list: structured (record) dtypes are not supported; save a plain numeric array");
    char d[64];
    MOSA_TRY(hp_string(p, d, sizeof d, "'descr'"));
    for (int t = 0; t < NPY_DTYPE_COUNT; t++) {
        if (!strcmp(d, k_dtypes[t].le) || (k_dtypes[t].be && !strcmp(d, k_dtypes[t].be))) {
            a->dtype = (npy_dtype)t;
            a->big_endian = d[0] == '>';
            a->itemsize = k_dtypes[t].size;
            return MOSA_OK;
        }
    }
    if (strchr(d, 'O'))
        return mosa_fail(MOSA_ERR_UNSUPPORTED,
                         ".npy dtype '%s' holds Python objects (pickles, which can run code when loaded); "
                         "it is refused: save a numeric array (e.g. float32) instead", d);
    return mosa_fail(MOSA_ERR_UNSUPPORTED,
                     ".npy dtype '%s' is not supported; supported: <f4 <f8 <f2 <i4 <i8 |u1 |b1 and the "
                     "big-endian >f4 >f8 >f2 >i4 >i8 (convert the array, e.g. arr.astype(np.float32))", d);
}

static mosa_status hp_bool(hp *p, int *out) {
    hp_ws(p);
    if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "True", 4)) {
        p->i += 4;
        *out = 1;
    } else if (p->n - p->i >= 5 && !memcmp(p->s + p->i, "False", 5)) {
        p->i += 5;
        *out = 0;
    } else {
        char b[16];
        return hp_fail(p, "expected True or False for 'fortran_order', found %s", hp_found(p, b, sizeof b));
    }
    int c = hp_peek(p);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
        return hp_fail(p, "expected True or False for 'fortran_order'");
    return MOSA_OK;
}

/* A non-negative decimal integer (no sign, no leading zeros, no underscores; an 'L' suffix is
 * allowed in v1/v2 headers as NumPy's reader allows it for Python 2 files). */
static mosa_status hp_dim(hp *p, int64_t *out) {
    hp_ws(p);
    int c = hp_peek(p);
    if (c == '-') return hp_fail(p, "negative dimension in 'shape'");
    if (c < '0' || c > '9') {
        char b[16];
        return hp_fail(p, "expected a dimension (a non-negative integer) in 'shape', found %s", hp_found(p, b, sizeof b));
    }
    size_t start = p->i;
    uint64_t v = 0;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        unsigned d = (unsigned)(p->s[p->i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10) return hp_fail(p, "dimension too large in 'shape'");
        v = v * 10 + d;
        p->i++;
    }
    if (p->i - start > 1 && p->s[start] == '0') return hp_fail(p, "dimension with a leading zero in 'shape'");
    if (p->i < p->n && (p->s[p->i] == 'L' || p->s[p->i] == 'l') && p->version <= 2) p->i++;
    c = hp_peek(p);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.')
        return hp_fail(p, "malformed dimension in 'shape'");
    *out = (int64_t)v;
    return MOSA_OK;
}

static mosa_status hp_shape(hp *p, npy_array *a) {
    hp_ws(p);
    if (hp_peek(p) != '(') {
        char b[16];
        return hp_fail(p, "expected a tuple '(...)' for 'shape', found %s", hp_found(p, b, sizeof b));
    }
    p->i++;
    int nd = 0, trailing_comma = 0;
    hp_ws(p);
    while (hp_peek(p) != ')') {
        if (nd == NPY_MAX_DIMS)
            return mosa_fail(MOSA_ERR_UNSUPPORTED, ".npy array has more than %d dimensions", NPY_MAX_DIMS);
        MOSA_TRY(hp_dim(p, &a->shape[nd]));
        nd++;
        hp_ws(p);
        trailing_comma = 0;
        if (hp_peek(p) == ',') {
            p->i++;
            trailing_comma = 1;
            hp_ws(p);
        } else if (hp_peek(p) != ')') {
            char b[16];
            return hp_fail(p, "expected ',' or ')' in 'shape', found %s", hp_found(p, b, sizeof b));
        }
    }
    p->i++;
    if (nd == 1 && !trailing_comma) return hp_fail(p, "'shape' (n) is a number, not a tuple: a 1-tuple is written (n,)");
    a->nd = nd;
    return MOSA_OK;
}

static mosa_status header_parse(npy_array *a, const char *s, size_t n, int version) {
    hp p = {s, n, 0, version};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0 || c >= 0x80 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
            p.i = i;
            return hp_fail(&p, "byte 0x%02x is not allowed (the header of a numeric array is plain ASCII)", c);
        }
    }
    MOSA_TRY(hp_expect(&p, '{', "at the start of the header dict"));
    int seen[3] = {0, 0, 0};
    for (;;) {
        hp_ws(&p);
        if (hp_peek(&p) == '}') break;
        char key[32];
        MOSA_TRY(hp_string(&p, key, sizeof key, "a key"));
        int k = !strcmp(key, "descr") ? 0 : !strcmp(key, "fortran_order") ? 1 : !strcmp(key, "shape") ? 2 : -1;
        if (k < 0) return hp_fail(&p, "unexpected key '%s' (expected exactly 'descr', 'fortran_order', 'shape')", key);
        if (seen[k]) return hp_fail(&p, "duplicate key '%s'", key);
        seen[k] = 1;
        MOSA_TRY(hp_expect(&p, ':', "after a key"));
        if (k == 0) MOSA_TRY(hp_descr(&p, a));
        else if (k == 1) MOSA_TRY(hp_bool(&p, &a->fortran_order));
        else MOSA_TRY(hp_shape(&p, a));
        hp_ws(&p);
        if (hp_peek(&p) == ',') {
            p.i++;
            continue;
        }
        if (hp_peek(&p) == '}') break;
        char b[16];
        return hp_fail(&p, "expected ',' or '}' after a value, found %s", hp_found(&p, b, sizeof b));
    }
    p.i++;
    hp_ws(&p);
    if (p.i != p.n) return hp_fail(&p, "unexpected characters after the header dict");
    for (int k = 0; k < 3; k++)
        if (!seen[k])
            return hp_fail(&p, "missing key '%s'", k == 0 ? "descr" : k == 1 ? "fortran_order" : "shape");
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Parse, load                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void shape_str(const npy_array *a, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < a->nd && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)a->shape[i]);
    if (k < n) snprintf(buf + k, n - k, a->nd == 1 ? ",)" : ")");
}

mosa_status npy_parse(npy_array *a, const uint8_t *buf, size_t len) {
    memset(a, 0, sizeof *a);
    npy_array r;
    memset(&r, 0, sizeof r);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) {
        if (len >= 6 && !memcmp(buf, "PK\x03\x04", 4))
            return mosa_fail(MOSA_ERR_FORMAT, "this is a zip archive (.npz?), not a .npy file; unpack it first");
        return mosa_fail(MOSA_ERR_FORMAT, "not a .npy file (no \\x93NUMPY magic%s)", len < 10 ? "; file too short" : "");
    }
    int major = buf[6], minor = buf[7];
    if (minor != 0 || major < 1 || major > 3)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, ".npy format version %d.%d is not supported (only 1.0, 2.0, 3.0 exist)",
                         major, minor);
    size_t hlen, prefix;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        prefix = 10;
    } else {
        if (len < 12) return mosa_fail(MOSA_ERR_FORMAT, ".npy file seems not fully written (it ends inside the header length)");
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        prefix = 12;
    }
    if (hlen > NPY_MAX_HEADER)
        return mosa_fail(MOSA_ERR_FORMAT, ".npy header is %zu bytes, more than NumPy's limit of %d", hlen, NPY_MAX_HEADER);
    if (hlen == 0) return mosa_fail(MOSA_ERR_FORMAT, ".npy header is empty");
    if (hlen > len - prefix)
        return mosa_fail(MOSA_ERR_FORMAT, ".npy file seems not fully written: the header needs %zu bytes, %zu remain",
                         hlen, len - prefix);
    r.version = major;
    MOSA_TRY(header_parse(&r, (const char *)buf + prefix, hlen, major));
    size_t count = 1;
    for (int i = 0; i < r.nd; i++) {
        if (!mosa_mul_ok(count, (size_t)r.shape[i], &count)) {
            count = SIZE_MAX;
            break;
        }
    }
    size_t bytes;
    char sh[256];
    shape_str(&r, sh, sizeof sh);
    if (count == SIZE_MAX || !mosa_mul_ok(count, r.itemsize, &bytes))
        return mosa_fail(MOSA_ERR_FORMAT, ".npy shape %s of %s is too large (its byte count overflows)", sh,
                         npy_dtype_name(r.dtype));
    size_t start = prefix + hlen, avail = len - start;
    if (avail < bytes)
        return mosa_fail(MOSA_ERR_FORMAT, ".npy file seems not fully written: shape %s of %s needs %zu data bytes, only %zu follow the header",
                         sh, npy_dtype_name(r.dtype), bytes, avail);
    if (avail > bytes)
        return mosa_fail(MOSA_ERR_FORMAT, ".npy file has %zu unexpected bytes after the data of shape %s of %s",
                         avail - bytes, sh, npy_dtype_name(r.dtype));
    r.count = count;
    r.data_offset = start;
    r.data = buf + start;
    *a = r;
    return MOSA_OK;
}

mosa_status npy_load(npy_array *a, const char *path, size_t max_bytes) {
    memset(a, 0, sizeof *a);
    uint8_t *buf;
    size_t len;
    MOSA_TRY(file_read_all(path, max_bytes ? max_bytes : NPY_MAX_FILE_BYTES, &buf, &len));
    mosa_status s = npy_parse(a, buf, len);
    if (s != MOSA_OK) {
        mosa_free(buf);
        return mosa_fail_context(s, "'%s'", path);
    }
    a->owned = buf;
    return MOSA_OK;
}

void npy_array_free(npy_array *a) {
    mosa_free(a->owned);
    memset(a, 0, sizeof *a);
}

/* ------------------------------------------------------------------------------------------ */
/* Conversion                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* IEEE half to float, exactly (subnormals, inf, nan kept). */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu, bits;
    if (e == 0x1F) bits = sign | 0x7F800000u | (m << 13);
    else if (e != 0) bits = sign | ((e + 112) << 23) | (m << 13);
    else if (m == 0) bits = sign;
    else {
        e = 113;
        while (!(m & 0x400u)) m <<= 1, e--;
        bits = sign | (e << 23) | ((m & 0x3FFu) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Copies element k's bytes into le[] in little-endian order. */
static void elem_bytes(const npy_array *a, size_t k, uint8_t le[8]) {
    const size_t n = a->itemsize <= 8 ? a->itemsize : 8;
    const uint8_t *src = a->data + k * n;
    for (size_t b = 0; b < n; b++) le[b] = a->big_endian ? src[n - 1 - b] : src[b];
}

/* Runs the statement given after `a` once per element in C order, with i_ the C-order index
 * and src_ the element's position in the file (they differ only for Fortran order). */
#define NPY_FOREACH(a, ...)                                                                   \
    do {                                                                                       \
        if (!(a)->fortran_order || (a)->nd < 2) {                                              \
            for (size_t i_ = 0; i_ < (a)->count; i_++) {                                       \
                size_t src_ = i_;                                                              \
                __VA_ARGS__;                                                                   \
            }                                                                                  \
        } else {                                                                               \
            size_t idx_[NPY_MAX_DIMS] = {0}, fs_[NPY_MAX_DIMS], off_ = 0;                      \
            fs_[0] = 1;                                                                        \
            for (int k_ = 1; k_ < (a)->nd; k_++) fs_[k_] = fs_[k_ - 1] * (size_t)(a)->shape[k_ - 1]; \
            for (size_t i_ = 0; i_ < (a)->count; i_++) {                                       \
                size_t src_ = off_;                                                            \
                __VA_ARGS__;                                                                   \
                for (int k_ = (a)->nd - 1; k_ >= 0; k_--) {                                    \
                    idx_[k_]++;                                                                \
                    off_ += fs_[k_];                                                           \
                    if (idx_[k_] < (size_t)(a)->shape[k_]) break;                              \
                    off_ -= fs_[k_] * (size_t)(a)->shape[k_];                                  \
                    idx_[k_] = 0;                                                              \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    } while (0)

void npy_array_to_f32(const npy_array *a, float *out) {
    NPY_FOREACH(a, {
        uint8_t b[8];
        elem_bytes(a, src_, b);
        float v;
        switch (a->dtype) {
        case NPY_F2: { uint16_t h; memcpy(&h, b, 2); v = half_to_float(h); break; }
        case NPY_F4: memcpy(&v, b, 4); break;
        case NPY_F8: { double d; memcpy(&d, b, 8); v = (float)d; break; }
        case NPY_I4: { int32_t x; memcpy(&x, b, 4); v = (float)x; break; }
        case NPY_I8: { int64_t x; memcpy(&x, b, 8); v = (float)x; break; }
        case NPY_U1: v = (float)b[0]; break;
        default: v = b[0] ? 1.0f : 0.0f; break;
        }
        out[i_] = v;
    });
}

mosa_status npy_array_to_i64(const npy_array *a, int64_t *out) {
    if (a->dtype == NPY_F2 || a->dtype == NPY_F4 || a->dtype == NPY_F8)
        return mosa_fail(MOSA_ERR_MISMATCH, "expected an integer .npy array, found %s", npy_dtype_name(a->dtype));
    NPY_FOREACH(a, {
        uint8_t b[8];
        elem_bytes(a, src_, b);
        int64_t v;
        switch (a->dtype) {
        case NPY_I4: { int32_t x; memcpy(&x, b, 4); v = x; break; }
        case NPY_I8: memcpy(&v, b, 8); break;
        case NPY_U1: v = b[0]; break;
        default: v = b[0] ? 1 : 0; break;
        }
        out[i_] = v;
    });
    return MOSA_OK;
}

mosa_status npy_read_f32(const char *path, float **data, int64_t shape[NPY_MAX_DIMS], int *nd) {
    *data = NULL;
    *nd = 0;
    npy_array a;
    MOSA_TRY(npy_load(&a, path, 0));
    float *out = mosa_malloc(a.count * sizeof(float)); /* count*4 <= 2 * file bytes: no overflow */
    if (!out) {
        npy_array_free(&a);
        return mosa_fail_context(MOSA_ERR_NOMEM, "'%s'", path);
    }
    npy_array_to_f32(&a, out);
    memcpy(shape, a.shape, sizeof a.shape);
    *nd = a.nd;
    *data = out;
    npy_array_free(&a);
    return MOSA_OK;
}

mosa_status npy_read_i64(const char *path, int64_t **data, int64_t shape[NPY_MAX_DIMS], int *nd) {
    *data = NULL;
    *nd = 0;
    npy_array a;
    MOSA_TRY(npy_load(&a, path, 0));
    size_t bytes;
    int64_t *out = NULL;
    mosa_status s = MOSA_OK;
    if (!mosa_mul_ok(a.count, sizeof(int64_t), &bytes) || !(out = mosa_malloc(bytes))) s = MOSA_ERR_NOMEM;
    if (s == MOSA_OK) s = npy_array_to_i64(&a, out);
    if (s != MOSA_OK) {
        mosa_free(out);
        npy_array_free(&a);
        return mosa_fail_context(s, "'%s'", path);
    }
    memcpy(shape, a.shape, sizeof a.shape);
    *nd = a.nd;
    *data = out;
    npy_array_free(&a);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Validates a shape for writing and returns its element count. */
static mosa_status shape_count(const int64_t *shape, int nd, size_t itemsize, size_t *count, size_t *bytes) {
    if (nd < 0 || nd > NPY_MAX_DIMS) return mosa_fail(MOSA_ERR_ARG, "npy: %d dimensions (0..%d allowed)", nd, NPY_MAX_DIMS);
    if (nd > 0 && !shape) return mosa_fail(MOSA_ERR_ARG, "npy: no shape given for %d dimensions", nd);
    size_t c = 1;
    for (int i = 0; i < nd; i++) {
        if (shape[i] < 0) return mosa_fail(MOSA_ERR_ARG, "npy: dimension %d is negative (%lld)", i, (long long)shape[i]);
        if (!mosa_mul_ok(c, (size_t)shape[i], &c)) return mosa_fail(MOSA_ERR_ARG, "npy: the shape's element count overflows");
    }
    if (!mosa_mul_ok(c, itemsize, bytes)) return mosa_fail(MOSA_ERR_ARG, "npy: the array's byte count overflows");
    *count = c;
    return MOSA_OK;
}

/* Bytes per element of the dtypes the writer supports. */
static size_t write_itemsize(npy_dtype dtype) { return dtype == NPY_U1 ? 1 : dtype == NPY_F4 ? 4 : 8; }

mosa_status npy_encode_header(uint8_t out[NPY_HEADER_MAX_ENCODED], size_t *out_len, npy_dtype dtype,
                              const int64_t *shape, int nd) {
    *out_len = 0;
    if (dtype != NPY_F4 && dtype != NPY_I8 && dtype != NPY_U1)
        return mosa_fail(MOSA_ERR_ARG, "npy: the writer writes float32, int64 or uint8 only, not %s", npy_dtype_name(dtype));
    size_t count, bytes;
    MOSA_TRY(shape_count(shape, nd, write_itemsize(dtype), &count, &bytes));
    /* The dict as NumPy writes it: sorted keys, repr values, "'k': v, " each, then spaces so
     * that the first dimension can grow to 21 digits in place (GROWTH_AXIS_MAX_DIGITS). At most
     * 58 + 8 * 21 + 21 characters. */
    char h[320];
    size_t k = (size_t)snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (", npy_dtype_name(dtype));
    for (int i = 0; i < nd; i++) k += (size_t)snprintf(h + k, sizeof h - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    k += (size_t)snprintf(h + k, sizeof h - k, nd == 1 ? ",), }" : "), }");
    if (nd > 0) {
        char d0[24];
        int l0 = snprintf(d0, sizeof d0, "%lld", (long long)shape[0]);
        for (int i = l0; i < 21; i++) h[k++] = ' ';
    }
    /* _wrap_header: hlen = len + 1 ('\n'); pad = 64 - (magic 6 + version 2 + u16 field + hlen) % 64,
     * so pad is 1..64 (64 when already aligned, as NumPy does). A header needs v2.0 (u32 field)
     * only past 65535 bytes, which 8 dimensions never reach. */
    size_t hlen = k + 1, pad = 64 - ((6 + 2 + 2 + hlen) % 64), total = 10 + hlen + pad;
    MOSA_ASSERT(total <= NPY_HEADER_MAX_ENCODED);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    size_t L = hlen + pad;
    out[8] = (uint8_t)L;
    out[9] = (uint8_t)(L >> 8);
    memcpy(out + 10, h, k);
    memset(out + 10 + k, ' ', pad);
    out[10 + k + pad] = '\n';
    *out_len = total;
    return MOSA_OK;
}

mosa_status npy_encode(uint8_t **out, size_t *out_len, npy_dtype dtype, const void *data, const int64_t *shape,
                       int nd) {
    *out = NULL;
    *out_len = 0;
    uint8_t h[NPY_HEADER_MAX_ENCODED];
    size_t hl, count, bytes, total;
    MOSA_TRY(npy_encode_header(h, &hl, dtype, shape, nd));
    MOSA_TRY(shape_count(shape, nd, write_itemsize(dtype), &count, &bytes));
    if (count > 0 && !data) return mosa_fail(MOSA_ERR_ARG, "npy: no data for %zu elements", count);
    if (!mosa_add_ok(hl, bytes, &total)) return mosa_fail(MOSA_ERR_ARG, "npy: the file size overflows");
    uint8_t *buf = mosa_malloc(total);
    if (!buf) return MOSA_ERR_NOMEM;
    memcpy(buf, h, hl);
    if (bytes) memcpy(buf + hl, data, bytes);
    *out = buf;
    *out_len = total;
    return MOSA_OK;
}

/* Streams header and data to a temporary file, then renames it over path. */
static mosa_status npy_write(const char *path, npy_dtype dtype, const void *data, const int64_t *shape, int nd) {
    uint8_t h[NPY_HEADER_MAX_ENCODED];
    size_t hl, count, bytes;
    mosa_status s = npy_encode_header(h, &hl, dtype, shape, nd);
    if (s == MOSA_OK) s = shape_count(shape, nd, write_itemsize(dtype), &count, &bytes);
    if (s == MOSA_OK && count > 0 && !data) s = mosa_fail(MOSA_ERR_ARG, "npy: no data for %zu elements", count);
    if (s != MOSA_OK) return mosa_fail_context(s, "writing '%s'", path);
    atomic_file f;
    MOSA_TRY(atomic_file_open(&f, path));
    atomic_file_write(&f, h, hl);
    if (bytes) atomic_file_write(&f, data, bytes);
    return atomic_file_commit(&f);
}

mosa_status npy_write_f32(const char *path, const float *data, const int64_t *shape, int nd) {
    return npy_write(path, NPY_F4, data, shape, nd);
}

mosa_status npy_write_i64(const char *path, const int64_t *data, const int64_t *shape, int nd) {
    return npy_write(path, NPY_I8, data, shape, nd);
}

mosa_status npy_write_u8(const char *path, const uint8_t *data, const int64_t *shape, int nd) {
    return npy_write(path, NPY_U1, data, shape, nd);
}
