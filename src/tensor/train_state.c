/* train_state.c: see train_state.h. */
#include "train_state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TS_FORMAT "train_state/1"
/* hex of: 624 state words, index, has_next flag, next_double bits (all as u64 except words) */
#define RNG_HEX_LEN (624 * 8 + 3 * 16)

static void rng_to_hex(const mosa_rng *r, char *out) {
    char *p = out;
    for (int i = 0; i < 624; i++) p += sprintf(p, "%08" PRIx32, r->state[i]);
    uint64_t bits;
    memcpy(&bits, &r->next_double_normal, sizeof bits);
    p += sprintf(p, "%016" PRIx64, (uint64_t)r->index);
    p += sprintf(p, "%016" PRIx64, (uint64_t)r->has_next_double_normal);
    sprintf(p, "%016" PRIx64, bits);
}

static int hex_u64(const char *s, int n, uint64_t *out) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        char ch = s[i];
        int d = (ch >= '0' && ch <= '9') ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 1;
}

static int rng_from_hex(mosa_rng *r, const char *s) {
    if (strlen(s) != RNG_HEX_LEN) return 0;
    mosa_rng t = *r;
    uint64_t v;
    for (int i = 0; i < 624; i++) {
        if (!hex_u64(s + 8 * i, 8, &v)) return 0;
        t.state[i] = (uint32_t)v;
    }
    const char *q = s + 624 * 8;
    if (!hex_u64(q, 16, &v) || v > 624) return 0;
    t.index = (int)v;
    if (!hex_u64(q + 16, 16, &v) || v > 1) return 0;
    t.has_next_double_normal = (int)v;
    if (!hex_u64(q + 32, 16, &v)) return 0;
    memcpy(&t.next_double_normal, &v, sizeof v);
    *r = t;
    return 1;
}

/* Wraps a slab range as a tensor header (no arena needed: the writer only reads). */
static tensor wrap_like(const tensor *p, float *data) {
    tensor t = *p;
    t.data = data;
    t.grad = NULL;
    return t;
}

mosa_status train_state_save(const char *path, const param_store *ps, const adamw *opt, const ema *e,
                             const train_state_rng *rngs, int n_rngs, int64_t data_position) {
    if (!ps->finalized || !opt->m) return mosa_fail(MOSA_ERR_INTERNAL, "train_state_save: model or optimizer not initialised");
    const int per = e ? 4 : 3, n = ps->n * per;
    mosa_status s = MOSA_ERR_NOMEM;
    char **names = mosa_calloc((size_t)n, sizeof *names);
    tensor *hdr = mosa_calloc((size_t)n, sizeof *hdr);
    const tensor **ptrs = mosa_calloc((size_t)n, sizeof *ptrs);
    const int n_meta = 3 + n_rngs;
    st_meta *meta = mosa_calloc((size_t)n_meta, sizeof *meta);
    char *rng_hex = mosa_calloc((size_t)(n_rngs ? n_rngs : 1), RNG_HEX_LEN + 1);
    char *rng_keys = mosa_calloc((size_t)(n_rngs ? n_rngs : 1), 96);
    char step_s[32], pos_s[32];
    if (!names || !hdr || !ptrs || !meta || !rng_hex || !rng_keys) goto out;
    static const char *const prefix[4] = {"param.", "adam_m.", "adam_v.", "ema."};
    for (int i = 0; i < ps->n; i++) {
        const tensor *p = ps->t[i];
        const size_t off = (size_t)(p->data - ps->data);
        float *src[4] = {p->data, opt->m + off, opt->v + off, e ? e->shadow + off : NULL};
        for (int k = 0; k < per; k++) {
            const int j = i * per + k;
            size_t len = strlen(prefix[k]) + strlen(p->name) + 1;
            names[j] = mosa_malloc(len);
            if (!names[j]) goto out;
            snprintf(names[j], len, "%s%s", prefix[k], p->name);
            hdr[j] = wrap_like(p, src[k]);
            ptrs[j] = &hdr[j];
        }
    }
    snprintf(step_s, sizeof step_s, "%" PRId64, opt->step);
    snprintf(pos_s, sizeof pos_s, "%" PRId64, data_position);
    meta[0] = (st_meta){"mosa.format", TS_FORMAT};
    meta[1] = (st_meta){"step", step_s};
    meta[2] = (st_meta){"data_position", pos_s};
    for (int i = 0; i < n_rngs; i++) {
        char *key = rng_keys + 96 * i, *hex = rng_hex + (size_t)(RNG_HEX_LEN + 1) * i;
        snprintf(key, 96, "rng.%s", rngs[i].label);
        rng_to_hex(rngs[i].rng, hex);
        meta[3 + i] = (st_meta){key, hex};
    }
    s = st_write(path, n, (const char *const *)names, ptrs, ST_F32, n_meta, meta);
out:
    if (names)
        for (int j = 0; j < n; j++) mosa_free(names[j]);
    mosa_free(names);
    mosa_free(hdr);
    mosa_free(ptrs);
    mosa_free(meta);
    mosa_free(rng_hex);
    mosa_free(rng_keys);
    return s;
}

static int parse_i64(const char *s, int64_t *out) {
    if (!s || !*s) return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end) return 0;
    *out = v;
    return 1;
}

mosa_status train_state_load(const char *path, param_store *ps, adamw *opt, ema *e, const train_state_rng *rngs,
                             int n_rngs, int64_t *data_position) {
    st_file f;
    MOSA_TRY(st_open(&f, path));
    mosa_status s = MOSA_OK;
    const char *fmt = st_meta_get(&f, "mosa.format");
    int64_t step = 0, pos = 0;
    if (!fmt || strcmp(fmt, TS_FORMAT) != 0) {
        s = mosa_fail(MOSA_ERR_FORMAT, "%s: not a mosa training state (metadata mosa.format is '%s', expected '%s')",
                      path, fmt ? fmt : "missing", TS_FORMAT);
        goto out;
    }
    if (!parse_i64(st_meta_get(&f, "step"), &step) || step < 0 ||
        !parse_i64(st_meta_get(&f, "data_position"), &pos)) {
        s = mosa_fail(MOSA_ERR_FORMAT, "%s: missing or bad 'step'/'data_position' metadata", path);
        goto out;
    }
    /* Validate everything before changing anything. */
    static const char *const prefix[4] = {"param.", "adam_m.", "adam_v.", "ema."};
    const int per = e ? 4 : 3;
    char name[512];
    for (int i = 0; i < ps->n && s == MOSA_OK; i++) {
        const tensor *p = ps->t[i];
        for (int k = 0; k < per; k++) {
            snprintf(name, sizeof name, "%s%s", prefix[k], p->name);
            const st_tensor *t = st_find(&f, name);
            if (!t) {
                s = mosa_fail(MOSA_ERR_MISMATCH, "%s: tensor '%s' is missing (was the state saved from another model%s?)",
                              path, name, k == 3 ? " or without EMA" : "");
                break;
            }
            int ok = t->dtype == ST_F32 && t->nd == p->nd;
            for (int d = 0; ok && d < p->nd; d++) ok = t->shape[d] == (uint64_t)p->shape[d];
            if (!ok) {
                char b1[64], b2[64];
                s = mosa_fail(MOSA_ERR_MISMATCH, "%s: '%s' is %s %s in the file but the model has F32 %s", path, name,
                              st_dtype_name(t->dtype), st_shape_str(t, b1, sizeof b1), t_shape_str(p, b2, sizeof b2));
                break;
            }
        }
    }
    const char *hex[64] = {0};
    if (n_rngs > 64) n_rngs = 64;
    for (int i = 0; i < n_rngs && s == MOSA_OK; i++) {
        snprintf(name, sizeof name, "rng.%s", rngs[i].label);
        hex[i] = st_meta_get(&f, name);
        mosa_rng probe = *rngs[i].rng;
        if (!hex[i] || !rng_from_hex(&probe, hex[i]))
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: RNG state '%s' is missing or malformed", path, name);
    }
    if (s != MOSA_OK) goto out;
    for (int i = 0; i < ps->n; i++) {
        tensor *p = ps->t[i];
        const size_t off = (size_t)(p->data - ps->data);
        float *dst[4] = {p->data, opt->m + off, opt->v + off, e ? e->shadow + off : NULL};
        for (int k = 0; k < per; k++) {
            snprintf(name, sizeof name, "%s%s", prefix[k], p->name);
            st_read_f32(st_find(&f, name), dst[k]);
        }
    }
    opt->step = step;
    for (int i = 0; i < n_rngs; i++) rng_from_hex(rngs[i].rng, hex[i]);
    if (data_position) *data_position = pos;
out:
    st_close(&f);
    return s;
}

/* ---- run-directory logs ---- */

mosa_status train_log_truncate(const char *path, int64_t step) {
    uint8_t *buf = NULL;
    size_t len = 0;
    if (access(path, F_OK) != 0) return MOSA_OK;
    MOSA_TRY(file_read_all(path, (size_t)1 << 30, &buf, &len));
    char *out = mosa_malloc(len + 1);
    if (!out) {
        mosa_free(buf);
        return MOSA_ERR_NOMEM;
    }
    size_t o = 0, i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && buf[e] != '\n') e++;
        const char *line = (const char *)buf + i;
        int keep = 1;
        if (line[0] >= '0' && line[0] <= '9') keep = strtoll(line, NULL, 10) <= step;
        if (keep && e < len) {
            memcpy(out + o, line, e - i + 1);
            o += e - i + 1;
        }
        i = e + 1;
    }
    mosa_status s = file_write_atomic(path, out, o);
    mosa_free(buf);
    mosa_free(out);
    return s;
}

FILE *train_log_open(const char *path, const char *header, int append) {
    const int exists = append && access(path, F_OK) == 0;
    FILE *f = fopen(path, exists ? "a" : "w");
    if (f && !exists) {
        fputs(header, f);
        fflush(f);
    }
    return f;
}
