"""Clash rule packs: the kinds ``hard``, ``clearance`` and ``duplicate``, their
params, pack-level grouping and severity bands, and loading.

A clash pack (``rules/clash/*.yaml``)::

    pack: clash-default
    version: 1
    grouping: {radius: 3.0, min_element_clashes: 2}     # metres; clashes
    severity_bands:                                      # per kind, first match wins
      hard:
        - {metric: penetration_depth, min: 0.10, shift: 1}
    rules:
      - id: CL001
        name: MEP through structure
        kind: hard
        severity: high
        doc: {what: ..., why: ..., fix: ...}
        a: IfcDistributionElement
        b: IfcBeam, IfcColumn, IfcSlab
        params: {tolerance: 0.01, ignore: {same_system: true}}
        bands: [...]                                     # optional, overrides the pack's

See docs/clash.md for the meaning of every param.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bimcheck.errors import RulePackError
from bimcheck.packs.loader import builtin_rules_dir
from bimcheck.packs.registry import REGISTRY
from bimcheck.packs.schema import (
    FieldError,
    Kind,
    PackField,
    Param,
    Rule,
    check_unique_ids,
    parse_rule,
)
from bimcheck.units import JSON_DECIMALS

#: Default radius (metres) within which clashes of one storey form a cluster.
DEFAULT_GROUP_RADIUS_M = 3.0
#: Default number of clashes one element must cause to anchor a group.
DEFAULT_MIN_ELEMENT_CLASHES = 2

#: Measures a severity band can test, each in metres or m³.
BAND_METRICS = ("overlap_volume", "penetration_depth", "distance")

_PSET_PROP = re.compile(r"^[^.\s][^.]*\.[^.]+$")

#: The ignore rules and their defaults. ``same_property`` names a property as
#: ``Pset.Property``: two elements with equal (non-empty) values are not checked.
IGNORE_DEFAULTS: dict[str, Any] = {
    "filling_host": True,
    "same_assembly": True,
    "connected": True,
    "same_system": False,
    "same_property": None,
}


def _check_ignore(value: dict) -> dict:
    unknown = sorted(set(map(str, value)) - set(IGNORE_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown ignore rule {unknown[0]!r} (known: {', '.join(IGNORE_DEFAULTS)})"
        )
    out = dict(IGNORE_DEFAULTS)
    for key, given in value.items():
        if key == "same_property":
            if given is not None and (not isinstance(given, str) or not _PSET_PROP.match(given)):
                raise ValueError("same_property must be 'Pset.Property'")
        elif not isinstance(given, bool):
            raise ValueError(f"ignore.{key} must be true or false")
        out[key] = given
    return out


_IGNORE = Param(dict, dict(IGNORE_DEFAULTS), "pairs not to check", check=_check_ignore)

_RUN = "bimcheck.clash.kinds:run_clash_rules"
_SELECT = "bimcheck.clash.run:select_clash"
_CLASH = {"family": "clash", "needs": frozenset({"meshes", "relations"}), "run": _RUN,
          "select": _SELECT, "fields": {"bands": lambda raw: parse_bands(raw)}}

HARD = Kind(
    name="hard",
    doc="the solids share volume deeper than the tolerance",
    params={
        "tolerance": Param(float, 0.0, "penetration depth allowed", unit="m", minimum=0.0,
                           maximum=10.0),
        "allow_touching": Param(bool, True, "do not report contact without shared volume"),
        "ignore": _IGNORE,
    },
    **_CLASH,
)
CLEARANCE = Kind(
    name="clearance",
    doc="the gap between the elements is smaller than required",
    params={
        "clearance": Param(float, 0.05, "required gap", unit="m", minimum=0.0, maximum=100.0),
        "ignore": _IGNORE,
    },
    **_CLASH,
)
DUPLICATE = Kind(
    name="duplicate",
    doc="two elements with the same geometry",
    params={
        "same_class": Param(bool, True, "only elements of the same IFC class"),
        "min_overlap": Param(float, 0.95, "overlap volume / each element's volume", minimum=0.0,
                             maximum=1.0),
        "ignore": _IGNORE,
    },
    **{**_CLASH, "needs": frozenset({"meshes", "relations", "fingerprints"})},
)

for _kind in (HARD, CLEARANCE, DUPLICATE):
    REGISTRY.register(_kind)


@dataclass(frozen=True)
class Band:
    """A severity band: when ``minimum <= metric < maximum`` (m or m³; a bound
    left out is open), the severity moves ``shift`` steps (+ towards critical)."""

    metric: str
    minimum: float | None
    maximum: float | None
    shift: int

    def matches(self, value: float | None) -> bool:
        """Whether ``value`` falls in the band, compared as the report shows it
        (rounded to ``JSON_DECIMALS``), so a depth printed as 0.1 meets ``min: 0.1``."""
        if value is None:
            return False
        value = round(value, JSON_DECIMALS)
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value < self.maximum

    def as_dict(self) -> dict:
        return {"metric": self.metric, "min": self.minimum, "max": self.maximum,
                "shift": self.shift}


@dataclass(frozen=True)
class Grouping:
    """How clashes of a rule are grouped: ``radius`` in metres, and the number
    of clashes one element must cause to anchor a group."""

    radius: float = DEFAULT_GROUP_RADIUS_M
    min_element_clashes: int = DEFAULT_MIN_ELEMENT_CLASHES


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number")
    return float(value)


def parse_bands(raw: Any) -> tuple[Band, ...]:
    """Validate a list of bands; ValueError with a message."""
    if not isinstance(raw, list):
        raise ValueError("expected a list of bands")
    bands = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"band {i}: expected a mapping")
        unknown = sorted(set(map(str, item)) - {"metric", "min", "max", "shift"})
        if unknown:
            raise ValueError(f"band {i}: unknown field {unknown[0]!r}")
        metric = item.get("metric")
        if metric not in BAND_METRICS:
            raise ValueError(f"band {i}: metric must be one of {', '.join(BAND_METRICS)}")
        lo = None if item.get("min") is None else _number(item["min"], f"band {i}: min")
        hi = None if item.get("max") is None else _number(item["max"], f"band {i}: max")
        if lo is None and hi is None:
            raise ValueError(f"band {i}: give min, max or both")
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"band {i}: min must be below max")
        shift = item.get("shift")
        if isinstance(shift, bool) or not isinstance(shift, int) or not -4 <= shift <= 4:
            raise ValueError(f"band {i}: shift must be an integer from -4 to 4")
        bands.append(Band(metric, lo, hi, shift))
    return tuple(bands)


@dataclass(frozen=True)
class ClashPack:
    """A loaded clash pack: its rules, grouping and per-kind severity bands."""

    name: str
    path: Path
    rules: tuple[Rule, ...]
    grouping: Grouping
    bands: dict[str, tuple[Band, ...]]


def rule_bands(rule: Rule) -> tuple[Band, ...]:
    """The bands that apply to ``rule`` (its own, else its pack's for its kind)."""
    return rule.extra.get("bands", ())


def rule_grouping(rule: Rule) -> Grouping:
    """The grouping settings of ``rule``'s pack."""
    return rule.extra.get("grouping", Grouping())


def _parse_severity_bands(raw: Any) -> dict[str, tuple[Band, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping of kind to bands")
    bands: dict[str, tuple[Band, ...]] = {}
    for kind, items in raw.items():
        if kind not in (HARD.name, CLEARANCE.name, DUPLICATE.name):
            raise FieldError(str(kind), f"unknown kind {kind!r}")
        try:
            bands[kind] = parse_bands(items)
        except ValueError as exc:
            raise FieldError(str(kind), str(exc)) from None
    return bands


def _apply_bands(extra: dict, bands: dict[str, tuple[Band, ...]], rule: Rule) -> None:
    extra.setdefault("bands", bands.get(rule.kind, ()))


def _apply_grouping(extra: dict, grouping: Grouping, rule: Rule) -> None:
    extra["grouping"] = grouping


REGISTRY.register_pack_field(PackField("severity_bands", "clash", _parse_severity_bands,
                                       _apply_bands, default={}))


def load_clash_pack(path: str | os.PathLike[str]) -> ClashPack:
    """Load and validate one clash pack; RulePackError naming file, rule, field."""
    from bimcheck.packs.pack import load_pack

    pack = load_pack(path, family="clash")
    return ClashPack(name=pack.name, path=pack.path, rules=pack.rules,
                     grouping=pack.settings["grouping"], bands=pack.settings["severity_bands"])


def _with_extra(rule: Rule, extra: dict) -> Rule:
    return replace(rule, extra=extra)


def _parse_grouping(raw: Any) -> Grouping:
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping")
    unknown = sorted(set(map(str, raw)) - {"radius", "min_element_clashes"})
    if unknown:
        raise FieldError(unknown[0], f"unknown field {unknown[0]!r}")
    radius = raw.get("radius", DEFAULT_GROUP_RADIUS_M)
    if isinstance(radius, bool) or not isinstance(radius, int | float) or not 0 <= radius <= 1e4:
        raise FieldError("radius", "must be a number of metres from 0 to 10000")
    minimum = raw.get("min_element_clashes", DEFAULT_MIN_ELEMENT_CLASHES)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 2:
        raise FieldError("min_element_clashes", "must be an integer >= 2")
    return Grouping(float(radius), minimum)


REGISTRY.register_pack_field(PackField("grouping", "clash", _parse_grouping, _apply_grouping,
                                       default=Grouping()))


def default_pack_path() -> Path:
    """The shipped default clash pack, ``rules/clash/default.yaml``."""
    return builtin_rules_dir() / "clash" / "default.yaml"


def load_clash_rules(
    packs: Sequence[str | os.PathLike[str]] = (), rule_ids: Iterable[str] = ()
) -> list[Rule]:
    """Rules from ``packs`` (default: the shipped default pack), keeping only
    ``rule_ids`` when given. RulePackError for duplicate ids across packs and
    for an id that no pack has."""
    paths = [Path(p) for p in packs] or [default_pack_path()]
    rules: list[Rule] = []
    for p in paths:
        rules.extend(load_clash_pack(p).rules)
    check_unique_ids(rules)
    wanted = list(dict.fromkeys(rule_ids))
    if wanted:
        known = {r.id for r in rules}
        missing = [r for r in wanted if r not in known]
        if missing:
            raise RulePackError(
                f"no rule {missing[0]!r} in the packs given (rules: {', '.join(sorted(known))})",
                path=paths[0] if len(paths) == 1 else None, rule=missing[0],
            )
        rules = [r for r in rules if r.id in set(wanted)]
    return rules


def adhoc_rule(
    *,
    a: str,
    b: str | None,
    kind: str,
    tolerance: float | None = None,
    clearance: float | None = None,
    allow_touching: bool | None = None,
    severity: str = "high",
    rule_id: str = "ADHOC",
) -> Rule:
    """A rule built from command-line options, validated like a pack rule."""
    params: dict[str, Any] = {}
    if tolerance is not None:
        params["tolerance"] = tolerance
    if clearance is not None:
        params["clearance"] = clearance
    if allow_touching is not None:
        params["allow_touching"] = allow_touching
    raw = {
        "id": rule_id, "name": f"ad-hoc {kind} check", "kind": kind, "severity": severity,
        "doc": {"what": f"ad-hoc {kind} check", "why": "given on the command line",
                "fix": "resolve each clash in the authoring tool"},
        "a": a, "params": params,
    }
    if b is not None:
        raw["b"] = b
    rule = parse_rule(raw, registry=REGISTRY, path=Path("<command line>"), pack="", index=0,
                      family="clash")
    return _with_extra(rule, {"bands": (), "grouping": Grouping()})

