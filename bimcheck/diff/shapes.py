"""Shapes compared as meshes: the same within
:data:`~bimcheck.units.DIFF_MESH_TOLERANCE_M`, in each element's own frame.

Two meshes of one shape may differ in their triangles' order, in float
noise (a re-export that formats numbers otherwise) and in their
triangulation (a boolean result re-meshed from slightly other numbers); they
are the same when their bounds agree, their volumes agree to the tolerance
times their area, and every vertex of each lies within the tolerance of the
other's surface: of one of its vertices (a grid of tolerance-sized cells
makes that test linear), else of one of its triangles. Two closed meshes
that fail that (the kernel triangulated a non-convex face with overlapping
triangles in one of them) are still the same solid when their centroids and
second moments agree as well, to what moving material by the tolerance
would change.
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


def _uncovered(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """The points of ``a`` with no point of ``b`` within ``tol`` (each axis)."""
    cells: dict[tuple[int, int, int], list[int]] = {}
    for i, k in enumerate(map(tuple, np.floor(b / tol).astype(np.int64))):
        cells.setdefault(k, []).append(i)  # type: ignore[arg-type]
    offsets = [(x, y, z) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)]
    left = []
    for n, (p, k) in enumerate(zip(a, np.floor(a / tol).astype(np.int64), strict=True)):
        near = [j for dx, dy, dz in offsets
                for j in cells.get((k[0] + dx, k[1] + dy, k[2] + dz), ())]
        if not near or float(np.min(np.max(np.abs(b[near] - p), axis=1))) > tol:
            left.append(n)
    return a[left]


def _distance_to_triangles(p: np.ndarray, a: np.ndarray, b: np.ndarray,
                           c: np.ndarray) -> float:
    """Least distance (m) from point ``p`` to the triangles ``(a, b, c)``
    (each ``(n, 3)``): the closest point by barycentric region (Ericson,
    Real-Time Collision Detection, 5.1.5), vectorised over the triangles."""
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = np.einsum("ij,ij->i", ab, ap), np.einsum("ij,ij->i", ac, ap)
    bp = p - b
    d3, d4 = np.einsum("ij,ij->i", ab, bp), np.einsum("ij,ij->i", ac, bp)
    cp = p - c
    d5, d6 = np.einsum("ij,ij->i", ab, cp), np.einsum("ij,ij->i", ac, cp)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va + vb + vc
        v = np.where(denom != 0, vb / denom, 0.0)
        w = np.where(denom != 0, vc / denom, 0.0)
        closest = a + ab * v[:, None] + ac * w[:, None]  # inside the face
        # edge regions, then vertex regions (later assignments win)
        t_ab = np.clip(np.where(d1 - d3 != 0, d1 / (d1 - d3), 0.0), 0, 1)
        t_ac = np.clip(np.where(d2 - d6 != 0, d2 / (d2 - d6), 0.0), 0, 1)
        t_bc = np.clip(np.where((d4 - d3) + (d5 - d6) != 0,
                                (d4 - d3) / ((d4 - d3) + (d5 - d6)), 0.0), 0, 1)
    on_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    on_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    on_bc = (va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0)
    closest = np.where(on_ab[:, None], a + ab * t_ab[:, None], closest)
    closest = np.where(on_ac[:, None], a + ac * t_ac[:, None], closest)
    closest = np.where(on_bc[:, None], b + (c - b) * t_bc[:, None], closest)
    closest = np.where(((d1 <= 0) & (d2 <= 0))[:, None], a, closest)
    closest = np.where(((d3 >= 0) & (d4 <= d3))[:, None], b, closest)
    closest = np.where(((d6 >= 0) & (d5 <= d6))[:, None], c, closest)
    return float(np.min(np.linalg.norm(closest - p, axis=1)))


def _on_surface(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                tol: float) -> bool:
    """Whether every point lies within ``tol`` of the triangles (a vertex of one
    triangulation on an edge or a face of the other)."""
    if len(points) == 0:
        return True
    if len(faces) == 0:
        return False
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    return all(_distance_to_triangles(p, a, b, c) <= tol for p in points)


def _moments(vertices: np.ndarray, faces: np.ndarray,
             origin: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Volume (m³), centroid (m, about ``origin``) and second moments per
    volume (m², 3 × 3) of a closed mesh, by signed tetrahedra from ``origin``:
    overlapping or otherwise arranged triangles of one solid give the same."""
    t = vertices[faces] - origin
    a, b, c = t[:, 0], t[:, 1], t[:, 2]
    det = np.einsum("ij,ij->i", a, np.cross(b, c))
    volume = float(det.sum() / 6.0)
    if abs(volume) < 1e-15:
        return volume, np.zeros(3), np.zeros((3, 3))
    s = a + b + c
    centroid = (det[:, None] * s).sum(axis=0) / 24.0 / volume
    second = (np.einsum("n,nki,nkj->ij", det, t, t)
              + np.einsum("n,ni,nj->ij", det, s, s)) / 120.0 / volume
    return volume, centroid, second


def _same_solid(a: np.ndarray, a_mesh: Mesh, b: np.ndarray, b_mesh: Mesh, tol: float) -> bool:
    """Whether two closed meshes bound the same solid as far as their volume,
    centroid and second moments tell, within ``tol`` of moving material: the
    test for two triangulations of a face the kernel made differently (one
    with overlapping triangles) that no vertex test can pass."""
    if not (a_mesh.closed and b_mesh.closed):
        return False
    origin = (a.min(axis=0) + a.max(axis=0)) / 2
    size = float(np.linalg.norm(a.max(axis=0) - a.min(axis=0)))
    va, ca, ma = _moments(a, a_mesh.faces, origin)
    vb, cb, mb = _moments(b, b_mesh.faces, origin)
    if va <= 0 or vb <= 0:
        return False
    return bool(np.max(np.abs(ca - cb)) <= tol and np.max(np.abs(ma - mb)) <= 2 * tol * size)


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
    # Another triangulation of the same surface (a boolean or a faceted body
    # re-meshed from slightly other numbers): vertices of one that are not
    # vertices of the other must lie on its surface.
    if (_on_surface(_uncovered(a, b, tol), b, b_mesh.faces, tol)
            and _on_surface(_uncovered(b, a, tol), a, a_mesh.faces, tol)):
        return True
    return _same_solid(a, a_mesh, b, b_mesh, tol)
