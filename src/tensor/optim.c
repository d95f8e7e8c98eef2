/* optim.c: see optim.h. */
#include "optim.h"

#include <math.h>
#include <string.h>

adamw_cfg adamw_defaults(float lr) {
    adamw_cfg c = {lr, 0.9f, 0.999f, 1e-8f, 0.01f, 0};
    return c;
}

mosa_status adamw_init(adamw *o, const param_store *ps, adamw_cfg cfg) {
    memset(o, 0, sizeof *o);
    if (!ps->finalized) return mosa_fail(MOSA_ERR_INTERNAL, "adamw_init: parameters not finalized");
    o->cfg = cfg;
    o->numel = ps->numel;
    o->m = mosa_aligned_alloc((ps->numel ? ps->numel : 1) * sizeof(float));
    o->v = mosa_aligned_alloc((ps->numel ? ps->numel : 1) * sizeof(float));
    if (!o->m || !o->v) {
        adamw_free(o);
        return MOSA_ERR_NOMEM;
    }
    memset(o->m, 0, ps->numel * sizeof(float));
    memset(o->v, 0, ps->numel * sizeof(float));
    return MOSA_OK;
}

void adamw_free(adamw *o) {
    mosa_free(o->m);
    mosa_free(o->v);
    memset(o, 0, sizeof *o);
}

void adamw_step(adamw *o, param_store *ps, float lr) {
    o->step++;
    const float b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
    /* torch: step_size = lr / bc1; denom = sqrt(v) / sqrt(bc2) + eps; p -= step_size * m / denom */
    const double bc1 = 1.0 - pow((double)b1, (double)o->step);
    const double bc2 = 1.0 - pow((double)b2, (double)o->step);
    const float step_size = (float)(lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    for (int i = 0; i < ps->n; i++) {
        tensor *t = ps->t[i];
        if (!t->requires_grad) continue;
        const size_t off = (size_t)(t->data - ps->data), n = (size_t)t_numel(t);
        float *p = t->data, *g = t->grad, *m = o->m + off, *v = o->v + off;
        const float decay = (o->cfg.decay_all || t->nd >= 2) ? 1.0f - lr * o->cfg.weight_decay : 1.0f;
MOSA_PARALLEL_FOR(n > 262144, simd,
        for (size_t j = 0; j < n; j++) {
            p[j] *= decay;
            m[j] = m[j] * b1 + (1.0f - b1) * g[j];
            v[j] = v[j] * b2 + (1.0f - b2) * g[j] * g[j];
            const float denom = sqrtf(v[j]) / bc2_sqrt + eps;
            p[j] -= step_size * (m[j] / denom);
        });
    }
}

float grad_clip_global_norm(param_store *ps, float max_norm) {
    double ss = 0.0;
    for (int i = 0; i < ps->n; i++) {
        const tensor *t = ps->t[i];
        if (!t->requires_grad) continue;
        const size_t n = (size_t)t_numel(t);
        double s = 0.0;
        for (size_t j = 0; j < n; j++) s += (double)t->grad[j] * (double)t->grad[j];
        ss += s;
    }
    const float norm = (float)sqrt(ss);
    if (max_norm > 0 && norm > max_norm) {
        const float k = max_norm / (norm + 1e-6f);
        for (int i = 0; i < ps->n; i++) {
            tensor *t = ps->t[i];
            if (!t->requires_grad) continue;
            const size_t n = (size_t)t_numel(t);
            for (size_t j = 0; j < n; j++) t->grad[j] *= k;
        }
    }
    return norm;
}

float lr_warmup_cosine(int64_t step, int64_t warmup, int64_t total, float lr_max, float lr_min) {
    if (warmup > 0 && step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    if (step >= total || total <= warmup) return lr_min;
    const double progress = (double)(step - warmup) / (double)(total - warmup);
    return lr_min + (lr_max - lr_min) * (float)(0.5 * (1.0 + cos(M_PI * progress)));
}

mosa_status ema_init(ema *e, const param_store *ps, float decay) {
    memset(e, 0, sizeof *e);
    if (!ps->finalized) return mosa_fail(MOSA_ERR_INTERNAL, "ema_init: parameters not finalized");
    e->shadow = mosa_aligned_alloc((ps->numel ? ps->numel : 1) * sizeof(float));
    if (!e->shadow) return MOSA_ERR_NOMEM;
    memcpy(e->shadow, ps->data, ps->numel * sizeof(float));
    e->numel = ps->numel;
    e->decay = decay;
    return MOSA_OK;
}

static void ema_blend(ema *e, const param_store *ps, float d) {
    const float k = 1.0f - d;
    float *s = e->shadow;
    const float *p = ps->data;
    const size_t n = e->numel;
MOSA_PARALLEL_FOR(n > 262144, simd,
    for (size_t j = 0; j < n; j++) s[j] = d * s[j] + k * p[j];);
}

void ema_update(ema *e, const param_store *ps) { ema_blend(e, ps, e->decay); }

float ema_decay_at(const ema *e, int64_t step) {
    const int64_t s = step - 1;
    if (s <= 0) return 0.0f;
    const double w = (1.0 + (double)s) / (10.0 + (double)s);
    return w < e->decay ? (float)w : e->decay;
}

void ema_update_step(ema *e, const param_store *ps, int64_t step) { ema_blend(e, ps, ema_decay_at(e, step)); }

void ema_swap(ema *e, param_store *ps) {
    float *s = e->shadow, *p = ps->data;
    for (size_t j = 0; j < e->numel; j++) {
        float t = s[j];
        s[j] = p[j];
        p[j] = t;
    }
}

void ema_free(ema *e) {
    mosa_free(e->shadow);
    memset(e, 0, sizeof *e);
}
