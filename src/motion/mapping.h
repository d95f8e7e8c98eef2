/* mapping.h: conversions between the joint sets of skeleton.h: SMPL-22 (HumanML3D) and
 * BlazePose-33 (MediaPipe) to OpenPose-18 (DWPose/ControlNet order), and BlazePose-33 to SMPL-22.
 *
 * What this is: per-frame point mappings in 3D, in whatever frame and unit the input uses
 * (SMPL-22: metres, Y up, as HumanML3D). Left/right always mean the person's own left/right:
 * OpenPose R* = SMPL right_* = BlazePose RIGHT_*; a figure facing +Z with Y up has its left side
 * at +X. CONVENTIONS.md 3.3 (OpenPose-18 order), 3.4 (SMPL-22 -> OpenPose-18), 3.5 (BlazePose).
 *
 * What this is not: projection to 2D, occlusion or drawing (src/render), nor a fitted body model:
 * the face points of SMPL-22 -> OpenPose-18 are synthesised from the head, the torso and the
 * facing direction with the fixed offsets below, not regressed from a mesh as HMTV does. */
#ifndef MOSA_MAPPING_H
#define MOSA_MAPPING_H

#include "../base/skeleton.h"

/* Face offsets (metres) used by map_smpl22_to_op18, in the head frame of each frame:
 * u = up along the torso (pelvis 0 -> neck 12; world +Y when degenerate), f = forward =
 * u x across with across = right_shoulder - left_shoulder (right_hip - left_hip when the
 * shoulders are degenerate), made perpendicular to u; l = u x f = the person's left. With H
 * the head joint 15:
 *   nose      = H + 0.100 f - 0.020 u                       (ahead of the head joint, a bit lower)
 *   eyes      = nose -+ 0.035 l + 0.030 u - 0.020 f         (R eye at -l, L eye at +l)
 *   ears      = H -+ 0.075 l - 0.020 f                      (R ear at -l, L ear at +l)
 * An adult head is about 0.15 m wide (ears 0.15 apart), the eyes about 0.065 m apart (pupils),
 * the nose tip about 0.10 m ahead of SMPL's head joint, which sits at the middle of the head. */
#define MAP_NOSE_FORWARD 0.100f
#define MAP_NOSE_DOWN 0.020f
#define MAP_EYE_SIDE 0.035f
#define MAP_EYE_UP 0.030f
#define MAP_EYE_BACK 0.020f
#define MAP_EAR_SIDE 0.075f
#define MAP_EAR_BACK 0.020f

/* OpenPose-18 from one SMPL-22 frame: body joints by name (neck 12, R shoulder/elbow/wrist
 * 17/19/21, L 16/18/20, R hip/knee/ankle 2/5/8, L 1/4/7) and nose, eyes and ears synthesised as
 * above. All confidences are 1 (conf may be NULL). */
void map_smpl22_to_op18(float *op /*(18,3)*/, float *conf /*(18) or NULL*/, const float *j /*(22,3)*/);

/* map_smpl22_to_op18 for each of T frames. */
void map_smpl22_to_op18_seq(float *op /*(T,18,3)*/, const float *j /*(T,22,3)*/, int T);

/* OpenPose-18 from BlazePose-33 landmarks, as DWPose builds OpenPose-18 from COCO-17: nose 0,
 * neck = middle of the shoulders 11/12 with the smaller of their two confidences, R shoulder/
 * elbow/wrist 12/14/16, L 11/13/15, R hip/knee/ankle 24/26/28, L 23/25/27, R eye 5, L eye 2,
 * R ear 8, L ear 7. conf[k] is the visibility of the source landmark (1 when vis is NULL). */
void map_bp33_to_op18(float *op /*(18,3)*/, float *conf /*(18) or NULL*/, const float *bp /*(33,3)*/,
                      const float *vis /*(33) or NULL*/);

/* SMPL-22 joints from BlazePose-33 landmarks (same frame and unit as the input):
 *   pelvis 0            = middle of the hips 23/24
 *   hips 1/2            = BlazePose hips 23/24 moved 20% of the way to the pelvis (SMPL's hip
 *                         joints, the femoral heads, sit inside the surface hip landmarks)
 *   spine1/2/3 3/6/9    = 0.38 / 0.62 / 0.71 of the way from mid-hips to mid-shoulders (SMPL's
 *                         template proportions measured from the hip joints' height)
 *   head 15             = middle of the ears 7/8
 *   neck 12             = 40% of the way from mid-shoulders to the head
 *   collars 13/14       = 45% of the way from the neck to the left/right shoulder
 *   shoulders 16/17, elbows 18/19, wrists 20/21 = 11/12, 13/14, 15/16
 *   knees 4/5, ankles 7/8 = 25/26, 27/28
 *   feet 10/11          = 75% of the way from the ankle to the foot index 31/32 (SMPL's foot
 *                         joint is at the ball of the foot, the landmark at the toe tip). */
void map_bp33_to_smpl22(float *j /*(22,3)*/, const float *bp /*(33,3)*/);

#endif
