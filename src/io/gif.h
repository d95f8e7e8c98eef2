/* gif.h: animated GIF (GIF89a) writer, self-contained (no library): palette, LZW, loop.
 *
 * What this is: an encoder for RGB8 frames. The palette is global (one for all frames):
 * when all frames together use at most 256 distinct colours (skeleton renders: black plus the
 * OpenPose colours) it holds exactly those colours and the GIF is lossless; otherwise it is
 * built from a 5-5-5-bit histogram of all frames by variance cuts (median-cut style: the box
 * with the largest squared error is split along its widest axis where the halves' error is
 * smallest), refined by three k-means passes; each pixel maps to the entry nearest its
 * histogram bin (no dithering, so lines stay crisp).
 * Frame 0 covers the canvas; each later frame covers only the rectangle that changed since
 * the previous one ("do not dispose"), which keeps skeleton animations small. Frame delays
 * are in centiseconds and are chosen so the cumulative time of frame i is round(100*i/fps),
 * at least 2 cs per frame (what browsers honour), so rates above 50 fps play at 50 fps.
 *
 * What this is not: a GIF reader, or a writer of transparency, local palettes or metadata
 * (the parameters of a run go to a sidecar JSON file, see video.h). */
#ifndef MOSA_IO_GIF_H
#define MOSA_IO_GIF_H

#include "base/image.h"

#define GIF_MAX_FRAMES 100000

typedef struct gif_stats {
    int palette_colors; /* colours used in the palette (before padding to a power of two) */
    bool exact;         /* true when every pixel is stored exactly (<= 256 distinct colours) */
} gif_stats;

/* Writes frames[0..n) (all of the same size) as an animated GIF at path, atomically. fps in
 * (0, 1000]. loop: the NETSCAPE2.0 repeat count (0 = loop forever); loop < 0 writes no loop
 * extension (plays once). */
mosa_status gif_write(const char *path, const image *frames, int n, double fps, int loop);

/* The same encoder into a new buffer (mosa_free it); stats may be NULL. */
mosa_status gif_encode(const image *frames, int n, double fps, int loop, uint8_t **out, size_t *out_len,
                       gif_stats *stats);

#endif /* MOSA_IO_GIF_H */
