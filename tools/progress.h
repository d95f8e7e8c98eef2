/* progress.h: a one-line progress bar on stderr in sd-cli's style
 * ("[=====>    ] 120/1000 - 0.01s/it, ETA 9s"), drawn only when stderr is a terminal (or
 * MOSA_PROGRESS=1), so logs and pipes stay clean. Part of the CLI: the library never prints. */
#ifndef MOSA_PROGRESS_H
#define MOSA_PROGRESS_H

typedef struct progress {
    const char *label;
    long total;
    double t0, last_draw;
    int enabled;
} progress;

void progress_begin(progress *p, const char *label, long total);
void progress_update(progress *p, long done);
void progress_end(progress *p);

#endif
