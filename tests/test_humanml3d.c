/* test_humanml3d.c: HumanML3D directory layout (src/io/humanml3d.c).
 *
 * Builds a small dataset directory itself (joints of a procedurally built walking figure,
 * features, captions tagged by hml_pos_tag, Mean/Std, split lists) and reads it back bit exact
 * through the on-demand directory reader; reads files written by numpy (pasted bytes) and
 * caption lines from HumanML3D's README; checks that missing and corrupt files are named and
 * either skipped with a warning or refused, as asked; checks hostile caption files and split
 * lists; and compares the approximate POS tagger with HumanML3D's own examples. */
#define _GNU_SOURCE
#include "io/humanml3d.h"
#include "io/npy.h"
#include "base/geom.h"
#include "base/skeleton.h"
#include "test.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* k_np_joints: np.save of a <f4 array of shape (2, 22, 3): j[t,k,c] = t + 0.01 k + 0.001 c as float32 */
static const char k_np_joints[] =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c202773686170"
    "65273a2028322c2032322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020"
    "2020202020202020202020202020200a000000006f12833a6f12033b0ad7233c5839343ca69b443c0ad7a33c3108ac3c5839b43c8fc2f53c"
    "b6f3fd3c6f12033d0ad7233d9eef273d31082c3dcdcc4c3d60e5503df4fd543d8fc2753d23db793db6f37d3d295c8f3d7368913dbc74933d"
    "0ad7a33d54e3a53d9eefa73dec51b83d355eba3d7f6abc3dcdcccc3d17d9ce3d60e5d03dae47e13df853e33d4260e53d8fc2f53dd9cef73d"
    "23dbf93db81e053edd24063e022b073e295c0f3e4e62103e7368113e9a99193ebe9f1a3ee3a51b3e0ad7233e2fdd243e54e3253e7b142e3e"
    "a01a2f3ec520303eec51383e1058393e355e3a3e5c8f423e8195433ea69b443ecdcc4c3ef2d24d3e17d94e3e3d0a573e6210583e8716593e"
    "0000803fc520803f8941803fae47813f7368813f3789813f5c8f823f21b0823fe5d0823f0ad7833fcff7833f9318843fb81e853f7d3f853f"
    "4260853f6666863f2b87863ff0a7863f14ae873fd9ce873f9eef873fc3f5883f8716893f4c37893f713d8a3f355e8a3ffa7e8a3f1f858b3f"
    "e3a58b3fa8c68b3fcdcc8c3f91ed8c3f560e8d3f7b148e3f3f358e3f04568e3f295c8f3fee7c8f3fb29d8f3fd7a3903f9cc4903f60e5903f"
    "85eb913f4a0c923f0e2d923f3333933ff853933fbc74933fe17a943fa69b943f6abc943f8fc2953f54e3953f1904963f3d0a973f022b973f"
    "c74b973fec51983fb072983f7593983f9a99993f5eba993f23db993f48e19a3f0c029b3fd1229b3f"
    ;
/* k_np_std: np.save of a <f8 array of shape (263,): 0.5 + 0.25 i as float64 */
static const char k_np_std[] =
    "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c202773686170"
    "65273a20283236332c292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020"
    "2020202020202020202020202020200a000000000000e03f000000000000e83f000000000000f03f000000000000f43f000000000000f83f"
    "000000000000fc3f000000000000004000000000000002400000000000000440000000000000064000000000000008400000000000000a40"
    "0000000000000c400000000000000e4000000000000010400000000000001140000000000000124000000000000013400000000000001440"
    "000000000000154000000000000016400000000000001740000000000000184000000000000019400000000000001a400000000000001b40"
    "0000000000001c400000000000001d400000000000001e400000000000001f40000000000000204000000000008020400000000000002140"
    "0000000000802140000000000000224000000000008022400000000000002340000000000080234000000000000024400000000000802440"
    "0000000000002540000000000080254000000000000026400000000000802640000000000000274000000000008027400000000000002840"
    "0000000000802840000000000000294000000000008029400000000000002a400000000000802a400000000000002b400000000000802b40"
    "0000000000002c400000000000802c400000000000002d400000000000802d400000000000002e400000000000802e400000000000002f40"
    "0000000000802f400000000000003040000000000040304000000000008030400000000000c0304000000000000031400000000000403140"
    "00000000008031400000000000c031400000000000003240000000000040324000000000008032400000000000c032400000000000003340"
    "000000000040334000000000008033400000000000c033400000000000003440000000000040344000000000008034400000000000c03440"
    "0000000000003540000000000040354000000000008035400000000000c03540000000000000364000000000004036400000000000803640"
    "0000000000c036400000000000003740000000000040374000000000008037400000000000c0374000000000000038400000000000403840"
    "00000000008038400000000000c038400000000000003940000000000040394000000000008039400000000000c039400000000000003a40"
    "0000000000403a400000000000803a400000000000c03a400000000000003b400000000000403b400000000000803b400000000000c03b40"
    "0000000000003c400000000000403c400000000000803c400000000000c03c400000000000003d400000000000403d400000000000803d40"
    "0000000000c03d400000000000003e400000000000403e400000000000803e400000000000c03e400000000000003f400000000000403f40"
    "0000000000803f400000000000c03f4000000000000040400000000000204040000000000040404000000000006040400000000000804040"
    "0000000000a040400000000000c040400000000000e040400000000000004140000000000020414000000000004041400000000000604140"
    "00000000008041400000000000a041400000000000c041400000000000e04140000000000000424000000000002042400000000000404240"
    "000000000060424000000000008042400000000000a042400000000000c042400000000000e0424000000000000043400000000000204340"
    "0000000000404340000000000060434000000000008043400000000000a043400000000000c043400000000000e043400000000000004440"
    "00000000002044400000000000404440000000000060444000000000008044400000000000a044400000000000c044400000000000e04440"
    "000000000000454000000000002045400000000000404540000000000060454000000000008045400000000000a045400000000000c04540"
    "0000000000e04540000000000000464000000000002046400000000000404640000000000060464000000000008046400000000000a04640"
    "0000000000c046400000000000e0464000000000000047400000000000204740000000000040474000000000006047400000000000804740"
    "0000000000a047400000000000c047400000000000e047400000000000004840000000000020484000000000004048400000000000604840"
    "00000000008048400000000000a048400000000000c048400000000000e04840000000000000494000000000002049400000000000404940"
    "000000000060494000000000008049400000000000a049400000000000c049400000000000e049400000000000004a400000000000204a40"
    "0000000000404a400000000000604a400000000000804a400000000000a04a400000000000c04a400000000000e04a400000000000004b40"
    "0000000000204b400000000000404b400000000000604b400000000000804b400000000000a04b400000000000c04b400000000000e04b40"
    "0000000000004c400000000000204c400000000000404c400000000000604c400000000000804c400000000000a04c400000000000c04c40"
    "0000000000e04c400000000000004d400000000000204d400000000000404d400000000000604d400000000000804d400000000000a04d40"
    "0000000000c04d400000000000e04d400000000000004e400000000000204e400000000000404e400000000000604e400000000000804e40"
    "0000000000a04e400000000000c04e400000000000e04e400000000000004f400000000000204f400000000000404f400000000000604f40"
    "0000000000804f400000000000a04f400000000000c04f400000000000e04f40000000000000504000000000001050400000000000205040"
    "000000000030504000000000004050400000000000505040000000000060504000000000007050400000000000805040"
    ;
/* k_np_mean: np.save of a <f4 array of shape (263,): -0.125 i as float32 */
static const char k_np_mean[] =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c202773686170"
    "65273a20283236332c292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020"
    "2020202020202020202020202020200a00000080000000be000080be0000c0be000000bf000020bf000040bf000060bf000080bf000090bf"
    "0000a0bf0000b0bf0000c0bf0000d0bf0000e0bf0000f0bf000000c0000008c0000010c0000018c0000020c0000028c0000030c0000038c0"
    "000040c0000048c0000050c0000058c0000060c0000068c0000070c0000078c0000080c0000084c0000088c000008cc0000090c0000094c0"
    "000098c000009cc00000a0c00000a4c00000a8c00000acc00000b0c00000b4c00000b8c00000bcc00000c0c00000c4c00000c8c00000ccc0"
    "0000d0c00000d4c00000d8c00000dcc00000e0c00000e4c00000e8c00000ecc00000f0c00000f4c00000f8c00000fcc0000000c1000002c1"
    "000004c1000006c1000008c100000ac100000cc100000ec1000010c1000012c1000014c1000016c1000018c100001ac100001cc100001ec1"
    "000020c1000022c1000024c1000026c1000028c100002ac100002cc100002ec1000030c1000032c1000034c1000036c1000038c100003ac1"
    "00003cc100003ec1000040c1000042c1000044c1000046c1000048c100004ac100004cc100004ec1000050c1000052c1000054c1000056c1"
    "000058c100005ac100005cc100005ec1000060c1000062c1000064c1000066c1000068c100006ac100006cc100006ec1000070c1000072c1"
    "000074c1000076c1000078c100007ac100007cc100007ec1000080c1000081c1000082c1000083c1000084c1000085c1000086c1000087c1"
    "000088c1000089c100008ac100008bc100008cc100008dc100008ec100008fc1000090c1000091c1000092c1000093c1000094c1000095c1"
    "000096c1000097c1000098c1000099c100009ac100009bc100009cc100009dc100009ec100009fc10000a0c10000a1c10000a2c10000a3c1"
    "0000a4c10000a5c10000a6c10000a7c10000a8c10000a9c10000aac10000abc10000acc10000adc10000aec10000afc10000b0c10000b1c1"
    "0000b2c10000b3c10000b4c10000b5c10000b6c10000b7c10000b8c10000b9c10000bac10000bbc10000bcc10000bdc10000bec10000bfc1"
    "0000c0c10000c1c10000c2c10000c3c10000c4c10000c5c10000c6c10000c7c10000c8c10000c9c10000cac10000cbc10000ccc10000cdc1"
    "0000cec10000cfc10000d0c10000d1c10000d2c10000d3c10000d4c10000d5c10000d6c10000d7c10000d8c10000d9c10000dac10000dbc1"
    "0000dcc10000ddc10000dec10000dfc10000e0c10000e1c10000e2c10000e3c10000e4c10000e5c10000e6c10000e7c10000e8c10000e9c1"
    "0000eac10000ebc10000ecc10000edc10000eec10000efc10000f0c10000f1c10000f2c10000f3c10000f4c10000f5c10000f6c10000f7c1"
    "0000f8c10000f9c10000fac10000fbc10000fcc10000fdc10000fec10000ffc1000000c2008000c2000001c2008001c2000002c2008002c2"
    "000003c2"
    ;

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static char g_root[256];

static void put_file(const char *rel, const void *data, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_root, rel);
    FILE *f = fopen(path, "wb");
    if (!f) {
        printf("cannot write %s\n", path);
        return;
    }
    fwrite(data, 1, n, f);
    fclose(f);
}
static void put_text(const char *rel, const char *text) { put_file(rel, text, strlen(text)); }

static void put_hex(const char *rel, const char *hex) {
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    put_file(rel, b, n);
    free(b);
}

/* A walking figure: mosa's rest skeleton (raw directions x bone lengths) posed by forward
 * kinematics with swinging hips, knees, shoulders and elbows, moving along +Z. J is (T,22,3). */
static void walker(float *J, int T) {
    for (int t = 0; t < T; t++) {
        float ph = 2.0f * (float)M_PI * (float)t / 20.0f, s = sinf(ph);
        quat local[SMPL22_J];
        for (int j = 0; j < SMPL22_J; j++) local[j] = quat_identity();
        const v3 X = v3_make(1, 0, 0), Y = v3_make(0, 1, 0);
        local[J_PELVIS] = quat_axis_angle(Y, 0.1f * s);
        local[J_L_HIP] = quat_axis_angle(X, -0.45f * s);
        local[J_R_HIP] = quat_axis_angle(X, 0.45f * s);
        local[J_L_KNEE] = quat_axis_angle(X, 0.3f + 0.3f * s);
        local[J_R_KNEE] = quat_axis_angle(X, 0.3f - 0.3f * s);
        local[J_L_SHOULDER] = quat_axis_angle(X, 0.35f * s);
        local[J_R_SHOULDER] = quat_axis_angle(X, -0.35f * s);
        local[J_L_ELBOW] = quat_axis_angle(X, -0.4f);
        local[J_R_ELBOW] = quat_axis_angle(X, -0.4f);
        local[J_SPINE1] = quat_axis_angle(X, 0.05f);
        quat G[SMPL22_J];
        float *P = J + (size_t)t * SMPL22_J * 3;
        v3_store(P, v3_make(0.02f * s, 0.93f + 0.02f * fabsf(s), 0.06f * (float)t));
        G[0] = local[0];
        for (int j = 1; j < SMPL22_J; j++) {
            int p = smpl22_parents[j];
            v3 off = v3_scale(v3_load(smpl22_raw_offsets[j]), smpl22_bone_lengths[j]);
            v3_store(P + 3 * j, v3_add(v3_load(P + 3 * p), quat_rotate(G[p], off)));
            G[j] = quat_mul(G[p], local[j]);
        }
    }
}

static int same_bits(const float *a, const float *b, size_t n) { return !memcmp(a, b, n * sizeof(float)); }

/* ------------------------------------------------------------------------------------------ */
/* The tagger                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static void check_tag(const char *caption, const char *want) {
    char out[1024];
    mosa_status s = hml_pos_tag(caption, out, sizeof out);
    int ok = s == MOSA_OK && !strcmp(out, want);
    if (!ok) printf("  tag '%s'\n    got  '%s'\n    want '%s'\n", caption, out, want);
    TEST_COND("POS tags", ok);
}

static void test_tagger(void) {
    /* HumanML3D's README (texts/000000.txt and 000002.txt, spaCy's tags) */
    check_tag("a man kicks something or someone with his left leg.",
              "a/DET man/NOUN kick/VERB something/PRON or/CCONJ someone/PRON with/ADP his/DET left/ADJ leg/NOUN");
    check_tag("the standing person kicks with their left foot before going back to their original stance.",
              "the/DET stand/VERB person/NOUN kick/VERB with/ADP their/DET left/ADJ foot/NOUN before/ADP go/VERB "
              "back/ADV to/ADP their/DET original/ADJ stance/NOUN");
    check_tag("a man full-body sideways jumps to his left.",
              "a/DET man/NOUN fullbody/NOUN sideways/ADV jump/VERB to/ADP his/DET left/NOUN");
    check_tag("a person jumps straight to the left.", "a/DET person/NOUN jump/VERB straight/ADV to/ADP the/DET left/NOUN");
    check_tag("a person jumps sideways to the left", "a/DET person/NOUN jump/VERB sideways/ADV to/ADP the/DET left/NOUN");
    /* mosa's own rules: lemmas, plurals, particles, "a kick" */
    check_tag("A woman is running in circles, then stops.",
              "a/DET woman/NOUN is/AUX run/VERB in/ADP circle/NOUN then/ADV stop/VERB");
    check_tag("someone picks up the box and puts it down slowly",
              "someone/PRON pick/VERB up/ADP the/DET box/NOUN and/CCONJ put/VERB it/PRON down/ADV slowly/ADV");
    check_tag("the person's arms wave twice; he takes two steps backwards",
              "the/DET person/NOUN arm/NOUN wave/VERB twice/ADV he/PRON take/VERB two/NUM step/NOUN backwards/ADV");
    check_tag("a man does a kick with his right foot and then turns around",
              "a/DET man/NOUN do/VERB a/DET kick/NOUN with/ADP his/DET right/ADJ foot/NOUN and/CCONJ then/ADV turn/VERB around/ADV");
    check_tag("person carried 2 boxes, waving happily", "person/NOUN carry/VERB box/NOUN wave/VERB happily/ADV");
    check_tag("", "");
    check_tag("...!?", "");
    char small[8];
    TEST_COND("tokens that do not fit: an error", hml_pos_tag("a person walks", small, sizeof small) == MOSA_ERR_ARG);
}

/* ------------------------------------------------------------------------------------------ */
/* A directory written and read back                                                           */
/* ------------------------------------------------------------------------------------------ */

static void test_round_trip(void) {
    enum { T0 = 40, T1 = 17 };
    float *j0 = malloc(sizeof(float) * T0 * 66), *j1 = malloc(sizeof(float) * T1 * 66);
    float *v0 = malloc(sizeof(float) * (T0 - 1) * 263);
    walker(j0, T0);
    walker(j1, T1);
    for (int i = 0; i < (T0 - 1) * 263; i++) v0[i] = sinf(0.37f * (float)i) * 3.0f;
    TEST_COND("walker is finite and walks forward", isfinite(j0[66 * (T0 - 1) + 2]) && j0[66 * (T0 - 1) + 2] > 2.0f);

    hml_text tx0[3] = {{"a person walks forward.", NULL, 0, 0},
                       {"someone takes a few steps, swinging their arms", NULL, 0.5f, 1.95f},
                       {"walking#", NULL, 0, 0}};
    hml_motion m0 = {.id = "000000", .T = T0, .joints = j0, .T_vecs = T0 - 1, .vecs = v0, .n_texts = 2, .texts = tx0};
    TEST_COND("write motion 000000", hml_motion_write(g_root, &m0) == MOSA_OK);
    hml_text tx1[1] = {{"a figure walks", "a/DET figure/NOUN walk/VERB", 0.1f, 2.5f}};
    hml_motion m1 = {.id = "M000001", .T = T1, .joints = j1, .n_texts = 1, .texts = tx1};
    TEST_COND("write motion M000001 (no vecs)", hml_motion_write(g_root, &m1) == MOSA_OK);
    hml_motion m2 = {.id = "000002", .T = T1, .joints = j1, .n_texts = 3, .texts = tx0};
    TEST_COND("a caption with '#' is refused", hml_motion_write(g_root, &m2) == MOSA_ERR_ARG);
    hml_motion bad = {.id = "../etc", .T = T1, .joints = j1};
    TEST_COND("an ID that is a path is refused", hml_motion_write(g_root, &bad) == MOSA_ERR_ARG);

    /* the exact text written */
    char path[512];
    snprintf(path, sizeof path, "%s/texts/M000001.txt", g_root);
    uint8_t *buf;
    size_t len;
    TEST_COND("texts file written", file_read_all(path, 1 << 20, &buf, &len) == MOSA_OK);
    const char *want1 = "a figure walks#a/DET figure/NOUN walk/VERB#0.1#2.5\n";
    TEST_COND("texts file text", len == strlen(want1) && !memcmp(buf, want1, len));
    mosa_free(buf);

    char *train[2] = {"000000", "M000001"};
    TEST_COND("write train split", hml_split_write(g_root, "train", train, 2) == MOSA_OK);
    float mean[263], std[263], mean2[263], std2[263];
    for (int i = 0; i < 263; i++) mean[i] = 0.01f * (float)i, std[i] = 1.0f + 0.1f * (float)i;
    TEST_COND("write stats", hml_stats_write(g_root, mean, std) == MOSA_OK);
    TEST_COND("read stats", hml_stats_read(g_root, mean2, std2) == MOSA_OK && same_bits(mean, mean2, 263) &&
                                same_bits(std, std2, 263));

    hml_dir d;
    TEST_COND("open train", hml_dir_open(&d, g_root, "train", HML_JOINTS | HML_TEXTS, HML_REFUSE) == MOSA_OK);
    TEST_COND("two IDs in order", d.n_ids == 2 && !strcmp(d.ids[0], "000000") && !strcmp(d.ids[1], "M000001"));
    int cur = 0, got;
    hml_motion m;
    TEST_COND("next: 000000", hml_dir_next(&d, &cur, &m, &got) == MOSA_OK && got && !strcmp(m.id, "000000"));
    TEST_COND("joints bit exact", m.T == T0 && same_bits(m.joints, j0, (size_t)T0 * 66) && m.vecs == NULL);
    char tags[512];
    hml_pos_tag(tx0[1].caption, tags, sizeof tags);
    TEST_COND("captions, tagged tokens and times", m.n_texts == 2 && !strcmp(m.texts[0].caption, tx0[0].caption) &&
                                                       !strcmp(m.texts[0].tokens, "a/DET person/NOUN walk/VERB forward/ADV") &&
                                                       !strcmp(m.texts[1].tokens, tags) && m.texts[1].start == 0.5f &&
                                                       m.texts[1].end == 1.95f && m.texts[0].end == 0);
    hml_motion_free(&m);
    TEST_COND("next: M000001", hml_dir_next(&d, &cur, &m, &got) == MOSA_OK && got && m.T == T1 &&
                                   same_bits(m.joints, j1, (size_t)T1 * 66) && m.texts[0].start == 0.1f);
    hml_motion_free(&m);
    TEST_COND("next: the end", hml_dir_next(&d, &cur, &m, &got) == MOSA_OK && !got);
    TEST_COND("load by index", hml_dir_load(&d, 0, &m) == MOSA_OK && m.T == T0);
    hml_motion_free(&m);
    TEST_COND("load out of range", hml_dir_load(&d, 2, &m) == MOSA_ERR_ARG);
    hml_dir_close(&d);

    /* vecs asked for: M000001 has none */
    TEST_COND("refuse: a missing file is named",
              hml_dir_open(&d, g_root, "train", HML_JOINTS | HML_VECS, HML_REFUSE) == MOSA_ERR_IO &&
                  strstr(mosa_last_error(), "new_joint_vecs/M000001.npy") && d.ids == NULL);
    TEST_COND("skip: the other is kept", hml_dir_open(&d, g_root, "train", HML_JOINTS | HML_VECS, HML_SKIP) == MOSA_OK &&
                                             d.n_ids == 1 && !strcmp(d.ids[0], "000000") && d.n_problems == 1 &&
                                             strstr(d.problems[0], "new_joint_vecs/M000001.npy: missing"));
    cur = 0;
    TEST_COND("vecs bit exact", hml_dir_next(&d, &cur, &m, &got) == MOSA_OK && got && m.T_vecs == T0 - 1 &&
                                    same_bits(m.vecs, v0, (size_t)(T0 - 1) * 263));
    hml_motion_free(&m);
    hml_dir_close(&d);
    free(j0);
    free(j1);
    free(v0);
}

/* ------------------------------------------------------------------------------------------ */
/* Corrupt and missing files in a directory                                                     */
/* ------------------------------------------------------------------------------------------ */

static void test_corrupt_dir(void) {
    /* numpy-written files */
    put_hex("new_joints/np0001.npy", k_np_joints);
    put_hex("Mean.npy", k_np_mean);
    put_hex("Std.npy", k_np_std);
    put_text("texts/np0001.txt",
             "a man kicks something or someone with his left leg.#a/DET man/NOUN kick/VERB something/PRON or/CCONJ "
             "someone/PRON with/ADP his/DET left/ADJ leg/NOUN#0.0#0.0\r\n\r\n"
             "the standing person kicks with their left foot before going back to their original stance.#the/DET "
             "stand/VERB person/NOUN kick/VERB with/ADP their/DET left/ADJ foot/NOUN before/ADP go/VERB back/ADV to/ADP "
             "their/DET original/ADJ stance/NOUN#nan#nan\n");
    /* corrupt ones */
    float z[2 * 21 * 3] = {0};
    int64_t sh21[3] = {2, 21, 3};
    char p[512];
    snprintf(p, sizeof p, "%s/new_joints/bad_shape.npy", g_root);
    npy_write_f32(p, z, sh21, 3);
    put_text("texts/bad_shape.txt", "x#x/NOUN#0#0\n");
    float zn[66] = {0};
    zn[40] = NAN;
    int64_t sh1[3] = {1, 22, 3};
    snprintf(p, sizeof p, "%s/new_joints/has_nan.npy", g_root);
    npy_write_f32(p, zn, sh1, 3);
    put_text("texts/has_nan.txt", "x#x/NOUN#0#0\n");
    put_hex("new_joints/bad_text.npy", k_np_joints);
    put_text("texts/bad_text.txt", "a caption#tokens/NOUN#0.0\n");
    put_hex("new_joints/no_caption.npy", k_np_joints);
    put_text("texts/no_caption.txt", "\n  \n");
    const char trunc[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 22, 3), }";
    put_file("new_joints/truncated.npy", trunc, sizeof trunc - 1);
    put_text("texts/truncated.txt", "x#x/NOUN#0#0\n");
    put_text("test.txt", "bad_shape\nnp0001\r\nhas_nan\n\nbad_text\nno_caption\ntruncated\nnot_there\n");

    float mean[263], std[263];
    TEST_COND("numpy's Mean.npy (<f4) and Std.npy (<f8)", hml_stats_read(g_root, mean, std) == MOSA_OK &&
                                                              mean[10] == -1.25f && std[0] == 0.5f && std[262] == 66.0f);
    float *j;
    int T;
    snprintf(p, sizeof p, "%s/new_joints/np0001.npy", g_root);
    TEST_COND("numpy's joints", hml_joints_read(p, &j, &T) == MOSA_OK && T == 2);
    int ok = 1;
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < 22; k++)
            for (int c = 0; c < 3; c++) ok &= j[(t * 22 + k) * 3 + c] == (float)(t + k * 0.01 + c * 0.001);
    TEST_COND("numpy's joint values", ok);
    mosa_free(j);

    hml_dir d;
    TEST_COND("refuse: the missing file is named",
              hml_dir_open(&d, g_root, "test", HML_JOINTS | HML_TEXTS, HML_REFUSE) == MOSA_ERR_IO &&
                  strstr(mosa_last_error(), "new_joints/not_there.npy") && strstr(mosa_last_error(), "texts/not_there.txt"));
    TEST_COND("skip: open", hml_dir_open(&d, g_root, "test", HML_JOINTS | HML_TEXTS, HML_SKIP) == MOSA_OK && d.n_ids == 6 &&
                                d.n_problems == 2);
    int cur = 0, got, n_good = 0;
    hml_motion m;
    mosa_status s;
    while ((s = hml_dir_next(&d, &cur, &m, &got)) == MOSA_OK && got) {
        n_good++;
        TEST_COND("the good one", !strcmp(m.id, "np0001") && m.n_texts == 2 && m.texts[1].start == 0 &&
                                      !strcmp(m.texts[1].tokens + strlen(m.texts[1].tokens) - 12, " stance/NOUN"));
        TEST_COND("CRLF and blank lines", !strcmp(m.texts[0].tokens + strlen(m.texts[0].tokens) - 8, "leg/NOUN"));
        hml_motion_free(&m);
    }
    TEST_COND("skip: one good motion, no error", s == MOSA_OK && n_good == 1);
    TEST_COND("skip: every problem recorded", d.n_problems == 7 && d.n_kept == 7);
    const char *want[] = {"not_there.npy: missing", "not_there.txt: missing", "bad_shape.npy' has shape (2, 21, 3)",
                          "has_nan.npy': value nan at frame 0, element 40", "bad_text.txt:1: 3 '#'-separated fields",
                          "no_caption.txt' holds no caption", "truncated.npy': .npy file seems not fully written"};
    for (int i = 0; i < 7; i++) {
        int found = 0;
        for (int k = 0; k < d.n_kept; k++) found |= strstr(d.problems[k], want[i]) != NULL;
        if (!found || getenv("TEST_VERBOSE")) printf("  problem '%s': %s\n", want[i], found ? "found" : "MISSING");
        TEST_COND("problem named", found);
    }
    hml_dir_close(&d);

    /* refuse: the first corrupt file stops the iteration with its error */
    put_text("val.txt", "np0001\nbad_shape\nnp0001x\n");
    put_hex("new_joints/np0001x.npy", k_np_joints);
    put_text("texts/np0001x.txt", "x#x/NOUN#0#0\n");
    TEST_COND("refuse: open", hml_dir_open(&d, g_root, "val", HML_JOINTS | HML_TEXTS, HML_REFUSE) == MOSA_OK && d.n_ids == 3);
    cur = 0;
    TEST_COND("refuse: first is fine", hml_dir_next(&d, &cur, &m, &got) == MOSA_OK && got);
    hml_motion_free(&m);
    TEST_COND("refuse: the corrupt one is an error naming it",
              hml_dir_next(&d, &cur, &m, &got) == MOSA_ERR_FORMAT && !got && strstr(mosa_last_error(), "bad_shape.npy") &&
                  d.n_problems == 0);
    TEST_COND("refuse: the caller may go on", hml_dir_next(&d, &cur, &m, &got) == MOSA_OK && got && !strcmp(m.id, "np0001x"));
    hml_motion_free(&m);
    hml_dir_close(&d);

    TEST_COND("missing split file", hml_dir_open(&d, g_root, "train_val", HML_JOINTS, HML_SKIP) == MOSA_ERR_IO &&
                                        strstr(mosa_last_error(), "train_val.txt"));
    TEST_COND("split name that is a path", hml_dir_open(&d, g_root, "../x", HML_JOINTS, HML_SKIP) == MOSA_ERR_ARG);
    put_text("Std.npy", "garbage");
    TEST_COND("corrupt Std.npy named", hml_stats_read(g_root, mean, std) == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "Std.npy"));
    float zs[263] = {0};
    TEST_COND("zero std refused", hml_stats_write(g_root, zs, zs) == MOSA_OK &&
                                      hml_stats_read(g_root, mean, std) == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "positive"));
}

/* ------------------------------------------------------------------------------------------ */
/* Caption files and split lists: hostile input                                                */
/* ------------------------------------------------------------------------------------------ */

static void check_texts_bad(const char *descr, const char *text, size_t n, const char *want) {
    hml_text *t;
    int cnt;
    mosa_status s = hml_texts_parse("t.txt", (const uint8_t *)text, n, &t, &cnt);
    int ok = s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), want) && t == NULL && cnt == 0;
    if (!ok || getenv("TEST_VERBOSE")) printf("  %s: %s\n", descr, s ? mosa_last_error() : "(accepted)");
    TEST_COND(descr, ok);
    if (s == MOSA_OK) hml_texts_free(t, cnt);
}

static void check_split_bad(const char *descr, const char *text, const char *want) {
    char **ids;
    int n;
    mosa_status s = hml_split_parse("s.txt", (const uint8_t *)text, strlen(text), &ids, &n);
    int ok = s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), want) && ids == NULL;
    if (!ok || getenv("TEST_VERBOSE")) printf("  %s: %s\n", descr, s ? mosa_last_error() : "(accepted)");
    TEST_COND(descr, ok);
    if (s == MOSA_OK) hml_ids_free(ids, n);
}

static void test_hostile_text(void) {
    hml_text *t;
    int n;
    const char *good = "  \n a b#a/DET b/NOUN#1.5#3e0\nc#c/NOUN#+2.#0.25\n\n";
    TEST_COND("good captions", hml_texts_parse("t", (const uint8_t *)good, strlen(good), &t, &n) == MOSA_OK && n == 2 &&
                                   !strcmp(t[0].caption, " a b") && t[0].start == 1.5f && t[0].end == 3.0f &&
                                   t[1].start == 2.0f && t[1].end == 0.25f);
    hml_texts_free(t, n);
    TEST_COND("empty file: no captions", hml_texts_parse("t", (const uint8_t *)"", 0, &t, &n) == MOSA_OK && n == 0);
    check_texts_bad("3 fields", "a#b#0\n", 6, "t.txt:1: 3 '#'-separated fields");
    check_texts_bad("5 fields", "ok#x#0#0\na#b#c#0#0\n", 20, "t.txt:2: more than four");
    check_texts_bad("1 field", "just a caption\n", 15, "1 '#'-separated field,");
    check_texts_bad("bad time", "a#b#abc#0\n", 10, "found 'abc' and '0'");
    check_texts_bad("negative time", "a#b#-1#0\n", 9, "non-negative");
    check_texts_bad("inf time", "a#b#inf#0\n", 10, "non-negative");
    check_texts_bad("huge time", "a#b#1e300#0\n", 12, "non-negative");
    check_texts_bad("empty time", "a#b##0\n", 7, "non-negative");
    check_texts_bad("hex time", "a#b#0x1#0\n", 10, "non-negative");
    check_texts_bad("empty caption", "#b#0#0\n", 7, "empty caption");
    check_texts_bad("invalid UTF-8", "ok#x#0#0\nca\xff#b#0#0\n", 18, "t.txt:2: not valid UTF-8");
    check_texts_bad("overlong UTF-8", "a\xc0\xaf#b#0#0\n", 11, "not valid UTF-8");
    check_texts_bad("control character", "a\x01#b#0#0\n", 9, "control character 0x01");
    check_texts_bad("NUL byte", "a\0#b#0#0\n", 9, "control character 0x00");
    {
        size_t L = HML_MAX_LINE + 10;
        char *big = malloc(L);
        memset(big, 'a', L);
        big[L - 1] = '\n';
        check_texts_bad("line too long", big, L, "at most 8192");
        free(big);
        size_t per = 8, N = (HML_MAX_CAPTIONS + 1) * per;
        char *many = malloc(N);
        for (size_t i = 0; i < HML_MAX_CAPTIONS + 1; i++) memcpy(many + i * per, "a#b#0#0\n", per);
        check_texts_bad("too many captions", many, N, "more than 1000 captions");
        free(many);
    }

    char **ids;
    const char *sp = "000001\r\n  M000002 \n\n012345\n";
    TEST_COND("split list", hml_split_parse("s", (const uint8_t *)sp, strlen(sp), &ids, &n) == MOSA_OK && n == 3 &&
                                !strcmp(ids[1], "M000002") && !strcmp(ids[2], "012345"));
    hml_ids_free(ids, n);
    check_split_bad("path traversal", "000001\n../../etc/passwd\n", "s.txt:2: '../../etc/passwd' is not a motion ID");
    check_split_bad("slash", "a/b\n", "not a motion ID");
    check_split_bad("space inside", "000 001\n", "not a motion ID");
    check_split_bad("duplicate", "1\n2\n1\n", "ID '1' is listed more than once");
    check_split_bad("too long", "0123456789012345678901234567890123456789012345678901234567890123456789\n", "...' is not");
    check_split_bad("dot", ".\n", "not a motion ID");
    TEST_COND("valid IDs", hml_id_valid("000000") && hml_id_valid("M000000") && hml_id_valid("a_b-c") && !hml_id_valid("") &&
                               !hml_id_valid("a.b") && !hml_id_valid("..") && !hml_id_valid("\xc3\xa9"));
}

static int rm_tree(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

int main(void) {
    snprintf(g_root, sizeof g_root, "/tmp/mosa_test_hml_%ld/HumanML3D", (long)getpid());
    char parent[256];
    snprintf(parent, sizeof parent, "/tmp/mosa_test_hml_%ld", (long)getpid());
    mkdir(parent, 0755);
    test_tagger();
    test_round_trip();
    test_corrupt_dir();
    test_hostile_text();
    rm_tree(parent);
    return test_report();
}
