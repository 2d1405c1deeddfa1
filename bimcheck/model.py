"""Open and validate IFC models, select elements, describe them.

:func:`open_model` is the one way in: it checks the file before IfcOpenShell
parses it (exists, is STEP or ifczip, is complete, schema supported) and raises
a typed :class:`~bimcheck.errors.ModelError` naming the file otherwise. The
returned :class:`Model` knows its schema, length unit (metres per file unit),
authoring application, storeys, and describes each element: identity, class,
predefined type, name, type object, storey, materials, classification
references and discipline (from a rule-pack table, see
:mod:`bimcheck.packs.disciplines`).

Selection uses IfcOpenShell's selector syntax (:mod:`bimcheck.selectors`).

Importing this module does not import IfcOpenShell (a command served from the
result cache never needs it): it is imported where a file is parsed or read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bimcheck import prehash
from bimcheck.errors import (
    ModelError,
    ModelNotFoundError,
    NoGeometryError,
    NotIfcError,
    UnsupportedSchemaError,
)
from bimcheck.findings import ElementRef
from bimcheck.limits import format_size, max_elements, max_file_bytes
from bimcheck.packs.disciplines import DisciplineTable, load_discipline_table
from bimcheck.relcheck import check_global_ids, set_aside_broken_relationships
from bimcheck.stepcheck import (
    Integrity,
    check_envelope,
    holds_non_finite,
    lost_references,
    scan_references,
)
from bimcheck.steptext import StepText

if TYPE_CHECKING:
    import ifcopenshell

log = logging.getLogger(__name__)

#: Schemas bimcheck reads (``ifcopenshell.file.schema``); IFC4X3 covers IFC4X3_ADD2.
SUPPORTED_SCHEMAS: tuple[str, ...] = ("IFC2X3", "IFC4", "IFC4X3")

#: Metres per length unit accepted (a micrometre to a kilometre): a unit
#: outside it (an EXA-metre) is an error in the file, not a building.
LENGTH_SCALE_RANGE: tuple[float, float] = (1e-6, 1e3)

#: Symbols of conversion-based length units, by lower-case unit name.
_CONVERSION_SYMBOLS = {"foot": "ft", "inch": "in", "yard": "yd", "mile": "mi"}
_SI_SYMBOLS = {"": "m", "MILLI": "mm", "CENTI": "cm", "DECI": "dm", "KILO": "km"}


@dataclass(frozen=True)
class Storey:
    """A building storey: identity, name and elevation in metres."""

    global_id: str
    name: str
    elevation: float | None


@dataclass(frozen=True)
class ElementInfo:
    """What bimcheck knows about an element, independent of its geometry.

    ``materials`` are material names (layer, profile and constituent sets are
    expanded, sorted, unique); ``classifications`` are ``"SOURCE:CODE"`` strings.
    """

    global_id: str
    ifc_class: str
    predefined_type: str | None
    name: str | None
    type_global_id: str | None
    type_name: str | None
    storey: str | None
    materials: tuple[str, ...]
    classifications: tuple[str, ...]
    discipline: str

    def as_dict(self) -> dict:
        """Plain-data form for JSON (keys sorted by the writer)."""
        return {
            "global_id": self.global_id,
            "ifc_class": self.ifc_class,
            "predefined_type": self.predefined_type,
            "name": self.name,
            "type_global_id": self.type_global_id,
            "type_name": self.type_name,
            "storey": self.storey,
            "materials": list(self.materials),
            "classifications": list(self.classifications),
            "discipline": self.discipline,
        }



def content_digest(path: Path) -> str:
    """BLAKE2b-160 hex digest of a file's bytes, read in 1 MiB chunks (the
    model digest of reports, the history and the batch's resume keys)."""
    h = hashlib.blake2b(digest_size=20)
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

class Model:
    """An opened IFC model. Create it with :func:`open_model`.

    ``length_scale`` is metres per file length unit (0.001 for a millimetre
    file); geometry from :mod:`bimcheck.geometry` is always in metres.
    """

    def __init__(
        self, path: Path, ifc: ifcopenshell.file | None,
        disciplines: DisciplineTable | None = None,
    ) -> None:
        self.path = path
        self._file = ifc
        self._disciplines = disciplines
        self._info: dict[int, ElementInfo] = {}
        #: ``(size, mtime_ns)`` of a plain STEP file when it was parsed (set by
        #: :func:`open_model`); ``None`` for an ifczip or a file parsed elsewhere.
        self.parsed_stat: tuple[int, int] | None = None
        #: The helper hashing the file's graphs beside the parse, if one was started.
        self.prehash: prehash.Prehash | None = None
        #: References to entities that are not in the file (set by :func:`open_model`).
        self.integrity = Integrity(0)
        #: For a model opened with ``lazy=True`` and not parsed yet, its
        #: ``require_geometry`` (checked when it is parsed); else ``None``.
        self._deferred_require_geometry: bool | None = None

    @classmethod
    def from_facts(
        cls, path: Path, facts: dict[str, Any], digest: str,
        disciplines: DisciplineTable | None = None,
    ) -> Model:
        """A model of the file at ``path`` (whose bytes have ``digest``) that
        answers its schema, units, application and GlobalIds from ``facts``
        (:func:`bimcheck.results.model_facts`, stored with a cached result),
        and parses the file only when something asks for more."""
        model = cls(path, None, disciplines)
        cached = model.__dict__
        cached["content_digest"] = digest
        for name in ("schema", "schema_identifier", "length_unit", "application"):
            cached[name] = str(facts[name])
        cached["length_scale"] = float(facts["length_scale"])
        cached["_global_ids"] = frozenset(str(g) for g in facts["global_ids"])
        if "products" in facts:
            cached["product_count"] = int(facts["products"])
            check_element_count(path, model.product_count)
        return model

    @property
    def file(self) -> ifcopenshell.file:
        """The parsed file (a model made :meth:`from_facts`, or opened with
        ``lazy=True``, parses it here, once)."""
        if self._file is None:
            lazy = self._deferred_require_geometry
            if lazy is None:
                log.info("%s: parsing (the cached result did not hold all that was asked)",
                         self.path.name)
            opened = open_model(self.path, require_geometry=bool(lazy))
            self._file, self.parsed_stat = opened._file, opened.parsed_stat
            self.prehash = opened.prehash
            self.integrity = opened.integrity
            self._deferred_require_geometry = None
        return self._file

    @property
    def parsed(self) -> bool:
        """Whether the file has been parsed (not so for a model served from facts)."""
        return self._file is not None

    def global_ids(self) -> frozenset[str]:
        """The GlobalIds of every rooted entity (IfcRoot)."""
        found = self.__dict__.get("_global_ids")
        if found is None:
            found = frozenset(
                str(e.GlobalId) for e in self.file.by_type("IfcRoot")
                if getattr(e, "GlobalId", None))
            self.__dict__["_global_ids"] = found
        return found

    def __repr__(self) -> str:
        return f"<Model {self.path.name} {self.schema_identifier}>"

    # -- header and units -------------------------------------------------

    @cached_property
    def schema(self) -> str:
        """Schema family: ``IFC2X3``, ``IFC4`` or ``IFC4X3``."""
        return self.file.schema

    @cached_property
    def schema_identifier(self) -> str:
        """Schema exactly as the file declares it, e.g. ``IFC4X3_ADD2``."""
        return getattr(self.file, "schema_identifier", None) or self.file.schema

    @cached_property
    def content_digest(self) -> str:
        """BLAKE2b hex digest of the file's bytes (the .ifczip's for an archive):
        equal digests mean the same parse, hence the same STEP ids."""
        return content_digest(self.path)

    @cached_property
    def step_text(self) -> StepText | None:
        """The entities' STEP text read from the file's bytes (for fingerprints),
        or ``None`` when the file is an ifczip or changed since it was parsed."""
        if self.parsed_stat is None:
            return None
        return StepText.for_file(self.path, *self.parsed_stat)

    def prehashed(self) -> dict[int, bytes] | None:
        """Digests the :attr:`prehash` helper made (waits for it), for a
        :class:`~bimcheck.fingerprint.Fingerprinter`'s ``seed``; ``None``
        without one."""
        return None if self.prehash is None else self.prehash.digests()

    @cached_property
    def length_scale(self) -> float:
        """Metres per file length unit (1 for a file without an IfcProject:
        IFC's default unit is the metre). :class:`ModelError` when the unit
        cannot be read, or is outside :data:`LENGTH_SCALE_RANGE`."""
        import ifcopenshell.util.unit

        if not self.file.by_type("IfcProject"):
            return 1.0
        try:
            scale = float(ifcopenshell.util.unit.calculate_unit_scale(self.file, "LENGTHUNIT"))
        except (AttributeError, TypeError, ValueError, RuntimeError, ZeroDivisionError,
                OverflowError) as exc:
            log.debug("%s: calculate_unit_scale: %r", self.path.name, exc)
            raise ModelError(f"the project's length unit cannot be read: "
                             f"{_length_unit_entities(self.file)} is malformed",
                             path=self.path) from None
        low, high = LENGTH_SCALE_RANGE
        if not (low <= scale <= high):
            raise ModelError(
                f"the project's length unit is {scale:g} m, outside what a building model "
                f"uses ({low:g} to {high:g} m)", path=self.path)
        return scale

    @cached_property
    def length_unit(self) -> str:
        """Symbol of the file's length unit: ``m``, ``mm``, ``cm``, ``ft``, ``in`` ...
        (the unit's name for anything else); ``m`` without an IfcProject."""
        if not self.file.by_type("IfcProject"):
            return "m"
        import ifcopenshell.util.unit

        self.length_scale  # noqa: B018 - refuses a unit that cannot be read
        try:
            unit = ifcopenshell.util.unit.get_project_unit(self.file, "LENGTHUNIT")
        except (AttributeError, TypeError, ValueError, RuntimeError):
            unit = None
        if unit is None:
            return "m"
        if unit.is_a("IfcSIUnit"):
            prefix = unit.Prefix if isinstance(unit.Prefix, str) else ""
            return _SI_SYMBOLS.get(prefix, f"{prefix.lower()}m")
        name = getattr(unit, "Name", None)
        name = name.strip().lower() if isinstance(name, str) else ""
        return _CONVERSION_SYMBOLS.get(name, name or "unknown")

    @cached_property
    def application(self) -> str:
        """Authoring application, from IfcApplication, else the header's originating system."""
        apps = sorted(
            {
                " ".join(p for p in (a.ApplicationFullName, a.Version) if p)
                for a in self.file.by_type("IfcApplication")
            }
        )
        if apps:
            return "; ".join(apps)
        try:
            return self.file.header.file_name.originating_system or "unknown"
        except (AttributeError, RuntimeError):
            return "unknown"

    # -- contents ---------------------------------------------------------

    @cached_property
    def storeys(self) -> list[Storey]:
        """Storeys sorted by elevation (metres), then name."""
        import ifcopenshell.util.placement

        out = []
        for s in self.file.by_type("IfcBuildingStorey"):
            elev = s.Elevation
            if elev is None:
                try:
                    m = ifcopenshell.util.placement.get_local_placement(s.ObjectPlacement)
                    elev = float(m[2][3])
                except Exception:
                    elev = None
            out.append(
                Storey(
                    global_id=s.GlobalId,
                    name=s.Name or s.GlobalId,
                    elevation=None if elev is None else round(float(elev) * self.length_scale, 6),
                )
            )
        return sorted(out, key=lambda s: (s.elevation is None, s.elevation or 0.0, s.name))

    def counts(self) -> dict[str, int]:
        """Number of IfcProduct instances by exact class."""
        return dict(sorted(Counter(p.is_a() for p in self.file.by_type("IfcProduct")).items()))

    @cached_property
    def product_count(self) -> int:
        """Number of IfcProduct instances (what ``--max-elements`` bounds)."""
        return len(self.file.by_type("IfcProduct"))

    @cached_property
    def has_geometry(self) -> bool:
        """Whether any product has a representation."""
        return any(p.Representation is not None for p in self.file.by_type("IfcProduct"))

    def elements_for_geometry(self) -> list[ifcopenshell.entity_instance]:
        """Every product with a representation, plus every IfcElement without
        one (so a placeholder with no geometry is counted), in STEP-id order."""
        return [
            p
            for p in self.file.by_type("IfcProduct")
            if p.Representation is not None or p.is_a("IfcElement")
        ]

    def element(self, global_id: str) -> ifcopenshell.entity_instance:
        """The rooted entity with this GlobalId; ModelError if there is none.

        IfcOpenShell's own index misses a GlobalId that is not the 22
        characters IFC asks for (a file from a broken exporter); those are
        found by a scan of every rooted entity, once."""
        try:
            return self.file.by_guid(global_id)
        except RuntimeError:
            pass
        odd = self.__dict__.get("_odd_global_ids")
        if odd is None:
            odd = {str(e.GlobalId): e for e in self.file.by_type("IfcRoot")
                   if isinstance(getattr(e, "GlobalId", None), str) and len(e.GlobalId) != 22}
            self.__dict__["_odd_global_ids"] = odd
        if global_id in odd:
            return odd[global_id]
        raise ModelError(f"no element with GlobalId {global_id[:40]!r}", path=self.path)

    def select(self, selector: str) -> list[ifcopenshell.entity_instance]:
        """Elements matching an IfcOpenShell selector, sorted by GlobalId.

        Raises :class:`SelectorError` (with the column) when the selector does
        not parse; logs a warning for selectors that parse but cannot match as
        intended (see :func:`lint_selector`).
        """
        from bimcheck.selectors import filter_elements, lint_selector

        for warning in lint_selector(selector):
            log.warning("%s: selector %r: %s", self.path.name, selector, warning)
        found = filter_elements(self.file, selector, self.path)
        return sorted(found, key=lambda e: getattr(e, "GlobalId", "") or f"#{e.id()}")

    # -- element metadata -------------------------------------------------

    @property
    def disciplines(self) -> DisciplineTable:
        """The discipline table in use (the built-in pack unless one was given)."""
        if self._disciplines is None:
            self._disciplines = load_discipline_table()
        return self._disciplines

    def describe(self, element: ifcopenshell.entity_instance) -> ElementInfo:
        """Metadata of one element (memoised)."""
        info = self._info.get(element.id())
        if info is None:
            info = self._describe(element)
            self._info[element.id()] = info
        return info

    def ref(self, element: ifcopenshell.entity_instance) -> ElementRef:
        """The reference a finding or a report row gives ``element``: GlobalId,
        class, name, storey, discipline and this model's file name."""
        from bimcheck.relations import get_storey

        storey = get_storey(element)
        return ElementRef(
            global_id=getattr(element, "GlobalId", None) or f"#{element.id()}",
            ifc_class=element.is_a(), name=getattr(element, "Name", None),
            storey=(storey.Name or storey.GlobalId) if storey is not None else None,
            discipline=self.disciplines.discipline_of(element), model=self.path.name,
        )

    def _describe(self, element: ifcopenshell.entity_instance) -> ElementInfo:
        import ifcopenshell.util.element

        from bimcheck.relations import (
            get_classification_codes,
            get_material_names,
            get_storey,
            predefined_type,
        )

        etype = ifcopenshell.util.element.get_type(element)
        storey = get_storey(element)
        return ElementInfo(
            global_id=element.GlobalId,
            ifc_class=element.is_a(),
            predefined_type=predefined_type(element),
            name=getattr(element, "Name", None),
            type_global_id=etype.GlobalId if etype is not None else None,
            type_name=etype.Name if etype is not None else None,
            storey=(storey.Name or storey.GlobalId) if storey is not None else None,
            materials=get_material_names(element),
            classifications=get_classification_codes(element),
            discipline=self.disciplines.discipline_of(element),
        )


# -- opening ---------------------------------------------------------------


def open_model(
    path: str | os.PathLike[str],
    *,
    require_geometry: bool = True,
    disciplines: DisciplineTable | None = None,
    lazy: bool = False,
    prehash_digests: bool = True,
) -> Model:
    """Open an IFC file (.ifc STEP or .ifczip) and validate it.

    Raises a :class:`~bimcheck.errors.ModelError` subclass naming the file when
    it is missing or unreadable, not IFC, truncated, of an unsupported schema,
    or (with ``require_geometry``) has no element with a representation.

    ``lazy``: check what can be checked without parsing (the file exists, is
    STEP, is complete) and leave the parse, and the checks that need it, to
    the first use of :attr:`Model.file`, which raises the same errors then.
    A tessellation of the whole model that the cache holds entirely
    (:func:`~bimcheck.geometry.tessellate.tessellate`) never parses it. An
    .ifczip is parsed at once.

    ``prehash_digests``: hash the file's entity graphs in a helper process
    while it is parsed (:mod:`~bimcheck.prehash`), for the fingerprints that
    come next; ``False`` where nothing will fingerprint the model.
    """
    p = Path(path)
    if not p.exists():
        raise ModelNotFoundError("file not found", path=p)
    if not p.is_file():
        raise ModelNotFoundError("not a regular file", path=p)
    _check_size(p, p.stat().st_size)
    try:
        with p.open("rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        raise ModelNotFoundError(f"cannot read file: {exc.strerror or exc}", path=p) from None

    stat: tuple[int, int] | None = None
    early: prehash.Prehash | None = None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # an archive (or an empty one)
        ifc, integrity = _open_ifczip(p)
    else:
        check_envelope(p, head)
        if lazy:
            model = Model(p, None, disciplines)
            model._deferred_require_geometry = require_geometry
            return model
        st = p.stat()
        stat = (st.st_size, st.st_mtime_ns)
        early = prehash.start(p, stat) if prehash_digests else None
        try:
            ifc, integrity = _parse(p, p)
        except BaseException:
            if early is not None:
                early.cancel()
            raise
    model = Model(p, ifc, disciplines)
    model.parsed_stat = stat
    model.prehash = early
    model.integrity = integrity
    if model.schema not in SUPPORTED_SCHEMAS:
        raise UnsupportedSchemaError(
            f"schema {model.schema_identifier} is not supported "
            f"(supported: {', '.join(SUPPORTED_SCHEMAS)})",
            path=p,
        )
    check_element_count(p, model.product_count)
    if require_geometry and not model.has_geometry:
        raise NoGeometryError("the model has no elements with geometry", path=p)
    return model


def check_element_count(p: Path, count: int) -> None:
    """:class:`ModelError` naming ``p`` when its ``count`` elements
    (``IfcProduct``) are more than ``--max-elements`` allows now."""
    limit = max_elements()
    if count > limit:
        raise ModelError(f"the model holds {count:,} elements (IfcProduct), over the limit "
                         f"of {limit:,} (--max-elements)", path=p)


def _length_unit_entities(ifc: ifcopenshell.file) -> str:
    """Where a project's length unit is declared, for an error message:
    ``#12 IfcSIUnit`` (every unit whose UnitType is LENGTHUNIT), else the
    unit assignment, else the project."""
    project = ifc.by_type("IfcProject")[0]
    try:
        assignment = project.UnitsInContext
        units = [u for u in (assignment.Units or ()) if hasattr(u, "is_a")]
        named = [f"#{u.id()} {u.is_a()}" for u in units
                 if getattr(u, "UnitType", None) == "LENGTHUNIT"]
        return ", ".join(named) or f"#{assignment.id()} {assignment.is_a()}"
    except (AttributeError, TypeError, ValueError, RuntimeError):
        return f"the unit assignment of #{project.id()} IfcProject"


def _check_size(p: Path, size: int, what: str = "the file") -> None:
    limit = max_file_bytes()
    if size > limit:
        raise ModelError(f"{what} is {format_size(size)}, over the limit of "
                         f"{format_size(limit)} (--max-file-size)", path=p)


def _open_ifczip(p: Path) -> tuple[ifcopenshell.file, Integrity]:
    """Extract the single .ifc member of an ifczip to a temp dir and parse it."""
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise NotIfcError(f"not a valid ifczip archive: {exc}", path=p) from None
    except NotImplementedError as exc:  # "zip file version 7.7": a feature zipfile lacks
        raise NotIfcError(f"the ifczip archive uses what bimcheck cannot read: {exc}",
                          path=p) from None
    with zf:
        members = [i for i in zf.infolist() if i.filename.lower().endswith(".ifc")]
        if not members:
            raise NotIfcError("the ifczip archive holds no .ifc file", path=p)
        if len(members) > 1:
            names = ", ".join(sorted(i.filename for i in members))
            raise NotIfcError(f"the ifczip archive holds several .ifc files ({names})", path=p)
        member = members[0]
        _check_size(p, member.file_size, f"the ifczip member {member.filename}")
        _sweep_extractions()
        tmpdir = tempfile.mkdtemp(prefix=f"{_EXTRACTION_PREFIX}{os.getpid()}-")
        try:
            target = Path(tmpdir) / "model.ifc"
            try:
                _extract(zf, member, target, p)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
                    ValueError, zlib.error) as exc:
                raise NotIfcError(f"cannot extract {member.filename}: {exc}", path=p) from None
            with target.open("rb") as fh:
                head = fh.read(512)
            try:
                check_envelope(target, head)
            except ModelError as exc:
                raise type(exc)(f"{member.filename}: {exc.message}", path=p) from None
            return _parse(target, p)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)


#: Temporary folders of extracted .ifczip members: ``<prefix><pid>-<random>``.
_EXTRACTION_PREFIX = "bimcheck-ifczip-"


def _extract(zf: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, p: Path) -> None:
    """Copy ``member`` to ``target``, stopping past the size limit (the
    size an archive declares may be forged: a zip bomb)."""
    limit = max_file_bytes()
    written = 0
    with zf.open(member) as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise ModelError(
                    f"the ifczip member {member.filename} inflates past the limit of "
                    f"{format_size(limit)} (--max-file-size)", path=p)
            dst.write(chunk)


def _sweep_extractions() -> None:
    """Remove the extraction folders of processes that are gone (killed
    while parsing): a crash must not leave gigabytes in the temp folder."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{_EXTRACTION_PREFIX}*"):
        pid = folder.name[len(_EXTRACTION_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _parse(source: Path, shown: Path) -> tuple[ifcopenshell.file, Integrity]:
    """Scan the entity ids of ``source`` (:func:`~bimcheck.stepcheck.scan_references`),
    then let IfcOpenShell parse it; errors name ``shown`` (what the user gave)."""
    import ifcopenshell

    integrity = scan_references(source, shown=shown)
    if integrity.dangling:
        log.warning("%s: %d entities are referred to but not in the file: %s; the elements "
                    "whose geometry uses them are reported as failures", shown.name,
                    len(integrity.dangling), integrity.summary())
    ifcopenshell.get_log()  # clear what an earlier parse left
    try:
        ifc = ifcopenshell.open(str(source))
    except ifcopenshell.SchemaError as exc:
        raise UnsupportedSchemaError(f"{exc}", path=shown) from None
    except OSError as exc:
        raise ModelNotFoundError(f"cannot read file: {exc}", path=shown) from None
    except (ifcopenshell.Error, RuntimeError, ValueError) as exc:
        raise NotIfcError(f"IfcOpenShell cannot parse the file: {exc}", path=shown) from None
    lost = {mid: refs for mid, refs in lost_references(ifcopenshell.get_log()).items()
            if mid not in integrity.dangling}  # the parser logs the missing ones too
    if lost:
        # Defined in the text, but not read (an unknown class, attributes it
        # cannot read): for what refers to them, as good as missing.
        log.warning("%s: the parser could not read %d entities that others refer to: %s; the "
                    "elements whose geometry uses them are reported as failures", shown.name,
                    len(lost), Integrity(0, lost).summary())
        integrity = integrity.with_unread(lost)
    if integrity.non_finite:
        held = tuple(i for i in integrity.non_finite if holds_non_finite(ifc, i))
        integrity = replace(integrity, non_finite=held)
        if held:
            shown_ids = ", ".join(f"#{i}" for i in held[:3])
            more = f" and {len(held) - 3} more" if len(held) > 3 else ""
            log.warning("%s: %d entities hold a number that is not finite (%s%s); the "
                        "elements whose geometry uses them are reported as failures",
                        shown.name, len(held), shown_ids, more)
    check_global_ids(ifc, shown)
    set_aside = set_aside_broken_relationships(ifc, integrity.broken_ids)
    if set_aside:
        more = f" and {len(set_aside) - 3} more" if len(set_aside) > 3 else ""
        log.warning("%s: %d relationships have an end that is missing or of the wrong class "
                    "and are ignored: %s%s", shown.name, len(set_aside),
                    "; ".join(set_aside[:3]), more)
    return ifc, integrity
