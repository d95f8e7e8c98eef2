/* test_t2m.c: the structure transformer and its training, on a tiny configuration with a random
 * VQ-VAE: falling loss, bit-exact resume, export/load round trip, seeded sampling, exact
 * lengths, the key/value cache against full recomputation, guidance, refused model files. */
#include "motion/train_t2m.h"
#include "tensor/safetensors.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

static t2m_train_options tiny(void) {
    t2m_train_options o = t2m_train_options_default();
    o.vq.width = 32, o.vq.depth = 1, o.vq.codes = 32, o.vq.code_dim = 16;
    o.corpus_size = 16, o.test_size = 4, o.seed = 5;
    o.steps = 60, o.batch = 6, o.lr = 3e-3f, o.lr_min = 3e-4f, o.warmup = 5;
    o.gpt_width = 32, o.gpt_layers = 2, o.gpt_heads = 2;
    o.text_width = 32, o.text_layers = 1;
    o.offsets = 2;
    return o;
}

static int maps;
static void count_map(void *u, const char *from, const char *to, text_map_kind how) { (void)u, (void)from, (void)to, (void)how, maps++; }

int main(void) {
    /* one thread: the checks are about results, and a shared 2-core machine runs one thread
     * faster than two (OpenMP threads spin-wait for each other under contention) */
    mosa_set_threads(1);
    char st1[256], mf[256], bad[256];
    snprintf(st1, sizeof st1, "/tmp/mosa_t2m_state_%d.safetensors", (int)getpid());
    snprintf(mf, sizeof mf, "/tmp/mosa_t2m_model_%d.safetensors", (int)getpid());
    snprintf(bad, sizeof bad, "/tmp/mosa_t2m_bad_%d.safetensors", (int)getpid());
    const t2m_train_options o = tiny();

    /* ---- training: falling loss, then bit-exact resume ---- */
    t2m_trainer *a = NULL;
    mosa_status s = t2m_trainer_create(&a, &o, NULL, NULL);
    TEST_COND("trainer created", s == MOSA_OK);
    if (s != MOSA_OK) { printf("  %s\n", mosa_last_error()); return test_report(); }
    float loss[40];
    for (int i = 0; i < 30; i++) TEST_COND("step", t2m_trainer_step(a, &loss[i]) == MOSA_OK);
    double first = (loss[0] + loss[1] + loss[2]) / 3, last = (loss[27] + loss[28] + loss[29]) / 3;
    printf("  loss %.4f -> %.4f (ln 33 = %.4f)\n", first, last, log(33.0));
    TEST_COND("loss falls", last < 0.9 * first);
    float el, ea;
    TEST_COND("eval", t2m_trainer_eval(a, &el, &ea) == MOSA_OK && isfinite(el) && ea >= 0 && ea <= 1);
    printf("  held-out loss %.4f acc %.3f\n", el, ea);
    TEST_COND("save state", t2m_trainer_save_state(a, st1) == MOSA_OK);
    float cont[5], res[5];
    for (int i = 0; i < 5; i++) t2m_trainer_step(a, &cont[i]);
    t2m_trainer *b = NULL;
    TEST_COND("second trainer", t2m_trainer_create(&b, &o, NULL, NULL) == MOSA_OK);
    TEST_COND("load state", b && t2m_trainer_load_state(b, st1) == MOSA_OK);
    TEST_COND("step restored", b && t2m_trainer_step_count(b) == 30);
    for (int i = 0; b && i < 5; i++) t2m_trainer_step(b, &res[i]);
    TEST_COND("resumed losses bit-identical", b && memcmp(cont, res, sizeof res) == 0);
    param_store *pa = t2m_params(t2m_trainer_model(a)), *pb = b ? t2m_params(t2m_trainer_model(b)) : NULL;
    TEST_COND("resumed weights bit-identical", pb && pa->numel == pb->numel && memcmp(pa->data, pb->data, pa->numel * 4) == 0);
    t2m_trainer_free(b);

    /* ---- word dropout: deterministic per seed, changes the batches, range checked ---- */
    {
        t2m_train_options ow = o;
        ow.word_drop = 0.5f;
        t2m_trainer *w1 = NULL, *w2 = NULL, *w0 = NULL;
        float l1[3] = {0}, l2[3] = {0}, l0[3] = {0};
        TEST_COND("word-drop trainers", t2m_trainer_create(&w1, &ow, NULL, NULL) == MOSA_OK &&
                                            t2m_trainer_create(&w2, &ow, NULL, NULL) == MOSA_OK &&
                                            t2m_trainer_create(&w0, &o, NULL, NULL) == MOSA_OK);
        for (int i = 0; w1 && w2 && w0 && i < 3; i++)
            t2m_trainer_step(w1, &l1[i]), t2m_trainer_step(w2, &l2[i]), t2m_trainer_step(w0, &l0[i]);
        TEST_COND("word dropout is deterministic", memcmp(l1, l2, sizeof l1) == 0 && isfinite(l1[2]));
        TEST_COND("word dropout changes the training batches", memcmp(l1, l0, sizeof l1) != 0);
        t2m_trainer_free(w1), t2m_trainer_free(w2), t2m_trainer_free(w0);
        ow.word_drop = 1.0f;
        t2m_trainer *wb = NULL;
        TEST_COND("word_drop 1 refused", t2m_trainer_create(&wb, &ow, NULL, NULL) == MOSA_ERR_ARG && wb == NULL);
    }

    /* ---- paraphrase augmentation: deterministic, changes the batches, named in the options ---- */
    {
        t2m_train_options op = o;
        op.para_aug = 0.5f;
        t2m_trainer *p1 = NULL, *p2 = NULL;
        float l1[3] = {0}, l2[3] = {0};
        TEST_COND("para-aug trainers", t2m_trainer_create(&p1, &op, NULL, NULL) == MOSA_OK &&
                                           t2m_trainer_create(&p2, &op, NULL, NULL) == MOSA_OK);
        for (int i = 0; p1 && p2 && i < 3; i++) t2m_trainer_step(p1, &l1[i]), t2m_trainer_step(p2, &l2[i]);
        TEST_COND("paraphrase augmentation is deterministic", memcmp(l1, l2, sizeof l1) == 0 && isfinite(l1[2]));
        float l0[3] = {0};
        t2m_trainer *p0 = NULL;
        TEST_COND("plain trainer", t2m_trainer_create(&p0, &o, NULL, NULL) == MOSA_OK);
        for (int i = 0; p0 && i < 3; i++) t2m_trainer_step(p0, &l0[i]);
        TEST_COND("paraphrase augmentation changes the training batches", memcmp(l1, l0, sizeof l1) != 0);
        char line[1024], plain[1024];
        t2m_train_options_format(&op, line, sizeof line);
        t2m_train_options_format(&o, plain, sizeof plain);
        TEST_COND("para_aug in the options line only when on", strstr(line, "para_aug=0.5") && !strstr(plain, "para_aug"));
        t2m_trainer_free(p1), t2m_trainer_free(p2), t2m_trainer_free(p0);
    }

    /* ---- verb relatives: the vocabulary grows by the verbs' WordNet relatives, deterministic,
     * named in the options, not together with para_aug ---- */
    {
        t2m_train_options ov = o;
        ov.verb_aug = 0.5f;
        t2m_trainer *v1 = NULL, *v2 = NULL;
        float l1[3] = {0}, l2[3] = {0};
        TEST_COND("verb-aug trainers", t2m_trainer_create(&v1, &ov, NULL, NULL) == MOSA_OK &&
                                           t2m_trainer_create(&v2, &ov, NULL, NULL) == MOSA_OK);
        for (int i = 0; v1 && v2 && i < 3; i++) t2m_trainer_step(v1, &l1[i]), t2m_trainer_step(v2, &l2[i]);
        TEST_COND("verb augmentation is deterministic", memcmp(l1, l2, sizeof l1) == 0 && isfinite(l1[2]));
        int nv = 0, np = 0;
        if (v1) t2m_trainer_sizes(v1, NULL, NULL, &nv, NULL, NULL);
        t2m_trainer_sizes(a, NULL, NULL, &np, NULL, NULL);
        const text_vocab *vv = v1 ? t2m_vocab(t2m_trainer_model(v1)) : NULL;
        printf("  vocabulary %d words, %d with verb relatives\n", np, nv);
        TEST_COND("verb relatives join the vocabulary", nv > np + 50 && vv && text_vocab_find(vv, "strolls") >= 0 &&
                                                            text_vocab_find(t2m_vocab(t2m_trainer_model(a)), "strolls") < 0);
        TEST_COND("the relatives are direct-only, the captions' words not",
                  vv && text_vocab_is_direct(vv, text_vocab_find(vv, "strolls")) &&
                      text_vocab_find(vv, "person") >= 0 && !text_vocab_is_direct(vv, text_vocab_find(vv, "person")));
        char line[1024];
        t2m_train_options_format(&ov, line, sizeof line);
        TEST_COND("verb_aug in the options line", strstr(line, "verb_aug=0.5") != NULL);
        t2m_trainer_free(v1), t2m_trainer_free(v2);
        ov.para_aug = 0.5f;
        t2m_trainer *vb = NULL;
        TEST_COND("verb_aug with para_aug refused", t2m_trainer_create(&vb, &ov, NULL, NULL) == MOSA_ERR_ARG && vb == NULL);
    }

    /* ---- WordNet concept rows: trained, deterministic, exported and loaded bit-exactly ---- */
    {
        t2m_train_options oc = o;
        oc.concepts = 8;
        t2m_trainer *c1 = NULL, *c2 = NULL;
        float l1[3] = {0}, l2[3] = {0};
        TEST_COND("concept trainers", t2m_trainer_create(&c1, &oc, NULL, NULL) == MOSA_OK &&
                                          t2m_trainer_create(&c2, &oc, NULL, NULL) == MOSA_OK);
        for (int i = 0; c1 && c2 && i < 3; i++) t2m_trainer_step(c1, &l1[i]), t2m_trainer_step(c2, &l2[i]);
        TEST_COND("concept training is deterministic", memcmp(l1, l2, sizeof l1) == 0 && isfinite(l1[2]));
        const t2m_config *cc = c1 ? t2m_get_config(t2m_trainer_model(c1)) : NULL;
        printf("  %d WordNet concepts, up to %d per word\n", cc ? cc->text.concepts : -1, cc ? cc->text.concept_k : -1);
        TEST_COND("the encoder has concept rows", cc && cc->text.concepts > 20 && cc->text.concept_k == 8);
        char line[1024];
        t2m_train_options_format(&oc, line, sizeof line);
        TEST_COND("concepts in the options line", strstr(line, "concepts=8") != NULL);
        t2m_model *cm = NULL;
        TEST_COND("export and load a model with concepts",
                  c1 && t2m_trainer_export(c1, mf) == MOSA_OK && t2m_load(&cm, mf) == MOSA_OK);
        param_store *p1 = c1 ? t2m_params(t2m_trainer_model(c1)) : NULL, *pl = cm ? t2m_params(cm) : NULL;
        TEST_COND("its weights bit-identical", p1 && pl && p1->numel == pl->numel &&
                                                   memcmp(p1->data, pl->data, p1->numel * 4) == 0);
        TEST_COND("its concept table rebuilt identically",
                  cm && c1 && !memcmp(t2m_text_encoder(cm)->concept_tab, t2m_text_encoder(t2m_trainer_model(c1))->concept_tab,
                                      sizeof(int32_t) * (size_t)cc->text.vocab * (size_t)cc->text.concept_k));
        t2m_free(cm);
        t2m_trainer_free(c1), t2m_trainer_free(c2);
    }

    /* ---- export / load round trip ---- */
    TEST_COND("export", t2m_trainer_export(a, mf) == MOSA_OK);
    t2m_model *m = NULL;
    s = t2m_load(&m, mf);
    TEST_COND("load", s == MOSA_OK);
    if (s != MOSA_OK) { printf("  %s\n", mosa_last_error()); return test_report(); }
    param_store *pm = t2m_params(m);
    TEST_COND("loaded weights bit-identical", pm->numel == pa->numel && memcmp(pm->data, pa->data, pa->numel * 4) == 0);
    TEST_COND("max seconds = 50 tokens x 4 frames / 20 fps", fabsf(t2m_max_seconds(m) - 10.0f) < 1e-6f);

    /* ---- sampling ---- */
    t2m_sample_options so = t2m_sample_options_default();
    so.seconds = 3.1f, so.seed = 7, so.temperature = 1.0f;
    float *j1 = NULL, *j2 = NULL, *j3 = NULL;
    int T1 = 0, T2 = 0, T3 = 0;
    maps = 0;
    TEST_COND("generate", t2m_generate(m, "a person walks forward and then jumps", &so, &j1, &T1, count_map, NULL) == MOSA_OK);
    TEST_COND("--seconds 3.1 gives exactly 62 frames", T1 == 62);
    t2m_generate(m, "a person walks forward and then jumps", &so, &j2, &T2, NULL, NULL);
    TEST_COND("same seed, same bytes", T2 == T1 && j1 && j2 && memcmp(j1, j2, sizeof(float) * T1 * 66) == 0);
    so.seed = 8;
    t2m_generate(m, "a person walks forward and then jumps", &so, &j3, &T3, NULL, NULL);
    TEST_COND("other seed, other motion", T3 == T1 && j3 && memcmp(j1, j3, sizeof(float) * T1 * 66) != 0);
    int finite = 1;
    for (int i = 0; j1 && i < T1 * 66; i++) finite &= isfinite(j1[i]) != 0;
    TEST_COND("joints finite", finite);
    mosa_free(j1), mosa_free(j2), mosa_free(j3);
    so.seconds = 0.0f;
    TEST_COND("until END", t2m_generate(m, "someone waves", &so, &j1, &T1, NULL, NULL) == MOSA_OK && T1 % 4 == 0 && T1 >= 4 && T1 <= 200);
    mosa_free(j1);
    so.seconds = 0.1f;
    TEST_COND("0.1 s gives 2 frames", t2m_generate(m, "someone waves", &so, &j1, &T1, NULL, NULL) == MOSA_OK && T1 == 2);
    mosa_free(j1);
    so.seconds = 10.0f;
    TEST_COND("max length", t2m_generate(m, "someone waves", &so, &j1, &T1, NULL, NULL) == MOSA_OK && T1 == 200);
    mosa_free(j1);
    /* unknown words are reported (through WordNet or as unknown) */
    so.seconds = 1.0f;
    maps = 0;
    t2m_generate(m, "a person zorbles", &so, &j1, &T1, count_map, NULL);
    TEST_COND("unknown word reported", maps >= 1);
    mosa_free(j1);

    /* KV cache == full recompute; guidance scales */
    int32_t ta[64], tb[64];
    int na = 0, nb = 0;
    const float scales[3] = {1.0f, 3.0f, 0.0f};
    for (int k = 0; k < 3; k++) {
        so = t2m_sample_options_default();
        so.cfg_scale = scales[k], so.seed = 11 + k, so.seconds = 0;
        t2m_sample_tokens(m, "a person jumps", &so, ta, &na, 1, NULL, NULL);
        t2m_sample_tokens(m, "a person jumps", &so, tb, &nb, 0, NULL, NULL);
        TEST_COND("kv cache tokens == full recompute", na == nb && na > 0 && memcmp(ta, tb, sizeof(int32_t) * na) == 0);
    }
    /* cfg scale 1 is the conditional row alone: the conditional logits do not depend on the
     * unconditional row batched beside it */
    {
        ctx c;
        ctx_init(&c, 1 << 20);
        ctx_no_grad(&c);
        c.training = 0;
        int32_t ids[64];
        const int L = text_tokenize(t2m_vocab(m), "a person jumps", ids, 32, NULL, NULL);
        memcpy(ids + L, ids, sizeof(int32_t) * L);
        tensor *pooled;
        tensor *w = text_encoder_forward(&c, t2m_text_encoder(m), ids, 2, L, &pooled);
        const uint8_t nul2[2] = {0, 1}, nul1[1] = {0};
        int32_t tk[6] = {1, 2, 3, 1, 2, 3};
        tensor *l2 = t2m_gpt_forward(&c, t2m_gpt_of(m), w, pooled, NULL, nul2, tk, 3);
        tensor *l1 = t2m_gpt_forward(&c, t2m_gpt_of(m), op_slice(&c, w, 0, 0, 1, 1), op_slice(&c, pooled, 0, 0, 1, 1), NULL,
                                     nul1, tk, 3);
        TEST_COND("forward ok", l1 && l2);
        if (l1 && l2) TEST_CLOSE("cond row alone == cond row batched with uncond", l1->data, l2->data, 4 * 33, 1e-4, 1e-2);
        if (l1 && l2) TEST_COND("uncond row differs", memcmp(l2->data, l2->data + 4 * 33, 4 * 33 * 4) != 0);
        ctx_free(&c);
    }
    /* sampler: temperature 0 is argmax; top-k 1 is argmax; forbid */
    {
        mosa_rng r;
        rng_seed(&r, 1);
        float lg[5] = {0.1f, 2.0f, 0.3f, 1.9f, -1.0f};
        float x[5];
        memcpy(x, lg, sizeof x);
        TEST_COND("temperature 0 -> argmax", t2m_sample_logits(x, 5, 0.0f, 0, -1, &r) == 1);
        memcpy(x, lg, sizeof x);
        TEST_COND("top-1 -> argmax", t2m_sample_logits(x, 5, 1.0f, 1, -1, &r) == 1);
        memcpy(x, lg, sizeof x);
        TEST_COND("forbidden token never drawn", t2m_sample_logits(x, 5, 0.0f, 0, 1, &r) == 3);
        int hist[5] = {0};
        for (int i = 0; i < 400; i++) {
            memcpy(x, lg, sizeof x);
            hist[t2m_sample_logits(x, 5, 1.0f, 2, -1, &r)]++;
        }
        TEST_COND("top-2 draws only the two best", hist[0] == 0 && hist[2] == 0 && hist[4] == 0 && hist[1] > 100 && hist[3] > 100);
    }

    /* ---- bad options and files ---- */
    so = t2m_sample_options_default();
    so.seconds = 100000.0f;
    TEST_COND("100000 s refused", t2m_generate(m, "a person walks", &so, &j1, &T1, NULL, NULL) == MOSA_ERR_ARG &&
                                      strstr(mosa_last_error(), "10"));
    so.seconds = -1.0f;
    TEST_COND("negative seconds refused", t2m_generate(m, "a person walks", &so, &j1, &T1, NULL, NULL) == MOSA_ERR_ARG);
    so.seconds = 2.0f;
    TEST_COND("empty prompt refused", t2m_generate(m, "  ", &so, &j1, &T1, NULL, NULL) == MOSA_ERR_ARG);

    t2m_model *x = NULL;
    s = t2m_load(&x, "/nonexistent/t2m.safetensors");
    TEST_COND("missing file: i/o error saying how to get one", s == MOSA_ERR_IO && strstr(mosa_last_error(), "setup.sh"));
    s = t2m_load(&x, st1); /* a training state is not a model file */
    TEST_COND("training state refused", s == MOSA_ERR_MISMATCH && strstr(mosa_last_error(), "mosa.format"));
    /* truncated */
    {
        uint8_t *buf;
        size_t len;
        file_read_all(mf, 1 << 30, &buf, &len);
        file_write_atomic(bad, buf, len / 2);
        mosa_free(buf);
        s = t2m_load(&x, bad);
        TEST_COND("truncated file refused", s != MOSA_OK && x == NULL);
        printf("  truncated: %s\n", mosa_last_error());
    }
    /* a file whose tensors do not match its own config: another width under this config */
    {
        t2m_train_options o2 = o;
        o2.gpt_width = 48;
        t2m_trainer *c2 = NULL;
        if (t2m_trainer_create(&c2, &o2, NULL, NULL) == MOSA_OK) {
            const t2m_config *cf = t2m_get_config(m);
            char vq[256], tx[256], gp[256], *voc = NULL;
            vqvae_config_format(&cf->vq, vq, sizeof vq);
            text_encoder_config_format(&cf->text, tx, sizeof tx);
            t2m_gpt_config_format(&cf->gpt, gp, sizeof gp);
            text_vocab_serialize(t2m_vocab(m), &voc);
            const st_meta meta[5] = {{"mosa.format", T2M_FORMAT}, {"t2m.vqvae", vq}, {"t2m.text", tx}, {"t2m.gpt", gp}, {"t2m.vocab", voc}};
            st_save_params(bad, t2m_params(t2m_trainer_model(c2)), ST_F32, 5, meta);
            mosa_free(voc);
            s = t2m_load(&x, bad);
            TEST_COND("mismatched tensors refused, naming one", s == MOSA_ERR_MISMATCH && strstr(mosa_last_error(), "gpt."));
            printf("  mismatch: %.200s\n", mosa_last_error());
            t2m_trainer_free(c2);
        }
    }
    t2m_free(m);
    t2m_trainer_free(a);
    unlink(st1), unlink(mf), unlink(bad);
    return test_report();
}
