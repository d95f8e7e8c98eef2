"""ref_hml.py OUTDIR: HumanML3D 263-d features and recover_from_ric in numpy, for
tests/test_parity_hml.c.

An independent float64 implementation, written from HumanML3D's motion_representation.ipynb
(process_file minus uniform_skeleton, feet_thre 0.002), common/skeleton.py
(inverse_kinematics_np as of 3bbfc2e: it unpacks face_joint_idx [2,1,17,16] as l_hip, r_hip,
sdr_r, sdr_l and sets the first frame's root rotation to the identity),
common/quaternion.py (qbetween, qrot, qmul, quaternion_to_cont6d) and cal_mean_variance.ipynb,
with scipy's gaussian_filter1d(sigma=20, mode='nearest') written out (scipy is not installed).

Motions (joints (T,22,3), metres, Y up), each stored with its canonical joints, root rotations,
features and the joints recover_from_ric decodes from them:
  walk   200 frames: walking with swinging legs and arms, turning 120 degrees, off-origin, rotated
  spin   200 frames: turning in place through a full circle (crosses facing -Z: the arcsin quirk)
  twist   40 frames: torso twisting, arms raised above the head, a crouch
plus mean/std over the three feature sets.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

CHAINS = [[0, 2, 5, 8, 11], [0, 1, 4, 7, 10], [0, 3, 6, 9, 12, 15], [9, 14, 17, 19, 21], [9, 13, 16, 18, 20]]
RAW = np.array([[0, 0, 0], [1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, -1, 0], [0, 1, 0], [0, -1, 0],
                [0, -1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0], [1, 0, 0], [-1, 0, 0], [0, 0, 1],
                [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0], [0, -1, 0]], dtype=np.float64)
PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]
FEET_THRE = 0.002


# ---- quaternions (w, x, y, z), float64 ----

def qmul(q, r):
    w0, x0, y0, z0 = np.moveaxis(q, -1, 0)
    w1, x1, y1, z1 = np.moveaxis(r, -1, 0)
    return np.stack([w0 * w1 - x0 * x1 - y0 * y1 - z0 * z1, w0 * x1 + x0 * w1 + y0 * z1 - z0 * y1,
                     w0 * y1 - x0 * z1 + y0 * w1 + z0 * x1, w0 * z1 + x0 * y1 - y0 * x1 + z0 * w1], -1)


def qinv(q):
    return q * np.array([1, -1, -1, -1])


def qrot(q, v):
    u = q[..., 1:]
    uv = np.cross(u, v)
    return v + 2 * (q[..., :1] * uv + np.cross(u, uv))


def qbetween(a, b):
    c = np.cross(a, b)
    w = np.sqrt((a * a).sum(-1, keepdims=True) * (b * b).sum(-1, keepdims=True)) + (a * b).sum(-1, keepdims=True)
    q = np.concatenate([w, c], -1)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def cont6d(q):
    r, i, j, k = np.moveaxis(q, -1, 0)
    s = 2.0 / (q * q).sum(-1)
    # columns 0 and 1 of the rotation matrix
    return np.stack([1 - s * (j * j + k * k), s * (i * j + k * r), s * (i * k - j * r),
                     s * (i * j - k * r), 1 - s * (i * i + k * k), s * (j * k + i * r)], -1)


def gaussian_nearest(x, sigma=20):
    radius = int(4.0 * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 * k * k / sigma ** 2)
    w /= w.sum()
    T = len(x)
    idx = np.clip(np.arange(T)[:, None] + k[None, :], 0, T - 1)
    return (x[idx] * w[None, :, None]).sum(1)


# ---- process_file ----

def canonicalize(pos):
    pos = pos.copy()
    pos[:, :, 1] -= pos.min(axis=0).min(axis=0)[1]
    init = pos[0].copy()
    pos = pos - init[0] * np.array([1, 0, 1])
    across = (init[2] - init[1]) + (init[17] - init[16])          # r_hip - l_hip + r_sdr - l_sdr
    across = across / np.linalg.norm(across)
    fwd = np.cross(np.array([0, 1, 0]), across)
    fwd = fwd / np.linalg.norm(fwd)
    q = qbetween(fwd, np.array([0.0, 0, 1]))
    return qrot(np.broadcast_to(q, pos.shape[:-1] + (4,)), pos)


def root_rotations(pos):
    # inverse_kinematics_np: l_hip, r_hip, sdr_r, sdr_l = [2, 1, 17, 16]
    across = (pos[:, 1] - pos[:, 2]) + (pos[:, 17] - pos[:, 16])
    across = across / np.linalg.norm(across, axis=-1, keepdims=True)
    fwd = np.cross(np.array([[0, 1, 0]]), across)
    fwd = gaussian_nearest(fwd, 20)
    fwd = fwd / np.linalg.norm(fwd, axis=-1, keepdims=True)
    q = qbetween(fwd, np.array([[0.0, 0, 1]]).repeat(len(fwd), 0))
    q[0] = [1, 0, 0, 0]                                            # root_quat[0] = identity
    return q


def ik(pos, root):
    q = np.zeros(pos.shape[:-1] + (4,))
    q[..., 0] = 1
    q[:, 0] = root
    for chain in CHAINS:
        R = root
        for a, b in zip(chain[:-1], chain[1:]):
            v = pos[:, b] - pos[:, a]
            v = v / np.linalg.norm(v, axis=-1, keepdims=True)
            g = qbetween(RAW[b][None].repeat(len(pos), 0), v)
            loc = qmul(qinv(R), g)
            q[:, b] = loc
            R = qmul(R, loc)
    return q


def features(joints):
    pos = canonicalize(joints)
    T = len(pos)
    r = root_rotations(pos)
    rv = qmul(r[1:], qinv(r[:-1]))
    vel = qrot(r[1:], pos[1:, 0] - pos[:-1, 0])
    loc = pos.copy()
    loc[..., 0] -= pos[:, 0:1, 0]
    loc[..., 2] -= pos[:, 0:1, 2]
    ric = qrot(np.repeat(r[:, None], 22, 1), loc)
    rot = cont6d(ik(pos, r))
    lvel = qrot(np.repeat(r[:-1, None], 22, 1), pos[1:] - pos[:-1])
    d = ((pos[1:] - pos[:-1]) ** 2).sum(-1)
    assert np.abs(d[:, [7, 10, 8, 11]] - FEET_THRE).min() > 1e-6, "a foot is too close to the contact threshold"
    feet = (d[:, [7, 10, 8, 11]] < FEET_THRE).astype(np.float64)
    feat = np.concatenate([np.arcsin(rv[:, 2:3]), vel[:, [0, 2]], pos[:-1, 0, 1:2], ric[:-1, 1:].reshape(T - 1, -1),
                           rot[:-1, 1:].reshape(T - 1, -1), lvel.reshape(T - 1, -1), feet], -1)
    assert feat.shape == (T - 1, 263)
    return pos, r, feat


def recover_from_ric(data):
    T = len(data)
    ang = np.zeros(T)
    ang[1:] = data[:-1, 0]
    ang = np.cumsum(ang)
    q = np.zeros((T, 4))
    q[:, 0] = np.cos(ang)
    q[:, 2] = np.sin(ang)
    rp = np.zeros((T, 3))
    rp[1:, [0, 2]] = data[:-1, 1:3]
    rp = np.cumsum(qrot(qinv(q), rp), 0)
    rp[:, 1] = data[:, 3]
    p = data[:, 4:67].reshape(T, 21, 3)
    p = qrot(np.repeat(qinv(q)[:, None], 21, 1), p)
    p[..., 0] += rp[:, None, 0]
    p[..., 2] += rp[:, None, 2]
    return np.concatenate([rp[:, None], p], 1)


def mean_std(feats):
    data = np.concatenate(feats, 0)
    mean, std = data.mean(0), data.std(0)
    for a, b in [(0, 1), (1, 3), (3, 4), (4, 67), (67, 193), (193, 259), (259, 263)]:
        std[a:b] = std[a:b].mean() / 1.0
    return mean, std


# ---- motions ----

# Anatomical rest offsets of each joint from its parent (metres), facing +Z, left at +X.
REST = np.array([[0, 0, 0], [0.08, -0.04, 0], [-0.08, -0.04, 0], [0, 0.11, -0.01], [0, -0.40, 0.01],
                 [0, -0.40, 0.01], [0, 0.13, 0.01], [0, -0.40, -0.02], [0, -0.40, -0.02], [0, 0.06, 0],
                 [0, -0.05, 0.13], [0, -0.05, 0.13], [0, 0.19, 0.01], [0.07, 0.10, 0], [-0.07, 0.10, 0],
                 [0, 0.10, 0.03], [0.12, 0.01, 0], [-0.12, 0.01, 0], [0.01, -0.28, 0], [-0.01, -0.28, 0],
                 [0, -0.25, 0.02], [0, -0.25, 0.02]])


def rx(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def ry(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rz(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def fk(local, root_pos, heading):
    """local: dict joint -> 3x3 local rotation; returns (22,3) world positions."""
    G = [None] * 22
    p = np.zeros((22, 3))
    G[0] = ry(heading) @ local.get(0, np.eye(3))
    p[0] = root_pos
    for j in range(1, 22):
        par = PARENTS[j]
        p[j] = p[par] + G[par] @ REST[j]
        G[j] = G[par] @ local.get(j, np.eye(3))
    return p


def walk(T=200, turn=np.radians(120), heading0=0.7, origin=(1.5, 0.3, -2.0)):
    out = np.zeros((T, 22, 3))
    pos = np.array(origin, dtype=np.float64)
    for t in range(T):
        ph = 2 * np.pi * 0.9 * t / 20
        h = heading0 + turn * (0.5 - 0.5 * np.cos(np.pi * t / (T - 1)))
        loc = {1: rx(-0.45 * np.sin(ph)), 2: rx(0.45 * np.sin(ph)), 4: rx(0.6 * max(0.0, np.sin(ph + 1.2))),
               5: rx(0.6 * max(0.0, -np.sin(ph + 1.2))), 7: rx(0.15 * np.cos(ph)), 8: rx(-0.15 * np.cos(ph)),
               16: rz(-0.1) @ rx(0.35 * np.sin(ph)), 17: rz(0.1) @ rx(-0.35 * np.sin(ph)),
               18: rx(-0.3 - 0.2 * np.sin(ph)), 19: rx(-0.3 + 0.2 * np.sin(ph)), 3: ry(0.08 * np.sin(ph)),
               12: rx(0.05 * np.sin(2 * ph))}
        out[t] = fk(loc, pos + np.array([0, 0.03 * np.cos(2 * ph), 0]), h)
        pos = pos + 0.06 * np.array([np.sin(h), 0, np.cos(h)])
    return out


def spin(T=200):
    out = np.zeros((T, 22, 3))
    for t in range(T):
        h = 2 * np.pi * t / (T - 1) * 1.1
        loc = {1: rx(-0.2 * np.sin(0.5 * t)), 2: rx(0.2 * np.sin(0.5 * t)), 16: rz(-0.3), 17: rz(0.3)}
        out[t] = fk(loc, np.array([0.2, 0.95, 0.1]), h)
    return out


def twist(T=40):
    out = np.zeros((T, 22, 3))
    for t in range(T):
        a = t / (T - 1)
        crouch = 0.8 * np.sin(np.pi * a)
        loc = {1: rx(-crouch), 2: rx(-crouch), 4: rx(2 * crouch), 5: rx(2 * crouch), 7: rx(-crouch), 8: rx(-crouch),
               3: ry(0.5 * np.sin(2 * np.pi * a)), 6: ry(0.3 * np.sin(2 * np.pi * a)),
               16: rz(2.6 * a), 17: rz(-2.6 * a), 18: rx(-1.0 * a), 19: rx(-1.2 * a)}
        root = np.array([-0.4 + 0.01 * t, 0.95 - 0.35 * crouch / 0.8, 0.7])
        out[t] = fk(loc, root, -2.0 + 0.02 * t)
    return out


def main():
    out = {}
    feats = []
    for name, j in [("walk", walk()), ("spin", spin()), ("twist", twist())]:
        canon, r, feat = features(j)
        out[name + ".joints"] = j
        out[name + ".canon"] = canon
        out[name + ".rq"] = r
        out[name + ".feat"] = feat
        out[name + ".rec"] = recover_from_ric(feat)
        feats.append(feat)
    mean, std = mean_std(feats)
    out["meanstd.mean"] = mean
    out["meanstd.std"] = std
    st_io.save(os.path.join(sys.argv[1], "hml.safetensors"), out)
    print(f"  hml: {len(out)} tensors")


if __name__ == "__main__":
    main()
