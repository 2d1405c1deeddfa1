"""One loader for every rule pack: YAML packs of any family, folders of
packs, and IDS files.

A pack is a YAML mapping::

    pack: project-rules          # its name
    version: 1
    description: ...             # optional
    rules: [...]                 # rules of any registered kind
    grouping: {...}              # pack-level fields registered by families
                                 # (clash grouping and severity_bands, qto reconcile,
                                 # crane bands and results, ...)

Every rule is validated against its kind in the one registry
(:mod:`bimcheck.packs.registry`): an error names the file, the rule id and
the field. ``--rules`` in ``bimcheck check`` takes a pack, a folder of packs
(every ``*.yaml``, ``*.yml`` and ``*.ids`` in it, sorted by name) or an
``.ids`` file, which becomes one rule of kind ``ids``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bimcheck.errors import RulePackError
from bimcheck.packs.loader import builtin_rules_dir, file_digest, load_yaml
from bimcheck.packs.registry import load_kinds
from bimcheck.packs.schema import FieldError, Rule, check_unique_ids, parse_rule

_COMMON_FIELDS = {"pack", "version", "description", "doc", "rules", "include"}

#: Deepest chain of ``include`` followed (a pack including a pack ...).
MAX_INCLUDE_DEPTH = 8

#: Suffixes of the files a folder of packs contributes.
PACK_SUFFIXES = (".yaml", ".yml", ".ids")


@dataclass(frozen=True)
class Pack:
    """A loaded, validated pack: its rules (enabled ones only), its pack-level
    settings and the BLAKE2b digest of its bytes (for report headers)."""

    name: str
    path: Path
    rules: tuple[Rule, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    #: Other packs this one runs too (``include:``, relative to this file).
    includes: tuple[Path, ...] = ()

    def header(self) -> dict[str, Any]:
        """The pack as a report header names it: name, file name, digest, rule ids."""
        return {"name": self.name, "path": self.path.name, "digest": self.digest,
                "rules": [r.id for r in self.rules]}


def load_pack(path: str | os.PathLike[str], *, family: str | None = None) -> Pack:
    """Load and validate one YAML pack (``family``: accept only that family's
    kinds, as ``bimcheck clash`` does); RulePackError naming file, rule, field."""
    registry = load_kinds()
    p = Path(path)
    raw = load_yaml(p)
    what = f"a {family} pack" if family else "a rule pack"
    if not isinstance(raw, dict):
        raise RulePackError(f"{what} must be a mapping with 'pack' and 'rules'", path=p)
    pack_fields = {n: f for n, f in registry.pack_fields.items()
                   if family is None or f.family == family}
    unknown = sorted(set(map(str, raw)) - _COMMON_FIELDS - set(pack_fields))
    if unknown:
        raise RulePackError(f"unknown field {unknown[0]!r}", path=p, field=unknown[0])
    name = raw.get("pack")
    if not isinstance(name, str) or not name.strip():
        raise RulePackError("required, a non-empty string", path=p, field="pack")
    if raw.get("version", 1) != 1:
        raise RulePackError(
            f"unsupported pack version {raw.get('version')!r}; this bimcheck reads version 1",
            path=p, field="version",
        )
    settings: dict[str, Any] = {}
    for key, spec in pack_fields.items():
        try:
            settings[key] = spec.parse(raw[key]) if key in raw else spec.default
        except FieldError as exc:
            raise RulePackError(str(exc), path=p, field=f"{key}.{exc.field}") from None
        except ValueError as exc:
            raise RulePackError(str(exc), path=p, field=key) from None
    includes = _includes(raw.get("include"), p)
    rules_raw = raw.get("rules", [] if includes else None)
    if not isinstance(rules_raw, list):
        raise RulePackError("required, a list of rules", path=p, field="rules")
    rules = []
    for i, item in enumerate(rules_raw):
        rule = parse_rule(item, registry=registry, path=p, pack=p.name, index=i, family=family)
        if item.get("enabled", True) is False:
            continue
        extra = dict(rule.extra)
        for key, spec in pack_fields.items():
            if spec.apply is not None and spec.family == rule.family:
                spec.apply(extra, settings[key], rule)
        rules.append(replace(rule, extra=extra))
    check_unique_ids(rules)
    return Pack(name=name.strip(), path=p, rules=tuple(rules), settings=settings,
                digest=file_digest(p), includes=includes)


def _includes(raw: Any, p: Path) -> tuple[Path, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(i, str) and i.strip() for i in raw):
        raise RulePackError("expected a list of pack paths", path=p, field="include")
    out = []
    for item in raw:
        target = Path(item) if Path(item).is_absolute() else p.parent / item
        if not target.is_file():
            raise RulePackError(f"included pack {item!r} does not exist", path=p,
                                field="include")
        out.append(target)
    return tuple(out)


def ids_pack(path: str | os.PathLike[str], severity: str = "high") -> Pack:
    """An ``.ids`` file given directly: one rule of kind ``ids`` that checks it.

    The rule id is ``IDS-`` and the file's stem (letters, digits, ``_.-``)."""
    registry = load_kinds()
    p = Path(path)
    stem = "".join(c if c.isalnum() or c in "_.-" else "_" for c in p.stem)[:59] or "file"
    raw = {
        "id": f"IDS-{stem}", "name": f"IDS {p.name}", "kind": "ids", "severity": severity,
        "doc": {"what": f"the model meets the specifications of {p.name}",
                "why": "the information requirements of the project (IDS 1.0)",
                "fix": "add or correct the information each failed requirement names"},
        "params": {"file": str(p)},
    }
    rule = parse_rule(raw, registry=registry, path=p, pack=p.name, index=0)
    return Pack(name=p.stem, path=p, rules=(rule,), digest=file_digest(p))


def default_packs_dir() -> Path:
    """The shipped default pack set, ``rules/default/``."""
    return builtin_rules_dir() / "default"


def load_packs(sources: Sequence[str | os.PathLike[str]] = ()) -> list[Pack]:
    """Every pack of ``sources`` (packs, folders of packs, ``.ids`` files;
    default: ``rules/default/``), with rule ids unique across them."""
    paths = [Path(s) for s in sources] or [default_packs_dir()]
    packs: list[Pack] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in PACK_SUFFIXES
                           and f.is_file())
            if not found:
                raise RulePackError("folder holds no pack (*.yaml, *.yml, *.ids)", path=p)
            for f in found:
                packs.extend(_load_one(f))
        elif not p.exists():
            raise RulePackError("no such file or folder", path=p)
        else:
            packs.extend(_load_one(p))
    packs = list({pk.path.resolve(): pk for pk in packs}.values())  # a pack included twice
    check_unique_ids([r for pack in packs for r in pack.rules])
    return packs


def _load_one(p: Path, seen: tuple[Path, ...] = ()) -> list[Pack]:
    """The pack at ``p`` and, after it, the packs it includes (recursively)."""
    if p.suffix.lower() == ".ids":
        return [ids_pack(p)]
    real = p.resolve()
    if real in seen:
        raise RulePackError("includes itself (through "
                            + " -> ".join(s.name for s in seen) + ")", path=p, field="include")
    if len(seen) >= MAX_INCLUDE_DEPTH:
        raise RulePackError(f"includes nest deeper than {MAX_INCLUDE_DEPTH}", path=p,
                            field="include")
    pack = load_pack(p)
    out = [pack]
    for inc in pack.includes:
        out.extend(_load_one(inc, (*seen, real)))
    return out
