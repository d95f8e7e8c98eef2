/* cmd_motion_generate.c: `mosa motion generate "PROMPT"`: text to 3D human motion with the
 * structure transformer (src/motion/t2m.h). The full prompt is reduced to its motion part
 * (src/text/prompt.h; --motion-prompt overrides), words the model does not know are mapped
 * through WordNet, and the result is written as (T,22,3) float32 joints at 20 fps (HumanML3D
 * conventions), optionally also a BVH and a skeleton video (the `mosa motion render` path).
 * Thin over the library: parsing, printing, placing several people. */
#include "cli.h"

#include "io/bvh.h"
#include "io/npy.h"
#include "motion/library.h"
#include "motion/t2m.h"
#include "text/prompt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static void usage(FILE *f) {
    fprintf(f,
            "usage: mosa motion generate \"PROMPT\" -o OUT.npy [options]\n"
            "  text to 3D motion: the prompt's motion part (\"a man walks forward and then jumps\") drives the\n"
            "  structure transformer; writes (T,22,3) float32 joints at 20 fps (HumanML3D: Y up, metres,\n"
            "  facing +Z at the start), or (P,T,22,3) with --persons P\n"
            "options:\n"
            "  --seconds S          length in seconds, (0, max] (max: 10 for the shipped model = 50 tokens x 4\n"
            "                       frames); without it the model ends the motion itself\n"
            "  -s, --seed N         the same seed gives the same bytes (default 0)\n"
            "  --motion-prompt TEXT use TEXT as the motion prompt as is (no extraction)\n"
            "  --cfg-scale S        classifier-free guidance, 1 = none (default 3)\n"
            "  --top-k K            sample among the K most likely tokens, 0 = all (default 0)\n"
            "  --temperature T      0 = always the most likely token (default 0.7)\n"
            "  --persons P          P people (seeds N..N+P-1), placed side by side along x, 1..8\n"
            "  --model FILE         the model (default: models/motion/t2m.safetensors)\n"
            "  --bvh FILE.bvh       also write a BVH (first person)\n"
            "  --render FILE.mp4    also render the skeleton video (as mosa motion render does); with\n"
            "  --camera SPEC        elev=..,azim=..,dist=.. and --size WxH (default 512x512)\n"
            "  --raw                skip the cleanup (constant bones, foot-skate removal)\n"
            "  --threads N          threads (default: mosa's default)\n"
            "  -q, --quiet          print only errors\n");
}

static int quiet;
static void on_map(void *u, const char *from, const char *to, text_map_kind how) {
    (void)u;
    if (quiet) return;
    if (to) printf("  word '%s' read as '%s' (%s)\n", from, to, text_map_kind_name(how));
    else printf("  word '%s' is not known to the model and is ignored\n", from);
}

static int parse_f(const char *cmd, const char *flag, const char *v, float *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x)) return cli_error(cmd, "%s wants a number, got '%s'", flag, v), 0;
    *out = (float)x;
    return 1;
}

int motion_generate_main(int argc, char **argv) {
    const char *cmd = "motion generate", *prompt = NULL, *out = NULL, *bvh = NULL, *render = NULL, *camera = NULL,
               *size = NULL, *model_arg = NULL, *user_motion = NULL;
    t2m_sample_options so = t2m_sample_options_default();
    int persons = 1, raw = 0, seconds_given = 0;
    quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
        if (!strcmp(a, "--raw")) { raw = 1; continue; }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (a[0] != '-' || !a[1]) {
            if (prompt) return cli_error(cmd, "more than one prompt ('%s' and '%s'); quote the prompt", prompt, a);
            prompt = a;
            continue;
        }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--bvh")) bvh = v;
        else if (!strcmp(a, "--render")) render = v;
        else if (!strcmp(a, "--camera")) camera = v;
        else if (!strcmp(a, "--size")) size = v;
        else if (!strcmp(a, "--model")) model_arg = v;
        else if (!strcmp(a, "--motion-prompt")) user_motion = v;
        else if (!strcmp(a, "--seconds")) {
            if (!parse_f(cmd, a, v, &so.seconds)) return 1;
            seconds_given = 1;
        } else if (!strcmp(a, "--cfg-scale")) { if (!parse_f(cmd, a, v, &so.cfg_scale)) return 1; }
        else if (!strcmp(a, "--temperature")) { if (!parse_f(cmd, a, v, &so.temperature)) return 1; }
        else if (!strcmp(a, "--top-k")) {
            char *end;
            long k = strtol(v, &end, 10);
            if (end == v || *end || k < 0 || k > 1000000) return cli_error(cmd, "--top-k wants an integer >= 0, got '%s'", v);
            so.top_k = (int)k;
        } else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
            char *end;
            unsigned long long s = strtoull(v, &end, 10);
            if (end == v || *end || v[0] == '-') return cli_error(cmd, "--seed wants a non-negative integer, got '%s'", v);
            so.seed = s;
        } else if (!strcmp(a, "--threads")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n < 1 || n > 256) return cli_error(cmd, "--threads wants 1..256, got '%s'", v);
            mosa_set_threads((int)n);
        } else if (!strcmp(a, "--persons")) {
            char *end;
            long p = strtol(v, &end, 10);
            if (end == v || *end || p < 1 || p > 8) return cli_error(cmd, "--persons wants 1..8, got '%s'", v);
            persons = (int)p;
        } else {
            return cli_error(cmd, "unknown option '%s' (see mosa motion generate --help)", a);
        }
    }
    if (!prompt) return cli_error(cmd, "no prompt given: mosa motion generate \"a person walks forward\" -o OUT.npy");
    const char *q = prompt;
    while (*q && isspace((unsigned char)*q)) q++;
    if (!*q) return cli_error(cmd, "the prompt is empty: describe a motion, e.g. \"a person walks forward and waves\"");
    if (!out) return cli_error(cmd, "no output given: add -o OUT.npy");
    {
        size_t n = strlen(out);
        if (n < 4 || strcasecmp(out + n - 4, ".npy")) return cli_error(cmd, "the output '%s' should end in .npy", out);
    }
    if (seconds_given && !(so.seconds > 0))
        return cli_error(cmd, "--seconds wants a length above 0 (at most 10 s for the shipped model), got %g; leave it "
                              "out to let the model end the motion", (double)so.seconds);
    if (user_motion) {
        const char *u = user_motion;
        while (*u && isspace((unsigned char)*u)) u++;
        if (!*u) return cli_error(cmd, "--motion-prompt is empty");
    }

    /* the model */
    char model_path[4096];
    if (model_arg) snprintf(model_path, sizeof model_path, "%s", model_arg);
    else if (model_path_resolve(model_path, sizeof model_path, "motion/t2m.safetensors") != MOSA_OK)
        return cli_error(cmd, "%s", mosa_last_error());
    t2m_model *m = NULL;
    if (t2m_load(&m, model_path) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    const float maxs = t2m_max_seconds(m);
    if (so.seconds > maxs + 1e-4f) {
        const int maxn = t2m_get_config(m)->gpt.max_tokens;
        t2m_free(m);
        return cli_error(cmd, "--seconds %g is longer than this model's longest motion, %g s (%d tokens); generate "
                              "shorter pieces", (double)so.seconds, (double)maxs, maxn);
    }

    /* the motion prompt */
    char motion[PROMPT_MAX_BYTES + 64];
    if (user_motion) {
        snprintf(motion, sizeof motion, "%s", user_motion);
        if (!quiet) printf("motion prompt (given): %s\n", motion);
    } else {
        prompt_info *info = mosa_calloc(1, sizeof *info);
        if (!info || prompt_wordnet_init() != MOSA_OK ||
            prompt_motion_extract(motion, sizeof motion, prompt, info) != MOSA_OK) {
            mosa_free(info);
            t2m_free(m);
            return cli_error(cmd, "%s", mosa_last_error());
        }
        if (info->no_motion) {
            snprintf(motion, sizeof motion, "%s", PROMPT_DEFAULT_MOTION);
            if (!quiet) printf("no motion verb found in the prompt; using the default motion prompt \"%s\"\n", motion);
        } else if (!quiet) {
            printf("motion prompt: %s\n", motion);
            for (int k = 0; k < info->n_verbs; k++) printf("  motion verb '%s' (%s)\n", info->verbs[k].lemma, info->verbs[k].lexclass);
        }
        mosa_free(info);
    }

    /* generate */
    float *all = NULL;
    int T = 0, rc = 0;
    float *parts[8] = {0};
    int Ts[8] = {0};
    const double t0 = time_now();
    for (int p = 0; p < persons; p++) {
        t2m_sample_options o = so;
        o.seed = so.seed + (uint64_t)p;
        mosa_status s;
        if (raw) {
            int32_t tok[1024];
            int n = 0;
            s = t2m_sample_tokens(m, motion, &o, tok, &n, 1, p == 0 ? on_map : NULL, NULL);
            if (s == MOSA_OK)
                s = t2m_decode_tokens(m, tok, n, o.seconds > 0 ? t2m_frames_for_seconds(m, o.seconds) : 0, 1, &parts[p], &Ts[p]);
        } else {
            s = t2m_generate(m, motion, &o, &parts[p], &Ts[p], p == 0 ? on_map : NULL, NULL);
        }
        if (s != MOSA_OK) { rc = cli_error(cmd, "%s", mosa_last_error()); goto done; }
        if (Ts[p] > T) T = Ts[p];
    }
    const double gen_s = time_now() - t0;
    /* people side by side along x: spacing grows until every pair of pelvises stays > 0.8 m apart */
    all = mosa_malloc(sizeof(float) * (size_t)persons * T * 66);
    if (!all) { rc = cli_error(cmd, "out of memory"); goto done; }
    float spacing = 1.0f;
    for (int tries = 0; tries < 40; tries++) {
        for (int p = 0; p < persons; p++) {
            const float dx = spacing * ((float)p - 0.5f * (float)(persons - 1));
            for (int t = 0; t < T; t++) {
                const float *src = parts[p] + (size_t)(t < Ts[p] ? t : Ts[p] - 1) * 66; /* shorter ones hold their last pose */
                float *dst = all + ((size_t)p * T + t) * 66;
                for (int j = 0; j < 22; j++) dst[3 * j] = src[3 * j] + dx, dst[3 * j + 1] = src[3 * j + 1], dst[3 * j + 2] = src[3 * j + 2];
            }
        }
        if (persons == 1 || motion_scene_min_distance(all, persons, T) > 0.8f) break;
        spacing += 0.5f;
    }
    const int64_t sh1[3] = {T, 22, 3}, shP[4] = {persons, T, 22, 3};
    if ((persons > 1 ? npy_write_f32(out, all, shP, 4) : npy_write_f32(out, all, sh1, 3)) != MOSA_OK) {
        rc = cli_error(cmd, "%s", mosa_last_error());
        goto done;
    }
    if (!quiet)
        printf("wrote %s: %s%d frames (%.2f s at 20 fps), 22 joints; generated in %.2f s\n", out, persons > 1 ? "persons x " : "",
               T, T / 20.0, gen_s);
    if (bvh) {
        if (bvh_write_smpl22(bvh, all, T, NULL) != MOSA_OK) { rc = cli_error(cmd, "%s", mosa_last_error()); goto done; }
        if (!quiet) printf("wrote %s%s\n", bvh, persons > 1 ? " (first person)" : "");
    }
    if (render) {
        char *rargv[12];
        int rn = 0;
        rargv[rn++] = "motion";
        rargv[rn++] = "render";
        rargv[rn++] = (char *)out;
        rargv[rn++] = "-o";
        rargv[rn++] = (char *)render;
        if (camera) rargv[rn++] = "--camera", rargv[rn++] = (char *)camera;
        if (size) rargv[rn++] = "--size", rargv[rn++] = (char *)size;
        rargv[rn] = NULL;
        rc = cmd_motion(rn, rargv);
    }
done:
    for (int p = 0; p < persons; p++) mosa_free(parts[p]);
    mosa_free(all);
    t2m_free(m);
    return rc;
}
