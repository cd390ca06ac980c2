"""Field engines: a fast vectorised point-dipole kernel (design, optimisation) and the exact
fields of cuboids (our closed form, :mod:`magnets.cuboid_field`) and cylinders (magpylib's
functional kernel) for verification and reports.

The dipole kernel is written as matrix products so that numpy's BLAS does the heavy lifting:
with d = r_obs - r_mag, m.d = obs.m - pos.m and |d|^2 = |obs|^2 + |pos|^2 - 2 obs.pos, so

    B = (1/4pi) sum_m [ 3 d (u.d) / |d|^5 - u / |d|^3 ] B_r V
      = (1/4pi) [ obs * sum_m w - w @ pos - (1/|d|^3) @ (B_r V u) ],  w = 3 B_r V (u.d) / |d|^5

(mu0 cancels: m = B_r V / mu0). Only (P, M) scalar arrays are formed, never (P, M, 3).
Its error against a finite cube is about 0.06 (a/r)^4 at a ring centre and 0.25 (a/r)^4
pointwise (computed with magpylib, docs/references.md): design with dipoles, verify exactly.
"""
from __future__ import annotations

import contextlib

import numpy as np

from magnets.cuboid_field import CHUNK_PAIRS as CUBOID_CHUNK_PAIRS, cuboid_field_parts, cuboid_field_z
from magnets.design import HalbachDesign, MagnetArray

#: Observer-magnet pairs per block: bounds temporary memory to ~10 arrays x 8 B x CHUNK.
CHUNK_PAIRS = 1 << 18
#: Pairs per block of the exact engine (the cuboid kernel works through them in cache-sized parts).
EXACT_CHUNK_PAIRS = 1 << 16

_blas = None


def _one_blas_thread():
    """A context running BLAS single-threaded. The kernel's products are skinny (inner or outer
    dimension 3): a second thread gains nothing on an idle 2-core machine (64 vs 68 ms for
    1000 magnets x 1e4 points) but costs 7-13x when the cores are shared (810 vs 116 ms
    measured under load)."""
    global _blas
    if _blas is None:  # built on first use: finding the BLAS libraries takes a while
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def _as_points(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    if pts.ndim == 1:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"observer points must have shape (P, 3) in m, got {pts.shape}")
    return pts


def _as_array(source: HalbachDesign | MagnetArray) -> MagnetArray:
    return source.layout() if isinstance(source, HalbachDesign) else source


def dipole_field(points: np.ndarray, source: HalbachDesign | MagnetArray,
                 chunk_pairs: int = CHUNK_PAIRS) -> np.ndarray:
    """B (T), shape (P, 3), of every magnet treated as a point dipole at its centre."""
    obs = _as_points(points)
    arr = _as_array(source)
    pos = arr.positions
    q = arr.directions * (arr.br * arr.volumes)[:, None] / (4 * np.pi)  # B_r V u / 4pi, (M, 3)
    pos_q = np.einsum("ij,ij->i", pos, q)
    pos2 = np.einsum("ij,ij->i", pos, pos)
    out = np.empty_like(obs)
    step = max(1, chunk_pairs // max(1, len(pos)))
    with _one_blas_thread() if len(obs) * len(pos) > 50_000 else contextlib.nullcontext():
        for s in range(0, len(obs), step):
            _dipole_block(obs[s:s + step], pos, q, pos_q, pos2, out[s:s + step])
    return out


def _dipole_block(o: np.ndarray, pos: np.ndarray, q: np.ndarray, pos_q: np.ndarray, pos2: np.ndarray,
                  out: np.ndarray) -> None:
    """One block of observers, written into ``out`` (see the module docstring for the algebra)."""
    r2 = np.einsum("ij,ij->i", o, o)[:, None] + pos2[None, :]
    r2 -= 2.0 * (o @ pos.T)
    inv3 = r2 ** -1.5
    w = o @ q.T
    w -= pos_q
    w *= inv3
    w /= r2
    w *= 3.0
    out[:] = o * w.sum(axis=1)[:, None] - w @ pos - inv3 @ q


def dipole_field_plain(points: np.ndarray, source: HalbachDesign | MagnetArray,
                       chunk_pairs: int = CHUNK_PAIRS) -> np.ndarray:
    """The textbook broadcast (P, M, 3) point-dipole sum: the benchmark baseline and a cross-check."""
    obs = _as_points(points)
    arr = _as_array(source)
    m = arr.directions * (arr.br * arr.volumes)[:, None] / (4 * np.pi)
    out = np.empty_like(obs)
    step = max(1, chunk_pairs // max(1, len(m)))
    for s in range(0, len(obs), step):
        d = obs[s:s + step, None, :] - arr.positions[None, :, :]
        r = np.linalg.norm(d, axis=2)
        mdotd = np.einsum("pmi,mi->pm", d, m)
        b = 3 * d * (mdotd / r**5)[:, :, None] - m[None, :, :] / (r**3)[:, :, None]
        out[s:s + step] = b.sum(axis=1)
    return out


def _magpylib():
    """magpylib, imported on first use of the exact engine (its import is slow)."""
    import magpylib

    return magpylib


def exact_field(points: np.ndarray, source: HalbachDesign | MagnetArray,
                chunk_pairs: int = EXACT_CHUNK_PAIRS) -> np.ndarray:
    """B (T), shape (P, 3), from the analytic fields of uniformly magnetised cuboids (our
    closed form, :mod:`magnets.cuboid_field`) and cylinders (magpylib's functional kernel);
    rigid magnets, mu_r = 1. Observers are moved into each magnet's own frame here (numpy), so
    the kernels run on plain arrays: no magnet objects and no per-pair scipy Rotation objects
    (both cost more than the field kernel itself)."""
    obs = _as_points(points)
    out = np.zeros_like(obs)
    with _one_blas_thread():  # the sums over magnets are skinny matrix-vector products
        for rows, _, b in _exact_blocks(obs, _as_array(source), chunk_pairs, summed=True):
            out[rows] += b
    return out


#: Body axes (x, y, z) -> the cuboid kernel's (y, z, x): its polarisation axis z is the body x
#: our cuboids are magnetised along; R @ _TO_KERNEL.T takes kernel-frame vectors to the lab.
_TO_KERNEL = np.array([[0.0, 1, 0], [0, 0, 1], [1, 0, 0]])
_RY90 = np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]])  # body z -> body x for axial cylinders


def _local_field(kind: int, local: np.ndarray, dims: np.ndarray, br: np.ndarray) -> np.ndarray:
    """B in each magnet's kernel frame at ``local`` (n, 3), per pair: ``dims`` (n, 3), ``br`` (n,)."""
    if kind == 0:
        return cuboid_field_z(local, 0.5 * dims[:, [1, 2, 0]], br)
    zero = np.zeros_like(br)
    pol = np.column_stack([zero, zero, br]) if kind == 2 else np.column_stack([br, zero, zero])
    return np.asarray(_magpylib().func.cylinder_field("B", local, dims[:, :2], pol))


def _kernel_rotations(kind: int, rot: np.ndarray) -> np.ndarray:
    """Per magnet, the matrix taking its kernel-frame vectors to the lab frame."""
    if kind == 0:
        return rot @ _TO_KERNEL.T
    return rot @ _RY90 if kind == 2 else rot


def _exact_blocks(obs: np.ndarray, arr: MagnetArray, chunk_pairs: int, summed: bool = False):
    """(observer slice, magnet indices, B in the lab frame) blocks of the exact field: B is
    (p, m, 3), or (p, 3) summed over the block's magnets when ``summed``."""
    for kind in np.unique(arr.kinds):
        sel = arr.kinds == kind
        pos, br, dims = arr.positions[sel], arr.br[sel], arr.dims[sel]
        rot = _kernel_rotations(int(kind), arr.rotations[sel])
        m = len(pos)
        if kind == 0:
            yield from _cuboid_blocks(obs, pos, rot, 0.5 * dims[:, [1, 2, 0]], br, np.flatnonzero(sel), summed)
            continue
        step = max(1, chunk_pairs // m)
        for s in range(0, len(obs), step):
            o = obs[s:s + step]
            p = len(o)
            local = np.einsum("mji,pmj->pmi", rot, o[:, None, :] - pos[None, :, :]).reshape(-1, 3)
            b = _local_field(int(kind), local, np.tile(dims, (p, 1)), np.tile(br, p)).reshape(p, m, 3)
            lab = np.einsum("mij,pmj->pi" if summed else "mij,pmj->pmi", rot, b)
            yield slice(s, s + step), np.flatnonzero(sel), lab


def _cuboid_blocks(obs: np.ndarray, pos: np.ndarray, rot: np.ndarray, half: np.ndarray, br: np.ndarray,
                   idx: np.ndarray, summed: bool):
    """:func:`_exact_blocks` for cuboids: (observers x magnets) blocks of about the kernel's
    cache-sized chunk, the per-magnet sizes broadcast (never tiled), the frame changes written
    out per component and the sum over magnets as matrix-vector products."""
    m = len(pos)
    step = max(1, CUBOID_CHUNK_PAIRS // m)
    a, b, c = half[:, 0], half[:, 1], half[:, 2]
    for s in range(0, len(obs), step):
        o = obs[s:s + step]
        d = [o[:, i, None] - pos[None, :, i] for i in range(3)]  # (p, m) each
        local = [d[0] * rot[:, 0, i] + d[1] * rot[:, 1, i] + d[2] * rot[:, 2, i] for i in range(3)]
        f = cuboid_field_parts(*local, a, b, c, br)
        if summed:
            lab = np.column_stack([sum(f[j] @ rot[:, i, j] for j in range(3)) for i in range(3)])
        else:
            lab = np.stack([f[0] * rot[:, i, 0] + f[1] * rot[:, i, 1] + f[2] * rot[:, i, 2] for i in range(3)],
                           axis=2)
        yield slice(s, s + step), idx, lab


def _near_distance(arr: MagnetArray, ratio: float) -> np.ndarray:
    """Per magnet, the distance beyond which its point-dipole field is exact to ~1e-6 of its
    own contribution: cubes (no quadrupole moment: error ~0.25 (a/r)^4) ``ratio`` x their edge;
    other shapes (error ~ (a/r)^2) 1000 x their largest size."""
    size = arr.dims.max(axis=1)
    cube = (arr.kinds == 0) & (np.ptp(arr.dims, axis=1) <= 1e-12 * size)
    return np.where(cube, ratio, 1000.0) * size


def _pairs_exact(o: np.ndarray, idx: np.ndarray, arr: MagnetArray) -> np.ndarray:
    """Exact B (lab frame) of magnet idx[k] at point o[k], pair by pair."""
    out = np.zeros_like(o)
    for kind in np.unique(arr.kinds[idx]):
        k = arr.kinds[idx] == kind
        m = idx[k]
        rot = _kernel_rotations(int(kind), arr.rotations[m])
        local = np.einsum("kji,kj->ki", rot, o[k] - arr.positions[m])
        out[k] = np.einsum("kij,kj->ki", rot, _local_field(int(kind), local, arr.dims[m], arr.br[m]))
    return out


def fast_exact_field(points: np.ndarray, source: HalbachDesign | MagnetArray, ratio: float = 20.0,
                     chunk_pairs: int = 1 << 20) -> np.ndarray:
    """The exact field where it matters: the dipole sum for every pair, replaced by magpylib's
    exact shape for the pairs closer than :func:`_near_distance` (so it agrees with
    :func:`exact_field` to ~1e-6 of the far magnets' field). For maps of large designs, whose
    points are near only a few magnets each."""
    obs = _as_points(points)
    arr = _as_array(source)
    with np.errstate(divide="ignore", invalid="ignore"):  # a point on a magnet's centre: replaced below
        out = dipole_field(obs, arr)
    near_at = _near_distance(arr, ratio)
    q = arr.directions * (arr.br * arr.volumes)[:, None] / (4 * np.pi)
    pos = arr.positions
    pos2, near2 = np.einsum("ij,ij->i", pos, pos), near_at * near_at
    step = max(1, chunk_pairs // max(1, len(arr)))
    with _one_blas_thread():
        for s in range(0, len(obs), step):
            o = obs[s:s + step]
            # |o - pos|^2 as one skinny product: only the near pairs get their vectors formed
            r2 = np.einsum("ij,ij->i", o, o)[:, None] + pos2[None, :]
            r2 -= 2.0 * (o @ pos.T)
            pi, mi = np.nonzero(r2 < near2[None, :])
            if not len(pi):
                continue
            d = o[pi] - pos[mi]
            rr = np.sqrt(np.einsum("ki,ki->k", d, d))[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):  # rr = 0 at a magnet's centre: see below
                dip = 3 * d * np.einsum("ki,ki->k", d, q[mi])[:, None] / rr**5 - q[mi] / rr**3
            np.add.at(out, s + pi, _pairs_exact(o[pi], mi, arr) - dip)
    bad = ~np.isfinite(out).all(axis=1)
    if bad.any():  # an observer at a magnet's centre, where its dipole is 0/0: the exact sum there
        out[bad] = exact_field(obs[bad], arr)
    return out


def per_magnet_field(points: np.ndarray, source: HalbachDesign | MagnetArray, engine: str = "exact") -> np.ndarray:
    """B (T) of every magnet alone, shape (M, P, 3): the columns of linear shim and fit problems."""
    obs = _as_points(points)
    arr = _as_array(source)
    out = np.zeros((len(arr), len(obs), 3))
    if engine == "exact":
        for rows, idx, b in _exact_blocks(obs, arr, EXACT_CHUNK_PAIRS):
            out[idx, rows] = b.transpose(1, 0, 2)
        return out
    q = arr.directions * (arr.br * arr.volumes)[:, None] / (4 * np.pi)
    for k in range(len(arr)):  # dipoles: the closed form, one magnet at a time
        d = obs - arr.positions[k]
        r = np.linalg.norm(d, axis=1)[:, None]
        out[k] = 3 * d * (d @ q[k])[:, None] / r**5 - q[k] / r**3
    return out


ENGINES = {"dipole": dipole_field, "exact": exact_field, "plain": dipole_field_plain}


def field(points: np.ndarray, source: HalbachDesign | MagnetArray, engine: str = "dipole") -> np.ndarray:
    """B (T) at ``points`` with the named engine: 'dipole' (fast) or 'exact' (closed-form shapes)."""
    try:
        fn = ENGINES[engine]
    except KeyError:
        raise ValueError(f"unknown field engine {engine!r}; use one of {sorted(ENGINES)}") from None
    return fn(points, source)


def gradient_tensor(point: np.ndarray, source: HalbachDesign | MagnetArray, engine: str = "dipole",
                    step: float = 1e-5) -> np.ndarray:
    """dB_i/dx_j (T/m) at one point by central differences (the fields are smooth in the bore)."""
    p = np.asarray(point, float).reshape(3)
    offs = np.vstack([np.eye(3) * step, -np.eye(3) * step]) + p
    b = field(offs, _as_array(source), engine)
    return ((b[:3] - b[3:]) / (2 * step)).T


def magpylib_objects(source: HalbachDesign | MagnetArray) -> list:
    """One magpylib magnet object per magnet (for forces, plots or export)."""
    from scipy.spatial.transform import Rotation

    magpy = _magpylib()
    arr = _as_array(source)
    ry90 = _RY90
    out = []
    for pos, rot, br, dims, kind in zip(arr.positions, arr.rotations, arr.br, arr.dims, arr.kinds):
        if kind == 0:
            out.append(magpy.magnet.Cuboid(dimension=dims, polarization=(br, 0, 0), position=pos,
                                           orientation=Rotation.from_matrix(rot)))
        elif kind == 1:
            out.append(magpy.magnet.Cylinder(dimension=dims[:2], polarization=(br, 0, 0), position=pos,
                                             orientation=Rotation.from_matrix(rot)))
        else:
            out.append(magpy.magnet.Cylinder(dimension=dims[:2], polarization=(0, 0, br), position=pos,
                                             orientation=Rotation.from_matrix(rot @ ry90)))
    return out
