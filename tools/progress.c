/* progress.c: see progress.h. */
#include "progress.h"

#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void progress_begin(progress *p, const char *label, long total) {
    const char *env = getenv("MOSA_PROGRESS");
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->t0 = time_now();
    p->last_draw = 0;
    p->enabled = env ? atoi(env) != 0 : isatty(2);
}

static void draw(progress *p, long done) {
    const int width = 30;
    const double el = time_now() - p->t0;
    const int fill = (int)((double)width * (double)done / (double)p->total);
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[width] = 0;
    const double per = done > 0 ? el / (double)done : 0;
    const double eta = per * (double)(p->total - done);
    if (per >= 1.0 || per == 0)
        fprintf(stderr, "\r%s [%s] %ld/%ld - %.2fs/it, ETA %.0fs ", p->label, bar, done, p->total, per, eta);
    else
        fprintf(stderr, "\r%s [%s] %ld/%ld - %.1fit/s, ETA %.0fs ", p->label, bar, done, p->total, 1.0 / per, eta);
    fflush(stderr);
}

void progress_update(progress *p, long done) {
    if (!p->enabled) return;
    double now = time_now();
    if (done < p->total && now - p->last_draw < 0.1) return;
    p->last_draw = now;
    draw(p, done);
}

void progress_end(progress *p) {
    if (!p->enabled) return;
    draw(p, p->total);
    fputc('\n', stderr);
}
