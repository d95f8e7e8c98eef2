/* fuzz_bvh.c: libFuzzer target for the BVH reader and SMPL-22 importer (src/io/bvh.c).
 *
 * Parses each input as a BVH file. When it is accepted, checks the parser's promises (parents
 * come before their children, channel columns tile each row, counts within the limits, every
 * number finite), runs forward kinematics on the rest pose and every frame, and imports the
 * motion to SMPL-22 with HumanML3D normalisation (which may refuse: unmappable names, no up axis,
 * no unit); an imported motion of at most 64 frames is exported and re-imported, which must
 * succeed with the same frame count. A broken promise aborts. Build and run: docs/reliability.md. */
#include "io/bvh.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bvh_file f;
    if (bvh_parse(&f, "fuzz", data, size) != MOSA_OK) {
        CHECK(mosa_last_error()[0] != 0);
        CHECK(f.nodes == NULL && f.motion == NULL && f.n_nodes == 0);
        return 0;
    }
    CHECK(f.n_nodes >= 1 && f.n_nodes <= BVH_MAX_NODES && f.n_joints <= BVH_MAX_JOINTS);
    CHECK(f.n_frames >= 0 && f.n_frames <= BVH_MAX_FRAMES && f.frame_time > 0);
    int col = 0;
    for (int j = 0; j < f.n_nodes; j++) {
        const bvh_node *nd = &f.nodes[j];
        CHECK(nd->parent < j && (nd->parent >= 0 || !nd->end_site));
        CHECK(nd->n_channels >= 0 && nd->n_channels <= 6 && (!nd->end_site || nd->n_channels == 0));
        CHECK(nd->n_channels == 0 || nd->first_channel == col);
        col += nd->n_channels;
        CHECK(strlen(nd->name) < BVH_MAX_NAME);
    }
    CHECK(col == f.n_channels);
    for (size_t i = 0; i < (size_t)f.n_frames * (size_t)f.n_channels; i++) CHECK(isfinite(f.motion[i]));
    double *pos = malloc(sizeof(double) * 3 * (size_t)f.n_nodes);
    CHECK(pos != NULL);
    for (int t = -1; t < f.n_frames; t++) bvh_fk(&f, t, t & 1 ? BVH_POS_ADD_OFFSET : 0, pos);
    free(pos);
    float *J;
    int T;
    bvh_import_info info;
    if (bvh_import_smpl22(&f, NULL, &J, &T, &info) == MOSA_OK) {
        CHECK(T >= 1 && J != NULL);
        int finite = 1;
        for (size_t i = 0; i < (size_t)T * 66; i++) finite &= isfinite(J[i]) != 0;
        if (finite && T <= 64) {
            char *text;
            size_t len;
            mosa_status s = bvh_format_smpl22(&text, &len, J, T, NULL);
            if (s == MOSA_OK) {
                bvh_file g;
                CHECK(bvh_parse(&g, "export", (const uint8_t *)text, len) == MOSA_OK);
                CHECK(g.n_frames == T && g.n_joints == 22 && g.n_channels == 69);
                bvh_free(&g);
                mosa_free(text);
            } else {
                CHECK(s == MOSA_ERR_ARG); /* positions past 1e5 m */
            }
        }
        mosa_free(J);
    } else {
        CHECK(mosa_last_error()[0] != 0 && J == NULL);
    }
    bvh_free(&f);
    return 0;
}
