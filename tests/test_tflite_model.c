/* test_tflite_model.c: the validating .tflite reader (src/tflite/model.c).
 *
 * Always (no download needed): a minimal model built here with a tiny forward flatbuffer
 * builder (one subgraph, three tensors: input, a constant 1x1 filter and output, one CONV_2D op)
 * parses and decodes; ~40 hostile variants of it each fail with a clear error and no crash (run
 * under ASan in the Sanitize build): truncation at every length, bad root offset, vtables out of
 * bounds / odd / too small, soffsets pointing outside, a 0xFFFFFFFF vector count, a string
 * without NUL, misaligned offsets, tensor indices 99 / -2 / -1 as output, opcode and buffer
 * indices out of range, constant data of the wrong size, wrong options type, external buffers,
 * ranks over 8 (also RESHAPE new_shape, tensorflow #124982), a shared-table bomb over the 1e6
 * table limit, the 8-byte file of tensorflow #115308; plus the custom Convolution2DTransposeBias
 * op and an unknown op whose options hide a 100-deep table chain (never followed).
 * With the models in models/mediapipe/ (scripts/fetch_models.sh): the facts of CONVENTIONS 1.8 for every
 * model, and a sweep of truncations and byte corruptions of the selfie model. Exit 77 (skipped)
 * when the models are absent and everything else passed. TEST_VERBOSE=1 prints every error. */
#include "tflite/model.h"
#include "test.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* A forward flatbuffer builder: parents first, children after (uoffsets point forward)         */
/* ------------------------------------------------------------------------------------------ */

typedef struct fbb {
    uint8_t *b;
    size_t n, cap;
} fbb;

static void grow(fbb *f, size_t n) {
    if (f->n + n > f->cap) {
        f->cap = (f->n + n) * 2 + 64;
        f->b = realloc(f->b, f->cap);
    }
    memset(f->b + f->n, 0, n);
    f->n += n;
}
static void pad_to(fbb *f, size_t a) { if (f->n % a) grow(f, a - f->n % a); }
static void w16(fbb *f, size_t pos, uint16_t v) { f->b[pos] = (uint8_t)v; f->b[pos + 1] = (uint8_t)(v >> 8); }
static void w32(fbb *f, size_t pos, uint32_t v) { for (int i = 0; i < 4; i++) f->b[pos + i] = (uint8_t)(v >> (8 * i)); }
static void w64(fbb *f, size_t pos, uint64_t v) { for (int i = 0; i < 8; i++) f->b[pos + i] = (uint8_t)(v >> (8 * i)); }
static void link_to(fbb *f, size_t slot, size_t target) { w32(f, slot, (uint32_t)(target - slot)); }

/* A table field: size 1/4/8 = scalar with value v; size 0 = uoffset (slot returned in slots[id]). */
typedef struct fld {
    int id, size;
    uint64_t v;
} fld;

/* Writes a vtable and then its table; returns the table position. */
static size_t table(fbb *f, const fld *fs, int nf, size_t *slots) {
    int maxid = -1, off[16];
    size_t o = 4;
    for (int i = 0; i < nf; i++) {
        int sz = fs[i].size ? fs[i].size : 4;
        o = (o + (size_t)sz - 1) / (size_t)sz * (size_t)sz;
        off[i] = (int)o;
        o += (size_t)sz;
        if (fs[i].id > maxid) maxid = fs[i].id;
    }
    pad_to(f, 2);
    size_t vt = f->n, vsize = 4 + 2 * (size_t)(maxid + 1);
    grow(f, vsize);
    w16(f, vt, (uint16_t)vsize);
    w16(f, vt + 2, (uint16_t)o);
    for (int i = 0; i < nf; i++) w16(f, vt + 4 + 2 * (size_t)fs[i].id, (uint16_t)off[i]);
    pad_to(f, 8);
    size_t t = f->n;
    grow(f, o);
    w32(f, t, (uint32_t)(t - vt));
    for (int i = 0; i < nf; i++) {
        size_t p = t + (size_t)off[i];
        switch (fs[i].size) {
        case 0: slots[fs[i].id] = p; break;
        case 1: f->b[p] = (uint8_t)fs[i].v; break;
        case 4: w32(f, p, (uint32_t)fs[i].v); break;
        default: w64(f, p, fs[i].v); break;
        }
    }
    return t;
}
static size_t vec_i32(fbb *f, const int32_t *v, int n) {
    pad_to(f, 4);
    size_t p = f->n;
    grow(f, 4 + 4 * (size_t)n);
    w32(f, p, (uint32_t)n);
    for (int i = 0; i < n; i++) w32(f, p + 4 + 4 * (size_t)i, (uint32_t)v[i]);
    return p;
}
static size_t vec_u8(fbb *f, const uint8_t *v, size_t n) {
    pad_to(f, 4);
    size_t p = f->n;
    grow(f, 4 + n);
    w32(f, p, (uint32_t)n);
    if (n) memcpy(f->b + p + 4, v, n);
    return p;
}
static size_t string(fbb *f, const char *s) {
    pad_to(f, 4);
    size_t p = f->n, n = strlen(s);
    grow(f, 4 + n + 1);
    w32(f, p, (uint32_t)n);
    memcpy(f->b + p + 4, s, n);
    return p;
}
static size_t vec_off(fbb *f, int n) {
    pad_to(f, 4);
    size_t p = f->n;
    grow(f, 4 + 4 * (size_t)n);
    w32(f, p, (uint32_t)n);
    return p;
}
#define SLOT(vec, i) ((vec) + 4 + 4 * (size_t)(i))

/* ------------------------------------------------------------------------------------------ */
/* The minimal model and its variants                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef struct spec {
    int32_t op_inputs[3];
    int n_op_inputs;
    int32_t op_output;
    uint32_t opcode_index;
    uint32_t w_buffer;       /* buffer of the filter tensor */
    uint32_t w_data_len;     /* bytes in buffer 1 */
    int opt_type;
    int w_type;
    int w_rank;              /* filter shape rank (dims 1) */
    int32_t w_dim0;
    uint64_t buf_offset, buf_size;
    int buf0_data;           /* buffer 0 holds data (not the sentinel) */
    int custom;              /* Convolution2DTransposeBias instead of CONV_2D */
    int custom_len;
    int reshape_rank;        /* > 0: RESHAPE with new_shape of this rank instead of CONV_2D */
    int unknown_chain;       /* > 0: op 87 with options type 200 hiding a chain of this depth */
    int no_subgraph;
} spec;

static spec good_spec(void) {
    spec s = {{0, 1, -1}, 3, 2, 0, 1, 4, TFLITE_OPT_CONV2D, TFLITE_FLOAT32, 4, 1, 0, 0, 0, 0, 12, 0, 0, 0};
    return s;
}

/* Positions of interesting bytes in the last built model. */
static struct { size_t root, root_vt, tensors_vec, name0, tensors_slot; } P;

static uint8_t *build(const spec *sp, size_t *len) {
    fbb f = {0};
    size_t sl[16], s2[16], s3[16];
    grow(&f, 8);
    memcpy(f.b + 4, "TFL3", 4);
    fld mf[] = {{0, 4, 3}, {1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}};
    size_t model = table(&f, mf, 5, sl);
    P.root = model;
    P.root_vt = model - (size_t)(int32_t)(f.b[model] | (f.b[model + 1] << 8) | (f.b[model + 2] << 16));
    link_to(&f, 0, model);
    size_t m_ops = sl[1], m_sgs = sl[2], m_desc = sl[3], m_bufs = sl[4];

    /* operator_codes */
    size_t ocv = vec_off(&f, 1);
    link_to(&f, m_ops, ocv);
    int code = sp->custom ? TFLITE_OP_CUSTOM : sp->reshape_rank ? TFLITE_OP_RESHAPE : sp->unknown_chain ? 87
                                                                                                        : TFLITE_OP_CONV_2D;
    fld ocf[] = {{0, 1, (uint64_t)(code < 127 ? code : 127)}, {2, 4, 1}, {3, 4, (uint64_t)code}, {1, 0, 0}};
    size_t oc = table(&f, ocf, sp->custom ? 4 : 3, s2);
    link_to(&f, SLOT(ocv, 0), oc);
    if (sp->custom) link_to(&f, s2[1], string(&f, TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS));

    /* subgraphs */
    size_t sgv = vec_off(&f, sp->no_subgraph ? 0 : 1);
    link_to(&f, m_sgs, sgv);
    if (!sp->no_subgraph) {
        fld sgf[] = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}};
        size_t sg = table(&f, sgf, 5, sl);
        link_to(&f, SLOT(sgv, 0), sg);
        size_t g_t = sl[0], g_in = sl[1], g_out = sl[2], g_ops = sl[3], g_name = sl[4];
        size_t tv = vec_off(&f, 3);
        P.tensors_vec = tv;
        P.tensors_slot = g_t;
        link_to(&f, g_t, tv);
        const char *names[3] = {"input", "filter", "output"};
        for (int i = 0; i < 3; i++) {
            fld tf[] = {{0, 0, 0}, {1, 1, (uint64_t)(i == 1 ? sp->w_type : TFLITE_FLOAT32)},
                        {2, 4, i == 1 ? sp->w_buffer : 0}, {3, 0, 0}};
            size_t t = table(&f, tf, 4, s3);
            link_to(&f, SLOT(tv, i), t);
            int32_t act[4] = {1, 2, 2, 1}, w[9] = {sp->w_dim0, 1, 1, 1, 1, 1, 1, 1, 1};
            link_to(&f, s3[0], i == 1 ? vec_i32(&f, w, sp->w_rank) : vec_i32(&f, act, 4));
            size_t nm = string(&f, names[i]);
            if (i == 0) P.name0 = nm;
            link_to(&f, s3[3], nm);
        }
        int32_t gin = 0, gout = 2;
        link_to(&f, g_in, vec_i32(&f, &gin, 1));
        link_to(&f, g_out, vec_i32(&f, &gout, 1));
        size_t opv = vec_off(&f, 1);
        link_to(&f, g_ops, opv);
        fld opf[] = {{0, 4, sp->opcode_index}, {1, 0, 0}, {2, 0, 0}, {3, 1, (uint64_t)sp->opt_type}, {4, 0, 0}, {5, 0, 0}};
        int nopf = sp->custom ? 6 : sp->opt_type ? 5 : 4;
        if (sp->custom) opf[3].v = 0;
        size_t op = table(&f, opf, nopf, s2);
        link_to(&f, SLOT(opv, 0), op);
        link_to(&f, s2[1], vec_i32(&f, sp->op_inputs, sp->reshape_rank || sp->unknown_chain ? 1 : sp->n_op_inputs));
        link_to(&f, s2[2], vec_i32(&f, &sp->op_output, 1));
        if (sp->custom) {
            uint8_t co[12] = {1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0};
            link_to(&f, s2[5], vec_u8(&f, co, (size_t)sp->custom_len));
        } else if (sp->reshape_rank) {
            fld rf[] = {{0, 0, 0}};
            size_t ro = table(&f, rf, 1, s3);
            link_to(&f, s2[4], ro);
            int32_t ns[12] = {1, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
            link_to(&f, s3[0], vec_i32(&f, ns, sp->reshape_rank));
        } else if (sp->unknown_chain) {
            size_t slot = s2[4];
            for (int d = 0; d < sp->unknown_chain; d++) {
                fld cf[] = {{0, 0, 0}};
                size_t t = table(&f, cf, 1, s3);
                link_to(&f, slot, t);
                slot = s3[0];
            }
            fld ef[] = {{0, 4, 7}};
            link_to(&f, slot, table(&f, ef, 1, s3));
        } else if (sp->opt_type) {
            fld cf[] = {{0, 1, TFLITE_PADDING_VALID}, {1, 4, 1}, {2, 4, 1}, {3, 1, TFLITE_ACT_RELU6}};
            link_to(&f, s2[4], table(&f, cf, 4, s3));
        }
        link_to(&f, g_name, string(&f, "main"));
    }
    link_to(&f, m_desc, string(&f, "hand-built"));

    /* buffers: [0] the empty sentinel, [1] the filter's data */
    size_t bv = vec_off(&f, 2);
    link_to(&f, m_bufs, bv);
    for (int i = 0; i < 2; i++) {
        size_t b;
        if (i == 0 && !sp->buf0_data) {
            b = table(&f, NULL, 0, s3);
        } else {
            fld bf[] = {{0, 0, 0}, {1, 8, sp->buf_offset}, {2, 8, sp->buf_size}};
            b = table(&f, bf, sp->buf_offset || sp->buf_size ? 3 : 1, s3);
        }
        link_to(&f, SLOT(bv, i), b);
        if (i == 1 || sp->buf0_data) {
            uint8_t d[64] = {0, 0, 0x80, 0x3f}; /* 1.0f */
            link_to(&f, s3[0], vec_u8(&f, d, sp->w_data_len));
        }
    }
    *len = f.n;
    uint8_t *exact = malloc(f.n); /* exact size: ASan sees any read past the end */
    memcpy(exact, f.b, f.n);
    free(f.b);
    return exact;
}

/* ------------------------------------------------------------------------------------------ */
/* Checks                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void expect_fail(const char *descr, const uint8_t *p, size_t n, mosa_status want, const char *msg) {
    tflite_model m;
    mosa_status s = tflite_model_parse(&m, p, n);
    int ok = s == want && strstr(mosa_last_error(), msg) != NULL;
    if (!ok || getenv("TEST_VERBOSE"))
        printf("  %s: status %d, message: %s\n", descr, (int)s, s ? mosa_last_error() : "(accepted)");
    TEST_COND(descr, ok);
    TEST_COND("a failed parse leaves nothing behind", s == MOSA_OK || (m.subgraphs == NULL && m.n_subgraphs == 0));
    if (s == MOSA_OK) tflite_model_free(&m);
}
static void expect_spec_fail(const char *descr, const spec *sp, mosa_status want, const char *msg) {
    size_t n;
    uint8_t *p = build(sp, &n);
    expect_fail(descr, p, n, want, msg);
    free(p);
}

static void test_minimal(void) {
    spec sp = good_spec();
    size_t n;
    uint8_t *p = build(&sp, &n);
    if (getenv("TFLITE_WRITE_MINIMAL")) { /* seed for the fuzzer */
        FILE *fo = fopen(getenv("TFLITE_WRITE_MINIMAL"), "wb");
        if (fo) { fwrite(p, 1, n, fo); fclose(fo); }
    }
    tflite_model m;
    mosa_status s = tflite_model_parse(&m, p, n);
    if (s) printf("  minimal model: %s\n", mosa_last_error());
    TEST_COND("the minimal model parses", s == MOSA_OK);
    if (s == MOSA_OK) {
        TEST_COND("description", strcmp(m.description, "hand-built") == 0 && m.version == 3);
        TEST_COND("one subgraph of 3 tensors and 1 op", m.n_subgraphs == 1 && m.subgraphs[0].n_tensors == 3 &&
                  m.subgraphs[0].n_ops == 1 && strcmp(m.subgraphs[0].name, "main") == 0);
        const tflite_subgraph *g = &m.subgraphs[0];
        const tflite_op *op = &g->ops[0];
        TEST_COND("op is CONV_2D with the absent bias", op->code == TFLITE_OP_CONV_2D && op->n_inputs == 3 &&
                  op->inputs[0] == 0 && op->inputs[1] == 1 && op->inputs[2] == -1 && op->n_outputs == 1 &&
                  op->outputs[0] == 2);
        TEST_COND("conv options", op->padding == TFLITE_PADDING_VALID && op->stride_w == 1 && op->stride_h == 1 &&
                  op->dilation_w == 1 && op->activation == TFLITE_ACT_RELU6);
        TEST_COND("filter data", g->tensors[1].data && g->tensors[1].data_len == 4 && g->tensors[1].data[3] == 0x3f &&
                  g->tensors[1].rank == 4 && g->tensors[1].n_elements == 1);
        TEST_COND("input has no data", g->tensors[0].data == NULL && strcmp(g->tensors[0].name, "input") == 0);
        TEST_COND("graph inputs/outputs", g->n_inputs == 1 && g->inputs[0] == 0 && g->n_outputs == 1 && g->outputs[0] == 2);
        TEST_COND("CONV_2D is supported", tflite_model_unsupported_op(&m) == NULL);
        tflite_model_free(&m);
        TEST_COND("free is idempotent", m.subgraphs == NULL);
        tflite_model_free(&m);
    }

    /* truncated at every length */
    int all = 1;
    for (size_t k = 0; k < n; k++) {
        uint8_t *q = malloc(k ? k : 1);
        memcpy(q, p, k);
        s = tflite_model_parse(&m, q, k);
        if (s != MOSA_ERR_FORMAT || !mosa_last_error()[0]) {
            printf("  truncated to %zu of %zu bytes: status %d\n", k, n, (int)s);
            all = 0;
        }
        if (s == MOSA_OK) tflite_model_free(&m);
        free(q);
    }
    TEST_COND("every truncation fails cleanly", all);

    /* byte-level corruption */
    uint8_t *q = malloc(n);
#define CORRUPT(descr, stmt, msg)          \
    do {                                   \
        memcpy(q, p, n);                   \
        stmt;                              \
        expect_fail(descr, q, n, MOSA_ERR_FORMAT, msg); \
    } while (0)
    fbb w = {q, n, n};
    CORRUPT("root offset out of bounds", w32(&w, 0, 0x7ffffff0u), "root table offset");
    CORRUPT("root offset into the header", w32(&w, 0, 4), "root table offset");
    CORRUPT("wrong identifier", memcpy(q + 4, "TFL2", 4), "TFL3");
    CORRUPT("soffset pointing before the file", w32(&w, P.root, (uint32_t)(P.root + 64)), "outside the file");
    CORRUPT("soffset pointing past the end", w32(&w, P.root, (uint32_t)-(int32_t)(n + 16)), "outside the file");
    CORRUPT("soffset making the vtable straddle the end", w32(&w, P.root, (uint32_t)-(int32_t)(n - P.root - 2)),
            "outside the file");
    CORRUPT("vtable odd size", w16(&w, P.root_vt, 5), "odd or smaller than 4");
    CORRUPT("vtable size < 4", w16(&w, P.root_vt, 2), "odd or smaller than 4");
    CORRUPT("vtable size past the end", w16(&w, P.root_vt, 0xfffe), "runs past the end");
    CORRUPT("vtable odd address", w32(&w, P.root, (uint32_t)(P.root - P.root_vt + 1)), "2-byte aligned");
    CORRUPT("inline object size past the end", w16(&w, P.root_vt + 2, 0xfff0), "inline object size");
    CORRUPT("field outside its object", w16(&w, P.root_vt + 2, 6), "outside its");
    CORRUPT("vector count 0xFFFFFFFF", w32(&w, P.tensors_vec, 0xffffffffu), "past the end of the file");
    CORRUPT("string without NUL", q[P.name0 + 4 + strlen("input")] = 'x', "NUL-terminated");
    CORRUPT("string length past the end", w32(&w, P.name0, 0x7fffffffu), "past the end of the file");
    CORRUPT("misaligned vector", w32(&w, P.tensors_slot, (uint32_t)(P.tensors_vec - P.tensors_slot + 2)), "aligned");
    CORRUPT("offset past the end", w32(&w, P.tensors_slot, 0xfffffff0u), "outside the file");
#undef CORRUPT
    free(q);
    free(p);
}

static void test_semantics(void) {
    spec s;
    s = good_spec(); s.op_inputs[0] = 99;
    expect_spec_fail("tensor index 99", &s, MOSA_ERR_FORMAT, "input 0: tensor index 99 out of range [0, 3)");
    s = good_spec(); s.op_inputs[1] = -2;
    expect_spec_fail("tensor index -2", &s, MOSA_ERR_FORMAT, "tensor index -2 out of range");
    s = good_spec(); s.op_output = -1;
    expect_spec_fail("output -1", &s, MOSA_ERR_FORMAT, "output 0: tensor index -1");
    s = good_spec(); s.opcode_index = 1;
    expect_spec_fail("opcode index out of range", &s, MOSA_ERR_FORMAT, "opcode index 1 out of range [0, 1)");
    s = good_spec(); s.w_buffer = 7;
    expect_spec_fail("buffer index out of range", &s, MOSA_ERR_FORMAT, "buffer index 7 out of range [0, 2)");
    s = good_spec(); s.w_data_len = 8;
    expect_spec_fail("buffer size != shape product", &s, MOSA_ERR_FORMAT, "holds 8 bytes but shape");
    s = good_spec(); s.w_dim0 = 2;
    expect_spec_fail("shape product != buffer size", &s, MOSA_ERR_FORMAT, "holds 4 bytes but shape");
    s = good_spec(); s.w_type = TFLITE_FLOAT16; s.w_data_len = 2;
    {
        size_t n;
        uint8_t *p = build(&s, &n);
        tflite_model m;
        TEST_COND("FLOAT16 constant of 2 bytes parses", tflite_model_parse(&m, p, n) == MOSA_OK);
        tflite_model_free(&m);
        free(p);
    }
    s = good_spec(); s.w_type = 99;
    expect_spec_fail("unknown tensor type", &s, MOSA_ERR_FORMAT, "unknown tensor type 99");
    s = good_spec(); s.w_dim0 = -1;
    expect_spec_fail("negative dim", &s, MOSA_ERR_FORMAT, "dim 0 = -1");
    s = good_spec(); s.w_rank = 9;
    expect_spec_fail("rank 9", &s, MOSA_ERR_FORMAT, "rank 9, more than 8");
    s = good_spec(); s.w_dim0 = 0x7fffffff; s.w_rank = 9;
    expect_spec_fail("rank 9 huge", &s, MOSA_ERR_FORMAT, "rank 9");
    s = good_spec(); s.opt_type = TFLITE_OPT_ADD;
    expect_spec_fail("wrong options type", &s, MOSA_ERR_FORMAT, "builtin_options type 11, expected 1");
    s = good_spec(); s.opt_type = TFLITE_OPT_NONE;
    expect_spec_fail("missing conv options", &s, MOSA_ERR_FORMAT, "builtin_options type 0, expected 1");
    s = good_spec(); s.buf_offset = 100; s.buf_size = 4; s.w_data_len = 0;
    expect_spec_fail("external buffer", &s, MOSA_ERR_UNSUPPORTED, "outside the flatbuffer");
    s = good_spec(); s.buf_offset = 0xffffffffffffff00ull; s.buf_size = 0x200; s.w_data_len = 0;
    expect_spec_fail("external buffer offset+size overflow (#116632)", &s, MOSA_ERR_UNSUPPORTED, "outside the flatbuffer");
    s = good_spec(); s.buf0_data = 1;
    expect_spec_fail("buffer 0 not empty", &s, MOSA_ERR_FORMAT, "buffer 0 must be the empty sentinel");
    s = good_spec(); s.no_subgraph = 1;
    expect_spec_fail("no subgraph", &s, MOSA_ERR_FORMAT, "no subgraph");
    s = good_spec(); s.reshape_rank = 9; s.opt_type = TFLITE_OPT_RESHAPE;
    expect_spec_fail("reshape new_shape rank 9 (#124982)", &s, MOSA_ERR_FORMAT, "new_shape has rank 9");

    /* RESHAPE with rank 4 new_shape */
    s = good_spec(); s.reshape_rank = 4; s.opt_type = TFLITE_OPT_RESHAPE;
    {
        size_t n;
        uint8_t *p = build(&s, &n);
        tflite_model m;
        mosa_status st = tflite_model_parse(&m, p, n);
        if (st) printf("  reshape: %s\n", mosa_last_error());
        TEST_COND("reshape parses", st == MOSA_OK && m.subgraphs[0].ops[0].has_new_shape &&
                  m.subgraphs[0].ops[0].new_shape_rank == 4 && m.subgraphs[0].ops[0].new_shape[1] == 4);
        if (st == MOSA_OK) tflite_model_free(&m);
        free(p);
    }
    /* the custom transposed convolution */
    s = good_spec(); s.custom = 1; s.opt_type = 0;
    {
        size_t n;
        uint8_t *p = build(&s, &n);
        tflite_model m;
        mosa_status st = tflite_model_parse(&m, p, n);
        if (st) printf("  custom: %s\n", mosa_last_error());
        TEST_COND("Convolution2DTransposeBias parses", st == MOSA_OK);
        if (st == MOSA_OK) {
            const tflite_op *op = &m.subgraphs[0].ops[0];
            TEST_COND("transpose-conv params", op->code == TFLITE_OP_CUSTOM &&
                      strcmp(op->custom_name, TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS) == 0 && op->tconv_padding == 1 &&
                      op->padding == TFLITE_PADDING_SAME && op->stride_w == 2 && op->stride_h == 2);
            TEST_COND("custom op is supported", tflite_model_unsupported_op(&m) == NULL);
            tflite_model_free(&m);
        }
        free(p);
    }
    s = good_spec(); s.custom = 1; s.opt_type = 0; s.custom_len = 11;
    expect_spec_fail("transpose-conv params of 11 bytes", &s, MOSA_ERR_FORMAT, "custom_options has 11 bytes, expected 12");

    /* An unknown op whose options (type 200) hide a 100-deep table chain: the reader accepts any op, never
     * follows fields it does not know (the TFLite schema has no recursive table, so its nesting is at most 5
     * deep and the 64 limit cannot be reached through it), and the runner's check names the op. */
    s = good_spec(); s.unknown_chain = 100; s.opt_type = 200;
    {
        size_t n;
        uint8_t *p = build(&s, &n);
        tflite_model m;
        mosa_status st = tflite_model_parse(&m, p, n);
        if (st) printf("  depth bomb: %s\n", mosa_last_error());
        TEST_COND("a depth bomb under an unknown option table is not followed", st == MOSA_OK);
        if (st == MOSA_OK) {
            const char *u = tflite_model_unsupported_op(&m);
            TEST_COND("unsupported op is named", u && strcmp(u, "op 87 (UNKNOWN builtin 87) at operator 0 of subgraph 0 "
                                                             "is not supported") == 0);
            tflite_model_free(&m);
        }
        free(p);
    }

    /* tensorflow #115308 */
    const uint8_t tiny[8] = {0x18, 0, 0, 0, 'T', 'F', 'L', '3'};
    expect_fail("8-byte file of tensorflow#115308", tiny, 8, MOSA_ERR_FORMAT, "root table offset 24");
    expect_fail("empty file", tiny, 0, MOSA_ERR_FORMAT, "fewer than the 8");
}

/* Model{subgraphs:[SubGraph{tensors:[T, T, ... 1000001 times the same empty table]}]} */
static void test_table_bomb(void) {
    fbb f = {0};
    size_t sl[16];
    grow(&f, 8);
    memcpy(f.b + 4, "TFL3", 4);
    fld mf[] = {{2, 0, 0}};
    size_t model = table(&f, mf, 1, sl);
    link_to(&f, 0, model);
    size_t sgv = vec_off(&f, 1);
    link_to(&f, sl[2], sgv);
    fld sgf[] = {{0, 0, 0}};
    size_t sg = table(&f, sgf, 1, sl);
    link_to(&f, SLOT(sgv, 0), sg);
    const int N = TFLITE_MAX_TABLES + 1;
    size_t tv = vec_off(&f, N);
    link_to(&f, sl[0], tv);
    size_t t = table(&f, NULL, 0, sl);
    for (int i = 0; i < N; i++) link_to(&f, SLOT(tv, i), t);
    expect_fail("1000001 references to one table", f.b, f.n, MOSA_ERR_FORMAT, "more than 1000000 tables");
    free(f.b);
}

/* ------------------------------------------------------------------------------------------ */
/* The MediaPipe models (CONVENTIONS 1.8)                                                      */
/* ------------------------------------------------------------------------------------------ */

static const char *model_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/models/mediapipe/%s", MOSA_SOURCE_DIR, name);
    return buf;
}

static int shape_is(const tflite_tensor *t, int rank, const int32_t *d) {
    if (t->rank != rank) return 0;
    for (int i = 0; i < rank; i++) if (t->shape[i] != d[i]) return 0;
    return 1;
}

static int load(tflite_model *m, const char *name) {
    mosa_status s = tflite_model_load(m, model_path(name));
    if (s) printf("  %s: %s\n", name, mosa_last_error());
    TEST_COND(name, s == MOSA_OK);
    if (s == MOSA_OK && getenv("TEST_VERBOSE")) tflite_model_print_summary(m, stdout);
    return s == MOSA_OK;
}

static void check_pose(const char *name, int n_conv, int n_dw, int n_add, int n_maxpool, int n_pad) {
    tflite_model m;
    if (!load(&m, name)) return;
    const tflite_subgraph *g = &m.subgraphs[0];
    TEST_COND("pose: one subgraph, schema 3", m.n_subgraphs == 1 && m.version == 3 &&
              strcmp(m.description, "MLIR Converted.") == 0);
    TEST_COND("pose: op counts", tflite_model_count_ops(&m, 0, TFLITE_OP_CONV_2D, NULL) == n_conv &&
              tflite_model_count_ops(&m, 0, TFLITE_OP_DEPTHWISE_CONV_2D, NULL) == n_dw &&
              tflite_model_count_ops(&m, 0, TFLITE_OP_ADD, NULL) == n_add &&
              tflite_model_count_ops(&m, 0, TFLITE_OP_MAX_POOL_2D, NULL) == n_maxpool &&
              tflite_model_count_ops(&m, 0, TFLITE_OP_PAD, NULL) == n_pad &&
              tflite_model_count_ops(&m, 0, TFLITE_OP_RESIZE_BILINEAR, NULL) == 5 &&
              tflite_model_count_ops(&m, 0, TFLITE_OP_RESHAPE, NULL) == 3 &&
              tflite_model_count_ops(&m, 0, TFLITE_OP_LOGISTIC, NULL) == 1);
    const int32_t in[4] = {1, 256, 256, 3}, o0[2] = {1, 195}, o1[2] = {1, 1}, o2[4] = {1, 256, 256, 1},
                  o3[4] = {1, 64, 64, 39}, o4[2] = {1, 117};
    TEST_COND("pose: input [1,256,256,3] FLOAT32", g->n_inputs == 1 && shape_is(&g->tensors[g->inputs[0]], 4, in) &&
              g->tensors[g->inputs[0]].type == TFLITE_FLOAT32 && strcmp(g->tensors[g->inputs[0]].name, "input_1") == 0);
    TEST_COND("pose: 5 outputs", g->n_outputs == 5 && shape_is(&g->tensors[g->outputs[0]], 2, o0) &&
              shape_is(&g->tensors[g->outputs[1]], 2, o1) && shape_is(&g->tensors[g->outputs[2]], 4, o2) &&
              shape_is(&g->tensors[g->outputs[3]], 4, o3) && shape_is(&g->tensors[g->outputs[4]], 2, o4) &&
              strcmp(g->tensors[g->outputs[0]].name, "Identity") == 0);
    int resize_ok = 1, pool_ok = 1, deq_ok = 1, conv_ok = 1;
    for (int i = 0; i < g->n_ops; i++) {
        const tflite_op *op = &g->ops[i];
        if (op->code == TFLITE_OP_RESIZE_BILINEAR && (op->align_corners || !op->half_pixel_centers)) resize_ok = 0;
        if (op->code == TFLITE_OP_MAX_POOL_2D && (op->filter_w != 2 || op->filter_h != 2 || op->stride_w != 2 ||
                                                  op->padding != TFLITE_PADDING_VALID)) pool_ok = 0;
        if (op->code == TFLITE_OP_DEQUANTIZE) {
            const tflite_tensor *t = &g->tensors[op->inputs[0]];
            if (t->type != TFLITE_FLOAT16 || !t->data || t->data_len != (size_t)t->n_elements * 2) deq_ok = 0;
        }
        if ((op->code == TFLITE_OP_CONV_2D || op->code == TFLITE_OP_DEPTHWISE_CONV_2D) &&
            (op->dilation_w != 1 || op->dilation_h != 1 || op->stride_w > 2 ||
             (op->code == TFLITE_OP_DEPTHWISE_CONV_2D && op->depth_multiplier != 1)))
            conv_ok = 0;
    }
    TEST_COND("pose: resize half-pixel", resize_ok);
    TEST_COND("pose: maxpool 2x2 s2 VALID", pool_ok);
    TEST_COND("pose: DEQUANTIZE reads constant FLOAT16", deq_ok);
    TEST_COND("pose: conv configs", conv_ok);
    TEST_COND("pose: all ops supported", tflite_model_unsupported_op(&m) == NULL);
    int meta = m.n_metadata == 2 && strcmp(m.metadata[0].name, "min_runtime_version") == 0 &&
               strcmp(m.metadata[1].name, "reduced_precision_support") == 0;
    TEST_COND("pose: metadata names", meta);
    tflite_model_free(&m);
}

static void test_mediapipe(void) {
    tflite_model m;
    if (load(&m, "pose_landmark_full.tflite")) {
        TEST_COND("full: 535 tensors, 348 buffers", m.subgraphs[0].n_tensors == 535 && m.n_buffers == 348);
        TEST_COND("full: DEQUANTIZE 192", tflite_model_count_ops(&m, 0, TFLITE_OP_DEQUANTIZE, NULL) == 192);
        TEST_COND("full: 332 ops", m.subgraphs[0].n_ops == 192 + 58 + 38 + 28 + 5 + 5 + 2 + 3 + 1);
        tflite_model_free(&m);
    }
    check_pose("pose_landmark_full.tflite", 58, 38, 28, 2, 5);
    check_pose("pose_landmark_heavy.tflite", 116, 82, 73, 5, 8);
    check_pose("pose_landmark_lite.tflite", 54, 34, 25, 2, 5);

    const char *selfies[2] = {"selfie_segmentation.tflite", "selfie_segmentation_landscape.tflite"};
    for (int k = 0; k < 2; k++) {
        if (!load(&m, selfies[k])) continue;
        const tflite_subgraph *g = &m.subgraphs[0];
        int pool_code = k == 0 ? TFLITE_OP_AVERAGE_POOL_2D : TFLITE_OP_MEAN;
        TEST_COND("selfie: op counts", tflite_model_count_ops(&m, 0, TFLITE_OP_CONV_2D, NULL) == 43 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_HARD_SWISH, NULL) == 11 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_RELU, NULL) == 22 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_DEPTHWISE_CONV_2D, NULL) == 11 &&
                  tflite_model_count_ops(&m, 0, pool_code, NULL) == 10 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_LOGISTIC, NULL) == 11 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_MUL, NULL) == 10 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_ADD, NULL) == 14 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_RESIZE_BILINEAR, NULL) == 3 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_DEQUANTIZE, NULL) == 110 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_CUSTOM, TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS) == 1 &&
                  tflite_model_count_ops(&m, 0, TFLITE_OP_CUSTOM, NULL) == 1);
        const int32_t in[4] = {1, k == 0 ? 256 : 144, 256, 3}, out[4] = {1, k == 0 ? 256 : 144, 256, 1};
        TEST_COND("selfie: input/output", g->n_inputs == 1 && shape_is(&g->tensors[g->inputs[0]], 4, in) &&
                  g->n_outputs == 1 && shape_is(&g->tensors[g->outputs[0]], 4, out) &&
                  strcmp(g->tensors[g->outputs[0]].name, k == 0 ? "activation_10" : "segment_back") == 0);
        for (int i = 0; i < g->n_ops; i++) {
            const tflite_op *op = &g->ops[i];
            if (op->code != TFLITE_OP_CUSTOM) continue;
            const int32_t w[4] = {1, 2, 2, 16};
            TEST_COND("selfie: transpose-conv params padding 1 stride 2 2",
                      op->tconv_padding == 1 && op->stride_w == 2 && op->stride_h == 2 && op->n_inputs == 3 &&
                      op->custom_options_len == 12);
            TEST_COND("selfie: transpose-conv weights [1,2,2,16]", shape_is(&g->tensors[op->inputs[1]], 4, w));
        }
        TEST_COND("selfie: all ops supported", tflite_model_unsupported_op(&m) == NULL);
        if (k == 0) {
            TEST_COND("selfie: description", strncmp(m.description, "keras2tflite_selfiesegmentation_mlkit", 37) == 0);
            /* truncations and byte corruptions of a real model: never a crash */
            uint8_t *q = malloc(m.size);
            int clean = 1, accepted = 0;
            for (size_t len = 0; len < m.size; len += 997) {
                tflite_model x;
                memcpy(q, m.bytes, len);
                uint8_t *e = malloc(len ? len : 1); /* exact size */
                memcpy(e, q, len);
                if (tflite_model_parse(&x, e, len) == MOSA_OK) { clean = 0; tflite_model_free(&x); }
                free(e);
            }
            TEST_COND("selfie: every sampled truncation is refused", clean);
            uint32_t seed = 12345;
            for (int it = 0; it < 3000; it++) {
                memcpy(q, m.bytes, m.size);
                for (int k2 = 0; k2 < 4; k2++) {
                    seed = seed * 1664525u + 1013904223u;
                    size_t pos = (seed >> 8) % 20000; /* the metadata lies near the front */
                    if (it & 1) pos = (seed >> 4) % m.size;
                    seed = seed * 1664525u + 1013904223u;
                    q[pos] = (uint8_t)(seed >> 24);
                }
                tflite_model x;
                if (tflite_model_parse(&x, q, m.size) == MOSA_OK) { accepted++; tflite_model_free(&x); }
            }
            if (getenv("TEST_VERBOSE")) printf("  selfie corruptions: %d of 3000 still valid\n", accepted);
            TEST_COND("selfie: 3000 corruptions without a crash", 1);
            free(q);
        }
        tflite_model_free(&m);
    }
}

int main(void) {
    test_minimal();
    test_semantics();
    test_table_bomb();
    tflite_model m;
    TEST_COND("missing file", tflite_model_load(&m, "/nonexistent/x.tflite") == MOSA_ERR_IO &&
              strstr(mosa_last_error(), "x.tflite"));
    if (access(model_path("pose_landmark_full.tflite"), R_OK) != 0 ||
        access(model_path("selfie_segmentation.tflite"), R_OK) != 0) {
        int r = test_report();
        printf("models/mediapipe/*.tflite not found: run scripts/fetch_models.sh to test the MediaPipe models "
               "(skipped)\n");
        return r ? r : 77;
    }
    test_mediapipe();
    return test_report();
}
