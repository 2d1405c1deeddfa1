"""Shapes compared as meshes: the same within
:data:`~bimcheck.units.DIFF_MESH_TOLERANCE_M`, in each element's own frame.

Two meshes of one shape may differ in their triangles' order and in float
noise (a re-export that formats numbers otherwise); they are the same when
their bounds agree, their volumes agree to the tolerance times their area,
and every vertex of each lies within the tolerance of a vertex of the other
(a grid of tolerance-sized cells makes that test linear).
"""

from __future__ import annotations

import numpy as np

from bimcheck.diff.snapshot import ElementState
from bimcheck.geometry.mesh import Mesh
from bimcheck.units import DIFF_MESH_TOLERANCE_M


def local_vertices(state: ElementState, mesh: Mesh) -> np.ndarray:
    """The mesh's vertices in the element's own frame (m); world when the
    placement is unknown."""
    if state.placement is None:
        return mesh.vertices
    inverse = np.linalg.inv(state.placement)
    return mesh.vertices @ inverse[:3, :3].T + inverse[:3, 3]


def _same_sorted(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Fast path: the same number of vertices, equal within ``tol`` once both are
    sorted (on a grid 100 times coarser, so float noise does not reorder them)."""
    if a.shape != b.shape:
        return False
    coarse = 100 * tol
    oa = np.lexsort(np.floor(a / coarse).T[::-1])
    ob = np.lexsort(np.floor(b / coarse).T[::-1])
    return bool(np.max(np.abs(a[oa] - b[ob])) <= tol)


def _covered(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Whether every point of ``a`` lies within ``tol`` of a point of ``b``."""
    cells: dict[tuple[int, int, int], list[int]] = {}
    keys = np.floor(b / tol).astype(np.int64)
    for i, k in enumerate(map(tuple, keys)):
        cells.setdefault(k, []).append(i)  # type: ignore[arg-type]
    offsets = [(x, y, z) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)]
    for p, k in zip(a, np.floor(a / tol).astype(np.int64), strict=True):
        found = False
        for dx, dy, dz in offsets:
            for j in cells.get((k[0] + dx, k[1] + dy, k[2] + dz), ()):
                if float(np.max(np.abs(b[j] - p))) <= tol:
                    found = True
                    break
            if found:
                break
        if not found:
            return False
    return True


def same_shape(a: np.ndarray, a_mesh: Mesh, b: np.ndarray, b_mesh: Mesh) -> bool:
    """Whether two meshes (vertices ``a``, ``b`` in their own frames) are the
    same shape within :data:`DIFF_MESH_TOLERANCE_M`."""
    tol = DIFF_MESH_TOLERANCE_M
    if len(a) == 0 or len(b) == 0:
        return len(a) == len(b)
    if np.max(np.abs(a.min(axis=0) - b.min(axis=0))) > tol:
        return False
    if np.max(np.abs(a.max(axis=0) - b.max(axis=0))) > tol:
        return False
    area = max(a_mesh.area, b_mesh.area)
    if abs(a_mesh.volume - b_mesh.volume) > tol * max(area, 1e-9):
        return False
    if _same_sorted(a, b, tol):
        return True
    return _covered(a, b, tol) and _covered(b, a, tol)
