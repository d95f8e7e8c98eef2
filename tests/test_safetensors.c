/* test_safetensors.c: the safetensors reader, writer and parameter save/load.
 *
 * Round trips (F32 exact, BF16 rounded to nearest even as torch does), byte-exact output against
 * the reference writer's own test vectors, F16 decoding (expected bits from numpy), loading into
 * parameters with every kind of mismatch, 96 corrupt or hostile inputs that must each give a
 * clear error (never a crash; run under ASan in the Sanitize build), and writes that fail
 * (missing directory, target is a directory, file size limit hit mid-write) leaving neither a
 * file nor a temporary file behind. TEST_VERBOSE=1 prints every error message. */
#define _GNU_SOURCE
#include "tensor/safetensors.h"
#include "test.h"
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* A file in memory: 8-byte N, the header bytes, data_len bytes of data (exact-size malloc, so
 * ASan sees any read past the end). */
static uint8_t *mkn(const char *header, size_t hlen, size_t data_len, size_t *len) {
    *len = 8 + hlen + data_len;
    uint8_t *p = malloc(*len);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    memcpy(p + 8, header, hlen);
    for (size_t i = 0; i < data_len; i++) p[8 + hlen + i] = (uint8_t)(i * 7 + 1);
    return p;
}
static uint8_t *mk(const char *header, size_t data_len, size_t *len) { return mkn(header, strlen(header), data_len, len); }

static void check_bad_buf(const char *descr, const uint8_t *p, size_t n, mosa_status want_status, const char *want) {
    st_file f;
    mosa_status s = st_parse(&f, p, n);
    int ok = s == want_status && strstr(mosa_last_error(), want) != NULL;
    if (!ok || getenv("TEST_VERBOSE")) printf("  %s: status %d, message: %s\n", descr, (int)s, s ? mosa_last_error() : "(accepted)");
    TEST_COND(descr, ok);
    if (s == MOSA_OK) st_close(&f);
    TEST_COND("a failed parse leaves nothing behind", s == MOSA_OK || (f.tensors == NULL && f.n_tensors == 0));
}

static void check_bad(const char *descr, const char *header, size_t data_len, const char *want) {
    size_t n;
    uint8_t *p = mk(header, data_len, &n);
    check_bad_buf(descr, p, n, MOSA_ERR_FORMAT, want);
    free(p);
}

static void check_good(const char *descr, const char *header, size_t data_len, int n_tensors) {
    size_t n;
    uint8_t *p = mk(header, data_len, &n);
    st_file f;
    mosa_status s = st_parse(&f, p, n);
    if (s != MOSA_OK) printf("  %s: %s\n", descr, mosa_last_error());
    TEST_COND(descr, s == MOSA_OK && f.n_tensors == n_tensors);
    st_close(&f);
    free(p);
}

static uint32_t bits_of(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

/* Number of entries in dir (not counting . and ..). */
static int read_file(const char *path, uint8_t **p, size_t *n) { return file_read_all(path, 1 << 26, p, n) == MOSA_OK; }

/* ------------------------------------------------------------------------------------------ */
/* Writer: round trips and byte layout                                                         */
/* ------------------------------------------------------------------------------------------ */

static void test_roundtrip_f32(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt_f32.safetensors", dir);
    param_store ps;
    params_init(&ps);
    const char *qname = "emb.\"quoted\"\\back/slash\ttab";
    const char *uname = "\xe5\x90\x8d\xe5\x89\x8d.\xc3\xbc"; /* 名前.ü */
    params_add(&ps, "blocks.0.attn.qkv.weight", T_SHAPE(6, 4));
    params_add(&ps, "blocks.0.norm.bias", T_SHAPE(4));
    params_add(&ps, "scale", 0, NULL);
    params_add(&ps, "empty", T_SHAPE(0, 3));
    params_add(&ps, qname, T_SHAPE(2, 3, 1, 2, 1));
    params_add(&ps, uname, T_SHAPE(3));
    TEST_COND("params finalize", params_finalize(&ps) == MOSA_OK);
    mosa_rng r;
    rng_seed(&r, 7);
    rng_normal(&r, ps.data, ps.numel, 0, 1);
    const st_meta meta[3] = {{"format", "mosa"}, {"step", "1000"}, {"note", "line1\nline2 \"q\" \xc3\xa9"}};
    mosa_status s = st_save_params(path, &ps, ST_F32, 3, meta);
    TEST_COND("save F32", s == MOSA_OK);
    if (s) printf("  %s\n", mosa_last_error());

    st_file f;
    s = st_open(&f, path);
    TEST_COND("open what we wrote", s == MOSA_OK);
    if (s) {
        printf("  %s\n", mosa_last_error());
        params_free(&ps);
        return;
    }
    TEST_COND("tensor count", f.n_tensors == 6);
    TEST_COND("header length is a multiple of 8", f.header_len % 8 == 0);
    TEST_COND("header starts with '{'", f.bytes[8] == '{');
    TEST_COND("header padded with spaces", f.bytes[8 + f.header_len - 1] == '}' || f.bytes[8 + f.header_len - 1] == ' ');
    TEST_COND("metadata count", f.n_meta == 3);
    TEST_COND("metadata format", st_meta_get(&f, "format") && !strcmp(st_meta_get(&f, "format"), "mosa"));
    TEST_COND("metadata with escapes", st_meta_get(&f, "note") && !strcmp(st_meta_get(&f, "note"), meta[2].value));
    TEST_COND("missing metadata key", st_meta_get(&f, "nope") == NULL);
    uint64_t prev_begin = 0;
    for (int i = 0; i < ps.n; i++) {
        const tensor *p = ps.t[i];
        const st_tensor *t = st_find(&f, p->name);
        TEST_COND("every parameter is in the file", t != NULL);
        if (!t) continue;
        TEST_COND("dtype F32", t->dtype == ST_F32);
        int same = t->nd == p->nd;
        for (int d = 0; same && d < p->nd; d++) same = t->shape[d] == (uint64_t)p->shape[d];
        TEST_COND("shape round trips", same);
        TEST_COND("F32 data 4-aligned in the file", (8 + f.header_len + t->begin) % 4 == 0);
        float out[64];
        TEST_COND("read F32", st_read_f32(t, out) == MOSA_OK);
        TEST_COND("F32 values round trip bit-exactly", memcmp(out, p->data, (size_t)t_numel(p) * 4) == 0);
    }
    /* tensors laid out in name order (one dtype): begins increase along the sorted list */
    int ordered = 1;
    for (int i = 0; i < f.n_tensors; i++) {
        if (f.tensors[i].begin < prev_begin) ordered = 0;
        prev_begin = f.tensors[i].begin;
    }
    TEST_COND("data laid out in name order", ordered);
    TEST_COND("rank-0 tensor has one element", st_find(&f, "scale") && st_find(&f, "scale")->nelements == 1);
    TEST_COND("empty tensor has no bytes", st_find(&f, "empty") && st_find(&f, "empty")->end == st_find(&f, "empty")->begin);
    st_close(&f);

    /* load into a fresh store with the same names */
    param_store ps2;
    params_init(&ps2);
    for (int i = 0; i < ps.n; i++) params_add(&ps2, ps.t[i]->name, ps.t[i]->nd, ps.t[i]->shape);
    params_finalize(&ps2);
    s = st_load_params(&ps2, path, 1);
    TEST_COND("strict load of our own file", s == MOSA_OK);
    if (s) printf("  %s\n", mosa_last_error());
    TEST_COND("loaded values are bit-exact", memcmp(ps2.data, ps.data, ps.numel * 4) == 0);
    params_free(&ps2);
    params_free(&ps);
}

static void test_roundtrip_bf16(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt_bf16.safetensors", dir);
    /* inputs and torch's x.to(torch.bfloat16) bits (round to nearest even) */
    const uint32_t in_bits[13] = {0x3f800000, 0x3f808000, 0x3f818000, 0xc0200000, 0x7f7fffff, 0x000116c2, 0x80000000,
                                  0x7f800000, 0x3dcccccd, 0x477fe000, 0x40490fdb, 0xba83126f, 0x3f810000};
    const uint16_t want[13] = {0x3f80, 0x3f80, 0x3f82, 0xc020, 0x7f80, 0x0001, 0x8000,
                               0x7f80, 0x3dcd, 0x4780, 0x4049, 0xba83, 0x3f81};
    float v[14];
    memcpy(v, in_bits, sizeof in_bits);
    const uint32_t nan_bits = 0x7fc00000;
    memcpy(&v[13], &nan_bits, 4);
    ctx c;
    ctx_init(&c, 1 << 16);
    tensor *a = t_from(&c, v, T_SHAPE(14));
    float w[6] = {1, 2, 3, 4, 5, 6};
    tensor *b = t_from(&c, w, T_SHAPE(2, 3));
    tensor *bt = op_transpose(&c, b, 0, 1); /* a non-contiguous view: written in logical order */
    const char *names[2] = {"vals", "transposed"};
    const tensor *ts[2] = {a, bt};
    const st_meta meta[1] = {{"dtype", "bf16"}};
    mosa_status s = st_write(path, 2, names, ts, ST_BF16, 1, meta);
    TEST_COND("write BF16", s == MOSA_OK);
    st_file f;
    s = st_open(&f, path);
    TEST_COND("open BF16 file", s == MOSA_OK);
    if (s == MOSA_OK) {
        const st_tensor *t = st_find(&f, "vals");
        TEST_COND("BF16 dtype", t && t->dtype == ST_BF16 && t->end - t->begin == 28);
        if (t) {
            int exact = 1;
            for (int i = 0; i < 13; i++) {
                uint16_t got = (uint16_t)(t->data[2 * i] | (t->data[2 * i + 1] << 8));
                if (got != want[i]) {
                    printf("  bf16[%d] of 0x%08x: got 0x%04x, torch 0x%04x\n", i, in_bits[i], got, want[i]);
                    exact = 0;
                }
            }
            TEST_COND("BF16 rounding matches torch bit for bit", exact);
            float out[14];
            TEST_COND("read BF16", st_read_f32(t, out) == MOSA_OK);
            int ok = 1;
            for (int i = 0; i < 13; i++) ok &= bits_of(out[i]) == (uint32_t)want[i] << 16;
            TEST_COND("BF16 read gives the rounded values", ok);
            TEST_COND("nan stays nan", isnan(out[13]));
        }
        const st_tensor *tt = st_find(&f, "transposed");
        float out[6];
        const float want_t[6] = {1, 4, 2, 5, 3, 6};
        TEST_COND("transposed view shape", tt && tt->nd == 2 && tt->shape[0] == 3 && tt->shape[1] == 2);
        TEST_COND("transposed view read", tt && st_read_f32(tt, out) == MOSA_OK && !memcmp(out, want_t, sizeof out));
        TEST_COND("BF16 metadata", st_meta_get(&f, "dtype") && !strcmp(st_meta_get(&f, "dtype"), "bf16"));
        st_close(&f);
    }
    /* a BF16 file loads into F32 parameters (values rounded) */
    param_store ps;
    params_init(&ps);
    params_add(&ps, "transposed", T_SHAPE(3, 2));
    params_add(&ps, "vals", T_SHAPE(14));
    params_finalize(&ps);
    s = st_load_params(&ps, path, 1);
    TEST_COND("load BF16 into params", s == MOSA_OK);
    TEST_COND("loaded BF16 values", ps.t[1]->data[2] == 1.015625f && ps.t[0]->data[1] == 4.0f);
    params_free(&ps);
    ctx_free(&c);
}

/* The reference writer's own test vectors (safetensors tensor.rs test_serialization, test_empty). */
static void test_reference_bytes(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/ref.safetensors", dir);
    ctx c;
    ctx_init(&c, 1 << 16);
    const float v[6] = {0, 1, 2, 3, 4, 5};
    tensor *t = t_from(&c, v, T_SHAPE(1, 2, 3));
    const char *names[1] = {"attn.0"};
    const tensor *ts[1] = {t};
    const char *hdr = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
    uint8_t want[8 + 64 + 24] = {64};
    memcpy(want + 8, hdr, 64);
    memcpy(want + 72, v, 24);
    uint8_t *got;
    size_t n;
    TEST_COND("reference vector: header is 64 bytes", strlen(hdr) == 64);
    TEST_COND("write reference vector", st_write(path, 1, names, ts, ST_F32, 0, NULL) == MOSA_OK);
    TEST_COND("reference vector bytes", read_file(path, &got, &n) && n == sizeof want && !memcmp(got, want, n));
    mosa_free(got);

    const uint8_t want_empty[16] = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    TEST_COND("write empty file", st_write(path, 0, NULL, NULL, ST_F32, 0, NULL) == MOSA_OK);
    TEST_COND("empty file bytes", read_file(path, &got, &n) && n == 16 && !memcmp(got, want_empty, 16));
    mosa_free(got);

    const char *hm = "{\"__metadata__\":{\"framework\":\"pt\"}}     ";
    uint8_t want_meta[48] = {40};
    memcpy(want_meta + 8, hm, 40);
    const st_meta meta[1] = {{"framework", "pt"}};
    TEST_COND("write metadata-only file", st_write(path, 0, NULL, NULL, ST_F32, 1, meta) == MOSA_OK);
    TEST_COND("metadata-only file bytes", read_file(path, &got, &n) && n == 48 && !memcmp(got, want_meta, 48));
    mosa_free(got);
    ctx_free(&c);
}

/* ------------------------------------------------------------------------------------------ */
/* F16 decoding                                                                                */
/* ------------------------------------------------------------------------------------------ */

static void test_f16(void) {
    /* numpy: np.array(bits, np.uint16).view(np.float16).astype(np.float32).view(np.uint32) */
    const uint16_t h[15] = {0x3c00, 0xc000, 0x3800, 0x7bff, 0x0400, 0x0001, 0x0200, 0x03ff,
                            0x7c00, 0xfc00, 0x8000, 0x3555, 0x8001, 0x4248, 0x7e00};
    const uint32_t want[15] = {0x3f800000, 0xc0000000, 0x3f000000, 0x477fe000, 0x38800000, 0x33800000,
                               0x38000000, 0x387fc000, 0x7f800000, 0xff800000, 0x80000000, 0x3eaaa000,
                               0xb3800000, 0x40490000, 0x7fc00000};
    /* (1, -2, 0.5, 65504, 2^-14, 2^-24, 2^-15, largest subnormal, inf, -inf, -0, 0.33325195,
     *  -2^-24, 3.140625, nan) */
    const char *hdr = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3,5],\"data_offsets\":[0,30]}}";
    size_t n;
    uint8_t *p = mk(hdr, 30, &n);
    for (int i = 0; i < 15; i++) {
        p[8 + strlen(hdr) + 2 * i] = (uint8_t)(h[i] & 0xFF);
        p[8 + strlen(hdr) + 2 * i + 1] = (uint8_t)(h[i] >> 8);
    }
    st_file f;
    TEST_COND("parse F16 file", st_parse(&f, p, n) == MOSA_OK);
    const st_tensor *t = st_find(&f, "h");
    float out[15];
    TEST_COND("read F16", t && st_read_f32(t, out) == MOSA_OK);
    int exact = 1;
    for (int i = 0; t && i < 15; i++)
        if (bits_of(out[i]) != want[i]) {
            printf("  f16 0x%04x: got 0x%08x, numpy 0x%08x\n", h[i], bits_of(out[i]), want[i]);
            exact = 0;
        }
    TEST_COND("F16 values match numpy bit for bit (subnormals, inf, nan, -0)", exact);
    st_close(&f);
    free(p);

    /* a dtype that is not read as float */
    p = mk("{\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, &n);
    TEST_COND("parse I32 file", st_parse(&f, p, n) == MOSA_OK);
    TEST_COND("I32 is not read as float", st_read_f32(&f.tensors[0], out) == MOSA_ERR_UNSUPPORTED &&
                                              strstr(mosa_last_error(), "tensor 'i' is I32"));
    st_close(&f);
    free(p);
}

/* ------------------------------------------------------------------------------------------ */
/* Loading into parameters: every kind of mismatch                                             */
/* ------------------------------------------------------------------------------------------ */

static void write_raw(const char *path, const char *header, size_t data_len) {
    size_t n;
    uint8_t *p = mk(header, data_len, &n);
    TEST_COND("write hand-made file", file_write_atomic(path, p, n) == MOSA_OK);
    free(p);
}

static void test_load_mismatch(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/mismatch.safetensors", dir);
    write_raw(path,
              "{\"b.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"c.weight\":{\"dtype\":\"F32\",\"shape\":[4,3],\"data_offsets\":[8,56]},"
              "\"d.scale\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[56,64]},"
              "\"extra.bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[64,84]}}",
              84);
    param_store ps;
    params_init(&ps);
    params_add(&ps, "a.weight", T_SHAPE(3, 4));
    params_add(&ps, "b.weight", T_SHAPE(2));
    params_add(&ps, "c.weight", T_SHAPE(3, 4));
    params_add(&ps, "d.scale", 0, NULL);
    params_finalize(&ps);
    for (size_t i = 0; i < ps.numel; i++) ps.data[i] = 0.25f;

    mosa_status s = st_load_params(&ps, path, 1);
    const char *m = mosa_last_error();
    TEST_COND("strict load with problems fails as a mismatch", s == MOSA_ERR_MISMATCH);
    TEST_COND("message names the file", strstr(m, "mismatch.safetensors: ") != NULL);
    TEST_COND("message counts 4 problems", strstr(m, "4 problems: ") != NULL);
    TEST_COND("message lists the missing tensor", strstr(m, "missing 'a.weight'") != NULL);
    TEST_COND("message lists the shape mismatch",
              strstr(m, "'c.weight' has shape (4,3) in the file but (3,4) in the model") != NULL);
    TEST_COND("message lists the dtype problem", strstr(m, "'d.scale' is I64 in the file") != NULL);
    TEST_COND("message lists the unexpected tensor", strstr(m, "unexpected 'extra.bias'") != NULL);
    TEST_COND("message says what to do", strstr(m, "non-strict") != NULL);
    int untouched = 1;
    for (size_t i = 0; i < ps.numel; i++) untouched &= ps.data[i] == 0.25f;
    TEST_COND("nothing loaded when anything mismatches", untouched);

    s = st_load_params(&ps, path, 0);
    m = mosa_last_error();
    TEST_COND("non-strict load still fails on missing/shape/dtype", s == MOSA_ERR_MISMATCH);
    TEST_COND("non-strict: 3 problems", strstr(m, "3 problems: ") != NULL);
    TEST_COND("non-strict: extra tensors are not problems", strstr(m, "unexpected") == NULL);

    /* non-strict load succeeds when only extra tensors differ */
    param_store ok;
    params_init(&ok);
    params_add(&ok, "b.weight", T_SHAPE(2));
    params_finalize(&ok);
    TEST_COND("non-strict load ignores extra tensors", st_load_params(&ok, path, 0) == MOSA_OK);
    float b0, b1;
    {
        const uint8_t pat[8] = {1, 8, 15, 22, 29, 36, 43, 50}; /* mk()'s data pattern i*7+1 */
        memcpy(&b0, pat, 4);
        memcpy(&b1, pat + 4, 4);
    }
    TEST_COND("non-strict load read the values", bits_of(ok.data[0]) == bits_of(b0) && bits_of(ok.data[1]) == bits_of(b1));
    s = st_load_params(&ok, path, 1);
    TEST_COND("strict load names the 3 unexpected tensors",
              s == MOSA_ERR_MISMATCH && strstr(mosa_last_error(), "3 problems") &&
                  strstr(mosa_last_error(), "unexpected 'c.weight'"));
    params_free(&ok);

    /* many problems: the message stays bounded and says how many were not listed */
    param_store many;
    params_init(&many);
    char name[64];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "blocks.%d.attn.proj.weight", i);
        params_add(&many, name, T_SHAPE(2));
    }
    params_finalize(&many);
    s = st_load_params(&many, path, 0);
    m = mosa_last_error();
    TEST_COND("200 problems counted", s == MOSA_ERR_MISMATCH && strstr(m, "200 problems") != NULL);
    TEST_COND("unlisted problems summarised", strstr(m, " more") != NULL && strlen(m) < 1000);
    params_free(&many);

    /* a bad file: the message is the reader's, with the path */
    snprintf(path, sizeof path, "%s/notthere.safetensors", dir);
    TEST_COND("missing file is an i/o error naming it",
              st_load_params(&ps, path, 1) == MOSA_ERR_IO && strstr(mosa_last_error(), "notthere.safetensors"));
    TEST_COND("a directory is not a checkpoint", st_load_params(&ps, dir, 1) == MOSA_ERR_IO &&
                                                    strstr(mosa_last_error(), "not a regular file"));
    snprintf(path, sizeof path, "%s/short.safetensors", dir);
    TEST_COND("write a 3-byte file", file_write_atomic(path, "abc", 3) == MOSA_OK);
    st_file f;
    TEST_COND("3-byte file rejected with its name", st_open(&f, path) == MOSA_ERR_FORMAT &&
                                                        strstr(mosa_last_error(), "short.safetensors: the file is 3 bytes"));
    params_free(&ps);
}

/* ------------------------------------------------------------------------------------------ */
/* Corrupt and hostile files                                                                   */
/* ------------------------------------------------------------------------------------------ */

#define T2 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]}}"

static void test_corrupt(void) {
    size_t n;
    uint8_t *p;
    char h[512];

    /* the base file is valid */
    check_good("base file", T2, 22, 2);

    /* truncated at several points */
    p = mk(T2, 22, &n);
    const size_t cuts[] = {0, 1, 7, 8, 9, 8 + strlen(T2) / 2, 8 + strlen(T2) - 1, 8 + strlen(T2), 8 + strlen(T2) + 1, n - 1};
    const char *why[] = {"the file is 0 bytes", "the file is 1 byte;", "the file is 7 bytes", "runs past the end",
                         "runs past the end", "runs past the end", "runs past the end", "truncated",
                         "truncated", "truncated"};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        uint8_t *q = malloc(cuts[i] ? cuts[i] : 1);
        memcpy(q, p, cuts[i]);
        char d[64];
        snprintf(d, sizeof d, "truncated to %zu bytes", cuts[i]);
        check_bad_buf(d, q, cuts[i], MOSA_ERR_FORMAT, why[i]);
        free(q);
    }
    /* header length huge, or just over the file */
    uint64_t lens[] = {1ull << 63, UINT64_MAX, 100000001ull};
    for (int i = 0; i < 3; i++) {
        uint8_t *q = malloc(n);
        memcpy(q, p, n);
        for (int k = 0; k < 8; k++) q[k] = (uint8_t)(lens[i] >> (8 * k));
        check_bad_buf("huge header length", q, n, MOSA_ERR_FORMAT, "more than the 100000000-byte limit");
        free(q);
    }
    {
        uint8_t *q = malloc(n);
        memcpy(q, p, n);
        uint64_t over = n - 8 + 1;
        for (int k = 0; k < 8; k++) q[k] = (uint8_t)(over >> (8 * k));
        check_bad_buf("header length just over the file", q, n, MOSA_ERR_FORMAT, "runs past the end of the file");
        uint64_t exact = n - 8; /* the header swallows the data: JSON then garbage */
        for (int k = 0; k < 8; k++) q[k] = (uint8_t)(exact >> (8 * k));
        check_bad_buf("header length covering the data", q, n, MOSA_ERR_FORMAT, "header");
        free(q);
    }
    /* trailing bytes (a polyglot) */
    free(p);
    check_bad("one trailing byte", T2, 23, "1 byte of trailing data");
    check_bad("trailing bytes, no tensors", "{}", 5, "5 bytes of trailing data");

    /* not JSON, not an object, not UTF-8 */
    check_bad("header not JSON", "hello world", 0, "must be a JSON object starting with '{'");
    check_bad("empty header", "", 0, "found the end of the header");
    check_bad("header is an array", "[]", 0, "must be a JSON object");
    check_bad("header is a string", "\"a\"", 0, "must be a JSON object");
    check_bad("non-UTF-8 byte", "{\"a\xff\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "not valid UTF-8");
    check_bad("overlong UTF-8", "{\"a\xc0\xaf\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "not valid UTF-8");
    check_bad("UTF-8 surrogate", "{\"a\xed\xa0\x80\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "not valid UTF-8");
    check_bad("UTF-8 above U+10FFFF", "{\"\xf4\x90\x80\x80\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "not valid UTF-8");
    check_bad("UTF-8 cut short", "{\"a\":{}}\xe2\x82", 0, "not valid UTF-8");
    check_good("valid multi-byte UTF-8 name", "{\"\xe2\x82\xac\xf0\x9f\x98\x80\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, 1);

    /* JSON syntax */
    check_bad("trailing comma", "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},}", 4, "expected a tensor name");
    check_bad("missing colon", "{\"a\" {\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "expected ':'");
    check_bad("unterminated string", "{\"a", 0, "not terminated");
    check_bad("unclosed object", "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}", 4, "expected ',' or '}'");
    check_bad("garbage after the object", "{}x", 0, "after the header's closing '}'");
    check_bad("two objects", "{}{}", 0, "after the header's closing '}'");
    p = mkn("{}\0\0\0\0\0\0", 8, 0, &n);
    check_bad_buf("NUL padding is not whitespace", p, n, MOSA_ERR_FORMAT, "byte 0x00 after the header's closing '}'");
    free(p);
    check_good("whitespace around the object", " \t\r\n{ } \n\t  ", 0, 0);
    check_good("whitespace inside the object",
               "{ \"a\" : { \"dtype\" : \"F32\" , \"shape\" : [ 1 , 1 ] , \"data_offsets\" : [ 0 , 4 ] } }", 4, 1);
    check_bad("raw control byte in a name", "{\"a\tb\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "must be escaped");
    check_bad("tensor value is a string", "{\"a\":\"F32\"}", 0, "tensor 'a': expected an object");
    check_bad("tensor value is null", "{\"a\":null}", 0, "tensor 'a': expected an object");
    check_bad("shape is not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", 16, "tensor 'a': \"shape\": expected an array, found '4'");
    check_bad("shape array unterminated", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4", 0, "expected ',' or ']'");
    check_bad("dtype is not a string", "{\"a\":{\"dtype\":32,\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "tensor 'a': expected the dtype (a JSON string), found '3'");

    /* escapes */
    p = mk("{\"a\\u00e9\\ud83d\\ude00\\n\\/\\\"\\\\\\b\\f\\r\\t\\u20AC\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, &n);
    st_file f;
    TEST_COND("escapes decode", st_parse(&f, p, n) == MOSA_OK &&
                                    st_find(&f, "a\xc3\xa9\xf0\x9f\x98\x80\n/\"\\\b\f\r\t\xe2\x82\xac") != NULL);
    st_close(&f);
    free(p);
    check_bad("lone high surrogate", "{\"\\ud83d\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "high surrogate without");
    check_bad("high surrogate then a letter", "{\"\\ud83dx\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "high surrogate without");
    check_bad("two high surrogates", "{\"\\ud83d\\ud83d\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "not a low surrogate");
    check_bad("lone low surrogate", "{\"\\ude00\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "lone low surrogate");
    check_bad("\\u0000", "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "NUL");
    check_bad("short \\u escape", "{\"\\u12\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "4 hex digits");
    check_bad("\\u at the end", "{\"\\u12", 0, "4 hex digits");
    check_bad("invalid escape", "{\"\\x41\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "invalid escape '\\x'");
    check_good("escaped field names and dtype", "{\"a\":{\"dt\\u0079pe\":\"F\\u00332\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, 1);
    /* "__metadata__" spelled with an escape is still the metadata key (keys are compared decoded) */
    p = mk("{\"\\u005f_metadata__\":{\"k\":\"v\"}}", 0, &n);
    TEST_COND("escaped __metadata__ key", st_parse(&f, p, n) == MOSA_OK && f.n_meta == 1 && f.n_tensors == 0);
    st_close(&f);
    free(p);

    /* offsets and coverage */
    check_bad("overlapping offsets",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]}}",
              16, "tensors 'a' [0, 16) and 'b' [8, 14) overlap");
    check_bad("two tensors on the same bytes",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
              16, "overlap");
    check_bad("a hole",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[20,26]}}",
              26, "bytes [16, 20) of the data section, between tensors 'a' and 'b', belong to no tensor");
    check_bad("offsets not starting at 0", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4,20]}}", 20,
              "tensor 'a' is the first in the data section but starts at byte 4");
    check_bad("END < BEGIN", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", 16, "end before they begin");
    check_bad("wrong byte size", "{\"blocks.0.attn.qkv.weight\":{\"dtype\":\"F32\",\"shape\":[6,4],\"data_offsets\":[0,100]}}", 100,
              "tensor 'blocks.0.attn.qkv.weight': data_offsets [0, 100) hold 100 bytes but shape (6,4) of F32 needs 96 bytes");
    check_bad("offsets far past the file", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296],\"data_offsets\":[0,4294967296]}}", 16, "truncated");
    {
        /* 8 tensors of 2^61-1 bytes each end at 2^64-8: END + 8 + N overflows 64 bits */
        char big[1024];
        const unsigned long long x = (1ull << 61) - 1;
        size_t k = (size_t)snprintf(big, sizeof big, "{");
        for (int i = 0; i < 8; i++)
            k += (size_t)snprintf(big + k, sizeof big - k, "%s\"t%d\":{\"dtype\":\"U8\",\"shape\":[%llu],\"data_offsets\":[%llu,%llu]}",
                                  i ? "," : "", i, x, i * x, (i + 1) * x);
        snprintf(big + k, sizeof big - k, "}");
        check_bad("END + 8 + N past 2^64", big, 0, "truncated");
    }
    check_good("tensors in any JSON order",
               "{\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]},\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
               22, 2);

    /* dtypes */
    check_bad("bad dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[4],\"data_offsets\":[0,64]}}", 64, "tensor 'a': unknown dtype 'F128'");
    check_bad("lower-case dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "unknown dtype 'f32'");
    for (int d = 0; d < ST_DTYPE_COUNT; d++) {
        int bits = st_dtype_bits((st_dtype)d);
        snprintf(h, sizeof h, "{\"x\":{\"dtype\":\"%s\",\"shape\":[8],\"data_offsets\":[0,%d]}}", st_dtype_name((st_dtype)d), bits);
        p = mk(h, (size_t)bits, &n);
        mosa_status s = st_parse(&f, p, n);
        TEST_COND("every reference dtype is known, with its bit size", s == MOSA_OK && f.tensors[0].dtype == (st_dtype)d);
        if (s) printf("  %s: %s\n", st_dtype_name((st_dtype)d), mosa_last_error());
        st_close(&f);
        free(p);
    }
    TEST_COND("22 dtypes", ST_DTYPE_COUNT == 22 && !strcmp(st_dtype_name(ST_F8_E5M2FNUZ), "F8_E5M2FNUZ") &&
                               st_dtype_bits(ST_F6_E3M2) == 6 && st_dtype_bits(ST_C64) == 64);
    check_bad("F4 with an odd count", "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2,
              "3 elements of F4 (4 bits each) are not a whole number of bytes");
    check_good("F4 with an even count", "{\"a\":{\"dtype\":\"F4\",\"shape\":[2,2],\"data_offsets\":[0,2]}}", 2, 1);
    check_good("F6_E2M3, 4 elements in 3 bytes", "{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[0,3]}}", 3, 1);

    /* duplicates */
    check_bad("duplicate tensor names",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
              16, "tensor 'a' appears twice");
    check_bad("duplicate names via an escape",
              "{\"ab\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\\u0062\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
              16, "tensor 'ab' appears twice");
    check_bad("duplicate field", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
              "tensor 'a': field \"dtype\" appears twice");
    check_bad("duplicate shape field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "appears twice");
    check_bad("duplicate data_offsets field",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"data_offsets\":[0,8]}}", 8, "appears twice");
    check_bad("duplicate __metadata__", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice");
    check_bad("duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "key 'k' appears twice");

    /* numbers */
    check_bad("negative shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "negative number");
    check_bad("negative zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-0,4]}}", 4, "negative number");
    check_bad("fractional shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "fraction or exponent");
    check_bad("exponent shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e2],\"data_offsets\":[0,400]}}", 400, "fraction or exponent");
    check_bad("exponent offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4E0]}}", 4, "fraction or exponent");
    check_bad("leading zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, "leading zero");
    check_bad("plus sign", "{\"a\":{\"dtype\":\"F32\",\"shape\":[+2],\"data_offsets\":[0,8]}}", 8, "expected a non-negative integer");
    check_bad("number as a string", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "expected a non-negative integer");
    check_bad("2^64", "{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}", 8, "does not fit in 64 bits");
    check_bad("shape product overflow",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,2],\"data_offsets\":[0,8]}}", 8,
              "shape (4294967296,4294967296,2) has more elements than fit in 64 bits");
    check_bad("overflow before a 0 dim (as the reference)",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,0],\"data_offsets\":[0,0]}}", 0, "more elements than fit");
    check_bad("bit count overflow", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}", 8,
              "its size in bits overflows");
    check_bad("data_offsets with 3 numbers", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4, "must be [BEGIN, END]");
    check_bad("data_offsets with 1 number", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4, "found 1 number");
    check_bad("data_offsets empty", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[]}}", 4, "found 0 numbers");

    /* fields */
    check_bad("unknown field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"strides\":[1]}}", 4,
              "tensor 'a': unknown field 'strides'");
    check_bad("missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'a': missing field \"shape\"");
    check_bad("missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "missing field \"dtype\"");
    check_bad("missing data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "missing field \"data_offsets\"");
    check_bad("empty tensor object", "{\"a\":{}}", 0, "missing field");

    /* metadata */
    check_bad("nested __metadata__ value", "{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", 0,
              "\"__metadata__\" entry 'a': the value must be a string");
    check_bad("numeric __metadata__ value", "{\"__metadata__\":{\"step\":1000}}", 0, "the value must be a string");
    check_bad("__metadata__ is an array", "{\"__metadata__\":[\"a\"]}", 0, "\"__metadata__\" must be an object");
    check_bad("__metadata__ is a string", "{\"__metadata__\":\"x\"}", 0, "\"__metadata__\" must be an object");
    check_good("__metadata__ null (as serde's Option)", "{\"__metadata__\":null}", 0, 0);
    check_good("__metadata__ empty", "{\"__metadata__\":{}}", 0, 0);

    /* valid edge cases */
    check_good("no tensors", "{}", 0, 0);
    p = mk("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[16,16]},"
           "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
           "\"z\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[4,4]},"
           "\"v\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}",
           16, &n);
    TEST_COND("empty (0-dim) and rank-0 tensors are valid", st_parse(&f, p, n) == MOSA_OK && f.n_tensors == 4);
    const st_tensor *e = st_find(&f, "e"), *s = st_find(&f, "s");
    TEST_COND("empty tensor: 0 elements", e && e->nelements == 0 && e->nd == 2);
    TEST_COND("rank-0 tensor: 1 element", s && s->nelements == 1 && s->nd == 0);
    float one;
    TEST_COND("read a rank-0 tensor", s && st_read_f32(s, &one) == MOSA_OK && !memcmp(&one, p + n - 16, 4));
    TEST_COND("read an empty tensor", e && st_read_f32(e, NULL) == MOSA_OK);
    TEST_COND("sorted by name", !strcmp(f.tensors[0].name, "e") && !strcmp(f.tensors[3].name, "z"));
    st_close(&f);
    free(p);
    check_good("a lone empty tensor", "{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, 1);
    check_bad("an empty tensor after the end",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
              4, "belong to no tensor");
    check_good("rank 8", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,2],\"data_offsets\":[0,2]}}", 2, 1);
    p = mk("{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,2]}}", 2, &n);
    check_bad_buf("rank 9 is refused as unsupported", p, n, MOSA_ERR_UNSUPPORTED, "tensor 'a': more than 8 dims");
    free(p);

    /* a hostile long name is cut in messages, control bytes shown escaped */
    {
        char big[600];
        size_t k = (size_t)snprintf(big, sizeof big, "{\"");
        for (int i = 0; i < 300; i++) big[k++] = 'x';
        k += (size_t)snprintf(big + k, sizeof big - k, "\\u001b[2J\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,5]}}");
        check_bad("long name cut in the message", big, 5, "xxx...': data_offsets");
        check_bad("escape sequences shown escaped", "{\"\\u001b[2J\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,5]}}", 5,
                  "tensor '\\x1b[2J'");
    }

    /* a deep nesting attempt is refused at the first level that is not a safetensors shape */
    {
        char deep[4096];
        size_t k = (size_t)snprintf(deep, sizeof deep, "{\"a\":");
        for (int i = 0; i < 2000; i++) deep[k++] = '[';
        deep[k] = 0;
        check_bad("deep nesting", deep, 0, "tensor 'a': expected an object");
        k = (size_t)snprintf(deep, sizeof deep, "{\"__metadata__\":{\"a\":");
        for (int i = 0; i < 2000; i++) deep[k++] = '{';
        deep[k] = 0;
        check_bad("deep nesting in metadata", deep, 0, "the value must be a string");
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Failed writes leave nothing behind                                                          */
/* ------------------------------------------------------------------------------------------ */

static void test_failed_writes(const char *dir) {
    char path[512], sub[512];
    ctx c;
    ctx_init(&c, 1 << 22);
    float v[4] = {1, 2, 3, 4};
    tensor *t = t_from(&c, v, T_SHAPE(4));
    const char *names[2] = {"a", "a"};
    const tensor *ts[2] = {t, t};
    snprintf(sub, sizeof sub, "%s/w", dir);
    mkdir(sub, 0755);

    snprintf(path, sizeof path, "%s/dup.safetensors", sub);
    TEST_COND("duplicate names refused", st_write(path, 2, names, ts, ST_F32, 0, NULL) == MOSA_ERR_ARG &&
                                             strstr(mosa_last_error(), "'a' is given twice"));
    const char *rn[1] = {"__metadata__"};
    TEST_COND("the name __metadata__ refused", st_write(path, 1, rn, ts, ST_F32, 0, NULL) == MOSA_ERR_ARG);
    const char *bad_utf8[1] = {"a\xff"};
    TEST_COND("a non-UTF-8 name refused", st_write(path, 1, bad_utf8, ts, ST_F32, 0, NULL) == MOSA_ERR_ARG);
    const st_meta dm[2] = {{"k", "1"}, {"k", "2"}};
    TEST_COND("duplicate metadata keys refused", st_write(path, 1, names, ts, ST_F32, 2, dm) == MOSA_ERR_ARG);
    TEST_COND("F16 output is not offered", st_write(path, 1, names, ts, ST_F16, 0, NULL) == MOSA_ERR_UNSUPPORTED);
    TEST_COND("refused writes create nothing", test_dir_entries(sub) == 0);

    snprintf(path, sizeof path, "%s/missing/x.safetensors", sub);
    TEST_COND("write into a missing directory fails", st_write(path, 1, names, ts, ST_F32, 0, NULL) == MOSA_ERR_IO);
    TEST_COND("... naming the path", strstr(mosa_last_error(), "missing/x.safetensors") != NULL);
    TEST_COND("... and leaves nothing", test_dir_entries(sub) == 0);

    /* the target is a directory: the temporary file is written, the rename fails, it is removed */
    snprintf(path, sizeof path, "%s/adir", sub);
    mkdir(path, 0755);
    TEST_COND("write over a directory fails", st_write(path, 1, names, ts, ST_F32, 0, NULL) == MOSA_ERR_IO);
    TEST_COND("... and leaves no temporary file", test_dir_entries(sub) == 1);
    rmdir(path);

    /* read-only directory (skipped as root, which may write anywhere) */
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/ro", sub);
        mkdir(path, 0555);
        char p2[600];
        snprintf(p2, sizeof p2, "%s/x.safetensors", path);
        TEST_COND("write into a read-only directory fails", st_write(p2, 1, names, ts, ST_F32, 0, NULL) == MOSA_ERR_IO);
        TEST_COND("... and leaves nothing", test_dir_entries(path) == 0);
        rmdir(path);
    }

    /* the disk fills up mid-write (RLIMIT_FSIZE): the old file survives, no temporary file */
    snprintf(path, sizeof path, "%s/keep.safetensors", sub);
    TEST_COND("write a good file", st_write(path, 1, names, ts, ST_F32, 0, NULL) == MOSA_OK);
    uint8_t *before, *after;
    size_t nb = 0, na = 0;
    TEST_COND("read it", read_file(path, &before, &nb));
    tensor *big = t_zeros(&c, T_SHAPE(256, 1024)); /* 1 MiB of F32 */
    const tensor *bts[1] = {big};
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    struct rlimit lim = old;
    lim.rlim_cur = 64 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    int limited = setrlimit(RLIMIT_FSIZE, &lim) == 0;
    mosa_status s = st_write(path, 1, names, bts, ST_F32, 0, NULL);
    if (limited) setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    if (limited) {
        TEST_COND("a write that runs out of space fails", s == MOSA_ERR_IO);
        TEST_COND("... the old file is unchanged", read_file(path, &after, &na) && na == nb && !memcmp(before, after, nb));
        mosa_free(after);
        TEST_COND("... and no temporary file is left", test_dir_entries(sub) == 1);
    }
    mosa_free(before);
    unlink(path);
    rmdir(sub);
    ctx_free(&c);
}

int main(void) {
    char dir[] = "/tmp/mosa_test_st_XXXXXX";
    if (!mkdtemp(dir)) {
        printf("cannot create a temporary directory\n");
        return 1;
    }
    test_reference_bytes(dir);
    test_roundtrip_f32(dir);
    test_roundtrip_bf16(dir);
    test_f16();
    test_load_mismatch(dir);
    test_corrupt();
    test_failed_writes(dir);

    /* clean up the temporary directory */
    const char *files[] = {"rt_f32.safetensors", "rt_bf16.safetensors", "ref.safetensors", "mismatch.safetensors",
                           "short.safetensors"};
    char path[600];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    TEST_COND("test directory left clean", test_dir_entries(dir) == 0);
    rmdir(dir);
    return test_report();
}
