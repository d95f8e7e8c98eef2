/* model.h: a validating reader for TensorFlow Lite flatbuffers (.tflite), written by hand.
 *
 * What this is: tflite_model_parse verifies the whole flatbuffer first (CONVENTIONS 1.6: root
 * offset, "TFL3" identifier, every table's soffset/vtable/inline object, every field read in
 * bounds and aligned, vectors and strings bounded and 4-aligned, strings NUL-terminated, unions
 * by their type byte, at most TFLITE_MAX_DEPTH nested tables and TFLITE_MAX_TABLES tables in all)
 * and only then decodes it into the plain C structs below, validating semantics on the way
 * (CONVENTIONS 1.7 and its "Hardening anchors"): subgraph 0 exists, tensor types are known,
 * shapes have rank <= TFLITE_MAX_RANK and dims >= 0 (-1 allowed in shape_signature) with
 * overflow-checked products, buffer indices are in range and buffer 0 is the empty sentinel,
 * constant data holds exactly prod(shape) * element size bytes, external buffers
 * (Buffer.offset/size, Tensor.external_buffer, Model.external_buffers, large custom options) are
 * refused, opcode indices are in range, the effective builtin code is
 * max(builtin_code, deprecated_builtin_code), tensor indices of operators are in [0, n) (or -1
 * for an absent input), builtin_options carry the table type the op expects, and option values
 * are sane (strides, dilations and pool sizes >= 1, known padding and activation, reshape rank
 * <= TFLITE_MAX_RANK). Every error is MOSA_ERR_FORMAT (MOSA_ERR_UNSUPPORTED for external
 * buffers) with a message naming the place ("subgraph 0 operator 12 input 1: tensor index 99 out
 * of range [0, 535)").
 *
 * What this is not: a runner. Any builtin or custom op is accepted here; the runner asks
 * tflite_model_unsupported_op for the first op outside mosa's set. Quantization parameters,
 * sparsity (only its presence is recorded), signature defs and option tables of ops outside the
 * decoded set are verified structurally (their known fields, or just table bounds for unknown
 * option tables) but not decoded. Shape consistency between ops (e.g. conv input channels ==
 * filter in-channels) is the runner's job.
 *
 * Endianness: fields are read as little-endian with memcpy, so the reader is correct on any host
 * and never makes an unaligned access. Tensor data pointers point into the file's bytes and are
 * not converted: on a big-endian host the runner must byte-swap. */
#ifndef MOSA_TFLITE_MODEL_H
#define MOSA_TFLITE_MODEL_H

#include "base/base.h"

#define TFLITE_MAX_RANK 8
#define TFLITE_MAX_DEPTH 64          /* flatbuffers Verifier default max_depth */
#define TFLITE_MAX_TABLES 1000000    /* flatbuffers Verifier default max_tables */
#define TFLITE_MAX_FILE_BYTES 0x7fffffffull /* FLATBUFFERS_MAX_BUFFER_SIZE */

/* TensorType (schema order). */
typedef enum tflite_type {
    TFLITE_FLOAT32 = 0, TFLITE_FLOAT16, TFLITE_INT32, TFLITE_UINT8, TFLITE_INT64, TFLITE_STRING,
    TFLITE_BOOL, TFLITE_INT16, TFLITE_COMPLEX64, TFLITE_INT8, TFLITE_FLOAT64, TFLITE_COMPLEX128,
    TFLITE_UINT64, TFLITE_RESOURCE, TFLITE_VARIANT, TFLITE_UINT32, TFLITE_UINT16, TFLITE_INT4,
    TFLITE_BFLOAT16, TFLITE_INT2, TFLITE_UINT4, TFLITE_FLOAT8_E4M3FN, TFLITE_FLOAT8_E5M2,
    TFLITE_TYPE_COUNT
} tflite_type;

/* BuiltinOperator codes that mosa names or decodes (any other code is still accepted). */
enum {
    TFLITE_OP_ADD = 0, TFLITE_OP_AVERAGE_POOL_2D = 1, TFLITE_OP_CONCATENATION = 2, TFLITE_OP_CONV_2D = 3,
    TFLITE_OP_DEPTHWISE_CONV_2D = 4, TFLITE_OP_DEPTH_TO_SPACE = 5, TFLITE_OP_DEQUANTIZE = 6,
    TFLITE_OP_FULLY_CONNECTED = 9, TFLITE_OP_LOGISTIC = 14, TFLITE_OP_MAX_POOL_2D = 17, TFLITE_OP_MUL = 18,
    TFLITE_OP_RELU = 19, TFLITE_OP_RELU6 = 21, TFLITE_OP_RESHAPE = 22, TFLITE_OP_RESIZE_BILINEAR = 23,
    TFLITE_OP_SOFTMAX = 25, TFLITE_OP_CUSTOM = 32, TFLITE_OP_PAD = 34, TFLITE_OP_MEAN = 40,
    TFLITE_OP_TRANSPOSE_CONV = 67, TFLITE_OP_HARD_SWISH = 117, TFLITE_OP_DENSIFY = 124,
};

/* BuiltinOptions union type ids that are decoded. */
enum {
    TFLITE_OPT_NONE = 0, TFLITE_OPT_CONV2D = 1, TFLITE_OPT_DEPTHWISE_CONV2D = 2, TFLITE_OPT_POOL2D = 5,
    TFLITE_OPT_CONCATENATION = 10, TFLITE_OPT_ADD = 11, TFLITE_OPT_RESIZE_BILINEAR = 15,
    TFLITE_OPT_RESHAPE = 17, TFLITE_OPT_MUL = 21, TFLITE_OPT_PAD = 22, TFLITE_OPT_REDUCER = 27,
    TFLITE_OPT_DEQUANTIZE = 38, TFLITE_OPT_HARD_SWISH = 91,
};

typedef enum { TFLITE_PADDING_SAME = 0, TFLITE_PADDING_VALID = 1 } tflite_padding;
typedef enum {
    TFLITE_ACT_NONE = 0, TFLITE_ACT_RELU, TFLITE_ACT_RELU_N1_TO_1, TFLITE_ACT_RELU6, TFLITE_ACT_TANH,
    TFLITE_ACT_SIGN_BIT
} tflite_activation;

/* The one custom op mosa knows (MediaPipe's transposed convolution with bias). */
#define TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS "Convolution2DTransposeBias"

typedef struct tflite_tensor {
    const char *name;               /* never NULL ("" when absent); points into the file */
    tflite_type type;
    int has_shape;                  /* 0: the shape field is absent (rank 0 recorded) */
    int rank;                       /* 0..TFLITE_MAX_RANK */
    int32_t shape[TFLITE_MAX_RANK]; /* all >= 0 */
    int has_shape_signature;
    int32_t shape_signature[TFLITE_MAX_RANK]; /* -1 = unknown dim; same rank as shape */
    int64_t n_elements;             /* product of shape (1 for rank 0) */
    uint32_t buffer;                /* index into the model's buffers (0 = none) */
    const uint8_t *data;            /* constant data inside the file, or NULL */
    size_t data_len;                /* bytes; == n_elements * element size for dense fixed-size types */
    int is_variable;
    int is_sparse;                  /* has SparsityParameters (data is the compressed values) */
    int has_quantization;           /* QuantizationParameters present (not decoded) */
} tflite_tensor;

typedef struct tflite_op {
    int code;                       /* effective BuiltinOperator */
    const char *custom_name;        /* for TFLITE_OP_CUSTOM; else NULL */
    int opcode_index;
    int version;                    /* OperatorCode.version */
    int n_inputs, n_outputs, n_intermediates;
    int32_t *inputs;                /* -1 = absent optional input */
    int32_t *outputs;
    int32_t *intermediates;
    int options_type;               /* BuiltinOptions union type (0 = none) */
    /* decoded options (defaults when the op has no such option) */
    int padding;                    /* tflite_padding (conv, depthwise, pools, transpose-conv custom) */
    int stride_w, stride_h;         /* 1 by default */
    int dilation_w, dilation_h;     /* 1 by default */
    int activation;                 /* tflite_activation */
    int depth_multiplier;           /* depthwise (as stored; 0 in some converters) */
    int filter_w, filter_h;         /* pools */
    int align_corners, half_pixel_centers; /* RESIZE_BILINEAR */
    int has_new_shape;              /* RESHAPE: ReshapeOptions.new_shape present */
    int new_shape_rank;
    int32_t new_shape[TFLITE_MAX_RANK];
    int axis;                       /* CONCATENATION */
    int keep_dims;                  /* MEAN (ReducerOptions) */
    const uint8_t *custom_options;  /* raw custom_options bytes inside the file, or NULL */
    size_t custom_options_len;
    int tconv_padding;              /* Convolution2DTransposeBias: raw TfLitePadding (1 SAME, 2 VALID) */
} tflite_op;

typedef struct tflite_subgraph {
    const char *name;               /* "" when absent */
    int n_tensors;
    tflite_tensor *tensors;
    int n_ops;
    tflite_op *ops;                 /* execution order */
    int n_inputs, n_outputs;
    int32_t *inputs;                /* tensor indices, all in [0, n_tensors) */
    int32_t *outputs;
} tflite_subgraph;

typedef struct tflite_metadata {
    const char *name;
    uint32_t buffer;                /* < n_buffers */
    const uint8_t *data;            /* that buffer's bytes (may be NULL) */
    size_t data_len;
} tflite_metadata;

typedef struct tflite_model {
    const uint8_t *bytes;           /* the whole file */
    size_t size;
    uint32_t version;               /* schema version (3) */
    const char *description;        /* "" when absent */
    int n_subgraphs;
    tflite_subgraph *subgraphs;     /* [0] is the main graph; n_subgraphs >= 1 */
    int n_buffers;
    int n_opcodes;
    int n_metadata;
    tflite_metadata *metadata;
    uint8_t *owned_;                /* private: the file read by tflite_model_load, or NULL */
} tflite_model;

/* Reads the file at `path` (at most TFLITE_MAX_FILE_BYTES) into memory and parses it with
 * tflite_model_parse; the model owns the bytes. On failure `m` holds nothing and the message
 * starts with "<path>: ". */
mosa_status tflite_model_load(tflite_model *m, const char *path);

/* Verifies and decodes `len` bytes of a .tflite file. BORROWS `buf`: names, tensor data and
 * custom options point into it, so it must stay alive and unchanged until tflite_model_free(m).
 * On failure `m` holds nothing (tflite_model_free is harmless) and the error says what is wrong. */
mosa_status tflite_model_parse(tflite_model *m, const uint8_t *buf, size_t len);

/* Frees what the model allocated (and the file bytes when it owns them). Idempotent. */
void tflite_model_free(tflite_model *m);

/* "CONV_2D", "DEPTHWISE_CONV_2D", ... for the codes mosa knows; "UNKNOWN" otherwise. */
const char *tflite_op_name(int code);
/* "FLOAT32", ...; "UNKNOWN" for codes outside the enum. */
const char *tflite_type_name(int type);
/* Element size in bytes of a fixed-size type (FLOAT16 2, ...); 0 for STRING, RESOURCE, VARIANT and
 * the sub-byte types INT4, INT2, UINT4. */
size_t tflite_type_size(int type);

/* Returns NULL when every op of every subgraph is one mosa's runner implements (CONV_2D,
 * DEPTHWISE_CONV_2D, ADD, MUL, PAD, MAX_POOL_2D, AVERAGE_POOL_2D, RESIZE_BILINEAR, RESHAPE,
 * LOGISTIC, RELU, HARD_SWISH, DEQUANTIZE, CONCATENATION, MEAN, custom Convolution2DTransposeBias);
 * else a message naming the first other op, e.g. "op 87 (UNKNOWN builtin 87) at operator 12 of
 * subgraph 0 is not supported". The string is thread-local, valid until the next call. */
const char *tflite_model_unsupported_op(const tflite_model *m);

/* Counts the ops of subgraph `sg` with effective code `code` (and, for CUSTOM, custom name
 * `custom` when not NULL). 0 for a subgraph out of range. */
int tflite_model_count_ops(const tflite_model *m, int sg, int code, const char *custom);

/* Prints a summary: sizes, description, metadata names, inputs/outputs with shapes, and op
 * counts per op name in first-use order. For tests and `mosa` diagnostics. */
void tflite_model_print_summary(const tflite_model *m, FILE *out);

#endif /* MOSA_TFLITE_MODEL_H */
