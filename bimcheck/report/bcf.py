"""BCF 2.1 export of a clash report (the dict described in ``docs/clash.md``).

One topic per clash group by default, or one per clash with ``per_clash``. Each
topic is a folder named by its GUID holding ``markup.bcf`` (title, priority,
labels, description) and ``viewpoint.bcfv`` (the elements selected and a
perspective camera looking at the location). Written as text from fixed
templates (the bytes ElementTree writes, ten times faster on thousands of
topics), following the BCF 2.1 XSDs (element order included).

Topic GUIDs are derived from the stable keys of the report (group id or clash
key), so exporting a later run again gives the same GUIDs: a BCF server or
viewer updates its topics instead of duplicating them.

With a fixed ``created`` the bytes are identical from run to run: fixed zip
timestamps, entries in a fixed order, no random GUIDs.

Units: lengths in metres, volumes in m³, world coordinates, angles in degrees.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bimcheck.report.files import check_writable, write_atomic
from bimcheck.report.xmlout import xml_attr, xml_text
from bimcheck.report.zipout import deflated_zip

__all__ = ["TOPIC_NAMESPACE", "bcf_bytes", "camera", "topic_guid", "topics_bcf", "write_bcf",
           "xml_safe"]

#: Namespace of the name-based (version 5) UUIDs of topics. Fixed for ever:
#: changing it would give every topic of every project a new GUID.
TOPIC_NAMESPACE = uuid.UUID("ef44ed3e-c1fb-40a2-96af-d03d9358213d")

#: Field of view of the perspective camera, degrees.
FIELD_OF_VIEW_DEG = 60.0
#: The camera stands at least this far from the location it looks at, metres.
MIN_CAMERA_DISTANCE_M = 5.0
#: Where the camera stands, seen from the location: above, south-west.
_CAMERA_OFFSET = (-1.0, -1.0, 1.0)

_ILLEGAL_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_IFC_GUID = re.compile(r"[0-9A-Za-z_$]{22}")

Vec = tuple[float, float, float]


def topic_guid(key: str) -> str:
    """The topic GUID of a group id or a clash key: UUID5 in :data:`TOPIC_NAMESPACE`."""
    return str(uuid.uuid5(TOPIC_NAMESPACE, key))


def xml_safe(text: object) -> str:
    """``text`` as a string without the characters XML 1.0 forbids (control
    characters, lone surrogates, U+FFFE/U+FFFF). Escaping ``<&>"`` is left to
    the writer (``xmlout.xml_text``, ``xmlout.xml_attr``)."""
    return _ILLEGAL_XML.sub("", str(text))


def write_bcf(
    report: dict[str, Any],
    path: str | os.PathLike[str],
    *,
    per_clash: bool = False,
    overwrite: bool = False,
    created: datetime | None = None,
    author: str = "bimcheck",
) -> Path:
    """Write the report as a BCF 2.1 ``.bcfzip`` at ``path``, atomically.

    Raises OutputError (naming the path) if the file exists without
    ``overwrite`` or cannot be written.
    """
    check_writable(path, overwrite=overwrite)
    data = bcf_bytes(report, per_clash=per_clash, created=created, author=author)
    return write_atomic(path, data, overwrite=overwrite)


def bcf_bytes(
    report: dict[str, Any],
    *,
    per_clash: bool = False,
    created: datetime | None = None,
    author: str = "bimcheck",
) -> bytes:
    """The BCF 2.1 zip of the report, in memory.

    ``created`` (default: now) is the topics' CreationDate and the zip entries'
    timestamp; a naive datetime is taken as UTC.
    """
    when = (created or datetime.now(UTC)).replace(microsecond=0)
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    clashes = {c["key"]: c for c in report.get("clashes", [])}
    topics = (
        [_clash_topic(report, c) for c in report.get("clashes", [])]
        if per_clash
        else [_group_topic(report, g, clashes) for g in report.get("groups", [])]
    )
    models = [m["path"] for m in report.get("models", []) if m.get("path")]
    return topics_bcf(topics, models, when=when, author=author)


def topics_bcf(topics: list[dict[str, Any]], models: Sequence[str], *,
               when: datetime | None = None, author: str = "bimcheck",
               topic_type: str = "Clash") -> bytes:
    """A BCF 2.1 zip of ready-made topics, each a dict with ``key`` (its GUID
    is derived from it), ``title``, ``severity`` (or None), ``labels``,
    ``description``, ``elements`` (IFC GlobalIds), ``location`` (m) and
    ``spread`` (m). ``models``: the file names in each topic's header.

    A topic whose ``location`` is None or not three finite numbers gets a
    viewpoint without a camera (the schema's ``xs:double`` has no ``nan``):
    its elements are still selected. Elements that are not IFC GlobalIds are
    left out of the selection."""
    when = (when or datetime.now(UTC)).replace(microsecond=0)
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    entries: list[tuple[str, bytes]] = []
    for t in topics:
        guid = topic_guid(t["key"])
        vp_guid = str(uuid.uuid5(TOPIC_NAMESPACE, guid + ":viewpoint"))
        entries.append((f"{guid}/markup.bcf",
                        _markup(models, t, guid, vp_guid, when, author, topic_type)))
        entries.append((f"{guid}/viewpoint.bcfv", _viewpoint(t, vp_guid)))
    entries.sort()
    entries.insert(0, ("bcf.version", _version()))

    # a zip's dates run from 1980 to 2107 (a model file's time can be anything)
    stamp = min(max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0)), (2107, 12, 31, 23, 59, 58))
    return deflated_zip(entries, stamp)  # made on unix, mode 0644, whatever the platform


# --- topics: plain dicts gathered from the report ------------------------------------------


def _clash_topic(report: dict[str, Any], c: dict[str, Any]) -> dict[str, Any]:
    points = [p for p in (c.get("point_a"), c.get("point_b")) if p]
    return {
        "key": c["key"],
        "title": _clash_title(c),
        "severity": c.get("severity"),
        "labels": _labels(report, c["rule"], [c]),
        "description": _clash_description(report, c),
        "elements": sorted({c["a"]["global_id"], c["b"]["global_id"]}),
        "location": c["location"],
        "spread": _spread(c["location"], points),
    }


def _group_topic(
    report: dict[str, Any], g: dict[str, Any], clashes: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    members = [clashes[k] for k in g.get("clashes", []) if k in clashes]
    lines = [_rule_line(report, g["rule"], g.get("severity"))]
    lines.append(
        f"Group {g['id']} (by {g.get('by')}), storey {g.get('storey') or 'n/a'},"
        f" centre {_xyz(g['location'])}."
    )
    lines.append(f"Clashes ({len(g.get('clashes', []))}):")
    lines += [f"- {_clash_title(c)}: {_measures(c)}" for c in members]
    return {
        "key": g["id"],
        "title": _group_title(g, members),
        "severity": g.get("severity"),
        "labels": _labels(report, g["rule"], members),
        "description": "\n".join(lines),
        "elements": list(g.get("elements", [])),
        "location": g["location"],
        "spread": _spread(g["location"], [c["location"] for c in members]),
    }


def _element_label(e: dict[str, Any]) -> str:
    name = e.get("name")
    return f"{e.get('ifc_class')} '{name}'" if name else f"{e.get('ifc_class')} {e['global_id']}"


def _clash_title(c: dict[str, Any]) -> str:
    rel = c.get("relation") or c.get("kind")
    return f"{c['rule']} {rel}: {_element_label(c['a'])} × {_element_label(c['b'])}"


def _group_title(g: dict[str, Any], members: list[dict[str, Any]]) -> str:
    n = len(g.get("clashes", []))
    clashes = f"{n} clash" if n == 1 else f"{n} clashes"
    if g.get("by") == "element" and g.get("element"):
        el = next(
            (e for c in members for e in (c["a"], c["b"]) if e["global_id"] == g["element"]),
            {"global_id": g["element"], "ifc_class": "element", "name": None},
        )
        who = f"'{el['name']}' ({el['ifc_class']})" if el.get("name") else _element_label(el)
        return f"{g['rule']}: {who} causes {clashes}"
    if g.get("by") == "single" and len(members) == 1:
        return _clash_title(members[0])
    return f"{g['rule']}: {clashes} near {g.get('storey') or _xyz(g['location'])}"


def _labels(report: dict[str, Any], rule: str, clashes: list[dict[str, Any]]) -> list[str]:
    kinds = [c["kind"] for c in clashes if c.get("kind")]
    if not kinds:
        kinds = [r["kind"] for r in report.get("rules", []) if r.get("id") == rule and "kind" in r]
    disciplines = {
        e["discipline"] for c in clashes for e in (c["a"], c["b"]) if e.get("discipline")
    }
    return list(dict.fromkeys([rule, *sorted(set(kinds)), *sorted(disciplines)]))


def _rule_line(report: dict[str, Any], rule: str, severity: str | None) -> str:
    name = next((r.get("name") for r in report.get("rules", []) if r.get("id") == rule), None)
    return f"Rule {rule}" + (f" ({name})" if name else "") + f", severity {severity or 'n/a'}."


def _clash_description(report: dict[str, Any], c: dict[str, Any]) -> str:
    lines = [_rule_line(report, c["rule"], c.get("severity"))]
    for side in ("a", "b"):
        e = c[side]
        extra = ", ".join(
            f"{k} {e[k]}" for k in ("storey", "discipline", "model") if e.get(k) is not None
        )
        head = f"{side.upper()}: {_element_label(e)} [{e['global_id']}]"
        lines.append(f"{head}, {extra}" if extra else head)
    lines.append(f"{c.get('relation')}: {_measures(c)}")
    if c.get("point_a") and c.get("point_b"):
        lines.append(f"Closest points: A {_xyz(c['point_a'])}, B {_xyz(c['point_b'])}.")
    lines.append(f"Clash key {c['key']}, group {c.get('group')}.")
    return "\n".join(lines)


def _measures(c: dict[str, Any]) -> str:
    """One line of measurements: m³, m, and the location in world coordinates (m)."""
    exact = "exact" if c.get("exact") else "not exact (triangle test)"
    return (
        f"overlap {_num(c.get('overlap_volume'))} m³, depth {_num(c.get('penetration_depth'))} m,"
        f" distance {_num(c.get('distance'))} m, {exact}, at {_xyz(c['location'])}"
    )


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4g}"


def _xyz(p: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in p) + ") m"


# --- camera ---------------------------------------------------------------------------------


def _spread(centre: Sequence[float], points: Iterable[Sequence[float]]) -> float:
    """Largest distance (m) from ``centre`` to any of ``points`` (0 if none)."""
    return max((math.dist(centre, p) for p in points), default=0.0)


def _unit(v: Sequence[float]) -> Vec:
    n = math.sqrt(sum(x * x for x in v))
    return (v[0] / n, v[1] / n, v[2] / n)


def camera(location: Sequence[float], spread: float) -> tuple[Vec, Vec, Vec]:
    """Viewpoint, direction and up vector of a camera looking at ``location``.

    The camera stands above and south-west of the location at
    ``max(MIN_CAMERA_DISTANCE_M, 2 * spread)`` metres; the direction is the unit
    vector from the viewpoint to the location; the up vector is the world Z
    made perpendicular to the direction (so its z is positive), unit length.
    """
    off = _unit(_CAMERA_OFFSET)
    dist = max(MIN_CAMERA_DISTANCE_M, 2.0 * spread)
    view = (location[0] + dist * off[0], location[1] + dist * off[1], location[2] + dist * off[2])
    d = (-off[0], -off[1], -off[2])
    up = _unit((-d[2] * d[0], -d[2] * d[1], 1.0 - d[2] * d[2]))  # Z - (Z·d) d
    return view, d, up


# --- XML ------------------------------------------------------------------------------------


def _t(text: object) -> str:
    """``text`` fit for XML character data: illegal characters removed, ``&<>`` escaped."""
    return xml_text(xml_safe(text))


def _leaf(indent: str, tag: str, text: object) -> str:
    """One line: ``<tag>text</tag>``, or ``<tag />`` when the text is None or empty."""
    body = "" if text is None else _t(text)
    return f"{indent}<{tag}>{body}</{tag}>" if body else f"{indent}<{tag} />"


_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _version() -> bytes:
    return (_DECLARATION + '<Version VersionId="2.1">\n  <DetailedVersion>2.1</DetailedVersion>\n'
            "</Version>\n").encode("utf-8")


def _markup(
    models: Sequence[str], t: dict[str, Any], guid: str, vp_guid: str, when: datetime,
    author: str, topic_type: str = "Clash",
) -> bytes:
    """markup.bcf: the header's files, the topic, its viewpoint (written as
    ElementTree indents it, two spaces a level; the GUIDs are uuid strings)."""
    lines = [_DECLARATION + "<Markup>"]
    if models:
        lines.append("  <Header>")
        for m in models:
            lines += ["    <File>", _leaf("      ", "Filename", Path(m).name), "    </File>"]
        lines.append("  </Header>")
    lines.append(f'  <Topic Guid="{guid}" TopicType="{xml_attr(xml_safe(topic_type))}"'
                 ' TopicStatus="Open">')
    lines.append(_leaf("    ", "Title", t["title"]))
    if t.get("severity"):
        lines.append(_leaf("    ", "Priority", t["severity"]))
    lines += [_leaf("    ", "Labels", label) for label in t["labels"]]
    lines.append(_leaf("    ", "CreationDate", when.isoformat()))
    lines.append(_leaf("    ", "CreationAuthor", author))
    lines.append(_leaf("    ", "Description", t["description"]))
    lines.append("  </Topic>")
    lines.append(f'  <Viewpoints Guid="{vp_guid}">')
    lines.append("    <Viewpoint>viewpoint.bcfv</Viewpoint>")
    lines.append("  </Viewpoints>")
    lines.append("</Markup>\n")
    return "\n".join(lines).encode("utf-8")


def _viewpoint(t: dict[str, Any], vp_guid: str) -> bytes:
    """viewpoint.bcfv: the selected IFC GlobalIds (22 characters of the IFC
    alphabet, nothing to escape) and the camera, if the topic has one."""
    lines = [_DECLARATION + f'<VisualizationInfo Guid="{vp_guid}">', "  <Components>"]
    guids = [g for g in t["elements"] if _IFC_GUID.fullmatch(str(g))]  # others: not IFC GUIDs
    if guids:
        lines.append("    <Selection>")
        lines += [f'      <Component IfcGuid="{g}" />' for g in guids]
        lines.append("    </Selection>")
    lines.append('    <Visibility DefaultVisibility="true" />')
    lines.append("  </Components>")
    vectors = _camera_of(t.get("location"), t.get("spread"))
    if vectors is not None:
        lines.append("  <PerspectiveCamera>")
        for tag, (x, y, z) in zip(("CameraViewPoint", "CameraDirection", "CameraUpVector"),
                                  vectors, strict=True):
            lines += [f"    <{tag}>", f"      <X>{float(x)!r}</X>", f"      <Y>{float(y)!r}</Y>",
                      f"      <Z>{float(z)!r}</Z>", f"    </{tag}>"]
        lines.append(f"    <FieldOfView>{FIELD_OF_VIEW_DEG!r}</FieldOfView>")
        lines.append("  </PerspectiveCamera>")
    lines.append("</VisualizationInfo>\n")
    return "\n".join(lines).encode("utf-8")


def _camera_of(location: Any, spread: Any) -> tuple[Vec, Vec, Vec] | None:
    """The camera of a topic, or None when its location is not a finite point
    or the camera would not be (xs:double has no ``nan``; ``inf`` is no place)."""
    try:
        loc = [float(v) for v in location]
        spread_m = float(spread or 0.0)
    except (TypeError, ValueError):
        return None
    if len(loc) != 3 or not all(math.isfinite(v) for v in loc):
        return None
    vectors = camera(loc, spread_m if math.isfinite(spread_m) else 0.0)
    if not all(math.isfinite(x) for vec in vectors for x in vec):
        return None
    return vectors
