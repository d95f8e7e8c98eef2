/* test_openpose_json.c: OpenPose-18 keypoint JSON in ComfyUI's POSE_KEYPOINT form
 * (src/io/openpose_json.c).
 *
 * The exact text of a small known frame (checked once with Python's json module: it loads to
 * the dict comfyui_controlnet_aux builds); missing points written [0.0, 0.0, 0.0]; round trips
 * of single frames, whole-video lists and frame directories, bit exact; CMU OpenPose's own output
 * (BODY_25, pixel coordinates, extra keys) read with the image size; and hostile input (every
 * truncation, deep nesting, bad numbers, bad strings, wrong counts, duplicate keys) refused with
 * a message that says where. TEST_VERBOSE=1 prints every error message. */
#define _GNU_SOURCE
#include "io/openpose_json.h"
#include "test.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One person on a 640x480 canvas: nose (320,120) c 0.9, neck (320,160) c 1, right shoulder
 * (256,168) c 0.25, left wrist (0.1 of the width, 0 of the height) c 0.5; the rest missing. */
static const char k_known[] =
    "{\"people\": [{\"pose_keypoints_2d\": [0.5, 0.25, 1.0, 0.5, 0.33333334, 1.0, 0.4, 0.35, 1.0, 0.0, 0.0, 0.0, "
    "0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "
    "0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "
    "\"face_keypoints_2d\": null, \"hand_left_keypoints_2d\": null, \"hand_right_keypoints_2d\": null}], "
    "\"canvas_height\": 480, \"canvas_width\": 640}";
/* The same with confidences and a minimum confidence of 0.3 (the shoulder is dropped). */
static const char k_known_conf[] =
    "{\"people\": [{\"pose_keypoints_2d\": [0.5, 0.25, 0.9, 0.5, 0.33333334, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "
    "0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "
    "0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "
    "\"face_keypoints_2d\": null, \"hand_left_keypoints_2d\": null, \"hand_right_keypoints_2d\": null}], "
    "\"canvas_height\": 480, \"canvas_width\": 640}";

/* CMU OpenPose 1.3 output (BODY_25, pixels) for a 1000x500 image, two people. */
static const char k_cmu[] =
    "{\"version\":1.3,\"people\":[{\"person_id\":[-1],\"pose_keypoints_2d\":["
    "500,100,0.9, 500,150,0.8, 450,150,0.7, 430,200,0.6, 420,250,0.5, 550,150,0.7, 570,200,0.6, 580,250,0.5,"
    "500,250,0.9, 470,250,0.8, 470,350,0.7, 470,450,0.6, 530,250,0.8, 530,350,0.7, 530,450,0.6,"
    "490,90,0.9, 510,90,0.9, 480,95,0.4, 520,95,0.4, 0,0,0, 0,0,0, 0,0,0, 0,0,0, 0,0,0, 0,0,0],"
    "\"face_keypoints_2d\":[],\"hand_left_keypoints_2d\":[1,2,0.5],\"hand_right_keypoints_2d\":[],"
    "\"pose_keypoints_3d\":[],\"face_keypoints_3d\":[],\"hand_left_keypoints_3d\":[],\"hand_right_keypoints_3d\":[]},"
    "{\"person_id\":[-1],\"pose_keypoints_2d\":[]}]}";

static const char *tmpdir(void) {
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/mosa_test_opj_%ld", (long)getpid());
        mkdir(dir, 0755);
    }
    return dir;
}

static void known_pixels(float px[54]) {
    memset(px, 0, 54 * sizeof(float));
    float nose[3] = {320, 120, 0.9f}, neck[3] = {320, 160, 1.0f}, rsh[3] = {256, 168, 0.25f}, lwr[3] = {64, 0, 0.5f};
    memcpy(px + 3 * 0, nose, sizeof nose);
    memcpy(px + 3 * 1, neck, sizeof neck);
    memcpy(px + 3 * 2, rsh, sizeof rsh);
    memcpy(px + 3 * 7, lwr, sizeof lwr);
}

static int same_frames(const opj_frame *a, const opj_frame *b, int n) {
    for (int i = 0; i < n; i++) {
        if (a[i].width != b[i].width || a[i].height != b[i].height || a[i].n_people != b[i].n_people) return 0;
        if (a[i].n_people && memcmp(a[i].kp, b[i].kp, (size_t)a[i].n_people * 54 * sizeof(float))) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */

static void test_known(void) {
    float px[54];
    known_pixels(px);
    opj_frame f;
    TEST_COND("from pixels", opj_frame_from_pixels(&f, px, 1, 640, 480) == MOSA_OK && f.kp[0] == 0.5f && f.kp[1] == 0.25f);
    char *t;
    size_t n;
    TEST_COND("format", opj_frame_format(&f, NULL, &t, &n) == MOSA_OK);
    int ok = t && n == strlen(k_known) && !strcmp(t, k_known);
    if (!ok) printf("  got:  %s\n  want: %s\n", t, k_known);
    TEST_COND("exact text of the known frame", ok);
    mosa_free(t);
    opj_write_opts conf = {1, 0.3f};
    TEST_COND("format with confidences", opj_frame_format(&f, &conf, &t, &n) == MOSA_OK);
    ok = t && !strcmp(t, k_known_conf);
    if (!ok) printf("  got:  %s\n  want: %s\n", t, k_known_conf);
    TEST_COND("exact text with confidences, low ones missing", ok);
    mosa_free(t);

    /* read back */
    opj_frame *r;
    int nr;
    TEST_COND("parse the known text", opj_parse("k", (const uint8_t *)k_known, strlen(k_known), NULL, &r, &nr) == MOSA_OK &&
                                          nr == 1);
    if (r) {
        TEST_COND("canvas and people", r[0].width == 640 && r[0].height == 480 && r[0].n_people == 1);
        TEST_COND("values", r[0].kp[3 * 1 + 1] == 160.0f / 480.0f && r[0].kp[3 * 7] == 0.1f && r[0].kp[3 * 7 + 2] == 1.0f &&
                                r[0].kp[3 * 5] == 0 && r[0].kp[3 * 5 + 2] == 0);
    }
    opj_frames_free(r, nr);

    /* empty frames */
    opj_frame e = {512, 256, 0, NULL};
    TEST_COND("a frame with nobody", opj_frame_format(&e, NULL, &t, &n) == MOSA_OK &&
                                         !strcmp(t, "{\"people\": [], \"canvas_height\": 256, \"canvas_width\": 512}"));
    mosa_free(t);
    TEST_COND("an empty video", opj_video_format(NULL, 0, NULL, &t, &n) == MOSA_OK && !strcmp(t, "[]"));
    mosa_free(t);
    TEST_COND("read an empty video", opj_parse("e", (const uint8_t *)" [ ] \n", 6, NULL, &r, &nr) == MOSA_OK && nr == 0);
    opj_frames_free(r, nr);
    mosa_free(f.kp);
}

static void test_round_trips(void) {
    enum { NF = 5 };
    opj_frame fr[NF];
    uint32_t seed = 12345;
    for (int i = 0; i < NF; i++) {
        fr[i].width = 320 + 64 * i;
        fr[i].height = 240 + 7 * i;
        fr[i].n_people = i % 3;
        fr[i].kp = malloc(sizeof(float) * 54 * (size_t)(fr[i].n_people ? fr[i].n_people : 1));
        for (int k = 0; k < fr[i].n_people * 18; k++) {
            float v[3];
            for (int c = 0; c < 3; c++) {
                seed = seed * 1664525u + 1013904223u;
                v[c] = (float)(seed >> 8) / 16777216.0f;
            }
            if (k % 7 == 1) v[0] = -0.125f, v[1] = 1.5f; /* off the canvas */
            if (k % 11 == 2) v[0] = 1e-7f;               /* written with an exponent */
            if (k % 5 == 3) v[0] = v[1] = v[2] = 0;      /* missing */
            memcpy(fr[i].kp + 3 * k, v, sizeof v);
        }
    }
    opj_write_opts conf = {1, 0};
    char path[512];
    snprintf(path, sizeof path, "%s/video.json", tmpdir());
    TEST_COND("write a video", opj_video_write(path, fr, NF, &conf) == MOSA_OK);
    opj_frame *r;
    int nr;
    TEST_COND("read the video", opj_read(path, NULL, &r, &nr) == MOSA_OK && nr == NF);
    TEST_COND("video round trip bit exact", r && same_frames(fr, r, NF));
    opj_frames_free(r, nr);
    unlink(path);

    snprintf(path, sizeof path, "%s/frames", tmpdir());
    TEST_COND("write a frame directory", opj_dir_write(path, fr, NF, &conf) == MOSA_OK);
    char f0[600];
    snprintf(f0, sizeof f0, "%s/frame_000004.json", path);
    struct stat st;
    TEST_COND("frame_000004.json exists", stat(f0, &st) == 0);
    char other[600];
    snprintf(other, sizeof other, "%s/notes.txt", path);
    FILE *o = fopen(other, "w");
    fputs("not a frame", o);
    fclose(o);
    TEST_COND("read the frame directory", opj_dir_read(path, NULL, &r, &nr) == MOSA_OK && nr == NF);
    TEST_COND("directory round trip bit exact", r && same_frames(fr, r, NF));
    opj_frames_free(r, nr);
    snprintf(f0, sizeof f0, "%s/frame_000002.json", path);
    unlink(f0);
    TEST_COND("a gap is named", opj_dir_read(path, NULL, &r, &nr) == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "frame_000002.json") &&
                                    r == NULL);
    snprintf(f0, sizeof f0, "%s/frame_000002.json", path);
    TEST_COND("a list in a frame file is refused", opj_video_write(f0, fr, 2, NULL) == MOSA_OK &&
                                                       opj_dir_read(path, NULL, &r, &nr) == MOSA_ERR_FORMAT &&
                                                       strstr(mosa_last_error(), "one frame per file"));
    unlink(other);
    for (int i = 0; i < NF; i++) {
        snprintf(f0, sizeof f0, "%s/frame_%06d.json", path, i);
        unlink(f0);
    }
    TEST_COND("an empty directory", opj_dir_read(path, NULL, &r, &nr) == MOSA_ERR_IO);
    rmdir(path);

    /* single frame, confidence 1.0 mode: present points come back with c = 1 */
    snprintf(path, sizeof path, "%s/one.json", tmpdir());
    TEST_COND("write one frame", opj_frame_write(path, &fr[1], NULL) == MOSA_OK);
    TEST_COND("read one frame", opj_read(path, NULL, &r, &nr) == MOSA_OK && nr == 1);
    int ok = r && r[0].n_people == 1;
    for (int k = 0; ok && k < 18; k++) {
        const float *a = fr[1].kp + 3 * k, *b = r[0].kp + 3 * k;
        ok = a[2] > 0 ? (a[0] == b[0] && a[1] == b[1] && b[2] == 1.0f) : (b[0] == 0 && b[1] == 0 && b[2] == 0);
    }
    TEST_COND("present points read back with confidence 1.0, missing as zeros", ok);
    opj_frames_free(r, nr);
    uint8_t *bytes;
    size_t blen;
    TEST_COND("file ends with a newline", file_read_all(path, 1 << 20, &bytes, &blen) == MOSA_OK && bytes[blen - 1] == '\n');
    mosa_free(bytes);
    unlink(path);

    /* argument checks */
    opj_frame bad = {0, 10, 0, NULL};
    char *t;
    size_t n;
    TEST_COND("zero width refused", opj_frame_format(&bad, NULL, &t, &n) == MOSA_ERR_ARG && t == NULL);
    fr[1].kp[4] = NAN;
    TEST_COND("NaN refused", opj_frame_format(&fr[1], NULL, &t, &n) == MOSA_ERR_ARG);
    TEST_COND("write into a missing directory", opj_frame_write("/nonexistent_mosa/x.json", &fr[0], NULL) == MOSA_ERR_IO);
    for (int i = 0; i < NF; i++) free(fr[i].kp);
}

static void test_cmu(void) {
    opj_frame *r;
    int nr;
    TEST_COND("CMU output without the image size is refused",
              opj_parse("cmu", (const uint8_t *)k_cmu, strlen(k_cmu), NULL, &r, &nr) == MOSA_ERR_FORMAT &&
                  strstr(mosa_last_error(), "give the image size"));
    opj_read_opts size = {1000, 500};
    TEST_COND("CMU output with the image size", opj_parse("cmu", (const uint8_t *)k_cmu, strlen(k_cmu), &size, &r, &nr) == MOSA_OK &&
                                                   nr == 1);
    if (r) {
        const float *k = r[0].kp;
        TEST_COND("two people, canvas from the caller", r[0].n_people == 2 && r[0].width == 1000 && r[0].height == 500);
        /* COCO 8 (right hip) is BODY_25 9: (470, 250); COCO 17 (left ear) is BODY_25 18: (520, 95) */
        TEST_COND("BODY_25 mapped to COCO-18 and normalised",
                  k[0] == 0.5f && k[1] == 0.2f && k[2] == 0.9f && k[3 * 8] == 0.47f && k[3 * 8 + 1] == 0.5f &&
                      k[3 * 8 + 2] == 0.8f && k[3 * 17] == 0.52f && k[3 * 17 + 1] == 0.19f && k[3 * 17 + 2] == 0.4f);
        int zero = 1;
        for (int i = 54; i < 108; i++) zero &= k[i] == 0;
        TEST_COND("an empty pose: all missing", zero);
    }
    opj_frames_free(r, nr);
}

static void check_bad_n(const char *descr, const char *text, size_t len, const char *want) {
    opj_frame *r;
    int nr;
    mosa_status s = opj_parse("t.json", (const uint8_t *)text, len, NULL, &r, &nr);
    int ok = s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), want) && r == NULL && nr == 0;
    if (!ok || getenv("TEST_VERBOSE")) printf("  %s: %s\n", descr, s ? mosa_last_error() : "(accepted)");
    TEST_COND(descr, ok);
    if (s == MOSA_OK) opj_frames_free(r, nr);
}
static void check_bad(const char *descr, const char *text, const char *want) { check_bad_n(descr, text, strlen(text), want); }

#define PEOPLE0 "\"people\": []"
#define CANVAS ", \"canvas_height\": 10, \"canvas_width\": 10"

static void test_hostile(void) {
    /* every truncation of a valid frame is refused */
    size_t n = strlen(k_known);
    int all = 1;
    for (size_t cut = 0; cut < n; cut++) {
        char *p = malloc(cut ? cut : 1);
        memcpy(p, k_known, cut);
        opj_frame *r;
        int nr;
        if (opj_parse("t", (const uint8_t *)p, cut, NULL, &r, &nr) == MOSA_OK) {
            all = 0;
            opj_frames_free(r, nr);
        }
        free(p);
    }
    TEST_COND("every truncation refused", all);

    check_bad("empty", "", "expected a frame {...} or a list of frames [...], found the end of the input");
    check_bad("a number", "42", "found '4'");
    check_bad("no people", "{" "\"canvas_height\": 10, \"canvas_width\": 10}", "frame 0 has no \"people\" list");
    check_bad("one canvas key", "{" PEOPLE0 ", \"canvas_height\": 10}", "only one of");
    check_bad("canvas 0", "{" PEOPLE0 ", \"canvas_height\": 0, \"canvas_width\": 10}", "\"canvas_height\" is 0");
    check_bad("canvas 1.5", "{" PEOPLE0 ", \"canvas_height\": 1.5, \"canvas_width\": 10}", "whole number");
    check_bad("canvas 1e9", "{" PEOPLE0 ", \"canvas_height\": 1e9, \"canvas_width\": 10}", "1 to 65536");
    check_bad("canvas a string", "{" PEOPLE0 ", \"canvas_height\": \"10\", \"canvas_width\": 10}", "expected a number, found '\"'");
    check_bad("people not a list", "{\"people\": {}" CANVAS "}", "expected '[' after \"people\":");
    check_bad("person not an object", "{\"people\": [[]]" CANVAS "}", "expected '{' (a person)");
    check_bad("53 numbers", "{\"people\": [{\"pose_keypoints_2d\": [1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3]}]" CANVAS "}",
              "has 53 numbers: expected 54");
    check_bad("76 numbers", "{\"people\": [{\"pose_keypoints_2d\": [1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6]}]" CANVAS "}",
              "more than 75 numbers");
    check_bad("hand count not a multiple of 3", "{\"people\": [{\"hand_left_keypoints_2d\": [1, 2]}]" CANVAS "}", "not a multiple of 3");
    check_bad("a string in the keypoints", "{\"people\": [{\"pose_keypoints_2d\": [\"x\"]}]" CANVAS "}", "expected a number");
    check_bad("NaN", "{\"people\": [{\"pose_keypoints_2d\": [NaN]}]" CANVAS "}", "expected a number, found 'N'");
    check_bad("Infinity", "{\"people\": [{\"pose_keypoints_2d\": [-Infinity]}]" CANVAS "}", "expected a number");
    check_bad("1e999", "{\"people\": [{\"pose_keypoints_2d\": [1e999]}]" CANVAS "}", "number 1e999 is out of range");
    check_bad("1e39 (past float)", "{\"people\": [{\"pose_keypoints_2d\": [1e39]}]" CANVAS "}", "out of range");
    check_bad("leading zero", "{\"people\": [{\"pose_keypoints_2d\": [01]}]" CANVAS "}", "expected ',' or ']'");
    check_bad("bare dot", "{\"people\": [{\"pose_keypoints_2d\": [1.]}]" CANVAS "}", "digits after its '.'");
    check_bad("bad exponent", "{\"people\": [{\"pose_keypoints_2d\": [1e]}]" CANVAS "}", "digits in its exponent");
    check_bad("plus sign", "{\"people\": [{\"pose_keypoints_2d\": [+1]}]" CANVAS "}", "expected a number, found '+'");
    check_bad("hex", "{\"people\": [{\"pose_keypoints_2d\": [0x1]}]" CANVAS "}", "expected ',' or ']'");
    check_bad("trailing comma", "{\"people\": [{\"pose_keypoints_2d\": [1,]}]" CANVAS "}", "expected a number, found ']'");
    check_bad("duplicate people", "{" PEOPLE0 ", " PEOPLE0 CANVAS "}", "duplicate key \"people\"");
    check_bad("duplicate canvas", "{" PEOPLE0 CANVAS ", \"canvas_width\": 10}", "duplicate key \"canvas_width\"");
    check_bad("duplicate pose", "{\"people\": [{\"pose_keypoints_2d\": null, \"pose_keypoints_2d\": null}]" CANVAS "}", "duplicate key \"pose_keypoints_2d\"");
    check_bad("single quotes", "{'people': []}", "expected '\"' (a string)");
    check_bad("unterminated string", "{\"people", "unterminated string");
    check_bad("bad escape", "{\"pe\\xople\": []}", "unknown escape '\\x'");
    check_bad("lone surrogate", "{\"\\ud800\": 1}", "lone high surrogate");
    check_bad("lone low surrogate", "{\"\\udc00\": 1}", "lone low surrogate");
    check_bad("bad \\u", "{\"\\u12g4\": 1}", "bad \\u escape");
    check_bad("control character in a string", "{\"a\tb\": 1}", "control character 0x09 inside a string");
    check_bad("invalid UTF-8", "{\"a\xff\": 1}", "t.json:1: not valid UTF-8 (byte 3)");
    check_bad("overlong UTF-8", "{\"a\xc0\xaf\": 1}", "not valid UTF-8");
    check_bad("text after the value", "{" PEOPLE0 CANVAS "} x", "unexpected text after the JSON value");
    check_bad("two values", "{" PEOPLE0 CANVAS "}{}", "unexpected text");
    check_bad("a list of numbers", "[1, 2]", "expected '{' (a frame");
    check_bad("missing comma between frames", "[{" PEOPLE0 CANVAS "} {" PEOPLE0 CANVAS "}]", "expected ',' or ']' between frames");
    check_bad("error names the line", "[\n{" PEOPLE0 CANVAS "},\n{" PEOPLE0 ", \"canvas_height\": -1, \"canvas_width\": 10}]",
              "t.json:3: \"canvas_height\" is -1");
    check_bad("bad literal", "{\"x\": nul, " PEOPLE0 CANVAS "}", "expected a JSON value, found 'n'");
    check_bad_n("NUL byte", "{\"people\": [], \0}", 16, "expected '\"' (a string), found byte 0x00");
    {
        /* deep nesting under an unknown key, and many people */
        size_t cap = 1 << 20;
        char *b = malloc(cap);
        size_t k = (size_t)sprintf(b, "{\"x\": ");
        for (int d = 0; d < 100000; d++) b[k++] = '[';
        for (int d = 0; d < 100000; d++) b[k++] = ']';
        k += (size_t)sprintf(b + k, ", " PEOPLE0 CANVAS "}");
        check_bad_n("100000 nested lists", b, k, "nesting deeper than 64 levels");
        k = (size_t)sprintf(b, "{\"x\": ");
        for (int d = 0; d < 62; d++) k += (size_t)sprintf(b + k, "{\"a\": ");
        k += (size_t)sprintf(b + k, "1");
        for (int d = 0; d < 62; d++) b[k++] = '}';
        k += (size_t)sprintf(b + k, ", " PEOPLE0 CANVAS "}");
        opj_frame *r;
        int nr;
        TEST_COND("63 levels are fine", opj_parse("t", (const uint8_t *)b, k, NULL, &r, &nr) == MOSA_OK && nr == 1);
        opj_frames_free(r, nr);
        k = (size_t)sprintf(b, "{\"people\": [");
        for (int p = 0; p < 1001; p++) k += (size_t)sprintf(b + k, "%s{}", p ? "," : "");
        k += (size_t)sprintf(b + k, "]" CANVAS "}");
        check_bad_n("1001 people", b, k, "more than 1000 people");
        free(b);
    }
    opj_frame *r;
    int nr;
    const char *ok = "\xef\xbb\xbf {\"extra\": {\"a\": [1, true, false, null, \"\\u00e9\\ud83d\\ude00\"]}, \"people\": [{}], "
                     "\"canvas_width\": 7, \"canvas_height\": 9} \n";
    TEST_COND("BOM, any key order, extra keys, escapes", opj_parse("t", (const uint8_t *)ok, strlen(ok), NULL, &r, &nr) == MOSA_OK &&
                                                              nr == 1 && r[0].width == 7 && r[0].height == 9 && r[0].n_people == 1);
    opj_frames_free(r, nr);
}

int main(void) {
    test_known();
    test_round_trips();
    test_cmu();
    test_hostile();
    rmdir(tmpdir());
    return test_report();
}
