/* tokenizer.c: words -> token ids with WordNet for out-of-vocabulary words (see tokenizer.h).
 *
 * The vocabulary is an array of words with an open-addressing hash for lookups. Its WordNet
 * lemma index ("v:run" -> the most frequent vocabulary word whose verb lemma is run) is built
 * on the first out-of-vocabulary word, and OOV mappings are cached; both live behind the one
 * WordNet mutex (WordNet's C library keeps global state), so a const vocabulary may be used from
 * several threads. Words in the vocabulary never touch WordNet.
 * Not here: the encoder (encoder.c) and motion-prompt extraction (prompt.c). */
#include "tokenizer.h"

#include "prompt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wn.h>

#define VOCAB_MAX_WORDS 1000000
#define VOCAB_MAX_BYTES (64u << 20)
#define TOK_CACHE_MAX 65536 /* OOV mappings remembered per vocabulary */
#define TOK_HYPER_LEVELS 3
#define TOK_READING_MAX 2 /* tokens of one OOV word's reading (a definition; 4 read glosses too far) */

/* What an out-of-vocabulary word is read as: 1 id (or TEXT_UNK), or up to TOK_READING_MAX for a
 * definition reading. */
typedef struct tok_reading {
    int n;
    int ids[TOK_READING_MAX];
    text_map_kind how;
} tok_reading;

static const char *const k_specials[TEXT_SPECIALS] = {"<pad>", "<unk>", "<bos>", "<eos>"};
static const int k_pos[4] = {VERB, NOUN, ADJ, ADV};
static const char k_pos_char[5] = "xnvar"; /* indexed by WordNet's pos numbers 1..4 */

/* ---- a string -> int hash map (owns its keys) ---- */

typedef struct smap {
    char **keys;
    int *vals;
    int cap, n; /* cap: power of two */
} smap;

static uint64_t tok__hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void smap_free(smap *m) {
    for (int i = 0; i < m->cap; i++) mosa_free(m->keys ? m->keys[i] : NULL);
    mosa_free(m->keys);
    mosa_free(m->vals);
    memset(m, 0, sizeof *m);
}

static int smap_get(const smap *m, const char *k) {
    if (!m->cap) return -1;
    for (uint64_t i = tok__hash(k) & (uint64_t)(m->cap - 1);; i = (i + 1) & (uint64_t)(m->cap - 1)) {
        if (!m->keys[i]) return -1;
        if (strcmp(m->keys[i], k) == 0) return m->vals[i];
    }
}

static int smap_grow(smap *m) {
    int nc = m->cap ? m->cap * 2 : 64;
    char **nk = mosa_calloc((size_t)nc, sizeof *nk);
    int *nv = mosa_calloc((size_t)nc, sizeof *nv);
    if (!nk || !nv) {
        mosa_free(nk), mosa_free(nv);
        return -1;
    }
    for (int i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            uint64_t j = tok__hash(m->keys[i]) & (uint64_t)(nc - 1);
            while (nk[j]) j = (j + 1) & (uint64_t)(nc - 1);
            nk[j] = m->keys[i], nv[j] = m->vals[i];
        }
    mosa_free(m->keys), mosa_free(m->vals);
    m->keys = nk, m->vals = nv, m->cap = nc;
    return 0;
}

/* Inserts k -> v unless k is present (keeps the first value). 0 ok, -1 out of memory. */
static int smap_put(smap *m, const char *k, int v) {
    if (2 * (m->n + 1) > m->cap && smap_grow(m) != 0) return -1;
    uint64_t i = tok__hash(k) & (uint64_t)(m->cap - 1);
    for (; m->keys[i]; i = (i + 1) & (uint64_t)(m->cap - 1))
        if (strcmp(m->keys[i], k) == 0) return 0;
    m->keys[i] = mosa_strdup(k);
    if (!m->keys[i]) return -1;
    m->vals[i] = v;
    m->n++;
    return 0;
}

/* ---- the vocabulary ---- */

struct text_vocab {
    int n;         /* words including the specials */
    char **words;  /* n; specials are static strings */
    uint8_t *direct; /* n or NULL: 1 = read when written, never a reading of another word */
    smap index;    /* word -> id */
    /* behind g_wn_lock: */
    int lemma_ready;
    smap lemmas;   /* "v:run" -> id */
    smap cache;    /* oov word -> index into readings */
    tok_reading *readings;
    int nreadings, capreadings;
};

static pthread_mutex_t g_wn_lock = PTHREAD_MUTEX_INITIALIZER;

void text_wordnet_lock(void) { pthread_mutex_lock(&g_wn_lock); }
void text_wordnet_unlock(void) { pthread_mutex_unlock(&g_wn_lock); }

void text_vocab_free(text_vocab *v) {
    if (!v) return;
    for (int i = TEXT_SPECIALS; i < v->n; i++) mosa_free(v->words[i]);
    mosa_free(v->words);
    mosa_free(v->direct);
    smap_free(&v->index);
    smap_free(&v->lemmas);
    smap_free(&v->cache);
    mosa_free(v->readings);
    mosa_free(v);
}

int text_vocab_size(const text_vocab *v) { return v ? v->n : 0; }

const char *text_vocab_word(const text_vocab *v, int id) {
    if (!v || id < 0 || id >= v->n) return NULL;
    return v->words[id];
}

int text_vocab_find(const text_vocab *v, const char *word) {
    if (!v || !word) return -1;
    int id = smap_get(&v->index, word);
    return id >= TEXT_SPECIALS ? id : -1;
}

mosa_status text_vocab_set_direct(text_vocab *v, int id) {
    if (!v || id < TEXT_SPECIALS || id >= v->n) return mosa_fail(MOSA_ERR_ARG, "text_vocab_set_direct: no word %d", id);
    if (v->lemma_ready || v->cache.n > 0)
        return mosa_fail(MOSA_ERR_ARG, "text_vocab_set_direct: the vocabulary has been used to read text");
    if (!v->direct && !(v->direct = mosa_calloc((size_t)v->n, 1))) return MOSA_ERR_NOMEM;
    v->direct[id] = 1;
    return MOSA_OK;
}

int text_vocab_is_direct(const text_vocab *v, int id) {
    return v && v->direct && id >= 0 && id < v->n && v->direct[id];
}

/* A word's id when unknown words may be read as it (not a direct-only word), else -1. */
static int tok__target(const text_vocab *v, const char *word) {
    int id = text_vocab_find(v, word);
    return id >= 0 && text_vocab_is_direct(v, id) ? -1 : id;
}

/* A new vocabulary of the specials plus `words` (taken over). */
static mosa_status vocab__make(text_vocab **out, char **words, int nw) {
    text_vocab *v = mosa_calloc(1, sizeof *v);
    if (!v) return MOSA_ERR_NOMEM;
    v->words = mosa_calloc((size_t)nw + TEXT_SPECIALS, sizeof(char *));
    if (!v->words) {
        mosa_free(v);
        return MOSA_ERR_NOMEM;
    }
    for (int i = 0; i < TEXT_SPECIALS; i++) v->words[i] = (char *)k_specials[i];
    v->n = TEXT_SPECIALS;
    for (int i = 0; i < nw; i++) {
        v->words[v->n] = words[i];
        if (smap_put(&v->index, words[i], v->n) != 0) {
            for (int k = i + 1; k < nw; k++) mosa_free(words[k]);
            v->n++;
            text_vocab_free(v);
            return mosa_fail(MOSA_ERR_NOMEM, "text vocabulary: out of memory");
        }
        v->n++;
    }
    *out = v;
    return MOSA_OK;
}

/* ---- word splitting ---- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid; *cp gets the code point. */
static int utf8_decode(const unsigned char *s, unsigned *cp) {
    unsigned c = s[0];
    *cp = c;
    if (c < 0x80) return 1;
    int n;
    unsigned min;
    if ((c & 0xE0) == 0xC0) n = 2, min = 0x80, c &= 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 3, min = 0x800, c &= 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 4, min = 0x10000, c &= 0x07;
    else return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

static int utf8_len(const unsigned char *s) {
    unsigned cp;
    return utf8_decode(s, &cp);
}

static int is_alnum_ascii(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

enum { CH_SEP = 0, CH_WORD = 1, CH_APOS = 2 };

/* What the character at s is: a separator, a word character (ASCII letters and digits, and
 * non-ASCII characters outside the punctuation, space and symbol blocks below), or an
 * apostrophe (' and the typographic ones, U+2018, U+2019, U+02BC). *n gets its length in
 * bytes; -1 for invalid UTF-8. */
static int tok__class(const unsigned char *s, int *n) {
    unsigned cp;
    *n = utf8_decode(s, &cp);
    if (*n == 0) return -1;
    if (cp < 0x80) return is_alnum_ascii((unsigned char)cp) ? CH_WORD : cp == '\'' ? CH_APOS : CH_SEP;
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC) return CH_APOS;
    if ((cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||     /* Latin-1 controls, NBSP, quotes, symbols */
        (cp >= 0x2000 && cp <= 0x2BFF) ||                             /* spaces, dashes, quotes, arrows, symbols */
        (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) || /* CJK punctuation */
        (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || cp == 0xFEFF ||
        (cp >= 0x1F000 && cp <= 0x1FAFF))                             /* emoji */
        return CH_SEP;
    return CH_WORD;
}

/* Calls fn for every word of text (lower case; typographic apostrophes written as '; words
 * over TEXT_WORD_MAX - 1 bytes are passed as "" so the caller can make them UNK). Returns -1 on
 * invalid UTF-8, else the number of words. */
typedef int (*word_fn)(void *user, const char *word);

static int tok__split(const char *text, word_fn fn, void *user) {
    const unsigned char *s = (const unsigned char *)text;
    char w[TEXT_WORD_MAX];
    int len = 0, over = 0, count = 0, inword = 0;
    for (size_t i = 0;;) {
        unsigned char c = s[i];
        int n = 1, cls = CH_SEP;
        if (c) cls = tok__class(s + i, &n);
        if (cls < 0) return -1;
        /* an apostrophe between two word characters stays inside the word ("person's") */
        if (cls == CH_APOS) {
            int n2 = 1;
            cls = inword && s[i + n] && tok__class(s + i + n, &n2) == CH_WORD ? CH_APOS : CH_SEP;
        }
        if (cls != CH_SEP) {
            if (len + n < TEXT_WORD_MAX) {
                if (cls == CH_APOS) w[len++] = '\'';
                else
                    for (int k = 0; k < n; k++) {
                        unsigned char ch = s[i + k];
                        w[len++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
                    }
            } else {
                over = 1;
            }
            inword = 1;
        } else if (inword) {
            w[len] = 0;
            if (fn && fn(user, over ? "" : w) != 0) return count + 1;
            count++;
            len = 0, over = 0, inword = 0;
        }
        if (!c) break;
        i += (size_t)n;
    }
    return count;
}

/* Whether w is a word the splitter can produce (for vocabulary parsing). */
static int tok__word_valid(const char *w) {
    size_t n = strlen(w);
    if (n == 0 || n >= TEXT_WORD_MAX) return 0;
    if (w[0] == '\'' || w[n - 1] == '\'') return 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)w[i];
        int l = utf8_len((const unsigned char *)w + i);
        if (l == 0) return 0;
        if (l == 1 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '\'' && w[i + 1] != '\'')))
            return 0;
        int cl;
        if (l > 1 && tok__class((const unsigned char *)w + i, &cl) != CH_WORD) return 0;
        i += (size_t)l;
    }
    return 1;
}

/* ---- building, serialising, parsing ---- */

typedef struct count_ctx {
    smap ids;      /* word -> index into words/counts */
    char **words;
    int *counts;
    int n, cap, oom;
} count_ctx;

static int count_word(void *user, const char *w) {
    count_ctx *c = (count_ctx *)user;
    if (!*w) return 0; /* overlong: never a vocabulary word */
    int id = smap_get(&c->ids, w);
    if (id >= 0) {
        c->counts[id]++;
        return 0;
    }
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 256;
        char **nw = mosa_realloc(c->words, sizeof(char *) * (size_t)nc);
        if (nw) c->words = nw;
        int *ncnt = mosa_realloc(c->counts, sizeof(int) * (size_t)nc);
        if (ncnt) c->counts = ncnt;
        if (!nw || !ncnt) return c->oom = 1;
        c->cap = nc;
    }
    c->words[c->n] = mosa_strdup(w);
    if (!c->words[c->n] || smap_put(&c->ids, w, c->n) != 0) {
        mosa_free(c->words[c->n]);
        return c->oom = 1;
    }
    c->counts[c->n++] = 1;
    return 0;
}

static const count_ctx *g_sort_ctx; /* only inside text_vocab_build's qsort; guarded below */
static pthread_mutex_t g_sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int by_count(const void *a, const void *b) {
    int i = *(const int *)a, j = *(const int *)b;
    int ci = g_sort_ctx->counts[i], cj = g_sort_ctx->counts[j];
    if (ci != cj) return ci > cj ? -1 : 1;
    return strcmp(g_sort_ctx->words[i], g_sort_ctx->words[j]);
}

mosa_status text_vocab_build(text_vocab **out, const char *const *texts, int n, int min_count, int max_words) {
    if (!out) return mosa_fail(MOSA_ERR_ARG, "text_vocab_build: NULL output");
    *out = NULL;
    if (n < 0 || (n > 0 && !texts)) return mosa_fail(MOSA_ERR_ARG, "text_vocab_build: need n >= 0 texts (n = %d)", n);
    if (max_words <= 0 || max_words > VOCAB_MAX_WORDS) max_words = VOCAB_MAX_WORDS;
    count_ctx c;
    memset(&c, 0, sizeof c);
    mosa_status st = MOSA_OK;
    for (int i = 0; i < n && st == MOSA_OK; i++) {
        if (!texts[i]) st = mosa_fail(MOSA_ERR_ARG, "text_vocab_build: text %d is NULL", i);
        else if (tok__split(texts[i], count_word, &c) < 0)
            st = mosa_fail(MOSA_ERR_ARG, "text_vocab_build: text %d is not valid UTF-8", i);
        else if (c.oom) st = mosa_fail(MOSA_ERR_NOMEM, "text_vocab_build: out of memory");
    }
    int *order = NULL, nk = 0;
    char **kept = NULL;
    if (st == MOSA_OK) {
        order = mosa_malloc(sizeof(int) * (size_t)(c.n ? c.n : 1));
        if (!order) st = mosa_fail(MOSA_ERR_NOMEM, "text_vocab_build: out of memory");
    }
    if (st == MOSA_OK) {
        for (int i = 0; i < c.n; i++) order[i] = i;
        pthread_mutex_lock(&g_sort_lock);
        g_sort_ctx = &c;
        qsort(order, (size_t)c.n, sizeof(int), by_count);
        g_sort_ctx = NULL;
        pthread_mutex_unlock(&g_sort_lock);
        kept = mosa_malloc(sizeof(char *) * (size_t)(c.n ? c.n : 1));
        if (!kept) st = MOSA_ERR_NOMEM;
        for (int i = 0; st == MOSA_OK && i < c.n && nk < max_words; i++) {
            if (c.counts[order[i]] < min_count) break;
            kept[nk] = mosa_strdup(c.words[order[i]]);
            if (!kept[nk]) st = MOSA_ERR_NOMEM;
            else nk++;
        }
    }
    if (st == MOSA_OK) st = vocab__make(out, kept, nk);
    else
        for (int i = 0; i < nk; i++) mosa_free(kept[i]);
    mosa_free(kept);
    mosa_free(order);
    for (int i = 0; i < c.n; i++) mosa_free(c.words[i]);
    mosa_free(c.words);
    mosa_free(c.counts);
    smap_free(&c.ids);
    return st;
}

mosa_status text_vocab_serialize(const text_vocab *v, char **out) {
    if (!v || !out) return mosa_fail(MOSA_ERR_ARG, "text_vocab_serialize: NULL argument");
    size_t total = 1;
    for (int i = TEXT_SPECIALS; i < v->n; i++) total += strlen(v->words[i]) + 2;
    char *s = mosa_malloc(total);
    if (!s) return MOSA_ERR_NOMEM;
    size_t o = 0;
    for (int i = TEXT_SPECIALS; i < v->n; i++) {
        if (i > TEXT_SPECIALS) s[o++] = ' ';
        if (text_vocab_is_direct(v, i)) s[o++] = '+';
        size_t l = strlen(v->words[i]);
        memcpy(s + o, v->words[i], l);
        o += l;
    }
    s[o] = 0;
    *out = s;
    return MOSA_OK;
}

mosa_status text_vocab_parse(text_vocab **out, const char *s) {
    if (!out) return mosa_fail(MOSA_ERR_ARG, "text_vocab_parse: NULL output");
    *out = NULL;
    if (!s) return mosa_fail(MOSA_ERR_ARG, "text_vocab_parse: NULL string");
    size_t len = strnlen(s, VOCAB_MAX_BYTES + 1);
    if (len > VOCAB_MAX_BYTES)
        return mosa_fail(MOSA_ERR_ARG, "text vocabulary: longer than %u bytes; not a vocabulary string", VOCAB_MAX_BYTES);
    int nw = 0;
    if (len > 0) {
        nw = 1;
        for (size_t i = 0; i < len; i++) nw += s[i] == ' ';
    }
    if (nw > VOCAB_MAX_WORDS)
        return mosa_fail(MOSA_ERR_ARG, "text vocabulary: %d words, more than %d", nw, VOCAB_MAX_WORDS);
    char **words = mosa_calloc((size_t)(nw ? nw : 1), sizeof(char *));
    uint8_t *direct = mosa_calloc((size_t)(nw ? nw : 1), 1);
    int any_direct = 0;
    if (!words || !direct) {
        mosa_free(words);
        mosa_free(direct);
        return MOSA_ERR_NOMEM;
    }
    smap seen = {0};
    mosa_status st = MOSA_OK;
    int k = 0;
    for (size_t i = 0; k < nw && st == MOSA_OK; k++) {
        if (i < len && s[i] == '+') { /* a direct-only word (text_vocab_set_direct) */
            direct[k] = 1;
            any_direct = 1;
            i++;
        }
        size_t j = i;
        while (j < len && s[j] != ' ') j++;
        size_t wl = j - i;
        char w[TEXT_WORD_MAX];
        if (wl == 0 || wl >= TEXT_WORD_MAX) {
            st = mosa_fail(MOSA_ERR_ARG, "text vocabulary: word %d is %s (words are 1..%d bytes, one space apart)",
                           k + 1, wl == 0 ? "empty" : "too long", TEXT_WORD_MAX - 1);
            break;
        }
        memcpy(w, s + i, wl);
        w[wl] = 0;
        if (!tok__word_valid(w))
            st = mosa_fail(MOSA_ERR_ARG,
                           "text vocabulary: word %d is not a tokenizer word (lower-case letters, digits, inner "
                           "apostrophes, UTF-8): the string is corrupt",
                           k + 1);
        else if (smap_get(&seen, w) >= 0)
            st = mosa_fail(MOSA_ERR_ARG, "text vocabulary: word %d ('%s') appears twice: the string is corrupt", k + 1, w);
        else if (smap_put(&seen, w, k) != 0 || !(words[k] = mosa_strdup(w)))
            st = mosa_fail(MOSA_ERR_NOMEM, "text vocabulary: out of memory");
        i = j + 1;
    }
    smap_free(&seen);
    if (st != MOSA_OK) {
        for (int i = 0; i < nw; i++) mosa_free(words[i]);
        mosa_free(words);
        mosa_free(direct);
        return st;
    }
    st = vocab__make(out, words, nw);
    mosa_free(words);
    for (int k2 = 0; k2 < nw && st == MOSA_OK && any_direct; k2++)
        if (direct[k2]) st = text_vocab_set_direct(*out, TEXT_SPECIALS + k2);
    if (st != MOSA_OK && *out) text_vocab_free(*out), *out = NULL;
    mosa_free(direct);
    return st;
}

/* ---- WordNet (callers hold g_wn_lock) ---- */

static int wn__ok = 0;

static mosa_status wn__init(void) {
    if (wn__ok) return MOSA_OK;
    MOSA_TRY(prompt_wordnet_init());
    wn__ok = 1;
    return MOSA_OK;
}

/* Lemmas of word for pos (the word itself first when WordNet has it): up to max. */
static int wn__lemmas(const char *word, int pos, char lem[][TEXT_WORD_MAX], int max) {
    char buf[TEXT_WORD_MAX];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", word);
    if (in_wn(buf, pos)) snprintf(lem[n++], TEXT_WORD_MAX, "%s", word);
    snprintf(buf, sizeof buf, "%s", word);
    for (char *m = morphstr(buf, pos); m && n < max; m = morphstr(NULL, pos)) {
        int dup = 0;
        for (int k = 0; k < n && !dup; k++) dup = strcmp(lem[k], m) == 0;
        if (!dup && strlen(m) < TEXT_WORD_MAX) snprintf(lem[n++], TEXT_WORD_MAX, "%s", m);
    }
    return n;
}

static void lemma_key(char *key, size_t cap, int pos, const char *lemma) {
    snprintf(key, cap, "%c:%s", k_pos_char[pos], lemma);
}

/* Builds the lemma index of the vocabulary: every word's lemmas (all four parts of speech) ->
 * its id; the most frequent word (lowest id) wins, except that a word equal to the lemma is
 * preferred ("walk" over "walks" when both are present). */
static mosa_status wn__lemma_index(text_vocab *v) {
    if (v->lemma_ready) return MOSA_OK;
    char lem[8][TEXT_WORD_MAX], key[TEXT_WORD_MAX + 4];
    for (int pass = 0; pass < 2; pass++)
        for (int id = TEXT_SPECIALS; id < v->n; id++)
            for (int p = 0; p < 4 && !text_vocab_is_direct(v, id); p++) {
                int nl = wn__lemmas(v->words[id], k_pos[p], lem, 8);
                for (int k = 0; k < nl; k++) {
                    if ((pass == 0) != (strcmp(lem[k], v->words[id]) == 0)) continue;
                    lemma_key(key, sizeof key, k_pos[p], lem[k]);
                    if (smap_put(&v->lemmas, key, id) != 0) return mosa_fail(MOSA_ERR_NOMEM, "tokenizer: out of memory");
                }
            }
    v->lemma_ready = 1;
    return MOSA_OK;
}

/* A WordNet synset word ("pelt_along") -> vocabulary id via the lemma index; -1 if none. */
static int wn__synword(const text_vocab *v, const char *w, int pos) {
    if (strchr(w, '_') || strchr(w, ' ') || strlen(w) >= TEXT_WORD_MAX) return -1;
    char low[TEXT_WORD_MAX], key[TEXT_WORD_MAX + 4];
    size_t n = strlen(w);
    for (size_t i = 0; i <= n; i++) low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
    lemma_key(key, sizeof key, pos, low);
    int id = smap_get(&v->lemmas, key);
    if (id < 0) id = tok__target(v, low);
    return id;
}

/* Checks the words of a synset list; returns an id or -1. */
static int wn__scan(const text_vocab *v, SynsetPtr s, int pos) {
    for (int i = 0; i < s->wcount; i++) {
        int id = wn__synword(v, s->words[i], pos);
        if (id >= 0) return id;
    }
    return -1;
}

#define WN_MAX_FRONTIER 64

/* Hypernym steps from a noun synset to the top of WordNet's noun hierarchy (shortest path; 0 for
 * "entity"), at most 32. */
static int wn__noun_depth(long off) {
    long frontier[WN_MAX_FRONTIER], next[WN_MAX_FRONTIER];
    int nf = 1;
    frontier[0] = off;
    for (int d = 0; d < 32; d++) {
        int nn = 0;
        for (int f = 0; f < nf; f++) {
            SynsetPtr s = read_synset(NOUN, frontier[f], "");
            if (!s) continue;
            int up = 0;
            for (int q = 0; q < s->ptrcount; q++)
                if ((s->ptrtyp[q] == HYPERPTR || s->ptrtyp[q] == INSTANCE) && s->ppos[q] == NOUN) {
                    up = 1;
                    if (nn < WN_MAX_FRONTIER) next[nn++] = s->ptroff[q];
                }
            free_synset(s);
            if (!up) return d;
        }
        if (nn == 0) return d;
        memcpy(frontier, next, sizeof(long) * (size_t)nn);
        nf = nn;
    }
    return 32;
}

/* Nouns this close to the top ("object", "whole", "physical entity") say nothing about a motion:
 * a word whose nearest vocabulary hypernym is one of them stays unknown. */
#define TOK_NOUN_MIN_DEPTH 4

/* The first vocabulary word (via the lemma index) in the synsets `level` steps from the senses
 * of lemma (pos), senses in WordNet's order, breadth first; -1 if none. level > 0 climbs
 * hypernyms, level -1 looks one step down at hyponyms ("staircase" -> "stairs"). */
static int wn__senses_at(const text_vocab *v, const char *lemma, int pos, int level) {
    char buf[TEXT_WORD_MAX];
    snprintf(buf, sizeof buf, "%s", lemma);
    IndexPtr ix = index_lookup(buf, pos);
    if (!ix) return -1;
    int found = -1;
    int steps = level < 0 ? -level : level;
    for (int sn = 0; sn < ix->off_cnt && found < 0; sn++) {
        long frontier[WN_MAX_FRONTIER], next[WN_MAX_FRONTIER];
        int nf = 1;
        frontier[0] = (long)ix->offset[sn];
        for (int l = 0; l < steps && nf > 0; l++) {
            int nn = 0;
            for (int f = 0; f < nf; f++) {
                SynsetPtr s = read_synset(pos, frontier[f], "");
                if (!s) continue;
                for (int q = 0; q < s->ptrcount; q++) {
                    int up = s->ptrtyp[q] == HYPERPTR || s->ptrtyp[q] == INSTANCE;
                    int down = s->ptrtyp[q] == HYPOPTR || s->ptrtyp[q] == INSTANCES;
                    if ((level > 0 ? up : down) && s->ppos[q] == pos && nn < WN_MAX_FRONTIER) next[nn++] = s->ptroff[q];
                }
                free_synset(s);
            }
            memcpy(frontier, next, sizeof(long) * (size_t)nn);
            nf = nn;
        }
        for (int f = 0; f < nf && found < 0; f++) {
            if (pos == NOUN && level > 0 && wn__noun_depth(frontier[f]) < TOK_NOUN_MIN_DEPTH) continue;
            SynsetPtr s = read_synset(pos, frontier[f], "");
            if (!s) continue;
            found = wn__scan(v, s, pos);
            free_synset(s);
        }
    }
    free_index(ix);
    return found;
}

/* 1 when a noun sense of lemma (its first, most frequent one if first_only) is a kind of
 * person (person.n.01 within PERSON_LEVELS hypernym steps): "man", "girl", "dancer". */
#define PERSON_LEVELS 8
static int wn__is_person(const char *lemma, int first_only) {
    char buf[TEXT_WORD_MAX];
    long target[2] = {-1, -1}; /* person.n.01 and homo.n.02 ("human being", a hominid in WordNet) */
    const char *tw[2] = {"person", "human_being"};
    for (int k = 0; k < 2; k++) {
        snprintf(buf, sizeof buf, "%s", tw[k]);
        IndexPtr px = index_lookup(buf, NOUN);
        if (px && px->off_cnt > 0) target[k] = (long)px->offset[0];
        if (px) free_index(px);
    }
    snprintf(buf, sizeof buf, "%s", lemma);
    IndexPtr ix = index_lookup(buf, NOUN);
    if (!ix) return 0;
    int hit = 0;
    for (int sn = 0; sn < (first_only ? 1 : ix->off_cnt) && !hit; sn++) {
        long frontier[WN_MAX_FRONTIER], next[WN_MAX_FRONTIER];
        int nf = 1;
        frontier[0] = (long)ix->offset[sn];
        for (int l = 0; l <= PERSON_LEVELS && nf > 0 && !hit; l++) {
            int nn = 0;
            for (int f = 0; f < nf && !hit; f++) {
                if (frontier[f] == target[0] || frontier[f] == target[1]) {
                    hit = 1;
                    break;
                }
                SynsetPtr s = read_synset(NOUN, frontier[f], "");
                if (!s) continue;
                for (int q = 0; q < s->ptrcount; q++)
                    if ((s->ptrtyp[q] == HYPERPTR || s->ptrtyp[q] == INSTANCE) && s->ppos[q] == NOUN &&
                        nn < WN_MAX_FRONTIER)
                        next[nn++] = s->ptroff[q];
                free_synset(s);
            }
            memcpy(frontier, next, sizeof(long) * (size_t)nn);
            nf = nn;
        }
    }
    free_index(ix);
    return hit;
}

/* Words of a definition that carry no motion of their own (articles, pronouns, conjunctions,
 * prepositions of relation): a closed class of English, not a list of motions. Prepositions of
 * direction ("up", "down", "forward") are kept: "ascend" is "travel up". */
static const char *const k_gloss_skip[] = {
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "into", "on", "onto", "at", "by", "with",
    "without", "for", "from", "as", "than", "before", "after", "during", "while", "until", "then", "that", "which",
    "who", "whom", "whose", "this", "these", "those", "it", "its", "one", "one's", "ones", "someone", "someone's",
    "something", "somebody", "oneself", "be", "is", "are", "was", "being", "have", "has", "having", "do", "does",
    "so", "such", "if", "not", "no", "usually", "often", "especially", "e", "g", "etc", "very", "some", "any",
    "other", "another", "make", "cause", "give"};

static int wn__gloss_skip(const char *w) {
    for (size_t i = 0; i < sizeof k_gloss_skip / sizeof *k_gloss_skip; i++)
        if (!strcmp(w, k_gloss_skip[i])) return 1;
    return 0;
}

/* A gloss word -> vocabulary id: itself, else through the lemma index (any part of speech, verbs
 * first); -1 if neither. No synonyms or hypernyms: a definition is read literally. */
static int wn__gloss_word(const text_vocab *v, const char *w) {
    int id = tok__target(v, w);
    if (id >= 0) return id;
    char lem[8][TEXT_WORD_MAX], key[TEXT_WORD_MAX + 4];
    for (int p = 0; p < 4; p++) {
        int nl = wn__lemmas(w, k_pos[p], lem, 8);
        for (int k = 0; k < nl; k++) {
            lemma_key(key, sizeof key, k_pos[p], lem[k]);
            if ((id = smap_get(&v->lemmas, key)) >= 0) return id;
        }
    }
    return -1;
}

/* The synset offset of the first (most frequent) sense of lemma in pos, or -1. */
static long wn__first_offset(const char *lemma, int pos) {
    char buf[TEXT_WORD_MAX];
    snprintf(buf, sizeof buf, "%s", lemma);
    IndexPtr ix = index_lookup(buf, pos);
    if (!ix) return -1;
    long off = ix->off_cnt > 0 ? (long)ix->offset[0] : -1;
    free_index(ix);
    return off;
}

/* The definition reading of lemma (pos): the vocabulary words among the content words of the
 * first clause (up to ',' ';' or an example) of its first (most frequent) sense's gloss
 * ("move very fast; \"The runner...\"" -> "moves fast"), in order, without repeats, at most
 * TOK_READING_MAX. Returns how many. */
static int wn__gloss(const text_vocab *v, const char *lemma, int pos, int *ids) {
    long off = wn__first_offset(lemma, pos);
    SynsetPtr sy = off >= 0 ? read_synset(pos, off, "") : NULL;
    if (!sy) return 0;
    int n = 0;
    const char *d = sy->defn ? sy->defn : "";
    if (*d == '(') d++;
    char w[TEXT_WORD_MAX];
    int wl = 0;
    for (;; d++) {
        char ch = *d;
        int letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch == '\'' && wl > 0);
        if (letter) {
            if (wl < TEXT_WORD_MAX - 1) w[wl++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            continue;
        }
        if (wl > 0) {
            w[wl] = 0;
            wl = 0;
            int id = wn__gloss_skip(w) ? -1 : wn__gloss_word(v, w);
            int dup = id < 0;
            for (int k = 0; k < n && !dup; k++) dup = ids[k] == id;
            if (!dup && n < TOK_READING_MAX) ids[n++] = id;
        }
        if (!ch || ch == ';' || ch == ',' || ch == '"' || ch == ')' || n == TOK_READING_MAX) break;
    }
    free_synset(sy);
    return n;
}

/* The first hypernym of verb synset off, or -1 for a root of the verb hierarchy. */
static long wn__verb_hyper(long off) {
    SynsetPtr s = read_synset(VERB, off, "");
    if (!s) return -1;
    long up = -1;
    for (int q = 0; q < s->ptrcount && up < 0; q++)
        if (s->ptrtyp[q] == HYPERPTR && s->ppos[q] == VERB) up = s->ptroff[q];
    free_synset(s);
    return up;
}

/* 1 when the first sense of a verb lemma is a root of WordNet's verb hierarchy or directly
 * under one ("hurry" under "travel, go, move, locomote"; "sprint" is under "run", not vague). */
static int wn__vague(const char *lemma) {
    long off = wn__first_offset(lemma, VERB);
    if (off < 0) return 0;
    long up = wn__verb_hyper(off);
    return up < 0 || wn__verb_hyper(up) < 0;
}

/* Tag count (frequency in WordNet's sense-tagged corpus) of the first sense of lemma in pos. */
static int wn__first_count(const char *lemma, int pos) {
    char buf[TEXT_WORD_MAX];
    snprintf(buf, sizeof buf, "%s", lemma);
    IndexPtr ix = index_lookup(buf, pos);
    if (!ix) return 0;
    int c = ix->off_cnt > 0 ? GetTagcnt(ix, 1) : 0;
    free_index(ix);
    return c;
}

/* 1 when part of speech p (index into k_pos) is the word's most frequent use: the first sense
 * of its first lemma is tagged at least as often as any other part of speech's ("sky" is a
 * noun: its verb sense "throw with a light motion" is not what a prompt means). */
static int wn__dominant(char lems[4][8][TEXT_WORD_MAX], const int nl[4], int p) {
    int mine = wn__first_count(lems[p][0], k_pos[p]);
    for (int q = 0; q < 4; q++)
        if (q != p && nl[q] > 0 && wn__first_count(lems[q][0], k_pos[q]) > mine) return 0;
    return 1;
}

#define WN_NOUN_BODY 8 /* lexicographer file noun.body */
#define TOK_HOLO_LEVELS 2

/* The first sense of noun lemma in noun.body (WordNet's order: "heel" is a shoe's first, a
 * foot's second), or -1. */
static long wn__body_sense(const char *lemma) {
    char buf[TEXT_WORD_MAX];
    snprintf(buf, sizeof buf, "%s", lemma);
    IndexPtr ix = index_lookup(buf, NOUN);
    if (!ix) return -1;
    long off = -1;
    for (int sn = 0; sn < ix->off_cnt && off < 0; sn++) {
        SynsetPtr s = read_synset(NOUN, (long)ix->offset[sn], "");
        if (!s) continue;
        if (s->fnum == WN_NOUN_BODY) off = (long)ix->offset[sn];
        free_synset(s);
    }
    free_index(ix);
    return off;
}

/* The vocabulary's body part that body-part synset `off` is part of: its part holonyms up to
 * TOK_HOLO_LEVELS steps ("quadriceps" -> "thigh" -> "leg"), the plural form first when `plural`
 * ("palms" -> "hands"). -1 if none. */
static int wn__body_whole(const text_vocab *v, long off, int plural) {
    long frontier[WN_MAX_FRONTIER], next[WN_MAX_FRONTIER];
    int nf = 1, found = -1;
    frontier[0] = off;
    for (int l = 0; l < TOK_HOLO_LEVELS && nf > 0 && found < 0; l++) {
        int nn = 0;
        for (int f = 0; f < nf; f++) {
            SynsetPtr s = read_synset(NOUN, frontier[f], "");
            if (!s) continue;
            for (int q = 0; q < s->ptrcount; q++)
                if (s->ptrtyp[q] == ISPARTPTR && s->ppos[q] == NOUN && nn < WN_MAX_FRONTIER) next[nn++] = s->ptroff[q];
            free_synset(s);
        }
        for (int f = 0; f < nn && found < 0; f++) {
            SynsetPtr s = read_synset(NOUN, next[f], "");
            if (!s) continue;
            for (int i = 0; i < s->wcount && found < 0; i++) {
                char pl[TEXT_WORD_MAX + 2];
                snprintf(pl, sizeof pl, "%ss", s->words[i]);
                if (plural && strlen(pl) < TEXT_WORD_MAX && !strchr(pl, '_')) found = tok__target(v, pl);
                if (found < 0) found = wn__synword(v, s->words[i], NOUN);
            }
            free_synset(s);
        }
        memcpy(frontier, next, sizeof(long) * (size_t)nn);
        nf = nn;
    }
    return found;
}

/* A word written as two vocabulary words, the first at least 2 letters and the second at least
 * 3 ("upstairs" -> "up stairs", "downstairs" -> "down stairs"), the shortest first part that
 * works: r gets both, 1; else 0. */
static int tok__split_known(const text_vocab *v, const char *word, tok_reading *r) {
    size_t n = strlen(word);
    for (size_t k = 2; k + 3 <= n; k++) {
        char left[TEXT_WORD_MAX];
        snprintf(left, sizeof left, "%.*s", (int)k, word);
        int a = tok__target(v, left), b = a >= TEXT_SPECIALS ? tok__target(v, word + k) : -1;
        if (a >= TEXT_SPECIALS && b >= TEXT_SPECIALS) {
            r->n = 2;
            r->ids[0] = a;
            r->ids[1] = b;
            r->how = TEXT_MAP_SPLIT;
            return 1;
        }
    }
    return 0;
}

/* The reading of an OOV word (lower case), before re-inflection (wn__map). */
static void wn__map_lemma(const text_vocab *v, const char *word, tok_reading *r) {
    r->n = 1;
    text_map_kind *how = &r->how;
    r->ids[0] = TEXT_UNK;
    char lem[8][TEXT_WORD_MAX], key[TEXT_WORD_MAX + 4];
    int nl[4];
    char lems[4][8][TEXT_WORD_MAX];
    /* 1. the same lemma */
    for (int p = 0; p < 4; p++) {
        nl[p] = wn__lemmas(word, k_pos[p], lem, 8);
        memcpy(lems[p], lem, sizeof lem);
        for (int k = 0; k < nl[p]; k++) {
            lemma_key(key, sizeof key, k_pos[p], lem[k]);
            int id = smap_get(&v->lemmas, key);
            if (id >= 0) {
                *how = TEXT_MAP_LEMMA;
                r->ids[0] = id;
                return;
            }
        }
    }
    /* 1b. words for people become "person" when the vocabulary has it: a word that is not a
     * verb, adjective or adverb with any noun sense for a person ("dancer", "climber", whose
     * first sense is a plant), or a word that is also one of those whose first noun sense is a
     * person and the noun is its most frequent use ("man": "to man" would otherwise read as
     * "give"; "trot" stays a gait although a Trotskyist is a trot; "opposite" stays a direction
     * although an opponent is one; "creeps" stays a verb although a creep is a person). */
    int person_id = tok__target(v, "person");
    int other_pos = nl[0] > 0 || nl[2] > 0 || nl[3] > 0;
    if (person_id >= 0 && nl[1] > 0 && (!other_pos || wn__dominant(lems, nl, 1)))
        for (int k = 0; k < nl[1]; k++)
            if (wn__is_person(lems[1][k], other_pos)) {
                *how = TEXT_MAP_HYPERNYM;
                r->ids[0] = person_id;
                return;
            }
    /* 1c. a body part the vocabulary lacks becomes the part it belongs to, when the noun is the
     * word's most frequent use ("palms" -> "hands", not the verb "to palm" -> "touches";
     * "ankle" -> "leg"); a synonym in the vocabulary comes first ("tummy" -> "belly"). Such a
     * word is then read only as a noun ("stomach" is not the verb "to stand") */
    const long body_off = nl[1] > 0 ? wn__body_sense(lems[1][0]) : -1;
    const int body = body_off >= 0 && wn__dominant(lems, nl, 1);
    if (body) {
        int syn = -1;
        for (int k = 0; k < nl[1] && syn < 0; k++) syn = wn__senses_at(v, lems[1][k], NOUN, 0);
        int whole = syn < 0 ? wn__body_whole(v, body_off, strcmp(word, lems[1][0]) != 0) : -1;
        if (syn >= 0 || whole >= 0) {
            *how = syn >= 0 ? TEXT_MAP_SYNONYM : TEXT_MAP_HOLONYM;
            r->ids[0] = syn >= 0 ? syn : whole;
            return;
        }
    }
    /* 1d. a word that is never a verb and is written as two vocabulary words is read as them
     * ("upstairs" -> "up stairs", not the definition "floor above"; "handstand") */
    if (nl[0] == 0 && tok__split_known(v, word, r)) return;
    /* 2. synonyms, 3. the definition when the word's first sense is vague, 4. hypernyms up to 3
     * levels: part of speech by part of speech (verbs first: a motion word that can be a verb
     * is read as one), each step over every sense. Nouns: synonyms, one step down ("staircase"
     * -> "stairs"), hypernyms. Adjectives and adverbs: synonyms, definition, hypernyms. Verbs:
     * synonyms, then the definition if the first sense is a root of WordNet's verb hierarchy or
     * directly under one ("hurries": hurry is a kind of "travel, go, move" -> "moves fast"),
     * then hypernyms ("sprints" -> "run"). A root verb says little about a motion; a definition
     * keeps what it drops. */
    int found = -1;
    for (int p = 0; p < 4 && found < 0; p++) {
        const int pos = k_pos[p];
        if (body && pos != NOUN) continue;
        *how = TEXT_MAP_SYNONYM;
        for (int k = 0; k < nl[p] && found < 0; k++) found = wn__senses_at(v, lems[p][k], pos, 0);
        if (found < 0 && pos == NOUN) {
            *how = TEXT_MAP_HYPONYM;
            for (int k = 0; k < nl[p] && found < 0; k++) found = wn__senses_at(v, lems[p][k], pos, -1);
        }
        if (found < 0 && pos != NOUN && nl[p] > 0 && (pos != VERB || wn__vague(lems[p][0])) &&
            wn__dominant(lems, nl, p)) {
            int g = wn__gloss(v, lems[p][0], pos, r->ids);
            if (g > 0) {
                r->n = g;
                *how = TEXT_MAP_GLOSS;
                return;
            }
        }
        if (found < 0) *how = TEXT_MAP_HYPERNYM;
        for (int level = 1; level <= TOK_HYPER_LEVELS && found < 0; level++)
            for (int k = 0; k < nl[p] && found < 0; k++) found = wn__senses_at(v, lems[p][k], pos, level);
    }
    if (found < 0) *how = TEXT_MAP_UNKNOWN;
    r->ids[0] = found >= 0 ? found : TEXT_UNK;
}

/* 1 when the vocabulary word `cand` is a form of verb lemma `lemma`. */
static int wn__is_form_of(const char *cand, const char *lemma) {
    char lem[8][TEXT_WORD_MAX];
    int n = wn__lemmas(cand, VERB, lem, 8);
    for (int k = 0; k < n; k++)
        if (!strcmp(lem[k], lemma)) return 1;
    return 0;
}

/* The vocabulary form of verb lemma t with suffix class `infl` ('s': third person, 'g': -ing,
 * 'b': the bare lemma), by English spelling rules checked against WordNet's morphology; -1 if
 * the vocabulary has none. */
static int wn__verb_form(const text_vocab *v, const char *t, char infl) {
    char c[6][TEXT_WORD_MAX + 4];
    int nc = 0;
    size_t n = strlen(t);
    if (n == 0 || n + 4 >= TEXT_WORD_MAX) return -1;
    char last = t[n - 1], prev = n > 1 ? t[n - 2] : 0;
    int vowel_prev = prev && strchr("aeiou", prev) != NULL;
    if (infl == 'b') snprintf(c[nc++], sizeof c[0], "%s", t);
    if (infl == 's') {
        snprintf(c[nc++], sizeof c[0], "%s%s", t, "s");
        snprintf(c[nc++], sizeof c[0], "%s%s", t, "es");
        if (last == 'y' && !vowel_prev) snprintf(c[nc++], sizeof c[0], "%.*sies", (int)(n - 1), t);
    }
    if (infl == 'g') {
        snprintf(c[nc++], sizeof c[0], "%s%s", t, "ing");
        if (last == 'e') snprintf(c[nc++], sizeof c[0], "%.*sing", (int)(n - 1), t);
        snprintf(c[nc++], sizeof c[0], "%s%cing", t, last); /* running */
    }
    for (int k = 0; k < nc; k++) {
        int id = tok__target(v, c[k]);
        if (id >= 0 && wn__is_form_of(c[k], t)) return id;
    }
    return -1;
}

/* The reading of an OOV word (lower case). A verb form read as another verb keeps its
 * inflection where the vocabulary has it: "leaps" -> "jumps", "leaping" -> "jumping" (not the
 * bare "jump", which captions use mostly as a noun: "before each jump"); past forms read as the
 * third person, the captions' tense ("leaped" -> "jumps"). */
static void wn__map(const text_vocab *v, const char *word, tok_reading *r) {
    wn__map_lemma(v, word, r);
    if (r->ids[0] < TEXT_SPECIALS || r->how == TEXT_MAP_GLOSS || r->how == TEXT_MAP_SPLIT)
        return; /* a definition's words, or a split word's, stand as written */
    char lem[8][TEXT_WORD_MAX], tl[8][TEXT_WORD_MAX];
    if (wn__lemmas(word, VERB, lem, 8) == 0) return; /* not a verb form */
    size_t n = strlen(word);
    char infl = !strcmp(word, lem[0])                           ? 'b'
                : n > 4 && !strcmp(word + n - 3, "ing")         ? 'g'
                : n > 2 && word[n - 1] == 's'                   ? 's'
                : n > 3 && !strcmp(word + n - 2, "ed")          ? 's'
                                                                : 0;
    if (!infl) return;
    const char *to = v->words[r->ids[0]];
    if (wn__lemmas(to, VERB, tl, 8) == 0) return; /* read as a non-verb ("person") */
    int id = wn__verb_form(v, tl[0], infl);
    if (id >= 0) r->ids[0] = id;
}

/* The reading of an OOV word, cached. Caller holds g_wn_lock. */
static mosa_status tok__oov(text_vocab *v, const char *word, tok_reading *r) {
    int c = smap_get(&v->cache, word);
    if (c >= 0) {
        *r = v->readings[c];
        return MOSA_OK;
    }
    MOSA_TRY(wn__init());
    MOSA_TRY(wn__lemma_index(v));
    wn__map(v, word, r);
    if (v->cache.n < TOK_CACHE_MAX) { /* a failed insert only loses the cache */
        if (v->nreadings == v->capreadings) {
            int cap = v->capreadings ? 2 * v->capreadings : 256;
            tok_reading *g = mosa_realloc(v->readings, sizeof *g * (size_t)cap);
            if (g) v->readings = g, v->capreadings = cap;
        }
        if (v->nreadings < v->capreadings && smap_put(&v->cache, word, v->nreadings) == 0)
            v->readings[v->nreadings++] = *r;
    }
    return MOSA_OK;
}

/* Adds the single-word members of synset s (lower case) to cand[] unless present. */
static void wn__collect(SynsetPtr s, char (*cand)[TEXT_WORD_MAX], int *nc, int max) {
    for (int i = 0; i < s->wcount && *nc < max; i++) {
        const char *w = s->words[i];
        size_t n = strlen(w);
        if (n == 0 || n >= TEXT_WORD_MAX || strchr(w, '_') || strchr(w, '-') || strchr(w, ' ')) continue;
        char low[TEXT_WORD_MAX];
        for (size_t k = 0; k <= n; k++) low[k] = (char)(w[k] >= 'A' && w[k] <= 'Z' ? w[k] + 32 : w[k]);
        int dup = 0;
        for (int k = 0; k < *nc && !dup; k++) dup = strcmp(cand[k], low) == 0;
        if (!dup) memcpy(cand[(*nc)++], low, n + 1);
    }
}

#define PARA_MAX_CANDIDATES 128

int text_vocab_paraphrase_ids(const text_vocab *v, const char *word, int32_t *ids, int max) {
    if (!v || !word || !ids || max < 0) {
        mosa_fail(MOSA_ERR_ARG, "text_vocab_paraphrase_ids: need a vocabulary, a word and ids[max]");
        return -1;
    }
    const int self = text_vocab_find(v, word);
    char(*cand)[TEXT_WORD_MAX] = mosa_malloc(sizeof(*cand) * PARA_MAX_CANDIDATES);
    if (!cand) return -1;
    int nc = 0, n = 0;
    pthread_mutex_lock(&g_wn_lock);
    mosa_status st = wn__init();
    if (st == MOSA_OK) st = wn__lemma_index((text_vocab *)v);
    if (st == MOSA_OK) {
        char lem[8][TEXT_WORD_MAX];
        for (int p = 0; p < 4; p++) {
            int nl = wn__lemmas(word, k_pos[p], lem, 8);
            for (int k = 0; k < nl; k++) {
                char buf[TEXT_WORD_MAX];
                snprintf(buf, sizeof buf, "%s", lem[k]);
                IndexPtr ix = index_lookup(buf, k_pos[p]);
                if (!ix) continue;
                for (int sn = 0; sn < ix->off_cnt && sn < 2; sn++) {
                    SynsetPtr sy = read_synset(k_pos[p], (long)ix->offset[sn], "");
                    if (!sy) continue;
                    wn__collect(sy, cand, &nc, PARA_MAX_CANDIDATES);
                    for (int q = 0; q < sy->ptrcount && sn == 0 && k_pos[p] == VERB; q++)
                        if ((sy->ptrtyp[q] == HYPOPTR) && sy->ppos[q] == k_pos[p]) {
                            SynsetPtr h = read_synset(k_pos[p], sy->ptroff[q], "");
                            if (!h) continue;
                            wn__collect(h, cand, &nc, PARA_MAX_CANDIDATES);
                            free_synset(h);
                        }
                    free_synset(sy);
                }
                free_index(ix);
            }
        }
        /* each out-of-vocabulary neighbour, read as text_tokenize reads it */
        for (int c = 0; c < nc && st == MOSA_OK && n < max; c++) {
            if (smap_get(&v->index, cand[c]) >= 0) continue; /* a word of its own */
            tok_reading rd;
            st = tok__oov((text_vocab *)v, cand[c], &rd);
            int id = rd.ids[0]; /* a definition reading contributes its first word */
            if (st != MOSA_OK || id == self) continue;
            int dup = 0;
            for (int k = 0; k < n && !dup; k++) dup = ids[k] == id;
            if (!dup) ids[n++] = id;
        }
    }
    pthread_mutex_unlock(&g_wn_lock);
    mosa_free(cand);
    return st == MOSA_OK ? n : -1;
}

/* 1 for a synset of the verb classes that describe a bodily action. */
static int wn__bodily_verb(const SynsetPtr s) {
    static const char *const cls[] = {"verb.motion", "verb.body", "verb.contact", "verb.competition"};
    if (s->fnum < 0 || s->fnum >= 45 || !lexfiles[s->fnum]) return 0;
    for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++)
        if (!strcmp(lexfiles[s->fnum], cls[i])) return 1;
    return 0;
}

/* ---- concepts ---- */

#define CONCEPT_LEVELS 2
#define CONCEPT_SENSES 2

/* 1 when synset (pos, off) has a hypernym (is not a root of its hierarchy). */
static int wn__has_hypernym(int pos, long off) {
    SynsetPtr s = read_synset(pos, off, "");
    if (!s) return 0;
    int h = 0;
    for (int q = 0; q < s->ptrcount && !h; q++) h = s->ptrtyp[q] == HYPERPTR || s->ptrtyp[q] == INSTANCE;
    free_synset(s);
    return h;
}

static void concept_add(char (*out)[TEXT_CONCEPT_KEY], int *n, int max, int pos, long off) {
    char key[TEXT_CONCEPT_KEY];
    snprintf(key, sizeof key, "%c%08ld", k_pos_char[pos], off);
    for (int i = 0; i < *n; i++)
        if (!strcmp(out[i], key)) return;
    if (*n < max) memcpy(out[(*n)++], key, sizeof key);
}

/* Caller holds g_wn_lock and WordNet is open. */
static int wn__concepts(const char *word, char (*out)[TEXT_CONCEPT_KEY], int max) {
    int n = 0;
    char lem[8][TEXT_WORD_MAX], buf[TEXT_WORD_MAX];
    static const int order[4] = {VERB, NOUN, ADJ, ADV};
    for (int p = 0; p < 4; p++) {
        const int pos = order[p], levels = pos == VERB || pos == NOUN ? CONCEPT_LEVELS : 0;
        const int nl = wn__lemmas(word, pos, lem, 8);
        for (int k = 0; k < nl; k++) {
            snprintf(buf, sizeof buf, "%s", lem[k]);
            IndexPtr ix = index_lookup(buf, pos);
            if (!ix) continue;
            for (int sn = 0; sn < ix->off_cnt && sn < CONCEPT_SENSES; sn++) {
                long frontier[WN_MAX_FRONTIER], next[WN_MAX_FRONTIER];
                int nf = 1;
                frontier[0] = (long)ix->offset[sn];
                concept_add(out, &n, max, pos, frontier[0]);
                for (int l = 1; l <= levels && nf > 0; l++) {
                    int nn = 0;
                    for (int f = 0; f < nf; f++) {
                        SynsetPtr s = read_synset(pos, frontier[f], "");
                        if (!s) continue;
                        for (int q = 0; q < s->ptrcount; q++)
                            if ((s->ptrtyp[q] == HYPERPTR || s->ptrtyp[q] == INSTANCE) && s->ppos[q] == pos &&
                                nn < WN_MAX_FRONTIER)
                                next[nn++] = s->ptroff[q];
                        free_synset(s);
                    }
                    for (int f = 0; f < nn; f++)
                        if (wn__has_hypernym(pos, next[f])) concept_add(out, &n, max, pos, next[f]);
                    memcpy(frontier, next, sizeof(long) * (size_t)nn);
                    nf = nn;
                }
            }
            free_index(ix);
        }
    }
    return n;
}

int text_word_concepts(const char *word, char (*out)[TEXT_CONCEPT_KEY], int max) {
    if (!word || !out || max < 0) {
        mosa_fail(MOSA_ERR_ARG, "text_word_concepts: NULL argument");
        return -1;
    }
    text_wordnet_lock();
    mosa_status s = wn__init();
    const int n = s == MOSA_OK ? wn__concepts(word, out, max) : -1;
    text_wordnet_unlock();
    return n;
}

static int by_key(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

#define CONCEPT_PER_WORD 64 /* collected per word before the table keeps k */

mosa_status text_vocab_concept_table(const text_vocab *v, int k, int32_t **table, int *n_concepts) {
    if (!v || !table || !n_concepts || k < 1 || k > CONCEPT_PER_WORD)
        return mosa_fail(MOSA_ERR_ARG, "text_vocab_concept_table: need a vocabulary, outputs and k in 1..%d",
                         CONCEPT_PER_WORD);
    *table = NULL;
    *n_concepts = 0;
    const int n = v->n;
    char(*keys)[TEXT_CONCEPT_KEY] = mosa_malloc(sizeof(*keys) * (size_t)n * CONCEPT_PER_WORD);
    int *nk = mosa_calloc((size_t)n, sizeof(int));
    char(*all)[TEXT_CONCEPT_KEY] = mosa_malloc(sizeof(*all) * (size_t)n * CONCEPT_PER_WORD);
    int32_t *t = mosa_calloc((size_t)n * (size_t)k, sizeof(int32_t));
    smap num = {0};
    mosa_status s = keys && nk && all && t ? MOSA_OK : MOSA_ERR_NOMEM;
    text_wordnet_lock();
    if (s == MOSA_OK) s = wn__init();
    for (int id = TEXT_SPECIALS; id < n && s == MOSA_OK; id++)
        nk[id] = wn__concepts(v->words[id], keys + (size_t)id * CONCEPT_PER_WORD, CONCEPT_PER_WORD);
    text_wordnet_unlock();
    /* the concepts two or more words share, sorted */
    int na = 0, nc = 0;
    for (int id = TEXT_SPECIALS; id < n && s == MOSA_OK; id++)
        for (int i = 0; i < nk[id]; i++) memcpy(all[na++], keys[(size_t)id * CONCEPT_PER_WORD + i], TEXT_CONCEPT_KEY);
    if (s == MOSA_OK) qsort(all, (size_t)na, TEXT_CONCEPT_KEY, by_key);
    for (int i = 0; i < na && s == MOSA_OK;) {
        int j = i;
        while (j < na && !strcmp(all[j], all[i])) j++;
        if (j - i >= 2 && smap_put(&num, all[i], ++nc) != 0) s = MOSA_ERR_NOMEM;
        i = j;
    }
    for (int id = TEXT_SPECIALS; id < n && s == MOSA_OK; id++) {
        int m = 0;
        for (int i = 0; i < nk[id] && m < k; i++) {
            const int c = smap_get(&num, keys[(size_t)id * CONCEPT_PER_WORD + i]);
            if (c > 0) t[(size_t)id * k + m++] = c;
        }
    }
    smap_free(&num);
    mosa_free(keys);
    mosa_free(nk);
    mosa_free(all);
    if (s != MOSA_OK) {
        mosa_free(t);
        return s == MOSA_ERR_NOMEM ? mosa_fail(s, "concept table: out of memory") : s;
    }
    *table = t;
    *n_concepts = nc;
    return MOSA_OK;
}

/* Verb lemma in the form `infl` ('s' third person, 'g' -ing, 'b' bare) by English spelling rules,
 * kept only when WordNet's morphology reads it back as the lemma ("hop" -> "hopping" through
 * its exception list, "visit" -> "visiting"). 1 when out holds it. */
static int wn__inflect(const char *lemma, char infl, char *out, size_t cap) {
    const size_t n = strlen(lemma);
    if (n < 2 || n + 5 > cap) return 0;
    if (infl == 'b') {
        snprintf(out, cap, "%s", lemma);
        return 1;
    }
    const char last = lemma[n - 1], prev = lemma[n - 2];
    const int vowel_prev = strchr("aeiou", prev) != NULL;
    char c[2][TEXT_WORD_MAX + 8];
    int nc = 0;
    if (infl == 's') {
        if (strchr("sxz", last) || (last == 'h' && (prev == 'c' || prev == 's')))
            snprintf(c[nc++], sizeof c[0], "%ses", lemma);
        else if (last == 'y' && !vowel_prev) snprintf(c[nc++], sizeof c[0], "%.*sies", (int)(n - 1), lemma);
        else snprintf(c[nc++], sizeof c[0], "%ss", lemma);
    } else {
        if (last == 'e' && prev == 'i') snprintf(c[nc++], sizeof c[0], "%.*sying", (int)(n - 2), lemma);
        else if (last == 'e' && !strchr("eoy", prev)) snprintf(c[nc++], sizeof c[0], "%.*sing", (int)(n - 1), lemma);
        else {
            const int cvc = !strchr("aeiouwxy", last) && vowel_prev && (n < 3 || !strchr("aeiou", lemma[n - 3]));
            if (cvc) snprintf(c[nc++], sizeof c[0], "%s%cing", lemma, last); /* hopping, if WordNet knows it */
            snprintf(c[nc++], sizeof c[0], "%sing", lemma);
        }
    }
    for (int k = 0; k < nc; k++)
        if (strlen(c[k]) < cap && wn__is_form_of(c[k], lemma)) {
            snprintf(out, cap, "%s", c[k]);
            return 1;
        }
    return 0;
}

int text_verb_relatives(const char *form, char (*out)[TEXT_WORD_MAX], int max) {
    if (!form || !out || max < 0) {
        mosa_fail(MOSA_ERR_ARG, "text_verb_relatives: need a word and out[max]");
        return -1;
    }
    char(*cand)[TEXT_WORD_MAX] = mosa_malloc(sizeof(*cand) * PARA_MAX_CANDIDATES);
    if (!cand) return -1;
    int nc = 0, n = 0;
    pthread_mutex_lock(&g_wn_lock);
    mosa_status st = wn__init();
    char lem[8][TEXT_WORD_MAX];
    const int nl = st == MOSA_OK && strlen(form) < TEXT_WORD_MAX ? wn__lemmas(form, VERB, lem, 8) : 0;
    const size_t len = strlen(form);
    const char infl = nl == 0                                         ? 0
                      : !strcmp(form, lem[0])                         ? 'b'
                      : len > 4 && !strcmp(form + len - 3, "ing")     ? 'g'
                      : len > 2 && form[len - 1] == 's'               ? 's'
                                                                      : 0;
    IndexPtr ix = NULL;
    if (infl) {
        char buf[TEXT_WORD_MAX];
        snprintf(buf, sizeof buf, "%s", lem[0]);
        ix = index_lookup(buf, VERB);
    }
    if (ix && ix->off_cnt > 0) {
        long off = (long)ix->offset[0]; /* the first bodily sense, else the first */
        for (int sn = 0; sn < ix->off_cnt; sn++) {
            SynsetPtr s = read_synset(VERB, (long)ix->offset[sn], "");
            int bodily = s && wn__bodily_verb(s);
            if (s) free_synset(s);
            if (bodily) {
                off = (long)ix->offset[sn];
                break;
            }
        }
        SynsetPtr s = read_synset(VERB, off, "");
        if (s) {
            wn__collect(s, cand, &nc, PARA_MAX_CANDIDATES);
            for (int q = 0; q < s->ptrcount; q++)
                if (s->ptrtyp[q] == HYPOPTR && s->ppos[q] == VERB) {
                    SynsetPtr h = read_synset(VERB, s->ptroff[q], "");
                    if (!h) continue;
                    wn__collect(h, cand, &nc, PARA_MAX_CANDIDATES);
                    free_synset(h);
                }
            free_synset(s);
        }
    }
    if (ix) free_index(ix);
    for (int c = 0; c < nc && n < max; c++) {
        if (!strcmp(cand[c], lem[0])) continue;
        /* only words whose most frequent verb sense is bodily ("strolls", not "processes", a
         * troponym of walking in a procession) */
        const long first = wn__first_offset(cand[c], VERB);
        SynsetPtr fs = first >= 0 ? read_synset(VERB, first, "") : NULL;
        const int bodily = fs && wn__bodily_verb(fs);
        if (fs) free_synset(fs);
        if (!bodily) continue;
        char w[TEXT_WORD_MAX];
        if (!wn__inflect(cand[c], infl, w, sizeof w)) continue;
        int dup = 0;
        for (int k = 0; k < n && !dup; k++) dup = !strcmp(out[k], w);
        if (!dup) snprintf(out[n++], TEXT_WORD_MAX, "%s", w);
    }
    pthread_mutex_unlock(&g_wn_lock);
    mosa_free(cand);
    return st == MOSA_OK ? n : -1;
}

const char *text_map_kind_name(text_map_kind how) {
    switch (how) {
    case TEXT_MAP_LEMMA: return "same lemma";
    case TEXT_MAP_SYNONYM: return "WordNet synonym";
    case TEXT_MAP_HYPERNYM: return "WordNet hypernym";
    case TEXT_MAP_HYPONYM: return "WordNet hyponym";
    case TEXT_MAP_GLOSS: return "WordNet definition";
    case TEXT_MAP_HOLONYM: return "WordNet holonym (part of)";
    case TEXT_MAP_SPLIT: return "two known words";
    case TEXT_MAP_UNKNOWN: break;
    }
    return "unknown";
}

/* ---- tokenizing ---- */

typedef struct tok_ctx {
    text_vocab *v;
    int32_t *ids;
    int max_words, n;
    text_map_log log;
    void *user;
    mosa_status st;
    /* OOV words already logged in this text */
    char logged[16][TEXT_WORD_MAX];
    int nlogged;
    char prev_oov[TEXT_WORD_MAX]; /* the previous word when it was out of vocabulary, else "" */
    int prev_n;                   /* the tokens its reading added */
    /* that word's log line waits for the next word, which may make a compound with it */
    char pend_word[TEXT_WORD_MAX], pend_text[TOK_READING_MAX * TEXT_WORD_MAX];
    text_map_kind pend_how;
    int pend;
} tok_ctx;

/* Logs the held-back line of the previous out-of-vocabulary word, if any. */
static void tok__flush_log(tok_ctx *c) {
    if (c->pend && c->log)
        c->log(c->user, c->pend_word[0] ? c->pend_word : "(overlong word)", c->pend_text[0] ? c->pend_text : NULL,
               c->pend_how);
    c->pend = 0;
}

/* Two out-of-vocabulary words in a row that WordNet knows as one noun ("human being") are read
 * as that compound: r gets its reading (r->n = 0 if none). Caller holds g_wn_lock. */
static mosa_status tok__compound(tok_ctx *c, const char *w, tok_reading *r) {
    r->n = 0;
    char comp[TEXT_WORD_MAX];
    if (!c->prev_oov[0] || strlen(c->prev_oov) + strlen(w) + 2 > sizeof comp) return MOSA_OK;
    snprintf(comp, sizeof comp, "%s_%s", c->prev_oov, w);
    if (!in_wn(comp, NOUN)) return MOSA_OK;
    MOSA_TRY(tok__oov(c->v, comp, r));
    if (r->ids[0] < TEXT_SPECIALS) r->n = 0;
    return MOSA_OK;
}

/* "moves fast" for a definition reading, else the one word ("" for UNK). */
static void tok__reading_text(const text_vocab *v, const tok_reading *r, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    for (int k = 0; k < r->n && r->ids[k] != TEXT_UNK; k++)
        n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", k ? " " : "", v->words[r->ids[k]]);
}

static int tok_word(void *user, const char *w) {
    tok_ctx *c = (tok_ctx *)user;
    if (c->n >= c->max_words) return 1; /* truncated: stop */
    int id = *w ? smap_get(&c->v->index, w) : -1;
    if (id >= TEXT_SPECIALS) {
        c->prev_oov[0] = 0;
        c->ids[1 + c->n++] = id;
        return 0;
    }
    tok_reading r = {1, {TEXT_UNK}, TEXT_MAP_UNKNOWN};
    char text[TOK_READING_MAX * TEXT_WORD_MAX];
    if (*w) {
        tok_reading cr;
        pthread_mutex_lock(&g_wn_lock);
        c->st = tok__compound(c, w, &cr);
        if (c->st == MOSA_OK && cr.n == 0) c->st = tok__oov(c->v, w, &r);
        pthread_mutex_unlock(&g_wn_lock);
        if (c->st != MOSA_OK) return 1;
        if (cr.n > 0) { /* the compound replaces the previous word's tokens and log line */
            c->pend = 0;
            c->n -= c->prev_n;
            for (int k = 0; k < cr.n && c->n < c->max_words; k++) c->ids[1 + c->n++] = cr.ids[k];
            if (c->log) {
                char comp[2 * TEXT_WORD_MAX + 2];
                snprintf(comp, sizeof comp, "%s %s", c->prev_oov, w);
                tok__reading_text(c->v, &cr, text, sizeof text);
                c->log(c->user, comp, text, cr.how);
            }
            c->prev_oov[0] = 0;
            return 0;
        }
        snprintf(c->prev_oov, sizeof c->prev_oov, "%s", w);
    }
    tok__flush_log(c);
    if (c->log) {
        int dup = 0;
        for (int k = 0; k < c->nlogged && !dup; k++) dup = strcmp(c->logged[k], w) == 0;
        if (!dup) {
            if (c->nlogged < 16) snprintf(c->logged[c->nlogged++], TEXT_WORD_MAX, "%s", w);
            tok__reading_text(c->v, &r, c->pend_text, sizeof c->pend_text);
            snprintf(c->pend_word, sizeof c->pend_word, "%s", w);
            c->pend_how = r.how;
            c->pend = 1;
        }
    }
    int start = c->n;
    for (int k = 0; k < r.n && c->n < c->max_words; k++) c->ids[1 + c->n++] = r.ids[k];
    c->prev_n = c->n - start;
    return 0;
}

int text_tokenize(const text_vocab *v, const char *text, int32_t *ids, int max_len, text_map_log log, void *user) {
    if (!v || !text || !ids || max_len < 2) {
        mosa_fail(MOSA_ERR_ARG, "text_tokenize: need a vocabulary, a text and ids[max_len] with max_len >= 2 (max_len = %d)",
                  max_len);
        return -1;
    }
    tok_ctx c;
    c.v = (text_vocab *)v; /* only the lemma index and cache change, behind the WordNet lock */
    c.ids = ids;
    c.max_words = max_len - 2;
    c.n = 0;
    c.log = log;
    c.user = user;
    c.st = MOSA_OK;
    c.nlogged = 0;
    c.prev_oov[0] = 0;
    c.prev_n = 0;
    c.pend = 0;
    ids[0] = TEXT_BOS;
    int split = tok__split(text, tok_word, &c);
    if (c.st == MOSA_OK) tok__flush_log(&c);
    if (split < 0) {
        for (int i = 0; i < max_len; i++) ids[i] = TEXT_PAD;
        mosa_fail(MOSA_ERR_ARG, "text_tokenize: the text is not valid UTF-8");
        return -1;
    }
    if (c.st != MOSA_OK) {
        for (int i = 0; i < max_len; i++) ids[i] = TEXT_PAD;
        return -1;
    }
    ids[1 + c.n] = TEXT_EOS;
    for (int i = c.n + 2; i < max_len; i++) ids[i] = TEXT_PAD;
    return c.n + 2;
}
