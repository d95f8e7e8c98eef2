/* model.c: the validating .tflite reader (see model.h for the contract).
 *
 * Two phases. (1) verify(): a schema-driven walk of the whole flatbuffer from the root table,
 * following exactly the fields phase 2 reads (the schema tables below), checking every offset,
 * vtable, inline object, vector and string against the buffer before anything is read from it,
 * plus global work limits: TFLITE_MAX_DEPTH nested tables, TFLITE_MAX_TABLES tables and at most
 * 2 x file size + 64 KiB of vector bytes visited in all (flatbuffers are DAGs: one shared vector
 * referenced a million times would otherwise make a small file decode into terabytes).
 * (2) decode(): reads the verified fields into the structs of model.h and checks semantics.
 * The accessors of phase 2 re-check their bounds with MOSA_ASSERT: a failure there is a bug of
 * this file (phase 1 missed a field phase 2 reads), never an answer to bad input.
 *
 * Fields the schema tables do not list are never read; their bytes are covered only by the
 * inline-object bound. Option tables of types outside the decoded set are verified as tables
 * (header, vtable, inline object) without fields. */
#include "tflite/model.h"

#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Little-endian reads (byte by byte: no alignment assumption, any host)                       */
/* ------------------------------------------------------------------------------------------ */

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* ------------------------------------------------------------------------------------------ */
/* Schema: the tables and fields this reader follows (CONVENTIONS 1.7)                          */
/* ------------------------------------------------------------------------------------------ */

enum { K_NONE = 0, K_SCALAR, K_STRING, K_VEC, K_VEC_STRING, K_TABLE, K_VEC_TABLE, K_UNION };

typedef struct fb_schema fb_schema;
typedef const fb_schema *(*fb_resolver)(uint8_t type);
typedef struct fb_field {
    uint8_t kind;
    uint8_t size;            /* K_SCALAR: byte size; K_VEC: element size */
    const fb_schema *sub;    /* K_TABLE, K_VEC_TABLE */
    fb_resolver resolve;     /* K_UNION: table schema for a type byte (NULL: generic table) */
} fb_field;
struct fb_schema {
    const char *name;
    int n;
    const fb_field *f;
};

#define SC(sz) {K_SCALAR, (sz), NULL, NULL}
#define STR {K_STRING, 4, NULL, NULL}
#define VEC(esz) {K_VEC, (esz), NULL, NULL}
#define VSTR {K_VEC_STRING, 4, NULL, NULL}
#define TBL(s) {K_TABLE, 4, &(s), NULL}
#define VTBL(s) {K_VEC_TABLE, 4, &(s), NULL}
#define UNI(r) {K_UNION, 4, NULL, (r)}
#define SCHEMA(var, nm, ...)                                     \
    static const fb_field var##_f[] = {__VA_ARGS__};             \
    static const fb_schema var = {nm, (int)(sizeof var##_f / sizeof var##_f[0]), var##_f}

static const fb_schema S_GENERIC = {"table", 0, NULL};

/* Option tables that are decoded. */
SCHEMA(S_CONV2D, "Conv2DOptions", SC(1), SC(4), SC(4), SC(1), SC(4), SC(4), SC(1));
SCHEMA(S_DWCONV2D, "DepthwiseConv2DOptions", SC(1), SC(4), SC(4), SC(4), SC(1), SC(4), SC(4));
SCHEMA(S_POOL2D, "Pool2DOptions", SC(1), SC(4), SC(4), SC(4), SC(4), SC(1));
SCHEMA(S_CONCAT, "ConcatenationOptions", SC(4), SC(1));
SCHEMA(S_ADD, "AddOptions", SC(1), SC(1));
SCHEMA(S_RESIZE, "ResizeBilinearOptions", SC(4), SC(4), SC(1), SC(1));
SCHEMA(S_RESHAPE, "ReshapeOptions", VEC(4));
SCHEMA(S_MUL, "MulOptions", SC(1));
SCHEMA(S_REDUCER, "ReducerOptions", SC(1));

static const fb_schema *resolve_builtin_options(uint8_t type) {
    switch (type) {
    case TFLITE_OPT_CONV2D: return &S_CONV2D;
    case TFLITE_OPT_DEPTHWISE_CONV2D: return &S_DWCONV2D;
    case TFLITE_OPT_POOL2D: return &S_POOL2D;
    case TFLITE_OPT_CONCATENATION: return &S_CONCAT;
    case TFLITE_OPT_ADD: return &S_ADD;
    case TFLITE_OPT_RESIZE_BILINEAR: return &S_RESIZE;
    case TFLITE_OPT_RESHAPE: return &S_RESHAPE;
    case TFLITE_OPT_MUL: return &S_MUL;
    case TFLITE_OPT_REDUCER: return &S_REDUCER;
    default: return NULL; /* verified as a table, fields not read */
    }
}

/* Quantization and sparsity: verified, not decoded. */
SCHEMA(S_CUSTOM_QUANT, "CustomQuantization", VEC(1));
static const fb_schema *resolve_quant_details(uint8_t type) { return type == 1 ? &S_CUSTOM_QUANT : NULL; }
SCHEMA(S_QUANT, "QuantizationParameters", VEC(4), VEC(4), VEC(4), VEC(8), SC(1), UNI(resolve_quant_details), SC(4));
SCHEMA(S_INT32VEC, "Int32Vector", VEC(4));
SCHEMA(S_UINT16VEC, "Uint16Vector", VEC(2));
SCHEMA(S_UINT8VEC, "Uint8Vector", VEC(1));
static const fb_schema *resolve_sparse_index(uint8_t type) {
    return type == 1 ? &S_INT32VEC : type == 2 ? &S_UINT16VEC : type == 3 ? &S_UINT8VEC : NULL;
}
SCHEMA(S_DIMMETA, "DimensionMetadata", SC(1), SC(4), SC(1), UNI(resolve_sparse_index), SC(1), UNI(resolve_sparse_index));
SCHEMA(S_SPARSITY, "SparsityParameters", VEC(4), VEC(4), VTBL(S_DIMMETA));
SCHEMA(S_VARIANT, "VariantSubType", VEC(4), SC(1), SC(1));

SCHEMA(S_TENSOR, "Tensor", VEC(4), SC(1), SC(4), STR, TBL(S_QUANT), SC(1), TBL(S_SPARSITY), VEC(4), SC(1),
       VTBL(S_VARIANT), SC(4));
SCHEMA(S_OPERATOR, "Operator", SC(4), VEC(4), VEC(4), SC(1), UNI(resolve_builtin_options), VEC(1), SC(1), VEC(1),
       VEC(4), SC(8), SC(8), SC(1), UNI(NULL), SC(4));
SCHEMA(S_SUBGRAPH, "SubGraph", VTBL(S_TENSOR), VEC(4), VEC(4), VTBL(S_OPERATOR), STR, SC(4));
SCHEMA(S_OPCODE, "OperatorCode", SC(1), STR, SC(4), SC(4));
SCHEMA(S_BUFFER, "Buffer", VEC(1), SC(8), SC(8));
SCHEMA(S_METADATA, "Metadata", STR, SC(4));
SCHEMA(S_TENSORMAP, "TensorMap", STR, SC(4));
SCHEMA(S_SIGDEF, "SignatureDef", VTBL(S_TENSORMAP), VTBL(S_TENSORMAP), STR, STR, SC(4));
SCHEMA(S_MODEL, "Model", SC(4), VTBL(S_OPCODE), VTBL(S_SUBGRAPH), STR, VTBL(S_BUFFER), VEC(4), VTBL(S_METADATA),
       VTBL(S_SIGDEF), VTBL(S_GENERIC), VTBL(S_GENERIC));
/* Tensor.external_buffer is read as a u32 index (0 = none); external buffer tables are only
 * checked as tables: any non-empty external_buffers vector or nonzero index is refused. */

/* Field ids used by decode(). */
enum { MODEL_VERSION, MODEL_OPCODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, MODEL_BUFFERS, MODEL_METADATA_BUFFER,
       MODEL_METADATA, MODEL_SIGDEFS, MODEL_EXT_GROUPS, MODEL_EXT_BUFFERS };
enum { SG_TENSORS, SG_INPUTS, SG_OUTPUTS, SG_OPERATORS, SG_NAME };
enum { T_SHAPE, T_TYPE, T_BUFFER, T_NAME, T_QUANT, T_IS_VARIABLE, T_SPARSITY, T_SHAPE_SIG, T_HAS_RANK, T_VARIANTS,
       T_EXT_BUFFER };
enum { OP_OPCODE, OP_INPUTS, OP_OUTPUTS, OP_OPT_TYPE, OP_OPT, OP_CUSTOM_OPT, OP_CUSTOM_FMT, OP_MUTATING,
       OP_INTERMEDIATES, OP_LARGE_OFF, OP_LARGE_SIZE };
enum { OC_DEPRECATED, OC_CUSTOM, OC_VERSION, OC_BUILTIN };
enum { BUF_DATA, BUF_OFFSET, BUF_SIZE };

/* ------------------------------------------------------------------------------------------ */
/* Phase 1: verification                                                                       */
/* ------------------------------------------------------------------------------------------ */

typedef struct vr {
    const uint8_t *p;
    uint64_t n;
    int depth;
    uint32_t tables;
    uint64_t visited;     /* vector/string bytes visited */
    uint64_t visit_limit;
} vr;

static mosa_status vfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static mosa_status vfail(const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mosa_fail(MOSA_ERR_FORMAT, "not a valid .tflite flatbuffer: %s (the file is corrupt, truncated or "
                     "not a TFLite model; fetch it again)", msg);
}

/* A vector (or string when is_string) whose u32 count is at `pos`; returns its count. */
static mosa_status verify_vector(vr *v, uint64_t pos, unsigned esize, int is_string, const char *what,
                                 uint32_t *count) {
    if (pos % 4) return vfail("%s at byte %llu is not 4-byte aligned", what, (unsigned long long)pos);
    if (pos + 4 > v->n)
        return vfail("%s at byte %llu lies outside the file (%llu bytes)", what, (unsigned long long)pos,
                     (unsigned long long)v->n);
    uint32_t c = rd32(v->p + pos);
    uint64_t bytes = (uint64_t)c * esize + (is_string ? 1u : 0u); /* c < 2^32, esize <= 8: no overflow */
    if (bytes > v->n - pos - 4)
        return vfail("%s at byte %llu holds %u elements of %u bytes, past the end of the file (%llu bytes)", what,
                     (unsigned long long)pos, c, esize, (unsigned long long)v->n);
    if (is_string && v->p[pos + 4 + c] != 0)
        return vfail("string at byte %llu is not NUL-terminated", (unsigned long long)pos);
    v->visited += bytes + 4;
    if (v->visited > v->visit_limit)
        return vfail("the same data is referenced over and over (more than %llu vector bytes for a %llu-byte "
                     "file): refusing a decompression bomb", (unsigned long long)v->visit_limit,
                     (unsigned long long)v->n);
    *count = c;
    return MOSA_OK;
}

static mosa_status verify_table(vr *v, uint64_t t, const fb_schema *s);

/* The target of the uoffset stored at `fp` (fp + 4 <= n checked by the caller). */
static uint64_t follow(const vr *v, uint64_t fp) { return fp + rd32(v->p + fp); }

static mosa_status verify_table(vr *v, uint64_t t, const fb_schema *s) {
    if (++v->tables > TFLITE_MAX_TABLES)
        return vfail("more than %d tables (a shared-table bomb?)", TFLITE_MAX_TABLES);
    if (v->depth >= TFLITE_MAX_DEPTH) return vfail("tables nested deeper than %d", TFLITE_MAX_DEPTH);
    if (t % 4) return vfail("%s at byte %llu is not 4-byte aligned", s->name, (unsigned long long)t);
    if (t + 4 > v->n)
        return vfail("%s at byte %llu lies outside the file (%llu bytes)", s->name, (unsigned long long)t,
                     (unsigned long long)v->n);
    int32_t soff = (int32_t)rd32(v->p + t);
    int64_t vt = (int64_t)t - (int64_t)soff;
    if (vt < 0 || (uint64_t)vt + 4 > v->n)
        return vfail("%s at byte %llu: its vtable (soffset %d -> byte %lld) lies outside the file", s->name,
                     (unsigned long long)t, soff, (long long)vt);
    if (vt % 2) return vfail("%s at byte %llu: vtable at byte %lld is not 2-byte aligned", s->name,
                             (unsigned long long)t, (long long)vt);
    uint16_t vsize = rd16(v->p + vt), osize = rd16(v->p + vt + 2);
    if (vsize < 4 || vsize % 2)
        return vfail("%s at byte %llu: vtable size %u is odd or smaller than 4", s->name, (unsigned long long)t, vsize);
    if ((uint64_t)vt + vsize > v->n)
        return vfail("%s at byte %llu: vtable (%u bytes at byte %lld) runs past the end of the file", s->name,
                     (unsigned long long)t, vsize, (long long)vt);
    if (osize < 4 || t + osize > v->n)
        return vfail("%s at byte %llu: inline object size %u is below 4 or runs past the end of the file", s->name,
                     (unsigned long long)t, osize);
    int nvt = (vsize - 4) / 2;
    v->depth++;
    for (int id = 0; id < s->n && id < nvt; id++) {
        const fb_field *f = &s->f[id];
        uint16_t e = rd16(v->p + vt + 4 + 2 * id);
        if (f->kind == K_NONE || e == 0) continue;
        unsigned sz = f->kind == K_SCALAR ? f->size : 4;
        if (e < 4 || (unsigned)e + sz > osize)
            return vfail("%s at byte %llu: field %d (%u bytes at +%u) lies outside its %u-byte object", s->name,
                         (unsigned long long)t, id, sz, e, osize);
        uint64_t fp = t + e;
        if (fp % sz)
            return vfail("%s at byte %llu: field %d at byte %llu is not %u-byte aligned", s->name,
                         (unsigned long long)t, id, (unsigned long long)fp, sz);
        if (f->kind == K_SCALAR) continue;
        uint64_t target = follow(v, fp);
        uint32_t c;
        char what[96];
        snprintf(what, sizeof what, "%s field %d", s->name, id);
        switch (f->kind) {
        case K_STRING: MOSA_TRY(verify_vector(v, target, 1, 1, what, &c)); break;
        case K_VEC: MOSA_TRY(verify_vector(v, target, f->size, 0, what, &c)); break;
        case K_TABLE: MOSA_TRY(verify_table(v, target, f->sub)); break;
        case K_VEC_STRING:
        case K_VEC_TABLE:
            MOSA_TRY(verify_vector(v, target, 4, 0, what, &c));
            for (uint32_t i = 0; i < c; i++) {
                uint64_t slot = target + 4 + 4ull * i;
                if (f->kind == K_VEC_TABLE) MOSA_TRY(verify_table(v, follow(v, slot), f->sub));
                else {
                    uint32_t slen;
                    MOSA_TRY(verify_vector(v, follow(v, slot), 1, 1, what, &slen));
                }
            }
            break;
        case K_UNION: {
            /* the type byte is the field before; absent or 0 = NONE (value ignored) */
            uint8_t type = 0;
            if (id > 0 && s->f[id - 1].kind == K_SCALAR && s->f[id - 1].size == 1) {
                uint16_t te = rd16(v->p + vt + 4 + 2 * (id - 1));
                if (te) type = v->p[t + te]; /* bounds checked when field id-1 was visited */
            }
            if (type == 0) break;
            const fb_schema *sub = f->resolve ? f->resolve(type) : NULL;
            MOSA_TRY(verify_table(v, target, sub ? sub : &S_GENERIC));
            break;
        }
        default: break;
        }
    }
    v->depth--;
    return MOSA_OK;
}

static mosa_status verify(const uint8_t *p, size_t n) {
    if (n < 8) return vfail("the file has %zu bytes, fewer than the 8 of a flatbuffer header", n);
    if (n > TFLITE_MAX_FILE_BYTES) return vfail("the file has %zu bytes, more than a flatbuffer can address", n);
    if (memcmp(p + 4, "TFL3", 4) != 0)
        return vfail("file identifier is not \"TFL3\" (bytes 4..7 are %02x %02x %02x %02x)", p[4], p[5], p[6], p[7]);
    vr v = {p, n, 0, 0, 0, 2ull * n + 65536};
    uint64_t root = rd32(p);
    if (root < 8 || root + 4 > n)
        return vfail("root table offset %llu lies outside the file (%zu bytes)", (unsigned long long)root, n);
    return verify_table(&v, root, &S_MODEL);
}

/* ------------------------------------------------------------------------------------------ */
/* Phase 2: accessors of verified data                                                         */
/* ------------------------------------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

/* Position of field `id` of the table at `t`, or 0 when absent. */
static size_t fpos(const rd *r, size_t t, int id) {
    MOSA_ASSERT(t + 4 <= r->n);
    int64_t vt = (int64_t)t - (int32_t)rd32(r->p + t);
    MOSA_ASSERT(vt >= 0 && (uint64_t)vt + 4 <= r->n);
    uint16_t vs = rd16(r->p + vt);
    if (4 + 2 * id >= vs) return 0;
    uint16_t e = rd16(r->p + vt + 4 + 2 * id);
    return e ? t + e : 0;
}
static int64_t get_int(const rd *r, size_t t, int id, int size, int is_signed, int64_t dflt) {
    size_t fp = fpos(r, t, id);
    if (!fp) return dflt;
    MOSA_ASSERT(fp + (size_t)size <= r->n);
    switch (size) {
    case 1: return is_signed ? (int64_t)(int8_t)r->p[fp] : (int64_t)r->p[fp];
    case 4: return is_signed ? (int64_t)(int32_t)rd32(r->p + fp) : (int64_t)rd32(r->p + fp);
    default: return (int64_t)rd64(r->p + fp); /* u64 fields: callers compare with 1, sign irrelevant */
    }
}
static uint64_t get_u64(const rd *r, size_t t, int id) {
    size_t fp = fpos(r, t, id);
    if (!fp) return 0;
    MOSA_ASSERT(fp + 8 <= r->n);
    return rd64(r->p + fp);
}
#define GET_I8(r, t, id, d) ((int)get_int(r, t, id, 1, 1, d))
#define GET_U8(r, t, id, d) ((int)get_int(r, t, id, 1, 0, d))
#define GET_I32(r, t, id, d) ((int32_t)get_int(r, t, id, 4, 1, d))
#define GET_U32(r, t, id, d) ((uint32_t)get_int(r, t, id, 4, 0, d))

/* Position of the vector/string/table an offset field points to, or 0 when absent. */
static size_t get_ref(const rd *r, size_t t, int id) {
    size_t fp = fpos(r, t, id);
    if (!fp) return 0;
    MOSA_ASSERT(fp + 4 <= r->n);
    size_t target = fp + rd32(r->p + fp);
    MOSA_ASSERT(target + 4 <= r->n);
    return target;
}
static uint32_t vec_len(const rd *r, size_t vec) { return vec ? rd32(r->p + vec) : 0; }
static size_t vec_table(const rd *r, size_t vec, uint32_t i) {
    size_t slot = vec + 4 + 4 * (size_t)i;
    MOSA_ASSERT(i < vec_len(r, vec) && slot + 4 <= r->n);
    return slot + rd32(r->p + slot);
}
static int32_t vec_i32(const rd *r, size_t vec, uint32_t i) {
    MOSA_ASSERT(i < vec_len(r, vec) && vec + 8 + 4 * (size_t)i <= r->n);
    return (int32_t)rd32(r->p + vec + 4 + 4 * (size_t)i);
}
static const char *get_str(const rd *r, size_t t, int id) {
    size_t s = get_ref(r, t, id);
    if (!s) return "";
    MOSA_ASSERT(s + 4 + vec_len(r, s) < r->n && r->p[s + 4 + vec_len(r, s)] == 0);
    return (const char *)r->p + s + 4;
}

/* ------------------------------------------------------------------------------------------ */
/* Names and sizes                                                                             */
/* ------------------------------------------------------------------------------------------ */

const char *tflite_op_name(int code) {
    switch (code) {
    case 0: return "ADD"; case 1: return "AVERAGE_POOL_2D"; case 2: return "CONCATENATION";
    case 3: return "CONV_2D"; case 4: return "DEPTHWISE_CONV_2D"; case 5: return "DEPTH_TO_SPACE";
    case 6: return "DEQUANTIZE"; case 8: return "FLOOR"; case 9: return "FULLY_CONNECTED";
    case 11: return "L2_NORMALIZATION"; case 14: return "LOGISTIC"; case 17: return "MAX_POOL_2D";
    case 18: return "MUL"; case 19: return "RELU"; case 20: return "RELU_N1_TO_1"; case 21: return "RELU6";
    case 22: return "RESHAPE"; case 23: return "RESIZE_BILINEAR"; case 25: return "SOFTMAX";
    case 26: return "SPACE_TO_DEPTH"; case 28: return "TANH"; case 32: return "CUSTOM"; case 34: return "PAD";
    case 36: return "GATHER"; case 39: return "TRANSPOSE"; case 40: return "MEAN"; case 41: return "SUB";
    case 42: return "DIV"; case 43: return "SQUEEZE"; case 45: return "STRIDED_SLICE"; case 47: return "EXP";
    case 49: return "SPLIT"; case 53: return "CAST"; case 54: return "PRELU"; case 55: return "MAXIMUM";
    case 57: return "MINIMUM"; case 60: return "PADV2"; case 65: return "SLICE"; case 67: return "TRANSPOSE_CONV";
    case 70: return "EXPAND_DIMS"; case 74: return "SUM"; case 75: return "SQRT"; case 76: return "RSQRT";
    case 78: return "POW"; case 83: return "PACK"; case 88: return "UNPACK"; case 92: return "SQUARE";
    case 97: return "RESIZE_NEAREST_NEIGHBOR"; case 98: return "LEAKY_RELU"; case 100: return "MIRROR_PAD";
    case 102: return "SPLIT_V"; case 117: return "HARD_SWISH"; case 124: return "DENSIFY";
    case 126: return "BATCH_MATMUL"; case 150: return "GELU";
    default: return "UNKNOWN";
    }
}

static const char *const type_names[TFLITE_TYPE_COUNT] = {
    "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64",
    "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4", "BFLOAT16", "INT2", "UINT4",
    "FLOAT8_E4M3FN", "FLOAT8_E5M2"};
static const uint8_t type_sizes[TFLITE_TYPE_COUNT] = {4, 2, 4, 1, 8, 0, 1, 2, 8, 1, 8, 16, 8, 0, 0, 4, 2, 0, 2, 0, 0, 1, 1};

const char *tflite_type_name(int type) { return type >= 0 && type < TFLITE_TYPE_COUNT ? type_names[type] : "UNKNOWN"; }
size_t tflite_type_size(int type) { return type >= 0 && type < TFLITE_TYPE_COUNT ? type_sizes[type] : 0; }

/* ------------------------------------------------------------------------------------------ */
/* Phase 2: decoding with semantic checks                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct buf_ref {
    const uint8_t *data;
    size_t len;
} buf_ref;

typedef struct opcode {
    int code;
    int version;
    const char *custom;
} opcode;

typedef struct dctx {
    rd r;
    int n_buffers;
    buf_ref *buffers;
    int n_opcodes;
    opcode *opcodes;
} dctx;

static mosa_status ffail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static mosa_status ffail(const char *fmt, ...) {
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mosa_fail(MOSA_ERR_FORMAT, "invalid .tflite model: %s (the file is corrupt or was not written by a "
                     "TFLite converter; fetch or export it again)", msg);
}

/* Reads an int32 vector of at most TFLITE_MAX_RANK dims into out; *rank = count. */
static mosa_status read_dims(const rd *r, size_t vec, int32_t *out, int *rank, int32_t min_dim, const char *what) {
    uint32_t c = vec_len(r, vec);
    if (c > TFLITE_MAX_RANK) return ffail("%s has rank %u, more than %d", what, c, TFLITE_MAX_RANK);
    for (uint32_t i = 0; i < c; i++) {
        out[i] = vec_i32(r, vec, i);
        if (out[i] < min_dim) return ffail("%s has dim %u = %d (must be >= %d)", what, i, out[i], min_dim);
    }
    *rank = (int)c;
    return MOSA_OK;
}

/* Copies an int32 vector of tensor indices (each in [0,n_tensors), or -1 when allow_absent). */
static mosa_status read_indices(const rd *r, size_t vec, int n_tensors, int allow_absent, int32_t *out,
                                const char *where, const char *what) {
    uint32_t c = vec_len(r, vec);
    for (uint32_t i = 0; i < c; i++) {
        int32_t x = vec_i32(r, vec, i);
        if ((x < 0 || x >= n_tensors) && !(allow_absent && x == -1))
            return ffail("%s %s %u: tensor index %d out of range [0, %d)%s", where, what, i, x, n_tensors,
                         allow_absent ? " (or -1 for an absent input)" : "");
        out[i] = x;
    }
    return MOSA_OK;
}

static mosa_status decode_tensor(dctx *c, size_t t, tflite_tensor *x, const char *where) {
    const rd *r = &c->r;
    char what[96];
    x->name = get_str(r, t, T_NAME);
    int type = GET_I8(r, t, T_TYPE, 0);
    if (type < 0 || type >= TFLITE_TYPE_COUNT)
        return ffail("%s ('%s'): unknown tensor type %d", where, x->name, type);
    x->type = (tflite_type)type;
    size_t shape = get_ref(r, t, T_SHAPE);
    x->has_shape = shape != 0;
    snprintf(what, sizeof what, "%s ('%.40s') shape", where, x->name);
    MOSA_TRY(read_dims(r, shape, x->shape, &x->rank, 0, what));
    size_t sig = get_ref(r, t, T_SHAPE_SIG);
    if (sig) {
        int srank;
        snprintf(what, sizeof what, "%s ('%.40s') shape_signature", where, x->name);
        MOSA_TRY(read_dims(r, sig, x->shape_signature, &srank, -1, what));
        if (srank != x->rank)
            return ffail("%s ('%s'): shape_signature rank %d differs from shape rank %d", where, x->name, srank, x->rank);
        x->has_shape_signature = 1;
    }
    int64_t ne = 1;
    for (int i = 0; i < x->rank; i++)
        if (__builtin_mul_overflow(ne, (int64_t)x->shape[i], &ne))
            return ffail("%s ('%s'): element count overflows", where, x->name);
    x->n_elements = ne;
    x->is_variable = GET_U8(r, t, T_IS_VARIABLE, 0) != 0;
    x->is_sparse = get_ref(r, t, T_SPARSITY) != 0;
    x->has_quantization = get_ref(r, t, T_QUANT) != 0;
    if (GET_U32(r, t, T_EXT_BUFFER, 0) != 0)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s ('%s') keeps its data in an external buffer; external buffers "
                         "are not supported (re-export the model with the weights inside the flatbuffer)",
                         where, x->name);
    x->buffer = GET_U32(r, t, T_BUFFER, 0);
    if (x->buffer != 0 && x->buffer >= (uint32_t)c->n_buffers)
        return ffail("%s ('%s'): buffer index %u out of range [0, %d)", where, x->name, x->buffer, c->n_buffers);
    if (x->buffer != 0 && c->buffers[x->buffer].len > 0) {
        x->data = c->buffers[x->buffer].data;
        x->data_len = c->buffers[x->buffer].len;
        size_t es = tflite_type_size(type), want;
        if (!x->is_sparse && es != 0) {
            if ((uint64_t)ne > SIZE_MAX || !mosa_mul_ok((size_t)ne, es, &want) || want != x->data_len)
                return ffail("%s ('%s'): buffer %u holds %zu bytes but shape x %s needs %lld x %zu", where, x->name,
                             x->buffer, x->data_len, type_names[type], (long long)ne, es);
        }
    }
    return MOSA_OK;
}

/* Which option table each decoded op carries; `required` when defaults would be invalid. */
static int expected_options(int code, int *required) {
    *required = 0;
    switch (code) {
    case TFLITE_OP_CONV_2D: *required = 1; return TFLITE_OPT_CONV2D;
    case TFLITE_OP_DEPTHWISE_CONV_2D: *required = 1; return TFLITE_OPT_DEPTHWISE_CONV2D;
    case TFLITE_OP_MAX_POOL_2D:
    case TFLITE_OP_AVERAGE_POOL_2D: *required = 1; return TFLITE_OPT_POOL2D;
    case TFLITE_OP_CONCATENATION: return TFLITE_OPT_CONCATENATION;
    case TFLITE_OP_ADD: return TFLITE_OPT_ADD;
    case TFLITE_OP_RESIZE_BILINEAR: return TFLITE_OPT_RESIZE_BILINEAR;
    case TFLITE_OP_RESHAPE: return TFLITE_OPT_RESHAPE;
    case TFLITE_OP_MUL: return TFLITE_OPT_MUL;
    case TFLITE_OP_PAD: return TFLITE_OPT_PAD;
    case TFLITE_OP_MEAN: return TFLITE_OPT_REDUCER;
    case TFLITE_OP_DEQUANTIZE: return TFLITE_OPT_DEQUANTIZE;
    case TFLITE_OP_HARD_SWISH: return TFLITE_OPT_HARD_SWISH;
    case TFLITE_OP_LOGISTIC:
    case TFLITE_OP_RELU:
    case TFLITE_OP_RELU6:
    case TFLITE_OP_CUSTOM: return TFLITE_OPT_NONE;
    default: return -1; /* not decoded: any type */
    }
}

static mosa_status decode_options(dctx *c, size_t o, tflite_op *op, const char *where) {
    const rd *r = &c->r;
    op->options_type = GET_U8(r, o, OP_OPT_TYPE, 0);
    int required, want = expected_options(op->code, &required);
    if (want >= 0 && op->options_type != want && !(op->options_type == TFLITE_OPT_NONE && !required))
        return ffail("%s (%s): builtin_options type %d, expected %d", where, tflite_op_name(op->code),
                     op->options_type, want);
    size_t t = op->options_type ? get_ref(r, o, OP_OPT) : 0;
    if (!t && required) return ffail("%s (%s): builtin_options are missing", where, tflite_op_name(op->code));
    if (!t) return MOSA_OK;
    switch (op->options_type) {
    case TFLITE_OPT_CONV2D:
        op->padding = GET_I8(r, t, 0, 0);
        op->stride_w = GET_I32(r, t, 1, 0);
        op->stride_h = GET_I32(r, t, 2, 0);
        op->activation = GET_I8(r, t, 3, 0);
        op->dilation_w = GET_I32(r, t, 4, 1);
        op->dilation_h = GET_I32(r, t, 5, 1);
        break;
    case TFLITE_OPT_DEPTHWISE_CONV2D:
        op->padding = GET_I8(r, t, 0, 0);
        op->stride_w = GET_I32(r, t, 1, 0);
        op->stride_h = GET_I32(r, t, 2, 0);
        op->depth_multiplier = GET_I32(r, t, 3, 0);
        op->activation = GET_I8(r, t, 4, 0);
        op->dilation_w = GET_I32(r, t, 5, 1);
        op->dilation_h = GET_I32(r, t, 6, 1);
        if (op->depth_multiplier < 0)
            return ffail("%s: depth_multiplier %d is negative", where, op->depth_multiplier);
        break;
    case TFLITE_OPT_POOL2D:
        op->padding = GET_I8(r, t, 0, 0);
        op->stride_w = GET_I32(r, t, 1, 0);
        op->stride_h = GET_I32(r, t, 2, 0);
        op->filter_w = GET_I32(r, t, 3, 0);
        op->filter_h = GET_I32(r, t, 4, 0);
        op->activation = GET_I8(r, t, 5, 0);
        if (op->filter_w < 1 || op->filter_h < 1)
            return ffail("%s: pool filter %dx%d (must be >= 1)", where, op->filter_w, op->filter_h);
        break;
    case TFLITE_OPT_CONCATENATION:
        op->axis = GET_I32(r, t, 0, 0);
        op->activation = GET_I8(r, t, 1, 0);
        if (op->axis < -TFLITE_MAX_RANK || op->axis >= TFLITE_MAX_RANK)
            return ffail("%s: concatenation axis %d out of range", where, op->axis);
        break;
    case TFLITE_OPT_ADD: op->activation = GET_I8(r, t, 0, 0); break;
    case TFLITE_OPT_MUL: op->activation = GET_I8(r, t, 0, 0); break;
    case TFLITE_OPT_RESIZE_BILINEAR:
        op->align_corners = GET_U8(r, t, 2, 0) != 0;
        op->half_pixel_centers = GET_U8(r, t, 3, 0) != 0;
        break;
    case TFLITE_OPT_RESHAPE: {
        size_t ns = get_ref(r, t, 0);
        if (ns) {
            char what[96];
            snprintf(what, sizeof what, "%s new_shape", where);
            MOSA_TRY(read_dims(r, ns, op->new_shape, &op->new_shape_rank, -1, what));
            op->has_new_shape = 1;
        }
        break;
    }
    case TFLITE_OPT_REDUCER: op->keep_dims = GET_U8(r, t, 0, 0) != 0; break;
    default: break;
    }
    if (op->stride_w < 1 || op->stride_h < 1)
        return ffail("%s (%s): strides %dx%d (must be >= 1)", where, tflite_op_name(op->code), op->stride_w, op->stride_h);
    if (op->dilation_w < 1 || op->dilation_h < 1)
        return ffail("%s (%s): dilation %dx%d (must be >= 1)", where, tflite_op_name(op->code), op->dilation_w,
                     op->dilation_h);
    if (op->padding != TFLITE_PADDING_SAME && op->padding != TFLITE_PADDING_VALID)
        return ffail("%s (%s): unknown padding %d", where, tflite_op_name(op->code), op->padding);
    if (op->activation < TFLITE_ACT_NONE || op->activation > TFLITE_ACT_SIGN_BIT)
        return ffail("%s (%s): unknown fused activation %d", where, tflite_op_name(op->code), op->activation);
    return MOSA_OK;
}

static mosa_status decode_op(dctx *c, size_t o, tflite_op *op, int n_tensors, const char *where) {
    const rd *r = &c->r;
    op->stride_w = op->stride_h = op->dilation_w = op->dilation_h = 1;
    uint32_t oi = GET_U32(r, o, OP_OPCODE, 0);
    if (oi >= (uint32_t)c->n_opcodes) return ffail("%s: opcode index %u out of range [0, %d)", where, oi, c->n_opcodes);
    op->opcode_index = (int)oi;
    op->code = c->opcodes[oi].code;
    op->version = c->opcodes[oi].version;
    op->custom_name = op->code == TFLITE_OP_CUSTOM ? c->opcodes[oi].custom : NULL;
    if (get_u64(r, o, OP_LARGE_OFF) != 0 || get_u64(r, o, OP_LARGE_SIZE) != 0)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s keeps its custom options outside the flatbuffer (large_custom_"
                         "options); that is not supported (re-export the model under 2 GB)", where);
    size_t in = get_ref(r, o, OP_INPUTS), out = get_ref(r, o, OP_OUTPUTS), im = get_ref(r, o, OP_INTERMEDIATES);
    uint32_t ni = vec_len(r, in), no = vec_len(r, out), nm = vec_len(r, im);
    size_t total = (size_t)ni + no + nm;
    op->inputs = mosa_malloc((total ? total : 1) * sizeof(int32_t));
    if (!op->inputs) return MOSA_ERR_NOMEM;
    op->outputs = op->inputs + ni;
    op->intermediates = op->outputs + no;
    op->n_inputs = (int)ni;
    op->n_outputs = (int)no;
    op->n_intermediates = (int)nm;
    MOSA_TRY(read_indices(r, in, n_tensors, 1, op->inputs, where, "input"));
    MOSA_TRY(read_indices(r, out, n_tensors, 0, op->outputs, where, "output"));
    MOSA_TRY(read_indices(r, im, n_tensors, 0, op->intermediates, where, "intermediate"));
    size_t co = get_ref(r, o, OP_CUSTOM_OPT);
    if (co && vec_len(r, co) > 0) {
        op->custom_options = r->p + co + 4;
        op->custom_options_len = vec_len(r, co);
    }
    MOSA_TRY(decode_options(c, o, op, where));
    if (op->code == TFLITE_OP_CUSTOM && strcmp(op->custom_name, TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS) == 0) {
        /* TfLiteTransposeConvParams {padding, stride_width, stride_height}, raw int32 LE */
        if (op->custom_options_len != 12)
            return ffail("%s (%s): custom_options has %zu bytes, expected 12 (padding, stride_w, stride_h)", where,
                         op->custom_name, op->custom_options_len);
        op->tconv_padding = (int32_t)rd32(op->custom_options);
        op->stride_w = (int32_t)rd32(op->custom_options + 4);
        op->stride_h = (int32_t)rd32(op->custom_options + 8);
        if (op->tconv_padding != 1 && op->tconv_padding != 2)
            return ffail("%s (%s): padding %d (expected 1 SAME or 2 VALID)", where, op->custom_name, op->tconv_padding);
        op->padding = op->tconv_padding == 1 ? TFLITE_PADDING_SAME : TFLITE_PADDING_VALID;
        if (op->stride_w < 1 || op->stride_h < 1)
            return ffail("%s (%s): strides %dx%d (must be >= 1)", where, op->custom_name, op->stride_w, op->stride_h);
    }
    return MOSA_OK;
}

static mosa_status decode_subgraph(dctx *c, size_t s, tflite_subgraph *g, int gi) {
    const rd *r = &c->r;
    char where[64];
    g->name = get_str(r, s, SG_NAME);
    size_t tv = get_ref(r, s, SG_TENSORS), ov = get_ref(r, s, SG_OPERATORS);
    size_t iv = get_ref(r, s, SG_INPUTS), outv = get_ref(r, s, SG_OUTPUTS);
    uint32_t nt = vec_len(r, tv), no = vec_len(r, ov), ni = vec_len(r, iv), nout = vec_len(r, outv);
    g->tensors = mosa_calloc(nt ? nt : 1, sizeof(tflite_tensor));
    g->ops = mosa_calloc(no ? no : 1, sizeof(tflite_op));
    g->inputs = mosa_calloc((size_t)ni + nout + 1, sizeof(int32_t));
    if (!g->tensors || !g->ops || !g->inputs) return MOSA_ERR_NOMEM;
    g->outputs = g->inputs + ni;
    g->n_tensors = (int)nt; /* nt < 2^29: each entry costs 4 bytes of a < 2 GiB file */
    for (uint32_t i = 0; i < nt; i++) {
        snprintf(where, sizeof where, "subgraph %d tensor %u", gi, i);
        MOSA_TRY(decode_tensor(c, vec_table(r, tv, i), &g->tensors[i], where));
    }
    g->n_inputs = (int)ni;
    g->n_outputs = (int)nout;
    snprintf(where, sizeof where, "subgraph %d", gi);
    MOSA_TRY(read_indices(r, iv, g->n_tensors, 0, g->inputs, where, "input"));
    MOSA_TRY(read_indices(r, outv, g->n_tensors, 0, g->outputs, where, "output"));
    for (uint32_t i = 0; i < no; i++) {
        g->n_ops = (int)i + 1; /* so tflite_model_free frees what was allocated */
        snprintf(where, sizeof where, "subgraph %d operator %u", gi, i);
        MOSA_TRY(decode_op(c, vec_table(r, ov, i), &g->ops[i], g->n_tensors, where));
    }
    g->n_ops = (int)no;
    return MOSA_OK;
}

static mosa_status decode(tflite_model *m, dctx *c) {
    const rd *r = &c->r;
    size_t root = rd32(r->p);
    m->version = GET_U32(r, root, MODEL_VERSION, 0);
    m->description = get_str(r, root, MODEL_DESCRIPTION);
    if (vec_len(r, get_ref(r, root, MODEL_EXT_BUFFERS)) || vec_len(r, get_ref(r, root, MODEL_EXT_GROUPS)))
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "the model keeps weights in external buffers (external_buffers); "
                         "that is not supported (re-export it with the weights inside the flatbuffer)");

    size_t bv = get_ref(r, root, MODEL_BUFFERS);
    uint32_t nb = vec_len(r, bv);
    c->buffers = mosa_calloc(nb ? nb : 1, sizeof(buf_ref));
    if (!c->buffers) return MOSA_ERR_NOMEM;
    c->n_buffers = (int)nb;
    for (uint32_t i = 0; i < nb; i++) {
        size_t b = vec_table(r, bv, i);
        uint64_t off = get_u64(r, b, BUF_OFFSET), size = get_u64(r, b, BUF_SIZE);
        if (off > 1 || size > 1)
            return mosa_fail(MOSA_ERR_UNSUPPORTED, "buffer %u stores its data outside the flatbuffer (offset %llu, "
                             "size %llu); such models (over 2 GB) are not supported: re-export the model with its "
                             "weights inside the flatbuffer", i, (unsigned long long)off, (unsigned long long)size);
        size_t d = get_ref(r, b, BUF_DATA);
        if (d && vec_len(r, d)) {
            c->buffers[i].data = r->p + d + 4;
            c->buffers[i].len = vec_len(r, d);
        }
    }
    if (nb > 0 && c->buffers[0].len != 0)
        return ffail("buffer 0 must be the empty sentinel but holds %zu bytes", c->buffers[0].len);
    m->n_buffers = (int)nb;

    size_t ov = get_ref(r, root, MODEL_OPCODES);
    uint32_t noc = vec_len(r, ov);
    c->opcodes = mosa_calloc(noc ? noc : 1, sizeof(opcode));
    if (!c->opcodes) return MOSA_ERR_NOMEM;
    c->n_opcodes = (int)noc;
    m->n_opcodes = (int)noc;
    for (uint32_t i = 0; i < noc; i++) {
        size_t oc = vec_table(r, ov, i);
        int dep = GET_I8(r, oc, OC_DEPRECATED, 0);
        int32_t b = GET_I32(r, oc, OC_BUILTIN, 0);
        int code = b > dep ? b : dep;
        if (code < 0) return ffail("operator code %u: builtin code %d is negative", i, code);
        c->opcodes[i].code = code;
        c->opcodes[i].version = GET_I32(r, oc, OC_VERSION, 1);
        c->opcodes[i].custom = get_str(r, oc, OC_CUSTOM);
        if (code == TFLITE_OP_CUSTOM && c->opcodes[i].custom[0] == 0)
            return ffail("operator code %u is CUSTOM but has no custom_code name", i);
    }

    size_t mv = get_ref(r, root, MODEL_METADATA);
    uint32_t nmeta = vec_len(r, mv);
    m->metadata = mosa_calloc(nmeta ? nmeta : 1, sizeof(tflite_metadata));
    if (!m->metadata) return MOSA_ERR_NOMEM;
    m->n_metadata = (int)nmeta;
    for (uint32_t i = 0; i < nmeta; i++) {
        size_t md = vec_table(r, mv, i);
        tflite_metadata *x = &m->metadata[i];
        x->name = get_str(r, md, 0);
        x->buffer = GET_U32(r, md, 1, 0);
        if (x->buffer >= (uint32_t)nb)
            return ffail("metadata %u ('%s'): buffer index %u out of range [0, %u)", i, x->name, x->buffer, nb);
        x->data = c->buffers[x->buffer].data;
        x->data_len = c->buffers[x->buffer].len;
    }

    size_t sv = get_ref(r, root, MODEL_SUBGRAPHS);
    uint32_t ns = vec_len(r, sv);
    if (ns == 0) return ffail("the model has no subgraph (subgraph 0 is the main graph)");
    m->subgraphs = mosa_calloc(ns, sizeof(tflite_subgraph));
    if (!m->subgraphs) return MOSA_ERR_NOMEM;
    m->n_subgraphs = (int)ns;
    for (uint32_t i = 0; i < ns; i++) MOSA_TRY(decode_subgraph(c, vec_table(r, sv, i), &m->subgraphs[i], (int)i));
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */
/* ------------------------------------------------------------------------------------------ */

mosa_status tflite_model_parse(tflite_model *m, const uint8_t *buf, size_t len) {
    memset(m, 0, sizeof *m);
    if (!buf && len) return mosa_fail(MOSA_ERR_ARG, "tflite_model_parse: NULL buffer with %zu bytes", len);
    MOSA_TRY(verify(buf, len));
    m->bytes = buf;
    m->size = len;
    dctx c = {{buf, len}, 0, NULL, 0, NULL};
    mosa_status s = decode(m, &c);
    mosa_free(c.buffers);
    mosa_free(c.opcodes);
    if (s != MOSA_OK) tflite_model_free(m);
    return s;
}

mosa_status tflite_model_load(tflite_model *m, const char *path) {
    memset(m, 0, sizeof *m);
    uint8_t *bytes;
    size_t n;
    mosa_status s = file_read_all(path, TFLITE_MAX_FILE_BYTES, &bytes, &n);
    if (s != MOSA_OK) return s;
    s = tflite_model_parse(m, bytes, n);
    if (s != MOSA_OK) {
        mosa_free(bytes);
        return mosa_fail_context(s, "%s", path);
    }
    m->owned_ = bytes;
    return MOSA_OK;
}

void tflite_model_free(tflite_model *m) {
    if (!m) return;
    for (int i = 0; m->subgraphs && i < m->n_subgraphs; i++) {
        tflite_subgraph *g = &m->subgraphs[i];
        for (int j = 0; g->ops && j < g->n_ops; j++) mosa_free(g->ops[j].inputs);
        mosa_free(g->ops);
        mosa_free(g->tensors);
        mosa_free(g->inputs);
    }
    mosa_free(m->subgraphs);
    mosa_free(m->metadata);
    mosa_free(m->owned_);
    memset(m, 0, sizeof *m);
}

static int op_supported(const tflite_op *op) {
    switch (op->code) {
    case TFLITE_OP_CONV_2D: case TFLITE_OP_DEPTHWISE_CONV_2D: case TFLITE_OP_ADD: case TFLITE_OP_MUL:
    case TFLITE_OP_PAD: case TFLITE_OP_MAX_POOL_2D: case TFLITE_OP_AVERAGE_POOL_2D: case TFLITE_OP_RESIZE_BILINEAR:
    case TFLITE_OP_RESHAPE: case TFLITE_OP_LOGISTIC: case TFLITE_OP_RELU: case TFLITE_OP_HARD_SWISH:
    case TFLITE_OP_DEQUANTIZE: case TFLITE_OP_CONCATENATION: case TFLITE_OP_MEAN:
        return 1;
    case TFLITE_OP_CUSTOM: return strcmp(op->custom_name, TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS) == 0;
    default: return 0;
    }
}

const char *tflite_model_unsupported_op(const tflite_model *m) {
    static _Thread_local char msg[256];
    for (int s = 0; s < m->n_subgraphs; s++) {
        const tflite_subgraph *g = &m->subgraphs[s];
        for (int i = 0; i < g->n_ops; i++) {
            const tflite_op *op = &g->ops[i];
            if (op_supported(op)) continue;
            if (op->code == TFLITE_OP_CUSTOM)
                snprintf(msg, sizeof msg, "custom op '%.100s' at operator %d of subgraph %d is not supported",
                         op->custom_name, i, s);
            else if (strcmp(tflite_op_name(op->code), "UNKNOWN") == 0)
                snprintf(msg, sizeof msg, "op %d (UNKNOWN builtin %d) at operator %d of subgraph %d is not supported",
                         op->code, op->code, i, s);
            else
                snprintf(msg, sizeof msg, "op %d (%s) at operator %d of subgraph %d is not supported", op->code,
                         tflite_op_name(op->code), i, s);
            return msg;
        }
    }
    return NULL;
}

int tflite_model_count_ops(const tflite_model *m, int sg, int code, const char *custom) {
    if (sg < 0 || sg >= m->n_subgraphs) return 0;
    const tflite_subgraph *g = &m->subgraphs[sg];
    int n = 0;
    for (int i = 0; i < g->n_ops; i++)
        if (g->ops[i].code == code && (!custom || (g->ops[i].custom_name && strcmp(g->ops[i].custom_name, custom) == 0)))
            n++;
    return n;
}

static void print_tensor(FILE *out, const tflite_subgraph *g, int idx) {
    const tflite_tensor *t = &g->tensors[idx];
    fprintf(out, "    %d '%s' %s [", idx, t->name, tflite_type_name(t->type));
    for (int d = 0; d < t->rank; d++) fprintf(out, "%s%d", d ? "," : "", t->shape[d]);
    fprintf(out, "]\n");
}

void tflite_model_print_summary(const tflite_model *m, FILE *out) {
    fprintf(out, "tflite model: %zu bytes, schema %u, description '%s', %d subgraphs, %d buffers, %d op codes\n",
            m->size, m->version, m->description, m->n_subgraphs, m->n_buffers, m->n_opcodes);
    for (int i = 0; i < m->n_metadata; i++)
        fprintf(out, "  metadata '%s' (buffer %u, %zu bytes)\n", m->metadata[i].name, m->metadata[i].buffer,
                m->metadata[i].data_len);
    for (int s = 0; s < m->n_subgraphs; s++) {
        const tflite_subgraph *g = &m->subgraphs[s];
        fprintf(out, "  subgraph %d '%s': %d tensors, %d ops\n", s, g->name, g->n_tensors, g->n_ops);
        fprintf(out, "   inputs:\n");
        for (int i = 0; i < g->n_inputs; i++) print_tensor(out, g, g->inputs[i]);
        fprintf(out, "   outputs:\n");
        for (int i = 0; i < g->n_outputs; i++) print_tensor(out, g, g->outputs[i]);
        fprintf(out, "   op counts:\n");
        for (int i = 0; i < g->n_ops; i++) {
            const tflite_op *op = &g->ops[i];
            int first = 1;
            for (int j = 0; j < i && first; j++)
                if (g->ops[j].code == op->code &&
                    (op->code != TFLITE_OP_CUSTOM || strcmp(g->ops[j].custom_name, op->custom_name) == 0))
                    first = 0;
            if (!first) continue;
            if (op->code == TFLITE_OP_CUSTOM)
                fprintf(out, "    CUSTOM %s: %d\n", op->custom_name, tflite_model_count_ops(m, s, op->code, op->custom_name));
            else
                fprintf(out, "    %s (%d): %d\n", tflite_op_name(op->code), op->code,
                        tflite_model_count_ops(m, s, op->code, NULL));
        }
    }
}
