/* train_vae.h: training and evaluating the causal video VAE (vae.h) on a mosa dataset.
 *
 * Training data: each sample is one clip of a mosa-dataset/1 directory (dataset.h, in its
 * seeded shuffled order), a random window of crop_frames frames (a 1 + tf*k count) and a random
 * crop_w x crop_h crop of it (the network is convolutional; full clips are evaluated). With
 * probability skeleton_prob the sample is the clip's skeleton video instead, and with mask_prob
 * its human masks as a 3-channel video (background -1, people +1), so the VAE also encodes what
 * the structure blocks and the mask loss will feed it. Loss: mean L1 + mean squared error of the
 * reconstruction + kl_weight * KL per latent element (vae_train_forward); AdamW (betas 0.9/0.999,
 * no weight decay) with linear warmup and cosine decay, optional global-norm clipping.
 * Departures from CogVideoX's VAE training: no LPIPS and no GAN loss (no pretrained networks or
 * discriminator on 2 cores), crops of 64x64x9 instead of 256x256x17, per-frame norms (vae.h).
 *
 * A run lives in one directory:
 *   run.txt            the options that fix the run (vae_train_opts_format; checked on --resume)
 *   clips.txt          the ids of the training clips (a resume uses exactly these)
 *   state.safetensors  the training state (train_state.h), written atomically every ckpt_every
 *                      steps and at the end: parameters, AdamW moments, the data, noise and
 *                      loader RNGs and the loader position; resume is bit-exact
 *   train.tsv          step, loss, recon, kl, psnr (training crops), lr, seconds
 *   eval.tsv           step, held-out PSNR of videos and of skeleton videos (full clips, chunked
 *                      passes), clips evaluated
 *   vae.safetensors    the final model (vae_export) with scaling_factor = 1 / std of the latent
 *                      means measured on training clips
 * The library never prints; progress goes to the report callback. */
#ifndef MOSA_VIDEO_TRAIN_VAE_H
#define MOSA_VIDEO_TRAIN_VAE_H

#include "vae.h"

typedef struct vae_eval {
    float psnr;          /* dB, mean over clips of the per-clip PSNR of the videos ([0,1] pixels) */
    float psnr_skeleton; /* the same for the skeleton videos */
    float ssim;          /* mean SSIM of the video frames (luma, 7x7 uniform window) */
    float mask_iou;      /* the human masks as 3-channel videos (background -1, people +1):
                            IoU of (decoded channel mean > 0) with the people pixels */
    int clips, frames;   /* clips and frames evaluated (each kind) */
} vae_eval;

/* Held-out evaluation of a model on up to max_clips clips (0 = all) of the dataset at root, in
 * its sorted clip order: each clip's video and skeleton, cut to the largest 1 + tf*k frame count
 * and to sizes that are multiples of sf, encoded (means) and decoded by the chunked passes; and,
 * with masks != 0, its human masks as a 3-channel video (mask_iou). */
mosa_status vae_evaluate_dataset(const video_vae *m, const char *root, int max_clips, int masks, vae_eval *out);

enum { VAE_REPORT_STEP = 0, VAE_REPORT_EVAL, VAE_REPORT_CHECKPOINT, VAE_REPORT_MESSAGE };

typedef struct vae_train_report {
    int kind;               /* VAE_REPORT_* */
    int64_t step, steps;
    float loss, recon, kl, psnr, lr;
    double seconds, sec_per_step;
    vae_eval eval;          /* VAE_REPORT_EVAL */
    const char *message;    /* VAE_REPORT_MESSAGE / VAE_REPORT_CHECKPOINT (the path) */
} vae_train_report;

typedef struct vae_train_opts {
    const char *data;        /* training dataset directory */
    const char *val_data;    /* held-out dataset directory (NULL: no evaluation during training) */
    const char *out_dir;     /* the run directory (created if missing; its parent must exist) */
    const char *export_path; /* also write the final model here (NULL: only out_dir/vae.safetensors) */
    uint64_t seed;           /* initialisation, data order, crops, noise (default 1) */
    int64_t steps;           /* optimizer steps (default 600) */
    int64_t stop_after;      /* 0, or stop (checkpointed) after this many steps, as if interrupted */
    int batch;               /* samples per step (default 4) */
    int crop_w, crop_h;      /* crop size, multiples of sf (default 64x64) */
    int crop_frames;         /* frames per sample, 1 + tf*k (default 9) */
    float lr, lr_min;        /* peak 1e-3 (default), cosine down to lr_min (default 1e-4) */
    int warmup;              /* linear warmup steps (default 50) */
    float kl_weight;         /* default 1e-4 (per-element mean KL beside per-element recon) */
    float skeleton_prob;     /* default 0.2 */
    float mask_prob;         /* default 0.05 */
    float clip;              /* global gradient-norm clip, 0 = off (default 1.0) */
    int eval_every, ckpt_every; /* steps (defaults 100, 25); eval also at the end */
    int eval_clips;          /* held-out clips per evaluation (default 4) */
    int scale_clips;         /* training clips used to measure the latent std (default 16) */
    const char *init;        /* a model file (same architecture) to start from instead of a random
                                initialisation (fine-tuning / continuing a finished run), or NULL */
    const char *clip_list;   /* a file of clip ids (one per line, in the dataset's sorted order):
                                train on these clips only (NULL: every usable clip). vae_train
                                writes out_dir/clips.txt at the start and uses it on --resume, so
                                a dataset that grew meanwhile does not change the run */
    int resume;              /* continue from out_dir/state.safetensors */
    int export_only;         /* with resume: no training, export the checkpoint's model to
                                out_dir/vae_step<N>.safetensors (and export_path) */
    vae_config cfg;
    void (*report)(const vae_train_report *r, void *user);
    void *user;
} vae_train_opts;

vae_train_opts vae_train_opts_default(void);
/* The options that fix a run, one "key=value" per line (run.txt); a resume must match. */
void vae_train_opts_format(const vae_train_opts *o, char *buf, size_t cap);

/* ---- the pieces of a run (tests use them directly) ---- */
typedef struct vae_trainer vae_trainer;

/* Opens the training data and builds the model and optimizer from o (step 0). */
mosa_status vae_trainer_create(vae_trainer **out, const vae_train_opts *o);
void vae_trainer_free(vae_trainer *t);
/* With cfg.linear_path: fits the model's linear path (vae_fit_linear_path) to n_crops training
 * crops (one per clip, drawn with a loader and RNG of their own so the training order does not
 * change) and silences the network's outputs; vae_train calls it with 256 crops when a run
 * starts without --init. The trainer keeps the linear path frozen. No-op without a linear path. */
mosa_status vae_trainer_fit_linear_path(vae_trainer *t, int n_crops);
video_vae *vae_trainer_model(vae_trainer *t);
int64_t vae_trainer_steps_done(const vae_trainer *t);
/* One optimizer step on the next batch; r (may be NULL) receives loss, recon, kl, psnr, lr. */
mosa_status vae_trainer_step(vae_trainer *t, vae_train_report *r);
/* Training state (train_state.h) with the loader position; load restores it bit-exactly. */
mosa_status vae_trainer_save_state(vae_trainer *t, const char *path);
mosa_status vae_trainer_load_state(vae_trainer *t, const char *path);
/* Measures the std of the latent means over o->scale_clips training clips (full clips, chunked
 * passes; the mean is taken over every latent element), sets scaling_factor = 1/std and writes
 * the model file. */
mosa_status vae_trainer_export(vae_trainer *t, const char *path, float *scaling_factor);

/* Trains (or resumes) a run in o->out_dir; see above. Errors name what is wrong: an unwritable
 * directory, a resume without a state or with different options, a diverged loss. */
mosa_status vae_train(const vae_train_opts *o);

#endif /* MOSA_VIDEO_TRAIN_VAE_H */
