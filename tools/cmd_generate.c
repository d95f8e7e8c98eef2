/* cmd_generate.c: `mosa generate "PROMPT" --no-structure -o a.mp4`: text to video with the base
 * text-to-video model alone (src/video/t2v.h: text encoder -> DiT denoising with DDIM and
 * classifier-free guidance -> VAE decode). The structure-guided path (motion -> skeleton ->
 * structure blocks) is not built yet, so --no-structure is required for now. Thin over the
 * library: parsing, checks that fail fast (output path, sizes, memory), the progress bar and
 * writing the frames (mp4/mov/mkv/webm/avi, gif, png, png pattern or directory; atomically). */
#include "cli.h"
#include "progress.h"

#include "io/video.h"
#include "video/t2v.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: mosa generate \"PROMPT\" --no-structure -o OUT.mp4 [options]\n"
            "  text to video with the base text-to-video model alone (DiT over VAE latents; docs/video.md)\n"
            "options:\n"
            "  -o, --output PATH      .mp4 .mov .mkv .webm .avi, .gif, .png (frames as NAME_%%03d.png), a\n"
            "                         pattern with %%d ending in .png, or a directory ending in '/'\n"
            "  --no-structure         use the base model alone (required: the structure branch of the\n"
            "                         appearance model is not built yet)\n"
            "  -n, --negative-prompt TEXT   what to steer away from (default: the empty caption)\n"
            "  --steps N              DDIM steps (default 30)\n"
            "  --cfg-scale S          classifier-free guidance, 1 = none (default 6)\n"
            "  -s, --seed N           the same seed gives the same bytes (default 0)\n"
            "  -W, --width W  -H, --height H   size (default: the model's, 128x128); rounded to the\n"
            "                         model's grid (a multiple of 16) with a note\n"
            "  --frames N             frames, 1 + 4k (default 33; rounded with a note)\n"
            "  --fps F                frame rate of the written video (default 16)\n"
            "  --model FILE           the text-to-video model (default models/video/t2v.safetensors)\n"
            "  --vae FILE             the VAE (default models/video/vae.safetensors)\n"
            "  --max-memory GIB       refuse sizes that need more (default: 80%% of this machine's RAM)\n"
            "  --threads N            threads (default: mosa's default)\n"
            "  -q, --quiet            print only errors\n");
}

static int quiet;
static void on_map(void *u, const char *from, const char *to, text_map_kind how) {
    (void)u;
    if (quiet) return;
    if (to) fprintf(stderr, "  word '%s' read as '%s' (%s)\n", from, to, text_map_kind_name(how));
    else fprintf(stderr, "  word '%s' is not known to the model and is ignored\n", from);
}

typedef struct gen_progress {
    progress bar;
    double t_denoised; /* when the last sampler step ended */
} gen_progress;

static void on_progress(void *u, int step, int total) {
    gen_progress *g = u;
    if (step == total - 1) g->t_denoised = time_now();
    progress_update(&g->bar, step);
}

/* JSON string body of s (quotes and control characters escaped) into buf. */
static void json_escape(char *buf, size_t cap, const char *s) {
    size_t u = 0;
    for (; *s && u + 8 < cap; s++) {
        const unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') buf[u++] = '\\', buf[u++] = (char)ch;
        else if (ch < 0x20) u += (size_t)snprintf(buf + u, cap - u, "\\u%04x", ch);
        else buf[u++] = (char)ch;
    }
    buf[u] = 0;
}

/* The directory that will receive the output must exist and be writable. */
static int output_dir_ok(const char *cmd, const char *out, video_output_kind kind) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out);
    if (kind == VIDEO_OUT_PNG_DIR) {
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/') dir[--n] = 0;
        struct stat st;
        if (stat(dir, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) return cli_error(cmd, "the output '%s' is not a directory", out), 0;
            if (access(dir, W_OK) != 0) return cli_error(cmd, "cannot write into '%s': %s", dir, strerror(errno)), 0;
            return 1;
        }
    }
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = 0;
    else if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cli_error(cmd, "cannot write '%s': the directory '%s' does not exist", out, dir), 0;
    if (access(dir, W_OK) != 0) return cli_error(cmd, "cannot write '%s': %s (%s)", out, strerror(errno), dir), 0;
    return 1;
}

static size_t default_memory_limit(void) {
    const long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psz <= 0) return (size_t)8 << 30;
    return (size_t)((double)pages * (double)psz * 0.8);
}

int cmd_generate(int argc, char **argv) {
    const char *cmd = "generate", *prompt = NULL, *out = NULL, *model_arg = NULL, *vae_arg = NULL;
    t2v_options o = t2v_options_default();
    int no_structure = 0, fps = 0;
    float max_gib = 0;
    quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
        if (!strcmp(a, "--no-structure")) { no_structure = 1; continue; }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (a[0] != '-' || !a[1]) {
            if (prompt) return cli_error(cmd, "more than one prompt ('%s' and '%s'); quote the prompt", prompt, a);
            prompt = a;
            continue;
        }
        if (!v) return cli_error(cmd, "%s needs a value (see mosa generate --help)", a);
        i++;
        int ok = 1;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "-n") || !strcmp(a, "--negative-prompt")) o.negative = v;
        else if (!strcmp(a, "--model")) model_arg = v;
        else if (!strcmp(a, "--vae")) vae_arg = v;
        else if (!strcmp(a, "--steps")) ok = cli_parse_int(cmd, a, v, 1, 1000, &o.steps);
        else if (!strcmp(a, "--cfg-scale")) ok = cli_parse_float(cmd, a, v, 0.0, 100.0, &o.cfg_scale);
        else if (!strcmp(a, "-W") || !strcmp(a, "--width")) ok = cli_parse_int(cmd, a, v, 1, 16384, &o.W);
        else if (!strcmp(a, "-H") || !strcmp(a, "--height")) ok = cli_parse_int(cmd, a, v, 1, 16384, &o.H);
        else if (!strcmp(a, "--frames")) ok = cli_parse_int(cmd, a, v, 1, 100000, &o.frames);
        else if (!strcmp(a, "--fps")) ok = cli_parse_int(cmd, a, v, 1, 240, &fps);
        else if (!strcmp(a, "--max-memory")) ok = cli_parse_float(cmd, a, v, 0.01, 1e6, &max_gib);
        else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
            int64_t s;
            ok = cli_parse_i64(cmd, a, v, 0, INT64_MAX, &s);
            o.seed = (uint64_t)s;
        } else if (!strcmp(a, "--threads")) {
            int n;
            ok = cli_parse_int(cmd, a, v, 1, 256, &n);
            if (ok) mosa_set_threads(n);
        } else {
            return cli_error(cmd, "unknown option '%s' (see mosa generate --help)", a);
        }
        if (!ok) return 1;
    }
    if (!prompt) return cli_error(cmd, "no prompt given: mosa generate \"a woman runs on a gravel path\" --no-structure -o a.mp4");
    const char *q = prompt;
    while (*q && isspace((unsigned char)*q)) q++;
    if (!*q) return cli_error(cmd, "the prompt is empty: describe a person and what they do");
    if (!no_structure)
        return cli_error(cmd, "the structure branch of the appearance model is not built yet (motion -> skeleton -> "
                              "structure-guided DiT); pass --no-structure to generate with the base text-to-video model alone");
    if (!out) return cli_error(cmd, "no output given: add -o OUT.mp4 (or .gif, .png, a directory/)");
    video_output_kind kind;
    if (video_output_kind_of(out, &kind, NULL) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    if (!output_dir_ok(cmd, out, kind)) return 1;

    /* the model */
    char model_path[4096], vae_path[4096];
    if (model_arg) snprintf(model_path, sizeof model_path, "%s", model_arg);
    else if (model_path_resolve(model_path, sizeof model_path, "video/t2v.safetensors") != MOSA_OK)
        return cli_error(cmd, "no text-to-video model found (video/t2v.safetensors in $MOSA_MODELS, next to the mosa "
                         "executable's ../models, or in ./models): give --model FILE, or train one with `mosa train "
                         "t2v` (docs/video.md)");
    if (vae_arg) snprintf(vae_path, sizeof vae_path, "%s", vae_arg);
    else if (model_path_resolve(vae_path, sizeof vae_path, "video/vae.safetensors") != MOSA_OK)
        return cli_error(cmd, "no video VAE found (video/vae.safetensors in $MOSA_MODELS, next to the mosa executable's "
                         "../models, or in ./models): give --vae FILE, or train one with `mosa train vae` "
                         "(docs/video_vae.md)");
    t2v_model *m = NULL;
    if (t2v_load(&m, model_path, vae_path) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    int dW, dH, dF, dfps;
    t2v_default_size(m, &dW, &dH, &dF, &dfps);
    if (!fps) fps = dfps;
    char note[512];
    t2v_round_size(m, &o, note, sizeof note);
    if (note[0]) fprintf(stderr, "note: %s\n", note);
    const size_t limit = max_gib > 0 ? (size_t)((double)max_gib * (double)(1u << 30)) : default_memory_limit();
    const size_t need = t2v_generate_bytes(m, &o);
    if (need > limit) {
        t2v_free(m);
        return cli_error(cmd, "%dx%d with %d frames would need about %.1f GiB, more than the %.1f GiB allowed (%s): ask "
                              "for a smaller size or fewer frames",
                         o.W, o.H, o.frames, (double)need / (1u << 30), (double)limit / (1u << 30),
                         max_gib > 0 ? "--max-memory" : "80% of this machine's memory");
    }
    if (!quiet)
        fprintf(stderr, "generating %dx%d, %d frames at %d fps, %d steps, cfg %g, seed %llu\n", o.W, o.H, o.frames, fps,
                o.steps, (double)o.cfg_scale, (unsigned long long)o.seed);

    /* generate */
    gen_progress gp;
    progress_begin(&gp.bar, "denoising", o.steps + 1);
    if (quiet) gp.bar.enabled = 0;
    uint8_t *rgb = NULL;
    const double t0 = time_now();
    gp.t_denoised = t0;
    mosa_status s = t2v_generate(m, prompt, &o, limit, &rgb, on_map, NULL, on_progress, &gp);
    progress_end(&gp.bar);
    const double gen_s = time_now() - t0, step_s = (gp.t_denoised - t0) / o.steps;
    t2v_free(m);
    if (s != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());

    /* write */
    image *frames = mosa_calloc((size_t)o.frames, sizeof *frames);
    if (!frames) {
        mosa_free(rgb);
        return cli_error(cmd, "out of memory");
    }
    for (int t = 0; t < o.frames; t++) frames[t] = (image){o.W, o.H, rgb + (size_t)t * o.W * o.H * 3};
    char ep[2048], en[2048], params[6144];
    json_escape(ep, sizeof ep, prompt);
    json_escape(en, sizeof en, o.negative ? o.negative : "");
    snprintf(params, sizeof params,
             "{\"tool\": \"mosa generate\", \"prompt\": \"%s\", \"negative_prompt\": \"%s\", \"structure\": false, "
             "\"steps\": %d, \"cfg_scale\": %g, \"seed\": %llu, \"size\": \"%dx%d\", \"frames\": %d, \"fps\": %d, "
             "\"model\": \"%s\"}",
             ep, en, o.steps, (double)o.cfg_scale, (unsigned long long)o.seed, o.W, o.H, o.frames, fps,
             strrchr(model_path, '/') ? strrchr(model_path, '/') + 1 : model_path);
    s = video_write_auto(out, frames, o.frames, (double)fps, params);
    mosa_free(frames);
    mosa_free(rgb);
    if (s != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    if (!quiet)
        printf("wrote %s: %d frames of %dx%d at %d fps; generated in %.1f s (%.2f s per denoising step, %.1f s VAE "
               "decode)\n",
               out, o.frames, o.W, o.H, fps, gen_s, step_s, gen_s - step_s * o.steps);
    return 0;
}
