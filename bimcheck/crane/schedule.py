"""The building on the day of a lift: which of the model's elements are obstacles.

A lift is made while the building is half built, so its obstacles are the
elements that stand at lift time. A lift plan says which these are, for the
whole plan or per lift (a lift's own key wins over the plan's):

* ``obstacles: SELECTOR``: the elements an IfcOpenShell selector picks
  (``IfcElement, location="Level 1"``);
* ``schedule: model``: the model's own 4D schedule (:func:`read_schedule`):
  an element stands when the task that builds it finishes at or before the
  start of the lift's window.

Both given: the elements both pick. Neither: every element. The lifted
element is never an obstacle to its own lift, and the plan's neighbours
always are (:mod:`bimcheck.crane.run` does both).

**Reading the schedule** (IFC4, IFC4X3, IFC2X3). Every ``IfcTask`` with its
times: in IFC4 and IFC4X3 its ``IfcTaskTime``; in IFC2X3 the
``IfcScheduleTimeControl`` that an ``IfcRelAssignsTasks`` gives it
(``RelatedObjects``: the task; ``RelatingControl``: the work schedule;
``TimeForTask``: the times). The task's products are those of
``IfcRelAssignsToProduct`` (the task makes the product) and of
``IfcRelAssignsToProcess`` (the product is assigned to the task), and its
subtasks those of ``IfcRelNests``, in every schema. A task's finish is, in
this order:

1. the earlier of its ``ScheduleFinish`` and its ``ActualFinish`` (one of
   them when it gives only one: a task that actually finished early stands
   from then, one that finished late from its scheduled finish: never fewer
   obstacles); else, when it gives neither, ``ScheduleStart`` +
   ``ScheduleDuration`` counted in calendar time (a work-time duration so
   counted ends no later than on a work calendar: never fewer obstacles);
2. else the latest finish of its subtasks (``IfcRelNests``): a summary
   task ends with its last subtask;
3. else its parent task's (a subtask without a time of its own inherits it).

An IFC2X3 task that several ``IfcRelAssignsTasks`` give times (one per work
schedule, say: baseline and update) finishes at the earliest of the
finishes rule 1 reads from them: never fewer obstacles.

A product assigned to several tasks stands from the earliest of their
finishes; a product with no task of its own that is part of an assembly
(``IfcRelAggregates``) takes the assembly's. An element that no task (with
a time) builds, and that no assembly with one holds, is an obstacle at every
lift: existing buildings and unscheduled works stand there.

A selector picks the elements it selects and what they are made of: the
elements a spatial element (a storey, a space, a building) contains
(``IfcRelContainedInSpatialStructure``) and the parts of an aggregate
(``IfcRelAggregates``), down the chain; so ``IfcBuildingStorey, Name="Level
2"`` is that storey's elements. Only elements with a body are obstacles. A
selector that selects no element of the model, or whose picks have no body
(``IfcTask``, an empty storey), is a :class:`~bimcheck.errors.LiftPlanError`
(a typo would otherwise clear every lift that uses it). So is, on load, a
selector with a ``"`` that opens no quoted string (``Name="x``: IfcOpenShell
would read ``"x`` as an unquoted value and match nothing).

Times: ``IfcDateTime`` is ISO 8601. A time with a zone is converted to UTC
and the zone dropped; a time without one is read as it is, which is how the
lift plan reads its windows (:mod:`bimcheck.crane.plan`), so the schedule's
and the plan's naive times must be in the same time zone. A date without a
time is midnight at its start. A time that cannot be read, or that is out of
range once taken to UTC (``0001-01-01T00:00:00+01:00``), is a
:class:`~bimcheck.errors.ModelError` naming the model file and the task.

IFC2X3 times (``IfcDateTimeSelect``) by the same rules: an
``IfcDateAndTime`` is its ``IfcCalendarDate`` at its ``IfcLocalTime``; an
``IfcCalendarDate`` alone is midnight at its start; a local time's ``Zone``
(``IfcCoordinatedUniversalTimeOffset``: ``HourOffset``, ``MinuteOffset``,
``Sense`` ``AHEAD`` of or ``BEHIND`` UTC, plus the time's
``DaylightSavingOffset`` hours when it has one) is taken to UTC, and a local
time without a zone is read as it is. An ``IfcLocalTime`` alone (a time of
day without a date) cannot be read. ``ScheduleDuration`` is an
``IfcTimeMeasure``: seconds, or the project's ``TIMEUNIT`` when its
``IfcUnitAssignment`` gives one.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bimcheck.errors import LiftPlanError, ModelError, SelectorError

if TYPE_CHECKING:
    from bimcheck.crane.plan import Lift
    from bimcheck.model import Model

#: The values ``schedule:`` accepts.
SCHEDULES = ("model",)

#: Schemas whose schedule is read: IFC4 and IFC4X3 (``IfcTaskTime``) and
#: IFC2X3 (``IfcScheduleTimeControl``).
SCHEDULE_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3")

#: ``obstacles_from`` values of a lift result, by (selector given, schedule given).
SOURCES = {(False, False): "model", (True, False): "selector", (False, True): "schedule",
           (True, True): "selector+schedule"}


class _Fails(Protocol):
    def fail(self, key: str, message: str) -> LiftPlanError: ...


# -- plan fields --------------------------------------------------------------------------


def read_obstacle_keys(where: _Fails, doc: dict[str, Any],
                       inherited: tuple[str | None, str | None] = (None, None)
                       ) -> tuple[str | None, str | None]:
    """``(obstacles, schedule)`` of a plan or lift mapping ``doc``; a key it
    does not give is ``inherited`` (the plan's, for a lift). The selector's
    syntax is checked here (the column of the error in the message); whether
    it selects anything is known only against the model."""
    selector, schedule = inherited
    if doc.get("obstacles") is not None:
        selector = doc["obstacles"]
        if not isinstance(selector, str) or not selector.strip():
            raise where.fail("obstacles", f"must be a selector (a non-empty string), not "
                                          f"{selector!r}")
        from bimcheck.selectors import validate_selector

        try:
            validate_selector(selector)
        except SelectorError as exc:
            raise where.fail("obstacles", exc.message) from None
        stray = _stray_quote(selector)
        if stray is not None:
            raise where.fail("obstacles", stray)
    if doc.get("schedule") is not None:
        schedule = doc["schedule"]
        if schedule not in SCHEDULES:
            raise where.fail("schedule", f"must be {' or '.join(SCHEDULES)} (the model's own "
                                         f"4D schedule), not {schedule!r}")
    return selector, schedule


def _stray_quote(selector: str) -> str | None:
    """Why ``selector`` (which parses) has a ``"`` that opens no quoted
    string, or None. IfcOpenShell's grammar reads ``Name="x`` as the unquoted
    value ``"x``, which matches nothing; an unquoted value cannot hold a
    ``"``, so any such value is a quote left open."""
    from bimcheck.selectors import _parse_selector

    for node in _parse_selector(selector).find_data("unquoted_string"):
        for token in node.children:
            text = str(token)
            at = text.find('"')
            if at < 0:
                continue
            start = getattr(token, "start_pos", None)
            column = (start + at + 1) if isinstance(start, int) else selector.find(text) + at + 1
            return (f"invalid selector {selector!r}: unterminated string at column {column} "
                    f"(the \" there is never closed)")
    return None


def with_obstacle_keys(where: _Fails, raw: dict[str, Any], lift: Lift,
                       inherited: tuple[str | None, str | None]) -> Lift:
    """``lift`` with its ``obstacles`` and ``schedule``: its own keys in
    ``raw``, else the plan's ``inherited`` ones. ``schedule: model`` needs
    the lift's window (its start is the day the building is taken at)."""
    selector, schedule = read_obstacle_keys(where, raw, inherited)
    if schedule is not None and lift.window is None:
        given = "" if raw.get("schedule") is not None else (
            f" (the plan's schedule: {schedule} applies to every lift)")
        raise where.fail("schedule", f"needs the lift's window{given}: the building is taken "
                                     "as it stands when the window starts")
    return replace(lift, obstacles=selector, schedule=schedule)


def obstacles_from(lift: Lift) -> str:
    """Where a lift's obstacles come from: ``model`` (every element),
    ``selector``, ``schedule`` or ``selector+schedule``."""
    return SOURCES[(lift.obstacles is not None, lift.schedule is not None)]


# -- the schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A model's 4D schedule: per product GlobalId, the time (naive: UTC, or
    as written without a zone) from which it stands; products not in
    ``finishes`` have no task and always stand."""

    finishes: dict[str, datetime] = field(default_factory=dict)
    #: Finish of each task with one, by the task's GlobalId.
    tasks: dict[str, datetime] = field(default_factory=dict)

    def stands(self, global_id: str, when: datetime) -> bool:
        """Whether the product stands at ``when`` (its task finished at or before)."""
        finish = self.finishes.get(global_id)
        return finish is None or finish <= when


def read_schedule(model: Model) -> Schedule:
    """The 4D schedule of ``model`` by the rules of the module docstring.

    Raises :class:`~bimcheck.errors.ModelError` (naming the model file and
    the task) for a time that cannot be read."""
    f = model.file
    if model.schema not in SCHEDULE_SCHEMAS:
        raise ModelError(f"schedule: model reads the schedule of {', '.join(SCHEDULE_SCHEMAS)}; "
                         f"this is {model.schema}: give the lift an obstacles: selector "
                         "instead", path=model.path)
    tasks = f.by_type("IfcTask")
    parent: dict[int, Any] = {}
    children: dict[int, list[Any]] = {}
    for rel in f.by_type("IfcRelNests"):
        if rel.RelatingObject is None or not rel.RelatingObject.is_a("IfcTask"):
            continue
        for child in rel.RelatedObjects or ():
            if child is not None and child.is_a("IfcTask"):
                parent[child.id()] = rel.RelatingObject
                children.setdefault(rel.RelatingObject.id(), []).append(child)
    if model.schema == "IFC2X3":
        own = _own_finishes_ifc2x3(model, tasks)
    else:
        own = {t.id(): _own_finish(model, t) for t in tasks}
    down = _rolled_up(tasks, own, children)
    finish: dict[int, datetime | None] = {}
    for task in tasks:  # else up the parents (rule 3)
        seen = {task.id()}
        t, value = task, down[task.id()]
        while value is None and t.id() in parent and parent[t.id()].id() not in seen:
            t = parent[t.id()]
            seen.add(t.id())
            value = down[t.id()]
        finish[task.id()] = value
    products: dict[str, datetime] = {}

    def assign(product: Any, task: Any) -> None:
        value = finish.get(task.id())
        if value is None or product is None or not product.is_a("IfcProduct"):
            return
        gid = product.GlobalId
        products[gid] = min(value, products.get(gid, value))

    for rel in f.by_type("IfcRelAssignsToProduct"):
        for obj in rel.RelatedObjects or ():
            if obj is not None and obj.is_a("IfcTask"):
                assign(rel.RelatingProduct, obj)
    for rel in f.by_type("IfcRelAssignsToProcess"):
        if rel.RelatingProcess is not None and rel.RelatingProcess.is_a("IfcTask"):
            for obj in rel.RelatedObjects or ():
                assign(obj, rel.RelatingProcess)
    _inherit_from_assemblies(f, products)
    return Schedule(finishes=products,
                    tasks={t.GlobalId: v for t in tasks if (v := finish[t.id()]) is not None})


def _rolled_up(tasks: list[Any], own: dict[int, datetime | None],
               children: dict[int, list[Any]]) -> dict[int, datetime | None]:
    """Per task (by STEP id): its own finish, else the latest of its subtasks'
    (rules 1 and 2), depth first without recursion; a nesting cycle is cut."""
    down: dict[int, datetime | None] = {}
    opened: set[int] = set()
    for root in tasks:
        stack = [(root, False)]
        while stack:
            task, expanded = stack.pop()
            key = task.id()
            if key in down:
                continue
            if own[key] is not None:
                down[key] = own[key]
            elif expanded:
                found = [d for c in children.get(key, ()) if (d := down.get(c.id())) is not None]
                down[key] = max(found) if found else None
            elif key not in opened:
                opened.add(key)
                stack.append((task, True))
                stack.extend((c, False) for c in children.get(key, ()) if c.id() not in down)
    return down


def _inherit_from_assemblies(f: Any, products: dict[str, datetime]) -> None:
    """A part without a task of its own takes its assembly's (IfcRelAggregates,
    up the chain); in place."""
    whole: dict[str, Any] = {}
    for rel in f.by_type("IfcRelAggregates"):
        if rel.RelatingObject is None:
            continue
        for part in rel.RelatedObjects or ():
            if part is not None:
                whole[part.GlobalId] = rel.RelatingObject
    for gid in list(whole):
        if gid in products:
            continue
        seen, up = {gid}, whole.get(gid)
        while up is not None and up.GlobalId not in seen:
            if up.GlobalId in products:
                products[gid] = products[up.GlobalId]
                break
            seen.add(up.GlobalId)
            up = whole.get(up.GlobalId)


def _own_finish(model: Model, task: Any) -> datetime | None:
    """A task's own finish from its IfcTaskTime (rule 1), or None."""
    tt = getattr(task, "TaskTime", None)
    if tt is None:
        return None
    given = [_datetime(model, task, name, getattr(tt, name))
             for name in ("ScheduleFinish", "ActualFinish") if getattr(tt, name, None)]
    if given:  # the earlier: never fewer obstacles
        return min(given)
    if tt.ScheduleStart and tt.ScheduleDuration:
        start = _datetime(model, task, "ScheduleStart", tt.ScheduleStart)
        return _plus_duration(model, task, start, tt.ScheduleDuration)
    return None


def _where(task: Any) -> str:
    name = f" {task.Name!r}" if task.Name else ""
    return f"IfcTask #{task.id()}{name} ({task.GlobalId})"


def _datetime(model: Model, task: Any, attribute: str, value: Any) -> datetime:
    """An IfcDateTime as a naive datetime (UTC when it had a zone)."""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise ModelError(f"{_where(task)}: TaskTime.{attribute} {value!r} is not an ISO 8601 "
                         "date-time, so the schedule cannot tell when the task ends",
                         path=model.path) from None
    if when.tzinfo is None:
        return when
    try:
        return when.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ModelError(f"{_where(task)}: TaskTime.{attribute} {value!r} is out of range "
                         "once taken to UTC (before year 1 or after 9999), so the schedule "
                         "cannot tell when the task ends", path=model.path) from None


def _plus_duration(model: Model, task: Any, start: datetime, value: Any) -> datetime:
    """``start`` + an IfcDuration (ISO 8601, ``P9DT9H``; months and years on
    the calendar)."""
    import isodate  # a dependency of IfcOpenShell (its util.date)

    try:
        end = start + isodate.parse_duration(str(value))
    except (isodate.ISO8601Error, ValueError, TypeError, OverflowError):
        end = None
    if end is None or end < start:
        raise ModelError(f"{_where(task)}: TaskTime.ScheduleDuration {value!r} is not an ISO "
                         "8601 duration of zero or more, so the schedule cannot tell when the "
                         "task ends", path=model.path)
    return end


# -- IFC2X3: IfcScheduleTimeControl -----------------------------------------------------


def _own_finishes_ifc2x3(model: Model, tasks: list[Any]) -> dict[int, datetime | None]:
    """Per task (by STEP id): its own finish (rule 1) from the
    IfcScheduleTimeControl(s) that IfcRelAssignsTasks give it, the earliest
    when several do; None without one."""
    f = model.file
    controls: dict[int, dict[int, Any]] = {}
    for rel in f.by_type("IfcRelAssignsTasks"):
        control = rel.TimeForTask
        if control is None:
            continue
        for obj in rel.RelatedObjects or ():
            if obj is not None and obj.is_a("IfcTask"):
                controls.setdefault(obj.id(), {})[control.id()] = control
    unit = _seconds_per_time_unit(model) if controls else 1.0
    own: dict[int, datetime | None] = {}
    for task in tasks:
        found = [v for c in controls.get(task.id(), {}).values()
                 if (v := _control_finish(model, task, c, unit)) is not None]
        own[task.id()] = min(found) if found else None
    return own


def _seconds_per_time_unit(model: Model) -> float:
    """Seconds in the project's time unit (IfcTimeMeasure): 1 without one."""
    import ifcopenshell.util.unit

    try:
        scale = float(ifcopenshell.util.unit.calculate_unit_scale(model.file, "TIMEUNIT"))
    except (AttributeError, TypeError, ValueError, ZeroDivisionError):
        scale = math.nan
    if not math.isfinite(scale) or scale <= 0:
        raise ModelError("the project's time unit (IfcUnitAssignment, TIMEUNIT) cannot be "
                         "read, so the schedule cannot tell how long its tasks take",
                         path=model.path)
    return scale


def _control_finish(model: Model, task: Any, control: Any, unit: float) -> datetime | None:
    """A task's finish (rule 1) from one IfcScheduleTimeControl, or None."""
    given = [_ifc2x3_datetime(model, task, control, name, getattr(control, name))
             for name in ("ScheduleFinish", "ActualFinish")
             if getattr(control, name, None) is not None]
    if given:  # the earlier: never fewer obstacles
        return min(given)
    if control.ScheduleStart is not None and control.ScheduleDuration is not None:
        start = _ifc2x3_datetime(model, task, control, "ScheduleStart", control.ScheduleStart)
        return _plus_time_measure(model, task, control, start, unit)
    return None


def _ifc2x3_datetime(model: Model, task: Any, control: Any, attribute: str,
                     value: Any) -> datetime:
    """An IfcDateTimeSelect as a naive datetime (UTC when it had a zone)."""
    try:
        return _from_date_time_select(value)
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:
        shown = value
        if getattr(value, "is_a", None) and value.is_a("IfcDateAndTime"):
            shown = f"{value} of {value.DateComponent} at {value.TimeComponent}"
        raise ModelError(f"{_where(task)}: IfcScheduleTimeControl #{control.id()} {attribute} "
                         f"{shown} is not a valid date-time ({exc}), so the schedule cannot "
                         "tell when the task ends", path=model.path) from None


def _from_date_time_select(value: Any) -> datetime:
    """IfcCalendarDate (midnight at its start) or IfcDateAndTime, naive (UTC
    when its local time has a zone); ValueError or TypeError otherwise."""
    if value.is_a("IfcCalendarDate"):
        day, time = value, None
    elif value.is_a("IfcDateAndTime"):
        day, time = value.DateComponent, value.TimeComponent
    elif value.is_a("IfcLocalTime"):
        raise ValueError("a time of day without a date")
    else:
        raise ValueError(f"an {value.is_a()}, not an IfcDateTimeSelect")
    when = datetime(_integer(day.YearComponent), _integer(day.MonthComponent),
                    _integer(day.DayComponent))
    if time is None:
        return when
    minute = 0 if time.MinuteComponent is None else _integer(time.MinuteComponent)
    second = 0.0 if time.SecondComponent is None else float(time.SecondComponent)
    if not 0 <= second < 60:
        raise ValueError(f"second must be at least 0 and under 60, not {second}")
    when = when.replace(hour=_integer(time.HourComponent), minute=minute)
    when += timedelta(seconds=second)
    zone = time.Zone
    if zone is None:
        return when
    if zone.Sense not in ("AHEAD", "BEHIND"):
        raise ValueError(f"zone sense must be AHEAD or BEHIND, not {zone.Sense!r}")
    hours = _integer(zone.HourOffset, "zone hour offset", 23)
    minutes = 0 if zone.MinuteOffset is None else _integer(zone.MinuteOffset,
                                                            "zone minute offset", 59)
    offset = timedelta(hours=hours, minutes=minutes)
    if zone.Sense == "BEHIND":
        offset = -offset
    if time.DaylightSavingOffset is not None:
        offset += timedelta(hours=_integer(time.DaylightSavingOffset,
                                           "daylight saving offset", 2))
    return when.replace(tzinfo=timezone(offset)).astimezone(UTC).replace(tzinfo=None)


def _integer(value: Any, what: str = "", most: int | None = None) -> int:
    """An IFC integer component; TypeError for a missing or non-integer one,
    ValueError for one outside 0..``most``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what or 'component'} {value!r} is not an integer")
    if most is not None and not 0 <= value <= most:
        raise ValueError(f"{what} must be in 0..{most}, not {value}")
    return value


def _plus_time_measure(model: Model, task: Any, control: Any, start: datetime,
                       unit: float) -> datetime:
    """``start`` + the control's ScheduleDuration (an IfcTimeMeasure in the
    project's time unit, ``unit`` seconds each)."""
    value = control.ScheduleDuration
    try:
        seconds = float(value) * unit
        end = start + timedelta(seconds=seconds) if seconds >= 0 else None
    except (TypeError, ValueError, OverflowError):
        end = None
    if end is None:
        raise ModelError(f"{_where(task)}: IfcScheduleTimeControl #{control.id()} "
                         f"ScheduleDuration {value!r} is not a time of zero or more, so the "
                         "schedule cannot tell when the task ends", path=model.path)
    return end


# -- per lift -----------------------------------------------------------------------------


class StandingElements:
    """Which of a model's elements stand at each lift of one run: each
    selector selected once, the schedule read once (when a lift needs it)."""

    def __init__(self, model: Model, plan_path: Path) -> None:
        self.model, self.plan_path = model, plan_path
        self._selected: dict[str, frozenset[str]] = {}
        self._schedule: Schedule | None = None

    @property
    def schedule(self) -> Schedule:
        """The model's schedule (read on first use)."""
        if self._schedule is None:
            self._schedule = read_schedule(self.model)
        return self._schedule

    def selected(self, lift: Lift) -> frozenset[str]:
        """GlobalIds the lift's ``obstacles`` selector picks in the model: the
        elements it selects and, down the chain, what they contain and are
        made of (:func:`_with_contents`), with a body or not."""
        selector = lift.obstacles
        assert selector is not None
        if selector not in self._selected:
            try:
                found = self.model.select(selector)
            except SelectorError as exc:
                raise LiftPlanError(exc.message, path=self.plan_path, lift=lift.id,
                                    field="obstacles") from None
            if not found:  # a typo would otherwise clear every lift that uses it
                raise LiftPlanError(f"selector {selector!r} selects no element of "
                                    f"{self.model.path.name}", path=self.plan_path,
                                    lift=lift.id, field="obstacles")
            self._selected[selector] = _with_contents(found)
        return self._selected[selector]

    def at_lift(self, lift: Lift, ids: Iterable[str]) -> set[str] | None:
        """Which of ``ids`` (GlobalIds of the model's elements with a body:
        the meshed ones) stand at ``lift``: ``None`` when the lift filters
        none (every element). A selector that picks none of ``ids`` is a
        :class:`~bimcheck.errors.LiftPlanError`."""
        if lift.obstacles is None and lift.schedule is None:
            return None
        keep: Collection[str] = set(ids)
        if lift.obstacles is not None:
            picked = self.selected(lift)
            keep = picked.intersection(keep)
            if not keep:  # no model obstacle at all: the lift would clear the building
                raise LiftPlanError(
                    f"selector {lift.obstacles!r} picks no element with a body in "
                    f"{self.model.path.name}: the {len(picked)} it picks (with what they "
                    "contain and are made of) have none, so no element of the model would "
                    "be an obstacle", path=self.plan_path, lift=lift.id, field="obstacles")
        if lift.schedule is not None:
            assert lift.window is not None  # the plan checked it
            start, schedule = lift.window[0], self.schedule
            keep = {g for g in keep if schedule.stands(g, start)}
        return set(keep)


def _with_contents(found: Iterable[Any]) -> frozenset[str]:
    """GlobalIds of ``found`` and, down the chain, of what they contain
    (``IfcRelContainedInSpatialStructure``: a storey's or a space's elements)
    and are made of (``IfcRelAggregates``: a building's storeys, an
    assembly's parts); a cycle is cut."""
    ids: set[str] = set()
    stack = list(found)
    while stack:
        e = stack.pop()
        gid = getattr(e, "GlobalId", None)
        if not gid or gid in ids:
            continue
        ids.add(gid)
        for rel in getattr(e, "ContainsElements", None) or ():
            stack.extend(x for x in rel.RelatedElements or () if x is not None)
        for rel in getattr(e, "IsDecomposedBy", None) or ():
            stack.extend(x for x in rel.RelatedObjects or () if x is not None)
    return frozenset(ids)
