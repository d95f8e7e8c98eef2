/* test_camera.c: the rendering camera (projection geometry, image directions, elevation and
 * field of view), trajectories (keyframe interpolation, orbit rate, zoom, pan), the CLI parsers
 * and their error messages, and projection with confidence (occlusion by the body from the side
 * and from behind, occlusion between two people, the image border, points behind the camera). */
#include "render/project.h"
#include "base/skeleton.h"
#include "test.h"

#include <string.h>

/* A standing adult facing +Z (SMPL left = +X), arms hanging at the sides, metres. */
static const float k_body[SMPL22_J][3] = {
    {0.00f, 0.95f, 0.00f},   /* pelvis */
    {0.09f, 0.87f, 0.00f},   /* left hip */
    {-0.09f, 0.87f, 0.00f},  /* right hip */
    {0.00f, 1.06f, 0.00f},   /* spine1 */
    {0.10f, 0.48f, 0.01f},   /* left knee */
    {-0.10f, 0.48f, 0.01f},  /* right knee */
    {0.00f, 1.19f, 0.00f},   /* spine2 */
    {0.10f, 0.08f, -0.02f},  /* left ankle */
    {-0.10f, 0.08f, -0.02f}, /* right ankle */
    {0.00f, 1.25f, 0.00f},   /* spine3 */
    {0.10f, 0.02f, 0.12f},   /* left foot */
    {-0.10f, 0.02f, 0.12f},  /* right foot */
    {0.00f, 1.44f, 0.00f},   /* neck */
    {0.08f, 1.36f, 0.00f},   /* left collar */
    {-0.08f, 1.36f, 0.00f},  /* right collar */
    {0.00f, 1.58f, 0.02f},   /* head */
    {0.18f, 1.40f, 0.00f},   /* left shoulder */
    {-0.18f, 1.40f, 0.00f},  /* right shoulder */
    {0.21f, 1.13f, -0.02f},  /* left elbow */
    {-0.21f, 1.13f, -0.02f}, /* right elbow */
    {0.23f, 0.88f, 0.02f},   /* left wrist */
    {-0.23f, 0.88f, 0.02f},  /* right wrist */
};

static camera cam_of(float elev, float azim, float dist, int W, int H) {
    camera_pose p = camera_pose_default();
    p.elev = elev, p.azim = azim, p.dist = dist;
    camera c;
    if (camera_init(&c, &p, W, H) != MOSA_OK) memset(&c, 0, sizeof c);
    return c;
}

/* The world point that projects to pixel (u, v) at depth z (inverse projection). */
static v3 unproject(const camera *c, float u, float v, float z) {
    v3 p = v3_add(c->eye, v3_scale(c->fwd, z));
    p = v3_add(p, v3_scale(c->right, (u - c->cx) * z / c->focal));
    return v3_add(p, v3_scale(c->up, -(v - c->cy) * z / c->focal));
}

static void test_projection(void) {
    /* the look-at target lands on the image centre at depth = distance, for any pose */
    const float poses[][3] = {{0, 0, 4}, {30, 123, 3}, {-20, -75, 7.5f}, {89, 10, 2}, {90, 0, 5}, {-90, 45, 5}};
    for (size_t i = 0; i < sizeof poses / sizeof poses[0]; i++) {
        camera_pose p = camera_pose_default();
        p.elev = poses[i][0], p.azim = poses[i][1], p.dist = poses[i][2];
        p.target = v3_make(0.3f, 0.9f, -1.2f);
        camera c;
        TEST_COND("camera_init", camera_init(&c, &p, 640, 480) == MOSA_OK);
        float t3[3] = {p.target.x, p.target.y, p.target.z}, uvz[3];
        camera_project(&c, t3, 1, uvz);
        const float want[3] = {319.5f, 239.5f, p.dist};
        TEST_CLOSE("target projects to the image centre at depth = distance", uvz, want, 3, 1e-5, 1.0);
        TEST_CLOSE("eye is dist from target", (float[]){v3_norm(v3_sub(c.eye, p.target))}, (float[]){p.dist}, 1,
                   1e-5, 1.0);
        TEST_CLOSE("camera axes orthonormal",
                   ((float[]){v3_dot(c.right, c.up), v3_dot(c.right, c.fwd), v3_dot(c.up, c.fwd), v3_norm(c.right),
                              v3_norm(c.up), v3_norm(c.fwd)}),
                   ((float[]){0, 0, 0, 1, 1, 1}), 6, 1e-5, 1.0);
    }
    /* the eye sits at the asked elevation and azimuth */
    {
        camera c = cam_of(30, 90, 4, 512, 512);
        const float want[3] = {4 * cosf(30 * (float)M_PI / 180), 1.0f + 4 * sinf(30 * (float)M_PI / 180), 0.0f};
        TEST_CLOSE("eye at elev 30, azim 90 is on +X, above", &c.eye.x, want, 3, 1e-5, 1.0);
        camera c0 = cam_of(0, 0, 4, 512, 512);
        const float want0[3] = {0, 1, 4};
        TEST_CLOSE("azimuth 0 puts the camera on +Z", &c0.eye.x, want0, 3, 1e-6, 1.0);
    }
    /* field of view: a point 1 m above the target along camera-up lands focal/dist pixels higher */
    {
        camera c = cam_of(15, 40, 5, 400, 300);
        v3 q = v3_add(c.pose.target, c.up);
        float q3[3] = {q.x, q.y, q.z}, uvz[3];
        camera_project(&c, q3, 1, uvz);
        float f = 150.0f / tanf(22.5f * (float)M_PI / 180.0f);
        const float want[2] = {199.5f, 149.5f - f / 5.0f};
        TEST_CLOSE("vertical fov sets the focal length", uvz, want, 2, 1e-4, 1.0);
    }
    /* directions: a figure facing the default camera has its left side on the image right and
     * its head above its pelvis */
    {
        camera c = cam_of(0, 0, 4, 512, 512);
        float uvz[SMPL22_J * 3];
        camera_project(&c, &k_body[0][0], SMPL22_J, uvz);
        TEST_COND("left shoulder on the image right", uvz[3 * J_L_SHOULDER] > c.cx);
        TEST_COND("right shoulder on the image left", uvz[3 * J_R_SHOULDER] < c.cx);
        TEST_COND("left hand right of right hand", uvz[3 * J_L_WRIST] > uvz[3 * J_R_WRIST]);
        TEST_COND("head above pelvis (smaller row)", uvz[3 * J_HEAD + 1] < uvz[3 * J_PELVIS + 1]);
        TEST_COND("feet below knees", uvz[3 * J_L_ANKLE + 1] > uvz[3 * J_L_KNEE + 1]);
        /* from behind (azim 180) the sides flip */
        camera b = cam_of(0, 180, 4, 512, 512);
        camera_project(&b, &k_body[0][0], SMPL22_J, uvz);
        TEST_COND("from behind: left shoulder on the image left", uvz[3 * J_L_SHOULDER] < b.cx);
        /* from the person's left (azim 90) their front (+Z) is on the image left */
        camera s = cam_of(0, 90, 4, 512, 512);
        float fr[3] = {0, 1, 0.5f}, bk[3] = {0, 1, -0.5f}, u1[3], u2[3];
        camera_project(&s, fr, 1, u1);
        camera_project(&s, bk, 1, u2);
        TEST_COND("side view: front on the image left", u1[0] < s.cx && u2[0] > s.cx);
        /* looking down (elev 30) the feet move toward the centre relative to a level camera:
         * the floor point under the target projects lower than the target but higher than
         * it does for a camera below the target */
        camera hi = cam_of(30, 0, 4, 512, 512), lo = cam_of(-30, 0, 4, 512, 512);
        float floor3[3] = {0, 0, 0}, uh[3], ul[3];
        camera_project(&hi, floor3, 1, uh);
        camera_project(&lo, floor3, 1, ul);
        TEST_COND("floor below the target from both", uh[1] > hi.cy && ul[1] > lo.cy);
        TEST_COND("elevation looks down: the floor point is nearer the centre than seen from below",
                  uh[1] < ul[1]);
    }
    /* behind the camera: NAN pixels, non-positive depth */
    {
        camera c = cam_of(0, 0, 4, 64, 64);
        float p3[3] = {0, 1, 6}, uvz[3];
        camera_project(&c, p3, 1, uvz);
        TEST_COND("behind the camera: NAN pixel, negative depth", isnan(uvz[0]) && isnan(uvz[1]) && uvz[2] < 0);
    }
    /* bad input */
    {
        camera c;
        camera_pose p = camera_pose_default();
        p.dist = 0;
        TEST_COND("dist 0 refused", camera_init(&c, &p, 64, 64) == MOSA_ERR_ARG && strstr(mosa_last_error(), "distance"));
        p = camera_pose_default();
        p.fov = NAN;
        TEST_COND("NAN fov refused", camera_init(&c, &p, 64, 64) == MOSA_ERR_ARG && strstr(mosa_last_error(), "field of view"));
        p = camera_pose_default();
        TEST_COND("size 0 refused", camera_init(&c, &p, 0, 64) == MOSA_ERR_ARG);
    }
    /* default target: the mean root position, with the height override */
    {
        float J[3][2][3] = {{{1, 0.9f, 2}, {9, 9, 9}}, {{2, 1.0f, 3}, {9, 9, 9}}, {{3, 1.1f, 4}, {9, 9, 9}}};
        v3 t = camera_target_from_motion(&J[0][0][0], 3, 2, 0, -1.0f);
        TEST_CLOSE("target = mean root", &t.x, ((float[]){2, 1.0f, 3}), 3, 1e-6, 1.0);
        t = camera_target_from_motion(&J[0][0][0], 3, 2, 0, 1.2f);
        TEST_CLOSE("target height override", &t.x, ((float[]){2, 1.2f, 3}), 3, 1e-6, 1.0);
    }
}

static void test_parsers(void) {
    camera_pose p = camera_pose_default();
    TEST_COND("parse elev/azim/dist/fov", camera_pose_parse("elev=10,azim=30,dist=4,fov=45", &p) == MOSA_OK);
    TEST_COND("parsed values", p.elev == 10 && p.azim == 30 && p.dist == 4 && p.fov == 45);
    TEST_COND("parse long names and target",
              camera_pose_parse("elevation=-5.5,azimuth=370,distance=2.5,target=0.5:1:-2", &p) == MOSA_OK);
    TEST_COND("parsed long names", p.elev == -5.5f && p.azim == 370 && p.dist == 2.5f && p.target.x == 0.5f &&
                                       p.target.y == 1 && p.target.z == -2);
    TEST_COND("spaces allowed", camera_pose_parse(" elev = 12 , fov=50 ", &p) == MOSA_OK && p.elev == 12 && p.fov == 50);
    camera_pose keep = p;
    TEST_COND("empty string keeps the pose", camera_pose_parse("", &p) == MOSA_OK && !memcmp(&p, &keep, sizeof p));
    struct { const char *in, *must1, *must2; } bad[] = {
        {"elevv=10", "unknown key", "elevv"},
        {"elev=10,dist=-1", "dist", "-1"},
        {"fov=abc", "fov", "abc"},
        {"fov=200", "fov", "200"},
        {"elev=95", "elev", "95"},
        {"azim", "azim", "key=value"},
        {"azim=1e40", "azim", "1e40"},
        {"dist=4,", "comma", "dist=4,"},
        {"target=1:2", "target", "1:2"},
        {"target=1:2:3:4", "target", "1:2:3:4"},
        {"dist=", "dist", "metres"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        camera_pose q = keep;
        mosa_status s = camera_pose_parse(bad[i].in, &q);
        const char *e = mosa_last_error();
        TEST_COND(bad[i].in, s == MOSA_ERR_ARG && strstr(e, bad[i].must1) && strstr(e, bad[i].must2));
        TEST_COND("a failed parse leaves the pose alone", !memcmp(&q, &keep, sizeof q));
        if (s == MOSA_OK || !strstr(e, bad[i].must1) || !strstr(e, bad[i].must2)) printf("  message: %s\n", e);
    }

    camera_pose base = camera_pose_default();
    camera_traj tr;
    TEST_COND("orbit:20", camera_traj_parse(&tr, "orbit:20", &base, 3.0f, 64, 64) == MOSA_OK);
    TEST_CLOSE("orbit:20 reaches 60 deg at 3 s", &tr.keys[1].pose.azim, ((float[]){60}), 1, 1e-6, 1.0);
    TEST_COND("orbit default", camera_traj_parse(&tr, "orbit", &base, 2.0f, 64, 64) == MOSA_OK &&
                                   tr.keys[1].pose.azim == 60.0f);
    TEST_COND("zoom-out default 1.5", camera_traj_parse(&tr, "zoom-out", &base, 2.0f, 64, 64) == MOSA_OK &&
                                          fabsf(tr.keys[1].pose.dist - 6.0f) < 1e-5f);
    TEST_COND("zoom-in:0.5", camera_traj_parse(&tr, "zoom-in:0.5", &base, 2.0f, 64, 64) == MOSA_OK &&
                                 fabsf(tr.keys[1].pose.dist - 2.0f) < 1e-5f);
    TEST_COND("fixed is one key", camera_traj_parse(&tr, "fixed", &base, 2.0f, 64, 64) == MOSA_OK && tr.n_keys == 1);
    struct { const char *in, *must; } tbad[] = {
        {"spin", "spin"}, {"orbit:x", "x"}, {"zoom-in:2", "zoom-in:2"}, {"zoom-out:0.5", "0.5"},
        {"pan-left:-1", "-1"}, {"fixed:3", "fixed"}, {"", "unknown"},
    };
    for (size_t i = 0; i < sizeof tbad / sizeof tbad[0]; i++) {
        mosa_status s = camera_traj_parse(&tr, tbad[i].in, &base, 2.0f, 64, 64);
        TEST_COND(tbad[i].in, s == MOSA_ERR_ARG && strstr(mosa_last_error(), tbad[i].must));
    }
    TEST_COND("duration 0 refused", camera_traj_parse(&tr, "orbit", &base, 0.0f, 64, 64) == MOSA_ERR_ARG);
}

static void test_trajectories(void) {
    camera_pose a = camera_pose_default(), b = a;
    b.azim = 90, b.dist = 2, b.elev = 20, b.target = v3_make(1, 1, 0);
    camera_traj tr;
    TEST_COND("init", camera_traj_init(&tr, 320, 240, CAMERA_INTERP_LINEAR) == MOSA_OK);
    TEST_COND("key 0", camera_traj_add_key(&tr, 0.0f, &a) == MOSA_OK);
    TEST_COND("key 2 s", camera_traj_add_key(&tr, 2.0f, &b) == MOSA_OK);
    TEST_COND("keys must move forward in time", camera_traj_add_key(&tr, 2.0f, &b) == MOSA_ERR_ARG);
    camera_pose bad = a;
    bad.elev = 100;
    TEST_COND("keys are checked", camera_traj_add_key(&tr, 3.0f, &bad) == MOSA_ERR_ARG &&
                                      strstr(mosa_last_error(), "elevation"));
    camera_pose m = camera_traj_pose_at(&tr, 1.0f);
    TEST_CLOSE("linear midpoint", ((float[]){m.elev, m.azim, m.dist, m.fov, m.target.x}),
               ((float[]){10, 45, 3, 45, 0.5f}), 5, 1e-6, 1.0);
    m = camera_traj_pose_at(&tr, -1.0f);
    TEST_COND("before the first key: the first key", m.azim == 0 && m.dist == 4);
    m = camera_traj_pose_at(&tr, 9.0f);
    TEST_COND("after the last key: the last key", m.azim == 90 && m.dist == 2);
    camera c;
    camera_at(&tr, 1.0f, &c);
    TEST_COND("camera_at carries size and pose", c.W == 320 && c.H == 240 && fabsf(c.pose.azim - 45) < 1e-5f);

    /* smooth: two keys = smoothstep; more keys pass through every key; linear data stays linear
     * between interior keys (Catmull-Rom reproduces lines) */
    tr.interp = CAMERA_INTERP_SMOOTH;
    m = camera_traj_pose_at(&tr, 0.5f); /* s = 0.25: smoothstep = 0.15625 */
    TEST_CLOSE("smooth two keys = smoothstep", &m.azim, ((float[]){90 * 0.15625f}), 1, 1e-5, 1.0);
    camera_traj t4;
    camera_traj_init(&t4, 64, 64, CAMERA_INTERP_SMOOTH);
    for (int k = 0; k < 4; k++) {
        camera_pose p = camera_pose_default();
        p.azim = 10.0f * k;
        p.dist = 3.0f + (k == 2 ? 1.0f : 0.0f);
        camera_traj_add_key(&t4, (float)k, &p);
    }
    float got[4], want[4] = {0, 10, 20, 30};
    for (int k = 0; k < 4; k++) got[k] = camera_traj_pose_at(&t4, (float)k).azim;
    TEST_CLOSE("smooth passes through the keys", got, want, 4, 1e-6, 1.0);
    TEST_CLOSE("smooth keeps linear data linear", ((float[]){camera_traj_pose_at(&t4, 1.5f).azim}), ((float[]){15}),
               1, 1e-5, 1.0);
    /* continuity across a key: values just before and after key 2 agree */
    float d0 = camera_traj_pose_at(&t4, 1.999f).dist, d1 = camera_traj_pose_at(&t4, 2.001f).dist;
    TEST_COND("smooth is continuous at a key", fabsf(d0 - d1) < 1e-2f && fabsf(d0 - 4.0f) < 1e-2f);

    /* orbit: azimuth grows at the given rate, distance and elevation stay */
    camera_pose base = camera_pose_default();
    base.elev = 10, base.azim = 30;
    camera_traj orb;
    TEST_COND("orbit", camera_traj_builtin(&orb, CAMERA_MOVE_ORBIT, 45.0f, &base, 4.0f, 128, 128) == MOSA_OK);
    float az[5], wa[5];
    for (int f = 0; f < 5; f++) {
        camera cf;
        camera_at(&orb, (float)f * 0.5f, &cf);
        az[f] = cf.pose.azim, wa[f] = 30.0f + 45.0f * 0.5f * (float)f;
        if (f == 3) {
            TEST_CLOSE("orbit keeps distance and elevation", ((float[]){cf.pose.dist, cf.pose.elev}),
                       ((float[]){4, 10}), 2, 1e-6, 1.0);
        }
    }
    TEST_CLOSE("orbit sweeps azimuth at 45 deg/s", az, wa, 5, 1e-5, 1.0);

    /* zoom in: smooth distance ramp, half way at half time */
    camera_traj z;
    camera_traj_builtin(&z, CAMERA_MOVE_ZOOM_IN, 0.5f, &base, 2.0f, 64, 64);
    TEST_CLOSE("zoom-in half way", ((float[]){camera_traj_pose_at(&z, 1.0f).dist, camera_traj_pose_at(&z, 2.0f).dist}),
               ((float[]){3.0f, 2.0f}), 2, 1e-5, 1.0);

    /* pan left: the target moves to the camera's left, so a fixed world point drifts right */
    camera_pose front = camera_pose_default();
    camera_traj pan;
    camera_traj_builtin(&pan, CAMERA_MOVE_PAN_LEFT, 0.8f, &front, 2.0f, 256, 256);
    camera c0, c1;
    camera_at(&pan, 0.0f, &c0);
    camera_at(&pan, 2.0f, &c1);
    TEST_CLOSE("pan-left moves the target along -X at azim 0", &c1.pose.target.x, ((float[]){-0.8f}), 1, 1e-6, 1.0);
    float p3[3] = {0, 1, 0}, u0[3], u1[3];
    camera_project(&c0, p3, 1, u0);
    camera_project(&c1, p3, 1, u1);
    TEST_COND("pan-left: the person drifts right in the image", u1[0] > u0[0] + 10.0f);
}

/* Projection with confidence: occlusion from the side, from behind, two people, the border. */
static void test_confidence(void) {
    float kp2[SMPL22_J * 2], conf[SMPL22_J];
    const float *body = &k_body[0][0];

    /* front view: nothing hides anything */
    camera front = cam_of(0, 0, 4, 512, 512);
    project_keypoints(&front, body, SMPL22_J, body, kp2, conf);
    int all1 = 1;
    for (int j = 0; j < SMPL22_J; j++) {
        if (conf[j] != 1.0f) all1 = 0, printf("  front view: joint %s conf %g\n", smpl22_names[j], conf[j]);
    }
    TEST_COND("front view: every joint visible, confidence 1", all1);
    /* the 2D keypoints are the camera projection */
    float uvz[SMPL22_J * 3], uv[SMPL22_J * 2];
    camera_project(&front, body, SMPL22_J, uvz);
    for (int j = 0; j < SMPL22_J; j++) uv[2 * j] = uvz[3 * j], uv[2 * j + 1] = uvz[3 * j + 1];
    TEST_CLOSE("kp2 = projection", kp2, uv, SMPL22_J * 2, 1e-6, 1.0);

    /* from the person's left (azim 90): the right (far) elbow and wrist are behind the torso and
     * the near arm; the left (near) ones are seen */
    camera side = cam_of(0, 90, 4, 512, 512);
    project_keypoints(&side, body, SMPL22_J, body, kp2, conf);
    TEST_COND("side view: near elbow 1", conf[J_L_ELBOW] == 1.0f);
    TEST_COND("side view: near wrist 1", conf[J_L_WRIST] == 1.0f);
    TEST_COND("side view: far elbow low (the occluded floor 0.4)", fabsf(conf[J_R_ELBOW] - 0.4f) < 1e-4f);
    TEST_COND("side view: far wrist low (the occluded floor 0.4)", fabsf(conf[J_R_WRIST] - 0.4f) < 1e-4f);
    TEST_COND("side view: far shoulder low", conf[J_R_SHOULDER] < 0.5f);
    TEST_COND("side view: near shoulder 1", conf[J_L_SHOULDER] == 1.0f);
    printf("side view conf: L elbow %.3f wrist %.3f | R elbow %.3f wrist %.3f\n", conf[J_L_ELBOW], conf[J_L_WRIST],
           conf[J_R_ELBOW], conf[J_R_WRIST]);
    /* mirrored view (azim -90): the roles swap */
    camera side2 = cam_of(0, -90, 4, 512, 512);
    project_keypoints(&side2, body, SMPL22_J, body, kp2, conf);
    TEST_COND("azim -90: left arm hidden, right arm seen",
              conf[J_L_ELBOW] < 0.5f && conf[J_L_WRIST] < 0.5f && conf[J_R_ELBOW] == 1.0f && conf[J_R_WRIST] == 1.0f);
    /* without a body nothing is occluded */
    project_keypoints(&side, body, SMPL22_J, NULL, kp2, conf);
    TEST_COND("no occluders: far elbow 1", conf[J_R_ELBOW] == 1.0f);

    /* the smooth fall-off: move the far elbow out from behind the torso step by step (toward
     * the camera's right, i.e. backward -Z at azim 90): confidence rises monotonically to 1 */
    {
        float prev = 0.0f;
        int mono = 1, between = 0;
        float last = 0;
        for (int s = 0; s <= 30; s++) {
            float e3[3] = {k_body[J_R_ELBOW][0], k_body[J_R_ELBOW][1], -0.01f * (float)s}, e2[2], ec;
            project_keypoints(&side, e3, 1, body, e2, &ec);
            if (ec + 1e-6f < prev) mono = 0;
            between += ec > 0.41f && ec < 0.99f;
            prev = ec, last = ec;
        }
        TEST_COND("occlusion confidence rises monotonically as the elbow comes out", mono);
        TEST_COND("... through intermediate values (smooth in penetration depth)", between >= 3);
        TEST_COND("... and reaches 1 clear of the body", last == 1.0f);
        project_opts o = project_opts_default();
        o.occluded_conf = 0.2f;
        const float *bl[1] = {body};
        project_keypoints_multi(&side, body, SMPL22_J, bl, 1, &o, kp2, conf);
        TEST_COND("occluded_conf option sets the floor", fabsf(conf[J_R_ELBOW] - 0.2f) < 1e-4f &&
                                                            conf[J_L_ELBOW] == 1.0f);
    }

    /* face points on the head sphere: the nose is seen from the front, hidden from behind; the
     * far ear is hidden in a side view */
    {
        /* nose inside the head sphere, L ear, R ear, a nose sticking out of the sphere */
        float face[4][3] = {{0.0f, 1.56f, 0.11f}, {0.075f, 1.58f, 0.02f}, {-0.075f, 1.58f, 0.02f}, {0, 1.56f, 0.14f}};
        float f2[8], fc[4];
        project_keypoints(&front, &face[0][0], 4, body, f2, fc);
        TEST_COND("front: noses and both ears visible", fc[0] == 1.0f && fc[1] == 1.0f && fc[2] == 1.0f && fc[3] == 1.0f);
        camera back = cam_of(0, 180, 4, 512, 512);
        project_keypoints(&back, &face[0][0], 4, body, f2, fc);
        TEST_COND("behind: noses hidden by the head (dropped)", fc[0] < 0.3f && fc[3] < 0.3f);
        TEST_COND("behind: ears on the silhouette visible", fc[1] == 1.0f && fc[2] == 1.0f);
        project_keypoints(&side, &face[0][0], 3, body, f2, fc);
        TEST_COND("side: near ear seen, far ear hidden", fc[1] == 1.0f && fc[2] < 0.3f);
    }

    /* two people: B stands 1 m in front of A (toward the camera), so A's torso is hidden by B */
    {
        float bodyB[SMPL22_J][3];
        memcpy(bodyB, k_body, sizeof bodyB);
        for (int j = 0; j < SMPL22_J; j++) bodyB[j][2] += 1.0f;
        const float *bodies[2] = {body, &bodyB[0][0]};
        project_keypoints_multi(&front, body, SMPL22_J, bodies, 2, NULL, kp2, conf);
        TEST_COND("A's spine hidden behind B", conf[J_SPINE2] < 0.5f && conf[J_NECK] < 0.5f);
        project_keypoints_multi(&front, &bodyB[0][0], SMPL22_J, bodies, 2, NULL, kp2, conf);
        TEST_COND("B (in front) fully visible", conf[J_SPINE2] == 1.0f && conf[J_L_WRIST] == 1.0f);
    }

    /* the image border: outside 0, on the edge 0, a few pixels in: partial, per the ramp */
    {
        camera c = cam_of(0, 0, 4, 512, 512);
        project_opts o = project_opts_default();
        float border = 0.02f * 512.0f;
        const float us[4] = {-20.0f, 3.0f, 100.0f, 511.6f}, want[4] = {0, 0, 1, 0};
        for (int i = 0; i < 4; i++) {
            v3 q = unproject(&c, us[i], 200.0f, 4.0f);
            float q3[3] = {q.x, q.y, q.z}, q2[2], qc;
            project_keypoints_multi(&c, q3, 1, NULL, 0, &o, q2, &qc);
            if (i == 1) {
                float e = 3.5f / border, w = e * e * (3 - 2 * e);
                TEST_CLOSE("3 px inside the border: partial confidence", &qc, &w, 1, 1e-4, 1.0);
                TEST_COND("partial is strictly between 0 and 1", qc > 0 && qc < 1);
            } else {
                TEST_COND("border: outside 0 / inside 1", qc == want[i]);
            }
            TEST_CLOSE("border keypoint keeps its pixel position", q2, ((float[]){us[i], 200.0f}), 2, 1e-3, 1.0);
        }
        /* the image edge itself (x = W - 0.5) gives 0, a hair inside gives a little */
        {
            float cs[2];
            for (int i = 0; i < 2; i++) {
                v3 q = unproject(&c, i ? 511.4f : 511.5f, 200.0f, 4.0f);
                float q3[3] = {q.x, q.y, q.z}, q2[2];
                project_keypoints_multi(&c, q3, 1, NULL, 0, &o, q2, &cs[i]);
            }
            TEST_COND("on the edge 0, just inside small", cs[0] < 1e-5f && cs[1] > 0.0f && cs[1] < 0.01f);
        }
        /* a keypoint far off to the side and one behind the camera get 0; the latter (0,0) */
        float far3[6] = {10.0f, 1.0f, 0.0f, 0.0f, 1.0f, 6.0f}, far2[4], farc[2];
        project_keypoints(&c, far3, 2, body, far2, farc);
        TEST_COND("outside the frame: 0", farc[0] == 0.0f);
        TEST_COND("behind the camera: 0 at (0,0)", farc[1] == 0.0f && far2[2] == 0.0f && far2[3] == 0.0f);
        /* NAN keypoints: 0, no NAN out */
        float nan3[3] = {NAN, 1, 0}, nan2[2], nanc;
        project_keypoints(&c, nan3, 1, body, nan2, &nanc);
        TEST_COND("NAN keypoint: confidence 0, finite output", nanc == 0.0f && nan2[0] == 0.0f && nan2[1] == 0.0f);
    }

    /* a whole clip, two people, orbiting camera: equals frame-by-frame projection */
    {
        enum { P = 2, T = 7 };
        static float kp3[P][T][SMPL22_J][3], b22[P][T][SMPL22_J][3], k2[P][T][SMPL22_J][2], kc[P][T][SMPL22_J];
        for (int p = 0; p < P; p++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < SMPL22_J; j++) {
                    b22[p][t][j][0] = k_body[j][0] + 0.8f * (float)p - 0.4f + 0.05f * (float)t;
                    b22[p][t][j][1] = k_body[j][1];
                    b22[p][t][j][2] = k_body[j][2] + 0.3f * (float)p;
                    memcpy(kp3[p][t][j], b22[p][t][j], sizeof kp3[p][t][j]);
                }
        camera_pose base = camera_pose_default();
        camera_traj orb;
        camera_traj_builtin(&orb, CAMERA_MOVE_ORBIT, 40.0f, &base, 2.0f, 320, 240);
        TEST_COND("project_sequence", project_sequence(&orb, 20.0f, &kp3[0][0][0][0], &b22[0][0][0][0], P, T, SMPL22_J,
                                                       NULL, &k2[0][0][0][0], &kc[0][0][0]) == MOSA_OK);
        int same = 1;
        for (int t = 0; t < T; t++) {
            camera ct;
            camera_at(&orb, (float)t / 20.0f, &ct);
            const float *bl[P] = {&b22[0][t][0][0], &b22[1][t][0][0]};
            for (int p = 0; p < P; p++) {
                float e2[SMPL22_J * 2], ec[SMPL22_J];
                project_keypoints_multi(&ct, &kp3[p][t][0][0], SMPL22_J, bl, P, NULL, e2, ec);
                if (memcmp(e2, k2[p][t], sizeof e2) || memcmp(ec, kc[p][t], sizeof ec)) same = 0;
            }
        }
        TEST_COND("project_sequence = per-frame projection", same);
        TEST_COND("project_sequence refuses fps 0",
                  project_sequence(&orb, 0.0f, &kp3[0][0][0][0], NULL, P, T, SMPL22_J, NULL, &k2[0][0][0][0],
                                   &kc[0][0][0]) == MOSA_ERR_ARG);
    }
}

int main(void) {
    test_projection();
    test_parsers();
    test_trajectories();
    test_confidence();
    return test_report();
}
