/* test_bvh.c: the BVH parser, forward kinematics, SMPL-22 import and MoMask-style export
 * (src/io/bvh.c).
 *
 * A hand-written CMU-style file (centimetres, ZXY channel order, 25 fps, CRLF, tabs, '{' on
 * either line) imports to the SMPL-22 positions numpy's own forward kinematics gives (pasted),
 * and so does the same motion written Z-up; an exported walking figure re-imports to the same
 * positions (< 1e-4 m), and import -> export -> import of any motion is stable after one round
 * trip; the exported text has MoMask's layout; parse errors name the line and what was expected;
 * hostile inputs (truncation, wrong counts, 1e9 frames declared, deep nesting, huge numbers,
 * NaN) are refused without crashing (ASan in the Sanitize build). TEST_VERBOSE=1 prints every
 * error message. */
#define _GNU_SOURCE
#include "io/bvh.h"
#include "base/geom.h"
#include "base/skeleton.h"
#include "test.h"

#include <locale.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A CMU-style BVH (centimetres, Y up, ZXY channel order, 25 fps, CRLF, tabs, '{' on the joint's
 * line for every other joint), written by tests' generator script with numpy. */
static const char k_cmu_yup[] =
    "HIERARCHY\r\n"
    "ROOT Hips {\r\n"
    "  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\r\n"
    "\tJOINT LHipJoint\r\n"
    "\t{\r\n"
    "\t  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\tJOINT LeftUpLeg {\r\n"
    "\t\t  OFFSET\t8.5000 -7.0000 1.0000\r\n"
    "\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\tJOINT LeftLeg\r\n"
    "\t\t\t{\r\n"
    "\t\t\t  OFFSET\t0.0000 -42.0000 0.0000\r\n"
    "\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\tJOINT LeftFoot {\r\n"
    "\t\t\t\t  OFFSET\t0.0000 -41.0000 -1.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\tJOINT LeftToeBase\r\n"
    "\t\t\t\t\t{\r\n"
    "\t\t\t\t\t  OFFSET\t0.0000 -6.0000 13.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t    OFFSET 0.0000 0.0000 3.0000\r\n"
    "\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t}\r\n"
    "\t\t}\r\n"
    "\t}\r\n"
    "\tJOINT RHipJoint {\r\n"
    "\t  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\tJOINT RightUpLeg\r\n"
    "\t\t{\r\n"
    "\t\t  OFFSET\t-8.5000 -7.0000 1.0000\r\n"
    "\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\tJOINT RightLeg {\r\n"
    "\t\t\t  OFFSET\t0.0000 -42.0000 0.0000\r\n"
    "\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\tJOINT RightFoot\r\n"
    "\t\t\t\t{\r\n"
    "\t\t\t\t  OFFSET\t0.0000 -41.0000 -1.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\tJOINT RightToeBase {\r\n"
    "\t\t\t\t\t  OFFSET\t0.0000 -6.0000 13.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t    OFFSET 0.0000 0.0000 3.0000\r\n"
    "\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t}\r\n"
    "\t\t}\r\n"
    "\t}\r\n"
    "\tJOINT LowerBack\r\n"
    "\t{\r\n"
    "\t  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\tJOINT Spine {\r\n"
    "\t\t  OFFSET\t0.0000 10.0000 -1.0000\r\n"
    "\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\tJOINT Spine1\r\n"
    "\t\t\t{\r\n"
    "\t\t\t  OFFSET\t0.0000 14.0000 0.0000\r\n"
    "\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\tJOINT Neck {\r\n"
    "\t\t\t\t  OFFSET\t0.0000 24.0000 -1.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\tJOINT Neck1\r\n"
    "\t\t\t\t\t{\r\n"
    "\t\t\t\t\t  OFFSET\t0.0000 5.0000 1.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\tJOINT Head {\r\n"
    "\t\t\t\t\t\t  OFFSET\t0.0000 6.0000 1.0000\r\n"
    "\t\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t\t    OFFSET 0.0000 12.0000 0.0000\r\n"
    "\t\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t\tJOINT LeftShoulder\r\n"
    "\t\t\t\t{\r\n"
    "\t\t\t\t  OFFSET\t2.0000 21.0000 0.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\tJOINT LeftArm {\r\n"
    "\t\t\t\t\t  OFFSET\t15.0000 1.0000 0.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\tJOINT LeftForeArm\r\n"
    "\t\t\t\t\t\t{\r\n"
    "\t\t\t\t\t\t  OFFSET\t28.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\t\tJOINT LeftHand {\r\n"
    "\t\t\t\t\t\t\t  OFFSET\t25.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t\t\t    OFFSET 9.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t\tJOINT RightShoulder\r\n"
    "\t\t\t\t{\r\n"
    "\t\t\t\t  OFFSET\t-2.0000 21.0000 0.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\tJOINT RightArm {\r\n"
    "\t\t\t\t\t  OFFSET\t-15.0000 1.0000 0.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\tJOINT RightForeArm\r\n"
    "\t\t\t\t\t\t{\r\n"
    "\t\t\t\t\t\t  OFFSET\t-28.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\t\tJOINT RightHand {\r\n"
    "\t\t\t\t\t\t\t  OFFSET\t-25.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  CHANNELS 3 Zrotation Xrotation Yrotation\r\n"
    "\t\t\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t\t\t    OFFSET -9.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t}\r\n"
    "\t\t}\r\n"
    "\t}\r\n"
    "}\r\n"
    "MOTION\r\n"
    "Frames:\t3\r\n"
    "Frame Time: 0.04\r\n"
    "3.0000 92.5000 -4.0000 30.0000 5.0000 -12.0000 -27.4790 -19.9830 37.3550 -49.4730 32.1230 29.7070 -3.2070 -19.6970 -22.1570 -24.5130 -5.4920 0.4550 5.3500 49.5500 29.2660 12.2180 48.8960 -28.4690 -33.9790 11.2540 -45.6060 -46.4320 1.4890 -3.3790 41.7170 12.9230 1.4120 -0.3130 -25.2490 -48.8210 -30.7600 19.2030 -29.9390 -13.0460 -49.6270 33.0050 -34.5540 -23.2400 38.0330 0.9790 34.7150 13.9720 24.1770 -40.8500 4.1140 0.7770 37.1340 -13.8740 9.8180 -44.0750 -11.2370 -17.6960 -34.9800 31.6340 -12.0550 47.8750 8.9990 10.5060 13.8000 17.6450 -34.9210 -5.9690 -26.0440 -9.7500 -40.3300 46.7830 -28.5000 17.1770 -19.9580 37.4080 16.2210 -36.8380\r\n"
    "5.5000 93.2500 1.0000 32.5000 4.0000 -10.0000 6.9720 -35.4540 -30.7540 42.7910 5.2330 -31.9450 38.4060 14.1570 6.9690 -12.3710 -8.9040 -26.0510 -46.1940 37.6220 -3.2270 4.7640 -17.7840 25.1320 -47.4800 -12.7810 -46.9650 -37.7110 46.7150 15.7760 -7.1780 2.3740 37.2810 -15.5790 9.0290 18.3680 -14.4590 1.9100 26.5250 40.9180 -34.8940 43.3420 -49.4820 25.2980 31.0530 -36.3240 -8.1100 31.5260 -48.5730 12.8460 29.3020 1.3000 22.5850 -27.3580 -30.1480 -13.6870 -32.0590 -15.3940 44.8120 7.3330 -15.9930 -22.8480 45.2040 -5.5520 48.0390 1.5520 2.1170 39.6540 24.2770 8.0650 -7.3350 37.8190 -8.8350 42.2760 -43.1280 -7.0000 1.9510 45.0940\r\n"
    "8.0000 91.7500 6.5000 35.0000 3.0000 -8.0000 21.7090 12.9620 47.1560 -16.7320 -10.1720 -29.7090 -44.9300 -28.7090 41.5460 34.0170 -38.7590 10.3780 -2.0800 9.4680 15.9280 -19.3340 46.1350 -3.4160 12.8100 13.5230 -31.6110 -43.8130 -8.8480 26.4030 31.5220 22.9990 -38.6800 41.3350 30.2040 37.7690 2.3300 41.5640 -45.3350 -46.9710 -47.9780 -24.7230 -25.1430 -31.2500 6.7060 -46.1010 9.0390 -33.3990 17.7870 -47.8920 -18.9430 43.8340 3.8400 31.1590 15.8030 11.0750 -30.8750 7.4390 -46.0310 30.1660 46.0070 35.4010 -44.9290 -16.1340 -18.2000 -38.7280 12.6610 29.7460 -18.6280 36.2810 29.7130 -37.0860 26.6860 38.2620 -30.2720 7.3640 13.8750 10.9330\r\n"
    ;
/* The same motion with Z up: offsets and positions (x, y, z) -> (x, -z, y), channels
 * "Yrotation Xrotation Zrotation" with values (-z, x, y). */
static const char k_cmu_zup[] =
    "HIERARCHY\r\n"
    "ROOT Hips {\r\n"
    "  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "  CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation\r\n"
    "\tJOINT LHipJoint\r\n"
    "\t{\r\n"
    "\t  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\tJOINT LeftUpLeg {\r\n"
    "\t\t  OFFSET\t8.5000 -1.0000 -7.0000\r\n"
    "\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\tJOINT LeftLeg\r\n"
    "\t\t\t{\r\n"
    "\t\t\t  OFFSET\t0.0000 0.0000 -42.0000\r\n"
    "\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\tJOINT LeftFoot {\r\n"
    "\t\t\t\t  OFFSET\t0.0000 1.0000 -41.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\tJOINT LeftToeBase\r\n"
    "\t\t\t\t\t{\r\n"
    "\t\t\t\t\t  OFFSET\t0.0000 -13.0000 -6.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t    OFFSET 0.0000 -3.0000 0.0000\r\n"
    "\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t}\r\n"
    "\t\t}\r\n"
    "\t}\r\n"
    "\tJOINT RHipJoint {\r\n"
    "\t  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\tJOINT RightUpLeg\r\n"
    "\t\t{\r\n"
    "\t\t  OFFSET\t-8.5000 -1.0000 -7.0000\r\n"
    "\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\tJOINT RightLeg {\r\n"
    "\t\t\t  OFFSET\t0.0000 0.0000 -42.0000\r\n"
    "\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\tJOINT RightFoot\r\n"
    "\t\t\t\t{\r\n"
    "\t\t\t\t  OFFSET\t0.0000 1.0000 -41.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\tJOINT RightToeBase {\r\n"
    "\t\t\t\t\t  OFFSET\t0.0000 -13.0000 -6.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t    OFFSET 0.0000 -3.0000 0.0000\r\n"
    "\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t}\r\n"
    "\t\t}\r\n"
    "\t}\r\n"
    "\tJOINT LowerBack\r\n"
    "\t{\r\n"
    "\t  OFFSET\t0.0000 0.0000 0.0000\r\n"
    "\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\tJOINT Spine {\r\n"
    "\t\t  OFFSET\t0.0000 1.0000 10.0000\r\n"
    "\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\tJOINT Spine1\r\n"
    "\t\t\t{\r\n"
    "\t\t\t  OFFSET\t0.0000 0.0000 14.0000\r\n"
    "\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\tJOINT Neck {\r\n"
    "\t\t\t\t  OFFSET\t0.0000 1.0000 24.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\tJOINT Neck1\r\n"
    "\t\t\t\t\t{\r\n"
    "\t\t\t\t\t  OFFSET\t0.0000 -1.0000 5.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\tJOINT Head {\r\n"
    "\t\t\t\t\t\t  OFFSET\t0.0000 -1.0000 6.0000\r\n"
    "\t\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t\t    OFFSET 0.0000 0.0000 12.0000\r\n"
    "\t\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t\tJOINT LeftShoulder\r\n"
    "\t\t\t\t{\r\n"
    "\t\t\t\t  OFFSET\t2.0000 0.0000 21.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\tJOINT LeftArm {\r\n"
    "\t\t\t\t\t  OFFSET\t15.0000 0.0000 1.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\tJOINT LeftForeArm\r\n"
    "\t\t\t\t\t\t{\r\n"
    "\t\t\t\t\t\t  OFFSET\t28.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\t\tJOINT LeftHand {\r\n"
    "\t\t\t\t\t\t\t  OFFSET\t25.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t\t\t    OFFSET 9.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t\tJOINT RightShoulder\r\n"
    "\t\t\t\t{\r\n"
    "\t\t\t\t  OFFSET\t-2.0000 0.0000 21.0000\r\n"
    "\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\tJOINT RightArm {\r\n"
    "\t\t\t\t\t  OFFSET\t-15.0000 0.0000 1.0000\r\n"
    "\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\tJOINT RightForeArm\r\n"
    "\t\t\t\t\t\t{\r\n"
    "\t\t\t\t\t\t  OFFSET\t-28.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\t\tJOINT RightHand {\r\n"
    "\t\t\t\t\t\t\t  OFFSET\t-25.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  CHANNELS 3 Yrotation Xrotation Zrotation\r\n"
    "\t\t\t\t\t\t\t  End Site\r\n"
    "\t\t\t\t\t\t\t  {\r\n"
    "\t\t\t\t\t\t\t    OFFSET -9.0000 0.0000 0.0000\r\n"
    "\t\t\t\t\t\t\t  }\r\n"
    "\t\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t\t}\r\n"
    "\t\t\t\t\t}\r\n"
    "\t\t\t\t}\r\n"
    "\t\t\t}\r\n"
    "\t\t}\r\n"
    "\t}\r\n"
    "}\r\n"
    "MOTION\r\n"
    "Frames:\t3\r\n"
    "Frame Time: 0.04\r\n"
    "3.0000 4.0000 92.5000 -30.0000 5.0000 -12.0000 27.4790 -19.9830 37.3550 49.4730 32.1230 29.7070 3.2070 -19.6970 -22.1570 24.5130 -5.4920 0.4550 -5.3500 49.5500 29.2660 -12.2180 48.8960 -28.4690 33.9790 11.2540 -45.6060 46.4320 1.4890 -3.3790 -41.7170 12.9230 1.4120 0.3130 -25.2490 -48.8210 30.7600 19.2030 -29.9390 13.0460 -49.6270 33.0050 34.5540 -23.2400 38.0330 -0.9790 34.7150 13.9720 -24.1770 -40.8500 4.1140 -0.7770 37.1340 -13.8740 -9.8180 -44.0750 -11.2370 17.6960 -34.9800 31.6340 12.0550 47.8750 8.9990 -10.5060 13.8000 17.6450 34.9210 -5.9690 -26.0440 9.7500 -40.3300 46.7830 28.5000 17.1770 -19.9580 -37.4080 16.2210 -36.8380\r\n"
    "5.5000 -1.0000 93.2500 -32.5000 4.0000 -10.0000 -6.9720 -35.4540 -30.7540 -42.7910 5.2330 -31.9450 -38.4060 14.1570 6.9690 12.3710 -8.9040 -26.0510 46.1940 37.6220 -3.2270 -4.7640 -17.7840 25.1320 47.4800 -12.7810 -46.9650 37.7110 46.7150 15.7760 7.1780 2.3740 37.2810 15.5790 9.0290 18.3680 14.4590 1.9100 26.5250 -40.9180 -34.8940 43.3420 49.4820 25.2980 31.0530 36.3240 -8.1100 31.5260 48.5730 12.8460 29.3020 -1.3000 22.5850 -27.3580 30.1480 -13.6870 -32.0590 15.3940 44.8120 7.3330 15.9930 -22.8480 45.2040 5.5520 48.0390 1.5520 -2.1170 39.6540 24.2770 -8.0650 -7.3350 37.8190 8.8350 42.2760 -43.1280 7.0000 1.9510 45.0940\r\n"
    "8.0000 -6.5000 91.7500 -35.0000 3.0000 -8.0000 -21.7090 12.9620 47.1560 16.7320 -10.1720 -29.7090 44.9300 -28.7090 41.5460 -34.0170 -38.7590 10.3780 2.0800 9.4680 15.9280 19.3340 46.1350 -3.4160 -12.8100 13.5230 -31.6110 43.8130 -8.8480 26.4030 -31.5220 22.9990 -38.6800 -41.3350 30.2040 37.7690 -2.3300 41.5640 -45.3350 46.9710 -47.9780 -24.7230 25.1430 -31.2500 6.7060 46.1010 9.0390 -33.3990 -17.7870 -47.8920 -18.9430 -43.8340 3.8400 31.1590 -15.8030 11.0750 -30.8750 -7.4390 -46.0310 30.1660 -46.0070 35.4010 -44.9290 16.1340 -18.2000 -38.7280 -12.6610 29.7460 -18.6280 -36.2810 29.7130 -37.0860 -26.6860 38.2620 -30.2720 -7.3640 13.8750 10.9330\r\n"
    ;
/* SMPL-22 joints (metres) numpy's forward kinematics gives for k_cmu_yup at 20 fps: frame 0, and
 * 0.75 * frame 1 + 0.25 * frame 2; spine3 interpolated at 0.08/0.29 (the
 * default body's spine3 / (spine3 + neck), smpl22_bone_lengths) from Spine1 towards Neck. */
static const float k_cmu_expected[2 * 22 * 3] = {
    0.03, 0.925, -0.04,
    0.108980289, 0.85025894, -0.0600221874,
    -0.00324702551, 0.870366904, -0.130193459,
    0.032506159, 1.01611292, 0.00233384953,
    -0.236448547, 0.612557836, -0.084045189,
    -0.0123802552, 0.766929976, -0.53715462,
    0.11056368, 1.13094741, -0.0155564568,
    -0.521873555, 0.331565047, 0.00413427233,
    -0.213419706, 0.915628262, -0.862226857,
    0.15982449, 1.15285826, -0.0540824295,
    -0.509827215, 0.304712035, 0.14425494,
    -0.304209628, 0.823933523, -0.924269301,
    0.289134114, 1.21037424, -0.155213107,
    0.271325299, 1.17977105, -0.143118029,
    0.273417618, 1.21328497, -0.12138236,
    0.386026163, 1.24160198, -0.163444525,
    0.313131144, 1.07225341, -0.239514237,
    0.298232655, 1.35906386, -0.148451333,
    0.235977028, 0.80516148, -0.272818053,
    0.53658459, 1.48798128, -0.218940006,
    0.153939348, 0.569020952, -0.27008487,
    0.640130648, 1.61613702, -0.406967454,
    0.06125, 0.92875, 0.02375,
    0.128175816, 0.943113869, 0.0783317372,
    0.0208605583, 0.841334693, 0.0439600945,
    0.0233296392, 1.01437606, 0.0437232141,
    0.427643999, 0.863217215, 0.316482415,
    -0.00659685479, 0.554203578, 0.12662212,
    -0.0532762358, 1.088216, 0.0245425124,
    0.579995255, 0.97071488, 0.580931687,
    -0.0317770812, 0.248163058, -0.0868421328,
    -0.0463813287, 1.14117887, -0.000453451761,
    0.585254327, 0.942615064, 0.68352266,
    -0.0625808463, 0.138323987, -0.0469354278,
    -0.0282821979, 1.28020641, -0.0660678571,
    -0.0133132108, 1.25109299, -0.0585840365,
    -0.0398868966, 1.26655622, -0.0386594304,
    0.037325606, 1.27821472, -0.134316219,
    0.119934432, 1.20319717, -0.0556604798,
    -0.100398316, 1.31058173, 0.0557039859,
    0.34727972, 1.05237381, -0.0438698296,
    -0.0822264832, 1.3037541, 0.201447884,
    0.453553035, 0.88566507, -0.119294313,
    -0.125958365, 1.42615624, 0.302276198,
};

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The walking figure of test_humanml3d.c: mosa's rest skeleton posed by forward kinematics. */
static void walker(float *J, int T) {
    for (int t = 0; t < T; t++) {
        float ph = 2.0f * (float)M_PI * (float)t / 20.0f, s = sinf(ph);
        quat local[SMPL22_J];
        for (int j = 0; j < SMPL22_J; j++) local[j] = quat_identity();
        const v3 X = v3_make(1, 0, 0), Y = v3_make(0, 1, 0), Z = v3_make(0, 0, 1);
        local[J_PELVIS] = quat_mul(quat_axis_angle(Y, 0.6f + 0.1f * s), quat_axis_angle(Z, 0.05f * s));
        local[J_L_HIP] = quat_axis_angle(X, -0.45f * s);
        local[J_R_HIP] = quat_axis_angle(X, 0.45f * s);
        local[J_L_KNEE] = quat_axis_angle(X, 0.3f + 0.3f * s);
        local[J_R_KNEE] = quat_axis_angle(X, 0.3f - 0.3f * s);
        local[J_L_SHOULDER] = quat_mul(quat_axis_angle(X, 0.35f * s), quat_axis_angle(Z, 0.3f));
        local[J_R_SHOULDER] = quat_mul(quat_axis_angle(X, -0.35f * s), quat_axis_angle(Z, -0.3f));
        local[J_L_ELBOW] = quat_axis_angle(X, -0.4f);
        local[J_R_ELBOW] = quat_axis_angle(X, -0.4f);
        local[J_SPINE1] = quat_axis_angle(X, 0.05f);
        local[J_SPINE3] = quat_axis_angle(Y, 0.2f * s);
        local[J_NECK] = quat_axis_angle(X, -1.3f);
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

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

static const bvh_import_opts k_raw = {0, BVH_UP_AUTO, 0, 0}; /* no HumanML3D normalisation */

/* Exports joints and imports the text back (raw options); returns the new array or NULL. */
static float *round_trip(const float *J, int T, int *T2) {
    char *text;
    size_t len;
    if (bvh_format_smpl22(&text, &len, J, T, NULL) != MOSA_OK) {
        printf("  export: %s\n", mosa_last_error());
        return NULL;
    }
    bvh_file f;
    float *out = NULL;
    if (bvh_parse(&f, "exported", (const uint8_t *)text, len) != MOSA_OK) printf("  reparse: %s\n", mosa_last_error());
    else {
        if (bvh_import_smpl22(&f, &k_raw, &out, T2, NULL) != MOSA_OK) printf("  reimport: %s\n", mosa_last_error());
        bvh_free(&f);
    }
    mosa_free(text);
    return out;
}

static int parse_text(bvh_file *f, const char *text) {
    return bvh_parse(f, "t.bvh", (const uint8_t *)text, strlen(text)) == MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* The CMU-style file                                                                          */
/* ------------------------------------------------------------------------------------------ */

static void test_cmu(void) {
    bvh_file f;
    TEST_COND("parse the CMU-style file", parse_text(&f, k_cmu_yup));
    if (!f.nodes) {
        printf("  %s\n", mosa_last_error());
        return;
    }
    TEST_COND("hierarchy counts", f.n_joints == 25 && f.n_nodes == 30 && f.n_channels == 78 && f.n_frames == 3 &&
                                      f.frame_time == 0.04);
    TEST_COND("names and parents", !strcmp(f.nodes[0].name, "Hips") && f.nodes[0].parent == -1 &&
                                       !strcmp(f.nodes[2].name, "LeftUpLeg") && f.nodes[2].parent == 1 &&
                                       f.nodes[6].end_site && !strcmp(f.nodes[6].name, "LeftToeBase/End Site"));
    TEST_COND("channels", f.nodes[0].n_channels == 6 && f.nodes[0].channels[3] == BVH_ZROT && f.nodes[0].channels[4] == BVH_XROT &&
                              f.nodes[0].channels[5] == BVH_YROT && f.nodes[1].first_channel == 6 && f.nodes[2].first_channel == 9);
    TEST_COND("values", f.motion[0] == 3.0f && f.motion[1] == 92.5f && f.motion[78] == 5.5f && f.motion[77] == -36.838f);
    double rest[30 * 3];
    bvh_fk(&f, -1, 0, rest);
    TEST_COND("rest pose", rest[3 * 3 + 0] == 8.5 && rest[3 * 3 + 1] == -49.0 && rest[3 * 3 + 2] == 1.0);
    float *J;
    int T;
    bvh_import_info info;
    TEST_COND("import (raw)", bvh_import_smpl22(&f, &k_raw, &J, &T, &info) == MOSA_OK);
    if (J) {
        TEST_COND("20 fps from 25 fps: 2 frames", T == 2);
        TEST_CLOSE("positions equal numpy's forward kinematics", J, k_cmu_expected, 2 * 66, 2e-5, 1.0);
        TEST_COND("unit cm detected, Y up", info.scale == 0.01f && !strcmp(info.unit, "cm") && info.up == BVH_UP_Y);
        TEST_COND("only spine3 estimated", info.estimated == (1u << J_SPINE3) && info.map[J_L_ANKLE] == 4 &&
                                               info.map[J_L_FOOT] == 5 && info.map[J_L_COLLAR] == 20 && info.map[J_L_SHOULDER] == 21);
        TEST_COND("source rate", info.src_frames == 3 && fabs(info.src_fps - 25) < 1e-9);
        mosa_free(J);
    }
    bvh_import_opts given = {0.01f, BVH_UP_Y, 0, 0};
    TEST_COND("import with the unit and axis given", bvh_import_smpl22(&f, &given, &J, &T, &info) == MOSA_OK && T == 2 &&
                                                        !strcmp(info.unit, "given"));
    if (J) TEST_CLOSE("same positions", J, k_cmu_expected, 2 * 66, 2e-5, 1.0);
    mosa_free(J);
    bvh_import_opts at25 = {0, BVH_UP_AUTO, 25, 0};
    TEST_COND("import at the file's own rate", bvh_import_smpl22(&f, &at25, &J, &T, NULL) == MOSA_OK && T == 3);
    if (J) TEST_CLOSE("frame 0 unchanged", J, k_cmu_expected, 66, 2e-5, 1.0);
    mosa_free(J);

    /* HumanML3D normalisation: floor, origin, facing +Z */
    TEST_COND("import (HumanML3D)", bvh_import_smpl22(&f, NULL, &J, &T, NULL) == MOSA_OK);
    if (J) {
        float lo = 1e9f;
        for (int i = 0; i < T * 22; i++) lo = fminf(lo, J[3 * i + 1]);
        TEST_COND("on the floor", fabsf(lo) < 1e-6f);
        TEST_COND("pelvis at the origin", fabsf(J[0]) < 1e-6f && fabsf(J[2]) < 1e-6f);
        float ax = J[3 * J_R_HIP] - J[3 * J_L_HIP] + J[3 * J_R_SHOULDER] - J[3 * J_L_SHOULDER];
        float az = J[3 * J_R_HIP + 2] - J[3 * J_L_HIP + 2] + J[3 * J_R_SHOULDER + 2] - J[3 * J_L_SHOULDER + 2];
        TEST_COND("faces +Z", fabsf(az) < 1e-5f && ax < 0); /* forward = up x across = (az, 0, -ax) */
        /* distances are kept */
        float d0 = sqrtf(powf(J[3 * J_HEAD] - J[3 * J_L_WRIST], 2) + powf(J[3 * J_HEAD + 1] - J[3 * J_L_WRIST + 1], 2) +
                         powf(J[3 * J_HEAD + 2] - J[3 * J_L_WRIST + 2], 2));
        const float *E = k_cmu_expected;
        float d1 = sqrtf(powf(E[3 * J_HEAD] - E[3 * J_L_WRIST], 2) + powf(E[3 * J_HEAD + 1] - E[3 * J_L_WRIST + 1], 2) +
                         powf(E[3 * J_HEAD + 2] - E[3 * J_L_WRIST + 2], 2));
        TEST_COND("a rigid motion of the body", fabsf(d0 - d1) < 1e-5f);
        mosa_free(J);
    }

    /* import -> export -> import: stable after one round trip */
    TEST_COND("import for the round trip", bvh_import_smpl22(&f, &k_raw, &J, &T, NULL) == MOSA_OK);
    int T2 = 0, T3 = 0;
    float *P2 = J ? round_trip(J, T, &T2) : NULL;
    float *P3 = P2 ? round_trip(P2, T2, &T3) : NULL;
    TEST_COND("CMU: round trips keep the frame count", P3 && T2 == T && T3 == T);
    if (P3) {
        double e1 = max_abs_diff(P2, J, (size_t)T * 66), e2 = max_abs_diff(P3, P2, (size_t)T * 66);
        if (e2 >= 1e-4 || getenv("TEST_VERBOSE"))
            printf("  CMU: first round trip moves joints by up to %.3g m (skeleton refit), the second by %.3g m\n", e1, e2);
        /* the first round trip refits the skeleton: this file's random Neck1 and LHipJoint
         * rotations change SMPL's neck-head and pelvis-hip vectors, which a rigid rig cannot */
        TEST_COND("CMU: exported motion round trips within 1e-4 m", e2 < 1e-4);
    }
    mosa_free(J);
    mosa_free(P2);
    mosa_free(P3);
    bvh_free(&f);

    /* the same motion Z up */
    TEST_COND("parse the Z-up file", parse_text(&f, k_cmu_zup));
    TEST_COND("import Z-up", bvh_import_smpl22(&f, &k_raw, &J, &T, &info) == MOSA_OK && T == 2 && info.up == BVH_UP_Z &&
                                 !strcmp(info.unit, "cm"));
    if (J) TEST_CLOSE("Z-up imports to the same Y-up positions", J, k_cmu_expected, 2 * 66, 2e-5, 1.0);
    mosa_free(J);
    bvh_import_opts forcey = {0, BVH_UP_Y, 0, 0};
    TEST_COND("Z-up read as Y-up when told so",
              bvh_import_smpl22(&f, &forcey, &J, &T, &info) == MOSA_OK && info.up == BVH_UP_Y && J &&
                  fabsf(J[3 * J_HEAD + 2] - J[2]) > 0.3f); /* the head is then 'in front' of the pelvis */
    mosa_free(J);
    bvh_free(&f);
}

/* ------------------------------------------------------------------------------------------ */
/* Export                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void test_export(void) {
    enum { T = 60 };
    float *W = malloc(sizeof(float) * T * 66);
    walker(W, T);
    char *text;
    size_t len;
    TEST_COND("export the walker", bvh_format_smpl22(&text, &len, W, T, NULL) == MOSA_OK && strlen(text) == len);
    if (!text) return;
    const char *head = "HIERARCHY\nROOT Hips\n{\n\tOFFSET 0 0 0\n\tCHANNELS 6 Xposition Yposition Zposition Zrotation "
                       "Yrotation Xrotation\n\tJOINT LeftUpLeg\n\t{\n\t\tOFFSET ";
    TEST_COND("MoMask's layout", !strncmp(text, head, strlen(head)));
    TEST_COND("frames and frame time", strstr(text, "\nMOTION\nFrames: 60\nFrame Time: 0.050000\n") != NULL);
    const char *leg = strstr(text, "\t\tJOINT LeftLeg\n\t\t{\n\t\t\tOFFSET 0 -0.3");
    const char *eol = leg ? strchr(leg + 30, '\n') : NULL;
    TEST_COND("a joint: rest direction (0,-1,0) times the frame-0 length, 3 channels",
              eol && fabs(strtod(strstr(leg, "OFFSET 0 ") + 9, NULL) + 0.38) < 1e-6 && !strncmp(eol - 2, " 0\n\t\t\tCHANNELS 3 Zrotation Yrotation Xrotation\n\t\t\tJOINT LeftFoot\n", 56));
    const char *toe = strstr(text, "\t\t\t\tJOINT LeftToe\n");
    TEST_COND("an End Site", toe && strstr(toe, "\t\t\t\t\tEnd Site\n\t\t\t\t\t{\n\t\t\t\t\t\tOFFSET 0 0 0.067") ==
                                        strstr(toe, "\t\t\t\t\tEnd Site"));
    bvh_file f;
    TEST_COND("the export parses", bvh_parse(&f, "e", (const uint8_t *)text, len) == MOSA_OK);
    static const char *const order[22] = {"Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToe", "RightUpLeg", "RightLeg",
                                          "RightFoot", "RightToe", "Spine", "Spine1", "Spine2", "Neck", "Head",
                                          "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand", "RightShoulder",
                                          "RightArm", "RightForeArm", "RightHand"};
    int ok = f.n_joints == 22 && f.n_nodes == 27 && f.n_channels == 69 && f.n_frames == T && f.frame_time == 0.05;
    for (int j = 0, k = 0; ok && j < f.n_nodes; j++)
        if (!f.nodes[j].end_site) ok = !strcmp(f.nodes[j].name, order[k++]);
    TEST_COND("22 joints in MoMask's order, 69 channels, 5 End Sites", ok);
    float *J;
    int T2;
    bvh_import_info info;
    TEST_COND("re-import", bvh_import_smpl22(&f, &k_raw, &J, &T2, &info) == MOSA_OK && T2 == T);
    if (J) {
        double e = max_abs_diff(J, W, (size_t)T * 66);
        if (e >= 1e-4 || getenv("TEST_VERBOSE")) printf("  walker round trip: max error %.3g m\n", e);
        TEST_COND("walker: export -> import within 1e-4 m", e < 1e-4);
        TEST_COND("metres detected, nothing estimated", !strcmp(info.unit, "m") && info.estimated == 0 && info.up == BVH_UP_Y);
        mosa_free(J);
    }
    bvh_free(&f);
    mosa_free(text);

    /* centimetres and a file on disk */
    char path[256];
    snprintf(path, sizeof path, "/tmp/mosa_test_bvh_%ld.bvh", (long)getpid());
    bvh_export_opts cm = {100, 0};
    TEST_COND("write in centimetres", bvh_write_smpl22(path, W, T, &cm) == MOSA_OK);
    TEST_COND("read back", bvh_read_smpl22(path, &k_raw, &J, &T2, &info) == MOSA_OK && T2 == T && !strcmp(info.unit, "cm"));
    if (J) TEST_COND("cm: within 1e-4 m", max_abs_diff(J, W, (size_t)T * 66) < 1e-4);
    mosa_free(J);
    bvh_export_opts at30 = {0, 30};
    TEST_COND("write at 30 fps", bvh_write_smpl22(path, W, T, &at30) == MOSA_OK);
    bvh_import_opts keep30 = {0, BVH_UP_AUTO, 30, 0};
    TEST_COND("read at 30 fps", bvh_read_smpl22(path, &keep30, &J, &T2, &info) == MOSA_OK && T2 == T &&
                                    fabs(info.src_fps - 30) < 1e-6);
    if (J) TEST_COND("30 fps: within 1e-4 m", max_abs_diff(J, W, (size_t)T * 66) < 1e-4);
    mosa_free(J);
    TEST_COND("30 fps resampled to 20", bvh_read_smpl22(path, &k_raw, &J, &T2, NULL) == MOSA_OK && T2 == 40);
    if (J) TEST_COND("frame 2 at 20 fps is frame 3 at 30 fps", max_abs_diff(J + 2 * 66, W + 3 * 66, 66) < 1e-4);
    mosa_free(J);
    unlink(path);

    /* a motion that is not rigid: bones change length, hips and collars move on their own */
    float *N = malloc(sizeof(float) * T * 66);
    for (int i = 0; i < T * 66; i++) N[i] = W[i] + 0.01f * sinf(0.7f * (float)i + 0.3f * (float)(i % 7));
    int T3;
    float *P1 = round_trip(N, T, &T2);
    float *P2 = P1 ? round_trip(P1, T2, &T3) : NULL;
    if (P2) {
        double e1 = max_abs_diff(P1, N, (size_t)T * 66), e2 = max_abs_diff(P2, P1, (size_t)T * 66);
        if (e2 >= 1e-4 || getenv("TEST_VERBOSE"))
            printf("  noisy walker: first round trip moves joints by %.3g m, the second by %.3g m\n", e1, e2);
        TEST_COND("noisy: import -> export -> import within 1e-4 m", e2 < 1e-4 && T3 == T);
        TEST_COND("noisy: the first fit stays close", e1 < 0.1);
    } else {
        TEST_COND("noisy round trips", 0);
    }
    mosa_free(P1);
    mosa_free(P2);

    /* a bone pointing exactly against its rest direction, and a zero-length bone */
    float *A = malloc(sizeof(float) * 66);
    memcpy(A, W, sizeof(float) * 66);
    for (int c = 0; c < 3; c++) A[3 * J_L_ELBOW + c] = A[3 * J_L_SHOULDER + c] + (c == 1 ? 0.28f : 0.0f); /* straight up */
    for (int c = 0; c < 3; c++) A[3 * J_L_WRIST + c] = A[3 * J_L_ELBOW + c] + (c == 1 ? 0.25f : 0.0f);
    for (int c = 0; c < 3; c++) A[3 * J_R_WRIST + c] = A[3 * J_R_ELBOW + c];
    float *B = round_trip(A, 1, &T2);
    TEST_COND("opposite and zero-length bones", B != NULL && max_abs_diff(B, A, 3 * J_R_WRIST) < 1e-4);
    mosa_free(B);
    free(A);

    /* arguments */
    float bad[66] = {0};
    bad[5] = NAN;
    TEST_COND("NaN joints refused", bvh_format_smpl22(&text, &len, bad, 1, NULL) == MOSA_ERR_ARG && text == NULL);
    TEST_COND("zero frames refused", bvh_format_smpl22(&text, &len, W, 0, NULL) == MOSA_ERR_ARG);
    bvh_export_opts neg = {-1, 0};
    TEST_COND("negative units refused", bvh_format_smpl22(&text, &len, W, 1, &neg) == MOSA_ERR_ARG);
    TEST_COND("write to a missing directory", bvh_write_smpl22("/nonexistent_dir_mosa/x.bvh", W, T, NULL) == MOSA_ERR_IO);

    /* numbers are written with '.' whatever the locale */
    const char *locs[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "ru_RU.UTF-8", "de_DE.utf8"};
    const char *got = NULL;
    for (size_t i = 0; i < 4 && !got; i++) got = setlocale(LC_NUMERIC, locs[i]);
    if (got) {
        TEST_COND("export under a comma locale", bvh_format_smpl22(&text, &len, W, 2, NULL) == MOSA_OK);
        TEST_COND("no decimal commas", text && strstr(text, "Frame Time: 0.050000") && !strchr(text, ','));
        bvh_file g;
        TEST_COND("parse under a comma locale", text && bvh_parse(&g, "e", (const uint8_t *)text, len) == MOSA_OK &&
                                                    g.frame_time == 0.05);
        bvh_free(&g);
        mosa_free(text);
        setlocale(LC_NUMERIC, "C");
    } else if (getenv("TEST_VERBOSE")) {
        printf("  (no comma-decimal locale installed: locale check skipped)\n");
    }
    free(N);
    free(W);
}

/* ------------------------------------------------------------------------------------------ */
/* Hostile input                                                                               */
/* ------------------------------------------------------------------------------------------ */

static void check_bad_n(const char *descr, const char *text, size_t n, const char *want) {
    bvh_file f;
    mosa_status s = bvh_parse(&f, "t.bvh", (const uint8_t *)text, n);
    int ok = s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), want) != NULL && f.nodes == NULL && f.motion == NULL;
    if (!ok || getenv("TEST_VERBOSE")) printf("  %s: %s\n", descr, s ? mosa_last_error() : "(accepted)");
    TEST_COND(descr, ok);
    if (s == MOSA_OK) bvh_free(&f);
}
static void check_bad(const char *descr, const char *text, const char *want) { check_bad_n(descr, text, strlen(text), want); }

#define SMALL_HEAD "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n JOINT A\n {\n  OFFSET 0 1 0\n  CHANNELS 3 Zrotation Yrotation Xrotation\n  End Site\n  {\n   OFFSET 0 1 0\n  }\n }\n}\n"

static void test_hostile(void) {
    bvh_file f;
    TEST_COND("a small valid file", parse_text(&f, SMALL_HEAD "MOTION\nFrames: 2\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9\n\n1 2 3 4 5 6 7 8 9\n"));
    bvh_free(&f);
    TEST_COND("Frames:N and Time:t glued, .5 and 1e2 numbers, a BOM", parse_text(&f, "\xef\xbb\xbf" SMALL_HEAD "MOTION\nFrames:1\nFrame Time:0.1\n.5 -1e2 +3 4. 5 6 7 8 9"));
    bvh_free(&f);
    TEST_COND("zero frames", parse_text(&f, SMALL_HEAD "MOTION\nFrames: 0\nFrame Time: 0.1\n") && f.n_frames == 0);
    float *J;
    int T;
    TEST_COND("zero frames cannot be imported", bvh_import_smpl22(&f, NULL, &J, &T, NULL) != MOSA_OK);
    bvh_free(&f);

    check_bad("empty file", "", "t.bvh:1: expected 'HIERARCHY' at the start of a BVH file, found the end of the file");
    check_bad("not a BVH", "HIERARCHX\n", "t.bvh:1: expected 'HIERARCHY'");
    check_bad("no ROOT", "HIERARCHY\nMOTION\n", "expected 'ROOT', found 'MOTION'");
    check_bad("brace missing after JOINT",
              "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Zrotation Yrotation Xrotation\n JOINT LeftLeg\n  OFFSET 0 1 0\n",
              "t.bvh:7: expected '{' after 'JOINT LeftLeg', found 'OFFSET'");
    check_bad("bad OFFSET number", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 abc 0\n", "t.bvh:4: expected a number for an OFFSET component, found 'abc'");
    check_bad("hex number", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0x10 0\n", "found '0x10'");
    check_bad("double dot", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 1.2.3 0\n", "found '1.2.3'");
    check_bad("huge OFFSET", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 1e300 0\n", "out of range");
    check_bad("overflowing OFFSET", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 1e400 0\n", "out of range");
    check_bad("NaN OFFSET", "HIERARCHY\nROOT Hips\n{\n OFFSET nan 0 0\n", "found 'nan'");
    check_bad("7 channels", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 7 Xposition\n", "has 7 channels (at most 6)");
    check_bad("channel count not a digit", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS x\n", "expected the channel count");
    check_bad("unknown channel", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 1 Wrotation\n", "t.bvh:5: expected a channel name");
    check_bad("duplicate channel", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 2 Xrotation Xrotation\n", "channel Xrotation listed twice");
    check_bad("two OFFSETs", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n OFFSET 0 0 0\n", "second OFFSET");
    check_bad("JOINT without CHANNELS", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n JOINT A\n", "needs an OFFSET and a CHANNELS line");
    check_bad("channels in an End Site", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 1 Xrotation\n End Site\n {\n OFFSET 0 1 0\n CHANNELS 1 Xrotation\n",
              "t.bvh:9: expected '}' after the OFFSET of an End Site");
    check_bad("End without Site", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 1 Xrotation\n End Sight\n", "expected 'Site' after 'End'");
    check_bad("unknown keyword", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 1 Xrotation\n BONE x\n", "t.bvh:6: expected OFFSET, CHANNELS, JOINT, End Site or '}' in joint 'Hips', found 'BONE'");
    check_bad("truncated in the hierarchy", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 1 Xrotation\n JOINT A {\n OFFSET 0 1",
              "found the end of the file");
    check_bad("extra brace", SMALL_HEAD "}\nMOTION\n", "expected 'ROOT' or 'MOTION', found '}'");
    check_bad("no channels", "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 0\n}\nMOTION\nFrames: 1\nFrame Time: 0.1\n\n", "declares no channels");
    check_bad("no Frames", SMALL_HEAD "MOTION\nFrame Time: 0.1\n", "expected 'Frames:' after MOTION, found 'Frame'");
    check_bad("negative Frames", SMALL_HEAD "MOTION\nFrames: -1\n", "expected the frame count");
    check_bad("1e9 frames declared", SMALL_HEAD "MOTION\nFrames: 1000000000\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9\n",
              "1000000000 frames declared (at most 1000000)");
    check_bad("1e6 frames declared, 1 row", SMALL_HEAD "MOTION\nFrames: 1000000\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9\n",
              "cannot fit in the");
    check_bad("Frame Time 0", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0\n1 2 3 4 5 6 7 8 9\n", "Frame Time 0 s is outside");
    check_bad("Frame Time negative", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: -0.1\n1 2 3 4 5 6 7 8 9\n", "is outside");
    check_bad("Frame Time missing", SMALL_HEAD "MOTION\nFrames: 1\n1 2 3 4 5 6 7 8 9\n", "expected 'Frame' after the frame count, found '1'");
    check_bad("text after Frame Time", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1 1 2 3 4 5 6 7 8 9\n", "unexpected text after the Frame Time");
    check_bad("a row short", SMALL_HEAD "MOTION\nFrames: 2\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9\n1 2 3 4 5 6 7 8\n",
              "t.bvh:20: frame 1 has 8 numbers, expected 9");
    check_bad("a row long", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9 10\n", "frame 0 has more than 9 numbers");
    check_bad("rows missing", SMALL_HEAD "MOTION\nFrames: 3\nFrame Time: 0.1\n1.5 2.5 3.5 4.5 5.5 6.5 7.5 8.5 9.5\n1.5 2.5 3.5 4.5 5.5 6.5 7.5 8.5 9.5\n",
              "'Frames: 3' but the file has 2 data rows");
    check_bad("rows extra", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9\n1 2 3 4 5 6 7 8 9\n",
              "t.bvh:20: more data rows than the 1 declared");
    check_bad("NaN in a row", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1\n1 2 3 nan 5 6 7 8 9\n", "frame 0, channel 3: expected a number, found 'nan'");
    check_bad("inf in a row", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1\n1 2 3 inf 5 6 7 8 9\n", "found 'inf'");
    check_bad("huge number in a row", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1\n1 2 3 4 5e99 6 7 8 9\n", "channel 4: value out of range");
    check_bad("number glued to text", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9x\n", "found '9x'");
    check_bad("comma decimal", SMALL_HEAD "MOTION\nFrames: 1\nFrame Time: 0.1\n1 2 3 4 5 6 7 8 9,5\n", "found '9,5'");
    check_bad("control character", "HIERARCHY\nROOT Hi\x01ps\n", "t.bvh:2: unexpected control character 0x01");
    check_bad_n("NUL byte", "HIERARCHY\nROOT Hi\0ps\n", 19, "unexpected control character 0x00");
    {
        /* long names and tokens, deep nesting, too many End Sites, a very long data line */
        char *buf = malloc(1 << 22);
        size_t k = (size_t)sprintf(buf, "HIERARCHY\nROOT ");
        memset(buf + k, 'a', 300);
        k += 300;
        strcpy(buf + k, " {\n");
        check_bad("token of 300 bytes", buf, "a token longer than 256 bytes");
        k = (size_t)sprintf(buf, "HIERARCHY\nROOT ");
        memset(buf + k, 'a', 100);
        k += 100;
        strcpy(buf + k, " {\n");
        check_bad("name of 100 bytes", buf, "is longer than 63 bytes");
        k = (size_t)sprintf(buf, "HIERARCHY\nROOT R {\nOFFSET 0 0 0\nCHANNELS 3 Xrotation Yrotation Zrotation\n");
        for (int d = 0; d < 300; d++) k += (size_t)sprintf(buf + k, "JOINT J%d {\nOFFSET 0 1 0\nCHANNELS 1 Xrotation\n", d);
        check_bad("300 nested joints", buf, "more than 256 joints");
        k = (size_t)sprintf(buf, "HIERARCHY\nROOT R {\nOFFSET 0 0 0\nCHANNELS 3 Xrotation Yrotation Zrotation\n");
        for (int d = 0; d < 300; d++) k += (size_t)sprintf(buf + k, "End Site { OFFSET 0 1 0 }\n");
        check_bad("300 End Sites", buf, "more than 256 End Sites");
        k = (size_t)sprintf(buf, "HIERARCHY\nROOT R {\nOFFSET 0 0 0\nCHANNELS 3 Xrotation Yrotation Zrotation\n}\nMOTION\nFrames: 1\nFrame Time: 0.1\n");
        for (int i = 0; i < 1200000; i++) buf[k++] = i % 2 ? ' ' : '1';
        buf[k] = 0;
        check_bad("a data line over 1 MiB", buf, "data line longer than 1048576 bytes");
        /* 255 nested joints: at the limit, accepted */
        k = (size_t)sprintf(buf, "HIERARCHY\nROOT R {\nOFFSET 0 0 0\nCHANNELS 1 Xrotation\n");
        for (int d = 0; d < 255; d++) k += (size_t)sprintf(buf + k, "JOINT J%d {\nOFFSET 0 1 0\nCHANNELS 1 Xrotation\n", d);
        for (int d = 0; d < 256; d++) k += (size_t)sprintf(buf + k, "}\n");
        k += (size_t)sprintf(buf + k, "MOTION\nFrames: 1\nFrame Time: 0.1\n");
        for (int d = 0; d < 256; d++) k += (size_t)sprintf(buf + k, "%d ", d);
        TEST_COND("256 nested joints accepted", parse_text(&f, buf) && f.n_joints == 256 && f.n_channels == 256);
        if (f.nodes) {
            double *pos = malloc(sizeof(double) * 3 * (size_t)f.n_nodes);
            bvh_fk(&f, 0, 0, pos);
            TEST_COND("deep chain FK is finite", isfinite(pos[3 * 255 + 1]));
            free(pos);
            TEST_COND("a chain of unnamed joints does not map to SMPL-22",
                      bvh_import_smpl22(&f, NULL, &J, &T, NULL) == MOSA_ERR_MISMATCH && strstr(mosa_last_error(), "no joint found for pelvis") &&
                          strstr(mosa_last_error(), "J0, J1"));
        }
        bvh_free(&f);
        /* every truncation of the CMU file before its last row is refused (a cut inside the last
         * number can leave a shorter valid number: a text format cannot tell) */
        size_t n = (size_t)(strrchr(k_cmu_yup, '\r') - k_cmu_yup);
        while (n > 0 && k_cmu_yup[n - 1] != '\n') n--;
        int all = 1;
        for (size_t cut = 0; cut < n; cut += 7) {
            memcpy(buf, k_cmu_yup, cut);
            bvh_file g;
            mosa_status s = bvh_parse(&g, "t", (const uint8_t *)buf, cut);
            if (s == MOSA_OK) {
                all = 0;
                bvh_free(&g);
            }
        }
        TEST_COND("every truncation of the CMU file is refused", all);
        free(buf);
    }

    /* import-level refusals */
    const char *flat = "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Zrotation Yrotation Xrotation\n"
                       " JOINT LeftUpLeg { OFFSET 0.1 0 0 CHANNELS 0 JOINT LeftLeg { OFFSET 0.4 0 0 CHANNELS 0 JOINT LeftFoot { OFFSET 0.4 0 0 CHANNELS 0 } } }\n"
                       " JOINT RightUpLeg { OFFSET -0.1 0 0 CHANNELS 0 JOINT RightLeg { OFFSET -0.4 0 0 CHANNELS 0 JOINT RightFoot { OFFSET -0.4 0 0 CHANNELS 0 } } }\n"
                       " JOINT Neck { OFFSET 0 -0.5 0 CHANNELS 0 JOINT Head { OFFSET 0 -0.1 0 CHANNELS 0 }\n"
                       "  JOINT LeftArm { OFFSET 0.2 0 0 CHANNELS 0 JOINT LeftForeArm { OFFSET 0.3 0 0 CHANNELS 0 JOINT LeftHand { OFFSET 0.3 0 0 CHANNELS 0 } } }\n"
                       "  JOINT RightArm { OFFSET -0.2 0 0 CHANNELS 0 JOINT RightForeArm { OFFSET -0.3 0 0 CHANNELS 0 JOINT RightHand { OFFSET -0.3 0 0 CHANNELS 0 } } } }\n"
                       "}\nMOTION\nFrames: 1\nFrame Time: 0.05\n0 0 0\n";
    TEST_COND("legs along X parse", parse_text(&f, flat));
    TEST_COND("legs along X: no up axis", bvh_import_smpl22(&f, NULL, &J, &T, NULL) == MOSA_ERR_UNSUPPORTED &&
                                              strstr(mosa_last_error(), "up axis"));
    bvh_import_opts bad_scale = {-2, BVH_UP_AUTO, 0, 0};
    TEST_COND("negative scale refused", bvh_import_smpl22(&f, &bad_scale, &J, &T, NULL) == MOSA_ERR_ARG);
    bvh_free(&f);
    TEST_COND("a tiny skeleton parses", parse_text(&f, k_cmu_yup));
    for (int j = 0; j < f.n_nodes; j++)
        for (int c = 0; c < 3; c++) f.nodes[j].offset[c] *= 1e-6;
    TEST_COND("a 1.4 micro-unit person has no unit", bvh_import_smpl22(&f, NULL, &J, &T, NULL) == MOSA_ERR_UNSUPPORTED &&
                                                         strstr(mosa_last_error(), "no unit"));
    bvh_free(&f);
    TEST_COND("missing file", bvh_read_smpl22("/nonexistent_mosa.bvh", NULL, &J, &T, NULL) == MOSA_ERR_IO && J == NULL);
}

int main(void) {
    test_cmu();
    test_export();
    test_hostile();
    return test_report();
}
