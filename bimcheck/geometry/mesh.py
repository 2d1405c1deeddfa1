"""The triangle mesh every check works on.

A :class:`Mesh` holds world-coordinate vertices in metres (``float64``, shape
``(n, 3)``) and triangles as vertex indices (``int32``, shape ``(m, 3)``),
with coincident vertices welded and degenerate triangles removed. ``closed``
says whether the surface is a closed, consistently oriented 2-manifold, i.e. a
solid whose volume and overlap can be computed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bimcheck.units import WELD_TOLERANCE_M


@dataclass(frozen=True, eq=False)
class Mesh:
    """A welded triangle mesh in world coordinates (metres).

    Use :func:`from_arrays` to build one from raw IfcOpenShell buffers; the
    constructor trusts its arguments.
    """

    vertices: np.ndarray  # (n, 3) float64, metres
    faces: np.ndarray  # (m, 3) int32, indices into vertices
    closed: bool
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def bounds(self) -> np.ndarray:
        """Axis-aligned bounds ``[[xmin, ymin, zmin], [xmax, ymax, zmax]]`` in metres."""
        b = self._cache.get("bounds")
        if b is None:
            if len(self.vertices) == 0:
                b = np.zeros((2, 3))
            else:
                b = np.array([self.vertices.min(axis=0), self.vertices.max(axis=0)])
            b.setflags(write=False)
            self._cache["bounds"] = b
        return b

    @property
    def triangles(self) -> np.ndarray:
        """Triangle corner coordinates, shape ``(m, 3, 3)``, metres."""
        return self.vertices[self.faces]

    @property
    def volume(self) -> float:
        """Enclosed volume in m³ (divergence theorem). Meaningful only when ``closed``;
        positive for outward-facing triangles."""
        v = self._cache.get("volume")
        if v is None:
            if len(self.faces) == 0:
                v = 0.0
            else:
                # Translate to the bounds' centre first: keeps precision at site coordinates.
                t = self.triangles - self.bounds.mean(axis=0)
                v = float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6.0)
            self._cache["volume"] = v
        return v

    @property
    def area(self) -> float:
        """Total surface area in m²."""
        t = self.triangles
        cross = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        return float(0.5 * np.linalg.norm(cross, axis=1).sum())

    def __len__(self) -> int:
        return len(self.faces)


#: Up to this many rows, :func:`_unique_rows` uses a dict instead of numpy.
_SMALL_ROWS = 256


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For an integer array ``(n, k)``: the index of the first occurrence of each
    distinct row (in order of first appearance) and, per row, the number of its
    distinct row in that order. A stable lexsort: several times faster than
    ``np.unique(axis=0)``. Small inputs (most elements: a box has 24 corners
    as the kernel writes them) go through a dict, which beats a dozen numpy
    calls; both give the same result."""
    n = len(rows)
    if n <= _SMALL_ROWS:
        seen: dict[tuple, int] = {}
        first: list[int] = []
        inv: list[int] = []
        for i, row in enumerate(map(tuple, rows.tolist())):
            j = seen.get(row)
            if j is None:
                j = seen[row] = len(first)
                first.append(i)
            inv.append(j)
        return np.array(first, dtype=np.int64), np.array(inv, dtype=np.int64)
    order = np.lexsort(rows.T[::-1])
    ranked = rows[order]
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.any(ranked[1:] != ranked[:-1], axis=1, out=starts[1:])
    group_sorted = np.cumsum(starts) - 1
    first = order[starts]  # stable sort: the smallest original index of each group
    # Renumber groups by first appearance.
    by_appearance = np.argsort(first, kind="stable")
    rank = np.empty_like(by_appearance)
    rank[by_appearance] = np.arange(len(by_appearance))
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = rank[group_sorted]
    return first[by_appearance], inverse


def weld(
    vertices: np.ndarray, faces: np.ndarray, tolerance: float = WELD_TOLERANCE_M
) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices that fall in the same ``tolerance`` (metres) grid cell and
    drop triangles that become degenerate (two equal corners) or are repeated.

    Returns ``(vertices float64 (n, 3), faces int32 (m, 3))``; vertices keep the
    coordinates of the first vertex seen in each cell, in order of first
    appearance, so welding is deterministic and never moves a point by more
    than ``tolerance``.
    """
    vertices = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if len(vertices) == 0 or len(faces) == 0:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int32)
    keys = np.round(vertices / tolerance).astype(np.int64)
    first, inverse = _unique_rows(keys)
    new_vertices = vertices[first]
    new_faces = inverse[faces]
    ok = (
        (new_faces[:, 0] != new_faces[:, 1])
        & (new_faces[:, 1] != new_faces[:, 2])
        & (new_faces[:, 0] != new_faces[:, 2])
    )
    new_faces = new_faces[ok]
    # Drop exact repeats of a triangle with the same orientation (cyclic rotation).
    if len(new_faces):
        roll = np.argmin(new_faces, axis=1)
        idx = (roll[:, None] + np.arange(3)[None, :]) % 3
        canon = np.take_along_axis(new_faces, idx, axis=1)
        keep, _ = _unique_rows(canon)
        new_faces = new_faces[np.sort(keep)]
    # Vertices no face uses any more (only in dropped triangles) are removed.
    used = np.zeros(len(new_vertices), dtype=bool)
    used[new_faces.ravel()] = True
    if not used.all():
        remap = np.cumsum(used) - 1
        new_vertices = new_vertices[used]
        new_faces = remap[new_faces]
    return new_vertices, new_faces.astype(np.int32)


def is_closed(faces: np.ndarray) -> bool:
    """True when every edge is shared by exactly two triangles with opposite
    directions: a closed, consistently oriented 2-manifold surface."""
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if len(faces) < 4:
        return False
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    # Each directed edge must appear once, and its reverse must appear once.
    n = int(directed.max()) + 1
    code = np.sort(directed[:, 0] * n + directed[:, 1])
    if (code[1:] == code[:-1]).any():
        return False
    reverse = directed[:, 1] * n + directed[:, 0]
    pos = np.searchsorted(code, reverse)
    pos[pos == len(code)] = 0
    return bool((code[pos] == reverse).all())


def from_arrays(
    vertices: np.ndarray, faces: np.ndarray, *, tolerance: float = WELD_TOLERANCE_M
) -> Mesh:
    """Build a welded :class:`Mesh` from raw vertices (metres) and triangle indices."""
    v, f = weld(vertices, faces, tolerance)
    v.setflags(write=False)
    f.setflags(write=False)
    return Mesh(vertices=v, faces=f, closed=is_closed(f))


def concatenate(meshes: list[Mesh]) -> Mesh:
    """Join several meshes (e.g. the bodies of one element) into one, re-welded."""
    if len(meshes) == 1:
        return meshes[0]
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    v = np.concatenate([m.vertices for m in meshes])
    f = np.concatenate([m.faces.astype(np.int64) + o for m, o in zip(meshes, offsets, strict=True)])
    return from_arrays(v, f)


def moved(mesh: Mesh, matrix: np.ndarray) -> Mesh:
    """``mesh`` under a rigid 4×4 ``matrix`` (translation in metres), keeping its
    welding and closedness. A mirroring matrix (negative determinant) would turn
    the triangles inside out, so their winding is reversed with it."""
    rot = matrix[:3, :3]
    v = mesh.vertices @ rot.T + matrix[:3, 3]
    f = mesh.faces[:, ::-1].copy() if np.linalg.det(rot) < 0 else mesh.faces
    v.setflags(write=False)
    f.setflags(write=False)
    return Mesh(vertices=v, faces=f, closed=mesh.closed)


def box(lower: tuple[float, float, float], upper: tuple[float, float, float]) -> Mesh:
    """An axis-aligned box from ``lower`` to ``upper`` corner (metres), outward-facing.
    Used by tests and by checks that need simple solids (crane loads, clearances)."""
    (x0, y0, z0), (x1, y1, z1) = lower, upper
    v = np.array(
        [
            [x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
            [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1],
        ],
        dtype=np.float64,
    )
    f = np.array(
        [
            [0, 2, 1], [0, 3, 2],  # bottom (-z)
            [4, 5, 6], [4, 6, 7],  # top (+z)
            [0, 1, 5], [0, 5, 4],  # -y
            [2, 3, 7], [2, 7, 6],  # +y
            [1, 2, 6], [1, 6, 5],  # +x
            [3, 0, 4], [3, 4, 7],  # -x
        ],
        dtype=np.int32,
    )
    return from_arrays(v, f)


def _face_neighbours(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For each triangle and each of its edges k (corner k to k+1): the
    triangle across that edge and whether it runs the edge the same way
    (``(m, 3)`` int64 and bool arrays); ``None`` when an edge does not have
    exactly two triangles (a boundary or non-manifold edge)."""
    m = len(faces)
    a = faces.reshape(-1)  # corner k of face i at 3i+k
    b = faces[:, [1, 2, 0]].reshape(-1)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((hi, lo))
    lo_s, hi_s = lo[order], hi[order]
    if len(order) % 2:
        return None
    # Every undirected edge must appear exactly twice: pairs (0,1), (2,3)...
    first, second = order[0::2], order[1::2]
    if not ((lo_s[0::2] == lo_s[1::2]) & (hi_s[0::2] == hi_s[1::2])).all():
        return None
    if len(first) > 1 and (
        (lo_s[2::2] == lo_s[1:-1:2]) & (hi_s[2::2] == hi_s[1:-1:2])
    ).any():
        return None  # an edge shared by four (or more) triangles
    other = np.empty(3 * m, dtype=np.int64)
    other[first] = second // 3
    other[second] = first // 3
    same = np.empty(3 * m, dtype=bool)
    agree = a[first] == a[second]
    same[first] = agree
    same[second] = agree
    return other.reshape(m, 3), same.reshape(m, 3)


def solid_shells(faces: np.ndarray, vertices: np.ndarray) -> list[np.ndarray] | None:
    """The faces of a mesh as closed, outward-facing shells, or None if it has none.

    Exporters write elements as several shells (a tee as three overlapping
    pipes), shells wound inside out, or shells with a few triangles flipped.
    Each edge-connected component is re-oriented consistently (a breadth-first
    walk that flips neighbours so shared edges run opposite ways) and turned
    outwards (positive volume). Returns the list of ``(k, 3)`` face arrays,
    one per shell, when every component becomes a closed 2-manifold; None when
    any component has a boundary edge or an edge shared by more than two
    triangles (a genuinely open or non-manifold mesh).
    """
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if len(faces) < 4:
        return None
    found = _face_neighbours(faces)
    if found is None:
        return None
    nbr, same = found[0].tolist(), found[1].tolist()
    m = len(faces)
    flip = [False] * m
    component = [-1] * m
    count = 0
    for start in range(m):
        if component[start] >= 0:
            continue
        component[start] = count
        queue = [start]
        while queue:
            i = queue.pop()
            fi = flip[i]
            for j, s in zip(nbr[i], same[i], strict=True):
                # j must run the shared edge the other way round once both
                # are flipped as decided: it flips when it agrees with i.
                want = fi ^ s
                if component[j] < 0:
                    component[j] = count
                    flip[j] = want
                    queue.append(j)
                elif flip[j] != want:
                    return None  # a non-orientable component (a Moebius-like mesh)
        count += 1
    flips = np.array(flip, dtype=bool)
    oriented = faces.copy()
    oriented[flips] = oriented[flips][:, ::-1]
    labels = np.array(component, dtype=np.int64)
    shells = []
    for c in range(count):
        shell = oriented[labels == c]
        t = vertices[shell] - vertices[shell[0, 0]]
        if np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() < 0:
            shell = shell[:, ::-1]
        shells.append(np.ascontiguousarray(shell))
    return shells
