"""Peer side of the clash benchmark: IfcOpenShell's own clash tool, ifcclash 0.9.0.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/peer_ifcclash.py [--shared DIR] [--pairs-out PAIRS.json]
                                                 [--only NAME ...] [--keep DIR]
                                                 [--grid GRID.ifc]

(``--grid`` also runs :func:`grid_sets` on a model written by
``benchmarks/grid_model.py GRID.ifc > GRID.json``, checked against GRID.json.)

It runs the ifcclash baselines of ``../shared/ifc/SOURCES.md`` ("ifcclash
baselines") plus a clearance-mode set, one ifcclash process per baseline, and
prints per baseline the clashes found, the wall time and the child's peak RSS,
and whether the count matches SOURCES.md (``ok`` / ``DIFF``). ``--pairs-out``
writes the normalised pairs (see :class:`PeerClash`) as JSON for a later
comparison with bimcheck's own clash engine.

Other benchmark scripts import it with ``benchmarks/`` on ``sys.path``::

    from peer_ifcclash import baseline_sets, ensure_ifcclash, run_ifcclash

How ifcclash is run
    Exactly as SOURCES.md says: the clash sets are written to
    ``WORKDIR/clashsets.json`` and ``python -m ifcclash clashsets.json -o
    clashes.json`` runs in a child process with ``cwd=WORKDIR`` (the same
    interpreter as the caller, ``sys.executable``). File paths inside the clash
    sets are passed through unchanged, so relative paths are relative to
    ``WORKDIR``; :func:`baseline_sets` gives absolute ones when it is given an
    absolute folder.

How time and memory are measured
    Wall time: ``time.perf_counter()`` from just before the child is spawned to
    just after it is reaped, so it includes interpreter start-up and importing
    ifcopenshell (about half a second; :func:`startup_seconds` measures that
    floor on its own), as a user running the command would see it.

    Peak RSS: the child is reaped with ``os.wait4(pid, 0)``, which returns the
    ``rusage`` of *that* child alone (``ru_maxrss``, KiB on Linux). Unlike
    ``resource.getrusage(RUSAGE_CHILDREN)``, which keeps the maximum over every
    child ever reaped by this process and so cannot tell a second run from the
    first, ``wait4`` is exact per run, needs no external ``/usr/bin/time`` and
    does not miss short peaks the way polling does. ifcclash works with threads
    (the geometry iterator and the clash loop), not processes, so the one
    child's RSS is all of it. Linux/macOS only (``os.wait4``); on macOS
    ``ru_maxrss`` is in bytes and is converted. Caveat: a child forked from a
    large parent starts with the parent's resident pages counted, so the peak
    has the parent's RSS at spawn time as a floor (``python -c pass`` from a
    300 MiB parent reports 311 MiB). ``bench_clash.py`` therefore starts every
    measured command through a bare ``python -S`` launcher.

What ifcclash's JSON output looks like (ifcclash/ifcclash.py, 0.9.0)
    The output is the input list of clash sets, each with a ``"clashes"``
    object added, keyed ``"{a_global_id}-{b_global_id}"``; each value has
    ``a_global_id, b_global_id, a_ifc_class, b_ifc_class, a_name, b_name,
    type`` (``"protrusion" | "pierce" | "collision" | "clearance"``), ``p1``,
    ``p2`` (world coordinates, metres) and ``distance``. "a" and "b" in a
    result are *not* always from groups A and B: in intersection mode the C++
    tree tests A in B and then B in A and keeps the worse result, whose "a" is
    then the element of group B. Normalised pairs therefore key on the
    unordered pair of GlobalIds.

What ifcclash computes (read from IfcOpenShell's C++ ``opencascade.trianglebvh`` tree)
    Every element's world-space triangles go into a per-element BVH with an
    AABB and an OBB; a product added twice (e.g. two identical Body
    representations, as 45 B03 fittings have) just overwrites itself. Each
    unordered pair is tested once; candidates are pairs whose AABBs, each
    grown by 1 mm (plus ``clearance`` in clearance mode), overlap.

    * intersection: ``A`` vertices inside ``B`` (parity ray cast along +x,
      confirmed along -z; a vertex within 1e-4 m of a face counts as outside,
      so touching is no clash) give a *protrusion* whose depth is a ray from
      the vertex along some face normal of ``B`` to that face (not the
      shortest way out: B03 reports 14 m "protrusions" into a 0.275 m slab);
      else triangle edges crossing ``B`` give a *pierce* (entry-exit length,
      capped at ``B``'s smallest OBB extent; hits on triangle edges/vertices
      are ignored). A clash needs depth > ``tolerance``. Both ``A`` in ``B``
      and ``B`` in ``A`` are tried, but only against a *manifold* mesh (every
      directed edge matched by its reverse); if neither mesh is manifold the
      pair falls back to the collision test (type ``collision``, distance 0).
      With ``check_all: false`` the first hit over the tolerance is returned,
      so ``distance`` is not the worst penetration.
    * collision: any non-coplanar triangle pair that intersects; with
      ``allow_touching: false`` contacts on a triangle edge or at a vertex
      are ignored, coplanar triangles always are; no inside test, so an
      element wholly inside another is not a collision.
    * clearance: minimum triangle-to-triangle distance < ``clearance``
      (returned at the first such pair unless ``check_all``). Not an inside
      test either, and for crossing triangles the distance routine does not
      return 0: on the grid model a 0.1 m pipe passing through a beam is
      "0.05 m" apart from it and is missed at ``clearance`` 0.01.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_util import ensure_package
from bench_util import run_measured as _run_measured

#: The ifcclash release the baselines were measured with.
IFCCLASH_VERSION = "0.9.0"

#: ``../shared/ifc`` next to the repository.
DEFAULT_SHARED_IFC = Path(__file__).resolve().parents[2] / "shared" / "ifc"

#: Clash counts from SOURCES.md, "ifcclash baselines" (None: no published baseline).
EXPECTED_COUNTS: dict[str, int | None] = {
    "b03_intersection": 31,
    "b03_collision": 23,
    "duplex_cross_file": 62,
    "tekla_steel": 263,
    "b03_clearance": None,
}

B03 = "b03_heating_with_building_blenderBIM.ifc"
DUPLEX_ELEC = "Ifc2s3_Duplex_Electrical.ifc"
DUPLEX_ARCH = "Ifc2x3_Duplex_Architecture.ifc"
TEKLA = "ISSUE_021_Mini_Project.ifc"

B03_PIPES = "IfcPipeSegment, IfcPipeFitting"
STRUCTURE = "IfcWall, IfcSlab, IfcBeam, IfcColumn"
DUPLEX_MEP = (
    "IfcFlowTerminal, IfcFlowController, IfcFlowMovingDevice, IfcEnergyConversionDevice, "
    "IfcDistributionControlElement, IfcFlowSegment, IfcFlowFitting"
)


def _log(message: str) -> None:
    print(f"[peer_ifcclash] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- install


def ensure_ifcclash(version: str = IFCCLASH_VERSION) -> str:
    """Import ifcclash; if missing, ``pip install ifcclash==VERSION`` into this interpreter.

    Installs with ``sys.executable -m pip`` (so into the running virtualenv,
    through whatever index pip is configured with). ifcclash 0.9.0 is a pure
    Python wheel whose only requirement is ``ifcopenshell`` (plus
    ``typing_extensions`` and ``lark`` at import time, both ifcopenshell
    dependencies); the optional ``advanced`` extra (scikit-learn, for "smart
    grouping") is not installed and not needed. Reports what it did on stderr
    and returns the installed version; warns if it is not ``version``.
    """
    return ensure_package("ifcclash", version, _log, "baselines were measured with")


# --------------------------------------------------------------------------- clash sets


def _clash_set(
    name: str,
    a: Sequence[tuple[str, str]],
    b: Sequence[tuple[str, str]],
    mode: str,
    **params: Any,
) -> dict[str, Any]:
    """One ifcclash clash set; ``a`` and ``b`` are (file, selector) with ``mode: "i"``."""
    return {
        "name": name,
        "mode": mode,
        **params,
        "a": [{"file": f, "mode": "i", "selector": s} for f, s in a],
        "b": [{"file": f, "mode": "i", "selector": s} for f, s in b],
    }


def baseline_sets(shared_ifc_dir: str | os.PathLike[str]) -> dict[str, list[dict[str, Any]]]:
    """The SOURCES.md baselines (plus a B03 clearance set) as ifcclash clash-set lists.

    Keys are the names of :data:`EXPECTED_COUNTS`; each value is a list holding
    one clash set (ifcclash's input is a list). File paths are
    ``shared_ifc_dir / FILE`` as strings: absolute if ``shared_ifc_dir`` is,
    else relative to the working directory ifcclash runs in.
    """
    d = Path(shared_ifc_dir)
    b03, elec, arch, tekla = (str(d / n) for n in (B03, DUPLEX_ELEC, DUPLEX_ARCH, TEKLA))
    intersection = {"tolerance": 0.01, "check_all": False}
    return {
        "b03_intersection": [
            _clash_set(
                "B03 pipes+fittings vs walls/slabs",
                [(b03, B03_PIPES)],
                [(b03, STRUCTURE)],
                "intersection",
                **intersection,
            )
        ],
        "b03_collision": [
            _clash_set(
                "B03 pipes+fittings vs walls/slabs (collision)",
                [(b03, B03_PIPES)],
                [(b03, STRUCTURE)],
                "collision",
                allow_touching=False,
            )
        ],
        "duplex_cross_file": [
            _clash_set(
                "Duplex electrical vs architecture",
                [(elec, DUPLEX_MEP)],
                [(arch, STRUCTURE)],
                "intersection",
                **intersection,
            )
        ],
        "tekla_steel": [
            _clash_set(
                "Tekla beams+columns vs members/plates/slabs",
                [(tekla, "IfcBeam, IfcColumn")],
                [(tekla, "IfcMember, IfcPlate, IfcSlab")],
                "intersection",
                **intersection,
            )
        ],
        # Not in SOURCES.md: clearance mode reports every pair whose triangles come
        # closer than `clearance` (touching and intersecting pairs included, at ~0).
        "b03_clearance": [
            _clash_set(
                "B03 pipes+fittings vs walls/slabs (clearance 0.05)",
                [(b03, B03_PIPES)],
                [(b03, STRUCTURE)],
                "clearance",
                clearance=0.05,
                check_all=False,
            )
        ],
    }


def grid_sets(grid_ifc: str | os.PathLike[str]) -> dict[str, list[dict[str, Any]]]:
    """Clash sets for a ``benchmarks/grid_model.py`` model: ducts and pipes vs beams.

    ``grid_intersection`` (tolerance 0.01) and ``grid_collision`` should both
    find exactly the model's ``expected_hard_clashes`` (every deliberate clash
    is a duct or pipe passing right through a beam; everything else at most
    touches). Clearance mode is left out on purpose: ifcclash's clearance
    test measures triangle-to-triangle distances, and for a pipe piercing a
    beam those are not 0 (see the report of the peer benchmark).
    """
    path = str(grid_ifc)
    mep = [(path, "IfcDuctSegment, IfcPipeSegment")]
    beams = [(path, "IfcBeam")]
    return {
        "grid_intersection": [
            _clash_set(
                "grid MEP vs beams", mep, beams, "intersection", tolerance=0.01, check_all=False
            )
        ],
        "grid_collision": [
            _clash_set(
                "grid MEP vs beams (collision)", mep, beams, "collision", allow_touching=False
            )
        ],
    }


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PeerClash:
    """One clash as ifcclash reports it, keyed on the unordered pair of GlobalIds.

    ``a_*`` / ``b_*`` keep ifcclash's own order (which may be B-then-A, see the
    module doc). ``distance`` is the protrusion depth or pierce length
    (intersection mode), 0 (collision) or the smallest gap (clearance), metres;
    ``p1`` / ``p2`` are ifcclash's two points (protrusion: the deepest vertex
    found and its projection on the other surface; pierce: entry and exit;
    collision: the two ends of the triangle-triangle intersection segment;
    clearance: the two closest points).
    """

    ids: frozenset[str]
    type: str
    distance: float
    p1: tuple[float, float, float]
    p2: tuple[float, float, float]
    a_global_id: str
    b_global_id: str
    a_ifc_class: str
    b_ifc_class: str

    @property
    def point(self) -> tuple[float, float, float]:
        """ifcclash's first point (``p1``), the one its BCF export uses."""
        return self.p1

    @property
    def classes(self) -> frozenset[str]:
        return frozenset((self.a_ifc_class, self.b_ifc_class))

    def to_json(self) -> dict[str, Any]:
        return {
            "ids": sorted(self.ids),
            "type": self.type,
            "distance": self.distance,
            "p1": list(self.p1),
            "p2": list(self.p2),
            "a": [self.a_global_id, self.a_ifc_class],
            "b": [self.b_global_id, self.b_ifc_class],
        }

    @classmethod
    def from_ifcclash(cls, result: Mapping[str, Any]) -> PeerClash:
        a, b = result["a_global_id"], result["b_global_id"]
        return cls(
            ids=frozenset((a, b)),
            type=str(result["type"]),
            distance=float(result["distance"]),
            p1=tuple(float(v) for v in result["p1"]),  # type: ignore[arg-type]
            p2=tuple(float(v) for v in result["p2"]),  # type: ignore[arg-type]
            a_global_id=a,
            b_global_id=b,
            a_ifc_class=result["a_ifc_class"],
            b_ifc_class=result["b_ifc_class"],
        )


@dataclass
class PeerRun:
    """One ifcclash process: its clash sets' normalised pairs, wall time and peak memory."""

    pairs: dict[str, list[PeerClash]]
    wall_s: float
    peak_rss_bytes: int
    returncode: int
    workdir: Path
    output_path: Path
    log_tail: list[str] = field(default_factory=list)

    @property
    def peak_mib(self) -> float:
        return self.peak_rss_bytes / 2**20

    @property
    def count(self) -> int:
        """Clashes over all clash sets of the run."""
        return sum(len(v) for v in self.pairs.values())

    def pair_sets(self) -> dict[str, set[frozenset[str]]]:
        """Per clash set, the unordered GlobalId pairs only."""
        return {name: {c.ids for c in clashes} for name, clashes in self.pairs.items()}


def parse_ifcclash_output(data: Iterable[Mapping[str, Any]]) -> dict[str, list[PeerClash]]:
    """ifcclash's output JSON (a list of clash sets) -> clash-set name -> pairs.

    Pairs are sorted by their GlobalIds; a clash set without ``"clashes"``
    gives an empty list. Raises ``ValueError`` on duplicate clash-set names or
    on the same unordered pair reported twice within a set (ifcclash's C++
    tree tests each unordered pair once, so that would be a format change).
    """
    out: dict[str, list[PeerClash]] = {}
    for clash_set in data:
        name = clash_set["name"]
        if name in out:
            raise ValueError(f"duplicate clash set name {name!r} in ifcclash output")
        clashes = [PeerClash.from_ifcclash(r) for r in clash_set.get("clashes", {}).values()]
        clashes.sort(key=lambda c: sorted(c.ids))
        if len({c.ids for c in clashes}) != len(clashes):
            raise ValueError(f"clash set {name!r}: the same pair is reported twice")
        out[name] = clashes
    return out


# --------------------------------------------------------------------------- running


def run_ifcclash(
    clash_sets: list[dict[str, Any]],
    workdir: str | os.PathLike[str],
    *,
    timeout: float | None = None,
    python: str | None = None,
) -> PeerRun:
    """Run ``python -m ifcclash clashsets.json -o clashes.json`` in ``workdir``, measured.

    Writes ``clashsets.json`` into ``workdir`` (created if missing; file paths
    in the sets are used as given, relative ones resolve against ``workdir``),
    runs ifcclash in a child process (``python``, default ``sys.executable``),
    stdout+stderr going to ``workdir/ifcclash.log``, and parses
    ``workdir/clashes.json``. ``timeout`` (seconds) kills the child's process
    group. Raises ``RuntimeError`` if ifcclash fails; the log's last lines are
    in the message.
    """
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    (wd / "clashsets.json").write_text(json.dumps(clash_sets, indent=2), encoding="utf-8")
    output = wd / "clashes.json"
    output.unlink(missing_ok=True)
    log_path = wd / "ifcclash.log"
    cmd = [python or sys.executable, "-m", "ifcclash", "clashsets.json", "-o", "clashes.json"]
    code, wall, peak = _run_measured(cmd, wd, log_path, timeout)
    tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
    if code != 0 or not output.exists():
        raise RuntimeError(
            f"ifcclash exited {code} in {wd} after {wall:.1f} s:\n" + "\n".join(tail)
        )
    pairs = parse_ifcclash_output(json.loads(output.read_text(encoding="utf-8")))
    return PeerRun(pairs, wall, peak, code, wd, output, tail)


def startup_seconds(python: str | None = None) -> float:
    """Wall time of a child that only imports ifcclash's dependencies (the fixed floor)."""
    cmd = [
        python or sys.executable,
        "-c",
        "import ifcopenshell, ifcopenshell.geom, ifcopenshell.util.selector, ifcclash.ifcclash",
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- main


def _by_class(clashes: Iterable[PeerClash]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in clashes:
        key = f"{c.a_ifc_class}-{c.b_ifc_class}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _by_type(clashes: Iterable[PeerClash]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in clashes:
        counts[c.type] = counts.get(c.type, 0) + 1
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED_IFC,
        help="folder with the shared IFC models (default ../shared/ifc)",
    )
    parser.add_argument("--pairs-out", type=Path, help="write the normalised pairs here (JSON)")
    parser.add_argument(
        "--only",
        nargs="*",
        choices=sorted(EXPECTED_COUNTS),
        help="run only these baselines (none: only --grid)",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep each run's workdir (clashsets.json, clashes.json, log) here"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="per run, seconds")
    parser.add_argument(
        "--grid",
        type=Path,
        help="also run grid_sets() on this grid_model.py model; its truth JSON (the CLI's "
        "output) may sit next to it as GRID.json for the ok/DIFF check",
    )
    args = parser.parse_args(argv)

    version = ensure_ifcclash()
    shared = args.shared.resolve()
    sets = baseline_sets(shared)
    expected_counts: dict[str, int | None] = dict(EXPECTED_COUNTS)
    names = args.only if args.only is not None else list(sets)
    if args.grid:
        grid = grid_sets(args.grid.resolve())
        truth_path = args.grid.with_suffix(".json")
        truth = json.loads(truth_path.read_text()) if truth_path.exists() else {}
        for name in grid:
            expected_counts[name] = truth.get("expected_hard_clashes")
        sets.update(grid)
        names += list(grid)
    print(
        f"ifcclash {version}, python {sys.version.split()[0]}, cpus {os.cpu_count()}, "
        f"models from {shared}"
    )
    print(f"interpreter+import floor: {startup_seconds():.2f} s (included in wall s)")
    print(
        f"{'baseline':<20} {'clashes':>7} {'expected':>8} {'check':>5} "
        f"{'wall s':>7} {'peak MiB':>8}  types"
    )

    report: dict[str, Any] = {
        "ifcclash": version,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "baselines": {},
    }
    failed = False
    with tempfile.TemporaryDirectory(prefix="peer_ifcclash_") as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        for name in names:
            run = run_ifcclash(copy.deepcopy(sets[name]), root / name, timeout=args.timeout)
            clashes = [c for cs in run.pairs.values() for c in cs]
            expected = expected_counts[name]
            if expected is None:
                check = "-"
            else:
                check = "ok" if len(clashes) == expected else "DIFF"
                failed |= check == "DIFF"
            print(
                f"{name:<20} {len(clashes):>7} {expected if expected is not None else '-':>8} "
                f"{check:>5} {run.wall_s:>7.2f} {run.peak_mib:>8.1f}  {_by_type(clashes)}"
            )
            print(f"{'':<20} by class: {_by_class(clashes)}")
            report["baselines"][name] = {
                "clash_sets": sets[name],
                "expected": expected,
                "count": len(clashes),
                "wall_s": round(run.wall_s, 3),
                "peak_rss_mib": round(run.peak_mib, 1),
                "pairs": {
                    set_name: [c.to_json() for c in cs] for set_name, cs in run.pairs.items()
                },
            }
    if args.pairs_out:
        args.pairs_out.parent.mkdir(parents=True, exist_ok=True)
        args.pairs_out.write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(f"pairs written to {args.pairs_out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
