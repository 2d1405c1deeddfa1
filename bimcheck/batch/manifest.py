"""What a batch runs: projects, each an ordered list of revisions with its
packs, lift plan, rate table, measurement pack and gate.

Two sources:

* a manifest (YAML, read safely, every field checked, errors naming the file,
  the project and the field)::

      projects:
        - name: tower
          revisions:
            - {path: models/tower_rev_a.ifc, label: A}
            - models/tower_rev_b.ifc          # label: the file's stem
          rules: [rules/default/]            # check packs (default: rules/default/)
          lift_plan: tower.lift.yaml         # optional
          rates: tower.rates.csv             # optional: the change orders are priced
          price_rules: tower.bill.yaml       # optional measurement pack of the price
          gate: gate.yaml                    # optional

  Relative paths are relative to the manifest's folder.
* a folder laid out ``DIR/<project>/<revision>.ifc`` (``.ifczip`` too):
  revisions in natural order (``r2`` before ``r10``), defaults for the rest.

Paths are checked to exist when the manifest is read, so a batch does not
fail an hour in on a typo.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bimcheck.errors import ManifestError
from bimcheck.packs.loader import load_yaml

#: Model file suffixes a folder batch picks up.
MODEL_SUFFIXES = (".ifc", ".ifczip")

#: Most projects, and revisions per project, one manifest may list.
MAX_PROJECTS = 10_000
MAX_REVISIONS = 10_000

_PROJECT_FIELDS = ("name", "revisions", "rules", "lift_plan", "rates", "price_rules", "gate")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Revision:
    """One model file of a project, with its label (unique in the project)."""

    path: Path
    label: str


@dataclass(frozen=True)
class Project:
    """A project's revisions, oldest first, and what to run on them."""

    name: str
    revisions: tuple[Revision, ...]
    rules: tuple[Path, ...] = ()
    lift_plan: Path | None = None
    rates: Path | None = None
    price_rules: Path | None = None
    gate: Path | None = None


@dataclass(frozen=True)
class Manifest:
    """The projects of a batch, in the order given (a folder: by name)."""

    projects: tuple[Project, ...]
    source: Path | None = field(default=None, compare=False)


def natural_key(text: str) -> tuple:
    """Sort key that orders digit runs by value: ``r2`` before ``r10``."""
    return tuple(int(part) if part.isdigit() else part.lower()
                 for part in re.split(r"(\d+)", text))


def _existing(value: Any, base: Path, path: Path, project: str, where: str, *,
              folder_ok: bool = False) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ManifestError("expected a path", path=path, project=project, field=where)
    p = Path(value)
    p = p if p.is_absolute() else base / p
    if not p.exists():
        raise ManifestError(f"{value}: no such file", path=path, project=project, field=where)
    if p.is_dir() and not folder_ok:
        raise ManifestError(f"{value}: a folder, not a file", path=path, project=project,
                            field=where)
    return p


def _optional(raw: dict, key: str, base: Path, path: Path, project: str) -> Path | None:
    value = raw.get(key)
    return None if value is None else _existing(value, base, path, project, key)


def _revisions(raw: Any, base: Path, path: Path, project: str) -> tuple[Revision, ...]:
    if not isinstance(raw, list) or not raw:
        raise ManifestError("expected a non-empty list of revisions", path=path,
                            project=project, field="revisions")
    if len(raw) > MAX_REVISIONS:
        raise ManifestError(f"{len(raw)} revisions, over the {MAX_REVISIONS} limit",
                            path=path, project=project, field="revisions")
    out: list[Revision] = []
    for i, item in enumerate(raw):
        where = f"revisions[{i}]"
        if isinstance(item, str):
            item = {"path": item}
        if not isinstance(item, dict):
            raise ManifestError("expected a path or {path, label}", path=path,
                                project=project, field=where)
        unknown = sorted(set(map(str, item)) - {"path", "label"})
        if unknown:
            raise ManifestError(f"unknown field {unknown[0]!r}; the fields are path, label",
                                path=path, project=project, field=where)
        p = _existing(item.get("path"), base, path, project, f"{where}.path")
        label = item.get("label", p.stem)
        if not isinstance(label, str | int) or isinstance(label, bool) or not _NAME.match(
                str(label)):
            raise ManifestError("a label is 1-128 letters, digits, '.', '_' or '-'",
                                path=path, project=project, field=f"{where}.label")
        out.append(Revision(p, str(label)))
    labels = [r.label for r in out]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ManifestError(f"revision label {twice[0]!r} given twice", path=path,
                            project=project, field="revisions")
    return tuple(out)


def _project(raw: Any, i: int, base: Path, path: Path) -> Project:
    if not isinstance(raw, dict):
        raise ManifestError("expected a mapping", path=path, field=f"projects[{i}]")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ManifestError("a project name is 1-128 letters, digits, '.', '_' or '-'",
                            path=path, field=f"projects[{i}].name")
    unknown = sorted(set(map(str, raw)) - set(_PROJECT_FIELDS))
    if unknown:
        raise ManifestError(f"unknown field {unknown[0]!r}; the fields are "
                            f"{', '.join(_PROJECT_FIELDS)}", path=path, project=name)
    rules = raw.get("rules", [])
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, list):
        raise ManifestError("expected a path or a list of paths", path=path, project=name,
                            field="rules")
    return Project(
        name=name,
        revisions=_revisions(raw.get("revisions"), base, path, name),
        rules=tuple(_existing(r, base, path, name, f"rules[{k}]", folder_ok=True)
                    for k, r in enumerate(rules)),
        lift_plan=_optional(raw, "lift_plan", base, path, name),
        rates=_optional(raw, "rates", base, path, name),
        price_rules=_optional(raw, "price_rules", base, path, name),
        gate=_optional(raw, "gate", base, path, name),
    )


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate a batch manifest (see the module docstring)."""
    p = Path(path)
    raw = load_yaml(p, what="batch manifest", error=ManifestError)
    if not isinstance(raw, dict) or set(map(str, raw)) != {"projects"}:
        raise ManifestError("expected a mapping with one field, 'projects'", path=p)
    projects = raw["projects"]
    if not isinstance(projects, list) or not projects:
        raise ManifestError("expected a non-empty list of projects", path=p, field="projects")
    if len(projects) > MAX_PROJECTS:
        raise ManifestError(f"{len(projects)} projects, over the {MAX_PROJECTS} limit",
                            path=p, field="projects")
    base = p.parent
    out = [_project(item, i, base, p) for i, item in enumerate(projects)]
    names = [x.name for x in out]
    twice = sorted({x for x in names if names.count(x) > 1})
    if twice:
        raise ManifestError(f"project {twice[0]!r} given twice", path=p, field="projects")
    return Manifest(tuple(out), source=p)


def discover(folder: str | os.PathLike[str]) -> Manifest:
    """The batch of a folder ``DIR/<project>/<revision>.ifc``: projects by
    name, revisions in natural order, default packs and no plan, rates or gate."""
    root = Path(folder)
    if not root.is_dir():
        raise ManifestError("not a folder", path=root)
    projects = []
    for sub in sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")),
                      key=lambda d: natural_key(d.name)):
        models = sorted((f for f in sub.iterdir()
                         if f.is_file() and f.suffix.lower() in MODEL_SUFFIXES),
                        key=lambda f: natural_key(f.stem))
        if not models:
            continue
        if not _NAME.match(sub.name):
            raise ManifestError("a project folder's name is 1-128 letters, digits, '.', '_' "
                                "or '-'", path=sub)
        stems = [f.stem for f in models]
        twice = sorted({s for s in stems if stems.count(s) > 1})
        if twice:
            raise ManifestError(f"two models named {twice[0]!r} (.ifc and .ifczip)", path=sub)
        bad = next((s for s in stems if not _NAME.match(s)), None)
        if bad is not None:
            raise ManifestError(f"{bad!r}: a revision's file name is 1-128 letters, digits, "
                                "'.', '_' or '-'", path=sub)
        if len(models) > MAX_REVISIONS:
            raise ManifestError(f"{len(models)} revisions, over the {MAX_REVISIONS} limit",
                                path=sub)
        projects.append(Project(sub.name, tuple(Revision(f, f.stem) for f in models)))
    if not projects:
        raise ManifestError("no project folder with .ifc or .ifczip models in it", path=root)
    return Manifest(tuple(projects), source=root)
