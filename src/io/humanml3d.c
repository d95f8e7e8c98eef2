/* humanml3d.c: HumanML3D directory layout: file readers, writers, the approximate POS tagger and
 * the on-demand directory reader (see humanml3d.h).
 *
 * What this is not: a spaCy replacement (the tagger is a lexicon plus rules, tuned on the short
 * motion descriptions HumanML3D holds) or a feature extractor. */
#define _GNU_SOURCE
#include "base/text.h"
#include "humanml3d.h"

#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HML_MAX_NPY_BYTES ((size_t)256 << 20)
#define HML_MAX_TEXT_BYTES ((size_t)8 << 20)
#define HML_MAX_SPLIT_BYTES ((size_t)256 << 20)

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* "a/b/c" joined with '/' (parts may be NULL to stop early): a new string, or NULL (error set). */
static char *path_join(const char *a, const char *b, const char *c, const char *ext) {
    size_t n = strlen(a) + (b ? strlen(b) : 0) + (c ? strlen(c) : 0) + (ext ? strlen(ext) : 0) + 4;
    char *p = mosa_malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "", ext ? ext : "");
    return p;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static mosa_status mkdir_one(const char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return MOSA_OK;
        return mosa_fail(MOSA_ERR_IO, "'%s' exists and is not a directory", path);
    }
    return mosa_fail(MOSA_ERR_IO, "cannot create directory '%s': %s", path, strerror(errno));
}

int hml_id_valid(const char *s) {
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!(isalnum(c) && c < 0x80) && c != '_' && c != '-') return 0;
        if (n >= HML_MAX_ID - 1) return 0;
    }
    return n > 0;
}


/* Up to 40 bytes of s for an error message, control characters shown as '?', "..." if cut. */
static const char *shown(const uint8_t *s, size_t n, char buf[48]) {
    size_t k = 0;
    for (; k < n && k < 40; k++) buf[k] = (s[k] < 0x20 || s[k] == 0x7F) ? '?' : (char)s[k];
    if (n > 40) memcpy(buf + k, "...", 3), k += 3;
    buf[k] = 0;
    return buf;
}


/* ------------------------------------------------------------------------------------------ */
/* .npy files of the layout                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Loads a float array whose shape must be (T, inner...) with the given trailing dims. */
static mosa_status read_frames(const char *path, int n_inner, const int64_t *inner, const char *what, float **out,
                               int *T) {
    *out = NULL;
    *T = 0;
    npy_array a;
    MOSA_TRY(npy_load(&a, path, HML_MAX_NPY_BYTES));
    int ok = a.nd == 1 + n_inner;
    for (int i = 0; ok && i < n_inner; i++) ok = a.shape[1 + i] == inner[i];
    if (!ok || a.shape[0] < 1 || a.shape[0] > HML_MAX_FRAMES) {
        char sh[160];
        size_t k = (size_t)snprintf(sh, sizeof sh, "(");
        for (int i = 0; i < a.nd && k < sizeof sh; i++)
            k += (size_t)snprintf(sh + k, sizeof sh - k, i ? ", %lld" : "%lld", (long long)a.shape[i]);
        if (k < sizeof sh) snprintf(sh + k, sizeof sh - k, ")");
        npy_array_free(&a);
        if (ok)
            return mosa_fail(MOSA_ERR_FORMAT, "'%s' holds %s frames; a clip needs 1 to %d", path, sh + 1, HML_MAX_FRAMES);
        return mosa_fail(MOSA_ERR_FORMAT, "'%s' has shape %s; %s are (T, %s)", path, sh, what,
                         n_inner == 2 ? "22, 3" : "263");
    }
    float *d = mosa_malloc(a.count * sizeof(float));
    if (!d) {
        npy_array_free(&a);
        return mosa_fail_context(MOSA_ERR_NOMEM, "'%s'", path);
    }
    npy_array_to_f32(&a, d);
    size_t row = a.count / (size_t)a.shape[0];
    for (size_t i = 0; i < a.count; i++) {
        if (!isfinite(d[i])) {
            mosa_status s = mosa_fail(MOSA_ERR_FORMAT, "'%s': value %g at frame %zu, element %zu is not finite", path,
                                      (double)d[i], i / row, i % row);
            mosa_free(d);
            npy_array_free(&a);
            return s;
        }
    }
    *T = (int)a.shape[0];
    *out = d;
    npy_array_free(&a);
    return MOSA_OK;
}

mosa_status hml_joints_read(const char *path, float **joints, int *T) {
    const int64_t inner[2] = {22, 3};
    return read_frames(path, 2, inner, "new_joints files", joints, T);
}

mosa_status hml_vecs_read(const char *path, float **vecs, int *T) {
    const int64_t inner[1] = {263};
    return read_frames(path, 1, inner, "new_joint_vecs files", vecs, T);
}

static mosa_status read_stat(const char *root, const char *name, float v[263], int positive) {
    char *path = path_join(root, name, NULL, NULL);
    if (!path) return MOSA_ERR_NOMEM;
    float *d = NULL;
    int64_t shape[NPY_MAX_DIMS];
    int nd;
    mosa_status s = npy_read_f32(path, &d, shape, &nd);
    if (s == MOSA_OK && (nd != 1 || shape[0] != 263))
        s = mosa_fail(MOSA_ERR_FORMAT, "'%s' is not a (263,) array", path);
    for (int i = 0; s == MOSA_OK && i < 263; i++)
        if (!isfinite(d[i]) || (positive && !(d[i] > 0)))
            s = mosa_fail(MOSA_ERR_FORMAT, "'%s': element %d is %g (%s)", path, i, (double)d[i],
                          positive ? "a standard deviation must be finite and positive" : "not finite");
    if (s == MOSA_OK) memcpy(v, d, 263 * sizeof(float));
    mosa_free(d);
    mosa_free(path);
    return s;
}

mosa_status hml_stats_read(const char *root, float mean[263], float std[263]) {
    MOSA_TRY(read_stat(root, "Mean.npy", mean, 0));
    return read_stat(root, "Std.npy", std, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* texts/ID.txt                                                                                */
/* ------------------------------------------------------------------------------------------ */

void hml_texts_free(hml_text *texts, int n) {
    if (!texts) return;
    for (int i = 0; i < n; i++) {
        mosa_free(texts[i].caption);
        mosa_free(texts[i].tokens);
    }
    mosa_free(texts);
}

static char *dup_range(const uint8_t *s, size_t n) {
    char *p = mosa_malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* A start/end time: a non-negative decimal number (digits, optional fraction and exponent) or
 * nan (read as 0, as T2M's loader does). */
static int parse_time(const uint8_t *s, size_t n, float *out) {
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n == 3 && tolower(s[0]) == 'n' && tolower(s[1]) == 'a' && tolower(s[2]) == 'n') {
        *out = 0;
        return 1;
    }
    if (n == 0 || n > 40) return 0;
    size_t i = 0, digits = 0;
    if (s[i] == '+') i++;
    while (i < n && isdigit(s[i])) i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit(s[i])) i++, digits++;
    }
    if (!digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = 0;
        while (i < n && isdigit(s[i])) i++, e++;
        if (!e) return 0;
    }
    if (i != n) return 0;
    char buf[48];
    memcpy(buf, s, n);
    buf[n] = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v) || v > 1e9) return 0;
    *out = (float)v;
    return 1;
}

static mosa_status texts_parse(const char *name, const uint8_t *buf, size_t len, hml_text **texts, int *n) {
    *texts = NULL;
    *n = 0;
    size_t bad = text_utf8_invalid_at(buf, len);
    if (bad < len) {
        size_t line = 1;
        for (size_t i = 0; i < bad; i++) line += buf[i] == '\n';
        return mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: not valid UTF-8 (byte 0x%02x)", name, line, buf[bad]);
    }
    hml_text *out = NULL;
    int count = 0, cap = 0;
    mosa_status s = MOSA_OK;
    size_t pos = 0, line = 0;
    while (pos < len && s == MOSA_OK) {
        line++;
        size_t end = pos;
        while (end < len && buf[end] != '\n') end++;
        const uint8_t *l = buf + pos;
        size_t ln = end - pos;
        pos = end + 1;
        if (ln && l[ln - 1] == '\r') ln--;
        if (ln > HML_MAX_LINE) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: line of %zu bytes (at most %d)", name, line, ln, HML_MAX_LINE);
            break;
        }
        size_t k = 0;
        while (k < ln && (l[k] == ' ' || l[k] == '\t')) k++;
        if (k == ln) continue; /* blank line */
        size_t hash[4], nh = 0;
        for (size_t i = 0; i < ln; i++) {
            if (l[i] < 0x20 && l[i] != '\t') {
                s = mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: control character 0x%02x", name, line, l[i]);
                break;
            }
            if (l[i] == '#') {
                if (nh == 3) {
                    s = mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: more than four '#'-separated fields (expected caption#tokens#start#end)",
                                  name, line);
                    break;
                }
                hash[nh++] = i;
            }
        }
        if (s != MOSA_OK) break;
        if (nh != 3) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: %zu '#'-separated field%s, expected four (caption#tokens#start#end)",
                          name, line, nh + 1, nh ? "s" : "");
            break;
        }
        float t0, t1;
        if (!parse_time(l + hash[1] + 1, hash[2] - hash[1] - 1, &t0) || !parse_time(l + hash[2] + 1, ln - hash[2] - 1, &t1)) {
            char b0[48], b1[48];
            s = mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: start and end must be non-negative numbers of seconds (or nan), found '%s' and '%s'",
                          name, line, shown(l + hash[1] + 1, hash[2] - hash[1] - 1, b0), shown(l + hash[2] + 1, ln - hash[2] - 1, b1));
            break;
        }
        if (hash[0] == 0) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: empty caption", name, line);
            break;
        }
        if (count == HML_MAX_CAPTIONS) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: more than %d captions", name, HML_MAX_CAPTIONS);
            break;
        }
        if (count == cap) {
            int nc = cap ? cap * 2 : 4;
            hml_text *g = mosa_realloc(out, (size_t)nc * sizeof *g);
            if (!g) {
                s = MOSA_ERR_NOMEM;
                break;
            }
            out = g;
            cap = nc;
        }
        hml_text *t = &out[count];
        t->caption = dup_range(l, hash[0]);
        t->tokens = dup_range(l + hash[0] + 1, hash[1] - hash[0] - 1);
        t->start = t0;
        t->end = t1;
        count++;
        if (!t->caption || !t->tokens) s = MOSA_ERR_NOMEM;
    }
    if (s != MOSA_OK) {
        hml_texts_free(out, count);
        return s;
    }
    *texts = out;
    *n = count;
    return MOSA_OK;
}

mosa_status hml_texts_parse(const char *name, const uint8_t *buf, size_t len, hml_text **texts, int *n) {
    locale_t old = text_locale_enter();
    mosa_status s = texts_parse(name, buf, len, texts, n);
    text_locale_restore(old);
    return s;
}

mosa_status hml_texts_read(const char *path, hml_text **texts, int *n) {
    *texts = NULL;
    *n = 0;
    uint8_t *buf;
    size_t len;
    MOSA_TRY(file_read_all(path, HML_MAX_TEXT_BYTES, &buf, &len));
    mosa_status s = hml_texts_parse(path, buf, len, texts, n);
    mosa_free(buf);
    return s;
}

static mosa_status texts_write(const char *path, const hml_text *texts, int n) {
    size_t cap = 256, len = 0;
    char *buf = mosa_malloc(cap);
    if (!buf) return MOSA_ERR_NOMEM;
    mosa_status s = MOSA_OK;
    char tagged[HML_MAX_LINE];
    for (int i = 0; i < n && s == MOSA_OK; i++) {
        const hml_text *t = &texts[i];
        if (!t->caption || !t->caption[0] || strpbrk(t->caption, "#\n\r")) {
            s = mosa_fail(MOSA_ERR_ARG, "writing '%s': caption %d is empty or holds '#' or a line break", path, i);
            break;
        }
        const char *tok = t->tokens;
        if (!tok) {
            s = hml_pos_tag(t->caption, tagged, sizeof tagged);
            if (s != MOSA_OK) break;
            tok = tagged;
        } else if (strpbrk(tok, "#\n\r")) {
            s = mosa_fail(MOSA_ERR_ARG, "writing '%s': the tokens of caption %d hold '#' or a line break", path, i);
            break;
        }
        if (!(t->start >= 0) || !(t->end >= 0) || !isfinite(t->start) || !isfinite(t->end)) {
            s = mosa_fail(MOSA_ERR_ARG, "writing '%s': caption %d has start %g, end %g (non-negative seconds needed)", path,
                          i, (double)t->start, (double)t->end);
            break;
        }
        char a[32], b[32];
        text_fmt_f32(t->start, a);
        text_fmt_f32(t->end, b);
        size_t need = strlen(t->caption) + strlen(tok) + strlen(a) + strlen(b) + 5;
        if (len + need > cap) {
            while (len + need > cap) cap *= 2;
            char *g = mosa_realloc(buf, cap);
            if (!g) {
                s = MOSA_ERR_NOMEM;
                break;
            }
            buf = g;
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s#%s#%s#%s\n", t->caption, tok, a, b);
    }
    if (s == MOSA_OK) s = file_write_atomic(path, buf, len);
    mosa_free(buf);
    return s;
}

mosa_status hml_texts_write(const char *path, const hml_text *texts, int n) {
    locale_t old = text_locale_enter();
    mosa_status s = texts_write(path, texts, n);
    text_locale_restore(old);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Split lists                                                                                 */
/* ------------------------------------------------------------------------------------------ */

void hml_ids_free(char **ids, int n) {
    if (!ids) return;
    for (int i = 0; i < n; i++) mosa_free(ids[i]);
    mosa_free(ids);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

mosa_status hml_split_parse(const char *name, const uint8_t *buf, size_t len, char ***ids, int *n) {
    *ids = NULL;
    *n = 0;
    char **out = NULL;
    int count = 0, cap = 0;
    mosa_status s = MOSA_OK;
    size_t pos = 0, line = 0;
    while (pos < len && s == MOSA_OK) {
        line++;
        size_t end = pos;
        while (end < len && buf[end] != '\n') end++;
        size_t a = pos, b = end;
        pos = end + 1;
        while (a < b && isspace(buf[a])) a++;
        while (b > a && isspace(buf[b - 1])) b--;
        if (a == b) continue;
        char id[HML_MAX_ID];
        int ok = b - a < HML_MAX_ID;
        if (ok) {
            memcpy(id, buf + a, b - a);
            id[b - a] = 0;
            ok = hml_id_valid(id) && memchr(buf + a, 0, b - a) == NULL;
        }
        if (!ok) {
            char sb[48];
            s = mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: '%s' is not a motion ID (1 to %d characters of A-Z a-z 0-9 _ -)",
                          name, line, shown(buf + a, b - a, sb), HML_MAX_ID - 1);
            break;
        }
        if (count == HML_MAX_IDS) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: more than %d IDs", name, HML_MAX_IDS);
            break;
        }
        if (count == cap) {
            int nc = cap ? cap * 2 : 64;
            char **g = mosa_realloc(out, (size_t)nc * sizeof *g);
            if (!g) {
                s = MOSA_ERR_NOMEM;
                break;
            }
            out = g;
            cap = nc;
        }
        if (!(out[count] = mosa_strdup(id))) {
            s = MOSA_ERR_NOMEM;
            break;
        }
        count++;
    }
    if (s == MOSA_OK && count > 1) {
        /* duplicates: checked on a sorted copy so the list keeps its order */
        char **sorted = mosa_malloc((size_t)count * sizeof *sorted);
        if (!sorted) s = MOSA_ERR_NOMEM;
        else {
            memcpy(sorted, out, (size_t)count * sizeof *sorted);
            qsort(sorted, (size_t)count, sizeof *sorted, cmp_str);
            for (int i = 1; i < count; i++)
                if (!strcmp(sorted[i - 1], sorted[i])) {
                    s = mosa_fail(MOSA_ERR_FORMAT, "%s: ID '%s' is listed more than once", name, sorted[i]);
                    break;
                }
            mosa_free(sorted);
        }
    }
    if (s != MOSA_OK) {
        hml_ids_free(out, count);
        return s;
    }
    *ids = out;
    *n = count;
    return MOSA_OK;
}

mosa_status hml_split_read(const char *path, char ***ids, int *n) {
    *ids = NULL;
    *n = 0;
    uint8_t *buf;
    size_t len;
    MOSA_TRY(file_read_all(path, HML_MAX_SPLIT_BYTES, &buf, &len));
    mosa_status s = hml_split_parse(path, buf, len, ids, n);
    mosa_free(buf);
    return s;
}

mosa_status hml_split_write(const char *root, const char *name, char *const *ids, int n) {
    if (!hml_id_valid(name)) return mosa_fail(MOSA_ERR_ARG, "split name '%s' is not a plain name (like train)", name);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        if (!hml_id_valid(ids[i])) return mosa_fail(MOSA_ERR_ARG, "split '%s': '%s' is not a motion ID", name, ids[i]);
        len += strlen(ids[i]) + 1;
    }
    char *buf = mosa_malloc(len + 1), *path = NULL;
    if (!buf) return MOSA_ERR_NOMEM;
    size_t k = 0;
    for (int i = 0; i < n; i++) k += (size_t)sprintf(buf + k, "%s\n", ids[i]);
    mosa_status s = mkdir_one(root);
    if (s == MOSA_OK && !(path = path_join(root, name, NULL, ".txt"))) s = MOSA_ERR_NOMEM;
    if (s == MOSA_OK) s = file_write_atomic(path, buf, len);
    mosa_free(path);
    mosa_free(buf);
    return s;
}

mosa_status hml_stats_write(const char *root, const float mean[263], const float std[263]) {
    const int64_t shape[1] = {263};
    MOSA_TRY(mkdir_one(root));
    char *p = path_join(root, "Mean.npy", NULL, NULL);
    if (!p) return MOSA_ERR_NOMEM;
    mosa_status s = npy_write_f32(p, mean, shape, 1);
    mosa_free(p);
    if (s != MOSA_OK) return s;
    if (!(p = path_join(root, "Std.npy", NULL, NULL))) return MOSA_ERR_NOMEM;
    s = npy_write_f32(p, std, shape, 1);
    mosa_free(p);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Motion writer                                                                               */
/* ------------------------------------------------------------------------------------------ */

void hml_motion_free(hml_motion *m) {
    mosa_free(m->joints);
    mosa_free(m->vecs);
    hml_texts_free(m->texts, m->n_texts);
    memset(m, 0, sizeof *m);
}

static mosa_status write_part(const char *root, const char *sub, const char *id, const char *ext, const float *d,
                              const int64_t *shape, int nd, const hml_text *texts, int n_texts) {
    char *dir = path_join(root, sub, NULL, NULL), *path = path_join(root, sub, id, ext);
    mosa_status s = (!dir || !path) ? MOSA_ERR_NOMEM : mkdir_one(dir);
    if (s == MOSA_OK) s = d ? npy_write_f32(path, d, shape, nd) : hml_texts_write(path, texts, n_texts);
    mosa_free(dir);
    mosa_free(path);
    return s;
}

mosa_status hml_motion_write(const char *root, const hml_motion *m) {
    if (!hml_id_valid(m->id)) return mosa_fail(MOSA_ERR_ARG, "'%s' is not a motion ID (1 to %d characters of A-Z a-z 0-9 _ -)", m->id, HML_MAX_ID - 1);
    if (m->joints && (m->T < 1 || m->T > HML_MAX_FRAMES))
        return mosa_fail(MOSA_ERR_ARG, "motion %s: %d frames (1 to %d allowed)", m->id, m->T, HML_MAX_FRAMES);
    if (m->vecs && (m->T_vecs < 1 || m->T_vecs > HML_MAX_FRAMES))
        return mosa_fail(MOSA_ERR_ARG, "motion %s: %d feature rows (1 to %d allowed)", m->id, m->T_vecs, HML_MAX_FRAMES);
    MOSA_TRY(mkdir_one(root));
    if (m->joints) {
        const int64_t shape[3] = {m->T, 22, 3};
        MOSA_TRY(write_part(root, "new_joints", m->id, ".npy", m->joints, shape, 3, NULL, 0));
    }
    if (m->vecs) {
        const int64_t shape[2] = {m->T_vecs, 263};
        MOSA_TRY(write_part(root, "new_joint_vecs", m->id, ".npy", m->vecs, shape, 2, NULL, 0));
    }
    if (m->texts) MOSA_TRY(write_part(root, "texts", m->id, ".txt", NULL, NULL, 0, m->texts, m->n_texts));
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* The approximate POS tagger                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef enum { T_NONE, T_DET, T_PRON, T_ADP, T_CCONJ, T_SCONJ, T_AUX, T_PART, T_NUM, T_ADV, T_ADJ, T_VERB, T_NOUN } tag;
static const char *const k_tag_names[] = {"X", "DET", "PRON", "ADP", "CCONJ", "SCONJ", "AUX", "PART", "NUM", "ADV", "ADJ", "VERB", "NOUN"};

/* Closed classes and common words, space-separated per tag. */
static const struct { tag t; const char *words; } k_lexicon[] = {
    {T_DET, "a an the his their its this that these those some each every another any no all both either neither my "
            "your our which what whose"},
    {T_PRON, "he she it they him them someone somebody something anything everything nothing anyone everyone "
             "himself herself itself themselves i you we me us who whom"},
    {T_ADP, "with on in at from into onto of by for towards toward about above below between beneath like near upon "
            "within without against via among before after under beside besides underneath"},
    {T_CCONJ, "and or but nor"},
    {T_SCONJ, "while as if because until when whilst though although since whereas unless"},
    {T_AUX, "is are was were be been being am can could will would should may might must shall"},
    {T_PART, "not"},
    {T_NUM, "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
            "seventeen eighteen nineteen twenty thirty forty fifty hundred"},
    {T_ADV, "forward forwards backward backwards sideways slowly quickly then again away together there here very also "
            "still just only almost repeatedly twice once rapidly gently briefly finally slightly clockwise "
            "counterclockwise anticlockwise diagonally upward upwards downward downwards inward inwards outward "
            "outwards straight fast too so really extremely barely nearly continuously constantly alternately "
            "simultaneously afterwards later now soon immediately suddenly carefully abruptly back first ahead "
            "aside apart backwards thrice even"},
    {T_ADJ, "left right big small large little slow high low long short other same different whole full several few "
             "many much wide narrow open closed upper lower front rear middle quick second third last next final "
             "entire certain single double heavy light tall old young happy sad angry tired drunk careful random "
             "steady normal original circular opposite various quick brief huge tiny strong weak hard soft "
             "imaginary invisible"},
    {T_NOUN, "man woman person people figure guy boy girl child kid human body arm hand finger thumb leg foot knee "
             "hip head shoulder elbow wrist ankle toe waist chest torso neck face side circle line direction ground "
             "floor stair ball object box chair table wall door time motion movement position pose way place "
             "air front mouth eye ear heel palm fist lap bottom top middle center centre room area square path road "
             "stage bar rope bag cup thing ceiling railing building bed sled belly family animal signal interval "
             "ring string wing king lot bit rest pace stance step degree"},
};

/* Base forms of verbs (NOUN after a determiner: "a kick"). */
static const char *const k_verbs =
    "walk run jog jump hop skip kick punch throw catch pick put place lift raise lower wave clap bow bend squat "
    "sit stand lie lay crawl climb step turn spin rotate twist stretch swing shake dance march stroll sprint "
    "leap dive roll fall stumble trip kneel crouch lean reach grab hold push pull carry drop touch tap scratch "
    "rub point look stop start begin continue move go come return rise get make do take give bring slide shuffle "
    "limp sway rock flap flail balance stomp stamp skate swim fly fight box block dodge duck chop cut wipe clean "
    "wash brush eat drink pour stir play serve shoot aim pray salute cheer celebrate stagger tiptoe sidestep "
    "cartwheel flip perform use try seem appear repeat keep end finish pause wait cross open close drive ride "
    "pedal row paddle hit swat sweep paint write knock shrug nod hug stride bounce circle zigzag curve hang "
    "wiggle wobble hunch straighten extend flex tilt toss lunge warm exercise practice prepare watch see talk "
    "speak say tell ask call yell shout sing laugh cry smile bob stoop sneak tumble slip land launch spring "
    "vault swirl twirl pivot shift strike stick feel lead send spend steal tear wear wake break choose dig buy "
    "think jiggle shimmy set swipe skid pass follow grasp flick jab hook uppercut guard";

/* Irregular inflections: "form lemma" pairs. */
static const char *const k_irregular =
    "ran run sat sit stood stand went go gone go threw throw thrown throw caught catch fell fall fallen fall took take "
    "taken take came come got get gotten get made make did do done do held hold brought bring gave give given give "
    "lying lie lies lie leapt leap knelt kneel swung swing spun spin began begin begun begin rose rise risen rise "
    "struck strike stuck stick hung hang slid slide flew fly swam swim drove drive rode ride wrote write saw see "
    "seen see said say told tell felt feel kept keep led lead dove dive shook shake shaken shake bent bend sent "
    "send spent spend stole steal tore tear wore wear woke wake broke break broken break chose choose dug dig "
    "fought fight bought buy thought think ate eat drank drink sang sing feet foot men man women woman children "
    "child teeth tooth does do goes go";

/* Words whose tag depends on the next word: ADP before a noun phrase, ADV otherwise. */
static const char *const k_particles = "around up down over out off through across along behind inside outside";

static int in_list(const char *list, const char *w) {
    size_t n = strlen(w);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !memcmp(p, w, n)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* The lemma paired with w in k_irregular, or NULL. */
static const char *irregular(const char *w, char *buf, size_t cap) {
    size_t n = strlen(w);
    const char *p = k_irregular;
    while (*p) {
        const char *e1 = strchr(p, ' ');
        if (!e1) break;
        const char *l = e1 + 1, *e2 = strchr(l, ' ');
        size_t ll = e2 ? (size_t)(e2 - l) : strlen(l);
        if ((size_t)(e1 - p) == n && !memcmp(p, w, n) && ll < cap) {
            memcpy(buf, l, ll);
            buf[ll] = 0;
            return buf;
        }
        if (!e2) break;
        p = e2 + 1;
    }
    return NULL;
}

static int is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
static int ends_with(const char *w, const char *suf) {
    size_t n = strlen(w), m = strlen(suf);
    return n >= m && !memcmp(w + n - m, suf, m);
}

/* The base verb of an -ing / -ed form: tries the verb lexicon with the stem, stem+"e", and the
 * stem with a doubled final consonant undone, then falls back to spelling rules. */
static void verb_stem(const char *w, size_t cut, char *out, size_t cap) {
    size_t n = strlen(w) - cut;
    if (n + 2 >= cap) n = cap - 3;
    char stem[64];
    memcpy(stem, w, n);
    stem[n] = 0;
    if (cut == 2 && n >= 2 && stem[n - 1] == 'i' && ends_with(w, "ied")) { /* carried -> carry */
        stem[n - 1] = 'y';
        snprintf(out, cap, "%s", stem);
        return;
    }
    char cand[64];
    if (in_list(k_verbs, stem)) {
        snprintf(out, cap, "%s", stem);
        return;
    }
    snprintf(cand, sizeof cand, "%se", stem);
    if (in_list(k_verbs, cand)) {
        snprintf(out, cap, "%s", cand);
        return;
    }
    if (n >= 2 && stem[n - 1] == stem[n - 2] && !is_vowel(stem[n - 1])) {
        memcpy(cand, stem, n - 1);
        cand[n - 1] = 0;
        if (in_list(k_verbs, cand) || (stem[n - 1] != 'l' && stem[n - 1] != 's' && stem[n - 1] != 'z' && stem[n - 1] != 'f')) {
            snprintf(out, cap, "%s", cand);
            return;
        }
    }
    /* "juggl" -> "juggle", "wav" -> "wave", "argu" -> "argue" */
    if (n >= 2 && ((stem[n - 1] == 'l' && !is_vowel(stem[n - 2]) && stem[n - 2] != 'l') || stem[n - 1] == 'v' ||
                   stem[n - 1] == 'u' || (stem[n - 1] == 'c' && !is_vowel(stem[n - 2])) ||
                   (stem[n - 1] == 'z' && stem[n - 2] != 'z'))) {
        snprintf(out, cap, "%se", stem);
        return;
    }
    snprintf(out, cap, "%s", stem);
}

/* The singular / base form of an -s word: "-ies" -> "-y", "-es" after s x z ch sh -> strip, else
 * strip the s. */
static void strip_s(const char *w, char *out, size_t cap) {
    size_t n = strlen(w);
    if (ends_with(w, "ies") && n > 4) snprintf(out, cap, "%.*sy", (int)(n - 3), w);
    else if (ends_with(w, "sses") || ends_with(w, "xes") || ends_with(w, "zes") || ends_with(w, "ches") || ends_with(w, "shes"))
        snprintf(out, cap, "%.*s", (int)(n - 2), w);
    else snprintf(out, cap, "%.*s", (int)(n - 1), w);
}

typedef struct tword {
    char w[64];       /* the word, lower case */
    char lemma[64];
    tag t;
    int base_verb;    /* an uninflected form found in the verb lexicon */
    int inflected_s;  /* ends in an -s that could be a verb's or a plural's */
    int poss;         /* followed by 's (possessive): acts as a determiner for the next word */
} tword;

/* Lexicon and suffix rules for one word, ignoring its neighbours. */
static void tag_word(tword *x) {
    const char *w = x->w;
    size_t n = strlen(w);
    char buf[64];
    snprintf(x->lemma, sizeof x->lemma, "%s", w);
    for (size_t i = 0; i < sizeof k_lexicon / sizeof k_lexicon[0]; i++)
        if (in_list(k_lexicon[i].words, w)) {
            x->t = k_lexicon[i].t;
            if (x->t != T_NOUN || !in_list(k_verbs, w)) return;
        }
    if (in_list(k_particles, w)) {
        x->t = T_ADP;
        return;
    }
    if (in_list(k_verbs, w)) {
        x->t = T_VERB;
        x->base_verb = 1;
        return;
    }
    if (x->t == T_NOUN) return;
    if (irregular(w, buf, sizeof buf)) {
        snprintf(x->lemma, sizeof x->lemma, "%s", buf);
        x->t = in_list(k_verbs, buf) ? T_VERB : T_NOUN;
        return;
    }
    if (n >= 5 && ends_with(w, "ing")) {
        verb_stem(w, 3, x->lemma, sizeof x->lemma);
        x->t = T_VERB;
        return;
    }
    if (n >= 4 && ends_with(w, "ed")) {
        verb_stem(w, 2, x->lemma, sizeof x->lemma);
        x->t = T_VERB;
        return;
    }
    if (n >= 4 && ends_with(w, "ly")) {
        x->t = T_ADV;
        return;
    }
    static const char *const adj_suffix[] = {"ful", "ous", "ive", "able", "ible", "al", "ic", "ish", "less", "ary"};
    for (size_t i = 0; i < sizeof adj_suffix / sizeof adj_suffix[0]; i++)
        if (n >= strlen(adj_suffix[i]) + 3 && ends_with(w, adj_suffix[i])) {
            x->t = T_ADJ;
            return;
        }
    if (n >= 3 && w[n - 1] == 's' && !ends_with(w, "ss") && !ends_with(w, "us") && !ends_with(w, "is")) {
        strip_s(w, buf, sizeof buf);
        x->inflected_s = 1;
        snprintf(x->lemma, sizeof x->lemma, "%s", buf);
        x->t = in_list(k_verbs, buf) ? T_VERB : T_NOUN;
        return;
    }
    x->t = T_NOUN;
}

static int starts_noun_phrase(tag t) { return t == T_DET || t == T_NOUN || t == T_PRON || t == T_NUM || t == T_ADJ; }

mosa_status hml_pos_tag(const char *caption, char *out, size_t cap) {
    if (cap == 0) return mosa_fail(MOSA_ERR_ARG, "hml_pos_tag: no room for the tokens");
    out[0] = 0;
    enum { MAXW = 256 };
    tword *ws = mosa_calloc(MAXW, sizeof *ws);
    if (!ws) return MOSA_ERR_NOMEM;
    int nw = 0;
    /* 1. words: runs of letters ('-' removed, as process_text does), lower-cased; a letter run
     *    after an apostrophe ('s, 't, 're) is dropped, and "n't" takes its n off the word. */
    const unsigned char *s = (const unsigned char *)caption;
    while (*s && nw < MAXW) {
        if (!(isalpha(*s) || *s >= 0x80)) {
            s++;
            continue;
        }
        tword *x = &ws[nw];
        size_t k = 0;
        while (*s && (isalpha(*s) || *s >= 0x80 || *s == '-')) {
            if (*s != '-' && k + 1 < sizeof x->w) x->w[k++] = (char)(*s < 0x80 ? tolower(*s) : *s);
            s++;
        }
        x->w[k] = 0;
        if (*s == '\'' && isalpha(s[1])) {
            const unsigned char *q = s + 1;
            while (isalpha(*q)) q++;
            if ((q - s - 1) == 1 && tolower(s[1]) == 't' && k > 1 && x->w[k - 1] == 'n') x->w[--k] = 0;
            if ((q - s - 1) == 1 && tolower(s[1]) == 's') x->poss = 1;
            s = q;
        }
        if (k) nw++;
    }
    /* 2. each word alone */
    for (int i = 0; i < nw; i++) tag_word(&ws[i]);
    /* 3. neighbours */
    for (int i = 0; i < nw; i++) {
        tword *x = &ws[i];
        tag prev = i > 0 ? ws[i - 1].t : T_NONE, next = i + 1 < nw ? ws[i + 1].t : T_NONE;
        int after_det = prev == T_DET || prev == T_NUM || (i > 0 && ws[i - 1].poss) ||
                        (prev == T_ADJ && i > 1 && ws[i - 2].t == T_DET);
        if (!strcmp(x->w, "left") || !strcmp(x->w, "right")) {
            x->t = (next == T_NOUN || (i + 1 < nw && ws[i + 1].base_verb)) ? T_ADJ : T_NOUN;
        } else if (!strcmp(x->w, "back")) {
            x->t = after_det ? T_NOUN : T_ADV;
        } else if (!strcmp(x->w, "to")) {
            x->t = (i + 1 < nw && ws[i + 1].base_verb) ? T_PART : T_ADP;
        } else if (!strcmp(x->w, "her")) {
            x->t = (next == T_NOUN || next == T_ADJ || (i + 1 < nw && ws[i + 1].base_verb)) ? T_DET : T_PRON;
        } else if (in_list("do does did has have had", x->w)) {
            int j = i + 1;
            while (j < nw && (ws[j].t == T_ADV || ws[j].t == T_PART)) j++;
            x->t = (j < nw && ws[j].t == T_VERB) ? T_AUX : T_VERB;
            if (x->t == T_VERB) snprintf(x->lemma, sizeof x->lemma, "%s", x->w[0] == 'h' ? "have" : "do");
        } else if (in_list(k_particles, x->w)) {
            x->t = starts_noun_phrase(next) ? T_ADP : T_ADV;
        } else if (x->base_verb && after_det) {
            x->t = T_NOUN;
        } else if (x->t == T_VERB && x->inflected_s && (after_det || prev == T_ADP || prev == T_VERB)) {
            x->t = T_NOUN;
        }
    }
    /* 4. lemmas for nouns and verbs; "left" is kept as is, as process_text does */
    size_t len = 0;
    mosa_status st = MOSA_OK;
    for (int i = 0; i < nw; i++) {
        tword *x = &ws[i];
        const char *word = (x->t == T_NOUN || x->t == T_VERB) && strcmp(x->w, "left") ? x->lemma : x->w;
        int k = snprintf(out + len, cap - len, "%s%s/%s", i ? " " : "", word, k_tag_names[x->t]);
        if (k < 0 || (size_t)k >= cap - len) {
            st = mosa_fail(MOSA_ERR_ARG, "hml_pos_tag: the tokens of '%.60s' need more than %zu bytes", caption, cap);
            out[0] = 0;
            break;
        }
        len += (size_t)k;
    }
    mosa_free(ws);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Directory reader                                                                            */
/* ------------------------------------------------------------------------------------------ */

static const struct { unsigned bit; const char *sub, *ext; } k_parts[3] = {
    {HML_JOINTS, "new_joints", ".npy"}, {HML_VECS, "new_joint_vecs", ".npy"}, {HML_TEXTS, "texts", ".txt"}};

/* Records a problem (the message of the current error, prefixed). */
static mosa_status dir_problem(hml_dir *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static mosa_status dir_problem(hml_dir *d, const char *fmt, ...) {
    d->n_problems++;
    if (d->n_kept >= HML_MAX_PROBLEMS) return MOSA_OK;
    if (!d->problems && !(d->problems = mosa_calloc(HML_MAX_PROBLEMS, sizeof(char *)))) return MOSA_ERR_NOMEM;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!(d->problems[d->n_kept] = mosa_strdup(msg))) return MOSA_ERR_NOMEM;
    d->n_kept++;
    return MOSA_OK;
}

void hml_dir_close(hml_dir *d) {
    mosa_free(d->root);
    hml_ids_free(d->ids, d->n_ids);
    if (d->problems)
        for (int i = 0; i < d->n_kept; i++) mosa_free(d->problems[i]);
    mosa_free(d->problems);
    memset(d, 0, sizeof *d);
}

mosa_status hml_dir_open(hml_dir *d, const char *root, const char *split, unsigned what, hml_policy policy) {
    memset(d, 0, sizeof *d);
    if (!hml_id_valid(split)) return mosa_fail(MOSA_ERR_ARG, "split '%s' is not a plain name (train, val, test, all, ...)", split);
    if (!what || (what & ~7u)) return mosa_fail(MOSA_ERR_ARG, "hml_dir_open: nothing (or something unknown) to load");
    d->what = what;
    d->policy = policy;
    if (!(d->root = mosa_strdup(root))) return MOSA_ERR_NOMEM;
    char *split_path = path_join(root, split, NULL, ".txt");
    if (!split_path) {
        hml_dir_close(d);
        return MOSA_ERR_NOMEM;
    }
    mosa_status s = hml_split_read(split_path, &d->ids, &d->n_ids);
    mosa_free(split_path);
    if (s != MOSA_OK) {
        hml_dir_close(d);
        return s;
    }
    /* existence of every file asked for */
    char missing[600] = "";
    size_t ml = 0;
    int n_missing = 0, keep = 0;
    for (int i = 0; i < d->n_ids && s == MOSA_OK; i++) {
        int ok = 1;
        for (int p = 0; p < 3 && s == MOSA_OK; p++) {
            if (!(what & k_parts[p].bit)) continue;
            char *path = path_join(root, k_parts[p].sub, d->ids[i], k_parts[p].ext);
            if (!path) {
                s = MOSA_ERR_NOMEM;
                break;
            }
            if (!file_exists(path)) {
                ok = 0;
                if (policy == HML_SKIP) s = dir_problem(d, "%s/%s%s: missing (skipped)", k_parts[p].sub, d->ids[i], k_parts[p].ext);
                else if (n_missing++ < 10 && ml < sizeof missing)
                    ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s%s/%s%s", ml ? ", " : "", k_parts[p].sub,
                                           d->ids[i], k_parts[p].ext);
            }
            mosa_free(path);
        }
        if (ok) {
            char *t = d->ids[keep];
            d->ids[keep++] = d->ids[i];
            if (keep - 1 != i) d->ids[i] = t;
        }
    }
    if (s == MOSA_OK && n_missing)
        s = mosa_fail(MOSA_ERR_IO, "%s: %d file%s of split '%s' missing: %s%s (open with HML_SKIP to skip them)", root,
                      n_missing, n_missing > 1 ? "s" : "", split, missing, n_missing > 10 ? ", ..." : "");
    if (s != MOSA_OK) {
        hml_dir_close(d);
        return s;
    }
    for (int i = keep; i < d->n_ids; i++) mosa_free(d->ids[i]);
    d->n_ids = keep;
    return MOSA_OK;
}

mosa_status hml_dir_load(const hml_dir *d, int i, hml_motion *m) {
    memset(m, 0, sizeof *m);
    if (i < 0 || i >= d->n_ids) return mosa_fail(MOSA_ERR_ARG, "hml_dir_load: index %d outside 0..%d", i, d->n_ids - 1);
    snprintf(m->id, sizeof m->id, "%s", d->ids[i]);
    mosa_status s = MOSA_OK;
    for (int p = 0; p < 3 && s == MOSA_OK; p++) {
        if (!(d->what & k_parts[p].bit)) continue;
        char *path = path_join(d->root, k_parts[p].sub, d->ids[i], k_parts[p].ext);
        if (!path) {
            s = MOSA_ERR_NOMEM;
            break;
        }
        if (p == 0) s = hml_joints_read(path, &m->joints, &m->T);
        else if (p == 1) s = hml_vecs_read(path, &m->vecs, &m->T_vecs);
        else {
            s = hml_texts_read(path, &m->texts, &m->n_texts);
            if (s == MOSA_OK && m->n_texts == 0) s = mosa_fail(MOSA_ERR_FORMAT, "'%s' holds no caption", path);
        }
        mosa_free(path);
    }
    if (s != MOSA_OK) hml_motion_free(m);
    return s;
}

mosa_status hml_dir_next(hml_dir *d, int *cursor, hml_motion *m, int *got) {
    *got = 0;
    memset(m, 0, sizeof *m);
    while (*cursor >= 0 && *cursor < d->n_ids) {
        int i = (*cursor)++;
        mosa_status s = hml_dir_load(d, i, m);
        if (s == MOSA_OK) {
            *got = 1;
            return MOSA_OK;
        }
        if (d->policy == HML_REFUSE || s == MOSA_ERR_NOMEM) return s;
        MOSA_TRY(dir_problem(d, "%s (skipped)", mosa_last_error()));
    }
    return MOSA_OK;
}
