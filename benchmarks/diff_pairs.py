"""Labelled revision pairs for comparing ``bimcheck diff`` with ifcdiff 0.9.0.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/diff_pairs.py [--sources tower,fzk,...] [--kinds property,...]
        [--keep DIR] [--json results.json] [--from-json results.json]
        [--write docs/diff-vs-ifcdiff.md] [--ifcdiff-timeout S]

Builds the pairs into a temporary folder (``--keep DIR`` keeps them), runs
``bimcheck diff`` and ifcdiff (default checks and with property, container
and type on) on each, scores both against the pair's expected changes and
prints a table; ``--write`` replaces the results section of the document
(between ``<!-- results:begin -->`` and ``<!-- results:end -->``),
``--from-json`` re-renders saved results without running anything.

The pairs: the samples (``tower_rev_a`` → ``tower_rev_b``, expected: the
``diff`` section of its truth file) and, from the tower and from shared
models, revisions made with :mod:`bimcheck.testing.revisions`, one labelled
change each (:data:`KINDS`). Elements are chosen deterministically
(``random.Random(SEED)`` over the elements with geometry sorted by
GlobalId); a kind a model cannot give (no opening with a rectangle profile,
no two elements of identical shape...) is skipped with the reason.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ifcopenshell
import ifcopenshell.util.element
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bimcheck.fingerprint import Fingerprinter  # noqa: E402
from bimcheck.relations import get_storey  # noqa: E402
from bimcheck.testing import revisions as rv  # noqa: E402
from bimcheck.testing.revcopies import (  # noqa: E402
    editable_property,
    edited_value,
    geometric_elements,
)
from bimcheck.testing.revtools import world_matrices  # noqa: E402

SEED = 14
SAMPLES = REPO / "samples"
SHARED = REPO.parent / "shared" / "ifc"

#: name → (path, what it is)
SOURCES: dict[str, tuple[Path, str]] = {
    "tower": (SAMPLES / "tower_rev_a.ifc", "samples/tower_rev_a.ifc (IFC4, bimcheck factory)"),
    "fzk": (SHARED / "AC20-FZK-Haus.ifc", "AC20-FZK-Haus.ifc (IFC4, ArchiCAD)"),
    "tekla": (SHARED / "ISSUE_021_Mini_Project.ifc",
              "ISSUE_021_Mini_Project.ifc (IFC2X3, Tekla structural)"),
    "duplex": (SHARED / "Ifc2x3_Duplex_Architecture.ifc",
               "Ifc2x3_Duplex_Architecture.ifc (IFC2X3, Revit)"),
}

#: kind → label
KINDS: dict[str, str] = {
    "property": "property value change",
    "recreate6": "delete-and-recreate of 6 elements",
    "move3": "3 moved elements",
    "storey": "storey elevation change (+0.25 m)",
    "opening": "opening resize (x1.25)",
    "reissue": "re-issued GlobalIds",
    "resave": "identical re-save (renumbered STEP ids)",
    "reformat": "reformatted numbers (1e-12 noise)",
    "swap": "identical elements swapped places",
    "type": "type property edit",
    "profile": "shared profile edit",
}


class Skip(Exception):
    """This model cannot give this kind of change."""


@dataclass
class Pair:
    name: str
    source: str
    kind: str
    label: str
    old: Path
    new: Path
    #: new GlobalId → kinds of change (bimcheck's vocabulary)
    changes: dict[str, list[str]] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # old → new GlobalId
    causes: list[str] = field(default_factory=list)        # cause kinds expected
    note: str = ""

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self).items()}


def _pool(f: ifcopenshell.file) -> list:
    pool = geometric_elements(f)
    random.Random(SEED).shuffle(pool)
    return pool


def _from_revision(pair: Pair, rev: rv.Revision) -> Pair:
    pair.changes = {k: list(v) for k, v in rev.changes.items()}
    pair.renamed = dict(rev.global_ids)
    return pair


def _property(src: Path, dst: Path, f) -> tuple[rv.Revision, str]:
    for e in _pool(f):
        found = editable_property(e)
        if found:
            pset, prop, value = found
            rev = rv.set_property(src, dst, e.GlobalId, pset, prop, edited_value(value))
            return rev, f"{e.is_a()} {e.Name}: {pset}.{prop} {value!r} -> {edited_value(value)!r}"
    raise Skip("no element with a single property value")


def _recreate(src: Path, dst: Path, f) -> tuple[rv.Revision, str]:
    chosen = [e for e in _pool(f) if not getattr(e, "HasOpenings", None)][:6]
    rev = rv.delete_and_recreate(src, dst, [e.GlobalId for e in chosen])
    return rev, ", ".join(sorted(f"{e.is_a()} {e.Name}" for e in chosen))


def _move(src: Path, dst: Path, f) -> tuple[rv.Revision, str]:
    chosen = _pool(f)[:3]
    rev = rv.move_elements(src, dst, [e.GlobalId for e in chosen], (0.25, 0.0, 0.0))
    return rev, "by (0.25, 0, 0) m: " + ", ".join(sorted(f"{e.is_a()} {e.Name}" for e in chosen))


def _storey(src: Path, dst: Path, f) -> tuple[rv.Revision, str]:
    counts: dict[str, int] = {}
    for e in f.by_type("IfcElement"):
        s = get_storey(e)
        if s is not None:
            counts[s.GlobalId] = counts.get(s.GlobalId, 0) + 1
    if not counts:
        raise Skip("no storey holds an element")
    gid = sorted(counts, key=lambda g: (-counts[g], g))[0]
    rev = rv.change_storey_elevation(src, dst, gid, 0.25)
    return rev, f"{f.by_guid(gid).Name!r} +0.25 m ({counts[gid]} elements)"


def _opening(src: Path, dst: Path, f) -> tuple[rv.Revision, str]:
    for o in sorted(f.by_type("IfcOpeningElement"), key=lambda o: o.GlobalId):
        if not o.Representation or not o.VoidsElements:
            continue
        if not any(e.is_a("IfcRectangleProfileDef") for e in f.traverse(o.Representation)):
            continue
        rev = rv.resize_opening(src, dst, o.GlobalId, scale=1.25)
        host = o.VoidsElements[0].RelatingBuildingElement
        old, new = rev.detail["old_dims_m"], rev.detail["new_dims_m"]
        return rev, (f"{o.Name or o.GlobalId} in {host.is_a()} {host.Name}: "
                     f"{old[0]:.3g} x {old[1]:.3g} -> {new[0]:.3g} x {new[1]:.3g} m"
                     + (f" ({rev.detail['profiles']} profiles)" if rev.detail["profiles"] > 1
                        else ""))
    raise Skip("no opening with an extruded rectangle profile")


def _swap(src: Path, dst: Path, f) -> tuple[rv.Revision, str]:
    fp = Fingerprinter(f)
    world = world_matrices(f)
    groups: dict[tuple, list] = {}
    for e in sorted(geometric_elements(f), key=lambda e: e.GlobalId):
        if getattr(e, "HasOpenings", None):
            continue
        groups.setdefault((e.is_a(), fp.entity_hash(e.Representation)), []).append(e)
    for members in groups.values():
        for a in members:
            for b in members:
                if a.GlobalId < b.GlobalId and abs(world[a.GlobalId][:3, 3]
                                                   - world[b.GlobalId][:3, 3]).max() > 1e-3:
                    rev = rv.swap_places(src, dst, a.GlobalId, b.GlobalId)
                    return rev, f"{a.is_a()} {a.Name} <-> {b.Name}"
    raise Skip("no two elements of identical shape")


def _type(src: Path, dst: Path, f) -> tuple[rv.Revision, str]:
    u = ifcopenshell.util.element
    types = sorted(f.by_type("IfcTypeObject"), key=lambda t: (-len(u.get_types(t)), t.GlobalId))
    for t in types:
        occurrences = u.get_types(t)
        if not occurrences:
            break
        for pset in sorted(t.HasPropertySets or (), key=lambda p: p.Name or ""):
            if not pset.is_a("IfcPropertySet"):
                continue
            for p in sorted(pset.HasProperties or (), key=lambda p: p.Name):
                value = getattr(getattr(p, "NominalValue", None), "wrappedValue", None)
                overridden = any(p.Name in u.get_psets(o, should_inherit=False).get(pset.Name, {})
                                 for o in occurrences)
                if isinstance(value, str | int | float) and not overridden:
                    new = edited_value(value)
                    rev = rv.edit_type(src, dst, t.GlobalId, pset.Name, p.Name, new)
                    return rev, (f"{t.is_a()} {t.Name} ({len(occurrences)} occurrences): "
                                 f"{pset.Name}.{p.Name} {value!r} -> {new!r}")
    if types and u.get_types(types[0]):
        t = types[0]
        rev = rv.edit_type(src, dst, t.GlobalId, "Pset_Revision", "Note", "rev 2")
        return rev, (f"{t.is_a()} {t.Name} ({len(u.get_types(t))} occurrences): "
                     "new Pset_Revision.Note 'rev 2'")
    raise Skip("no type with occurrences")


MAKERS: dict[str, Callable] = {
    "property": _property, "recreate6": _recreate, "move3": _move, "storey": _storey,
    "opening": _opening, "swap": _swap, "type": _type,
}
CAUSES = {"storey": ["storey"], "type": ["type"], "profile": ["profile"]}


def make_pair(source: str, kind: str, workdir: Path) -> Pair:
    """Build one labelled pair (raises :class:`Skip`)."""
    src = SOURCES[source][0]
    if not src.exists():
        raise Skip(f"{src} not available")
    dst = workdir / f"{source}-{kind}.ifc"
    pair = Pair(f"{source}-{kind}", source, kind, KINDS[kind], src, dst,
                causes=CAUSES.get(kind, []))
    if kind == "reissue":
        return _from_revision(pair, rv.reissue_global_ids(src, dst))
    if kind == "resave":
        return _from_revision(pair, rv.resave(src, dst))
    if kind == "reformat":
        return _from_revision(pair, rv.reformat_numbers(src, dst))
    if kind == "profile":
        if source != "tower":
            raise Skip("made on the tower only (its columns share no profile)")
        names = {"C-0-A1", "C-0-A2", "C-0-B1"}
        truth = yaml.safe_load((SAMPLES / "tower_rev_a.truth.yaml").read_text())["elements"]
        old = workdir / "tower-profile-old.ifc"
        rv.share_profile(src, old, sorted(truth[n]["global_id"] for n in names), "COL-400x400")
        rev = rv.edit_shared_profile(old, dst, "COL-400x400", XDim=0.45)
        pair.old = old
        pair.note = "C-0-A1, C-0-A2, C-0-B1 share profile COL-400x400; XDim 0.40 -> 0.45 m"
        return _from_revision(pair, rev)
    f = ifcopenshell.open(str(src))
    rev, note = MAKERS[kind](src, dst, f)
    pair.note = note
    return _from_revision(pair, rev)


def samples_pair() -> Pair:
    """tower_rev_a → tower_rev_b, expected: the ``diff`` section of its truth."""
    truth = yaml.safe_load((SAMPLES / "tower_rev_b.truth.yaml").read_text())["diff"]
    pair = Pair("tower-samples", "tower", "samples", "samples rev A -> rev B",
                SAMPLES / "tower_rev_a.ifc", SAMPLES / "tower_rev_b.ifc",
                note="1 added, 1 removed, 5 modified, 1 moved (samples/README.md)")
    for e in truth["elements"]:
        if e["status"] == "added":
            pair.added.append(e["global_id"])
        elif e["status"] == "removed":
            pair.removed.append(e["global_id"])
        else:
            pair.changes[e["global_id"]] = sorted(e["changes"])
    return pair


def build_pairs(
    workdir: Path, sources: list[str], kinds: list[str], log=print
) -> tuple[list[Pair], list[tuple[str, str, str]]]:
    """Every pair of ``sources`` × ``kinds`` (plus the samples when the tower is
    in); and the skipped ones as (source, kind, reason)."""
    pairs, skipped = [], []
    if "tower" in sources:
        pairs.append(samples_pair())
    for source in sources:
        for kind in kinds:
            try:
                pairs.append(make_pair(source, kind, workdir))
                log(f"built {source}-{kind}: {pairs[-1].note}")
            except (Skip, rv.RevisionError) as e:
                skipped.append((source, kind, str(e)))
                log(f"skipped {source}-{kind}: {e}")
    return pairs, skipped


if __name__ == "__main__":
    from diff_report import main

    raise SystemExit(main())
