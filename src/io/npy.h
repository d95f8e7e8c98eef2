/* npy.h: NumPy .npy files (format v1.0, v2.0, v3.0): a validating reader and a float32 writer.
 *
 * What this is: a reader for the numeric arrays HumanML3D and the motion tools exchange (joints
 * (T,22,3), features (T,263), Mean/Std (263,)) that accepts exactly a safe subset of what
 * np.save writes, and a writer whose bytes equal np.save's for float32 and int64 arrays.
 * What this is not: a .npz (zip) reader, a memory-mapping reader, or a reader of structured,
 * string, complex or object dtypes (object arrays are pickles: loading one can run code).
 *
 * Accepted (CONVENTIONS 1.3): magic "\x93NUMPY", version 1.0 (u16 header length) or 2.0/3.0
 * (u32); a header of at most 10,000 characters (NumPy's own limit) holding a Python dict literal
 * with exactly the keys 'descr', 'fortran_order', 'shape' (any order, either quote style, any
 * whitespace, optional trailing comma); descr one of <f4 <f8 <f2 <i4 <i8 |u1 |b1 or the
 * big-endian >f4 >f8 >f2 >i4 >i8 (byte-swapped on read); fortran_order True or False (Fortran
 * arrays are transposed into C order on read); shape a tuple of at most 8 non-negative decimal
 * integers (the 'L' suffix of Python-2 files allowed in v1/v2) whose product times the item size
 * does not overflow; and exactly that many data bytes after the header: a short file is "not
 * fully written", trailing bytes are rejected. Any header alignment is accepted (files before
 * NumPy 1.14 were 16-aligned). Values are not checked (NaN and inf are legal array contents). */
#ifndef MOSA_IO_NPY_H
#define MOSA_IO_NPY_H

#include "../base/base.h"

enum {
    NPY_MAX_DIMS = 8,
    NPY_MAX_HEADER = 10000,                 /* characters, as numpy's _MAX_HEADER_SIZE */
};
/* Default cap on the file size of npy_read_* (bytes): 8 GiB. */
#define NPY_MAX_FILE_BYTES ((size_t)8 << 30)

typedef enum npy_dtype { NPY_F2, NPY_F4, NPY_F8, NPY_I4, NPY_I8, NPY_U1, NPY_B1, NPY_DTYPE_COUNT } npy_dtype;

/* A parsed array: the header's facts and a pointer to its data bytes (file order, file
 * endianness). `data` points into the buffer given to npy_parse (or into `owned`). */
typedef struct npy_array {
    npy_dtype dtype;
    int big_endian;         /* data bytes are big-endian ('>'), converted on read */
    int fortran_order;      /* data is in Fortran (column-major) order, transposed on read */
    int version;            /* 1, 2 or 3 */
    int nd;                 /* 0 (a scalar) .. NPY_MAX_DIMS */
    int64_t shape[NPY_MAX_DIMS];
    size_t count;           /* product of shape (1 for a scalar) */
    size_t itemsize;        /* bytes per element */
    size_t data_offset;     /* bytes before the data */
    const uint8_t *data;    /* count * itemsize bytes */
    uint8_t *owned;         /* the file buffer when loaded by npy_load (freed by npy_array_free) */
} npy_array;

const char *npy_dtype_name(npy_dtype d); /* "<f4" style (little-endian form), "?" if out of range */

/* Validates a whole .npy file held in buf[0..len) and fills `a` (data points into buf). On
 * failure `a` is zeroed and the error says what is wrong. Never reads outside buf. */
mosa_status npy_parse(npy_array *a, const uint8_t *buf, size_t len);

/* Reads and validates a file (at most max_bytes; 0 means NPY_MAX_FILE_BYTES). Free with
 * npy_array_free. Errors name the file. */
mosa_status npy_load(npy_array *a, const char *path, size_t max_bytes);
void npy_array_free(npy_array *a);

/* Converts every element to float32 in C order into out[count] (f8 rounds to nearest, integers
 * convert as C does, bool is 0/1). Handles byte order and Fortran order. */
void npy_array_to_f32(const npy_array *a, float *out);
/* Converts an integer or bool array to int64 in C order into out[count]; a float array is
 * refused (MOSA_ERR_MISMATCH) rather than truncated. */
mosa_status npy_array_to_i64(const npy_array *a, int64_t *out);

/* Reads a .npy file of any accepted dtype as float32: *data = new array (mosa_free it) of
 * prod(shape) floats in C order, shape[0..nd) filled. */
mosa_status npy_read_f32(const char *path, float **data, int64_t shape[NPY_MAX_DIMS], int *nd);
/* The same for integer/bool files, as int64 (float files are refused). */
mosa_status npy_read_i64(const char *path, int64_t **data, int64_t shape[NPY_MAX_DIMS], int *nd);

/* Room enough for any header npy_encode_header writes (prefix included). */
enum { NPY_HEADER_MAX_ENCODED = 512 };
/* Formats the magic, version, length field and header dict of an array of this dtype and shape
 * exactly as np.save does, into out (*out_len bytes, a multiple of 64). */
mosa_status npy_encode_header(uint8_t out[NPY_HEADER_MAX_ENCODED], size_t *out_len, npy_dtype dtype,
                              const int64_t *shape, int nd);
/* Encodes an array as np.save would (v1.0: np.save switches to v2.0 only for headers past
 * 65535 bytes, which 8 dims never reach; 64-byte aligned; NumPy's dict text and padding):
 * *out = new buffer (mosa_free it) of *out_len bytes. dtype must be NPY_F4, NPY_I8 or NPY_U1 (data is
 * float, int64_t or uint8_t accordingly, little-endian, C order). */
mosa_status npy_encode(uint8_t **out, size_t *out_len, npy_dtype dtype, const void *data, const int64_t *shape,
                       int nd);
/* Writes float32 data of the given shape to path atomically (np.save's bytes). */
mosa_status npy_write_f32(const char *path, const float *data, const int64_t *shape, int nd);
/* Writes int64 data ('<i8') to path atomically. */
mosa_status npy_write_i64(const char *path, const int64_t *data, const int64_t *shape, int nd);
/* The same for uint8 ('|u1'): masks, visibility flags, contact labels. */
mosa_status npy_write_u8(const char *path, const uint8_t *data, const int64_t *shape, int nd);

#endif /* MOSA_IO_NPY_H */
