/* rng.c: mt19937 with torch's CPU sampling recipes, so fixtures written by PyTorch after
 * torch.manual_seed(s) can be reproduced here value for value (up to libm rounding).
 *
 * torch.randn on a float tensor of >= 16 contiguous elements fills uniforms (24-bit) and
 * transforms them 16 at a time with Box-Muller (recomputing the last 16 if n % 16 != 0);
 * smaller tensors draw doubles (53-bit) one pair at a time, caching the second sample in the
 * generator. torch.rand draws 24-bit uniforms. */
#include "base.h"

#include <math.h>

#define MT_N 624
#define MT_M 397

void rng_seed(mosa_rng *r, uint64_t seed) {
    r->seed = seed;
    r->state[0] = (uint32_t)(seed & 0xffffffffu);
    for (int j = 1; j < MT_N; j++)
        r->state[j] = 1812433253u * (r->state[j - 1] ^ (r->state[j - 1] >> 30)) + (uint32_t)j;
    r->index = MT_N;
    r->has_next_double_normal = 0;
    r->next_double_normal = 0.0;
}

static void mt_twist(mosa_rng *r) {
    uint32_t *s = r->state;
    for (int i = 0; i < MT_N; i++) {
        uint32_t y = (s[i] & 0x80000000u) | (s[(i + 1) % MT_N] & 0x7fffffffu);
        uint32_t v = s[(i + MT_M) % MT_N] ^ (y >> 1);
        if (y & 1u) v ^= 0x9908b0dfu;
        s[i] = v;
    }
    r->index = 0;
}

uint32_t rng_u32(mosa_rng *r) {
    if (r->index >= MT_N) mt_twist(r);
    uint32_t y = r->state[r->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t rng_u64(mosa_rng *r) {
    uint64_t hi = rng_u32(r);
    uint64_t lo = rng_u32(r);
    return (hi << 32) | lo;
}

static inline float uniform24(mosa_rng *r) {
    return (float)(rng_u32(r) & ((1u << 24) - 1)) * (1.0f / 16777216.0f);
}

static inline double uniform53(mosa_rng *r) {
    return (double)(rng_u64(r) & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

void rng_uniform(mosa_rng *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = uniform24(r);
}

static void normal_fill_16(float *d, float mean, float std) {
    for (int j = 0; j < 8; j++) {
        const float u1 = 1.0f - d[j];
        const float u2 = d[j + 8];
        const float radius = sqrtf(-2.0f * logf(u1));
        const float theta = (float)(2.0 * M_PI * (double)u2);
        d[j] = radius * cosf(theta) * std + mean;
        d[j + 8] = radius * sinf(theta) * std + mean;
    }
}

void rng_normal(mosa_rng *r, float *out, size_t n, float mean, float std) {
    if (n >= 16) {
        for (size_t i = 0; i < n; i++) out[i] = uniform24(r);
        for (size_t i = 0; i + 16 <= n; i += 16) normal_fill_16(out + i, mean, std);
        if (n % 16 != 0) {
            float *d = out + n - 16;
            for (int i = 0; i < 16; i++) d[i] = uniform24(r);
            normal_fill_16(d, mean, std);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double v;
        if (r->has_next_double_normal) {
            r->has_next_double_normal = 0;
            v = r->next_double_normal;
        } else {
            const double u1 = uniform53(r);
            const double u2 = uniform53(r);
            const double rad = sqrt(-2.0 * log1p(-u2));
            const double theta = 2.0 * M_PI * u1;
            r->next_double_normal = rad * sin(theta);
            r->has_next_double_normal = 1;
            v = rad * cos(theta);
        }
        out[i] = (float)(v * (double)std + (double)mean);
    }
}

uint32_t rng_below(mosa_rng *r, uint32_t high) {
    if (high <= 1) return 0;
    /* Rejection sampling: unbiased. */
    uint32_t limit = (uint32_t)(0x100000000ull - (0x100000000ull % high));
    for (;;) {
        uint32_t x = rng_u32(r);
        if (limit == 0 || x < limit) return x % high;
    }
}

void rng_shuffle_u32(mosa_rng *r, uint32_t *a, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(r, (uint32_t)i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
