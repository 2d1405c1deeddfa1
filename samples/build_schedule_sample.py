"""Build the 4D sample: a two-storey frame with its construction schedule.

    python samples/build_schedule_sample.py [--out DIR]

writes, into DIR (default: this folder):

* ``frame_4d.ifc``         IFC4, metres: a 10 × 10 m two-storey concrete frame
                           (storeys ``Level 1`` at 0.0 m, ``Level 2`` at 4.0 m), an
                           existing site wall, and a 4D schedule (``IfcWorkSchedule``
                           → nested ``IfcTask`` with ``IfcTaskTime``, assigned to the
                           elements) made with ``ifcopenshell.api.sequence``;
* ``frame_4d.truth.yaml``  per element: GlobalId, class, storey, box, the task that
                           builds it and the time that task finishes; per task its
                           times as written and the finish it resolves to.

The lift plan ``frame_4d.lift.yaml`` and its expected results
``frame_4d.lift.truth.yaml`` are written by hand beside them.

Finishes are resolved here from the task table below by the rules of
``docs/crane.md`` ("Obstacles at lift time"), never with bimcheck code, and are
also written out by hand in :data:`HAND_FINISHES`; the script stops if the two
disagree. Task times are written as the attributes of each ``IfcTaskTime``
directly (``ifcopenshell.api.sequence.edit_task_time`` would move finishes to
17:00 of the soonest working day and derive durations, which is not what a
sample with known answers wants). The output is deterministic: running it
twice writes identical bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

with contextlib.redirect_stdout(io.StringIO()):  # it prints a note about networkx on import
    import ifcopenshell.api.sequence

from bimcheck.testing.ifcfactory import Box, ModelFactory

HERE = Path(__file__).resolve().parent
MODEL = "frame_4d.ifc"
TRUTH = "frame_4d.truth.yaml"

#: Its own GlobalId namespace, so that no GlobalId equals one of the tower's
#: (both models have an ``SL-1``).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://bimcheck.invalid/samples/frame_4d")

#: The schedule's creation date (fixed, so the file is the same every time).
CREATED = "2027-01-15T09:00:00"

STOREYS = {"Level 1": 0.0, "Level 2": 4.0}


def box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> Box:
    return Box((x0, y0, z0), (x1, y1, z1))


@dataclass(frozen=True)
class Spec:
    """One element: world box (m), storey and the task that builds it (or none)."""

    name: str
    ifc_class: str
    shape: Box
    storey: str
    task: str | None
    #: How the element is tied to its task: ``output`` (IfcRelAssignsToProduct:
    #: the task makes the product) or ``input`` (IfcRelAssignsToProcess).
    link: str = "output"
    predefined_type: str | None = None


def _column(level: int, grid: str, x: float, y: float, z0: float, z1: float) -> Spec:
    """A 400 × 400 mm column centred on grid point (x, y), from z0 to z1 (m)."""
    return Spec(f"C-{level}-{grid}", "IfcColumn", box(x - 0.2, y - 0.2, z0, x + 0.2, y + 0.2, z1),
                f"Level {level}", f"Level {level} columns", predefined_type="COLUMN")


GRID = {"A1": (0.0, 0.0), "B1": (10.0, 0.0), "A2": (0.0, 10.0), "B2": (10.0, 10.0)}

SPECS: list[Spec] = [
    # Level 1: the ground slab (tied to its task as the task's input, through
    # IfcRelAssignsToProcess) and four columns up to the Level 2 slab.
    Spec("SL-1", "IfcSlab", box(-0.2, -0.2, -0.25, 10.2, 10.2, 0.0), "Level 1",
         "Level 1 ground slab", link="input", predefined_type="BASESLAB"),
    *[_column(1, g, x, y, 0.0, 3.75) for g, (x, y) in GRID.items()],
    # An existing boundary wall south of the frame: no task builds it.
    Spec("EX-1", "IfcWall", box(-6.0, -12.2, 0.0, 16.0, -12.0, 2.5), "Level 1", None,
         predefined_type="SOLIDWALL"),
    # Level 2: its floor slab (top at the storey's 4.0 m), four columns, the roof slab.
    Spec("SL-2", "IfcSlab", box(-0.2, -0.2, 3.75, 10.2, 10.2, 4.0), "Level 2",
         "Level 2 floor slab", predefined_type="FLOOR"),
    *[_column(2, g, x, y, 4.0, 7.75) for g, (x, y) in GRID.items()],
    # The roof slab is assigned to the summary task "Roof" itself.
    Spec("SL-R", "IfcSlab", box(-0.2, -0.2, 7.75, 10.2, 10.2, 8.0), "Level 2", "Roof",
         predefined_type="ROOF"),
]


@dataclass(frozen=True)
class Task:
    """One task: its parent (IfcRelNests), and the IfcTaskTime attributes written
    (IfcDateTime / IfcDuration strings; ``None``: not written). ``time=False``:
    the task has no IfcTaskTime at all."""

    name: str
    identification: str
    parent: str | None = None
    start: str | None = None
    finish: str | None = None
    duration: str | None = None
    time: bool = True


#: The programme. Times without a zone are this project's UTC; the one with
#: ``+01:00`` is 16:00 UTC.
TASKS: list[Task] = [
    Task("Frame", "F", time=False),  # summary of everything, no time of its own
    Task("Level 1", "F.1", "Frame", "2027-02-01T08:00:00", "2027-02-26T17:00:00"),
    Task("Level 1 ground slab", "F.1.1", "Level 1", "2027-02-01T08:00:00+01:00",
         "2027-02-10T17:00:00+01:00"),
    Task("Level 1 columns", "F.1.2", "Level 1", time=False),  # inherits "Level 1"
    Task("Level 2", "F.2", "Frame", "2027-03-08T08:00:00", "2027-03-26T17:00:00"),
    Task("Level 2 floor slab", "F.2.1", "Level 2", "2027-03-08T08:00:00", "2027-03-12T17:00:00"),
    # No finish written: start + duration (9 days 9 hours) = 2027-03-24T17:00.
    Task("Level 2 columns", "F.2.2", "Level 2", "2027-03-15T08:00:00", duration="P9DT9H"),
    Task("Roof", "F.3", "Frame", "2027-03-29T08:00:00", "2027-04-09T17:00:00"),
    Task("Roof waterproofing", "F.3.1", "Roof", "2027-04-06T08:00:00", "2027-04-09T17:00:00"),
]

#: The finish of each task by hand (UTC, no zone): its own ScheduleFinish;
#: else ScheduleStart + ScheduleDuration; else the latest finish of its
#: subtasks; else its parent's.
HAND_FINISHES: dict[str, str] = {
    "Frame": "2027-04-09T17:00:00",  # latest of Level 1 / Level 2 / Roof
    "Level 1": "2027-02-26T17:00:00",
    "Level 1 ground slab": "2027-02-10T16:00:00",  # 17:00 at +01:00
    "Level 1 columns": "2027-02-26T17:00:00",  # no time: its parent's, "Level 1"
    "Level 2": "2027-03-26T17:00:00",
    "Level 2 floor slab": "2027-03-12T17:00:00",
    "Level 2 columns": "2027-03-24T17:00:00",  # 2027-03-15T08:00 + 9 d 9 h
    "Roof": "2027-04-09T17:00:00",
    "Roof waterproofing": "2027-04-09T17:00:00",
}


# -- finishes by the rules ----------------------------------------------------------------


def _utc(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def _duration(text: str) -> timedelta:
    """``PnDTnH`` (the only form written here) as a timedelta."""
    days, _, hours = text.removeprefix("P").partition("T")
    return timedelta(days=int(days.removesuffix("D") or 0), hours=int(hours.removesuffix("H") or 0))


def resolve_finishes(tasks: list[Task]) -> dict[str, datetime]:
    """Each task's finish (naive UTC) by the rules stated at :data:`HAND_FINISHES`."""
    by_name = {t.name: t for t in tasks}
    children = {t.name: [c.name for c in tasks if c.parent == t.name] for t in tasks}

    def own(t: Task) -> datetime | None:
        if t.finish is not None:
            return _utc(t.finish)
        if t.start is not None and t.duration is not None:
            return _utc(t.start) + _duration(t.duration)
        return None

    def down(name: str) -> datetime | None:
        mine = own(by_name[name])
        if mine is not None:
            return mine
        found = [f for c in children[name] if (f := down(c)) is not None]
        return max(found) if found else None

    def finish(name: str) -> datetime | None:
        mine = down(name)
        parent = by_name[name].parent
        return mine if mine is not None or parent is None else finish(parent)

    out = {}
    for t in tasks:
        f = finish(t.name)
        if f is None:
            raise SystemExit(f"task {t.name!r} has no finish")
        out[t.name] = f
    return out


# -- the model -----------------------------------------------------------------------------


def build_ifc(path: Path) -> dict[str, str]:
    """Write the model; returns GlobalId by element name and by task name."""
    factory = ModelFactory(project_name="Frame 4D", building_name="Frame", guid_namespace=NAMESPACE)
    storeys = {name: factory.add_storey(name, z) for name, z in STOREYS.items()}
    elements = {}
    for s in SPECS:
        elements[s.name] = factory.add_element(
            s.ifc_class, s.name, shape=s.shape, storey=storeys[s.storey],
            predefined_type=s.predefined_type)
    f = factory.file
    schedule = ifcopenshell.api.sequence.add_work_schedule(
        f, name="Frame programme", predefined_type="PLANNED")
    schedule.CreationDate = CREATED
    # GlobalIds from stable keys before the factory derives the relationships'
    # from what they relate (the api gives random ones).
    factory._set_guid(schedule, "work-schedule:Frame programme")
    schedule.StartTime = TASKS[1].start
    tasks: dict[str, Any] = {}
    for t in TASKS:
        if t.parent is None:
            task = ifcopenshell.api.sequence.add_task(f, work_schedule=schedule, name=t.name)
        else:
            task = ifcopenshell.api.sequence.add_task(f, parent_task=tasks[t.parent], name=t.name)
        factory._set_guid(task, f"task:{t.name}")
        task.Identification = t.identification
        task.PredefinedType = "CONSTRUCTION"
        if t.time:
            time = ifcopenshell.api.sequence.add_task_time(f, task=task)
            time.DurationType = "ELAPSEDTIME"
            time.ScheduleStart = t.start
            time.ScheduleFinish = t.finish
            time.ScheduleDuration = t.duration
        tasks[t.name] = task
    for s in SPECS:
        if s.task is None:
            continue
        if s.link == "output":
            ifcopenshell.api.sequence.assign_product(
                f, relating_product=elements[s.name], related_object=tasks[s.task])
        else:
            ifcopenshell.api.sequence.assign_process(
                f, relating_process=tasks[s.task], related_object=elements[s.name])
    factory.write(path)
    return {name: e.GlobalId for name, e in [*elements.items(), *tasks.items()]}


def write_truth(path: Path, guids: dict[str, str], finishes: dict[str, datetime]) -> None:
    storey_of = {s.name: s.storey for s in SPECS}
    doc = {
        "model": MODEL,
        "schema": "IFC4",
        "length_unit": "m",
        "storeys": [{"name": n, "elevation": z} for n, z in STOREYS.items()],
        "times": "naive times are UTC; a zone-aware IfcDateTime is converted to UTC",
        "elements": {
            s.name: {
                "global_id": guids[s.name],
                "ifc_class": s.ifc_class,
                "storey": storey_of[s.name],
                "box": {"min": list(s.shape.lo), "max": list(s.shape.hi)},
                "task": s.task,
                "link": s.link if s.task else None,
                "finish": finishes[s.task].isoformat() if s.task else None,
            }
            for s in SPECS
        },
        "tasks": {
            t.name: {
                "global_id": guids[t.name],
                "identification": t.identification,
                "parent": t.parent,
                "schedule_start": t.start,
                "schedule_finish": t.finish,
                "schedule_duration": t.duration,
                "task_time": t.time,
                "finish": finishes[t.name].isoformat(),
                "products": sorted(s.name for s in SPECS if s.task == t.name),
            }
            for t in TASKS
        },
    }
    header = ("# Ground truth of frame_4d.ifc, written by samples/build_schedule_sample.py\n"
              "# from its element and task tables (never with bimcheck code). Boxes in m.\n")
    text = yaml.safe_dump(doc, sort_keys=True, default_flow_style=None, allow_unicode=True,
                          width=100)
    path.write_text(header + text, encoding="utf-8")


def build_all(out: Path) -> list[Path]:
    """Write the model and its truth into ``out``; returns the paths."""
    finishes = resolve_finishes(TASKS)
    by_hand = {name: datetime.fromisoformat(v) for name, v in HAND_FINISHES.items()}
    if finishes != by_hand:
        wrong = sorted(n for n in by_hand if finishes.get(n) != by_hand[n])
        raise SystemExit(f"finishes by the rules disagree with HAND_FINISHES: {wrong}")
    out.mkdir(parents=True, exist_ok=True)
    guids = build_ifc(out / MODEL)
    write_truth(out / TRUTH, guids, finishes)
    return [out / MODEL, out / TRUTH]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: samples/)")
    args = parser.parse_args(argv)
    for path in build_all(args.out):
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
