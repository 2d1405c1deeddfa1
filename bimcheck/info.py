"""``bimcheck info``: what a model holds and whether its geometry can be made.

:func:`inspect_model` opens a model, tessellates every element with a body
(through the cache), and returns an :class:`InfoReport`; its :meth:`as_dict`
is the deterministic JSON document (timings are left out unless asked for,
because they differ from run to run).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.tessellate import (
    Failure,
    Progress,
    TessellationSettings,
    TessellationStats,
    tessellate,
)
from bimcheck.model import Storey, check_element_count, open_model

log = logging.getLogger(__name__)


@dataclass
class InfoReport:
    """Summary of one model. Elevations in metres; times in seconds."""

    file: str
    schema: str
    schema_identifier: str
    length_unit: str
    length_scale: float
    application: str
    counts: dict[str, int]
    storeys: list[Storey]
    elements_with_geometry: int
    failures: list[Failure]
    without_body: list[Failure]
    stats: TessellationStats
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self, *, timings: bool = False) -> dict:
        """The JSON document. Deterministic unless ``timings`` is set."""
        doc = {
            "file": self.file,
            "schema": self.schema,
            "schema_identifier": self.schema_identifier,
            "length_unit": self.length_unit,
            "length_scale": self.length_scale,
            "application": self.application,
            "counts": dict(sorted(self.counts.items())),
            "products": sum(self.counts.values()),
            "storeys": [
                {"name": s.name, "global_id": s.global_id, "elevation": s.elevation}
                for s in self.storeys
            ],
            "elements_with_geometry": self.elements_with_geometry,
            "failures": [f.as_dict() for f in self.failures],
            "failure_count": len(self.failures),
            "without_body_count": len(self.without_body),
        }
        if timings:
            doc["timings"] = dict(self.timings)
            doc["cache"] = {
                "from_cache": self.stats.from_cache,
                "tessellated": self.stats.tessellated,
                "corrupt_rebuilt": self.stats.corrupt_rebuilt,
            }
        return doc


def inspect_model(
    path: str | os.PathLike[str],
    *,
    cache: MeshCache | None = None,
    timeout: float | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> InfoReport:
    """Open ``path``, tessellate all its elements with a body, and summarise.

    Raises :class:`~bimcheck.errors.ModelError` for unusable files and
    :class:`~bimcheck.errors.TessellationTimeout` when ``timeout`` (seconds)
    runs out.
    """
    from bimcheck import results

    t0 = time.monotonic()
    p = Path(path)
    found = results.look_up(cache, "info", p, {})
    served = _served(found.entry, p)
    if served is not None:
        check_element_count(p, sum(served.counts.values()))  # --max-elements, as a parse would
        log.info("%s: unchanged (content digest %s): summary served from the result "
                 "cache without parsing the model", p.name, (found.digest or "")[:12])
        total = round(time.monotonic() - t0, 3)
        served.timings = {"open_s": 0.0, "fingerprint_s": 0.0, "cache_read_s": total,
                          "tessellate_s": 0.0, "total_s": total, "result_from_cache": True}
        if progress is not None:
            progress(1, 1)
        return served
    model = open_model(p)
    t1 = time.monotonic()
    geometry = tessellate(
        model,
        settings=TessellationSettings(),
        cache=cache,
        timeout=timeout,
        threads=threads,
        progress=progress,
    )
    t2 = time.monotonic()
    report = InfoReport(
        file=model.path.name,
        schema=model.schema,
        schema_identifier=model.schema_identifier,
        length_unit=model.length_unit,
        length_scale=model.length_scale,
        application=model.application,
        counts=model.counts(),
        storeys=model.storeys,
        elements_with_geometry=len(geometry.meshes),
        failures=geometry.failures,
        without_body=geometry.without_body,
        stats=geometry.stats,
        timings={
            "open_s": round(t1 - t0, 3),
            "fingerprint_s": round(geometry.stats.seconds_fingerprint, 3),
            "cache_read_s": round(geometry.stats.seconds_cache, 3),
            "tessellate_s": round(geometry.stats.seconds_tessellate, 3),
            "total_s": round(t2 - t0, 3),
            "result_from_cache": False,
        },
    )
    if found.store is not None:
        found.put({f: results.encode(getattr(report, f)) for f in _CACHED})
    return report


#: The fields of an :class:`InfoReport` a result cache entry keeps (the file
#: name is the one asked for; timings are this run's).
_CACHED = ("schema", "schema_identifier", "length_unit", "length_scale", "application",
           "counts", "storeys", "elements_with_geometry", "failures", "without_body", "stats")


def _served(entry: dict | None, path: Path) -> InfoReport | None:
    """The summary an entry holds (its cache counts: every element from the
    cache), or ``None`` when there is none or it does not read."""
    if entry is None:
        return None
    from bimcheck import results

    try:
        fields = {f: results.decode(entry[f]) for f in _CACHED}
        stats = fields["stats"]
        fields["stats"] = TessellationStats(requested=stats.requested,
                                            from_cache=stats.requested)
        return InfoReport(file=path.name, **fields)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("%s: a cached summary does not read (%s); inspecting again", path.name, exc)
        return None
