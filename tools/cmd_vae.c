/* cmd_vae.c: `mosa vae encode|decode|eval`: the causal video VAE (src/video/vae.h) from the
 * command line. encode: a video file -> a latent .npy (latent_ch, T', H/8, W/8), scaled by the
 * model's scaling_factor; decode: such a .npy -> a video file; eval: held-out PSNR/SSIM of a
 * dataset's videos and skeleton videos. Thin over the library; bad input gets a message and exit
 * status 1, and no output file is written unless the whole run succeeded (files are atomic). */
#include "cli.h"

#include "io/npy.h"
#include "io/video.h"
#include "video/train_vae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAE_CLI_MAX_BYTES ((size_t)16 << 30)

static void usage(FILE *f) {
    fprintf(f,
            "usage: mosa vae encode VIDEO -o LATENT.npy [--model F] [--chunk N] [--sample --seed S] [--threads T]\n"
            "       mosa vae decode LATENT.npy -o OUT.mp4 [--model F] [--fps R] [--chunk N] [--threads T]\n"
            "       mosa vae eval --data DIR [--n N] [--model F] [--threads T]\n"
            "  the causal 3D video VAE (docs/video_vae.md). encode writes the latent (C, T', H/8, W/8) as float32\n"
            "  .npy, multiplied by the model's scaling_factor; the video is cut to the largest 1 + 4k frames and its\n"
            "  width and height must be multiples of 8. decode writes any output mosa writes (.mp4 .webm .gif,\n"
            "  PNG frames). eval prints the held-out PSNR (dB) of the dataset's videos and skeleton videos, the\n"
            "  SSIM of the videos and the IoU of the decoded human masks, over full clips (chunked passes).\n"
            "options:\n"
            "  --model F    the VAE (default: models/video/vae.safetensors)\n"
            "  --chunk N    frames (encode, multiple of 4, default 8) or latent frames (decode, default 2) per chunk\n"
            "  --sample     encode a sample of the posterior instead of its mean (--seed S, default 0)\n"
            "  --fps R      output frame rate (decode, default 16)\n"
            "  --n N        clips to evaluate (eval, default all)\n"
            "  --threads T  CPU threads (default: all)\n");
}

static int open_model(const char *cmd, const char *model, video_vae **m) {
    char path[4096];
    if (model) snprintf(path, sizeof path, "%s", model);
    else if (model_path_resolve(path, sizeof path, "video/vae.safetensors") != MOSA_OK)
        return cli_error(cmd, "no video VAE found (video/vae.safetensors in $MOSA_MODELS, next to the mosa "
                         "executable's ../models, or in ./models): give --model FILE, or train one with `mosa train "
                         "vae` (docs/video_vae.md)");
    if (vae_open(m, path) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    return 0;
}

static int do_encode(const char *cmd, const char *in, const char *out, const char *model, int chunk, int sample,
                     uint64_t seed) {
    image *frames = NULL;
    int n = 0;
    double fps = 0;
    video_vae *m = NULL;
    if (open_model(cmd, model, &m)) return 1;
    const vae_config *g = vae_get_config(m);
    const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g);
    if (video_read_all(in, 0, &frames, &n, &fps) != MOSA_OK) {
        vae_free(m);
        return cli_error(cmd, "%s", mosa_last_error());
    }
    int rc = 0;
    float *video = NULL, *lat = NULL;
    const int W = n > 0 ? frames[0].w : 0, H = n > 0 ? frames[0].h : 0;
    const int T = n > 0 ? 1 + (n - 1) / tf * tf : 0;
    if (n < 1) rc = cli_error(cmd, "%s has no frames", in);
    else if (W % sf || H % sf)
        rc = cli_error(cmd, "%s is %dx%d; the VAE needs a width and height that are multiples of %d (resize or crop "
                       "it, e.g. to %dx%d)", in, W, H, sf, W / sf * sf > 0 ? W / sf * sf : sf, H / sf * sf > 0 ? H / sf * sf : sf);
    else if (chunk && (chunk < tf || chunk % tf))
        rc = cli_error(cmd, "--chunk %d: use a positive multiple of %d frames", chunk, tf);
    else if (vae_video_bytes(g, T, H, W, chunk) > VAE_CLI_MAX_BYTES)
        rc = cli_error(cmd, "%s (%d frames of %dx%d) needs about %.1f GiB; use a smaller --chunk or a smaller video", in,
                       T, W, H, (double)vae_video_bytes(g, T, H, W, chunk) / (1 << 30));
    if (!rc) {
        for (int i = 1; i < T && !rc; i++)
            if (frames[i].w != W || frames[i].h != H) rc = cli_error(cmd, "%s: frame %d changes size", in, i);
    }
    const int Tl = T > 0 ? vae_latent_frames(g, T) : 0;
    const size_t nl = (size_t)g->latent_ch * Tl * (H / sf) * (W / sf);
    if (!rc) {
        video = malloc(sizeof(float) * (size_t)T * H * W * 3);
        lat = malloc(sizeof(float) * (nl ? nl : 1));
        if (!video || !lat) rc = cli_error(cmd, "out of memory for %d frames of %dx%d", T, W, H);
    }
    if (!rc) {
        if (T != n) fprintf(stderr, "mosa %s: using the first %d of %d frames (the VAE takes 1 + %dk)\n", cmd, T, n, tf);
        for (int t = 0; t < T; t++)
            for (size_t i = 0; i < (size_t)H * W * 3; i++) video[(size_t)t * H * W * 3 + i] = frames[t].rgb[i] / 127.5f - 1.0f;
        mosa_rng r;
        rng_seed(&r, seed);
        if (vae_encode_video(m, video, T, H, W, chunk, sample ? &r : NULL, lat) != MOSA_OK)
            rc = cli_error(cmd, "%s", mosa_last_error());
    }
    if (!rc) {
        const int64_t shape[4] = {g->latent_ch, Tl, H / sf, W / sf};
        if (npy_write_f32(out, lat, shape, 4) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
        else
            fprintf(stderr, "%s: latent (%d, %d, %d, %d) from %d frames of %dx%d (scaling_factor %g)\n", out,
                    g->latent_ch, Tl, H / sf, W / sf, T, W, H, (double)g->scaling_factor);
    }
    free(video), free(lat);
    video_frames_free(frames, n);
    vae_free(m);
    return rc;
}

static int do_decode(const char *cmd, const char *in, const char *out, const char *model, int chunk, float fps) {
    if (video_output_kind_of(out, NULL, NULL) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    video_vae *m = NULL;
    if (open_model(cmd, model, &m)) return 1;
    const vae_config *g = vae_get_config(m);
    const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g);
    float *lat = NULL;
    int64_t shape[NPY_MAX_DIMS];
    int nd = 0, rc = 0;
    if (npy_read_f32(in, &lat, shape, &nd) != MOSA_OK) {
        vae_free(m);
        return cli_error(cmd, "%s", mosa_last_error());
    }
    if (nd != 4 || shape[0] != g->latent_ch || shape[1] < 1 || shape[2] < 1 || shape[3] < 1 ||
        shape[1] > 100000 / tf || shape[2] * sf > 4096 || shape[3] * sf > 4096)
        rc = cli_error(cmd, "%s: want a (%d, T', h, w) latent from mosa vae encode (h, w at most %d), got %d dims "
                       "(%lld, %lld, ...)", in, g->latent_ch, 4096 / sf, nd, (long long)(nd > 0 ? shape[0] : 0),
                       (long long)(nd > 1 ? shape[1] : 0));
    const int Tl = rc ? 0 : (int)shape[1], h = rc ? 0 : (int)shape[2], w = rc ? 0 : (int)shape[3];
    const int T = 1 + tf * (Tl - 1), H = h * sf, W = w * sf;
    for (size_t i = 0; !rc && i < (size_t)g->latent_ch * Tl * h * w; i++)
        if (!(lat[i] == lat[i]) || lat[i] > 1e6f || lat[i] < -1e6f)
            rc = cli_error(cmd, "%s: element %zu is %g; a latent must be finite", in, i, (double)lat[i]);
    if (!rc && vae_video_bytes(g, T, H, W, 8) > VAE_CLI_MAX_BYTES)
        rc = cli_error(cmd, "%s decodes to %d frames of %dx%d, more than this command handles", in, T, W, H);
    float *video = NULL;
    image *frames = NULL;
    if (!rc) {
        video = malloc(sizeof(float) * (size_t)T * H * W * 3);
        frames = calloc((size_t)T, sizeof *frames);
        if (!video || !frames) rc = cli_error(cmd, "out of memory for %d frames of %dx%d", T, W, H);
    }
    if (!rc && vae_decode_video(m, lat, Tl, h, w, chunk, video) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
    for (int t = 0; !rc && t < T; t++) {
        if (image_alloc(&frames[t], W, H) != MOSA_OK) {
            rc = cli_error(cmd, "%s", mosa_last_error());
            break;
        }
        for (size_t i = 0; i < (size_t)H * W * 3; i++) {
            const float v = (video[(size_t)t * H * W * 3 + i] + 1.0f) * 127.5f + 0.5f;
            frames[t].rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    if (!rc) {
        char params[256];
        snprintf(params, sizeof params, "mosa vae decode %s", in);
        if (video_write_auto(out, frames, T, fps, params) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
        else fprintf(stderr, "%s: %d frames of %dx%d at %g fps\n", out, T, W, H, (double)fps);
    }
    if (frames)
        for (int t = 0; t < T; t++) image_free(&frames[t]);
    free(frames), free(video);
    mosa_free(lat);
    vae_free(m);
    return rc;
}

static int do_eval(const char *cmd, const char *data, const char *model, int n) {
    video_vae *m = NULL;
    if (open_model(cmd, model, &m)) return 1;
    vae_eval ev;
    const double t0 = time_now();
    mosa_status s = vae_evaluate_dataset(m, data, n, 1, &ev);
    vae_free(m);
    if (s != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    printf("clips\t%d\nframes\t%d\npsnr_db\t%.3f\npsnr_skeleton_db\t%.3f\nssim\t%.4f\nmask_iou\t%.4f\nseconds\t%.1f\n",
           ev.clips, ev.frames, (double)ev.psnr, (double)ev.psnr_skeleton, (double)ev.ssim, (double)ev.mask_iou,
           time_now() - t0);
    return 0;
}

int cmd_vae(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    const char *sub = argv[1];
    char cmd[32];
    snprintf(cmd, sizeof cmd, "vae %.16s", sub);
    if (strcmp(sub, "encode") && strcmp(sub, "decode") && strcmp(sub, "eval"))
        return cli_error("vae", "unknown subcommand '%s' (encode, decode or eval; see mosa vae --help)", sub);
    const char *in = NULL, *out = NULL, *model = NULL, *data = NULL;
    int chunk = 0, sample = 0, n = 0, threads = 0;
    int64_t seed = 0;
    float fps = 16.0f;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
        if (!strcmp(a, "--sample")) { sample = 1; continue; }
        if (a[0] != '-' || !a[1]) {
            if (in) return cli_error(cmd, "more than one input given ('%s' and '%s')", in, a);
            in = a;
            continue;
        }
        if (!v) return cli_error(cmd, "%s needs a value (see mosa vae --help)", a);
        i++;
        int ok = 1;
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--chunk")) ok = cli_parse_int(cmd, a, v, 1, 100000, &chunk);
        else if (!strcmp(a, "--n")) ok = cli_parse_int(cmd, a, v, 0, 10000000, &n);
        else if (!strcmp(a, "--seed")) ok = cli_parse_i64(cmd, a, v, 0, 9223372036854775807LL, &seed);
        else if (!strcmp(a, "--fps")) ok = cli_parse_float(cmd, a, v, 0.01, 1000, &fps);
        else if (!strcmp(a, "--threads")) ok = cli_parse_int(cmd, a, v, 1, 1024, &threads);
        else return cli_error(cmd, "unknown option '%s' (see mosa vae --help)", a);
        if (!ok) return 1;
    }
    if (threads > 0) mosa_set_threads(threads);
    if (!strcmp(sub, "eval")) {
        if (!data) return cli_error(cmd, "no dataset given: add --data DIR (a held-out mosa dataset)");
        if (in || out) return cli_error(cmd, "eval takes --data DIR, not an input or -o");
        return do_eval(cmd, data, model, n);
    }
    if (!in) return cli_error(cmd, "no input given (see mosa vae --help)");
    if (!out) return cli_error(cmd, "no output given: add -o %s", !strcmp(sub, "encode") ? "LATENT.npy" : "OUT.mp4");
    if (!strcmp(sub, "encode")) return do_encode(cmd, in, out, model, chunk, sample, (uint64_t)seed);
    return do_decode(cmd, in, out, model, chunk, fps);
}
