"""Machining drawings: one DXF per ring layer (rings sharing a z), in mm, for cutting the
holder plates. Written from the DXF reference (Autodesk, "DXF Reference", group codes:
0 entity type, 8 layer, 10/20 first point, 11/21 second point, 40 radius) as the plainest
entities every CAM program reads: LINE (each magnet's outline, layer MAGNETS, and its
magnetisation arrow, layer MAGNETISATION) and CIRCLE (upright cylinders, the bore).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from magnets.design import HalbachDesign


def _pairs(code: int, value) -> str:
    return f"{code}\n{value}\n"


def _line(layer: str, a: np.ndarray, b: np.ndarray) -> str:
    return (_pairs(0, "LINE") + _pairs(8, layer) + _pairs(10, f"{a[0]:.6f}") + _pairs(20, f"{a[1]:.6f}")
            + _pairs(30, "0.0") + _pairs(11, f"{b[0]:.6f}") + _pairs(21, f"{b[1]:.6f}") + _pairs(31, "0.0"))


def _circle(layer: str, c: np.ndarray, r: float) -> str:
    return (_pairs(0, "CIRCLE") + _pairs(8, layer) + _pairs(10, f"{c[0]:.6f}") + _pairs(20, f"{c[1]:.6f}")
            + _pairs(30, "0.0") + _pairs(40, f"{r:.6f}"))


def ring_layer_dxf(design: HalbachDesign, z: float) -> str:
    """The DXF text of the magnets whose rings sit at height ``z`` (m), in mm."""
    arr = design.layout()
    names = [f"ring{i}" for i, r in enumerate(design.rings) if abs(r.z - z) < 1e-9]
    sel = np.isin(np.array(arr.group_names)[arr.groups], names)
    body = ""
    for p, rot, dims, kind in zip(arr.positions[sel] * 1e3, arr.rotations[sel], arr.dims[sel] * 1e3, arr.kinds[sel]):
        if kind == 1:  # upright cylinder: a round pocket
            body += _circle("MAGNETS", p, dims[0] / 2)
        else:
            a, b = (dims[0], dims[1]) if kind == 0 else (dims[1], dims[0])
            corners = p[:2] + (np.array([[a, b], [-a, b], [-a, -b], [a, -b]]) / 2) @ rot[:2, :2].T
            body += "".join(_line("MAGNETS", corners[k], corners[(k + 1) % 4]) for k in range(4))
        u = rot[:2, 0] * 0.35 * dims[0]
        body += _line("MAGNETISATION", p[:2] - u, p[:2] + u)
    header = _pairs(0, "SECTION") + _pairs(2, "HEADER") + _pairs(9, "$INSUNITS") + _pairs(70, 4) + _pairs(0, "ENDSEC")
    return header + _pairs(0, "SECTION") + _pairs(2, "ENTITIES") + body + _pairs(0, "ENDSEC") + _pairs(0, "EOF")


def write_ring_layers(design: HalbachDesign, out_dir: str | Path) -> list[Path]:
    """One DXF per distinct ring height: ``layer_z<z in mm>.dxf``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for z in sorted({round(r.z, 12) for r in design.rings}):
        path = out / f"layer_z{z * 1e3:+.2f}mm.dxf"
        path.write_text(ring_layer_dxf(design, z))
        paths.append(path)
    return paths
