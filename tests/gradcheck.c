/* gradcheck.c: see gradcheck.h. */
#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double loss_of(ctx *c, gc_fn f, int n_in, tensor *const *in, void *user, const float *r, int *ok) {
    tensor *out = f(c, in, user);
    if (!out) {
        *ok = 0;
        return 0;
    }
    int64_t n = t_numel(out);
    float *o = mosa_malloc((size_t)n * sizeof(float));
    t_copy_to_contiguous(o, out);
    double L = 0;
    for (int64_t i = 0; i < n; i++) L += (double)o[i] * (double)r[i];
    mosa_free(o);
    (void)n_in;
    return L;
}

int gradcheck(const char *name, gc_fn f, int n_in, const gc_input *spec, void *user, const gc_opts *opts) {
    gc_opts o = {1e-3, 1e-3, 1e-2, 64, 1, 0};
    if (opts) {
        if (opts->eps > 0) o.eps = opts->eps;
        if (opts->atol > 0) o.atol = opts->atol;
        if (opts->rtol > 0) o.rtol = opts->rtol;
        if (opts->max_checks > 0) o.max_checks = opts->max_checks;
        if (opts->seed) o.seed = opts->seed;
        o.quiet = opts->quiet;
    }
    mosa_rng rng;
    rng_seed(&rng, o.seed);
    float *vals[T_MAX_INPUTS] = {0}, *grads[T_MAX_INPUTS] = {0};
    int64_t numel[T_MAX_INPUTS];
    for (int i = 0; i < n_in; i++) {
        int64_t k = 1;
        for (int d = 0; d < spec[i].nd; d++) k *= spec[i].shape[d];
        numel[i] = k;
        vals[i] = mosa_malloc((size_t)(k ? k : 1) * sizeof(float));
        grads[i] = mosa_calloc((size_t)(k ? k : 1), sizeof(float));
        if (spec[i].values) {
            memcpy(vals[i], spec[i].values, (size_t)k * sizeof(float));
        } else {
            float lo = spec[i].lo, hi = spec[i].hi;
            if (lo == 0 && hi == 0) lo = -1, hi = 1;
            rng_uniform(&rng, vals[i], (size_t)k);
            for (int64_t j = 0; j < k; j++) vals[i][j] = lo + (hi - lo) * vals[i][j];
        }
    }
    ctx c;
    ctx_init(&c, 1 << 20);
    tensor *in[T_MAX_INPUTS];
    /* Analytic pass. */
    for (int i = 0; i < n_in; i++) {
        in[i] = t_wrap(&c, vals[i], spec[i].nd, spec[i].shape);
        in[i]->requires_grad = !spec[i].no_grad;
    }
    tensor *out = f(&c, in, user);
    int failures = 0;
    if (!out) {
        printf("FAIL gradcheck %s: forward failed: %s\n", name, mosa_last_error());
        failures = 1;
        goto done;
    }
    int64_t nout = t_numel(out);
    float *r = mosa_malloc((size_t)(nout ? nout : 1) * sizeof(float));
    rng_normal(&rng, r, (size_t)nout, 0.0f, 1.0f);
    if (ctx_backward_seed(&c, out, r) != MOSA_OK) {
        printf("FAIL gradcheck %s: backward failed: %s\n", name, mosa_last_error());
        failures = 1;
        mosa_free(r);
        goto done;
    }
    for (int i = 0; i < n_in; i++)
        if (!spec[i].no_grad && in[i]->grad) memcpy(grads[i], in[i]->grad, (size_t)numel[i] * sizeof(float));
    ctx_reset(&c);
    c.grad_enabled = 0;
    int skipped = 0, checked = 0;
    for (int i = 0; i < n_in; i++) {
        if (spec[i].no_grad) continue;
        int64_t k = numel[i];
        int64_t step = k > o.max_checks ? k / o.max_checks : 1;
        for (int64_t j = 0; j < k; j += step) {
            int64_t idx = (step > 1) ? (j + (int64_t)rng_below(&rng, (uint32_t)step)) % k : j;
            float x0 = vals[i][idx];
            double Lp, Lm, L0;
            int ok = 1;
            for (int m = 0; m < n_in; m++) {
                in[m] = t_wrap(&c, vals[m], spec[m].nd, spec[m].shape);
            }
            vals[i][idx] = (float)(x0 + o.eps);
            Lp = loss_of(&c, f, n_in, in, user, r, &ok);
            ctx_reset(&c);
            for (int m = 0; m < n_in; m++) in[m] = t_wrap(&c, vals[m], spec[m].nd, spec[m].shape);
            vals[i][idx] = (float)(x0 - o.eps);
            Lm = loss_of(&c, f, n_in, in, user, r, &ok);
            ctx_reset(&c);
            for (int m = 0; m < n_in; m++) in[m] = t_wrap(&c, vals[m], spec[m].nd, spec[m].shape);
            vals[i][idx] = x0;
            L0 = loss_of(&c, f, n_in, in, user, r, &ok);
            ctx_reset(&c);
            if (!ok) {
                printf("FAIL gradcheck %s: forward failed during perturbation\n", name);
                failures++;
                continue;
            }
            /* Actual perturbation sizes in float. */
            double hp = (double)(float)(x0 + o.eps) - x0, hm = x0 - (double)(float)(x0 - o.eps);
            double num = (Lp - Lm) / (hp + hm);
            double fwd = (Lp - L0) / hp, bwd = (L0 - Lm) / hm;
            double ana = grads[i][idx];
            double err = fabs(ana - num), scale = fmax(fabs(ana), fabs(num));
            if (err <= o.atol + o.rtol * scale) {
                checked++;
                continue;
            }
            /* A kink: one-sided slopes disagree strongly and the analytic value matches one side. */
            double kink = fabs(fwd - bwd);
            if (kink > 10 * (o.atol + o.rtol * scale) &&
                (fabs(ana - fwd) <= o.atol + o.rtol * fabs(fwd) + 1e-2 || fabs(ana - bwd) <= o.atol + o.rtol * fabs(bwd) + 1e-2)) {
                skipped++;
                continue;
            }
            failures++;
            if (!o.quiet && failures <= 8)
                printf("FAIL gradcheck %s: input %d element %lld: analytic %.6g numeric %.6g\n", name, i,
                       (long long)idx, ana, num);
        }
    }
    if (skipped > checked / 4 + 2) {
        printf("FAIL gradcheck %s: %d of %d elements skipped as kinks (too many)\n", name, skipped, skipped + checked);
        failures++;
    }
    mosa_free(r);
done:
    ctx_free(&c);
    for (int i = 0; i < n_in; i++) {
        mosa_free(vals[i]);
        mosa_free(grads[i]);
    }
    return failures;
}

double fixture_rel_error(const st_file *f, const char *name, const float *got, int64_t n) {
    const st_tensor *t = st_find(f, name);
    if (!t || !got || (int64_t)t->nelements != n) return -1;
    float *want = mosa_malloc((size_t)n * sizeof(float));
    if (!want || st_read_f32(t, want) != MOSA_OK) {
        mosa_free(want);
        return -1;
    }
    double maxd = 0, maxw = 1e-30;
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= maxd)) maxd = d;
        if (fabs(want[i]) > maxw) maxw = fabs(want[i]);
    }
    mosa_free(want);
    return maxd / maxw;
}
