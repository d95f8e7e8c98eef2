/* op_gridsample.c: bilinear grid sampling, PyTorch F.grid_sample(mode='bilinear',
 * padding_mode='zeros', align_corners=0/1), forward and backward to the input and the grid.
 *
 * What this is: a fast kernel that computes each output pixel's four taps (plane offsets and
 * bilinear weights, -1 for taps outside the image) once and reuses them for every channel,
 * parallel over (n,c) planes so the input-gradient scatter never races; and a naive *_ref that
 * follows PyTorch's loop and formulas element by element. The grid gradient is parallel over
 * grid rows. What this is not: nearest/bicubic modes, border/reflection padding, or 3-D grids. */
#include "ops.h"

#include <math.h>

#define GS_PAR_MIN 16384

/* One output pixel's bilinear taps into an (H,W) plane: nw, ne, sw, se. */
typedef struct gs_tap {
    int32_t idx[4]; /* y*W + x, or -1 when that corner is outside the image */
    float w[4];
} gs_tap;

/* PyTorch's grid_sampler_unnormalize: [-1,1] -> pixel coordinates. */
static inline float gs_unnormalize(float coord, int64_t size, int align_corners) {
    return align_corners ? ((coord + 1.0f) / 2.0f) * (float)(size - 1) : ((coord + 1.0f) * (float)size - 1.0f) / 2.0f;
}

/* d(pixel coordinate)/d(grid coordinate). */
static inline float gs_mult(int64_t size, int align_corners) {
    return align_corners ? (float)(size - 1) / 2.0f : (float)size / 2.0f;
}

static inline int gs_in(int64_t x, int64_t y, int64_t H, int64_t W) { return x >= 0 && x < W && y >= 0 && y < H; }

int64_t grid_sample_work_bytes(int64_t N, int64_t Ho, int64_t Wo) { return N * Ho * Wo * (int64_t)sizeof(gs_tap); }

/* Fills taps (N*Ho*Wo) from the grid. */
static void gs_taps(gs_tap *taps, const float *grid, int64_t N, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                    int align_corners) {
    const int64_t P = N * Ho * Wo;
MOSA_PARALLEL_FOR(P > GS_PAR_MIN, schedule(static),
    for (int64_t p = 0; p < P; p++) {
        const float ix = gs_unnormalize(grid[2 * p], W, align_corners);
        const float iy = gs_unnormalize(grid[2 * p + 1], H, align_corners);
        gs_tap *t = taps + p;
        /* NaN coordinates (or ones too far out to convert) get no taps: output 0. */
        if (!(fabsf(ix) < 1e9f && fabsf(iy) < 1e9f)) {
            for (int k = 0; k < 4; k++) t->idx[k] = -1, t->w[k] = 0.0f;
            continue;
        }
        const int64_t x0 = (int64_t)floorf(ix), y0 = (int64_t)floorf(iy);
        const float fx0 = (float)x0, fy0 = (float)y0;
        const int64_t cx[4] = {x0, x0 + 1, x0, x0 + 1}, cy[4] = {y0, y0, y0 + 1, y0 + 1};
        t->w[0] = (fx0 + 1.0f - ix) * (fy0 + 1.0f - iy);
        t->w[1] = (ix - fx0) * (fy0 + 1.0f - iy);
        t->w[2] = (fx0 + 1.0f - ix) * (iy - fy0);
        t->w[3] = (ix - fx0) * (iy - fy0);
        for (int k = 0; k < 4; k++) t->idx[k] = gs_in(cx[k], cy[k], H, W) ? (int32_t)(cy[k] * W + cx[k]) : -1;
    });
}

// inp is (N,C,H,W), grid (N,Ho,Wo,2), out (N,C,Ho,Wo); work grid_sample_work_bytes(N,Ho,Wo)
void grid_sample_forward(float *out, void *work, const float *inp, const float *grid, int64_t N, int64_t C,
                         int64_t H, int64_t W, int64_t Ho, int64_t Wo, int align_corners) {
    gs_tap *taps = work;
    gs_taps(taps, grid, N, H, W, Ho, Wo, align_corners);
    const int64_t P = Ho * Wo;
MOSA_PARALLEL_FOR(N * C * P > GS_PAR_MIN && N * C > 1, schedule(static),
    for (int64_t nc = 0; nc < N * C; nc++) {
        const float *x = inp + nc * H * W;
        const gs_tap *t = taps + (nc / C) * P;
        float *o = out + nc * P;
        for (int64_t p = 0; p < P; p++) {
            float v = 0.0f;
            for (int k = 0; k < 4; k++)
                if (t[p].idx[k] >= 0) v += x[t[p].idx[k]] * t[p].w[k];
            o[p] = v;
        }
    });
}

// inp is (N,C,H,W), grid (N,Ho,Wo,2), out (N,C,Ho,Wo)
void grid_sample_forward_ref(float *out, const float *inp, const float *grid, int64_t N, int64_t C, int64_t H,
                             int64_t W, int64_t Ho, int64_t Wo, int align_corners) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t h = 0; h < Ho; h++)
            for (int64_t w = 0; w < Wo; w++) {
                const float *g = grid + ((n * Ho + h) * Wo + w) * 2;
                const float ix = gs_unnormalize(g[0], W, align_corners), iy = gs_unnormalize(g[1], H, align_corners);
                const int finite = fabsf(ix) < 1e9f && fabsf(iy) < 1e9f; /* else no taps, as in the fast kernel */
                const float fx = finite ? floorf(ix) : -2.0f, fy = finite ? floorf(iy) : -2.0f;
                const int64_t x0 = (int64_t)fx, y0 = (int64_t)fy;
                const float nw = (fx + 1 - ix) * (fy + 1 - iy), ne = (ix - fx) * (fy + 1 - iy);
                const float sw = (fx + 1 - ix) * (iy - fy), se = (ix - fx) * (iy - fy);
                for (int64_t ch = 0; ch < C; ch++) {
                    const float *x = inp + (n * C + ch) * H * W;
                    float v = 0;
                    if (gs_in(x0, y0, H, W)) v += x[y0 * W + x0] * nw;
                    if (gs_in(x0 + 1, y0, H, W)) v += x[y0 * W + x0 + 1] * ne;
                    if (gs_in(x0, y0 + 1, H, W)) v += x[(y0 + 1) * W + x0] * sw;
                    if (gs_in(x0 + 1, y0 + 1, H, W)) v += x[(y0 + 1) * W + x0 + 1] * se;
                    out[((n * C + ch) * Ho + h) * Wo + w] = v;
                }
            }
}

/* dinp: parallel over (n,c) planes, each scattering its own plane. dgrid: parallel over grid
 * pixels, summing over channels: d/dix of the bilinear blend is the y-weighted difference of
 * the right and left corner values, d/diy the x-weighted difference of the lower and upper. */
// dout is (N,C,Ho,Wo), inp and dinp (N,C,H,W), grid and dgrid (N,Ho,Wo,2)
void grid_sample_backward(float *dinp, float *dgrid, void *work, const float *dout, const float *inp,
                          const float *grid, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                          int align_corners) {
    gs_tap *taps = work;
    gs_taps(taps, grid, N, H, W, Ho, Wo, align_corners);
    const int64_t P = Ho * Wo, HW = H * W;
    if (dinp) {
MOSA_PARALLEL_FOR(N * C * P > GS_PAR_MIN && N * C > 1, schedule(static),
        for (int64_t nc = 0; nc < N * C; nc++) {
            float *d = dinp + nc * HW;
            const gs_tap *t = taps + (nc / C) * P;
            const float *g = dout + nc * P;
            for (int64_t p = 0; p < P; p++)
                for (int k = 0; k < 4; k++)
                    if (t[p].idx[k] >= 0) d[t[p].idx[k]] += t[p].w[k] * g[p];
        });
    }
    if (dgrid) {
        const float mx = gs_mult(W, align_corners), my = gs_mult(H, align_corners);
MOSA_PARALLEL_FOR(N * C * P > GS_PAR_MIN && N * P > 1, schedule(static),
        for (int64_t np = 0; np < N * P; np++) {
            const int64_t n = np / P, p = np % P;
            const gs_tap *t = taps + np;
            const float ix = gs_unnormalize(grid[2 * np], W, align_corners);
            const float iy = gs_unnormalize(grid[2 * np + 1], H, align_corners);
            if (!(fabsf(ix) < 1e9f && fabsf(iy) < 1e9f)) continue;
            const float fx = floorf(ix), fy = floorf(iy);
            const float ax = fx + 1 - ix, bx = ix - fx, ay = fy + 1 - iy, by = iy - fy;
            float gix = 0, giy = 0;
            for (int64_t ch = 0; ch < C; ch++) {
                const float *x = inp + (n * C + ch) * HW;
                const float go = dout[(n * C + ch) * P + p];
                const float vnw = t->idx[0] >= 0 ? x[t->idx[0]] : 0.0f, vne = t->idx[1] >= 0 ? x[t->idx[1]] : 0.0f;
                const float vsw = t->idx[2] >= 0 ? x[t->idx[2]] : 0.0f, vse = t->idx[3] >= 0 ? x[t->idx[3]] : 0.0f;
                gix += go * ((vne - vnw) * ay + (vse - vsw) * by);
                giy += go * ((vsw - vnw) * ax + (vse - vne) * bx);
            }
            dgrid[2 * np] += mx * gix;
            dgrid[2 * np + 1] += my * giy;
        });
    }
}

// dout is (N,C,Ho,Wo), inp and dinp (N,C,H,W), grid and dgrid (N,Ho,Wo,2)
void grid_sample_backward_ref(float *dinp, float *dgrid, const float *dout, const float *inp, const float *grid,
                              int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                              int align_corners) {
    const float mx = gs_mult(W, align_corners), my = gs_mult(H, align_corners);
    for (int64_t n = 0; n < N; n++)
        for (int64_t h = 0; h < Ho; h++)
            for (int64_t w = 0; w < Wo; w++) {
                const float *g = grid + ((n * Ho + h) * Wo + w) * 2;
                const float ix = gs_unnormalize(g[0], W, align_corners), iy = gs_unnormalize(g[1], H, align_corners);
                if (!(fabsf(ix) < 1e9f && fabsf(iy) < 1e9f)) continue; /* no taps: no gradient */
                const float fx = floorf(ix), fy = floorf(iy);
                const int64_t x0 = (int64_t)fx, y0 = (int64_t)fy;
                const float nw = (fx + 1 - ix) * (fy + 1 - iy), ne = (ix - fx) * (fy + 1 - iy);
                const float sw = (fx + 1 - ix) * (iy - fy), se = (ix - fx) * (iy - fy);
                float gix = 0, giy = 0;
                for (int64_t ch = 0; ch < C; ch++) {
                    const float *x = inp + (n * C + ch) * H * W;
                    float *dx = dinp ? dinp + (n * C + ch) * H * W : NULL;
                    const float go = dout[((n * C + ch) * Ho + h) * Wo + w];
                    if (gs_in(x0, y0, H, W)) {
                        const float v = x[y0 * W + x0];
                        if (dx) dx[y0 * W + x0] += nw * go;
                        gix -= v * (fy + 1 - iy) * go;
                        giy -= v * (fx + 1 - ix) * go;
                    }
                    if (gs_in(x0 + 1, y0, H, W)) {
                        const float v = x[y0 * W + x0 + 1];
                        if (dx) dx[y0 * W + x0 + 1] += ne * go;
                        gix += v * (fy + 1 - iy) * go;
                        giy -= v * (ix - fx) * go;
                    }
                    if (gs_in(x0, y0 + 1, H, W)) {
                        const float v = x[(y0 + 1) * W + x0];
                        if (dx) dx[(y0 + 1) * W + x0] += sw * go;
                        gix -= v * (iy - fy) * go;
                        giy += v * (fx + 1 - ix) * go;
                    }
                    if (gs_in(x0 + 1, y0 + 1, H, W)) {
                        const float v = x[(y0 + 1) * W + x0 + 1];
                        if (dx) dx[(y0 + 1) * W + x0 + 1] += se * go;
                        gix += v * (iy - fy) * go;
                        giy += v * (ix - fx) * go;
                    }
                }
                if (dgrid) {
                    float *dg = dgrid + ((n * Ho + h) * Wo + w) * 2;
                    dg[0] += mx * gix;
                    dg[1] += my * giy;
                }
            }
}

/* ------------------------------------------------------------------------------------------ */
/* Op                                                                                          */
/* ------------------------------------------------------------------------------------------ */

static void grid_sample_bw(ctx *c, tape_node *n) {
    tensor *x = n->in[0], *grid = n->in[1];
    float *dx = tape_wants(n, 0) ? t_grad(c, x) : NULL;
    float *dg = tape_wants(n, 1) ? t_grad(c, grid) : NULL;
    if (c->status != MOSA_OK) return;
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t Ho = grid->shape[1], Wo = grid->shape[2];
    arena_mark mk = arena_get_mark(&c->mem);
    void *work = arena_alloc(&c->mem, (size_t)grid_sample_work_bytes(N, Ho, Wo));
    if (!work) {
        ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        return;
    }
    grid_sample_backward(dx, dg, work, n->out->grad, x->data, grid->data, N, C, H, W, Ho, Wo, (int)n->ip[0]);
    arena_release(&c->mem, mk);
}

tensor *op_grid_sample(ctx *c, tensor *x, tensor *grid, int align_corners) {
    if (!x || !grid) return NULL;
    char sx[64], sg[64];
    T_CHECK(c, x->nd == 4 && grid->nd == 4 && grid->shape[0] == x->shape[0] && grid->shape[3] == 2,
            "grid_sample: input %s must be (N,C,H,W) and grid %s (N,Ho,Wo,2)", t_shape_str(x, sx, sizeof sx),
            t_shape_str(grid, sg, sizeof sg));
    T_CHECK(c, x->shape[2] >= 1 && x->shape[3] >= 1 && x->shape[2] * x->shape[3] <= INT32_MAX,
            "grid_sample: input %s needs 1 <= H*W < 2^31", t_shape_str(x, sx, sizeof sx));
    x = op_contiguous(c, x);
    grid = op_contiguous(c, grid);
    if (!x || !grid) return NULL;
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t Ho = grid->shape[1], Wo = grid->shape[2];
    tensor *out = t_new(c, T_SHAPE(N, C, Ho, Wo));
    if (!out) return NULL;
    arena_mark mk = arena_get_mark(&c->mem);
    void *work = arena_alloc(&c->mem, (size_t)grid_sample_work_bytes(N, Ho, Wo));
    if (!work) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    grid_sample_forward(out->data, work, x->data, grid->data, N, C, H, W, Ho, Wo, align_corners ? 1 : 0);
    arena_release(&c->mem, mk);
    tensor *in[2] = {x, grid};
    tape_node *n = tape_push(c, "grid_sample", grid_sample_bw, out, 2, in);
    if (n) n->ip[0] = align_corners ? 1 : 0;
    return out;
}
