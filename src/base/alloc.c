/* alloc.c: counted heap allocation and the step arena.
 *
 * Every heap allocation mosa makes goes through mosa_malloc & co, which count successful calls.
 * Tests read mosa_alloc_count() before and after a training step to prove the step allocates
 * nothing once the arena has grown to its peak. */
#include "base.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t g_allocs;

uint64_t mosa_alloc_count(void) { return atomic_load(&g_allocs); }

void *mosa_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        mosa_fail(MOSA_ERR_NOMEM, "out of memory allocating %zu bytes", n);
        return NULL;
    }
    atomic_fetch_add(&g_allocs, 1);
    return p;
}

void *mosa_calloc(size_t n, size_t size) {
    size_t total;
    if (!mosa_mul_ok(n, size, &total)) {
        mosa_fail(MOSA_ERR_NOMEM, "allocation size overflows (%zu x %zu)", n, size);
        return NULL;
    }
    void *p = calloc(total ? total : 1, 1);
    if (!p) {
        mosa_fail(MOSA_ERR_NOMEM, "out of memory allocating %zu bytes", total);
        return NULL;
    }
    atomic_fetch_add(&g_allocs, 1);
    return p;
}

void *mosa_aligned_alloc(size_t n) {
    size_t rounded;
    if (!mosa_add_ok(n, 63, &rounded)) {
        mosa_fail(MOSA_ERR_NOMEM, "allocation size overflows (%zu bytes)", n);
        return NULL;
    }
    rounded &= ~(size_t)63;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) {
        mosa_fail(MOSA_ERR_NOMEM, "out of memory allocating %zu bytes", n);
        return NULL;
    }
    atomic_fetch_add(&g_allocs, 1);
    return p;
}

void *mosa_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        mosa_fail(MOSA_ERR_NOMEM, "out of memory reallocating to %zu bytes", n);
        return NULL;
    }
    atomic_fetch_add(&g_allocs, 1);
    return q;
}

void mosa_free(void *p) { free(p); }

char *mosa_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = mosa_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ------------------------------------------------------------------------------------------ */
/* Arena                                                                                       */
/* ------------------------------------------------------------------------------------------ */

struct arena_chunk {
    arena_chunk *prev;
    size_t cap;  /* usable bytes in data[] */
    size_t used;
    _Alignas(64) unsigned char data[];
};

static arena_chunk *chunk_new(size_t cap) {
    arena_chunk *c = mosa_aligned_alloc(sizeof(arena_chunk) + cap);
    if (!c) return NULL;
    c->prev = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

void arena_init(arena *a, size_t initial_bytes) {
    memset(a, 0, sizeof *a);
    if (initial_bytes) {
        a->head = chunk_new(initial_bytes);
        if (a->head) a->capacity = initial_bytes;
    }
}

void *arena_alloc(arena *a, size_t bytes) {
    size_t n;
    if (!mosa_add_ok(bytes, 63, &n)) {
        mosa_fail(MOSA_ERR_NOMEM, "arena request of %zu bytes overflows", bytes);
        return NULL;
    }
    n &= ~(size_t)63;
    if (n == 0) n = 64;
    if (a->limit && a->used_total + n > a->limit) {
        mosa_fail(MOSA_ERR_NOMEM, "step memory limit of %zu MiB exceeded (wanted %zu more bytes)",
                  a->limit >> 20, n);
        return NULL;
    }
    arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n;
        size_t grow = a->capacity; /* at least double the total so growth is geometric */
        if (grow > cap) cap = grow;
        if (cap < ((size_t)1 << 20)) cap = (size_t)1 << 20;
        arena_chunk *nc = chunk_new(cap);
        if (!nc) return NULL;
        nc->prev = c;
        a->head = nc;
        a->capacity += cap;
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used_total += n;
    if (a->used_total > a->peak) a->peak = a->used_total;
    return p;
}

void *arena_calloc(arena *a, size_t bytes) {
    void *p = arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void arena_reset(arena *a) {
    arena_chunk *c = a->head;
    if (c && c->prev) {
        /* More than one chunk: replace them all by one chunk that holds the peak. */
        size_t cap = a->peak + (a->peak >> 3);
        while (c) {
            arena_chunk *p = c->prev;
            mosa_free(c);
            c = p;
        }
        a->head = chunk_new(cap);
        a->capacity = a->head ? cap : 0;
    } else if (c) {
        c->used = 0;
    }
    a->used_total = 0;
}

void arena_free(arena *a) {
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *p = c->prev;
        mosa_free(c);
        c = p;
    }
    memset(a, 0, sizeof *a);
}

arena_mark arena_get_mark(const arena *a) {
    arena_mark m = {a->head, a->head ? a->head->used : 0, a->used_total};
    return m;
}

void arena_release(arena *a, arena_mark m) {
    /* Only memory from the marked chunk can be released; newer chunks stay until reset. */
    if (a->head == m.chunk && m.chunk) {
        a->head->used = m.used;
        a->used_total = m.used_total;
    }
}
