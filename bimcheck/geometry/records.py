"""What a tessellation run gives: the meshes, the elements that have none
(and why) and its counters. Plain records, importable without IfcOpenShell
(a result served from the cache holds them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bimcheck.geometry.mesh import Mesh


@dataclass(frozen=True, order=True)
class Failure:
    """An element without a mesh: GlobalId, class and why."""

    global_id: str
    ifc_class: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"global_id": self.global_id, "ifc_class": self.ifc_class, "reason": self.reason}


@dataclass
class TessellationStats:
    """What a tessellation run did. Times in seconds."""

    requested: int = 0
    from_cache: int = 0
    tessellated: int = 0
    reused: int = 0
    csg: int = 0
    faceted: int = 0
    extruded: int = 0
    failed: int = 0
    corrupt_rebuilt: int = 0
    seconds_fingerprint: float = 0.0
    seconds_cache: float = 0.0
    seconds_tessellate: float = 0.0


@dataclass
class Geometry:
    """Meshes of a set of elements, keyed by GlobalId, with what is missing."""

    meshes: dict[str, Mesh]
    failures: list[Failure]
    without_body: list[Failure]
    stats: TessellationStats = field(default_factory=TessellationStats)
    #: The mesh cache key of every element looked up in the cache, by
    #: GlobalId (a digest of its geometry fingerprint and the settings; empty
    #: without a cache).
    keys: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.meshes)
