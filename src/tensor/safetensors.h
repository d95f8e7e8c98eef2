/* safetensors.h: reading and writing .safetensors files (checkpoints, shipped weights).
 *
 * What this is: a validating reader that accepts exactly the files the reference Rust reader
 * (huggingface/safetensors, SafeTensors::deserialize) accepts, with the deliberate differences
 * listed below, and a writer that lays files out byte-for-byte as the reference writer does
 * (tensors sorted by dtype alignment then name, packed, header padded with spaces to a multiple
 * of 8). Files are written atomically (temp file, fsync, rename, directory fsync).
 * Conventions: docs in /work/shared/reference/CONVENTIONS.md section 1.1.
 *
 * What this is not: a general JSON library (the header parser knows only the safetensors header
 * shape) nor a converter between every dtype (st_read_f32 reads F32, F16 and BF16).
 *
 * Stricter than the reference, on purpose (each gets a clear error):
 *   - duplicate keys anywhere (tensor names, fields of a tensor, metadata keys) are rejected
 *     and named; the reference silently keeps the last one (huggingface/safetensors#401);
 *   - unknown fields inside a tensor entry are rejected (the reference ignores them);
 *   - names, metadata keys and values may not contain U+0000 (they are C strings here);
 *   - a tensor may have at most ST_MAX_DIMS dims; a header at most ST_MAX_TENSORS tensors and
 *     ST_MAX_META metadata entries.
 * Accepted like the reference: JSON whitespace (space, tab, CR, LF) before '{' and after '}' (the
 * header may be padded with spaces to align the data), "__metadata__": null,
 * tensors in any order in the JSON, empty tensors (a 0 dim) and rank-0 tensors (one element). */
#ifndef MOSA_SAFETENSORS_H
#define MOSA_SAFETENSORS_H

#include "tensor.h"

#define ST_MAX_HEADER_BYTES 100000000ull   /* the reference's MAX_HEADER_SIZE */
#define ST_MAX_FILE_BYTES (64ull << 30)    /* st_open refuses larger files */
#define ST_MAX_DIMS 8
#define ST_MAX_TENSORS 1000000
#define ST_MAX_META 100000

/* The reference's Dtype enum, in its order (increasing alignment: the writer sorts by it). */
typedef enum st_dtype {
    ST_BOOL, ST_F4, ST_F6_E2M3, ST_F6_E3M2, ST_U8, ST_I8, ST_F8_E5M2, ST_F8_E4M3, ST_F8_E8M0,
    ST_F8_E4M3FNUZ, ST_F8_E5M2FNUZ, ST_I16, ST_U16, ST_F16, ST_BF16, ST_I32, ST_U32, ST_F32,
    ST_C64, ST_F64, ST_I64, ST_U64,
    ST_DTYPE_COUNT
} st_dtype;

/* One tensor of an open file. `data` points into the file's bytes: valid until st_close. */
typedef struct st_tensor {
    const char *name;             /* UTF-8, NUL-terminated (JSON escapes decoded) */
    st_dtype dtype;
    int nd;                       /* 0 = scalar (one element) */
    uint64_t shape[ST_MAX_DIMS];
    uint64_t nelements;           /* product of shape (0 for an empty tensor) */
    uint64_t begin, end;          /* byte range in the data section (after the header) */
    const uint8_t *data;          /* the first byte of the tensor; not aligned in general */
} st_tensor;

/* A metadata entry ("__metadata__" is a string -> string map). */
typedef struct st_meta {
    const char *key;
    const char *value;
} st_meta;

/* An open file. All fields are read-only for callers. */
typedef struct st_file {
    const uint8_t *bytes;         /* the whole file (mapped or borrowed) */
    size_t size;
    uint64_t header_len;          /* N: JSON header bytes after the 8-byte length */
    const uint8_t *data;          /* the data section: bytes + 8 + N */
    size_t data_len;
    int n_tensors;
    st_tensor *tensors;           /* sorted by name (byte order) */
    int n_meta;
    st_meta *meta;                /* sorted by key */
    char *strings_;               /* private: decoded names, keys and values */
    void *map_;                   /* private: mmap of the file, or NULL when borrowed */
} st_file;

/* Maps the file at `path` read-only and validates it completely (see st_parse). On failure `f`
 * holds nothing and the message starts with "<path>: ". The file is mapped, not copied: it must
 * not be truncated by another process while open (reading would then fault, as with any mmap). */
mosa_status st_open(st_file *f, const char *path);

/* Validates `len` bytes of a safetensors file and indexes them. `buf` is borrowed: it must stay
 * alive and unchanged until st_close(f). On failure `f` holds nothing (st_close is harmless). */
mosa_status st_parse(st_file *f, const void *buf, size_t len);

/* Releases what st_open/st_parse allocated; safe on a zeroed or already closed st_file. */
void st_close(st_file *f);

/* The tensor named `name`, or NULL. O(log n). */
const st_tensor *st_find(const st_file *f, const char *name);

/* The metadata value for `key`, or NULL. */
const char *st_meta_get(const st_file *f, const char *key);

/* Converts a tensor of dtype F32, F16 (subnormals, inf and nan included) or BF16 into
 * t->nelements floats at `out`. Other dtypes fail with MOSA_ERR_UNSUPPORTED. */
mosa_status st_read_f32(const st_tensor *t, float *out);

const char *st_dtype_name(st_dtype d);      /* "F32"; "?" if out of range */
int st_dtype_bits(st_dtype d);              /* 4, 6, 8, 16, 32 or 64; 0 if out of range */
/* "(6,4)" or "()" for a rank-0 tensor, into buf. */
const char *st_shape_str(const st_tensor *t, char *buf, size_t n);

/* Writes tensors[i] under names[i] to `path` as `dtype` (ST_F32, or ST_BF16 rounded to
 * nearest even), with optional metadata, exactly as the reference writer lays a file out.
 * Tensors may be views (any strides). Names must be distinct, valid UTF-8 and not
 * "__metadata__". The file appears complete or not at all: on failure neither `path` nor a
 * temporary file is left behind and an existing file at `path` is unchanged. */
mosa_status st_write(const char *path, int n, const char *const *names, const tensor *const *tensors,
                     st_dtype dtype, int n_meta, const st_meta *meta);

/* Writes every parameter of `ps` under its name (st_write). */
mosa_status st_save_params(const char *path, const param_store *ps, st_dtype dtype, int n_meta,
                           const st_meta *meta);

/* Loads the tensors of `path` into the parameters of the same names (F32, F16 or BF16 in the
 * file). Every problem is listed in one message: missing names, shape mismatches, dtypes that
 * cannot be read, and (when `strict`) tensors in the file that the model does not have. The
 * parameters are changed only if there are no problems at all. */
mosa_status st_load_params(param_store *ps, const char *path, int strict);

#endif /* MOSA_SAFETENSORS_H */
