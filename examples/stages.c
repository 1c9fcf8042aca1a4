/* stages.c - latent diffusion written out by hand, one sd.h stage at a time.

   What sd_txt2img does, step by step:
     1. tokenize the prompt and the (empty) negative prompt: 77 ids each
     2. encode both with CLIP: the context [2, 77, 768] the UNet attends to
     3. draw the starting latent: Gaussian noise [4, h, w] (h, w = image size / 8), scaled to the
        sampler's first noise level
     4. the denoising loop: run the UNet on the latent twice (without and with the prompt), mix the
        two noise predictions (classifier-free guidance), and let the sampler take its step;
        a. by default Euler, one step per evaluation, written out with sd_scale_input and sd_step
        b. with --sampler (e.g. dpm++2m --scheduler karras): any sampler through a run
           (sd_sampling), which asks for one evaluation at a time and keeps what multistep
           samplers remember between steps in memory the caller gives it
     5. decode the final latent with the VAE into an image, and map it to 8-bit RGB

   build: make (gives build/stages)
   run:   build/stages [--sampler NAME [--scheduler KIND]] MODEL.safetensors MERGES.txt "a prompt" out.png
                       [WIDTH HEIGHT STEPS [LATENT.npy]]
          (512 512 20 by default; LATENT.npy gets the final latent [1,4,h,w] before decoding, the
          file `sd txt2img --sampler euler --cfg 7.5 -s 42 --latent-out` writes for the same
          settings; with --sampler S --scheduler K, the one of `sd txt2img --sampler S --scheduler K ...`) */

#define SD_IMPLEMENTATION
#include "../sd.h"
#define SD_PNG_IMPLEMENTATION
#include "../tools/sd_png.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define CFG 7.5f        /* guidance scale */

/* one guided noise prediction at timestep t: x2 holds the latent the sampler gave, twice ([2, 4, h, w],
   a batch for the two halves of the context); eps = eps_uncond + CFG (eps_prompt - eps_uncond) */
static sd_result guided_eps(sd_model *m, const float *x2, size_t n, int h, int w, float t, const float *context, float *eps2, float *eps)
{
    size_t k;
    sd_result r = sd_unet(m, x2, 2, h, w, t, context, eps2);
    for (k = 0; r == SD_OK && k < n; k++) eps[k] = eps2[k] + CFG * (eps2[n + k] - eps2[k]);
    return r;
}

int main(int argc, char **argv)
{
    const char *prog = argv[0];
    sd_model *m;
    sd_info info;
    sd_schedule *sched;
    sd_sampler sampler = SD_SAMPLER_EULER;
    sd_scheduler kind = SD_SCHEDULER_DEFAULT;
    sd_rng rng;
    int ids[SD_TOKENS], W = 512, H = 512, STEPS = 20, h, w, i, by_hand = 1;   /* image size in pixels, steps */
    size_t n, k;
    float *context, *latent, *x2, *eps2, *eps, *image, vae_scale;
    unsigned char *rgb;

    /* --sampler NAME [--scheduler KIND] first: section 4b instead of 4a */
    if (argc > 2 && !strcmp(argv[1], "--sampler")) {
        if (!sd_sampler_parse(argv[2], &sampler)) { fprintf(stderr, "unknown sampler '%s'\n", argv[2]); return 2; }
        by_hand = 0; argc -= 2; argv += 2;
        if (argc > 2 && !strcmp(argv[1], "--scheduler")) {
            if (!sd_scheduler_parse(argv[2], &kind)) { fprintf(stderr, "unknown scheduler '%s'\n", argv[2]); return 2; }
            argc -= 2; argv += 2;
        }
    }
    if (argc != 5 && argc != 8 && argc != 9) {
        fprintf(stderr, "usage: %s [--sampler NAME [--scheduler KIND]] MODEL MERGES PROMPT OUT.png [WIDTH HEIGHT STEPS [LATENT.npy]]\n", prog);
        return 2;
    }
    if (argc >= 8) { W = atoi(argv[5]); H = atoi(argv[6]); STEPS = atoi(argv[7]); }
    if (W < 64 || W > 2048 || W % 8 || H < 64 || H > 2048 || H % 8 || STEPS < 1 || STEPS > SD_MAX_STEPS) {
        fprintf(stderr, "width and height: multiples of 8 in 64..2048; steps: 1..%d\n", SD_MAX_STEPS);
        return 2;
    }
    h = H / 8; w = W / 8;
    m = sd_create(NULL);
    sched = (sd_schedule *)malloc(sizeof *sched);
    if (!m || !sched) return 1;
    if (sd_load(m, argv[1]) != SD_OK || sd_load_vocab(m, argv[2]) != SD_OK) {
        fprintf(stderr, "%s\n", sd_error(m));
        return 1;
    }
    sd_model_info(m, &info);
    n = (size_t)info.latent_channels * h * w;   /* the latent [4, h, w] */
    vae_scale = info.vae_scale;   /* the VAE's latent scale: 0.18215 for SD 1.x (scaling_factor in diffusers) */
    context = (float *)malloc(sizeof(float) * 2 * SD_TOKENS * info.text_width);
    latent = (float *)malloc(sizeof(float) * n);
    x2 = (float *)malloc(sizeof(float) * 2 * n);
    eps2 = (float *)malloc(sizeof(float) * 2 * n);
    eps = (float *)malloc(sizeof(float) * n);
    image = (float *)malloc(sizeof(float) * 3 * W * H);
    rgb = (unsigned char *)malloc((size_t)3 * W * H);
    if (!context || !latent || !x2 || !eps2 || !eps || !image || !rgb) { fprintf(stderr, "out of memory\n"); return 1; }

    /* 1-2. text -> context: the unconditional (empty prompt) half first, then the prompt */
    if (sd_tokenize(m, "", ids) != SD_OK || sd_text_encode(m, ids, 1, context) != SD_OK ||
        sd_tokenize(m, argv[3], ids) != SD_OK || sd_text_encode(m, ids, 1, context + SD_TOKENS * info.text_width) != SD_OK) {
        fprintf(stderr, "%s\n", sd_error(m));
        return 1;
    }

    /* 3. the sampler's timetable and the starting noise (torch's generator, seed 42) */
    if (sd_schedule_make(sched, sampler, kind, STEPS, 0.0f) != SD_OK) {
        fprintf(stderr, "%s does not take the %s schedule\n", sd_sampler_name(sampler), sd_scheduler_name(kind));
        return 2;
    }
    sd_rng_seed(&rng, 42);
    sd_randn(&rng, latent, n);
    for (k = 0; k < n; k++) latent[k] *= sched->init_noise_sigma;

    if (by_hand) {
        /* 4a. Euler: each step is one evaluation and a function of the schedule alone */
        for (i = 0; i < STEPS; i++) {
            /* the latent scaled for the UNet (x / sqrt(sigma^2 + 1)), twice */
            sd_scale_input(sched, i, latent, x2, n);
            memcpy(x2 + n, x2, sizeof(float) * n);
            if (guided_eps(m, x2, n, h, w, sched->timesteps[i], context, eps2, eps) != SD_OK) { fprintf(stderr, "%s\n", sd_error(m)); return 1; }
            /* one Euler step from this noise level to the next */
            sd_step(sched, i, eps, latent, NULL, n, &rng);
            fprintf(stderr, "step %d/%d (t = %.1f)\n", i + 1, STEPS, sched->timesteps[i]);
        }
    } else {
        /* 4b. a run: sd_sampling_next gives the UNet's input (in x2) and timestep, the caller
           evaluates it, sd_sampling_update takes the step. DPM++ 2M extrapolates from the last two
           denoised estimates, so the run keeps the last one in `work`, sd_sampling_work(sampler)
           latents of the caller's memory (heun and dpm2 evaluate twice a step instead) */
        size_t nw = sd_sampling_work(sampler) * n;
        float *work = nw ? (float *)malloc(sizeof(float) * nw) : NULL, t;
        sd_sampling run;
        if (nw && !work) { fprintf(stderr, "out of memory\n"); return 1; }
        sd_sampling_begin(&run, sched, 0, latent, n, work, &rng);   /* from step 0; noise from rng */
        while (sd_sampling_next(&run, x2, &t)) {
            float sigma = run.sigma;
            memcpy(x2 + n, x2, sizeof(float) * n);
            if (guided_eps(m, x2, n, h, w, t, context, eps2, eps) != SD_OK) { fprintf(stderr, "%s\n", sd_error(m)); return 1; }
            sd_sampling_update(&run, eps, NULL);
            fprintf(stderr, "%s evaluation %d/%d (sigma %.4f, t = %.2f)\n", sd_sampler_name(sampler), run.evals, run.total, sigma, t);
        }
        free(work);
    }

    if (argc == 9) {   /* the final latent, as the sd tool's --latent-out writes it */
        int64_t shape[4];
        shape[0] = 1; shape[1] = info.latent_channels; shape[2] = h; shape[3] = w;
        if (sd_npy_write(m, argv[8], latent, 4, shape) != SD_OK) { fprintf(stderr, "%s\n", sd_error(m)); return 1; }
    }

    /* 5. the VAE decodes latent / vae_scale into [-1, 1]; then to bytes */
    for (k = 0; k < n; k++) latent[k] /= vae_scale;
    if (sd_vae_decode(m, latent, h, w, image) != SD_OK) { fprintf(stderr, "%s\n", sd_error(m)); return 1; }
    for (k = 0; k < (size_t)W * H; k++) {
        int c;
        for (c = 0; c < 3; c++) {
            float v = image[(size_t)c * W * H + k] / 2.0f + 0.5f;
            rgb[3 * k + c] = (unsigned char)rintf((v < 0 ? 0 : v > 1 ? 1 : v) * 255.0f);   /* halves to even */
        }
    }
    if (!sdpng_write_file(argv[4], rgb, W, H, 3, NULL, 0)) { fprintf(stderr, "cannot write %s\n", argv[4]); return 1; }
    fprintf(stderr, "wrote %s\n", argv[4]);

    free(context); free(latent); free(x2); free(eps2); free(eps); free(image); free(rgb); free(sched);
    sd_free(m);
    return 0;
}
