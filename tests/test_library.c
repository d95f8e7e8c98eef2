/* test_library.c: kinematics (FK keeps bones, analytic IK reaches and bends towards the pole,
 * anatomical angle signs) and the procedural motion library: every action x 3 seeds x 2
 * parameter settings is finite, has T = max(1, round(seconds * 20)) frames, keeps bone lengths,
 * does not skate (skate_glide excepted: it slides on purpose), flies ballistically, stays above
 * the ground, starts at the origin facing +Z, and is deterministic per seed; sequences have no
 * jumps at the transitions; scenes keep people apart. Prints a metrics table per action. */
#include "../src/motion/kinematics.h"
#include "../src/motion/library.h"
#include "test.h"

#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Kinematics                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static float bone_err(const v3 *pos, const kin_body *b) {
    float e = 0;
    for (int j = 1; j < SMPL22_J; j++) {
        float d = fabsf(v3_norm(v3_sub(pos[j], pos[smpl22_parents[j]])) - b->length[j]);
        if (d > e) e = d;
    }
    return e;
}

static void test_kinematics(void) {
    kin_body b;
    kin_body_init(&b, 1.80f);
    TEST_CLOSE("scale", &b.scale, (float[]){1.80f / 1.70f}, 1, 1e-6, 1);
    kin_pose p;
    kin_pose_neutral(&p, &b);
    v3 pos[SMPL22_J];
    kin_pose_fk(pos, NULL, &p, &b);
    TEST_COND("neutral: bones exact", bone_err(pos, &b) < 1e-5f);
    TEST_COND("neutral: left hip at +X", pos[J_L_HIP].x > 0 && pos[J_R_HIP].x < 0);
    TEST_COND("neutral: toes forward (+Z)", pos[J_L_FOOT].z > pos[J_L_ANKLE].z + 0.1f);
    TEST_CLOSE("neutral: toe height", &pos[J_L_FOOT].y, (float[]){KIN_TOE_HEIGHT * b.scale}, 1, 1e-3, 0.01);
    TEST_CLOSE("neutral: ankle height", &pos[J_R_ANKLE].y, (float[]){KIN_ANKLE_HEIGHT * b.scale}, 1, 1e-3, 0.01);
    TEST_COND("neutral: head above neck", pos[J_HEAD].y > pos[J_NECK].y + 0.08f);
    TEST_COND("neutral: shoulders beside the collars",
              pos[J_L_SHOULDER].x > pos[J_L_COLLAR].x + 0.1f && pos[J_R_SHOULDER].x < pos[J_R_COLLAR].x - 0.1f);
    TEST_COND("neutral: arms hang", pos[J_L_WRIST].y < pos[J_L_ELBOW].y - 0.2f);

    /* anatomical signs */
    struct { int joint, child; float flex, abd; v3 dir; const char *what; } cases[] = {
        {J_L_HIP, J_L_KNEE, 0.8f, 0, v3_make(0, 0, 1), "hip flexion moves the knee forward"},
        {J_R_HIP, J_R_KNEE, 0, 0.6f, v3_make(-1, 0, 0), "right hip abduction moves the knee to -X"},
        {J_L_KNEE, J_L_ANKLE, 0.8f, 0, v3_make(0, 0, -1), "knee flexion moves the ankle back"},
        {J_L_SHOULDER, J_L_ELBOW, 0, 1.2f, v3_make(1, 0, 0), "left shoulder abduction moves the elbow to +X"},
        {J_R_SHOULDER, J_R_ELBOW, 1.2f, 0, v3_make(0, 0, 1), "shoulder flexion moves the elbow forward"},
        {J_L_ELBOW, J_L_WRIST, 1.0f, 0, v3_make(0, 0, 1), "elbow flexion moves the wrist forward"},
        {J_SPINE1, J_NECK, 0.5f, 0, v3_make(0, 0, 1), "spine flexion moves the neck forward"},
        {J_SPINE2, J_NECK, 0, 0.5f, v3_make(1, 0, 0), "spine lateral bend (+) goes to the left"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        kin_pose q;
        for (int j = 0; j < SMPL22_J; j++) q.rot[j] = kin_neutral_rot(j);
        q.root = v3_make(0, 1, 0);
        q.rot[0] = quat_identity();
        v3 a[SMPL22_J], z[SMPL22_J];
        kin_pose_fk(a, NULL, &q, &b);
        q.rot[cases[c].joint] = kin_joint_rot(cases[c].joint, cases[c].flex, cases[c].abd, 0);
        kin_pose_fk(z, NULL, &q, &b);
        v3 d = v3_sub(z[cases[c].child], a[cases[c].child]);
        TEST_COND(cases[c].what, v3_dot(d, cases[c].dir) > 0.05f);
        TEST_COND("anatomical rotation keeps bones", bone_err(z, &b) < 1e-5f);
    }

    /* two-bone IK: random reachable targets for every limb */
    mosa_rng r;
    rng_seed(&r, 11);
    float worst = 0, worst_bone = 0;
    int pole_ok = 0, trials = 0;
    for (int it = 0; it < 400; it++) {
        float u[8];
        rng_uniform(&r, u, 8);
        int limb = it % 4;
        kin_pose q;
        kin_pose_neutral(&q, &b);
        q.rot[0] = kin_root_rot(u[0] * 6.28f, (u[1] - 0.5f) * 1.0f, (u[2] - 0.5f) * 0.6f);
        kin_pose_fk(pos, NULL, &q, &b);
        int ja = kin_limb_joints[limb][0], jm = kin_limb_joints[limb][1];
        float reach = b.length[jm] + b.length[kin_limb_joints[limb][2]];
        v3 dir = v3_normalize(v3_make(u[3] - 0.5f, u[4] - 0.5f, u[5] - 0.5f));
        v3 target = v3_add(pos[ja], v3_scale(dir, (0.15f + 0.8f * u[6]) * reach));
        v3 pole = v3_normalize(v3_make(u[7] - 0.5f, 0.3f, 1.0f - u[6]));
        float res = kin_limb_ik(&q, &b, limb, target, pole);
        kin_pose_fk(pos, NULL, &q, &b);
        float miss = v3_norm(v3_sub(pos[kin_limb_joints[limb][2]], target));
        if (miss > worst) worst = miss;
        if (res > worst) worst = res;
        float be = bone_err(pos, &b);
        if (be > worst_bone) worst_bone = be;
        /* the middle joint lies on the pole's side of the limb axis */
        v3 ax = v3_normalize(v3_sub(target, pos[ja]));
        v3 mid = v3_sub(pos[jm], pos[ja]);
        v3 off = v3_sub(mid, v3_scale(ax, v3_dot(mid, ax)));
        v3 pp = v3_sub(pole, v3_scale(ax, v3_dot(pole, ax)));
        if (v3_norm(pp) > 0.1f && v3_norm(off) > 1e-3f) {
            trials++;
            pole_ok += v3_dot(off, pp) > 0;
        }
    }
    printf("IK: 400 random targets, worst miss %.2e m, worst bone error %.2e m, bend towards pole %d/%d\n",
           (double)worst, (double)worst_bone, pole_ok, trials);
    TEST_COND("IK reaches reachable targets (< 0.1 mm)", worst < 1e-4f);
    TEST_COND("IK keeps bone lengths", worst_bone < 1e-5f);
    TEST_COND("IK bends towards the pole", pole_ok == trials && trials > 300);
    /* out of reach: stretched towards the target, reports the gap */
    {
        kin_pose q;
        kin_pose_neutral(&q, &b);
        kin_pose_fk(pos, NULL, &q, &b);
        float reach = b.length[J_L_KNEE] + b.length[J_L_ANKLE];
        v3 target = v3_add(pos[J_L_HIP], v3_make(0, -(reach + 0.2f), 0.1f));
        float res = kin_limb_ik(&q, &b, KIN_LEG_L, target, v3_make(0, 0, 1));
        float want = v3_norm(v3_sub(target, pos[J_L_HIP])) - reach;
        TEST_CLOSE("IK out of reach: gap reported", &res, &want, 1, 1e-3, 0.01);
    }
    /* knee hinge: after IK the knee flexes about its local X only */
    {
        kin_pose q;
        kin_pose_neutral(&q, &b);
        kin_pose_fk(pos, NULL, &q, &b);
        kin_limb_ik(&q, &b, KIN_LEG_R, v3_add(pos[J_R_HIP], v3_make(0.05f, -0.5f, 0.2f)), v3_make(0, 0, 1));
        quat k = q.rot[J_R_KNEE];
        TEST_COND("IK: knee is a hinge about local X", fabsf(k.y) < 1e-5f && fabsf(k.z) < 1e-5f && k.x > 0.1f);
    }
    /* highest reachable pelvis */
    {
        kin_pose q;
        kin_pose_neutral(&q, &b);
        q.root = v3_make(0.1f, 0, 0.25f);
        v3 ankle = v3_make(0.12f, 0.08f, 0.0f);
        float y = kin_root_max_height(&q, &b, 0, ankle, 1.0f);
        q.root.y = y - 1e-4f;
        float res_in = kin_limb_ik(&q, &b, KIN_LEG_L, ankle, v3_make(0, 0, 1));
        q.root.y = y + 0.01f;
        float res_out = kin_limb_ik(&q, &b, KIN_LEG_L, ankle, v3_make(0, 0, 1));
        TEST_COND("root max height: reachable just below, not 1 cm above", res_in < 1e-4f && res_out > 5e-3f);
    }
    /* foot aim */
    {
        kin_pose q;
        kin_pose_neutral(&q, &b);
        v3 toe = v3_make(0.25f, 0.25f, 0.35f);
        kin_leg_place(&q, &b, 0, toe, 0.3f, 0.5f, v3_make(0, 0, 1));
        kin_pose_fk(pos, NULL, &q, &b);
        v3 d = v3_normalize(v3_sub(pos[J_L_FOOT], pos[J_L_ANKLE]));
        v3 w = kin_foot_dir(0.3f, 0.5f);
        TEST_CLOSE("leg place: toe where asked", &pos[J_L_FOOT].x, &toe.x, 3, 1e-4, 1);
        TEST_CLOSE("leg place: foot direction", &d.x, &w.x, 3, 1e-4, 1);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Every action                                                                               */
/* ------------------------------------------------------------------------------------------ */

static motion_params setting(int a, int set, int seed) {
    motion_params p = motion_params_default();
    p.seed = (uint64_t)seed * 7919u + 1;
    if (set == 0) {
        p.seconds = 4.0f, p.speed = 0.8f, p.amplitude = 0.8f, p.height = 1.60f, p.side = MOTION_RIGHT;
    } else {
        p.seconds = 6.0f, p.speed = 1.4f, p.amplitude = 1.3f, p.height = 1.85f, p.side = MOTION_LEFT;
        p.heading = 0.7f;
        if (motion_action_flags(a) & MOTION_F_TURNS) p.turn = 1.2f;
    }
    if (p.seconds < motion_action_min_seconds(a)) p.seconds = motion_action_min_seconds(a);
    return p;
}

/* Facing of frame t: the hips' left-right axis turned a quarter towards the front. */
static v3 facing(const float *J, int t) {
    const float *f = J + (size_t)t * SMPL22_J * 3;
    v3 lr = v3_sub(v3_load(f + 3 * J_L_HIP), v3_load(f + 3 * J_R_HIP));
    return v3_normalize(v3_cross(lr, v3_make(0, 1, 0)));
}

static void test_actions(void) {
    printf("\nper action, worst over 3 seeds x 2 settings: foot and hand skating (mean horizontal speed of\n"
           "joints below 5 cm), lowest joint above the ground, pelvis |a_y + 9.81| over airborne frames\n"
           "(how many), bone length error, largest per-frame joint step; then at default parameters\n"
           "(1.70 m, 5 s, speed 1): pelvis travel, highest joint, highest pelvis, repetitions\n");
    printf("%-14s %8s %8s %8s %10s %8s %7s | %7s %6s %6s %4s\n", "action", "skate", "hands", "min_h", "flight", "bone",
           "step", "travel", "max_h", "pelvis", "reps");
    printf("%-14s %8s %8s %8s %10s %8s %7s | %7s %6s %6s %4s\n", "", "m/s", "m/s", "m", "m/s2(n)", "m", "m", "m", "m", "m",
           "");
    int n_actions = motion_action_count();
    TEST_COND("at least 30 actions", n_actions >= 30);
    for (int a = 0; a < n_actions; a++) {
        unsigned fl = motion_action_flags(a);
        const char *name = motion_action_name(a);
        TEST_COND("name round trip", motion_action_find(name) == a);
        float skate = 0, hskate = 0, minh = 1e9f, ferr = 0, berr = 0, step = 0;
        int fframes = 0, finite = 1, t_ok = 1, start_ok = 1, heading_ok = 1, feet_ok = 1;
        for (int set = 0; set < 2; set++)
            for (int seed = 0; seed < 3; seed++) {
                motion_params p = setting(a, set, seed);
                float *J = NULL;
                int T = 0;
                mosa_status st = motion_generate(&J, &T, a, &p);
                TEST_COND("generate succeeds", st == MOSA_OK);
                if (st != MOSA_OK) {
                    printf("  %s: %s\n", name, mosa_last_error());
                    continue;
                }
                /* T rule: max(1, round(seconds * 20)) */
                if (T != (int)lroundf(p.seconds * 20)) t_ok = 0;
                for (int i = 0; i < T * SMPL22_J * 3; i++)
                    if (!isfinite(J[i])) finite = 0;
                motion_metrics m;
                motion_metrics_compute_on(&m, J, T, a, &p);
                if (m.skate > skate) skate = m.skate;
                if (m.hand_skate > hskate) hskate = m.hand_skate;
                if (m.min_height < minh) minh = m.min_height;
                if (m.flight_err > ferr) ferr = m.flight_err;
                fframes += m.flight_frames;
                if (m.bone_err > berr) berr = m.bone_err;
                if (m.max_step > step) step = m.max_step;
                /* start: pelvis above the origin, facing the heading, feet on the floor */
                if (fabsf(J[0]) > 1e-4f || fabsf(J[2]) > 1e-4f) start_ok = 0;
                v3 f = facing(J, 0);
                float yaw = atan2f(f.x, f.z);
                if (fabsf(yaw - p.heading) > 0.12f) heading_ok = 0;
                if (set == 0 && !(J[3 * J_L_HIP] > 0.05f && J[3 * J_R_HIP] < -0.05f)) heading_ok = 0;
                float lowest = 1e9f;
                for (int k = 0; k < 4; k++) {
                    int j = (int[]){J_L_ANKLE, J_R_ANKLE, J_L_FOOT, J_R_FOOT}[k];
                    if (J[3 * j + 1] < lowest) lowest = J[3 * j + 1];
                }
                if (!(lowest >= -0.01f && lowest < MOTION_CONTACT_HEIGHT)) feet_ok = 0;
                mosa_free(J);
            }
        /* the readable numbers: default parameters */
        motion_params pd = motion_params_default();
        pd.seconds = fmaxf(5.0f, motion_action_min_seconds(a));
        pd.seed = 1;
        float *D;
        int TD;
        motion_metrics md;
        memset(&md, 0, sizeof md);
        if (motion_generate(&D, &TD, a, &pd) == MOSA_OK) {
            motion_metrics_compute_on(&md, D, TD, a, &pd);
            mosa_free(D);
        }
        int reps = motion_action_reps(a, &pd);
        char fbuf[32];
        snprintf(fbuf, sizeof fbuf, "%.3f(%d)", (double)ferr, fframes);
        printf("%-14s %8.4f %8.4f %+8.3f %10s %8.1e %7.3f | %7.2f %6.2f %6.2f %4d%s\n", name, (double)skate, (double)hskate,
               (double)minh, fbuf, (double)berr, (double)step, (double)md.travel, (double)md.max_height,
               (double)md.max_root_height, reps, (fl & MOTION_F_SLIDES) ? "  (slides on purpose)" : "");
        char what[160];
        snprintf(what, sizeof what, "%s: finite", name);
        TEST_COND(what, finite);
        snprintf(what, sizeof what, "%s: T = round(seconds * 20)", name);
        TEST_COND(what, t_ok);
        snprintf(what, sizeof what, "%s: bone lengths constant (< 1e-4 m)", name);
        TEST_COND(what, berr < 1e-4f);
        if (!(fl & MOTION_F_SLIDES)) {
            snprintf(what, sizeof what, "%s: no foot skating (< 0.05 m/s), got %.4f", name, (double)skate);
            TEST_COND(what, skate < 0.05f);
        } else {
            snprintf(what, sizeof what, "%s: slides (skating > 0.2 m/s) as it should", name);
            TEST_COND(what, skate > 0.2f);
        }
        snprintf(what, sizeof what, "%s: planted hands do not slide (< 0.05 m/s), got %.4f", name, (double)hskate);
        TEST_COND(what, hskate < 0.05f);
        snprintf(what, sizeof what, "%s: no ground penetration (>= -0.01 m), got %.3f", name, (double)minh);
        TEST_COND(what, minh >= -0.01f);
        snprintf(what, sizeof what, "%s: ballistic flight (|a + 9.81| < 0.5), got %.3f", name, (double)ferr);
        TEST_COND(what, ferr < 0.5f);
        if ((fl & MOTION_F_FLIGHT) && a != MOTION_JOG) {
            snprintf(what, sizeof what, "%s: airborne frames found", name);
            TEST_COND(what, fframes > 0);
        }
        if (!(fl & MOTION_F_FLIGHT)) {
            snprintf(what, sizeof what, "%s: never airborne", name);
            TEST_COND(what, fframes == 0);
        }
        snprintf(what, sizeof what, "%s: starts above the origin", name);
        TEST_COND(what, start_ok);
        snprintf(what, sizeof what, "%s: starts facing the heading (+Z at heading 0, left hip at +X)", name);
        TEST_COND(what, heading_ok);
        snprintf(what, sizeof what, "%s: starts with the feet on the floor", name);
        TEST_COND(what, feet_ok);
        snprintf(what, sizeof what, "%s: no joint faster than 20 m/s", name);
        TEST_COND(what, step < 1.0f);
        if (fl & MOTION_F_TRAVELS) {
            snprintf(what, sizeof what, "%s: travels", name);
            TEST_COND(what, md.travel > 0.3f);
        }
    }
}

/* Every action over the corners of the parameter ranges (speed 0.3..3, amplitude 0.2..2,
 * height 1.0..2.5 m, tight turns, the shortest clips): still plausible. */
static void test_extremes(void) {
    const float speeds[] = {0.3f, 0.5f, 1.0f, 2.0f, 3.0f}, amps[] = {0.2f, 0.6f, 1.0f, 1.6f, 2.0f};
    const float heights[] = {1.0f, 1.4f, 1.7f, 2.1f, 2.5f};
    int bad = 0, runs = 0;
    for (int a = 0; a < motion_action_count(); a++) {
        unsigned fl = motion_action_flags(a);
        for (int k = 0; k < 25; k++) {
            motion_params p = motion_params_default();
            p.speed = speeds[k % 5], p.amplitude = amps[(k / 5) % 5], p.height = heights[(k * 3) % 5];
            p.seconds = motion_action_min_seconds(a) + (float)(k % 4) * 1.7f;
            p.side = k % 2, p.seed = (uint64_t)k * 31 + 7, p.heading = (float)k * 0.3f;
            if (fl & MOTION_F_TURNS) p.turn = (float)((k % 5) - 2) * 2.0f;
            float *J;
            int T;
            if (motion_generate(&J, &T, a, &p) != MOSA_OK) {
                bad++;
                continue;
            }
            runs++;
            int finite = 1;
            for (int i = 0; i < T * SMPL22_J * 3; i++)
                if (!isfinite(J[i])) finite = 0;
            motion_metrics m;
            motion_metrics_compute_on(&m, J, T, a, &p);
            int ok = finite && m.bone_err < 1e-4f && m.min_height >= -0.01f && m.flight_err < 0.5f &&
                     m.hand_skate < 0.05f && ((fl & MOTION_F_SLIDES) || m.skate < 0.05f);
            if (!ok) {
                bad++;
                printf("  extreme: %s speed %.1f amplitude %.1f height %.1f seconds %.1f: skate %.3f min_h %.3f flight %.3f\n",
                       motion_action_name(a), (double)p.speed, (double)p.amplitude, (double)p.height, (double)p.seconds,
                       (double)m.skate, (double)m.min_height, (double)m.flight_err);
            }
            mosa_free(J);
        }
    }
    printf("\nextreme parameters: %d runs, %d implausible\n", runs, bad);
    TEST_COND("extreme parameters: every action stays plausible", bad == 0 && runs == 25 * motion_action_count());
}

/* Each action does what its name (and its captions) say. */
static const float *jt(const float *J, int t, int j) { return J + ((size_t)t * SMPL22_J + j) * 3; }

static float *gen(int *T, int action, float seconds, int side, float turn) {
    motion_params p = motion_params_default();
    p.seconds = seconds, p.side = side, p.turn = turn, p.seed = 5;
    float *J = NULL;
    if (motion_generate(&J, T, action, &p) != MOSA_OK) return NULL;
    return J;
}

static void test_semantics(void) {
    int T;
    float *J;
    float x, y, z;
    /* walking a full circle comes back near the start */
    J = gen(&T, MOTION_WALK, 10, MOTION_RIGHT, 6.2832f);
    motion_metrics m;
    motion_metrics_compute(&m, J, T, 1.7f);
    printf("\nsemantics: walk in a circle: path %.2f m, start-to-end %.2f m\n", (double)m.path_length, (double)m.travel);
    TEST_COND("walk in a circle closes the loop", m.path_length > 4 && m.travel < 0.3f * m.path_length);
    mosa_free(J);
    /* turn around to the left ends facing -Z, having turned counterclockwise (through +X) */
    J = gen(&T, MOTION_TURN_AROUND, 4, MOTION_LEFT, 0);
    v3 f_end = facing(J, T - 1), f_mid = facing(J, T / 3);
    TEST_COND("turn around: ends facing back", f_end.z < -0.9f);
    TEST_COND("turn around to the left: through +X", f_mid.x > 0.3f || facing(J, T / 2).x > 0.3f);
    mosa_free(J);
    J = gen(&T, MOTION_SIDE_STEP, 4, MOTION_LEFT, 0);
    TEST_COND("side step left moves to +X", jt(J, T - 1, 0)[0] > 0.3f);
    mosa_free(J);
    J = gen(&T, MOTION_SIDE_STEP, 4, MOTION_RIGHT, 0);
    TEST_COND("side step right moves to -X", jt(J, T - 1, 0)[0] < -0.3f);
    mosa_free(J);
    J = gen(&T, MOTION_WALK_BACKWARD, 4, MOTION_RIGHT, 0);
    TEST_COND("walk backward moves to -Z", jt(J, T - 1, 0)[2] < -0.5f);
    mosa_free(J);
    J = gen(&T, MOTION_JUMP_FORWARD, 4, MOTION_RIGHT, 0);
    TEST_COND("jump forward moves to +Z", jt(J, T - 1, 0)[2] > 0.5f);
    mosa_free(J);
    J = gen(&T, MOTION_CARTWHEEL, 4, MOTION_LEFT, 0);
    TEST_COND("cartwheel to the left moves to +X", jt(J, T - 1, 0)[0] > 1.0f);
    int inverted = 0;
    for (int t = 0; t < T; t++) inverted |= jt(J, t, J_HEAD)[1] < jt(J, t, J_PELVIS)[1] - 0.3f;
    TEST_COND("cartwheel goes upside down", inverted);
    mosa_free(J);
    J = gen(&T, MOTION_CLIMB_STEPS, 5, MOTION_RIGHT, 0);
    TEST_COND("climbing steps goes up", jt(J, T - 1, 0)[1] > jt(J, 0, 0)[1] + 0.3f);
    mosa_free(J);
    J = gen(&T, MOTION_SIT_DOWN, 4, MOTION_RIGHT, 0);
    TEST_COND("sitting down lowers the pelvis to seat height", jt(J, T - 1, 0)[1] < 0.62f);
    mosa_free(J);
    J = gen(&T, MOTION_STAND_UP, 4, MOTION_RIGHT, 0);
    TEST_COND("standing up raises the pelvis", jt(J, 0, 0)[1] < 0.62f && jt(J, T - 1, 0)[1] > 0.85f);
    mosa_free(J);
    /* extremes of a joint over the clip */
    struct { int action, side, joint, axis, want_max; float bound; const char *what; } ext[] = {
        {MOTION_SQUAT, MOTION_RIGHT, J_PELVIS, 1, 0, 0.65f, "squat lowers the pelvis below 0.65 m"},
        {MOTION_WAVE, MOTION_RIGHT, J_R_WRIST, 1, 1, 1.4f, "wave right: right hand up at head height"},
        {MOTION_WAVE, MOTION_LEFT, J_L_WRIST, 1, 1, 1.4f, "wave left: left hand up at head height"},
        {MOTION_PUNCH, MOTION_RIGHT, J_R_WRIST, 2, 1, 0.4f, "punch right: right fist forward"},
        {MOTION_FRONT_KICK, MOTION_RIGHT, J_R_FOOT, 1, 1, 0.6f, "front kick right: right foot up"},
        {MOTION_FRONT_KICK, MOTION_RIGHT, J_R_FOOT, 2, 1, 0.5f, "front kick: foot forward"},
        {MOTION_SIDE_KICK, MOTION_LEFT, J_L_FOOT, 0, 1, 0.45f, "side kick left: left foot out to +X"},
        {MOTION_TREE_POSE, MOTION_LEFT, J_L_FOOT, 1, 1, 0.2f, "tree pose left: left foot raised"},
        {MOTION_KNEEL, MOTION_RIGHT, J_R_KNEE, 1, 0, 0.1f, "kneel right: right knee on the floor"},
        {MOTION_TOE_TOUCH, MOTION_RIGHT, J_L_WRIST, 1, 0, 0.45f, "toe touch: hands down low"},
        {MOTION_PUSH_UP, MOTION_RIGHT, J_PELVIS, 1, 0, 0.5f, "push-up: body low"},
        {MOTION_PUSH_UP, MOTION_RIGHT, J_R_WRIST, 1, 0, 0.05f, "push-up: hands on the floor"},
        {MOTION_JUMP, MOTION_RIGHT, J_L_FOOT, 1, 1, 0.15f, "jump: feet leave the floor"},
        {MOTION_HOP, MOTION_RIGHT, J_L_FOOT, 1, 1, 0.25f, "hop on the right: left foot held up"},
        {MOTION_BOW, MOTION_RIGHT, J_HEAD, 2, 1, 0.25f, "bow: head forward"},
        {MOTION_SIDE_STRETCH, MOTION_LEFT, J_NECK, 0, 1, 0.15f, "side stretch left: trunk to +X"},
        {MOTION_WARRIOR, MOTION_RIGHT, J_R_FOOT, 0, 0, -0.5f, "warrior right: right foot out to -X"},
    };
    for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++) {
        J = gen(&T, ext[k].action, motion_action_min_seconds(ext[k].action) + 2, ext[k].side, 0);
        float best = ext[k].want_max ? -1e9f : 1e9f;
        for (int t = 0; t < T; t++) {
            float v = jt(J, t, ext[k].joint)[ext[k].axis];
            best = ext[k].want_max ? fmaxf(best, v) : fminf(best, v);
        }
        TEST_COND(ext[k].what, ext[k].want_max ? best > ext[k].bound : best < ext[k].bound);
        mosa_free(J);
    }
    /* raised arms: both hands well above the head */
    J = gen(&T, MOTION_RAISE_ARMS, 4, MOTION_RIGHT, 0);
    float above = -1;
    for (int t = 0; t < T; t++)
        above = fmaxf(above, fminf(jt(J, t, J_L_WRIST)[1], jt(J, t, J_R_WRIST)[1]) - jt(J, t, J_HEAD)[1]);
    TEST_COND("raise arms: both hands above the head", above > 0.12f);
    mosa_free(J);
    /* the leg stretch hand holds the foot */
    J = gen(&T, MOTION_LEG_STRETCH, 5, MOTION_RIGHT, 0);
    float closest = 1e9f;
    for (int t = 0; t < T; t++) {
        x = jt(J, t, J_R_WRIST)[0] - jt(J, t, J_R_ANKLE)[0], y = jt(J, t, J_R_WRIST)[1] - jt(J, t, J_R_ANKLE)[1];
        z = jt(J, t, J_R_WRIST)[2] - jt(J, t, J_R_ANKLE)[2];
        closest = fminf(closest, sqrtf(x * x + y * y + z * z));
    }
    TEST_COND("leg stretch: the right hand holds the right ankle", closest < 0.12f);
    mosa_free(J);
    /* spinning faces backwards at some point and ends facing forward */
    J = gen(&T, MOTION_SPIN, 4, MOTION_LEFT, 0);
    int back = 0;
    for (int t = 0; t < T; t++) back |= facing(J, t).z < -0.9f;
    TEST_COND("spin: turns all the way round", back && facing(J, T - 1).z > 0.95f);
    mosa_free(J);
    /* a one-part sequence is the action itself */
    {
        motion_params p = motion_params_default();
        p.heading = 0.4f;
        int a = MOTION_DANCE, Ta, Tb;
        float *A, *B;
        motion_generate(&A, &Ta, a, &p);
        motion_sequence(&B, &Tb, &a, &p, 1);
        TEST_COND("one-part sequence == generate", Ta == Tb && memcmp(A, B, (size_t)Ta * SMPL22_J * 3 * sizeof(float)) == 0);
        mosa_free(A), mosa_free(B);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Determinism, errors                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void test_determinism(void) {
    int same = 1, differ = 0;
    for (int a = 0; a < motion_action_count(); a++) {
        motion_params p = setting(a, 1, 2);
        float *A, *B, *C;
        int Ta, Tb, Tc;
        motion_generate(&A, &Ta, a, &p);
        motion_generate(&B, &Tb, a, &p);
        p.seed += 1;
        motion_generate(&C, &Tc, a, &p);
        if (Ta != Tb || memcmp(A, B, (size_t)Ta * SMPL22_J * 3 * sizeof(float)) != 0) same = 0;
        if (Ta == Tc && memcmp(A, C, (size_t)Ta * SMPL22_J * 3 * sizeof(float)) != 0) differ++;
        mosa_free(A), mosa_free(B), mosa_free(C);
    }
    TEST_COND("same seed: identical bytes (every action)", same);
    TEST_COND("different seed: different motion (every action)", differ == motion_action_count());
}

static void test_errors(void) {
    float *J = (float *)1;
    int T = 5;
    motion_params p = motion_params_default();
    TEST_COND("unknown action", motion_generate(&J, &T, 999, &p) == MOSA_ERR_ARG && J == NULL && T == 0);
    TEST_COND("message says what to do", strstr(mosa_last_error(), "valid") != NULL);
    p.seconds = 0.2f;
    TEST_COND("too short", motion_generate(&J, &T, MOTION_WALK, &p) == MOSA_ERR_ARG);
    p = motion_params_default();
    p.speed = NAN;
    TEST_COND("NaN speed", motion_generate(&J, &T, MOTION_WALK, &p) == MOSA_ERR_ARG);
    p = motion_params_default();
    p.side = 3;
    TEST_COND("bad side", motion_generate(&J, &T, MOTION_WAVE, &p) == MOSA_ERR_ARG);
    TEST_COND("NULL params", motion_generate(&J, &T, MOTION_WAVE, NULL) == MOSA_ERR_ARG);
    TEST_COND("unknown name", motion_action_find("moonwalk") == -1 && motion_action_name(-1) == NULL);
    p = motion_params_default();
    p.seconds = 1.0f;
    TEST_COND("shorter than the action needs", motion_generate(&J, &T, MOTION_PUSH_UP, &p) == MOSA_ERR_ARG);
    TEST_COND("message names the action", strstr(mosa_last_error(), "push_up") != NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Sequences and scenes                                                                       */
/* ------------------------------------------------------------------------------------------ */

static float frame_step(const float *J, int t) {
    float m = 0;
    for (int j = 0; j < SMPL22_J; j++) {
        const float *a = J + ((size_t)t * SMPL22_J + j) * 3, *b = a + SMPL22_J * 3;
        float d = sqrtf((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
        if (d > m) m = d;
    }
    return m;
}

static void test_sequences(void) {
    struct { int n; int acts[4]; float heading[4]; } seqs[] = {
        {2, {MOTION_WALK, MOTION_JUMP}, {0, 0}},
        {3, {MOTION_WAVE, MOTION_CLAP, MOTION_PUNCH}, {0, 0, 0}},
        {3, {MOTION_RUN, MOTION_WALK, MOTION_SQUAT}, {0, 1.2f, 0}},
        {2, {MOTION_SIT_DOWN, MOTION_WALK}, {0, 0}},
        {3, {MOTION_JUMP_FORWARD, MOTION_CARTWHEEL, MOTION_BOW}, {0, 0, 0}},
        {2, {MOTION_PUSH_UP, MOTION_JUMPING_JACKS}, {0, 0}},
        {3, {MOTION_SIDE_STEP, MOTION_FRONT_KICK, MOTION_SPIN}, {0, 0, 0}},
    };
    printf("\nsequences: T, worst transition step vs worst step inside the parts (m/frame), skate\n");
    for (size_t q = 0; q < sizeof seqs / sizeof seqs[0]; q++) {
        motion_params ps[4];
        int sumT = 0;
        for (int k = 0; k < seqs[q].n; k++) {
            ps[k] = motion_params_default();
            ps[k].seed = 100 + (uint64_t)(q * 10 + (size_t)k);
            ps[k].seconds = motion_action_min_seconds(seqs[q].acts[k]) + 1.5f;
            ps[k].heading = seqs[q].heading[k];
            ps[k].side = k % 2 ? MOTION_LEFT : MOTION_RIGHT;
            sumT += (int)lroundf(ps[k].seconds * 20);
        }
        float *J;
        int T;
        mosa_status st = motion_sequence(&J, &T, seqs[q].acts, ps, seqs[q].n);
        TEST_COND("sequence generates", st == MOSA_OK);
        if (st != MOSA_OK) {
            printf("  %s\n", mosa_last_error());
            continue;
        }
        /* frames of each part: a part's own frames, with 10 transition frames before it */
        int inserted = seqs[q].acts[0] == MOTION_SIT_DOWN ? 50 + 10 : 0; /* stand_up, 2.5 s */
        if (seqs[q].heading[1] != 0) inserted += (int)lroundf((1.0f + fabsf(seqs[q].heading[1]) / (float)M_PI * 1.5f) * 20) + 10;
        TEST_COND("sequence length: parts + 0.5 s transitions (+ inserted parts)", T == sumT + 10 * (seqs[q].n - 1) + inserted);
        /* the transition windows, located from the parts' lengths */
        float inside = 0, trans = 0;
        int t = 0;
        int is_trans[4096] = {0};
        for (int k = 0; k < seqs[q].n; k++) {
            if (k > 0) {
                if (k == 1 && seqs[q].acts[0] == MOTION_SIT_DOWN) t += 10 + 50;
                if (k == 1 && seqs[q].heading[1] != 0) t += 10 + (int)lroundf((1.0f + fabsf(seqs[q].heading[1]) / (float)M_PI * 1.5f) * 20);
                for (int i = t - 1; i <= t + 10 && i < T; i++) is_trans[i] = 1;
                t += 10;
            }
            t += (int)lroundf(ps[k].seconds * 20);
        }
        for (int i = 0; i + 1 < T && i < 4096; i++) {
            float d = frame_step(J, i);
            if (is_trans[i]) {
                if (d > trans) trans = d;
            } else if (d > inside) inside = d;
        }
        motion_metrics m;
        motion_metrics_compute(&m, J, T, 1.70f);
        char names[96] = "";
        for (int k = 0; k < seqs[q].n; k++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? " > " : "", motion_action_name(seqs[q].acts[k]));
        printf("  %-40s T=%4d  transition %.3f  inside %.3f  skate %.4f  min_h %+.3f\n", names, T, (double)trans,
               (double)inside, (double)m.skate, (double)m.min_height);
        char what[128];
        snprintf(what, sizeof what, "sequence %zu: transitions no faster than the motion itself", q);
        TEST_COND(what, trans <= inside);
        snprintf(what, sizeof what, "sequence %zu: no skating, bones, ground", q);
        TEST_COND(what, m.skate < 0.05f && m.bone_err < 1e-4f && m.min_height >= -0.01f);
        /* the next part continues from where the previous ended: no jump in the pelvis */
        float worst_root = 0;
        for (int i = 0; i + 1 < T; i++) {
            float d = hypotf(J[(size_t)(i + 1) * 66] - J[(size_t)i * 66], J[(size_t)(i + 1) * 66 + 2] - J[(size_t)i * 66 + 2]);
            if (d > worst_root) worst_root = d;
        }
        TEST_COND("sequence: pelvis moves continuously", worst_root < 0.35f);
        mosa_free(J);
    }
}

static void test_scene(void) {
    int acts[4] = {MOTION_WALK, MOTION_JOG, MOTION_WAVE, MOTION_SIDE_STEP};
    motion_params ps[4];
    for (int k = 0; k < 4; k++) {
        ps[k] = motion_params_default();
        ps[k].seed = 40 + (uint64_t)k;
        ps[k].heading = (float)k * 1.3f;
        ps[k].seconds = 5.0f;
    }
    ps[0].turn = 6.28f; /* in a circle */
    float *J, *J2, org[12];
    int T, T2;
    TEST_COND("scene generates", motion_scene(&J, &T, org, 4, acts, ps, 0.8f, 7) == MOSA_OK);
    TEST_COND("scene length", T == 100);
    float dmin = motion_scene_min_distance(J, 4, T);
    printf("\nscene of 4: closest pelvis approach %.3f m\n", (double)dmin);
    TEST_COND("scene: pelvises stay more than 0.8 m apart", dmin > 0.8f);
    TEST_COND("scene: deterministic", motion_scene(&J2, &T2, NULL, 4, acts, ps, 0.8f, 7) == MOSA_OK &&
                                          memcmp(J, J2, (size_t)4 * T * SMPL22_J * 3 * sizeof(float)) == 0);
    /* each person is their motion, moved by their origin */
    float *one;
    int T1;
    motion_params q = ps[2];
    motion_generate(&one, &T1, acts[2], &q);
    float d = fabsf(J[((size_t)2 * T + 10) * 66 + 3 * J_HEAD] - org[6] - one[(size_t)10 * 66 + 3 * J_HEAD]);
    TEST_COND("scene: person = own motion + origin", d < 1e-5f);
    mosa_free(one);
    mosa_free(J), mosa_free(J2);
}

int main(void) {
    test_kinematics();
    test_actions();
    test_extremes();
    test_semantics();
    test_determinism();
    test_errors();
    test_sequences();
    test_scene();
    return test_report();
}
