/* test_optim.c: AdamW against torch.optim.AdamW, gradient clipping against
 * torch.nn.utils.clip_grad_norm_, the LR schedule's shape, EMA, and frozen parameters.
 * Expected values were produced by torch 1.13 (the script is in the comment above each). */
#include "../src/tensor/optim.h"
#include "test.h"

#include <string.h>

int main(void) {
    /* torch: p=[[0.5,-1,2]] (wd 0.1), b=[0.25,-0.75] (wd 0), AdamW(lr=0.1), 3 steps with
     * p.grad=[[0.1(s+1), -0.2, 0.3/(s+1)]], b.grad=[-0.5+s, 0.05]. */
    {
        param_store ps;
        params_init(&ps);
        tensor *p = params_add(&ps, "w", T_SHAPE(1, 3));
        tensor *b = params_add(&ps, "b", T_SHAPE(2));
        const float p0[3] = {0.5f, -1.0f, 2.0f}, b0[2] = {0.25f, -0.75f};
        memcpy(p->data, p0, sizeof p0);
        memcpy(b->data, b0, sizeof b0);
        TEST_COND("finalize", params_finalize(&ps) == MOSA_OK);
        adamw opt;
        adamw_cfg cfg = adamw_defaults(0.1f);
        cfg.weight_decay = 0.1f;
        TEST_COND("adamw init", adamw_init(&opt, &ps, cfg) == MOSA_OK);
        for (int s = 0; s < 3; s++) {
            p->grad[0] = 0.1f * (float)(s + 1);
            p->grad[1] = -0.2f;
            p->grad[2] = 0.3f / (float)(s + 1);
            b->grad[0] = -0.5f + (float)s;
            b->grad[1] = 0.05f;
            adamw_step(&opt, &ps, 0.1f);
        }
        const float want_p[3] = {0.19578640162944794f, -0.6732890009880066f, 1.662986397743225f};
        const float want_b[2] = {0.28521236777305603f, -1.0499999523162842f};
        TEST_CLOSE("adamw matches torch (decayed 2-d weight)", p->data, want_p, 3, 1e-6, 1e-3);
        TEST_CLOSE("adamw matches torch (1-d bias, no decay)", b->data, want_b, 2, 1e-6, 1e-3);
        TEST_COND("step counter", opt.step == 3);

        /* frozen parameters do not move */
        params_set_frozen(&ps, "b", 1);
        float before[2];
        memcpy(before, b->data, sizeof before);
        adamw_step(&opt, &ps, 0.1f);
        TEST_COND("frozen param unchanged", memcmp(before, b->data, sizeof before) == 0);
        adamw_free(&opt);

        /* EMA: shadow follows the weights */
        ema e;
        TEST_COND("ema init", ema_init(&e, &ps, 0.5f) == MOSA_OK);
        const float s0 = p->data[0];
        p->data[0] = s0 + 2.0f;
        ema_update(&e, &ps);
        TEST_COND("ema update", fabsf(e.shadow[0] - (s0 + 1.0f)) < 1e-6f);
        ema_swap(&e, &ps);
        TEST_COND("ema swap in", fabsf(p->data[0] - (s0 + 1.0f)) < 1e-6f);
        ema_swap(&e, &ps);
        TEST_COND("ema swap back", fabsf(p->data[0] - (s0 + 2.0f)) < 1e-6f);
        ema_free(&e);
        /* EMA warmup (diffusers' EMAModel): 0 at the first update, then (1+s)/(10+s) up to decay */
        ema w;
        TEST_COND("ema init 0.999", ema_init(&w, &ps, 0.999f) == MOSA_OK);
        TEST_COND("ema warmup decays", ema_decay_at(&w, 1) == 0.0f && fabsf(ema_decay_at(&w, 2) - 2.0f / 11.0f) < 1e-7f &&
                                           fabsf(ema_decay_at(&w, 101) - 101.0f / 110.0f) < 1e-7f &&
                                           ema_decay_at(&w, 100000) == 0.999f);
        p->data[0] = 7.0f;
        ema_update_step(&w, &ps, 1);
        TEST_COND("first warm update copies the weights", w.shadow[0] == 7.0f);
        p->data[0] = 18.0f;
        ema_update_step(&w, &ps, 2);
        TEST_COND("second warm update blends with 2/11", fabsf(w.shadow[0] - (7.0f * 2.0f / 11.0f + 18.0f * 9.0f / 11.0f)) < 1e-5f);
        ema_free(&w);
        params_free(&ps);
    }

    /* torch: grads [3,4] and [12] -> clip_grad_norm_(max 1) returns 13, grads * 1/(13+1e-6) */
    {
        param_store ps;
        params_init(&ps);
        tensor *a = params_add(&ps, "a", T_SHAPE(2));
        tensor *b = params_add(&ps, "b", T_SHAPE(1));
        params_finalize(&ps);
        a->grad[0] = 3, a->grad[1] = 4, b->grad[0] = 12;
        float n = grad_clip_global_norm(&ps, 1.0f);
        TEST_COND("global norm", fabsf(n - 13.0f) < 1e-6f);
        const float want[3] = {0.23076921701431274f, 0.307692289352417f, 0.923076868057251f};
        TEST_CLOSE("clipped grads match torch", ps.grad, want, 3, 1e-6, 1e-3);
        n = grad_clip_global_norm(&ps, 0.0f);
        TEST_COND("no clipping when max_norm is 0", fabsf(n - 1.0f) < 1e-5f && fabsf(ps.grad[2] - want[2]) < 1e-7f);
        params_free(&ps);
    }

    /* schedule: warmup is linear, peak at the end of warmup, cosine to lr_min at total */
    {
        TEST_COND("warmup first step", fabsf(lr_warmup_cosine(0, 10, 100, 1.0f, 0.1f) - 0.1f) < 1e-6f);
        TEST_COND("warmup end", fabsf(lr_warmup_cosine(9, 10, 100, 1.0f, 0.1f) - 1.0f) < 1e-6f);
        TEST_COND("cosine midpoint", fabsf(lr_warmup_cosine(55, 10, 100, 1.0f, 0.1f) - 0.55f) < 1e-6f);
        TEST_COND("cosine end", fabsf(lr_warmup_cosine(100, 10, 100, 1.0f, 0.1f) - 0.1f) < 1e-6f);
        float prev = 2.0f;
        int mono = 1;
        for (int s = 10; s <= 100; s++) {
            float l = lr_warmup_cosine(s, 10, 100, 1.0f, 0.1f);
            if (l > prev + 1e-7f) mono = 0;
            prev = l;
        }
        TEST_COND("cosine decreases monotonically", mono);
    }
    return test_report();
}
