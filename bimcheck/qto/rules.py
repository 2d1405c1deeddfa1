"""Measurement-rule packs (``rules/qto/*.yaml``): which elements, which item code,
which quantities measured by which function with which parameters.

A qto pack uses the shared rule format (:mod:`bimcheck.packs.schema`): every
rule has ``id``, ``name``, ``kind`` (``measure``), ``severity`` (``info``), a
``doc`` and an ``a`` selector, plus two fields of its own::

    - id: QB-WALL
      name: Wall base quantities
      kind: measure
      severity: info
      doc: {what: ..., why: ..., fix: ...}
      a: IfcWall
      item: Qto_WallBaseQuantities          # the item code rows are filed under
      quantities:                           # quantity name -> function
        Length: length
        NetVolume: net_volume
        NetWeight: {function: weight, params: {density: 7850}, unit: t}

Function names are those of :data:`bimcheck.qto.functions.FUNCTIONS`; an
unknown name, or params that are not plain numbers, strings or booleans, is a
:class:`~bimcheck.errors.RulePackError` naming the file, the rule and the field.
At pack level, ``reconcile`` sets the relative difference above which a
declared base quantity that disagrees with the computed one is reported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bimcheck.packs.registry import REGISTRY
from bimcheck.packs.schema import Kind, PackField, Param, Rule
from bimcheck.qto import FUNCTIONS, default_qto_pack_path  # noqa: F401  (re-exported)
from bimcheck.qto.records import DEFAULT_RECONCILE_TOLERANCE

#: (function unit, row unit) -> multiplier, for a quantity's ``unit:`` field.
UNIT_FACTORS: dict[tuple[str, str], float] = {
    **{(u, u): 1.0 for u in ("m", "m2", "m3", "kg", "1")},
    ("kg", "t"): 1e-3,
    ("m", "mm"): 1e3,
}

_PACK_FIELDS = {"pack", "version", "doc", "reconcile", "rules"}


@dataclass(frozen=True)
class QuantitySpec:
    """One quantity a rule measures: its name in the output, the function and its params."""

    name: str
    function: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Unit the rows are given in (``None``: the function's own).
    to_unit: str | None = None

    @property
    def unit(self) -> str:
        return self.to_unit or FUNCTIONS[self.function].unit

    @property
    def factor(self) -> float:
        """Multiplier from the function's unit to :attr:`unit`."""
        return UNIT_FACTORS[(FUNCTIONS[self.function].unit, self.unit)]


@dataclass(frozen=True)
class QtoPack:
    """A validated measurement pack."""

    name: str
    path: Path
    rules: tuple[Rule, ...]
    reconcile_tolerance: float = DEFAULT_RECONCILE_TOLERANCE


def rule_item(rule: Rule) -> str:
    """The item code a rule's rows are filed under."""
    return rule.extra["item"]


def rule_quantities(rule: Rule) -> tuple[QuantitySpec, ...]:
    """The quantities a rule measures, in pack order."""
    return rule.extra["quantities"]


def _parse_item(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("required, a non-empty string")
    return raw.strip()


def _parse_quantities(raw: Any) -> tuple[QuantitySpec, ...]:
    if not isinstance(raw, dict) or not raw:
        raise ValueError("required, a mapping of quantity name to function")
    specs = []
    for name, value in raw.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"quantity names must be non-empty strings, got {name!r}")
        to_unit = None
        if isinstance(value, str):
            function, params = value, {}
        elif isinstance(value, dict):
            unknown = sorted(set(map(str, value)) - {"function", "params", "unit"})
            if unknown:
                raise ValueError(f"{name}: unknown field {unknown[0]!r}")
            function, params = value.get("function"), value.get("params", {}) or {}
            to_unit = value.get("unit")
        else:
            raise ValueError(f"{name}: expected a function name or {{function, params}}")
        if not isinstance(function, str) or function not in FUNCTIONS:
            raise ValueError(
                f"{name}: unknown function {str(function)[:80]!r}; expected one of "
                f"{', '.join(sorted(FUNCTIONS))}"
            )
        plain = int | float | str | bool
        if not isinstance(params, dict) or not all(
            isinstance(k, str) and isinstance(v, plain) for k, v in params.items()
        ):
            raise ValueError(f"{name}: params must map names to numbers, strings or booleans")
        accepted = FUNCTIONS[function].accepts
        for key, v in params.items():
            if key not in accepted:
                expected = ", ".join(accepted) if accepted else "none"
                raise ValueError(
                    f"{name}: {function} takes no parameter {key!r}; it takes: {expected}"
                )
            problem = _check_param(key, v)
            if problem:
                raise ValueError(f"{name}: {key}: {problem}")
        if to_unit is not None and (not isinstance(to_unit, str) or (
                FUNCTIONS[function].unit, to_unit) not in UNIT_FACTORS):
            choices = sorted(b for a, b in UNIT_FACTORS if a == FUNCTIONS[function].unit)
            raise ValueError(
                f"{name}: {function} is in {FUNCTIONS[function].unit}; unit {to_unit!r} "
                f"is not one it converts to ({', '.join(choices)})"
            )
        specs.append(QuantitySpec(name.strip(), function, dict(params), to_unit))
    return tuple(specs)


#: Every parameter a quantity function accepts, as the shared :class:`Param`
#: (one type for every rule parameter of every kind).
FUNCTION_PARAMS: dict[str, Param] = {
    "max_kept_area": Param(float, 0.0, "openings up to this face area are not deducted",
                           unit="m2", minimum=0.0),
    "max_kept_volume": Param(float, 0.0, "openings up to this volume are not deducted",
                             unit="m3", minimum=0.0),
    "density": Param(float, 0.0, "mass per volume", unit="kg/m3", minimum=0.0),
    "mass_per_length": Param(float, 0.0, "mass per length", unit="kg/m", minimum=0.0),
    "max_tilt": Param(float, 0.0, "largest tilt of a face from the axis", unit="deg",
                      minimum=0.0, maximum=90.0),
    "along": Param(str, "longest", "the axis measured", choices=("longest", "extrusion")),
    "deduct_filled": Param(bool, True, "deduct openings with a door or window in them"),
    "horizontal": Param(bool, False, "measure across the vertical only"),
    "sides": Param(int, 2, "faces measured", minimum=1, maximum=2),
}


def _check_param(key: str, value: Any) -> str | None:
    """Why a known parameter's value is wrong (by its :data:`FUNCTION_PARAMS`
    entry), or ``None``."""
    spec = FUNCTION_PARAMS.get(key)
    if spec is None:
        return None
    try:
        spec.validate(value)
    except ValueError as exc:
        return f"{exc}, got {value!r}" if "got" not in str(exc) else str(exc)
    return None


def _parse_tolerance(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 1:
        raise ValueError("must be a relative difference from 0 to 1")
    return float(raw)


REGISTRY.register(Kind(
    "measure", doc="measure quantities of the selected elements", params={}, b_selector=False,
    family="qto", needs=frozenset({"meshes", "gross", "declared_quantities"}),
    fields={"item": _parse_item, "quantities": _parse_quantities},
    required_fields=("item", "quantities"),
    run="bimcheck.qto.checks:run_measure_rules", select="bimcheck.qto.checks:select_measured",
))
REGISTRY.register_pack_field(PackField("reconcile", "qto", _parse_tolerance,
                                       default=DEFAULT_RECONCILE_TOLERANCE))


def load_qto_pack(path: str | os.PathLike[str]) -> QtoPack:
    """Load and validate one measurement pack; RulePackError naming file, rule, field."""
    from bimcheck.packs.pack import load_pack

    pack = load_pack(path, family="qto")
    return QtoPack(name=pack.name, path=pack.path, rules=pack.rules,
                   reconcile_tolerance=pack.settings["reconcile"])


