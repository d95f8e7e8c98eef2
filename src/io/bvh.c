/* bvh.c: the BVH parser, forward kinematics, SMPL-22 import (retargeting) and MoMask-style
 * export (see bvh.h for the contract and conventions).
 *
 * What this is not: a general retargeter (joints are matched by name, not by shape) or a
 * foot-contact cleaner. Numbers are read and written in the C locale whatever the process
 * locale is (uselocale around each public call), so "0.05" is never written "0,05". */
#define _GNU_SOURCE
#include "base/text.h"
#include "bvh.h"

#include "../base/skeleton.h"

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BVH_MAX_ABS 1e9 /* largest magnitude accepted for any number */

/* ------------------------------------------------------------------------------------------ */
/* Lexer                                                                                       */
/* ------------------------------------------------------------------------------------------ */

typedef struct lexer {
    const char *name;
    const uint8_t *s;
    size_t n, i, line;
    char tok[BVH_MAX_TOKEN + 1];
    size_t tok_line;
} lexer;

static mosa_status lx_fail(const lexer *L, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static mosa_status lx_fail(const lexer *L, size_t line, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: %s", L->name, line, msg);
}

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

/* Reads the next whitespace-separated token into L->tok. Returns 1, 0 at the end of the input,
 * or -1 with the error set (a token over BVH_MAX_TOKEN bytes or with control characters). */
static int lx_next(lexer *L) {
    while (L->i < L->n && is_ws(L->s[L->i])) {
        if (L->s[L->i] == '\n') L->line++;
        L->i++;
    }
    L->tok[0] = 0;
    L->tok_line = L->line;
    if (L->i >= L->n) return 0;
    size_t k = 0;
    while (L->i < L->n && !is_ws(L->s[L->i])) {
        uint8_t c = L->s[L->i];
        if (c < 0x20 || c == 0x7F) {
            lx_fail(L, L->line, "unexpected control character 0x%02x", c);
            return -1;
        }
        if (k == BVH_MAX_TOKEN) {
            lx_fail(L, L->line, "a token longer than %d bytes", BVH_MAX_TOKEN);
            return -1;
        }
        L->tok[k++] = (char)c;
        L->i++;
    }
    L->tok[k] = 0;
    return 1;
}

/* A token for a message: at most 40 characters, "..." when cut; "the end of the file" at EOF. */
static const char *shown(const char *tok, char buf[64]) {
    if (!tok[0]) return "the end of the file";
    size_t n = strlen(tok);
    snprintf(buf, 64, "'%.40s%s'", tok, n > 40 ? "..." : "");
    return buf;
}

/* Strict decimal number: [+-] digits [. digits] [e [+-] digits] (at least one digit in the
 * mantissa); no hex, no inf/nan; |v| <= BVH_MAX_ABS. */
static int parse_number(const char *s, size_t n, double *out) {
    size_t i = 0, digits = 0;
    if (n == 0 || n > 64) return 0;
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (!digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, e++;
        if (!e) return 0;
    }
    if (i != n) return 0;
    char buf[80];
    memcpy(buf, s, n);
    buf[n] = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v) || fabs(v) > BVH_MAX_ABS) return -1;
    *out = v;
    return 1;
}

static mosa_status lx_number(lexer *L, double *out, const char *what) {
    int r = lx_next(L);
    if (r < 0) return MOSA_ERR_FORMAT;
    char b[64];
    int ok = r ? parse_number(L->tok, strlen(L->tok), out) : 0;
    if (ok == 1) return MOSA_OK;
    if (ok < 0) return lx_fail(L, L->tok_line, "%s %s is out of range (|v| <= 1e9, finite)", what, shown(L->tok, b));
    return lx_fail(L, L->tok_line, "expected a number for %s, found %s", what, shown(L->tok, b));
}

static int tok_is(const lexer *L, const char *kw) { return !strcasecmp(L->tok, kw); }

static mosa_status lx_expect(lexer *L, const char *kw, const char *after) {
    int r = lx_next(L);
    if (r < 0) return MOSA_ERR_FORMAT;
    if (r && tok_is(L, kw)) return MOSA_OK;
    char b[64];
    return lx_fail(L, L->tok_line, "expected '%s' %s, found %s", kw, after, shown(L->tok, b));
}

/* ------------------------------------------------------------------------------------------ */
/* Parser                                                                                      */
/* ------------------------------------------------------------------------------------------ */

void bvh_free(bvh_file *f) {
    mosa_free(f->nodes);
    mosa_free(f->motion);
    memset(f, 0, sizeof *f);
}

static const char *const k_channel_names[6] = {"Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation"};

/* Adds a node under `parent` (name from the current token unless end_site). */
static mosa_status add_node(lexer *L, bvh_file *f, int parent, int end_site, int *out) {
    if (end_site ? (f->n_nodes - f->n_joints >= BVH_MAX_END_SITES) : (f->n_joints >= BVH_MAX_JOINTS))
        return lx_fail(L, L->tok_line, "more than %d %s", end_site ? BVH_MAX_END_SITES : BVH_MAX_JOINTS,
                       end_site ? "End Sites" : "joints");
    bvh_node *nd = &f->nodes[f->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->parent = parent;
    nd->end_site = end_site;
    if (end_site) {
        snprintf(nd->name, sizeof nd->name, "%.50s/End Site", f->nodes[parent].name);
    } else {
        char b[64];
        if (!L->tok[0] || !strcmp(L->tok, "{") || !strcmp(L->tok, "}"))
            return lx_fail(L, L->tok_line, "expected a joint name, found %s", shown(L->tok, b));
        if (strlen(L->tok) >= BVH_MAX_NAME)
            return lx_fail(L, L->tok_line, "joint name %s is longer than %d bytes", shown(L->tok, b), BVH_MAX_NAME - 1);
        memcpy(nd->name, L->tok, strlen(L->tok) + 1);
        f->n_joints++;
    }
    *out = f->n_nodes++;
    return MOSA_OK;
}

static mosa_status parse_offset(lexer *L, bvh_node *nd) {
    for (int k = 0; k < 3; k++) MOSA_TRY(lx_number(L, &nd->offset[k], "an OFFSET component"));
    return MOSA_OK;
}

static mosa_status parse_channels(lexer *L, bvh_file *f, bvh_node *nd) {
    int r = lx_next(L);
    if (r < 0) return MOSA_ERR_FORMAT;
    char b[64];
    if (!r || strlen(L->tok) != 1 || L->tok[0] < '0' || L->tok[0] > '9')
        return lx_fail(L, L->tok_line, "expected the channel count (0 to 6) after CHANNELS, found %s", shown(L->tok, b));
    int n = L->tok[0] - '0';
    if (n > 6) return lx_fail(L, L->tok_line, "joint '%s' has %d channels (at most 6)", nd->name, n);
    unsigned seen = 0;
    for (int c = 0; c < n; c++) {
        if ((r = lx_next(L)) < 0) return MOSA_ERR_FORMAT;
        int ch = -1;
        for (int k = 0; k < 6 && r; k++)
            if (tok_is(L, k_channel_names[k])) ch = k;
        if (ch < 0)
            return lx_fail(L, L->tok_line, "expected a channel name (Xposition Yposition Zposition Xrotation Yrotation Zrotation), found %s",
                           shown(L->tok, b));
        if (seen & (1u << ch)) return lx_fail(L, L->tok_line, "channel %s listed twice for joint '%s'", k_channel_names[ch], nd->name);
        seen |= 1u << ch;
        nd->channels[c] = (uint8_t)ch;
    }
    nd->n_channels = n;
    nd->first_channel = f->n_channels;
    f->n_channels += n;
    return MOSA_OK;
}

/* Parses one ROOT (its name is the next token) and everything inside it, without recursion. */
static mosa_status parse_root(lexer *L, bvh_file *f) {
    int stack[BVH_MAX_NODES], sp = 0;
    unsigned char has_offset[BVH_MAX_NODES], has_channels[BVH_MAX_NODES];
    int r = lx_next(L);
    if (r < 0) return MOSA_ERR_FORMAT;
    int cur = 0;
    MOSA_TRY(add_node(L, f, -1, 0, &cur));
    char what[128];
    snprintf(what, sizeof what, "after 'ROOT %.60s'", f->nodes[cur].name);
    MOSA_TRY(lx_expect(L, "{", what));
    stack[sp++] = cur;
    has_offset[cur] = has_channels[cur] = 0;
    char b[64];
    while (sp > 0) {
        cur = stack[sp - 1];
        bvh_node *nd = &f->nodes[cur];
        if ((r = lx_next(L)) < 0) return MOSA_ERR_FORMAT;
        if (r && tok_is(L, "OFFSET")) {
            if (has_offset[cur]) return lx_fail(L, L->tok_line, "second OFFSET in joint '%s'", nd->name);
            MOSA_TRY(parse_offset(L, nd));
            has_offset[cur] = 1;
        } else if (r && tok_is(L, "CHANNELS")) {
            if (has_channels[cur]) return lx_fail(L, L->tok_line, "second CHANNELS in joint '%s'", nd->name);
            MOSA_TRY(parse_channels(L, f, nd));
            has_channels[cur] = 1;
        } else if (r && (tok_is(L, "JOINT") || tok_is(L, "End") || tok_is(L, "}"))) {
            if (!has_offset[cur] || !has_channels[cur])
                return lx_fail(L, L->tok_line, "joint '%s' needs an OFFSET and a CHANNELS line before %s", nd->name, shown(L->tok, b));
            if (tok_is(L, "}")) {
                sp--;
                continue;
            }
            if (tok_is(L, "JOINT")) {
                if ((r = lx_next(L)) < 0) return MOSA_ERR_FORMAT;
                int child = 0;
                MOSA_TRY(add_node(L, f, cur, 0, &child));
                snprintf(what, sizeof what, "after 'JOINT %.60s'", f->nodes[child].name);
                MOSA_TRY(lx_expect(L, "{", what));
                has_offset[child] = has_channels[child] = 0;
                stack[sp++] = child; /* sp <= n_nodes <= BVH_MAX_NODES */
            } else {
                MOSA_TRY(lx_expect(L, "Site", "after 'End'"));
                int child = 0;
                MOSA_TRY(add_node(L, f, cur, 1, &child));
                MOSA_TRY(lx_expect(L, "{", "after 'End Site'"));
                MOSA_TRY(lx_expect(L, "OFFSET", "in an End Site"));
                MOSA_TRY(parse_offset(L, &f->nodes[child]));
                MOSA_TRY(lx_expect(L, "}", "after the OFFSET of an End Site (End Sites have no channels or children)"));
            }
        } else {
            return lx_fail(L, L->tok_line, "expected OFFSET, CHANNELS, JOINT, End Site or '}' in joint '%s', found %s",
                           nd->name, shown(L->tok, b));
        }
    }
    return MOSA_OK;
}

/* "Frames:" N (also "Frames:N"). */
static mosa_status parse_frames(lexer *L, bvh_file *f) {
    int r = lx_next(L);
    if (r < 0) return MOSA_ERR_FORMAT;
    char b[64];
    const char *num = NULL;
    if (r && !strncasecmp(L->tok, "Frames:", 7)) {
        if (L->tok[7]) num = L->tok + 7;
    } else {
        return lx_fail(L, L->tok_line, "expected 'Frames:' after MOTION, found %s", shown(L->tok, b));
    }
    if (!num) {
        if ((r = lx_next(L)) < 0) return MOSA_ERR_FORMAT;
        num = L->tok;
    }
    size_t n = strlen(num);
    if (n == 0 || n > 12) return lx_fail(L, L->tok_line, "expected the frame count after 'Frames:', found %s", shown(num, b));
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (num[i] < '0' || num[i] > '9') return lx_fail(L, L->tok_line, "expected the frame count after 'Frames:', found %s", shown(num, b));
        v = v * 10 + (num[i] - '0');
    }
    if (v > BVH_MAX_FRAMES) return lx_fail(L, L->tok_line, "%lld frames declared (at most %d)", v, BVH_MAX_FRAMES);
    f->n_frames = (int)v;
    return MOSA_OK;
}

/* "Frame Time:" t (also "Time:t"). */
static mosa_status parse_frame_time(lexer *L, bvh_file *f) {
    MOSA_TRY(lx_expect(L, "Frame", "after the frame count"));
    int r = lx_next(L);
    if (r < 0) return MOSA_ERR_FORMAT;
    char b[64];
    if (!r || strncasecmp(L->tok, "Time:", 5))
        return lx_fail(L, L->tok_line, "expected 'Frame Time:', found 'Frame' %s", shown(L->tok, b));
    double t;
    if (L->tok[5]) {
        int ok = parse_number(L->tok + 5, strlen(L->tok + 5), &t);
        if (ok != 1) return lx_fail(L, L->tok_line, "expected a number after 'Frame Time:', found %s", shown(L->tok + 5, b));
    } else {
        MOSA_TRY(lx_number(L, &t, "the Frame Time"));
    }
    if (!(t >= 1e-4 && t <= 10))
        return lx_fail(L, L->tok_line, "Frame Time %g s is outside 0.0001 .. 10 s (it is seconds per frame, e.g. 0.0333333 for 30 fps)", t);
    f->frame_time = t;
    return MOSA_OK;
}

/* The data rows: one frame a line, blank lines ignored. */
static mosa_status parse_rows(lexer *L, bvh_file *f) {
    /* the rest of the Frame Time line must be empty */
    while (L->i < L->n && L->s[L->i] != '\n') {
        if (!is_ws(L->s[L->i])) return lx_fail(L, L->line, "unexpected text after the Frame Time");
        L->i++;
    }
    size_t C = (size_t)f->n_channels, F = (size_t)f->n_frames, remain = L->n - L->i, need;
    /* each number takes at least two bytes (a digit and a separator) except the last one */
    if (!mosa_mul_ok(F, C, &need) || (need > 0 && need * 2 - 1 > remain + 1))
        return lx_fail(L, L->line, "Frames: %zu rows of %zu channels cannot fit in the %zu bytes that follow (the file is truncated or Frames is wrong)",
                       F, C, remain);
    f->motion = mosa_malloc(need ? need * sizeof(float) : 1);
    if (!f->motion) return MOSA_ERR_NOMEM;
    size_t row = 0;
    while (L->i < L->n) {
        if (L->s[L->i] == '\n') {
            L->i++;
            L->line++;
        }
        size_t start = L->i, end = start;
        while (end < L->n && L->s[end] != '\n') end++;
        size_t line = L->line;
        L->i = end;
        if (end - start > BVH_MAX_LINE) return lx_fail(L, line, "data line longer than %d bytes", BVH_MAX_LINE);
        size_t k = start, got = 0;
        while (k < end) {
            while (k < end && is_ws(L->s[k])) k++;
            if (k == end) break;
            size_t t0 = k;
            while (k < end && !is_ws(L->s[k])) k++;
            if (got == 0 && row == F)
                return lx_fail(L, line, "more data rows than the %zu declared by 'Frames:'", F);
            if (got == C)
                return lx_fail(L, line, "frame %zu has more than %zu numbers (the hierarchy declares %zu channels)", row, C, C);
            double v;
            int ok = parse_number((const char *)L->s + t0, k - t0, &v);
            if (ok != 1) {
                char tb[80], b[64];
                size_t tl = k - t0 < 70 ? k - t0 : 70;
                for (size_t q = 0; q < tl; q++) tb[q] = (L->s[t0 + q] < 0x20 || L->s[t0 + q] == 0x7F) ? '?' : (char)L->s[t0 + q];
                tb[tl] = 0;
                return lx_fail(L, line, "frame %zu, channel %zu: %s %s", row, got,
                               ok < 0 ? "value out of range (|v| <= 1e9, finite):" : "expected a number, found", shown(tb, b));
            }
            f->motion[row * C + got++] = (float)v;
        }
        if (got == 0) continue; /* blank line */
        if (got != C)
            return lx_fail(L, line, "frame %zu has %zu numbers, expected %zu (one per channel)", row, got, C);
        row++;
    }
    if (row != F)
        return lx_fail(L, L->line, "'Frames: %zu' but the file has %zu data rows (truncated?)", F, row);
    return MOSA_OK;
}

static mosa_status parse_all(lexer *L, bvh_file *f) {
    char b[64];
    int r = lx_next(L);
    if (r < 0) return MOSA_ERR_FORMAT;
    if (!r || !tok_is(L, "HIERARCHY"))
        return lx_fail(L, L->tok_line, "expected 'HIERARCHY' at the start of a BVH file, found %s", shown(L->tok, b));
    f->nodes = mosa_malloc(BVH_MAX_NODES * sizeof(bvh_node));
    if (!f->nodes) return MOSA_ERR_NOMEM;
    int roots = 0;
    for (;;) {
        if ((r = lx_next(L)) < 0) return MOSA_ERR_FORMAT;
        if (r && tok_is(L, "ROOT")) {
            MOSA_TRY(parse_root(L, f));
            roots++;
        } else if (r && tok_is(L, "MOTION") && roots > 0) {
            break;
        } else {
            return lx_fail(L, L->tok_line, "expected %s, found %s", roots ? "'ROOT' or 'MOTION'" : "'ROOT'", shown(L->tok, b));
        }
    }
    if (f->n_channels == 0) return lx_fail(L, L->tok_line, "the hierarchy declares no channels: nothing moves");
    MOSA_TRY(parse_frames(L, f));
    MOSA_TRY(parse_frame_time(L, f));
    return parse_rows(L, f);
}

mosa_status bvh_parse(bvh_file *f, const char *name, const uint8_t *buf, size_t len) {
    memset(f, 0, sizeof *f);
    lexer L;
    memset(&L, 0, sizeof L);
    L.name = name ? name : "bvh";
    L.s = buf;
    L.n = len;
    L.line = 1;
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) L.i = 3; /* UTF-8 byte order mark */
    locale_t old = text_locale_enter();
    mosa_status s = parse_all(&L, f);
    text_locale_restore(old);
    if (s != MOSA_OK) bvh_free(f);
    return s;
}

mosa_status bvh_read(bvh_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    uint8_t *buf;
    size_t len;
    MOSA_TRY(file_read_all(path, BVH_MAX_FILE_BYTES, &buf, &len));
    mosa_status s = bvh_parse(f, path, buf, len);
    mosa_free(buf);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* 3x3 matrices (row-major, double) and forward kinematics                                     */
/* ------------------------------------------------------------------------------------------ */

static void m3_mul(const double *a, const double *b, double *out) {
    double r[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    memcpy(out, r, sizeof r);
}
static void m3_apply(const double *m, const double *v, double *out) {
    double r[3];
    for (int i = 0; i < 3; i++) r[i] = m[i * 3] * v[0] + m[i * 3 + 1] * v[1] + m[i * 3 + 2] * v[2];
    memcpy(out, r, sizeof r);
}
static void m3_apply_t(const double *m, const double *v, double *out) { /* m^T v */
    double r[3];
    for (int i = 0; i < 3; i++) r[i] = m[i] * v[0] + m[3 + i] * v[1] + m[6 + i] * v[2];
    memcpy(out, r, sizeof r);
}
static void m3_tmul(const double *a, const double *b, double *out) { /* a^T b */
    double r[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[i * 3 + j] = a[i] * b[j] + a[3 + i] * b[3 + j] + a[6 + i] * b[6 + j];
    memcpy(out, r, sizeof r);
}
static void m3_identity(double *m) {
    memset(m, 0, 9 * sizeof *m);
    m[0] = m[4] = m[8] = 1;
}
/* Rotation by deg degrees about axis 0 (X), 1 (Y) or 2 (Z). */
static void m3_axis(int axis, double deg, double *m) {
    double a = deg * (M_PI / 180.0), c = cos(a), s = sin(a);
    m3_identity(m);
    int i = (axis + 1) % 3, j = (axis + 2) % 3;
    m[i * 3 + i] = c, m[i * 3 + j] = -s, m[j * 3 + i] = s, m[j * 3 + j] = c;
}
static double v3d_norm(const double *v) { return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }
static double v3d_dist(const double *a, const double *b) {
    double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    return v3d_norm(d);
}
static void v3d_cross(const double *a, const double *b, double *out) {
    double r[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    memcpy(out, r, sizeof r);
}

void bvh_fk(const bvh_file *f, int frame, unsigned flags, double *pos) {
    double G[BVH_MAX_NODES][9];
    MOSA_ASSERT(f->n_nodes <= BVH_MAX_NODES);
    const float *row = frame >= 0 ? f->motion + (size_t)frame * (size_t)f->n_channels : NULL;
    for (int j = 0; j < f->n_nodes; j++) {
        const bvh_node *nd = &f->nodes[j];
        double R[9], t[3] = {nd->offset[0], nd->offset[1], nd->offset[2]}, A[9];
        m3_identity(R);
        if (row) {
            for (int c = 0; c < nd->n_channels; c++) {
                double v = row[nd->first_channel + c];
                int ch = nd->channels[c];
                if (ch <= BVH_ZPOS) {
                    t[ch] = (flags & BVH_POS_ADD_OFFSET) ? nd->offset[ch] + v : v;
                } else {
                    m3_axis(ch - BVH_XROT, v, A);
                    m3_mul(R, A, R);
                }
            }
        }
        double *p = pos + 3 * j;
        if (nd->parent < 0) {
            memcpy(G[j], R, sizeof R);
            memcpy(p, t, sizeof t);
        } else {
            m3_mul(G[nd->parent], R, G[j]);
            m3_apply(G[nd->parent], t, p);
            for (int k = 0; k < 3; k++) p[k] += pos[3 * nd->parent + k];
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Import: name mapping                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Lower case, namespace ("mixamorig:") dropped, '_' '-' '.' ' ' removed. */
static void norm_name(const char *s, char *out, size_t cap) {
    const char *c = strrchr(s, ':');
    if (c && c[1]) s = c + 1;
    size_t k = 0;
    for (; *s && k + 1 < cap; s++) {
        if (*s == '_' || *s == '-' || *s == '.' || *s == ' ') continue;
        out[k++] = (char)tolower((unsigned char)*s);
    }
    out[k] = 0;
}

typedef struct namemap {
    int n;
    char (*norm)[BVH_MAX_NAME];
    unsigned char *used;
    const bvh_file *f;
} namemap;

/* The first unused joint whose normalised name is one of the space-separated candidates (tried
 * in the list's order), or -1. Marks it used when take is set. */
static int nm_find(namemap *m, const char *cands, int take) {
    const char *p = cands;
    while (*p) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        for (int j = 0; j < m->n; j++) {
            if (m->used[j] || m->f->nodes[j].end_site) continue;
            if (strlen(m->norm[j]) == l && !memcmp(m->norm[j], p, l)) {
                if (take) m->used[j] = 1;
                return j;
            }
        }
        if (!e) break;
        p = e + 1;
    }
    return -1;
}

/* Fills map[22] with node indices (or -1). */
static mosa_status map_joints(const bvh_file *f, int map[22]) {
    namemap m = {f->n_nodes, NULL, NULL, f};
    m.norm = mosa_malloc((size_t)(f->n_nodes ? f->n_nodes : 1) * sizeof *m.norm);
    m.used = mosa_calloc((size_t)(f->n_nodes ? f->n_nodes : 1), 1);
    if (!m.norm || !m.used) {
        mosa_free(m.norm);
        mosa_free(m.used);
        return MOSA_ERR_NOMEM;
    }
    for (int j = 0; j < f->n_nodes; j++) norm_name(f->nodes[j].name, m.norm[j], BVH_MAX_NAME);
    for (int j = 0; j < 22; j++) map[j] = -1;
    map[J_PELVIS] = nm_find(&m, "pelvis hips hip root", 1);
    for (int side = 0; side < 2; side++) {
        const char *L = side ? "right" : "left", *l = side ? "r" : "l";
        char c[512];
        int hip = side ? J_R_HIP : J_L_HIP, knee = side ? J_R_KNEE : J_L_KNEE, ankle = side ? J_R_ANKLE : J_L_ANKLE,
            foot = side ? J_R_FOOT : J_L_FOOT, collar = side ? J_R_COLLAR : J_L_COLLAR,
            shoulder = side ? J_R_SHOULDER : J_L_SHOULDER, elbow = side ? J_R_ELBOW : J_L_ELBOW,
            wrist = side ? J_R_WRIST : J_L_WRIST;
        /* CMU's LHipJoint sits at the pelvis (its child LeftUpLeg is the hip): a last resort */
        snprintf(c, sizeof c, "%ship %ship %supleg %supleg %sthigh %sthigh %supperleg %shipjoint", L, l, L, l, L, l, L, l);
        map[hip] = nm_find(&m, c, 1);
        snprintf(c, sizeof c, "%sknee %sknee %sleg %sleg %sshin %sshin %slowerleg %slowleg %slowleg", L, l, L, l, L, l, L, L, l);
        map[knee] = nm_find(&m, c, 1);
        /* ankle and toes: SMPL names the ankle "ankle" and the toes "foot"; CMU/Mixamo/MoMask name
         * the ankle "Foot" and the toes "ToeBase"/"Toe" */
        snprintf(c, sizeof c, "%sankle %sankle", L, l);
        int a = nm_find(&m, c, 1);
        snprintf(c, sizeof c, "%sfoot %sfoot", L, l);
        int fo = nm_find(&m, c, 1);
        snprintf(c, sizeof c, "%stoebase %stoe %stoes %stoebase %stoe %stoes", L, L, L, l, l, l);
        int toe = nm_find(&m, c, 1);
        if (a >= 0) map[ankle] = a, map[foot] = toe >= 0 ? toe : fo;
        else map[ankle] = fo, map[foot] = toe;
        /* collar and shoulder: CMU/Mixamo/MoMask call the collar "Shoulder" and the shoulder
         * "Arm"; SMPL and Biovision call them "collar" and "shoulder" */
        snprintf(c, sizeof c, "%scollar %scollar %sclavicle %sclavicle", L, l, L, l);
        int col = nm_find(&m, c, 1);
        snprintf(c, sizeof c, "%sarm %supperarm %suparm %suparm %sshldr %sarm", L, L, L, l, l, l);
        int arm = nm_find(&m, c, 1);
        snprintf(c, sizeof c, "%sshoulder %sshoulder", L, l);
        int sh = nm_find(&m, c, 1);
        if (arm >= 0) map[shoulder] = arm, map[collar] = col >= 0 ? col : sh;
        else map[shoulder] = sh, map[collar] = col;
        snprintf(c, sizeof c, "%selbow %selbow %sforearm %sforearm %slowerarm %slowarm %slowarm", L, l, L, l, L, L, l);
        map[elbow] = nm_find(&m, c, 1);
        snprintf(c, sizeof c, "%swrist %swrist %shand %shand", L, l, L, l);
        map[wrist] = nm_find(&m, c, 1);
    }
    /* spine: Mixamo/MoMask/CMU "Spine Spine1 Spine2" are SMPL's spine1..3; SMPL's own names are
     * "spine1 spine2 spine3" */
    if (nm_find(&m, "spine", 0) >= 0) {
        map[J_SPINE1] = nm_find(&m, "spine", 1);
        map[J_SPINE2] = nm_find(&m, "spine1 chest", 1);
        map[J_SPINE3] = nm_find(&m, "spine2 chest2 upperchest", 1);
    } else {
        map[J_SPINE1] = nm_find(&m, "spine1 spine01 abdomen", 1);
        map[J_SPINE2] = nm_find(&m, "spine2 spine02 chest", 1);
        map[J_SPINE3] = nm_find(&m, "spine3 spine03 chest2 upperchest", 1);
    }
    map[J_NECK] = nm_find(&m, "neck neck1 lowerneck", 1);
    map[J_HEAD] = nm_find(&m, "head", 1);
    mosa_free(m.norm);
    mosa_free(m.used);

    static const int required[] = {J_PELVIS, J_L_HIP,  J_R_HIP,      J_L_KNEE,     J_R_KNEE,  J_L_ANKLE,
                                   J_R_ANKLE, J_NECK,  J_HEAD,       J_L_SHOULDER, J_R_SHOULDER, J_L_ELBOW,
                                   J_R_ELBOW, J_L_WRIST, J_R_WRIST};
    char missing[512] = "";
    size_t ml = 0;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (map[required[i]] < 0 && ml < sizeof missing)
            ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s%s", ml ? ", " : "", smpl22_names[required[i]]);
    if (ml) {
        char names[400] = "";
        size_t nl = 0;
        int shown_n = 0;
        for (int j = 0; j < f->n_nodes && nl < sizeof names; j++) {
            if (f->nodes[j].end_site) continue;
            if (shown_n++ == 24) {
                nl += (size_t)snprintf(names + nl, sizeof names - nl, ", ...");
                break;
            }
            nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%.30s", nl ? ", " : "", f->nodes[j].name);
        }
        return mosa_fail(MOSA_ERR_MISMATCH,
                         "cannot map this skeleton to SMPL-22: no joint found for %s (names like Hips, LeftUpLeg, LeftLeg, "
                         "LeftFoot, Neck, Head, LeftArm, LeftForeArm, LeftHand are recognised); the file's joints: %s",
                         missing, names);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Import                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static const struct { const char *name; double metres; } k_units[] = {
    {"m", 1.0}, {"cm", 0.01}, {"mm", 0.001}, {"in", 0.0254}, {"cmu", 0.0254 / 0.45}};

/* Positions of the mapped joints at a source frame (file units and axes), into J[22][3]. */
static void mapped_positions(const bvh_file *f, int frame, unsigned flags, const int map[22], double *scratch, double J[22][3]) {
    bvh_fk(f, frame, flags, scratch);
    for (int j = 0; j < 22; j++)
        if (map[j] >= 0) memcpy(J[j], scratch + 3 * map[j], 3 * sizeof(double));
}

/* Fills the joints the file lacks (output space: metres, Y up). k: body size relative to mosa's
 * default body. */
static void estimate_missing(double J[22][3], const int map[22], double k) {
    /* spine: along pelvis -> neck at the default body's proportions */
    static const int chain[5] = {J_PELVIS, J_SPINE1, J_SPINE2, J_SPINE3, J_NECK};
    double cum[5] = {0};
    for (int i = 1; i < 5; i++) cum[i] = cum[i - 1] + smpl22_bone_lengths[chain[i]];
    for (int i = 1; i < 4; i++) {
        if (map[chain[i]] >= 0) continue;
        int a = i - 1, b = i + 1;
        while (map[chain[a]] < 0 && a > 0) a--;
        while (map[chain[b]] < 0 && b < 4) b++;
        double w = (cum[i] - cum[a]) / (cum[b] - cum[a]);
        for (int c = 0; c < 3; c++) J[chain[i]][c] = J[chain[a]][c] + w * (J[chain[b]][c] - J[chain[a]][c]);
    }
    /* collars: halfway between spine3 and the shoulder */
    for (int side = 0; side < 2; side++) {
        int col = side ? J_R_COLLAR : J_L_COLLAR, sh = side ? J_R_SHOULDER : J_L_SHOULDER;
        if (map[col] < 0)
            for (int c = 0; c < 3; c++) J[col][c] = 0.5 * (J[J_SPINE3][c] + J[sh][c]);
    }
    /* toes: forward of the ankle and a little lower, forward = up x (right - left) */
    if (map[J_L_FOOT] < 0 || map[J_R_FOOT] < 0) {
        double across[3], up[3] = {0, 1, 0}, fwd[3];
        for (int c = 0; c < 3; c++)
            across[c] = (J[J_R_HIP][c] - J[J_L_HIP][c]) + (J[J_R_SHOULDER][c] - J[J_L_SHOULDER][c]);
        v3d_cross(up, across, fwd);
        fwd[1] = 0;
        double n = v3d_norm(fwd);
        if (n < 1e-9) fwd[0] = 0, fwd[2] = 1, n = 1;
        for (int side = 0; side < 2; side++) {
            int foot = side ? J_R_FOOT : J_L_FOOT, ankle = side ? J_R_ANKLE : J_L_ANKLE;
            if (map[foot] >= 0) continue;
            for (int c = 0; c < 3; c++) J[foot][c] = J[ankle][c] + fwd[c] / n * 0.12 * k;
            J[foot][1] -= 0.06 * k;
        }
    }
}

static mosa_status import_smpl22(const bvh_file *f, const bvh_import_opts *o, float **joints, int *T_out,
                                 bvh_import_info *info) {
    int map[22];
    MOSA_TRY(map_joints(f, map));
    if (f->n_frames < 1) return mosa_fail(MOSA_ERR_FORMAT, "the BVH has no frames");
    const unsigned flags = o->flags;
    double *scratch = mosa_malloc((size_t)f->n_nodes * 3 * sizeof(double));
    if (!scratch) return MOSA_ERR_NOMEM;
    double R[22][3];
    mapped_positions(f, -1, flags, map, scratch, R);

    /* up axis from the rest pose: neck minus the ankles' midpoint */
    bvh_up up = o->up;
    double v[3];
    for (int c = 0; c < 3; c++) v[c] = R[J_NECK][c] - 0.5 * (R[J_L_ANKLE][c] + R[J_R_ANKLE][c]);
    if (up == BVH_UP_AUTO) {
        double ax = fabs(v[0]), ay = fabs(v[1]), az = fabs(v[2]);
        if (ay >= ax && ay >= az && v[1] > 0) up = BVH_UP_Y;
        else if (az > ax && az > ay && v[2] > 0) up = BVH_UP_Z;
        else {
            mosa_free(scratch);
            return mosa_fail(MOSA_ERR_UNSUPPORTED,
                             "cannot tell the up axis from the rest pose (neck - ankles = %g %g %g): it is neither +Y nor +Z; "
                             "set the up axis explicitly", v[0], v[1], v[2]);
        }
    }
    /* unit from the height: legs + pelvis-neck + neck-head, against the default body */
    double H = 0.5 * (v3d_dist(R[J_L_HIP], R[J_L_KNEE]) + v3d_dist(R[J_L_KNEE], R[J_L_ANKLE]) +
                      v3d_dist(R[J_R_HIP], R[J_R_KNEE]) + v3d_dist(R[J_R_KNEE], R[J_R_ANKLE])) +
               v3d_dist(R[J_PELVIS], R[J_NECK]) + v3d_dist(R[J_NECK], R[J_HEAD]);
    const float *bl = smpl22_bone_lengths;
    double Href = bl[J_L_KNEE] + bl[J_L_ANKLE] + bl[J_SPINE1] + bl[J_SPINE2] + bl[J_SPINE3] + bl[J_NECK] + bl[J_HEAD];
    double scale = o->scale;
    const char *unit = "given";
    if (!(scale > 0)) {
        if (!(H > 0) || !isfinite(H)) {
            mosa_free(scratch);
            return mosa_fail(MOSA_ERR_FORMAT, "the rest skeleton has no height (all offsets zero?); cannot detect its unit");
        }
        int best = 0;
        for (int u = 1; u < (int)(sizeof k_units / sizeof k_units[0]); u++)
            if (fabs(log(H * k_units[u].metres / Href)) < fabs(log(H * k_units[best].metres / Href))) best = u;
        if (fabs(log(H * k_units[best].metres / Href)) > log(2.5)) {
            mosa_free(scratch);
            return mosa_fail(MOSA_ERR_UNSUPPORTED,
                             "the skeleton measures %g file units from ankle to head; no unit (m, cm, mm, inch) makes that a "
                             "person: give the scale (metres per unit) explicitly", H);
        }
        scale = k_units[best].metres;
        unit = k_units[best].name;
    }
    double body = H * scale / Href;

    /* frames at the output rate */
    double fps = o->fps > 0 ? o->fps : HML_FPS, ft = f->frame_time;
    if (!(fps <= 1000)) {
        mosa_free(scratch);
        return mosa_fail(MOSA_ERR_ARG, "output frame rate %g fps (at most 1000)", fps);
    }
    int N = f->n_frames, T;
    int same_rate = fabs(ft * fps - 1.0) < 1e-6;
    if (same_rate) T = N;
    else {
        double nt = floor((N - 1) * ft * fps + 1e-6) + 1;
        if (nt > BVH_MAX_FRAMES) {
            mosa_free(scratch);
            return mosa_fail(MOSA_ERR_UNSUPPORTED, "%d frames at %g fps become %.0f frames at %g fps (at most %d)", N, 1 / ft,
                             nt, fps, BVH_MAX_FRAMES);
        }
        T = (int)nt;
    }
    double *out = mosa_malloc((size_t)T * 66 * sizeof(double));
    float *res = mosa_malloc((size_t)T * 66 * sizeof(float));
    if (!out || !res) {
        mosa_free(out);
        mosa_free(res);
        mosa_free(scratch);
        return MOSA_ERR_NOMEM;
    }
    double A[22][3], B[22][3];
    int ia = -1, ib = -1;
    for (int k = 0; k < T; k++) {
        double x = same_rate ? k : k / (fps * ft);
        int i = (int)floor(x);
        double w = x - i;
        if (i >= N - 1) i = N - 1, w = 0;
        if (w < 1e-9) w = 0;
        if (ia != i) {
            if (ib == i) memcpy(A, B, sizeof A);
            else mapped_positions(f, i, flags, map, scratch, A);
            ia = i;
        }
        if (w > 0 && ib != i + 1) {
            mapped_positions(f, i + 1, flags, map, scratch, B);
            ib = i + 1;
        }
        double J[22][3];
        memset(J, 0, sizeof J);
        for (int j = 0; j < 22; j++) {
            if (map[j] < 0) continue;
            double p[3];
            for (int c = 0; c < 3; c++) p[c] = (w > 0 ? (1 - w) * A[j][c] + w * B[j][c] : A[j][c]) * scale;
            if (up == BVH_UP_Z) J[j][0] = p[0], J[j][1] = p[2], J[j][2] = -p[1]; /* -90 degrees about X */
            else J[j][0] = p[0], J[j][1] = p[1], J[j][2] = p[2];
        }
        estimate_missing(J, map, body);
        memcpy(out + (size_t)k * 66, J, sizeof J);
    }
    mosa_free(scratch);

    if (flags & BVH_ON_FLOOR) {
        double lo = INFINITY;
        for (size_t i = 0; i < (size_t)T * 22; i++) lo = fmin(lo, out[3 * i + 1]);
        for (size_t i = 0; i < (size_t)T * 22; i++) out[3 * i + 1] -= lo;
    }
    double cx = out[0], cz = out[2];
    if (flags & BVH_ORIGIN_XZ) {
        for (size_t i = 0; i < (size_t)T * 22; i++) out[3 * i] -= cx, out[3 * i + 2] -= cz;
        cx = cz = 0;
    }
    if (flags & BVH_FACE_Z) {
        /* HumanML3D: forward = up x ((r_hip - l_hip) + (r_shoulder - l_shoulder)) at frame 0 */
        const double *J0 = out;
        double ax = J0[3 * J_R_HIP] - J0[3 * J_L_HIP] + J0[3 * J_R_SHOULDER] - J0[3 * J_L_SHOULDER];
        double az = J0[3 * J_R_HIP + 2] - J0[3 * J_L_HIP + 2] + J0[3 * J_R_SHOULDER + 2] - J0[3 * J_L_SHOULDER + 2];
        double fx = az, fz = -ax; /* (0,1,0) x (ax, ., az) */
        if (fx * fx + fz * fz > 1e-18) {
            double th = atan2(fx, fz), c = cos(th), s = sin(th); /* heading from +Z towards +X */
            for (size_t i = 0; i < (size_t)T * 22; i++) {
                double px = out[3 * i] - cx, pz = out[3 * i + 2] - cz;
                out[3 * i] = c * px - s * pz + cx;
                out[3 * i + 2] = s * px + c * pz + cz;
            }
        }
    }
    for (size_t i = 0; i < (size_t)T * 66; i++) res[i] = (float)out[i];
    mosa_free(out);
    if (info) {
        info->scale = (float)scale;
        info->unit = unit;
        info->up = up;
        info->src_frames = N;
        info->src_fps = 1.0 / ft;
        info->estimated = 0;
        for (int j = 0; j < 22; j++) {
            info->map[j] = map[j];
            if (map[j] < 0) info->estimated |= 1u << j;
        }
    }
    *joints = res;
    *T_out = T;
    return MOSA_OK;
}

mosa_status bvh_import_smpl22(const bvh_file *f, const bvh_import_opts *opts, float **joints, int *T,
                              bvh_import_info *info) {
    *joints = NULL;
    *T = 0;
    bvh_import_opts def = {0, BVH_UP_AUTO, 0, BVH_HUMANML3D};
    if (!opts) opts = &def;
    if (opts->up != BVH_UP_AUTO && opts->up != BVH_UP_Y && opts->up != BVH_UP_Z)
        return mosa_fail(MOSA_ERR_ARG, "unknown up axis %d", (int)opts->up);
    if (!(opts->fps >= 0) || !isfinite(opts->fps)) return mosa_fail(MOSA_ERR_ARG, "output fps %g must be positive (0 = 20)", (double)opts->fps);
    if (!(opts->scale >= 0) || !isfinite(opts->scale))
        return mosa_fail(MOSA_ERR_ARG, "scale %g: metres per file unit must be positive (or 0 to detect it)", (double)opts->scale);
    return import_smpl22(f, opts, joints, T, info);
}

mosa_status bvh_read_smpl22(const char *path, const bvh_import_opts *opts, float **joints, int *T,
                            bvh_import_info *info) {
    *joints = NULL;
    *T = 0;
    bvh_file f;
    MOSA_TRY(bvh_read(&f, path));
    mosa_status s = bvh_import_smpl22(&f, opts, joints, T, info);
    bvh_free(&f);
    if (s != MOSA_OK) return mosa_fail_context(s, "'%s'", path);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Export                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* MoMask's joint order (depth first) and names. */
static const int k_order[22] = {0, 1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12, 15, 13, 16, 18, 20, 14, 17, 19, 21};
static const char *const k_momask_names[22] = {
    [J_PELVIS] = "Hips",          [J_L_HIP] = "LeftUpLeg",      [J_R_HIP] = "RightUpLeg",   [J_SPINE1] = "Spine",
    [J_L_KNEE] = "LeftLeg",       [J_R_KNEE] = "RightLeg",      [J_SPINE2] = "Spine1",      [J_L_ANKLE] = "LeftFoot",
    [J_R_ANKLE] = "RightFoot",    [J_SPINE3] = "Spine2",        [J_L_FOOT] = "LeftToe",     [J_R_FOOT] = "RightToe",
    [J_NECK] = "Neck",            [J_L_COLLAR] = "LeftShoulder", [J_R_COLLAR] = "RightShoulder", [J_HEAD] = "Head",
    [J_L_SHOULDER] = "LeftArm",   [J_R_SHOULDER] = "RightArm",  [J_L_ELBOW] = "LeftForeArm", [J_R_ELBOW] = "RightForeArm",
    [J_L_WRIST] = "LeftHand",     [J_R_WRIST] = "RightHand"};
/* The one child of each joint of a single-child chain; -1 for leaves and the branching joints. */
static const int k_child[22] = {-1, 4, 5, 6, 7, 8, 9, 10, 11, -1, -1, -1, 15, 16, 17, -1, 18, 19, 20, 21, -1, -1};

/* A growing text buffer that can drain into an atomic file. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    atomic_file *sink;
    mosa_status status;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->status != MOSA_OK) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->status = mosa_fail(MOSA_ERR_INTERNAL, "formatting the BVH text failed");
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            break;
        }
        size_t nc = b->cap * 2 + (size_t)n;
        char *g = mosa_realloc(b->p, nc);
        if (!g) {
            b->status = MOSA_ERR_NOMEM;
            return;
        }
        b->p = g;
        b->cap = nc;
    }
    if (b->sink && b->len > (1u << 20)) {
        b->status = atomic_file_write(b->sink, b->p, b->len);
        b->len = 0;
    }
}

/* Orthonormal frame (columns x, y, z; row-major) with y along up and x along the part of across
 * perpendicular to it. Returns 0 if either is degenerate. */
static int triad(const double *up, const double *across, double *M) {
    double y[3], x[3], z[3], n = v3d_norm(up);
    if (n < 1e-9) return 0;
    for (int c = 0; c < 3; c++) y[c] = up[c] / n;
    double d = across[0] * y[0] + across[1] * y[1] + across[2] * y[2];
    for (int c = 0; c < 3; c++) x[c] = across[c] - d * y[c];
    n = v3d_norm(x);
    if (n < 1e-9) return 0;
    for (int c = 0; c < 3; c++) x[c] /= n;
    v3d_cross(x, y, z);
    for (int r = 0; r < 3; r++) M[r * 3] = x[r], M[r * 3 + 1] = y[r], M[r * 3 + 2] = z[r];
    return 1;
}

/* The minimal rotation taking unit a onto unit b (Rodrigues). Near-opposite vectors turn by
 * 180 degrees about a fixed axis perpendicular to a, then by the small remaining rotation. */
static void rot_between(const double *a, const double *b, double *R) {
    double c = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    if (c < -1 + 1e-6) {
        const double e[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        int k = fabs(a[0]) < 0.6 ? 0 : fabs(a[1]) < 0.6 ? 1 : 2;
        double p[3];
        v3d_cross(a, e[k], p);
        double n = v3d_norm(p);
        for (int i = 0; i < 3; i++) p[i] /= n;
        double F[9], S[9], na[3] = {-a[0], -a[1], -a[2]};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) F[i * 3 + j] = 2 * p[i] * p[j] - (i == j);
        rot_between(na, b, S);
        m3_mul(S, F, R);
        return;
    }
    double v[3];
    v3d_cross(a, b, v);
    double K[9] = {0, -v[2], v[1], v[2], 0, -v[0], -v[1], v[0], 0}, K2[9];
    m3_mul(K, K, K2);
    double s = 1.0 / (1.0 + c);
    for (int i = 0; i < 9; i++) R[i] = (i % 4 == 0) + K[i] + K2[i] * s;
}

/* R = Rz(z) Ry(y) Rx(x): the angles in degrees. */
static void euler_zyx(const double *R, double *z, double *y, double *x) {
    double cb = hypot(R[0], R[3]);
    *y = atan2(-R[6], cb);
    if (cb > 1e-7) {
        *z = atan2(R[3], R[0]);
        *x = atan2(R[7], R[8]);
    } else { /* gimbal lock: only z -/+ x is determined; put it all in x */
        *z = 0;
        *x = R[6] < 0 ? atan2(R[1], R[4]) : atan2(-R[1], R[4]);
    }
    *z *= 180.0 / M_PI, *y *= 180.0 / M_PI, *x *= 180.0 / M_PI;
}

static mosa_status format_smpl22(sbuf *b, const float *joints, int T, const bvh_export_opts *o) {
    double u = o && o->units_per_metre > 0 ? o->units_per_metre : 1.0;
    double fps = o && o->fps > 0 ? o->fps : HML_FPS;
    if (T < 1 || T > BVH_MAX_FRAMES) return mosa_fail(MOSA_ERR_ARG, "BVH export: %d frames (1 to %d)", T, BVH_MAX_FRAMES);
    if (o && (!(o->units_per_metre >= 0) || o->units_per_metre > 1e6 || !(o->fps >= 0) || o->fps > 1000))
        return mosa_fail(MOSA_ERR_ARG, "BVH export: units per metre %g or fps %g out of range", (double)o->units_per_metre, (double)o->fps);
    for (size_t i = 0; i < (size_t)T * 66; i++)
        if (!isfinite(joints[i]) || fabsf(joints[i]) > 1e5f)
            return mosa_fail(MOSA_ERR_ARG, "BVH export: joint value %g at frame %zu is not a finite position (|x| <= 1e5 m)",
                             (double)joints[i], i / 66);
    /* rest offsets (metres) */
    double off[22][3];
    memset(off, 0, sizeof off);
    const float *P0 = joints;
    double Gb[9], up[3], across[3];
    static const int branch[2][4] = {{J_PELVIS, J_SPINE1, J_L_HIP, J_R_HIP}, {J_SPINE3, J_NECK, J_L_COLLAR, J_R_COLLAR}};
    for (int j = 1; j < 22; j++) {
        int p = smpl22_parents[j];
        double d = sqrt(pow(P0[3 * j] - P0[3 * p], 2) + pow(P0[3 * j + 1] - P0[3 * p + 1], 2) + pow(P0[3 * j + 2] - P0[3 * p + 2], 2));
        if (d < 1e-6) d = smpl22_bone_lengths[j];
        for (int c = 0; c < 3; c++) off[j][c] = smpl22_raw_offsets[j][c] * d;
    }
    for (int k = 0; k < 2; k++) {
        const int J = branch[k][0], U = branch[k][1], Lf = branch[k][2], Rt = branch[k][3];
        for (int c = 0; c < 3; c++) up[c] = P0[3 * U + c] - P0[3 * J + c], across[c] = P0[3 * Lf + c] - P0[3 * Rt + c];
        if (!triad(up, across, Gb)) continue; /* degenerate first frame: keep the rest directions */
        for (int i = 1; i < 4; i++) {
            int c = branch[k][i];
            double dv[3] = {P0[3 * c] - P0[3 * J], P0[3 * c + 1] - P0[3 * J + 1], P0[3 * c + 2] - P0[3 * J + 2]};
            if (v3d_norm(dv) < 1e-6) continue;
            m3_apply_t(Gb, dv, off[c]);
        }
    }
    /* hierarchy */
    sb_printf(b, "HIERARCHY\n");
    int depth[22] = {0};
    for (int oi = 0; oi < 22; oi++) {
        int j = k_order[oi];
        depth[j] = j ? depth[smpl22_parents[j]] + 1 : 0;
        /* close the joints this one is not inside of */
        if (oi > 0) {
            int prev = k_order[oi - 1];
            for (int d = depth[prev]; d >= depth[j]; d--) sb_printf(b, "%.*s}\n", d, "\t\t\t\t\t\t\t\t\t\t");
        }
        const char *tabs = "\t\t\t\t\t\t\t\t\t\t";
        if (j == 0) sb_printf(b, "ROOT %s\n{\n\tOFFSET 0 0 0\n\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n", k_momask_names[j]);
        else
            sb_printf(b, "%.*sJOINT %s\n%.*s{\n%.*s\tOFFSET %.9g %.9g %.9g\n%.*s\tCHANNELS 3 Zrotation Yrotation Xrotation\n",
                      depth[j], tabs, k_momask_names[j], depth[j], tabs, depth[j], tabs, off[j][0] * u, off[j][1] * u,
                      off[j][2] * u, depth[j], tabs);
        int leaf = j == J_L_FOOT || j == J_R_FOOT || j == J_HEAD || j == J_L_WRIST || j == J_R_WRIST;
        if (leaf) {
            double e = 0.5 * sqrt(off[j][0] * off[j][0] + off[j][1] * off[j][1] + off[j][2] * off[j][2]) * u;
            const float *r = smpl22_raw_offsets[j];
            sb_printf(b, "%.*s\tEnd Site\n%.*s\t{\n%.*s\t\tOFFSET %.9g %.9g %.9g\n%.*s\t}\n", depth[j], tabs, depth[j], tabs,
                      depth[j], tabs, r[0] * e, r[1] * e, r[2] * e, depth[j], tabs);
        }
    }
    for (int d = depth[k_order[21]]; d >= 0; d--) sb_printf(b, "%.*s}\n", d, "\t\t\t\t\t\t\t\t\t\t");
    char ftb[32];
    snprintf(ftb, sizeof ftb, "%.6f", 1.0 / fps);
    if (fabs(strtod(ftb, NULL) - 1.0 / fps) > 1e-12) snprintf(ftb, sizeof ftb, "%.12g", 1.0 / fps);
    sb_printf(b, "MOTION\nFrames: %d\nFrame Time: %s\n", T, ftb);

    /* frames: per-bone inverse kinematics */
    double Gprev0[9], Gprev9[9];
    m3_identity(Gprev0);
    m3_identity(Gprev9);
    for (int t = 0; t < T && b->status == MOSA_OK; t++) {
        const float *P = joints + (size_t)t * 66;
        double G[22][9], Lc[22][9];
        for (int k = 0; k < 2; k++) {
            const int J = branch[k][0], U = branch[k][1], Lf = branch[k][2], Rt = branch[k][3];
            for (int c = 0; c < 3; c++) up[c] = P[3 * U + c] - P[3 * J + c], across[c] = P[3 * Lf + c] - P[3 * Rt + c];
            double *Gk = k ? Gprev9 : Gprev0;
            if (triad(up, across, Gb)) memcpy(Gk, Gb, sizeof Gb); /* else: keep the previous frame's */
            memcpy(G[J], Gk, sizeof Gb);
        }
        memcpy(Lc[0], G[0], sizeof G[0]);
        for (int j = 1; j < 22; j++) {
            int p = smpl22_parents[j];
            if (j == J_SPINE3) {
                m3_tmul(G[p], G[j], Lc[j]);
                continue;
            }
            int c = k_child[j];
            m3_identity(Lc[j]);
            if (c >= 0) {
                double dv[3] = {P[3 * c] - P[3 * j], P[3 * c + 1] - P[3 * j + 1], P[3 * c + 2] - P[3 * j + 2]}, lv[3];
                double n = v3d_norm(dv), rn = v3d_norm(off[c]);
                if (n > 1e-9 && rn > 0) {
                    m3_apply_t(G[p], dv, lv);
                    double a[3] = {off[c][0] / rn, off[c][1] / rn, off[c][2] / rn};
                    for (int q = 0; q < 3; q++) lv[q] /= n;
                    rot_between(a, lv, Lc[j]);
                }
            }
            m3_mul(G[p], Lc[j], G[j]);
        }
        sb_printf(b, "%.9g %.9g %.9g", P[0] * u, P[1] * u, P[2] * u);
        for (int oi = 0; oi < 22; oi++) {
            double z, y, x;
            euler_zyx(Lc[k_order[oi]], &z, &y, &x);
            sb_printf(b, " %.9g %.9g %.9g", z, y, x);
        }
        sb_printf(b, "\n");
    }
    return b->status;
}

mosa_status bvh_format_smpl22(char **text, size_t *len, const float *joints, int T, const bvh_export_opts *opts) {
    *text = NULL;
    *len = 0;
    sbuf b = {mosa_malloc(4096), 0, 4096, NULL, MOSA_OK};
    if (!b.p) return MOSA_ERR_NOMEM;
    locale_t old = text_locale_enter();
    mosa_status s = format_smpl22(&b, joints, T, opts);
    text_locale_restore(old);
    if (s != MOSA_OK) {
        mosa_free(b.p);
        return s;
    }
    *text = b.p;
    *len = b.len;
    return MOSA_OK;
}

mosa_status bvh_write_smpl22(const char *path, const float *joints, int T, const bvh_export_opts *opts) {
    atomic_file af;
    sbuf b = {mosa_malloc(1u << 16), 0, 1u << 16, &af, MOSA_OK};
    if (!b.p) return MOSA_ERR_NOMEM;
    mosa_status s = atomic_file_open(&af, path);
    if (s != MOSA_OK) {
        mosa_free(b.p);
        return s;
    }
    locale_t old = text_locale_enter();
    s = format_smpl22(&b, joints, T, opts);
    text_locale_restore(old);
    if (s == MOSA_OK) s = atomic_file_write(&af, b.p, b.len);
    mosa_free(b.p);
    if (s != MOSA_OK) {
        atomic_file_abort(&af);
        return s;
    }
    return atomic_file_commit(&af);
}
