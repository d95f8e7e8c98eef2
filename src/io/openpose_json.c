/* openpose_json.c: OpenPose-18 keypoint JSON (ComfyUI POSE_KEYPOINT form): writer and a
 * validating, purpose-built reader (see openpose_json.h).
 *
 * What this is not: a general JSON parser. The reader walks the one shape it expects and skips
 * (but still validates) anything else, with recursion bounded by OPJ_MAX_DEPTH. Numbers are read
 * and written in the C locale whatever the process locale is. */
#define _GNU_SOURCE
#include "base/text.h"
#include "openpose_json.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { KP = 18 * 3, MAX_SIDE_NUMBERS = 100000 };

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    mosa_status status;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->status != MOSA_OK) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (b->len + n + 1 > nc) nc *= 2;
        char *g = mosa_realloc(b->p, nc);
        if (!g) {
            b->status = MOSA_ERR_NOMEM;
            return;
        }
        b->p = g;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static mosa_status check_frame(const opj_frame *f, int index) {
    if (f->width < 1 || f->width > OPJ_MAX_CANVAS || f->height < 1 || f->height > OPJ_MAX_CANVAS)
        return mosa_fail(MOSA_ERR_ARG, "OpenPose JSON: frame %d has canvas %dx%d (1..%d a side)", index, f->width, f->height,
                         OPJ_MAX_CANVAS);
    if (f->n_people < 0 || f->n_people > OPJ_MAX_PEOPLE || (f->n_people > 0 && !f->kp))
        return mosa_fail(MOSA_ERR_ARG, "OpenPose JSON: frame %d has %d people (0..%d, with keypoints)", index, f->n_people,
                         OPJ_MAX_PEOPLE);
    for (size_t i = 0; i < (size_t)f->n_people * KP; i++)
        if (!isfinite(f->kp[i]))
            return mosa_fail(MOSA_ERR_ARG, "OpenPose JSON: frame %d, person %zu, point %zu holds a value that is not finite",
                             index, i / KP, (i % KP) / 3);
    return MOSA_OK;
}

static void format_frame(sbuf *b, const opj_frame *f, const opj_write_opts *o) {
    char n1[32], n2[32], n3[32];
    sb_str(b, "{\"people\": [");
    for (int p = 0; p < f->n_people; p++) {
        sb_str(b, p ? ", {\"pose_keypoints_2d\": [" : "{\"pose_keypoints_2d\": [");
        for (int k = 0; k < 18; k++) {
            const float *q = f->kp + ((size_t)p * 18 + (size_t)k) * 3;
            if (q[2] > o->min_confidence) {
                text_fmt_f32(q[0], n1);
                text_fmt_f32(q[1], n2);
                text_fmt_f32(o->write_confidence ? q[2] : 1.0f, n3);
            } else {
                strcpy(n1, "0.0"), strcpy(n2, "0.0"), strcpy(n3, "0.0");
            }
            if (k) sb_str(b, ", ");
            sb_str(b, n1);
            sb_str(b, ", ");
            sb_str(b, n2);
            sb_str(b, ", ");
            sb_str(b, n3);
        }
        sb_str(b, "], \"face_keypoints_2d\": null, \"hand_left_keypoints_2d\": null, \"hand_right_keypoints_2d\": null}");
    }
    char tail[96];
    snprintf(tail, sizeof tail, "], \"canvas_height\": %d, \"canvas_width\": %d}", f->height, f->width);
    sb_str(b, tail);
}

static mosa_status format_frames(const opj_frame *frames, int n, int as_list, const opj_write_opts *opts, char **text,
                                 size_t *len) {
    *text = NULL;
    *len = 0;
    opj_write_opts def = {0, 0.0f};
    const opj_write_opts *o = opts ? opts : &def;
    if (!isfinite(o->min_confidence)) return mosa_fail(MOSA_ERR_ARG, "OpenPose JSON: min_confidence is not finite");
    if (n < 0 || n > OPJ_MAX_FRAMES || (n > 0 && !frames))
        return mosa_fail(MOSA_ERR_ARG, "OpenPose JSON: %d frames (0..%d)", n, OPJ_MAX_FRAMES);
    for (int i = 0; i < n; i++) MOSA_TRY(check_frame(&frames[i], i));
    sbuf b = {NULL, 0, 0, MOSA_OK};
    locale_t old = text_locale_enter();
    if (as_list) sb_str(&b, "[");
    for (int i = 0; i < n; i++) {
        if (i) sb_str(&b, ", ");
        format_frame(&b, &frames[i], o);
    }
    if (as_list) sb_str(&b, "]");
    text_locale_restore(old);
    if (b.status != MOSA_OK) {
        mosa_free(b.p);
        return b.status;
    }
    *text = b.p;
    *len = b.len;
    return MOSA_OK;
}

mosa_status opj_frame_format(const opj_frame *f, const opj_write_opts *opts, char **text, size_t *len) {
    return format_frames(f, 1, 0, opts, text, len);
}

mosa_status opj_video_format(const opj_frame *frames, int n, const opj_write_opts *opts, char **text, size_t *len) {
    return format_frames(frames, n, 1, opts, text, len);
}

static mosa_status write_text(const char *path, char *text, size_t len) {
    text[len] = '\n'; /* the buffer always has room for one more byte (the NUL) */
    mosa_status s = file_write_atomic(path, text, len + 1);
    mosa_free(text);
    return s;
}

mosa_status opj_frame_write(const char *path, const opj_frame *f, const opj_write_opts *opts) {
    char *t;
    size_t n;
    MOSA_TRY(opj_frame_format(f, opts, &t, &n));
    return write_text(path, t, n);
}

mosa_status opj_video_write(const char *path, const opj_frame *frames, int n, const opj_write_opts *opts) {
    char *t;
    size_t len;
    MOSA_TRY(opj_video_format(frames, n, opts, &t, &len));
    return write_text(path, t, len);
}

mosa_status opj_dir_write(const char *dir, const opj_frame *frames, int n, const opj_write_opts *opts) {
    if (n < 0 || n > OPJ_MAX_FRAMES) return mosa_fail(MOSA_ERR_ARG, "OpenPose JSON: %d frames (0..%d)", n, OPJ_MAX_FRAMES);
    for (int i = 0; i < n; i++) MOSA_TRY(check_frame(&frames[i], i));
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return mosa_fail(MOSA_ERR_IO, "cannot create directory '%s': %s", dir, strerror(errno));
    size_t cap = strlen(dir) + 32;
    char *path = mosa_malloc(cap);
    if (!path) return MOSA_ERR_NOMEM;
    mosa_status s = MOSA_OK;
    for (int i = 0; i < n && s == MOSA_OK; i++) {
        snprintf(path, cap, "%s/frame_%06d.json", dir, i);
        s = opj_frame_write(path, &frames[i], opts);
    }
    mosa_free(path);
    return s;
}

mosa_status opj_frame_from_pixels(opj_frame *f, const float *kp_px, int n_people, int width, int height) {
    memset(f, 0, sizeof *f);
    if (width < 1 || width > OPJ_MAX_CANVAS || height < 1 || height > OPJ_MAX_CANVAS || n_people < 0 ||
        n_people > OPJ_MAX_PEOPLE || (n_people > 0 && !kp_px))
        return mosa_fail(MOSA_ERR_ARG, "opj_frame_from_pixels: canvas %dx%d, %d people", width, height, n_people);
    f->kp = mosa_malloc((size_t)(n_people ? n_people : 1) * KP * sizeof(float));
    if (!f->kp) return MOSA_ERR_NOMEM;
    for (size_t i = 0; i < (size_t)n_people * 18; i++) {
        const float *q = kp_px + 3 * i;
        float *o = f->kp + 3 * i;
        if (q[2] > 0) o[0] = q[0] / (float)width, o[1] = q[1] / (float)height, o[2] = q[2];
        else o[0] = o[1] = o[2] = 0;
    }
    f->width = width;
    f->height = height;
    f->n_people = n_people;
    return MOSA_OK;
}

void opj_frames_free(opj_frame *frames, int n) {
    if (!frames) return;
    for (int i = 0; i < n; i++) mosa_free(frames[i].kp);
    mosa_free(frames);
}

/* ------------------------------------------------------------------------------------------ */
/* Reader                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct jp {
    const char *name;
    const uint8_t *s;
    size_t n, i;
    int depth;
    int frame;              /* frame being parsed, for messages */
} jp;

static mosa_status jp_fail(const jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static mosa_status jp_fail(const jp *p, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line = 1, at = p->i < p->n ? p->i : p->n;
    for (size_t k = 0; k < at; k++) line += p->s[k] == '\n';
    return mosa_fail(MOSA_ERR_FORMAT, "%s:%zu: %s (byte %zu)", p->name, line, msg, at);
}

static void jp_ws(jp *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}
static int jp_peek(jp *p) {
    jp_ws(p);
    return p->i < p->n ? p->s[p->i] : -1;
}
static const char *jp_found(const jp *p, char buf[16]) {
    if (p->i >= p->n) return "the end of the input";
    uint8_t c = p->s[p->i];
    if (c >= 0x20 && c < 0x7F) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}
static mosa_status jp_expect(jp *p, char c, const char *where) {
    if (jp_peek(p) == c) {
        p->i++;
        return MOSA_OK;
    }
    char b[16];
    return jp_fail(p, "expected '%c' %s, found %s", c, where, jp_found(p, b));
}

static int hexval(uint8_t c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A JSON string. Its decoded bytes go to out (up to cap-1, NUL-terminated; *fits = 0 when
 * longer). The input was checked to be UTF-8 already; escapes are validated (a lone surrogate
 * is refused). */
static mosa_status jp_string(jp *p, char *out, size_t cap, int *fits) {
    MOSA_TRY(jp_expect(p, '"', "(a string)"));
    size_t k = 0;
    *fits = 1;
    for (;;) {
        if (p->i >= p->n) return jp_fail(p, "unterminated string");
        uint8_t c = p->s[p->i++];
        uint32_t cp;
        if (c == '"') break;
        if (c < 0x20) {
            p->i--;
            return jp_fail(p, "control character 0x%02x inside a string", c);
        }
        if (c != '\\') {
            if (k + 1 < cap) out[k++] = (char)c;
            else *fits = 0;
            continue;
        }
        if (p->i >= p->n) return jp_fail(p, "unterminated escape");
        c = p->s[p->i++];
        switch (c) {
        case '"': case '\\': case '/': cp = c; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
            if (p->n - p->i < 4) return jp_fail(p, "truncated \\u escape");
            cp = 0;
            for (int d = 0; d < 4; d++) {
                int h = hexval(p->s[p->i + (size_t)d]);
                if (h < 0) return jp_fail(p, "bad \\u escape");
                cp = cp << 4 | (uint32_t)h;
            }
            p->i += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return jp_fail(p, "lone low surrogate in a \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->n - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') return jp_fail(p, "lone high surrogate in a \\u escape");
                uint32_t lo = 0;
                for (int d = 0; d < 4; d++) {
                    int h = hexval(p->s[p->i + 2 + (size_t)d]);
                    if (h < 0) return jp_fail(p, "bad \\u escape");
                    lo = lo << 4 | (uint32_t)h;
                }
                if (lo < 0xDC00 || lo > 0xDFFF) return jp_fail(p, "lone high surrogate in a \\u escape");
                p->i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            break;
        }
        default:
            p->i--;
            return jp_fail(p, "unknown escape '\\%c'", c >= 0x20 && c < 0x7F ? c : '?');
        }
        /* UTF-8 encode cp */
        uint8_t u[4];
        int m = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (m == 1) u[0] = (uint8_t)cp;
        else if (m == 2) u[0] = (uint8_t)(0xC0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        else if (m == 3) u[0] = (uint8_t)(0xE0 | cp >> 12), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        else u[0] = (uint8_t)(0xF0 | cp >> 18), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)), u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        for (int q = 0; q < m; q++) {
            if (k + 1 < cap) out[k++] = (char)u[q];
            else *fits = 0;
        }
    }
    if (cap) out[k] = 0;
    return MOSA_OK;
}

/* A JSON number (strict grammar), finite and within float range. */
static mosa_status jp_number(jp *p, double *v) {
    jp_ws(p);
    size_t st = p->i, i = p->i;
    if (i < p->n && p->s[i] == '-') i++;
    if (i < p->n && p->s[i] == '0') i++;
    else if (i < p->n && p->s[i] >= '1' && p->s[i] <= '9')
        while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') i++;
    else {
        char b[16];
        return jp_fail(p, "expected a number, found %s", jp_found(p, b));
    }
    if (i < p->n && p->s[i] == '.') {
        i++;
        size_t d = i;
        while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') i++;
        if (i == d) return jp_fail(p, "a number needs digits after its '.'");
    }
    if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->n && (p->s[i] == '+' || p->s[i] == '-')) i++;
        size_t d = i;
        while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') i++;
        if (i == d) return jp_fail(p, "a number needs digits in its exponent");
    }
    if (i - st > 64) return jp_fail(p, "a number of more than 64 characters");
    char buf[72];
    memcpy(buf, p->s + st, i - st);
    buf[i - st] = 0;
    double x = strtod(buf, NULL);
    if (!isfinite(x) || fabs(x) > FLT_MAX) return jp_fail(p, "number %s is out of range", buf);
    p->i = i;
    *v = x;
    return MOSA_OK;
}

static int jp_literal(jp *p, const char *lit) {
    size_t l = strlen(lit);
    jp_ws(p);
    if (p->n - p->i >= l && !memcmp(p->s + p->i, lit, l)) {
        p->i += l;
        return 1;
    }
    return 0;
}

/* Skips any JSON value (validating it), at most OPJ_MAX_DEPTH deep. */
static mosa_status jp_skip(jp *p) {
    int c = jp_peek(p);
    char b[16];
    if (c == '{' || c == '[') {
        if (++p->depth > OPJ_MAX_DEPTH) return jp_fail(p, "nesting deeper than %d levels", OPJ_MAX_DEPTH);
        p->i++;
        int close = c == '{' ? '}' : ']';
        if (jp_peek(p) == close) {
            p->i++;
            p->depth--;
            return MOSA_OK;
        }
        for (;;) {
            if (c == '{') {
                char key[4];
                int fits;
                MOSA_TRY(jp_string(p, key, sizeof key, &fits));
                MOSA_TRY(jp_expect(p, ':', "after a key"));
            }
            MOSA_TRY(jp_skip(p));
            int d = jp_peek(p);
            if (d == ',') {
                p->i++;
                continue;
            }
            if (d == close) {
                p->i++;
                p->depth--;
                return MOSA_OK;
            }
            return jp_fail(p, "expected ',' or '%c', found %s", close, jp_found(p, b));
        }
    }
    if (c == '"') {
        char tmp[4];
        int fits;
        return jp_string(p, tmp, sizeof tmp, &fits);
    }
    if (jp_literal(p, "null") || jp_literal(p, "true") || jp_literal(p, "false")) return MOSA_OK;
    double v;
    if (c == '-' || (c >= '0' && c <= '9')) return jp_number(p, &v);
    return jp_fail(p, "expected a JSON value, found %s", jp_found(p, b));
}

/* null, or an array of numbers: up to cap go to out (out may be NULL); *count = how many. */
static mosa_status jp_numbers(jp *p, float *out, size_t cap, size_t *count, const char *what) {
    *count = 0;
    if (jp_literal(p, "null")) return MOSA_OK;
    MOSA_TRY(jp_expect(p, '[', what));
    if (jp_peek(p) == ']') {
        p->i++;
        return MOSA_OK;
    }
    for (;;) {
        double v;
        MOSA_TRY(jp_number(p, &v));
        if (*count >= cap) return jp_fail(p, "%s has more than %zu numbers", what, cap);
        if (out) out[*count] = (float)v;
        (*count)++;
        int d = jp_peek(p);
        if (d == ',') {
            p->i++;
            continue;
        }
        if (d == ']') {
            p->i++;
            return MOSA_OK;
        }
        char b[16];
        return jp_fail(p, "expected ',' or ']' in %s, found %s", what, jp_found(p, b));
    }
}

/* BODY_25 point of each COCO-18 point. */
static const int k_body25_to_18[18] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};

static mosa_status parse_person(jp *p, float kp[KP]) {
    memset(kp, 0, KP * sizeof(float));
    MOSA_TRY(jp_expect(p, '{', "(a person)"));
    if (++p->depth > OPJ_MAX_DEPTH) return jp_fail(p, "nesting deeper than %d levels", OPJ_MAX_DEPTH);
    int seen[4] = {0, 0, 0, 0};
    static const char *const known[4] = {"pose_keypoints_2d", "face_keypoints_2d", "hand_left_keypoints_2d",
                                         "hand_right_keypoints_2d"};
    if (jp_peek(p) != '}') {
        for (;;) {
            char key[32];
            int fits, k = -1;
            MOSA_TRY(jp_string(p, key, sizeof key, &fits));
            MOSA_TRY(jp_expect(p, ':', "after a key"));
            for (int q = 0; q < 4 && fits; q++)
                if (!strcmp(key, known[q])) k = q;
            if (k >= 0 && seen[k]) return jp_fail(p, "duplicate key \"%s\" in a person", key);
            if (k == 0) {
                float pts[75];
                size_t cnt;
                MOSA_TRY(jp_numbers(p, pts, 75, &cnt, "\"pose_keypoints_2d\""));
                if (cnt == KP) memcpy(kp, pts, sizeof(float) * KP);
                else if (cnt == 75)
                    for (int j = 0; j < 18; j++) memcpy(kp + 3 * j, pts + 3 * k_body25_to_18[j], 3 * sizeof(float));
                else if (cnt != 0)
                    return jp_fail(p, "\"pose_keypoints_2d\" has %zu numbers: expected 54 (18 points: COCO) or 75 (BODY_25)", cnt);
            } else if (k > 0) {
                size_t cnt;
                MOSA_TRY(jp_numbers(p, NULL, MAX_SIDE_NUMBERS, &cnt, known[k]));
                if (cnt % 3) return jp_fail(p, "\"%s\" has %zu numbers, not a multiple of 3", known[k], cnt);
            } else {
                MOSA_TRY(jp_skip(p));
            }
            if (k >= 0) seen[k] = 1;
            int d = jp_peek(p);
            if (d == ',') {
                p->i++;
                continue;
            }
            if (d == '}') break;
            char b[16];
            return jp_fail(p, "expected ',' or '}' in a person, found %s", jp_found(p, b));
        }
    }
    p->i++;
    p->depth--;
    return MOSA_OK;
}

static mosa_status parse_canvas(jp *p, int *out, const char *key) {
    double v;
    MOSA_TRY(jp_number(p, &v));
    if (v != floor(v) || v < 1 || v > OPJ_MAX_CANVAS)
        return jp_fail(p, "\"%s\" is %g: expected a whole number of pixels, 1 to %d", key, v, OPJ_MAX_CANVAS);
    *out = (int)v;
    return MOSA_OK;
}

static mosa_status parse_frame(jp *p, opj_frame *f, const opj_read_opts *o) {
    memset(f, 0, sizeof *f);
    MOSA_TRY(jp_expect(p, '{', "(a frame: {\"people\": [...], \"canvas_height\": H, \"canvas_width\": W})"));
    if (++p->depth > OPJ_MAX_DEPTH) return jp_fail(p, "nesting deeper than %d levels", OPJ_MAX_DEPTH);
    int seen_people = 0, W = 0, H = 0, cap = 0;
    if (jp_peek(p) != '}') {
        for (;;) {
            char key[32];
            int fits;
            MOSA_TRY(jp_string(p, key, sizeof key, &fits));
            MOSA_TRY(jp_expect(p, ':', "after a key"));
            if (fits && !strcmp(key, "people")) {
                if (seen_people) return jp_fail(p, "duplicate key \"people\"");
                seen_people = 1;
                MOSA_TRY(jp_expect(p, '[', "after \"people\":"));
                if (jp_peek(p) == ']') p->i++;
                else
                    for (;;) {
                        if (f->n_people == OPJ_MAX_PEOPLE) return jp_fail(p, "more than %d people in a frame", OPJ_MAX_PEOPLE);
                        if (f->n_people == cap) {
                            int nc = cap ? cap * 2 : 2;
                            if (nc > OPJ_MAX_PEOPLE) nc = OPJ_MAX_PEOPLE;
                            float *g = mosa_realloc(f->kp, (size_t)nc * KP * sizeof(float));
                            if (!g) return MOSA_ERR_NOMEM;
                            f->kp = g;
                            cap = nc;
                        }
                        MOSA_TRY(parse_person(p, f->kp + (size_t)f->n_people * KP));
                        f->n_people++;
                        int d = jp_peek(p);
                        if (d == ',') {
                            p->i++;
                            continue;
                        }
                        if (d == ']') {
                            p->i++;
                            break;
                        }
                        char b[16];
                        return jp_fail(p, "expected ',' or ']' in \"people\", found %s", jp_found(p, b));
                    }
            } else if (fits && !strcmp(key, "canvas_height")) {
                if (H) return jp_fail(p, "duplicate key \"canvas_height\"");
                MOSA_TRY(parse_canvas(p, &H, key));
            } else if (fits && !strcmp(key, "canvas_width")) {
                if (W) return jp_fail(p, "duplicate key \"canvas_width\"");
                MOSA_TRY(parse_canvas(p, &W, key));
            } else {
                MOSA_TRY(jp_skip(p));
            }
            int d = jp_peek(p);
            if (d == ',') {
                p->i++;
                continue;
            }
            if (d == '}') break;
            char b[16];
            return jp_fail(p, "expected ',' or '}' in a frame, found %s", jp_found(p, b));
        }
    }
    p->i++;
    p->depth--;
    if (!seen_people) return jp_fail(p, "frame %d has no \"people\" list", p->frame);
    if (!W != !H) return jp_fail(p, "frame %d has only one of \"canvas_width\" and \"canvas_height\"", p->frame);
    if (!W) {
        /* CMU OpenPose style: pixel coordinates; the caller must say the image size */
        if (!o || o->width < 1 || o->width > OPJ_MAX_CANVAS || o->height < 1 || o->height > OPJ_MAX_CANVAS)
            return jp_fail(p, "frame %d has no canvas_width/canvas_height, so its coordinates are pixels: give the image size to read it",
                           p->frame);
        W = o->width, H = o->height;
        for (size_t i = 0; i < (size_t)f->n_people * 18; i++) {
            float *q = f->kp + 3 * i;
            q[0] /= (float)W;
            q[1] /= (float)H;
        }
    }
    f->width = W;
    f->height = H;
    return MOSA_OK;
}


static mosa_status parse_all(jp *p, const opj_read_opts *o, opj_frame **frames, int *n) {
    size_t bad = text_utf8_invalid_at(p->s, p->n);
    if (bad < p->n) {
        p->i = bad;
        return jp_fail(p, "not valid UTF-8");
    }
    if (p->n >= 3 && p->s[0] == 0xEF && p->s[1] == 0xBB && p->s[2] == 0xBF) p->i = 3;
    int c = jp_peek(p);
    opj_frame *out = NULL;
    int count = 0, cap = 0;
    mosa_status s = MOSA_OK;
    if (c == '{') {
        out = mosa_calloc(1, sizeof *out);
        if (!out) return MOSA_ERR_NOMEM;
        count = 1;
        s = parse_frame(p, &out[0], o);
    } else if (c == '[') {
        p->i++;
        p->depth++;
        if (jp_peek(p) == ']') p->i++;
        else
            for (;;) {
                if (count == OPJ_MAX_FRAMES) {
                    s = jp_fail(p, "more than %d frames", OPJ_MAX_FRAMES);
                    break;
                }
                if (count == cap) {
                    int nc = cap ? cap * 2 : 8;
                    opj_frame *g = mosa_realloc(out, (size_t)nc * sizeof *g);
                    if (!g) {
                        s = MOSA_ERR_NOMEM;
                        break;
                    }
                    out = g;
                    cap = nc;
                }
                p->frame = count;
                s = parse_frame(p, &out[count], o);
                count++;
                if (s != MOSA_OK) break;
                int d = jp_peek(p);
                if (d == ',') {
                    p->i++;
                    continue;
                }
                if (d == ']') {
                    p->i++;
                    break;
                }
                char b[16];
                s = jp_fail(p, "expected ',' or ']' between frames, found %s", jp_found(p, b));
                break;
            }
    } else {
        char b[16];
        return jp_fail(p, "expected a frame {...} or a list of frames [...], found %s", jp_found(p, b));
    }
    if (s == MOSA_OK && jp_peek(p) != -1) s = jp_fail(p, "unexpected text after the JSON value");
    if (s != MOSA_OK) {
        opj_frames_free(out, count);
        return s;
    }
    *frames = out;
    *n = count;
    return MOSA_OK;
}

mosa_status opj_parse(const char *name, const uint8_t *buf, size_t len, const opj_read_opts *opts, opj_frame **frames,
                      int *n) {
    *frames = NULL;
    *n = 0;
    jp p = {name ? name : "json", buf, len, 0, 0, 0};
    locale_t old = text_locale_enter();
    mosa_status s = parse_all(&p, opts, frames, n);
    text_locale_restore(old);
    return s;
}

mosa_status opj_read(const char *path, const opj_read_opts *opts, opj_frame **frames, int *n) {
    *frames = NULL;
    *n = 0;
    uint8_t *buf;
    size_t len;
    MOSA_TRY(file_read_all(path, OPJ_MAX_FILE_BYTES, &buf, &len));
    mosa_status s = opj_parse(path, buf, len, opts, frames, n);
    mosa_free(buf);
    return s;
}

/* The frame number of a name "frame_NNNNNN.json" (six digits), or -1. */
static int frame_index(const char *name) {
    if (strncmp(name, "frame_", 6) || strlen(name) != 6 + 6 + 5 || strcmp(name + 12, ".json")) return -1;
    int v = 0;
    for (int i = 6; i < 12; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

mosa_status opj_dir_read(const char *dir, const opj_read_opts *opts, opj_frame **frames, int *n) {
    *frames = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return mosa_fail(MOSA_ERR_IO, "cannot open directory '%s': %s", dir, strerror(errno));
    int count = 0, max = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        int k = frame_index(e->d_name);
        if (k < 0) continue;
        count++;
        if (k > max) max = k;
    }
    closedir(d);
    if (count == 0) return mosa_fail(MOSA_ERR_IO, "'%s' holds no frame_NNNNNN.json files", dir);
    if (max + 1 > OPJ_MAX_FRAMES) return mosa_fail(MOSA_ERR_FORMAT, "'%s': frame numbers reach %d (at most %d frames)", dir, max, OPJ_MAX_FRAMES);
    opj_frame *out = mosa_calloc((size_t)max + 1, sizeof *out);
    size_t cap = strlen(dir) + 32;
    char *path = mosa_malloc(cap);
    if (!out || !path) {
        mosa_free(out);
        mosa_free(path);
        return MOSA_ERR_NOMEM;
    }
    mosa_status s = MOSA_OK;
    int i;
    for (i = 0; i <= max && s == MOSA_OK; i++) {
        snprintf(path, cap, "%s/frame_%06d.json", dir, i);
        struct stat st;
        if (stat(path, &st) != 0) {
            s = mosa_fail(MOSA_ERR_FORMAT, "'%s' is missing: frames must be numbered from frame_000000.json without gaps (the last is frame_%06d.json)",
                          path, max);
            break;
        }
        opj_frame *fr;
        int nf;
        s = opj_read(path, opts, &fr, &nf);
        if (s == MOSA_OK && nf != 1) {
            s = mosa_fail(MOSA_ERR_FORMAT, "'%s' holds a list of %d frames; one frame per file is expected here", path, nf);
            opj_frames_free(fr, nf);
            break;
        }
        if (s != MOSA_OK) break;
        out[i] = fr[0];
        mosa_free(fr);
    }
    mosa_free(path);
    if (s != MOSA_OK) {
        opj_frames_free(out, max + 1);
        return s;
    }
    *frames = out;
    *n = max + 1;
    return MOSA_OK;
}
