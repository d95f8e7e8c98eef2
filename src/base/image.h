/* image.h: the RGB8 image type shared by src/render and src/io, with alloc/free and a few
 * helpers every image reader and writer needs (dimension caps, sizes, pixel access).
 *
 * It is not an image-processing library: no resampling, colour conversion or drawing lives
 * here (drawing is src/render's job, file formats are png.c, gif.c and video.c). */
#ifndef MOSA_IO_IMAGE_H
#define MOSA_IO_IMAGE_H

#include "base.h"

#include <stdint.h>

/* Largest width or height any mosa reader accepts or writer produces. */
#define IMAGE_MAX_DIM 16384

typedef struct image {
    int w, h;
    uint8_t *rgb; /* w*h*3, row-major, top row first */
} image;

/* Allocates a zeroed (black) w x h image; fails (MOSA_ERR_ARG) unless 1 <= w, h <= IMAGE_MAX_DIM.
 * On failure *im is left as an empty image (rgb NULL), so image_free is always safe. */
mosa_status image_alloc(image *im, int w, int h);

/* Frees the pixels and resets *im to an empty image; safe on an empty or zeroed image. */
void image_free(image *im);

/* Bytes of pixel data of a valid image: w*h*3 (never overflows for dims within the cap). */
static inline size_t image_bytes(const image *im) { return (size_t)im->w * (size_t)im->h * 3u; }

/* Pointer to pixel (x, y); the caller keeps 0 <= x < w, 0 <= y < h. */
static inline uint8_t *image_px(const image *im, int x, int y) {
    return im->rgb + ((size_t)y * (size_t)im->w + (size_t)x) * 3u;
}

/* Checks that im is a usable image (non-NULL pixels, dims within the cap); `what` names it in
 * the error message ("frame 3", "input image"). */
mosa_status image_check(const image *im, const char *what);

/* Copies src into dst (dst is allocated; free it with image_free). */
mosa_status image_copy(image *dst, const image *src);

#endif /* MOSA_IO_IMAGE_H */
