"""The rule-pack schema shared by every check family (clash, qto, crane, risk).

A pack is a YAML mapping with ``pack`` (its name), ``version`` and ``rules``, a
list of rules. Every rule has ``id``, ``name``, ``kind``, ``severity``, a
``doc`` with ``what``/``why``/``fix``, selectors and ``params``. Which kinds
exist, and which params each kind takes, is declared by the check family in a
:class:`KindRegistry` (sqlfluff's ``RuleSet.register`` is the model): the
loader validates every field against it and a :class:`RulePackError` names
the file, the rule id and the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bimcheck.errors import RulePackError, SelectorError

#: Severities from the most to the least severe.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")

_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_DOC_KEYS = ("what", "why", "fix")


class FieldError(ValueError):
    """A ValueError about a sub-field of the value being validated (``radius``
    of ``grouping``): the loader names ``grouping.radius``."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def severity_rank(severity: str) -> int:
    """0 for ``critical`` … 4 for ``info``: smaller is more severe."""
    return SEVERITIES.index(severity)


def shift_severity(severity: str, steps: int) -> str:
    """``severity`` moved ``steps`` towards critical (positive) or info
    (negative), clamped to the scale."""
    rank = min(max(severity_rank(severity) - steps, 0), len(SEVERITIES) - 1)
    return SEVERITIES[rank]


@dataclass(frozen=True)
class Param:
    """One kind-specific parameter: its type, default, bounds and meaning.

    ``type`` is ``float``, ``int``, ``bool``, ``str``, ``list`` (of str),
    ``dict`` (validated by ``check``) or ``object`` (anything; ``check``
    validates); ``unit`` is documentation (e.g. "m").
    ``check`` receives the value and returns it normalised, or raises
    ValueError with a message.
    """

    type: type
    default: Any
    doc: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    check: Callable[[Any], Any] | None = None
    #: The rule must give it (``default`` is then unused).
    required: bool = False

    def validate(self, value: Any) -> Any:
        """The value checked and normalised; ValueError with a message otherwise."""
        if self.type is object:  # any plain data: ``check`` validates it
            pass
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"expected a number, got {type(value).__name__}")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError("expected a finite number")
        elif self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"expected an integer, got {type(value).__name__}")
        elif self.type is list:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("expected a list of strings")
            value = tuple(value)
        elif not isinstance(value, self.type) or (
            self.type is not bool and isinstance(value, bool)
        ):
            raise ValueError(f"expected {self.type.__name__}, got {type(value).__name__}")
        unit = f" {self.unit}" if self.unit else ""
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be >= {self.minimum}{unit}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be <= {self.maximum}{unit}, got {value}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}, got {value!r}")
        if self.check is not None:
            value = self.check(value)
        return value


#: What a kind can ask the run context for (built once per run, shared by all
#: kinds): ``meshes`` (net tessellation), ``gross`` (without openings),
#: ``relations`` (clash ignore relations), ``lift_plan``, ``declared_quantities``,
#: ``fingerprints``.
INPUTS: tuple[str, ...] = ("meshes", "gross", "relations", "lift_plan",
                           "declared_quantities", "fingerprints")


@dataclass(frozen=True)
class Kind:
    """A check kind: its name, family, what it does, its params, which
    selectors it takes, the run inputs it needs, its own rule-level fields
    and the function that runs its rules.

    ``a_selector``: ``required``, ``optional`` or ``none``; ``b_selector``:
    whether a ``b`` selector is allowed. ``fields`` maps extra top-level rule
    fields to validators (value in, normalised value out, ValueError on bad
    input); ``required_fields`` must be given. ``run(ctx, rules)`` returns a
    :class:`bimcheck.run.KindResult`; ``select(ctx, rules)`` (optional) says
    which elements of each model it needs meshes of, before any kind runs, so
    that one tessellation pass serves every kind.
    """

    name: str
    doc: str
    params: Mapping[str, Param]
    b_selector: bool = True
    family: str = ""
    a_selector: str = "required"
    needs: frozenset[str] = frozenset()
    fields: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    required_fields: tuple[str, ...] = ()
    run: Callable[..., Any] | None = None
    select: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(INPUTS)
        if unknown:
            raise ValueError(f"kind {self.name}: unknown input(s) {sorted(unknown)}")
        if self.a_selector not in ("required", "optional", "none"):
            raise ValueError(f"kind {self.name}: a_selector must be required, optional or none")


@dataclass(frozen=True)
class PackField:
    """A pack-level field a family accepts (``grouping``, ``severity_bands``,
    ``reconcile``...): ``parse`` validates the raw value (ValueError with a
    message); ``apply(extra, value, rule)``, when given, copies what a rule
    needs of it into the rule's ``extra``, for every rule of ``family`` in the
    pack (without it the value is only in the pack's ``settings``)."""

    name: str
    family: str
    parse: Callable[[Any], Any]
    apply: Callable[[dict, Any, Rule], None] | None = None
    default: Any = None


@dataclass
class KindRegistry:
    """Every check kind bimcheck knows, of every family, and the pack-level
    fields families accept (sqlfluff's ``RuleSet.register``, flake8's plugin
    finder). There is one: :data:`bimcheck.packs.registry.REGISTRY`."""

    kinds: dict[str, Kind] = field(default_factory=dict)
    pack_fields: dict[str, PackField] = field(default_factory=dict)

    def register(self, kind: Kind) -> Kind:
        """Add a kind; a second kind of the same name is a programming error."""
        if kind.name in self.kinds:
            raise ValueError(f"kind {kind.name!r} registered twice")
        self.kinds[kind.name] = kind
        return kind

    def register_pack_field(self, spec: PackField) -> PackField:
        """Add a pack-level field; a second of the same name is a programming error."""
        if spec.name in self.pack_fields:
            raise ValueError(f"pack field {spec.name!r} registered twice")
        self.pack_fields[spec.name] = spec
        return spec

    def of_family(self, family: str) -> dict[str, Kind]:
        """The kinds of one family, by name."""
        return {n: k for n, k in self.kinds.items() if k.family == family}


@dataclass(frozen=True)
class Rule:
    """One validated rule. Selectors are IfcOpenShell selector strings; ``b``
    is None when the rule checks ``a`` against itself. ``params`` holds every
    param of the kind, defaults filled in. ``extra`` keeps family-specific
    top-level fields (validated by the family)."""

    id: str
    name: str
    kind: str
    severity: str
    doc: Mapping[str, str]
    a: str | None
    b: str | None
    params: Mapping[str, Any]
    pack: str
    path: Path
    extra: Mapping[str, Any] = field(default_factory=dict)
    family: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data for reports (no path: reports stay machine-independent)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "severity": self.severity,
            "a": self.a,
            "b": self.b,
            "pack": self.pack,
            "params": {k: _plain(v) for k, v in self.params.items()},
        }


def _plain(value: Any) -> Any:
    """A param value as JSON-ready plain data (tuples as lists)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


_RULE_FIELDS = {"id", "name", "kind", "severity", "doc", "a", "b", "params", "enabled"}


def parse_rule(
    raw: Any,
    *,
    registry: KindRegistry,
    path: Path,
    pack: str,
    index: int,
    extra_fields: Mapping[str, Callable[[Any], Any]] | None = None,
    family: str | None = None,
) -> Rule:
    """Validate one rule mapping of a pack (``rules[index]``) against ``registry``.

    ``extra_fields`` maps additional top-level field names allowed to a
    validator (value in, normalised value out, ValueError on bad input); the
    kind's own ``fields`` are allowed too. ``family``: only kinds of that
    family are accepted (a clash pack read by ``bimcheck clash``).
    """
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise RulePackError(f"expected a mapping, got {type(raw).__name__}", path=path, field=where)
    rid = raw.get("id")
    if not isinstance(rid, str) or not _RULE_ID.match(rid):
        raise RulePackError(
            "rule id must be a string of letters, digits, '_', '.', '-' starting with a letter"
            f" (at most 64), got {rid!r}",
            path=path, field=f"{where}.id",
        )
    extra_fields = dict(extra_fields or {})
    kinds = registry.kinds if family is None else registry.of_family(family)
    kind_raw = raw.get("kind")
    kind = kinds.get(kind_raw) if isinstance(kind_raw, str) else None
    if kind is not None:
        extra_fields.update(kind.fields)
    unknown = sorted(set(map(str, raw)) - _RULE_FIELDS - set(extra_fields))
    if unknown:
        raise RulePackError(
            f"unknown field(s) {', '.join(map(str, unknown))}",
            path=path, rule=rid, field=unknown[0],
        )

    def text(key: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RulePackError("required, a non-empty string", path=path, rule=rid, field=key)
        return value.strip()

    if not isinstance(raw.get("enabled", True), bool):
        raise RulePackError("must be true or false", path=path, rule=rid, field="enabled")
    name = text("name")
    kind_name = text("kind")
    if kind is None:
        what = "kind" if family is None else f"{family} kind"
        raise RulePackError(
            f"unknown {what} {kind_name!r}; expected one of {', '.join(sorted(kinds))}",
            path=path, rule=rid, field="kind",
        )
    severity = text("severity")
    if severity not in SEVERITIES:
        raise RulePackError(
            f"must be one of {', '.join(SEVERITIES)}, got {severity!r}",
            path=path, rule=rid, field="severity",
        )
    doc = raw.get("doc")
    if not isinstance(doc, dict):
        raise RulePackError(
            "required: a mapping with what, why and fix", path=path, rule=rid, field="doc"
        )
    for key in _DOC_KEYS:
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise RulePackError(
                "required, a non-empty string", path=path, rule=rid, field=f"doc.{key}"
            )
    unknown_doc = sorted(set(doc) - set(_DOC_KEYS))
    if unknown_doc:
        raise RulePackError(
            f"unknown field {unknown_doc[0]!r}", path=path, rule=rid, field=f"doc.{unknown_doc[0]}"
        )
    if kind.a_selector == "none" and raw.get("a") is not None:
        raise RulePackError(f"kind {kind_name} takes no a selector", path=path, rule=rid,
                            field="a")
    a = (None if kind.a_selector == "none" else
         _selector(raw, "a", required=kind.a_selector == "required", path=path, rid=rid))
    b = _selector(raw, "b", required=False, path=path, rid=rid)
    if b is not None and not kind.b_selector:
        raise RulePackError(
            f"kind {kind_name} takes no b selector", path=path, rule=rid, field="b"
        )
    params = _params(raw.get("params", {}), kind, path=path, rid=rid)
    extra = {}
    for key, validator in extra_fields.items():
        if key in raw:
            try:
                extra[key] = validator(raw[key])
            except ValueError as exc:
                raise RulePackError(str(exc), path=path, rule=rid, field=key) from None
    for key in kind.required_fields:
        if key not in extra:
            raise RulePackError("required", path=path, rule=rid, field=key)
    return Rule(
        id=rid, name=name, kind=kind_name, severity=severity,
        doc={k: doc[k].strip() for k in _DOC_KEYS}, a=a, b=b, params=params,
        pack=pack, path=path, extra=extra, family=kind.family,
    )


def _selector(raw: dict, key: str, *, required: bool, path: Path, rid: str) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RulePackError(
            "required, an IfcOpenShell selector string" if required else
            "expected an IfcOpenShell selector string",
            path=path, rule=rid, field=key,
        )
    value = value.strip()
    from bimcheck.selectors import validate_selector  # builds IfcOpenShell's grammar: 0.3 s

    try:
        validate_selector(value)
    except SelectorError as exc:
        raise RulePackError(
            f"{exc.message}", path=path, rule=rid, field=f"{key} (column {exc.column})"
        ) from None
    return value


def _params(raw: Any, kind: Kind, *, path: Path, rid: str) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise RulePackError(
            f"expected a mapping, got {type(raw).__name__}", path=path, rule=rid, field="params"
        )
    unknown = sorted(set(map(str, raw)) - set(kind.params))
    if unknown:
        known = ", ".join(sorted(kind.params)) or "none"
        raise RulePackError(
            f"unknown param for kind {kind.name} (known: {known})",
            path=path, rule=rid, field=f"params.{unknown[0]}",
        )
    out = {}
    for name, spec in kind.params.items():
        if name in raw:
            try:
                out[name] = spec.validate(raw[name])
            except ValueError as exc:
                raise RulePackError(
                    str(exc), path=path, rule=rid, field=f"params.{name}"
                ) from None
        elif spec.required:
            raise RulePackError("required", path=path, rule=rid, field=f"params.{name}")
        else:
            out[name] = spec.default
    return out


def check_unique_ids(rules: list[Rule]) -> None:
    """RulePackError naming both files when two rules share an id."""
    seen: dict[str, Rule] = {}
    for rule in rules:
        first = seen.get(rule.id)
        if first is not None:
            where = "earlier in this file" if first.path == rule.path else f"in {first.path}"
            raise RulePackError(
                f"duplicate rule id (also {where})", path=rule.path, rule=rule.id, field="id"
            )
        seen[rule.id] = rule
