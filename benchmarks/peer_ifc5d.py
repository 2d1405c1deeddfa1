"""Peer side of the quantity benchmarks: IfcOpenShell's own takeoff tool, ifc5d 0.9.0.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/peer_ifc5d.py MODEL -o OUT.json [--elements IDS.json]
                                              [--rule-set IFC4QtoBaseQuantities]

That quantifies ``MODEL`` *in this process* and writes ``OUT.json``. Other
benchmark scripts import it with ``benchmarks/`` on ``sys.path`` and run the
same thing in a child process, timed::

    from peer_ifc5d import ensure_ifc5d, run_ifc5d
    ensure_ifc5d()                      # pip install ifc5d==0.9.0 if missing
    run = run_ifc5d(model, workdir)     # Ifc5dRun: .doc (the JSON), .wall_s, .peak_rss_bytes

What ifc5d is asked to do (read from ifc5d/qto.py, 0.9.0)
    ``ifc5d.qto.quantify(ifc_file, elements, ifc5d.qto.rules[RULE_SET])``, nothing
    else: the results (``{element: {qto name: {quantity: value}}}``) are read
    back from the returned dict; ``edit_qtos`` (which would write them into the
    file as quantity sets) is *not* called, so the model is never modified, not
    even in memory, and its time is not counted. ``elements`` is every
    ``IfcProduct`` of the file, or those whose GlobalIds ``--elements`` lists (a
    JSON list). The rule set ``IFC4QtoBaseQuantities`` maps IFC classes to
    ``Qto_*BaseQuantities`` and each quantity to a formula of the
    ``IfcOpenShell`` calculator (``gross_``/``net_`` + an
    ``ifcopenshell.util.shape`` function or one of the calculator's own); a
    quantity whose formula is ``null`` is not computed. For each class with
    formulas the calculator builds one ``ifcopenshell.geom.iterator`` (local
    coordinates, ``multiprocessing.cpu_count()`` threads) with opening
    subtraction disabled for the ``gross_`` formulas and another, with openings
    subtracted, for the ``net_`` ones, over *all* the class's elements, so an
    element with both kinds of formula is tessellated twice.

One guard against an ifc5d crash
    ifc5d 0.9.0 aborts the whole ``quantify()`` with ``ValueError: zero-size
    array to reduction operation maximum`` at the first element whose
    triangulation is empty (``ifcopenshell.util.shape.get_x/get_y/get_z`` take
    ``np.max`` of no vertices); two walls of the Janesville restaurant are empty
    once their openings are subtracted. So, in the child only,
    :func:`guard_empty_geometry` wraps those three functions to return NaN for
    an empty triangulation (the functions built on them, such as
    ``get_max_xyz``, then give NaN too); rows whose value is NaN are left out
    of ``rows`` and listed in ``empty_geometry``. Everything else is ifc5d's
    own behaviour (an empty triangulation still has volume 0 and area 0, as
    ifc5d computes them). The wrapper costs one ``len()`` per call.

Units of the output: m, m2, m3, kg (bimcheck's)
    ifc5d returns values in the file's project units: the calculator measures
    the triangulation (metres) and converts each value from SI to the project
    unit of its measure (``SI2ProjectUnitConverter``, factors from
    ``ifcopenshell.util.unit.si_conversions``, e.g. 0.3048 per foot). This
    module undoes exactly that conversion: each value is multiplied by ``1 /
    converter.convert(1, measure)``, so the output is the SI number ifc5d
    computed. Two formulas bypass the converter and are handled apart:
    ``get_segment_length`` returns a raw ``Depth`` or profile size in the file's
    length unit (multiplied by the file's length scale here), and
    ``get_weight`` returns ``volume (m3) x Pset_MaterialCommon.MassDensity``,
    or ``MassPerLength x Depth``, unconverted: it is written as kg as it is (a
    density in kg/m3 gives kg). Each row keeps the formula and the factor used.

Output JSON
    ``{"tool": "ifc5d", "version", "rule_set", "model", "schema",
    "project_units": {measure: [unit, IfcOpenShell's get_unit_scale, for
    information: 1.0 for GRAM]}, "elements": N selected,
    "quantified": N with results, "empty_geometry": [[GlobalId, item,
    quantity], ...], "seconds": {"import", "open", "quantify",
    "total"}, "rows": [{"global_id", "ifc_class", "item", "quantity", "value",
    "unit", "formula", "factor"}]}``, rows sorted by (item, quantity,
    GlobalId). ``value`` is SI (see above). ``seconds`` are measured inside
    the process; :func:`run_ifc5d` measures the whole process from the outside.

How the child is run and measured (:func:`run_ifc5d`)
    ``sys.executable benchmarks/peer_ifc5d.py MODEL -o OUT [--elements IDS]``
    in its own session (a timeout kills the whole process group), stdout and
    stderr to a log next to the output. Wall time is ``time.perf_counter()``
    from just before the spawn to just after ``os.wait4`` reaps it, so it
    includes interpreter start-up, imports, opening the model, quantifying and
    writing the JSON. Peak memory is that child's ``ru_maxrss`` from
    ``os.wait4`` (Linux: the floor is the parent's RSS at spawn, see
    ``peer_ifcclash.py``; the benchmark parents here do not open models).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_util import ensure_package, run_measured

#: The ifc5d release this module was written against.
IFC5D_VERSION = "0.9.0"

#: The rule set compared with bimcheck's ``rules/qto/ifc-base.yaml``.
RULE_SET = "IFC4QtoBaseQuantities"

#: ``../shared/ifc`` next to the repository.
DEFAULT_SHARED_IFC = Path(__file__).resolve().parents[2] / "shared" / "ifc"

#: bimcheck's unit for each IFC measure ifc5d's calculator declares.
SI_UNITS: dict[str, str] = {
    "IfcLengthMeasure": "m",
    "IfcAreaMeasure": "m2",
    "IfcVolumeMeasure": "m3",
    "IfcMassMeasure": "kg",
}

#: Project unit types, for the report only.
_UNIT_TYPES = {
    "IfcLengthMeasure": "LENGTHUNIT",
    "IfcAreaMeasure": "AREAUNIT",
    "IfcVolumeMeasure": "VOLUMEUNIT",
    "IfcMassMeasure": "MASSUNIT",
}


def _log(message: str) -> None:
    sys.stderr.write(f"[peer_ifc5d] {message}\n")
    sys.stderr.flush()


def ensure_ifc5d(version: str = IFC5D_VERSION) -> str:
    """Import ifc5d; if missing, ``pip install ifc5d==VERSION`` into this interpreter.

    Installs with ``sys.executable -m pip`` (so into the running virtualenv,
    through whatever index pip is configured with). ifc5d 0.9.0 is a pure
    Python wheel whose requirements (ifcopenshell, numpy, shapely via
    ifcopenshell.util.shape) bimcheck already has. Reports on stderr and
    returns the installed version; warns if it is not ``version``.
    """
    return ensure_package("ifc5d", version, _log, "this module was written for")


# --------------------------------------------------------------------------- in-process


def rule_formulas(rules: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """``(qto name, quantity) -> formula`` of the ``IfcOpenShell`` calculator's
    non-null formulas. Raises ``ValueError`` if a quantity set maps a quantity
    to two different formulas under different classes (then a value could not
    be traced back to its formula)."""
    out: dict[tuple[str, str], str] = {}
    for calculator, queries in rules["calculators"].items():
        if calculator != "IfcOpenShell":
            raise ValueError(f"unexpected calculator {calculator!r} in the rule set")
        for qtos in queries.values():
            for qto_name, quantities in qtos.items():
                for quantity, formula in quantities.items():
                    if not formula:
                        continue
                    key = (qto_name, quantity)
                    if out.setdefault(key, formula) != formula:
                        raise ValueError(f"{qto_name}.{quantity}: two formulas, "
                                         f"{out[key]!r} and {formula!r}")
    return out


def to_si_factors(ifc_file: Any) -> dict[str, float]:
    """Per measure, the factor from ifc5d's project-unit value back to SI: the
    inverse of ``SI2ProjectUnitConverter(ifc_file).convert(1, measure)``."""
    from ifc5d.qto import SI2ProjectUnitConverter

    converter = SI2ProjectUnitConverter(ifc_file)
    return {m: 1.0 / converter.convert(1.0, m) for m in SI_UNITS}


def project_units(ifc_file: Any) -> dict[str, list[Any]]:
    """``measure -> [unit name, file's factor to SI]`` for the report (``None``: unset)."""
    import ifcopenshell.util.unit as unit

    out: dict[str, list[Any]] = {}
    for measure, unit_type in _UNIT_TYPES.items():
        u = unit.get_project_unit(ifc_file, unit_type)
        if u is None:
            out[measure] = [None, 1.0]
            continue
        prefix = getattr(u, "Prefix", None)
        name = f"{prefix} {u.Name}" if prefix else str(u.Name)
        out[measure] = [name, float(unit.get_unit_scale(u))]
    return out


#: ``ifcopenshell.util.shape`` functions that raise on an empty triangulation.
_GUARDED = ("get_x", "get_y", "get_z")


def guard_empty_geometry() -> None:
    """Make ``ifcopenshell.util.shape.get_x/get_y/get_z`` return NaN for an empty
    triangulation instead of raising (see the module doc). Idempotent."""
    import ifcopenshell.util.shape as shape

    for name in _GUARDED:
        fn = getattr(shape, name)
        if getattr(fn, "_peer_guard", False):
            continue

        def guarded(geometry: Any, _fn: Any = fn) -> float:
            if len(geometry.verts) == 0:
                return math.nan
            return float(_fn(geometry))

        guarded._peer_guard = True  # type: ignore[attr-defined]
        setattr(shape, name, guarded)


def quantify_model(
    model: str | os.PathLike[str],
    global_ids: Iterable[str] | None = None,
    rule_set: str = RULE_SET,
) -> dict[str, Any]:
    """Run ifc5d's ``rule_set`` on ``model`` in this process; the output JSON as a dict.

    ``global_ids``: quantify only these elements (unknown ids are ignored and
    counted); default every ``IfcProduct``. See the module doc for the units.
    """
    t0 = time.perf_counter()
    import ifc5d
    import ifc5d.qto as qto
    import ifcopenshell
    import ifcopenshell.util.unit

    t_import = time.perf_counter()
    ifc_file = ifcopenshell.open(str(model))
    t_open = time.perf_counter()
    if global_ids is None:
        elements = set(ifc_file.by_type("IfcProduct"))
        unknown = 0
    else:
        elements = set()
        unknown = 0
        for gid in global_ids:
            try:
                elements.add(ifc_file.by_guid(gid))
            except RuntimeError:
                unknown += 1
    rules = qto.rules[rule_set]  # type: ignore[index]
    guard_empty_geometry()
    results = qto.quantify(ifc_file, elements, rules)
    t_quantify = time.perf_counter()

    formulas = rule_formulas(rules)
    measures = qto.get_quantity_measures(rules)
    factors = to_si_factors(ifc_file)
    length_scale = float(ifcopenshell.util.unit.calculate_unit_scale(ifc_file))
    rows = []
    empty: list[list[str]] = []
    for element, qtos in results.items():
        for qto_name, quantities in qtos.items():
            for quantity, value in quantities.items():
                if isinstance(value, float) and math.isnan(value):
                    empty.append([element.GlobalId, qto_name, quantity])
                    continue
                formula = formulas[(qto_name, quantity)]
                measure = measures[qto_name][quantity]
                if formula.endswith("get_segment_length"):
                    factor = length_scale  # a raw Depth / profile size in file units
                elif formula.endswith("get_weight"):
                    factor = 1.0  # volume (m3) x density, never converted
                else:
                    factor = factors[measure]
                rows.append({
                    "global_id": element.GlobalId,
                    "ifc_class": element.is_a(),
                    "item": qto_name,
                    "quantity": quantity,
                    "value": float(value) * factor,
                    "unit": SI_UNITS[measure],
                    "formula": formula,
                    "factor": factor,
                })
    rows.sort(key=lambda r: (r["item"], r["quantity"], r["global_id"]))
    empty.sort()
    done = time.perf_counter()
    return {
        "tool": "ifc5d",
        "version": str(getattr(ifc5d, "__version__", "?")),
        "rule_set": rule_set,
        "model": Path(model).name,
        "schema": ifc_file.schema_identifier,
        "project_units": project_units(ifc_file),
        "elements": len(elements),
        "unknown_global_ids": unknown,
        "quantified": sum(1 for q in results.values() if any(q.values())),
        "empty_geometry": empty,
        "seconds": {
            "import": round(t_import - t0, 3),
            "open": round(t_open - t_import, 3),
            "quantify": round(t_quantify - t_open, 3),
            "total": round(done - t0, 3),
        },
        "rows": rows,
    }


# --------------------------------------------------------------------------- child process


@dataclass
class Child:
    """One measured child process."""

    returncode: int
    wall_s: float
    peak_rss_bytes: int

    @property
    def peak_mib(self) -> float:
        return self.peak_rss_bytes / 2**20


def run_child(
    cmd: Sequence[str], log_path: Path, timeout: float | None = None, cwd: Path | None = None
) -> Child:
    """Run ``cmd``, stdout+stderr to ``log_path``; wall time from spawn to reap, and
    the child's own ``ru_maxrss`` from ``os.wait4``. The child gets its own
    session, so a timeout (or Ctrl-C here) kills its whole process group."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return Child(*run_measured(cmd, cwd, log_path, timeout))


def log_tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log, for error messages."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Ifc5dRun:
    """One ifc5d child process: its output document and its measurement."""

    doc: dict[str, Any]
    wall_s: float
    peak_rss_bytes: int
    output: Path
    log: Path

    @property
    def peak_mib(self) -> float:
        return self.peak_rss_bytes / 2**20


def ifc5d_command(
    model: str | os.PathLike[str],
    output: str | os.PathLike[str],
    elements_file: str | os.PathLike[str] | None = None,
    rule_set: str = RULE_SET,
    python: str | None = None,
) -> list[str]:
    """The child's command line (this file run as a script)."""
    cmd = [python or sys.executable, str(Path(__file__).resolve()), str(model), "-o",
           str(output), "--rule-set", rule_set]
    if elements_file is not None:
        cmd += ["--elements", str(elements_file)]
    return cmd


def run_ifc5d(
    model: str | os.PathLike[str],
    workdir: str | os.PathLike[str],
    *,
    elements_file: str | os.PathLike[str] | None = None,
    rule_set: str = RULE_SET,
    label: str = "ifc5d",
    timeout: float | None = None,
    python: str | None = None,
) -> Ifc5dRun:
    """Quantify ``model`` with ifc5d in a child process, measured (see the module doc).

    Writes ``workdir/LABEL.json`` (the output) and ``workdir/LABEL.log``.
    Raises ``RuntimeError`` with the log's tail if the child fails.
    """
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    out = wd / f"{label}.json"
    out.unlink(missing_ok=True)
    log = wd / f"{label}.log"
    child = run_child(ifc5d_command(model, out, elements_file, rule_set, python), log, timeout)
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"ifc5d exited {child.returncode} on {Path(model).name} after "
                           f"{child.wall_s:.1f} s:\n{log_tail(log)}")
    doc = json.loads(out.read_text(encoding="utf-8"))
    return Ifc5dRun(doc, child.wall_s, child.peak_rss_bytes, out, log)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("model", type=Path, help="IFC model to quantify")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output JSON")
    parser.add_argument("--elements", type=Path,
                        help="JSON list of GlobalIds to quantify (default: every IfcProduct)")
    parser.add_argument("--rule-set", default=RULE_SET, help=f"ifc5d rule set ({RULE_SET})")
    args = parser.parse_args(argv)
    ids = None
    if args.elements is not None:
        ids = json.loads(args.elements.read_text(encoding="utf-8"))
        if not isinstance(ids, list) or not all(isinstance(g, str) for g in ids):
            parser.error(f"--elements {args.elements}: expected a JSON list of GlobalIds")
    if importlib.util.find_spec("ifc5d") is None:
        ensure_ifc5d()
    doc = quantify_model(args.model, ids, args.rule_set)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(args.output.suffix + ".part")
    tmp.write_text(json.dumps(doc, indent=0), encoding="utf-8")
    os.replace(tmp, args.output)
    s = doc["seconds"]
    _log(f"{doc['model']}: {len(doc['rows'])} values for {doc['quantified']} of "
         f"{doc['elements']} elements; import {s['import']:.2f} s, open {s['open']:.2f} s, "
         f"quantify {s['quantify']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
