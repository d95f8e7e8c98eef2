/* image.c: allocation, checks and copies for the shared RGB8 image type (image.h).
 *
 * Not a place for pixel operations: drawing is src/render's, file formats are png.c, gif.c
 * and video.c. */
#include "image.h"

#include <string.h>

mosa_status image_alloc(image *im, int w, int h) {
    im->w = im->h = 0;
    im->rgb = NULL;
    if (w < 1 || h < 1 || w > IMAGE_MAX_DIM || h > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "image size %dx%d is out of range: width and height must be 1..%d",
                         w, h, IMAGE_MAX_DIM);
    uint8_t *p = mosa_calloc((size_t)w * (size_t)h, 3);
    if (!p) return mosa_fail_context(MOSA_ERR_NOMEM, "allocating a %dx%d image", w, h);
    im->w = w;
    im->h = h;
    im->rgb = p;
    return MOSA_OK;
}

void image_free(image *im) {
    if (!im) return;
    mosa_free(im->rgb);
    im->rgb = NULL;
    im->w = im->h = 0;
}

mosa_status image_check(const image *im, const char *what) {
    if (!im) return mosa_fail(MOSA_ERR_ARG, "%s is NULL", what);
    if (im->w < 1 || im->h < 1 || im->w > IMAGE_MAX_DIM || im->h > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "%s has size %dx%d: width and height must be 1..%d", what, im->w, im->h,
                         IMAGE_MAX_DIM);
    if (!im->rgb) return mosa_fail(MOSA_ERR_ARG, "%s (%dx%d) has no pixels (rgb is NULL)", what, im->w, im->h);
    return MOSA_OK;
}

mosa_status image_copy(image *dst, const image *src) {
    MOSA_TRY(image_check(src, "source image"));
    MOSA_TRY(image_alloc(dst, src->w, src->h));
    memcpy(dst->rgb, src->rgb, image_bytes(src));
    return MOSA_OK;
}
