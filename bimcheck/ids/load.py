"""Read an IDS 1.0 file (buildingSMART Information Delivery Specification) safely.

:func:`load_ids` is the one way in. It

1. reads at most :data:`MAX_IDS_BYTES` bytes (a larger file is refused);
2. parses the XML with entity declarations forbidden (no internal or external
   entities, no DTD expansion, no network or file access: xmlschema's
   ``defuse="always"`` parser over the bytes read);
3. checks the root is ``<ids>`` in the IDS namespace, then validates against
   the IDS 1.0 XSD that ifctester ships (``ifctester/ids.xsd``);
4. builds ifctester's specification and facet objects (with bimcheck's
   corrected facets, :mod:`bimcheck.ids.facets`);
5. applies the IDS 1.0 rules the XSD cannot express
   (:func:`bimcheck.ids.conformance.check_conformance`).

Anything wrong raises :class:`~bimcheck.errors.IdsError` naming the file and,
in ``field``, the specification and facet where known.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ifctester
import ifctester.ids
import xmlschema
from xmlschema import XMLResource
from xmlschema.exceptions import XMLResourceError, XMLResourceForbidden, XMLSchemaException

from bimcheck.errors import IdsError
from bimcheck.ids.facets import FACET_CLASSES, describe_applicability

#: Largest IDS file read, in bytes (16 MiB; real IDS files are kilobytes).
MAX_IDS_BYTES: int = 16 * 1024 * 1024

#: XML namespace of IDS 1.0.
IDS_NAMESPACE = "http://standards.buildingsmart.org/IDS"

#: The IDS 1.0 XSD shipped with ifctester.
IDS_XSD = Path(ifctester.__file__).resolve().parent / "ids.xsd"

_WS = re.compile(r"\s+")


def _one_line(text: object, limit: int = 300) -> str:
    line = _WS.sub(" ", str(text)).strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."


@lru_cache(maxsize=1)
def ids_schema() -> xmlschema.XMLSchema:
    """The IDS 1.0 XSD, built once (its imports of the XML namespaces resolve
    to xmlschema's bundled copies: no network access)."""
    return xmlschema.XMLSchema(str(IDS_XSD), allow="sandbox", defuse="always")


class IdsSpecification(ifctester.ids.Specification):
    """One ``<specification>``: ifctester's, with bimcheck's facet classes and
    a stable id (``spec_id``): the ``identifier`` attribute if given, else
    ``'S'`` + 12 hex digits of BLAKE2b over the name and the applicability."""

    spec_id: str = ""
    applicability_text: str = ""

    def parse(self, ids_dict: dict[str, Any]) -> IdsSpecification:
        """Build from the decoded ``<specification>`` element."""
        super().parse(ids_dict)
        identifier = ids_dict.get("@identifier")
        self.identifier = str(identifier) if identifier not in (None, "") else None
        if isinstance(self.ifcVersion, str):
            self.ifcVersion = self.ifcVersion.split()
        self.ifcVersion = [str(v) for v in self.ifcVersion]
        self.applicability_text = "; ".join(describe_applicability(f) for f in self.applicability)
        if self.identifier:
            self.spec_id = self.identifier
        else:
            digest = hashlib.blake2b(
                (self.name + "\n" + self.applicability_text).encode("utf-8")
            ).hexdigest()
            self.spec_id = "S" + digest[:12]
        return self

    def parse_clause(self, clause: dict[str, Any]) -> list[Any]:
        """Facets of an ``<applicability>`` or ``<requirements>``, in document order."""
        results = []
        for name, facets in clause.items():
            cls = FACET_CLASSES.get(name)
            if cls is None:
                continue
            for facet_xml in facets if isinstance(facets, list) else [facets]:
                results.append(cls().parse(facet_xml or {}))
        return results

    @property
    def cardinality(self) -> str:
        """``required``, ``optional`` or ``prohibited`` (from minOccurs/maxOccurs)."""
        if self.maxOccurs == 0:
            return "prohibited"
        if self.minOccurs not in (0, "0"):
            return "required"
        return "optional"


@dataclass
class IdsDocument:
    """A loaded, valid IDS 1.0 file.

    ``specifications`` are :class:`IdsSpecification` objects (ifctester
    ``Specification`` subclasses); ``ids`` is ifctester's ``Ids`` holding the
    same specifications (for ifctester's reporters); ``info`` the ``<info>``
    fields (title, version, author...).
    """

    path: Path
    title: str
    specifications: list[IdsSpecification]
    info: dict[str, Any] = field(default_factory=dict)
    ids: ifctester.ids.Ids | None = None

    @property
    def name(self) -> str:
        """The file name (no folder)."""
        return self.path.name


def load_ids(path: str | os.PathLike[str]) -> IdsDocument:
    """Read and validate an IDS 1.0 file.

    Raises :class:`~bimcheck.errors.IdsError` (naming the file, and the
    specification and facet in ``field`` where known) when the file is
    missing, too large, not well-formed XML, uses XML entities, is not an IDS
    document, does not conform to the IDS 1.0 XSD, or breaks an IDS 1.0 rule
    the XSD cannot express (see :mod:`bimcheck.ids.conformance`).
    """
    from bimcheck.ids.conformance import check_conformance

    p = Path(path)
    data = _read_bounded(p)
    resource = _parse_xml(p, data)
    decoded = _validate_and_decode(p, resource)
    doc = _build(p, decoded)
    check_conformance(doc)
    return doc


def _read_bounded(p: Path) -> bytes:
    if not p.exists():
        raise IdsError("file not found", path=p)
    if not p.is_file():
        raise IdsError("not a regular file", path=p)
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_IDS_BYTES + 1)
    except OSError as exc:
        raise IdsError(f"cannot read file: {exc.strerror or exc}", path=p) from None
    if len(data) > MAX_IDS_BYTES:
        raise IdsError(
            f"the file is larger than {MAX_IDS_BYTES // (1024 * 1024)} MiB; not read", path=p
        )
    if not data.strip():
        raise IdsError("not an IDS file: the file is empty", path=p)
    return data


def _parse_xml(p: Path, data: bytes) -> XMLResource:
    try:
        resource = XMLResource(io.BytesIO(data), allow="none", defuse="always")
    except XMLResourceForbidden:
        raise IdsError(
            "not read: the XML declares entities (a DTD), which bimcheck does not allow",
            path=p,
        ) from None
    except (XMLResourceError, XMLSchemaException, ValueError, LookupError) as exc:
        if "maximum XML depth" in str(exc):
            raise IdsError("not read: the XML is nested too deeply", path=p) from None
        raise IdsError(f"not well-formed XML: {_one_line(exc)}", path=p) from None
    except RecursionError:
        raise IdsError("not read: the XML is nested too deeply", path=p) from None
    root = resource.root
    tag = str(root.tag)
    if tag != f"{{{IDS_NAMESPACE}}}ids":
        local = tag.rsplit("}", 1)[-1]
        namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
        if local == "ids":
            raise IdsError(
                f"not an IDS 1.0 file: the root <ids> is in namespace '{namespace}', "
                f"expected '{IDS_NAMESPACE}'",
                path=p,
            )
        raise IdsError(
            f"not an IDS file: the root element is <{local}>, expected <ids>", path=p
        )
    return resource


def _validate_and_decode(p: Path, resource: XMLResource) -> dict[str, Any]:
    schema = ids_schema()
    try:
        error = next(iter(schema.iter_errors(resource)), None)
        if error is not None:
            where = _spec_of_path(resource, getattr(error, "path", None) or "")
            line = getattr(error, "sourceline", None)
            at = f" (line {line})" if line else ""
            raise IdsError(
                f"does not conform to the IDS 1.0 schema{at}: {_one_line(error.reason)}",
                path=p,
                field=where,
            )
        decoded = schema.decode(
            resource, strip_namespaces=True, namespaces={"": IDS_NAMESPACE}
        )
    except RecursionError:
        raise IdsError("not read: the XML is nested too deeply", path=p) from None
    except (XMLSchemaException, ValueError) as exc:
        raise IdsError(
            f"does not conform to the IDS 1.0 schema: {_one_line(exc)}", path=p
        ) from None
    if isinstance(decoded, tuple):  # (data, errors) in lax mode; not used, but be safe
        decoded = decoded[0]
    if not isinstance(decoded, dict):
        raise IdsError("does not conform to the IDS 1.0 schema: no content", path=p)
    return decoded


def _spec_of_path(resource: XMLResource, xpath: str) -> str | None:
    """``specification 'Name'`` for an XPath into the n-th specification, else the path."""
    match = re.search(r"/specification(?:\[(\d+)\])?", xpath)
    if not match:
        return xpath or None
    index = int(match.group(1) or 1) - 1
    ns = f"{{{IDS_NAMESPACE}}}"
    specs = resource.root.findall(f"{ns}specifications/{ns}specification")
    if 0 <= index < len(specs):
        name = specs[index].get("name")
        return f"specification '{name}'" if name else f"specification #{index + 1}"
    return xpath


def _build(p: Path, decoded: dict[str, Any]) -> IdsDocument:
    try:
        info = {k: v for k, v in (decoded.get("info") or {}).items() if v not in (None, "")}
        xml_specs = (decoded.get("specifications") or {}).get("specification") or []
        if not isinstance(xml_specs, list):
            xml_specs = [xml_specs]
        specs = [IdsSpecification().parse(x) for x in xml_specs]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise IdsError(f"cannot be read as IDS 1.0: {_one_line(exc)}", path=p) from None
    seen: dict[str, int] = {}
    for spec in specs:
        if spec.identifier:
            continue
        n = seen[spec.spec_id] = seen.get(spec.spec_id, 0) + 1
        if n > 1:  # same name and applicability: tell them apart by occurrence
            spec.spec_id = f"{spec.spec_id}-{n}"
    title = str(info.get("title") or p.stem)
    ids = ifctester.ids.Ids(title=title)
    ids.info.update(info)
    ids.specifications = list(specs)
    ids.filepath, ids.filename = str(p), p.name
    return IdsDocument(path=p, title=title, specifications=specs, info=info, ids=ids)
