"""Crane lift checks on the largest shared model, with a warm geometry cache.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_crane.py [--model FILE] [--repeat N]
                                               [--cache-dir DIR] [--json-out FILE]

The model is ``../shared/ifc/revit2012_janesville_restaurant.ifc`` (27 MB,
1,660 meshed elements, x 67.7-141.0 m, y -34.3-27.7 m, up to 12.07 m)
unless ``--model`` names another. A tower crane stands 16 m south of the
building (70 m jib, underside at 30 m); two lifts, both picked on the
ground south of the building:

* ``check``: set 13 m up over the middle of the roof, default travel height
  15 m: the default path is clear, so this is one lift check (path,
  capacity, clearance of load, hook block, hoist line and jib to every
  element at samples 0.25 m apart, zones, power lines);
* ``planned``: set on the ground east of the building, travel height 3 m,
  on 1 March 2027 with ``schedule: model`` and two exclusion zones: the
  model is given a 4D schedule in memory (``ifcopenshell.api.sequence``:
  a task "Shell" finishing 1 February builds every element whose body
  starts below 6 m, a task "Roof" finishing 1 May the rest), so the roof
  is not yet there; a road lies on the long arc west of the crane, and a
  site lane (closed up to 5 m) south-east of the building, on the quickest
  path the planner finds without zones. The default path runs through the
  building; the planner searches a clear one that crosses no zone and
  re-checks it densely.

The geometry cache is warmed first (one tessellation, not timed); then each
lift is timed in-process (``run_lifts`` on a plan holding only that lift,
medians of ``--repeat`` runs), and the number of distance queries printed.

Targets (the issue): one lift check at most 2 s, a planned lift at most
10 s. The exit status is 1 when either is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench_util import load_average, repo_revision

from bimcheck.crane.plan import parse_lift_plan
from bimcheck.crane.run import run_lifts
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.tessellate import tessellate
from bimcheck.model import open_model

DEFAULT_MODEL = (Path(__file__).resolve().parents[2] / "shared" / "ifc"
                 / "revit2012_janesville_restaurant.ifc")
TARGETS = {"check": 2.0, "planned": 10.0}

CRANE = {"id": "TC1", "type": "tower", "base": [104, -50, 0], "hook_height": 27,
         "jib_elevation": 30, "jib_length": 70, "counter_jib_length": 18,
         "speeds": {"slew_deg_s": 3.6, "hoist_m_s": 1.0, "trolley_m_s": 1.0},
         "hook_weight": 0.3,
         "load_chart": {"radius": [3, 20, 40, 70], "capacity": [12, 12, 5, 2.5]}}
LIFTS = {
    "check": {"id": "check", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 1.5},
              "rigging_weight": 0.1, "pick": [104, -40, 0], "set": [104, 0, 13]},
    "planned": {"id": "planned", "crane": "TC1", "load": {"box": [2, 2, 1], "weight": 1.0},
                "rigging_weight": 0.1, "pick": [104, -40, 0], "set": [150, 0, 0],
                "travel_height": 3, "schedule": "model",
                "window": ["2027-03-01T08:00", "2027-03-01T10:00"]},
}
SITE = {"planned": {"exclusion_zones": [
    {"id": "road", "polygon": [[40, -70], [70, -70], [70, -20], [40, -20]], "z": [0, 50]},
    {"id": "lane", "polygon": [[115, -35], [125, -35], [125, -25], [115, -25]], "z": [0, 5]}]}}
#: Elements whose body starts at or above this height (m) are built by the
#: "Roof" task of the in-memory schedule, the rest by "Shell".
ROOF_FROM_Z = 6.0


def add_schedule(model, meshes) -> tuple[int, int]:
    """Give ``model`` a 4D schedule in memory (see the module docstring):
    IfcTask with IfcTaskTime in IFC4, IfcScheduleTimeControl through
    IfcRelAssignsTasks in IFC2X3; returns how many elements each task builds
    (shell, roof)."""
    import ifcopenshell.guid

    f = model.file
    ifc2x3 = model.schema == "IFC2X3"
    schedule = f.create_entity("IfcWorkSchedule", GlobalId=ifcopenshell.guid.new(),
                               Name="Programme")
    counts = []
    for name, start, finish, roof in (("Shell", (2026, 9, 1, 8), (2027, 2, 1, 17), False),
                                      ("Roof", (2027, 2, 2, 8), (2027, 5, 1, 17), True)):
        task = f.create_entity("IfcTask", GlobalId=ifcopenshell.guid.new(), Name=name)
        if ifc2x3:
            task.TaskId, task.IsMilestone = name, False

            def when(y, mo, d, h):
                return f.create_entity(
                    "IfcDateAndTime",
                    DateComponent=f.create_entity("IfcCalendarDate", DayComponent=d,
                                                  MonthComponent=mo, YearComponent=y),
                    TimeComponent=f.create_entity("IfcLocalTime", HourComponent=h))

            times = f.create_entity("IfcScheduleTimeControl", GlobalId=ifcopenshell.guid.new(),
                                    ScheduleStart=when(*start), ScheduleFinish=when(*finish))
            f.create_entity("IfcRelAssignsTasks", GlobalId=ifcopenshell.guid.new(),
                            RelatedObjects=[task], RelatingControl=schedule,
                            TimeForTask=times)
        else:
            task.TaskTime = f.create_entity(
                "IfcTaskTime", ScheduleStart=datetime(*start).isoformat(),
                ScheduleFinish=datetime(*finish).isoformat())
            f.create_entity("IfcRelAssignsToControl", GlobalId=ifcopenshell.guid.new(),
                            RelatedObjects=[task], RelatingControl=schedule)
        built = [f.by_guid(g) for g, m in sorted(meshes.items())
                 if bool(m.bounds[0][2] >= ROOF_FROM_Z) is roof]
        f.create_entity("IfcRelAssignsToProcess", GlobalId=ifcopenshell.guid.new(),
                        RelatedObjects=built, RelatingProcess=task)
        counts.append(len(built))
    return counts[0], counts[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.model.exists():
        print(f"model not found: {args.model}", file=sys.stderr)
        return 2
    print(f"bimcheck {repo_revision()}; {load_average()} at start")
    with tempfile.TemporaryDirectory(prefix="bench-crane-") as tmp:
        cache = MeshCache(args.cache_dir or Path(tmp) / "cache")
        model = open_model(args.model)
        t0 = time.perf_counter()
        geometry = tessellate(model, cache=cache)
        print(f"model {args.model.name}: {len(geometry.meshes)} meshes; cache warmed in "
              f"{time.perf_counter() - t0:.1f} s")
        shell, roof = add_schedule(model, geometry.meshes)
        print(f"schedule in memory: Shell builds {shell} elements by 2027-02-01, Roof "
              f"{roof} by 2027-05-01")
        out = {}
        status = 0
        for name, lift in LIFTS.items():
            doc = {"clearance": 0.5, "cranes": [CRANE], "lifts": [lift],
                   "site": SITE.get(name, {})}
            plan = parse_lift_plan(doc, Path(f"{name}.lift.yaml"))
            times, last = [], None
            for _ in range(args.repeat):
                t = time.perf_counter()
                report = run_lifts(model, plan, cache=cache)
                times.append(time.perf_counter() - t)
                last = report.lifts[0].as_dict()
            assert last is not None
            # What run_lifts spends loading the warm meshes is part of the time.
            median = statistics.median(times)
            ok = median <= TARGETS[name]
            status |= 0 if ok else 1
            print(f"[{name}] result {last['result']}, planned {last['planned']}, "
                  f"samples {last['samples']}, distance queries {last['queries']}, "
                  f"min clearance {last['min_clearance']:.3f} m, duration "
                  f"{last['duration_s']:.1f} s, obstacles {last['obstacle_count']} "
                  f"({last['obstacles_from']}), zones crossed "
                  f"{[z['zone'] for z in last['zones']]}")
            print(f"  runs {', '.join(f'{x:.2f}' for x in times)} s; median {median:.2f} s; "
                  f"target <= {TARGETS[name]:g} s: {'PASS' if ok else 'MISS'}")
            out[name] = {"times_s": [round(x, 3) for x in times], "median_s": round(median, 3),
                         "target_s": TARGETS[name], "ok": ok, "queries": last["queries"],
                         "samples": last["samples"], "result": last["result"],
                         "planned": last["planned"],
                         "obstacles": last["obstacle_count"],
                         "zones": [z["zone"] for z in last["zones"]]}
    print(f"{load_average()} at the end")
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n",
                                 encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
