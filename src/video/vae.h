/* vae.h: the causal 3D video VAE of the appearance branch (CogVideoX style, sized for 2 cores).
 *
 * Tensors are (N,C,T,H,W), pixels in [-1,1]. Frame counts are 1 + tf*k (tf = the temporal
 * factor, 4 by default): the first frame is encoded alone, every later latent frame covers tf
 * frames. Sizes are multiples of the spatial factor sf = 2^(levels-1) (8 by default).
 *
 * Encoder: conv_in (causal 3x3x3, in_ch -> ch[0]); level i (0..levels-1): `layers` ResNet blocks
 * (nn_resnet3d, ch[i-1] -> ch[i]), then, except at the last level, a downsampler: for the first
 * `time_levels` levels a temporal average of frame pairs that keeps the video's first frame
 * alone (1+2k -> 1+k; CogVideoXDownsample3D compress_time), then a per-frame 3x3 conv with
 * stride 2 (right/bottom zero padding, as diffusers pads (0,1,0,1)); mid: 2 ResNet blocks;
 * norm_out (GroupNorm) + SiLU + conv_out (causal 3x3x3) -> 2*latent_ch channels: the mean and
 * log-variance of a diagonal Gaussian (log-variance clamped to [-30, 20]).
 * Decoder mirrors it: conv_in (latent_ch -> ch[last]); mid; level i from the last down to 0:
 * `layers`+1 ResNet blocks, then, except at level 0, an upsampler: nearest x2 in space, and x2
 * in time except for the video's first frame (1+k -> 1+2k) in the first `time_levels` up blocks
 * (up_blocks.j with j < time_levels, the deepest ones, as diffusers' decoder does; the encoder
 * halves time in its shallowest levels), then a per-frame 3x3 conv; norm_out + SiLU + conv_out
 * -> in_ch. With spatial_norm (the default) every norm of the decoder (norm1/norm2 of its ResNet
 * blocks, norm_out) is CogVideoX's SpatialNorm3D: GroupNorm(f) * conv_y(zq) + conv_b(zq), where zq
 * is the decoder's input z brought to f's size by nearest interpolation (the first latent frame
 * to the first frame alone, the rest spread evenly, as diffusers does) and conv_y, conv_b are
 * 1x1x1 convs (latent_ch -> C) initialised to weight 0, bias 1 / 0 so that each starts as a plain
 * GroupNorm. A plain GroupNorm throws away each group's mean and scale in every frame, so a
 * decoder without them has to rebuild absolute colour from the spatial pattern alone; the z
 * conditioning hands it back at every norm (spatial_norm=0 keeps the plain decoder). All
 * GroupNorms use eps 1e-6; the ResNet blocks have no dropout and no time embedding; a block whose
 * channel count changes has a 1x1x1 conv_shortcut.
 *
 * Causality and chunks: every norm in the VAE is a GroupNorm whose statistics are taken per frame
 * (over the group's channels x H x W), not over the whole clip as CogVideoX does, so frame t of
 * the output depends only on frames <= t of the input. The chunked passes (vae_encode_video,
 * vae_decode_video) run the same network over a chunk at a time with each causal conv's last
 * k-1 input frames carried over (vae_cache), and the downsampler/upsampler told whether the
 * chunk holds the video's first frame; their output equals the whole-clip pass (tested), and
 * their memory is bounded by the chunk size, whatever the video length. The first chunk is the
 * first frame plus chunk_frames more (plus chunk_latents more latent frames when decoding).
 *
 * Latents handed to the diffusion model are (mean or sample) * scaling_factor (CogVideoX: 0.7;
 * here measured on the training data so latents have unit variance, stored in the model file).
 * Parameter names follow diffusers' AutoencoderKLCogVideoX where the structure matches
 * ("encoder.conv_in.conv.weight", "encoder.down_blocks.0.resnets.1.norm1.weight",
 * "encoder.down_blocks.0.downsamplers.0.conv.weight", "encoder.mid_block.resnets.0...",
 * "encoder.norm_out.weight", "encoder.conv_out.conv.weight", "decoder.up_blocks.0...",
 * "decoder.up_blocks.0.upsamplers.0.conv.weight", and with spatial norms
 * "decoder.up_blocks.0.resnets.0.norm1.norm_layer.weight", "...norm1.conv_y.conv.weight",
 * "...norm1.conv_b.conv.bias", "decoder.norm_out.norm_layer.weight"). PyTorch twin: ref/ref_vae.py.
 *
 * Linear path (linear_path=1). Beside the network, the encoder adds a linear map of each
 * tf x sf x sf patch of the video to the latent mean (a conv3d with kernel = stride = (tf,sf,sf),
 * "encoder.linear_path.weight" (latent_ch,in_ch,tf,sf,sf) and ".bias"; the video's first frame,
 * which has a latent frame of its own, is repeated tf-1 times in front, as the causal convs pad),
 * and the decoder adds the matching linear map of each latent pixel back to a patch
 * ("decoder.linear_path.weight" (in_ch*tf*sf*sf, latent_ch,1,1,1), ".bias"; the first tf-1
 * frames dropped). vae_fit_linear_path sets both to the principal components of the training
 * patches (PCA: the best linear autoencoder for squared error) and the trainer freezes them, so
 * training starts from the PCA reconstruction and the network learns what PCA misses. Why: the
 * network alone learns slowly here (2600 steps of batch 2 reached 21 dB held-out) while the PCA
 * of 4x8x8 patches to 16 numbers gives 27.5 dB at once (docs/video_vae.md). DC-AE (Chen et al.
 * 2024) eases deep-compression autoencoders with space-to-channel shortcuts in the same spirit.
 * Fitting also zeroes the network's two conv_outs (the encoder's log-variance bias set to -10, a
 * near-deterministic posterior), so the fitted model is exactly the PCA autoencoder. */
#ifndef MOSA_VIDEO_VAE_H
#define MOSA_VIDEO_VAE_H

#include "../nn/nn.h"
#include "../tensor/safetensors.h"

#define VAE_MAX_LEVELS 5
#define VAE_MAX_LATENT 256 /* largest latent_ch */

typedef struct vae_config {
    int in_ch;                /* 3 */
    int latent_ch;            /* default 8 (CogVideoX: 16) */
    int levels;               /* default 4 -> spatial factor 8 */
    int ch[VAE_MAX_LEVELS];   /* channels per level, default 32, 64, 128, 128 */
    int layers;               /* ResNet blocks per encoder level (decoder: layers+1), default 1 */
    int time_levels;          /* levels that halve time, default 2 -> temporal factor 4 */
    int groups;               /* GroupNorm groups, default 8; divides every ch[i] */
    float scaling_factor;     /* latent scale, default 1 until measured */
    int spatial_norm;         /* 1 (default): the decoder's norms are CogVideoX's SpatialNorm3D,
                                 conditioned on z; 0: plain per-frame GroupNorms */
    int linear_path;          /* 1 (default): a linear patch path beside the network (below) */
} vae_config;

vae_config vae_config_default(void);
/* "in_ch=3 latent_ch=8 levels=4 ch=32,64,128,128 layers=1 time_levels=2 groups=8 scaling_factor=1
 * spatial_norm=1 linear_path=1" <-> config (parsing validates ranges and consistency). Every key
 * is required except spatial_norm and linear_path, whose absence means 0: the layout of files
 * written before those keys existed. */
void vae_config_format(const vae_config *cfg, char *buf, size_t cap);
mosa_status vae_config_parse(vae_config *cfg, const char *s);
int vae_spatial_factor(const vae_config *cfg);  /* 2^(levels-1) */
int vae_temporal_factor(const vae_config *cfg); /* 2^time_levels */
/* Latent frames of a T-frame video: 1 + (T-1)/tf; T must be 1 + tf*k. */
int vae_latent_frames(const vae_config *cfg, int T);

typedef struct video_vae video_vae; /* opaque */

mosa_status vae_create(video_vae **out, param_store *ps, const char *prefix, const vae_config *cfg, mosa_rng *r);
void vae_free(video_vae *m);
const vae_config *vae_get_config(const video_vae *m);

/* ---- whole-clip differentiable passes (training, tests) ---- */
/* x (N,in_ch,T,H,W) -> moments (N,2*latent_ch,T',H/sf,W/sf): mean then log-variance channels. */
tensor *vae_encode_moments(ctx *c, const video_vae *m, tensor *x);
/* z (N,latent_ch,T',h,w), unscaled -> (N,in_ch,1+tf*(T'-1),h*sf,w*sf). */
tensor *vae_decode(ctx *c, const video_vae *m, tensor *z);

typedef struct vae_loss_stats {
    float recon;   /* the reconstruction term */
    float kl;      /* KL(q(z|x) || N(0,1)) per latent element */
    float psnr;    /* of the batch, in dB, pixels in [-1,1] mapped to [0,1] */
} vae_loss_stats;
/* One training forward on x (N,in_ch,T,H,W): encode, sample z = mean + exp(logvar/2) * eps (eps
 * from r), decode; returns recon + kl_weight * kl (recon: mean L1 + mean squared error). */
tensor *vae_train_forward(ctx *c, const video_vae *m, tensor *x, float kl_weight, mosa_rng *r, vae_loss_stats *stats);

/* ---- chunked inference with bounded memory ---- */
/* video (T,H,W,3) floats in [-1,1], T = 1 + tf*k, H and W multiples of sf. Writes latent
 * (latent_ch, T', H/sf, W/sf) = (mean, or a sample drawn from sample_rng when it is not NULL)
 * * scaling_factor. chunk_frames: frames per chunk after the first frame, a positive multiple
 * of tf (0 = default 8). Threads as set by the caller (OpenMP). Logvar is clamped to [-30, 20]
 * for sampling. */
mosa_status vae_encode_video(const video_vae *m, const float *video, int T, int H, int W, int chunk_frames,
                             mosa_rng *sample_rng, float *latent);
/* latent (latent_ch, T', h, w), scaled -> video (1+tf*(T'-1), h*sf, w*sf, 3) clamped to [-1,1].
 * chunk_latents: latent frames per chunk after the first (0 = default 2). */
mosa_status vae_decode_video(const video_vae *m, const float *latent, int Tl, int h, int w, int chunk_latents,
                             float *video);
/* Peak bytes the chunked passes need for a video of this size (to refuse absurd sizes before
 * allocating anything). */
size_t vae_video_bytes(const vae_config *cfg, int T, int H, int W, int chunk_frames);

/* ---- files ---- */
/* Model file (models/video/vae.safetensors): parameters under their names without the prefix,
 * F32, metadata mosa.format = "video_vae/1", vae.config = vae_config_format, plus n_meta more.
 * Written atomically. */
mosa_status vae_export(const video_vae *m, const char *path, int n_meta, const st_meta *meta);
mosa_status vae_file_config(const char *path, vae_config *cfg);
/* Loads a model file into m (store finalized); another architecture (any config field but
 * scaling_factor) is refused (MOSA_ERR_MISMATCH naming both); the file's scaling_factor replaces
 * m's. On error nothing is modified. */
mosa_status vae_load(video_vae *m, const char *path);
/* Convenience: vae_file_config + a store + vae_create + vae_load; *out owns that store (vae_free
 * frees it). */
mosa_status vae_open(video_vae **out, const char *path);
/* Fits the linear path to the principal components of the patches of n videos x
 * (n,in_ch,T,H,W), pixels in [-1,1], T = 1 + tf*k, H and W multiples of sf, padded and cut
 * into patches as the encoder does: encoder weight = the top latent_ch eigenvectors of the patch
 * covariance (largest first), bias = -weight . mean patch; decoder weight = their transpose, bias
 * = the mean patch (subspace iteration, then Rayleigh-Ritz; deterministic); then zeroes both
 * conv_outs as said above. Fails without a linear path or with fewer patches than latent
 * channels. */
mosa_status vae_fit_linear_path(video_vae *m, const float *x, int n, int T, int H, int W);
/* Sets the latent scale stored with the model (the trainer measures 1/std of the latents). */
void vae_set_scaling_factor(video_vae *m, float scaling_factor);

#endif /* MOSA_VIDEO_VAE_H */
