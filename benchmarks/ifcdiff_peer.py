"""Peer side of the revision-diff comparison: IfcOpenShell's ifcdiff 0.9.0.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/ifcdiff_peer.py OLD.ifc NEW.ifc [--all] [--timeout S]

prints ifcdiff's result on the pair as JSON (added, deleted, changed with
their flags, times). Other benchmark scripts import it with ``benchmarks/`` on
``sys.path``::

    from ifcdiff_peer import ALL_CHECKS, DEFAULT_CHECKS, ensure_ifcdiff, run_ifcdiff

How ifcdiff is run
    As its command line does (``ifcdiff.py``'s ``__main__``): a child process
    ``python -m ifcdiff OLD NEW -o diff.json -r "RELATIONSHIPS"`` with the
    caller's interpreter. ``-r ""`` is ifcdiff's default, ``attributes
    geometry``; :data:`ALL_CHECKS` adds ``property container type``. The wall
    time runs from spawning the child to reaping it (interpreter start-up,
    loading both files and the diff, as a user sees it); ifcdiff's own
    "Loading finished in" and "Diff finished in" lines are kept too. A time
    limit kills the child's process group; the result is then marked
    ``timed_out`` with no findings.

What ifcdiff 0.9.0 compares (read from site-packages/ifcdiff.py)
    * Elements: ``IfcElement`` plus spatial elements, **minus every
      IfcFeatureElement** (openings are never compared, only listed by GlobalId
      on their host), matched by GlobalId only: a changed GlobalId is a delete
      plus an add.
    * ``attributes``: DeepDiff of the element's direct attribute values that
      are neither entities nor lists (GlobalId, Name, Description,
      ObjectType, Tag, PredefinedType, a storey's Elevation...), numbers
      within the context's Precision. Property sets are not looked at.
    * ``geometry``: only for elements with a Model/Body/MODEL_VIEW
      representation; the iterator (booleans and opening subtractions
      switched off) gives each element's local vertices and world matrix, and
      the summary (vertex count, sum, min and max of the coordinates, the
      matrix, the GlobalIds of its openings and projections) is compared with
      DeepDiff (1e-5). A move and a reshape are both "geometry_changed".
    * ``property``: DeepDiff of ``get_psets``, ``type``: the type's GlobalId,
      ``container``: ``get_container(old) != get_container(new)``.
    * Revit's IFC2X3 exports (the Duplex, the Janesville restaurant) put their
      Body representations directly in the ``Model`` context, with no
      Body/MODEL_VIEW subcontext: ifcdiff then queues **no** element for its
      geometry check and reports no move or reshape at all. ``force_body``
      (``--force-body``) runs the same command line with that one test
      widened to any ``Body`` representation of a ``Model`` context, to
      measure what its geometry check costs and finds on such files.
    * Shallow: the first check that flags an element ends its comparison
      (attributes, then the other relationships in order, then geometry).
    * Output: ``{"added": [...], "deleted": [...], "changed": {GlobalId:
      {"attributes_changed": true, "geometry_changed": true,
      "properties_changed": <DeepDiff>, ...}}}``; flags only, no values.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import ensure_package, run_measured

IFCDIFF_VERSION = "0.9.0"
#: ifcdiff's default checks (``-r ""``).
DEFAULT_CHECKS: tuple[str, ...] = ("attributes", "geometry")
#: The default checks with property, container and type switched on.
ALL_CHECKS: tuple[str, ...] = ("attributes", "geometry", "property", "container", "type")

#: ifcdiff's command line with its geometry check made to see Body
#: representations that sit directly in the Model context (Revit's IFC2X3
#: exports have no Body/MODEL_VIEW subcontext, so ifcdiff as shipped queues no
#: element for its geometry check there). Everything else as shipped.
_FORCED_BODY = """
import runpy, sys
import ifcopenshell.util.representation as rep
_shipped = rep.get_representation
def get_representation(element, context, subcontext=None, target_view=None):
    found = _shipped(element, context, subcontext, target_view)
    if found is None and context == "Model" and subcontext == "Body":
        for r in rep.get_representations_iter(element):
            c = r.ContextOfItems
            if r.RepresentationIdentifier == "Body" and c.ContextType == "Model":
                return r
    return found
rep.get_representation = get_representation
sys.argv = ["ifcdiff", *sys.argv[1:]]
runpy.run_module("ifcdiff", run_name="__main__")
"""

_LOAD = re.compile(r"# Loading finished in ([0-9.]+) seconds")
_DIFF = re.compile(r"# Diff finished in ([0-9.]+) seconds")


@dataclass
class PeerDiff:
    """ifcdiff's result on one pair, in plain values."""

    checks: list[str]
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    #: GlobalId → sorted flags (``geometry_changed``, ``attributes_changed``...)
    changed: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0          # wall, spawn to reap
    load_seconds: float | None = None
    diff_seconds: float | None = None
    peak_rss_mb: float = 0.0
    exit_code: int = 0
    timed_out: bool = False
    forced_body: bool = False
    version: str = IFCDIFF_VERSION

    def flag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for flags in self.changed.values():
            for f in flags:
                counts[f] = counts.get(f, 0) + 1
        return dict(sorted(counts.items()))

    def as_dict(self) -> dict:
        d = asdict(self)
        d["flag_counts"] = self.flag_counts()
        return d


def ensure_ifcdiff(log=lambda s: None) -> str:
    """ifcdiff importable (installed with pip if missing); its version."""
    return ensure_package("ifcdiff", IFCDIFF_VERSION, log, "expected")


def run_ifcdiff(
    old: Path, new: Path, checks: tuple[str, ...] = DEFAULT_CHECKS,
    timeout: float | None = None, workdir: Path | None = None, force_body: bool = False,
) -> PeerDiff:
    """Run ifcdiff's command line on (old, new) with ``checks``; its result.

    ``workdir`` keeps diff.json and the log (a temporary folder otherwise);
    ``force_body`` runs it with :data:`_FORCED_BODY`'s patch."""
    with tempfile.TemporaryDirectory(prefix="ifcdiff-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        out, log = work / "diff.json", work / "ifcdiff.log"
        out.unlink(missing_ok=True)
        rel = "" if tuple(checks) == DEFAULT_CHECKS else " ".join(checks)
        launch = ["-c", _FORCED_BODY] if force_body else ["-m", "ifcdiff"]
        cmd = [sys.executable, *launch, str(Path(old).resolve()), str(Path(new).resolve()),
               "-o", str(out), "-r", rel]
        code, wall, rss = run_measured(cmd, cwd=work, log_path=log, timeout=timeout)
        result = PeerDiff(checks=list(checks), seconds=round(wall, 3), forced_body=force_body,
                          peak_rss_mb=round(rss / 2**20, 1), exit_code=code)
        text = log.read_text(errors="replace")
        if m := _LOAD.search(text):
            result.load_seconds = float(m.group(1))
        if m := _DIFF.search(text):
            result.diff_seconds = float(m.group(1))
        if timeout is not None and wall >= timeout and code != 0:
            result.timed_out = True
            return result
        if code != 0 or not out.exists():
            raise RuntimeError(f"ifcdiff failed ({code}) on {old} -> {new}:\n{text[-2000:]}")
        doc = json.loads(out.read_text())
        result.added = sorted(doc.get("added", []))
        result.deleted = sorted(doc.get("deleted", []))
        result.changed = {
            gid: sorted(flags) for gid, flags in sorted(doc.get("changed", {}).items())
        }
        return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--all", action="store_true",
                    help="also switch on the property, container and type checks")
    ap.add_argument("--timeout", type=float, default=None, help="seconds")
    ap.add_argument("--force-body", action="store_true",
                    help="make the geometry check see Body representations without a subcontext")
    args = ap.parse_args(argv)
    ensure_ifcdiff(lambda s: print(s, file=sys.stderr))
    result = run_ifcdiff(args.old, args.new, ALL_CHECKS if args.all else DEFAULT_CHECKS,
                         timeout=args.timeout, force_body=args.force_body)
    print(json.dumps(result.as_dict(), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
