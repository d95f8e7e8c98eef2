/* png.h: PNG files in and out through libpng, with the A1111/sd-cli "parameters" text chunk.
 *
 * What this is: an atomic writer of RGB8 images (8-bit RGB, no alpha) with an optional
 * `parameters` record, a validating reader that accepts every PNG colour type and bit depth and
 * returns RGB8, and numbered sequences ("out_%03d.png").
 *
 * Reading converts to RGB8 as follows: gray is replicated to R=G=B; palette entries are looked
 * up; 16-bit samples are scaled to 8 bits with rounding (v*255/65535, libpng's png_set_scale_16);
 * 1/2/4-bit samples are scaled up; alpha (an alpha channel or a tRNS chunk) is COMPOSITED ON
 * BLACK (c*a/255, rounded), so a transparent background reads as black, the background of a
 * skeleton image. No gamma or colour-profile correction is applied (gAMA/iCCP are ignored).
 *
 * Validation before allocation: the whole file is walked chunk by chunk (lengths, IHDR first,
 * IHDR fields, IEND present) before libpng sees it; width and height must be within
 * IMAGE_MAX_DIM; and the compressed image data must be large enough for the declared size
 * (deflate shrinks at most 1032:1), so a tiny hostile file cannot make the reader allocate
 * gigabytes. libpng errors are caught (setjmp) and returned as MOSA_ERR_FORMAT with the file
 * name. Text chunks are limited to PNG_MAX_TEXT_BYTES each.
 *
 * What this is not: an APNG reader/writer, a colour manager, or a writer of 16-bit or alpha
 * images. */
#ifndef MOSA_IO_PNG_H
#define MOSA_IO_PNG_H

#include "base/image.h"

#define PNG_MAX_FILE_BYTES ((size_t)1 << 30) /* refuse PNG files larger than 1 GiB */
#define PNG_MAX_TEXT_BYTES ((size_t)8 << 20) /* largest text chunk (parameters) read or written */

/* Writes im as an 8-bit RGB PNG at path, atomically (temporary file, fsync, rename). When
 * parameters is not NULL it is stored in a text chunk keyed "parameters" (tEXt if it is plain
 * ASCII, else an uncompressed UTF-8 iTXt chunk, as A1111 does), before the image data. */
mosa_status png_write(const char *path, const image *im, const char *parameters);

/* Encodes im (and parameters, as png_write) into a new buffer (mosa_free it). */
mosa_status png_encode(const image *im, const char *parameters, uint8_t **out, size_t *out_len);

/* Reads any PNG into a new RGB8 image (free with image_free); see the top of this file for the
 * conversions. On failure *out is an empty image. */
mosa_status png_read(const char *path, image *out);

/* Reads the text chunk keyed "parameters" (tEXt, zTXt or iTXt, before or after the image
 * data) into a new NUL-terminated string (mosa_free it); *parameters is NULL and the status
 * MOSA_OK when the file is a valid PNG without one. */
mosa_status png_read_parameters(const char *path, char **parameters);

/* Decodes a PNG held in memory: the image into *out when out is not NULL, the "parameters"
 * text into *parameters when that is not NULL (NULL if absent). `name` labels error messages.
 * On failure nothing is allocated. This is what png_read and png_read_parameters call. */
mosa_status png_decode(const uint8_t *data, size_t n, const char *name, image *out, char **parameters);

/* Writes frames[0..n) as numbered PNGs: pattern holds exactly one integer conversion (%d,
 * %5d, %05d, ...; %% for a literal percent), filled with 0, 1, 2, ... Each file is written
 * atomically and carries parameters. If a frame fails, the files already written by this call
 * are removed, so the sequence is all or nothing. */
mosa_status png_write_sequence(const char *pattern, const image *frames, int n, const char *parameters);

/* Formats pattern (validated as for png_write_sequence) with index into out[cap]. */
mosa_status png_sequence_path(const char *pattern, int index, char *out, size_t cap);

/* True if s holds a printf-style integer conversion (a "%d"-like pattern, not "%%"). */
bool png_is_sequence_pattern(const char *s);

#endif /* MOSA_IO_PNG_H */
