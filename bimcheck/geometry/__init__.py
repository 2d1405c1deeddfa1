"""Geometry engine: tessellation with a disk cache, a broad-phase index and
narrow-phase queries (distance, intersection, overlap volume).

All coordinates are world coordinates in metres.
"""

from bimcheck.geometry.mesh import Mesh, from_arrays

__all__ = ["Mesh", "from_arrays"]
