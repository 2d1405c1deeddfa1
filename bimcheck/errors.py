"""Typed errors for bimcheck.

Every error the library raises on purpose derives from :class:`BimcheckError`.
Library code never prints or exits; only ``bimcheck.cli`` turns these into a
one-line message on stderr and exit code 2. Each error carries the path of the
file it concerns (when there is one), so the message can always name it.
"""

from __future__ import annotations

from pathlib import Path


class BimcheckError(Exception):
    """Root of every error bimcheck raises on purpose."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ModelError(BimcheckError):
    """The IFC model cannot be used."""


class ModelNotFoundError(ModelError):
    """The file does not exist or cannot be read."""


class NotIfcError(ModelError):
    """The file is not an IFC (STEP physical file or ifczip)."""


class TruncatedModelError(ModelError):
    """The file stops part-way (no ``END-ISO-10303-21;`` trailer)."""


class UnsupportedSchemaError(ModelError):
    """The file's schema is not one bimcheck supports."""


class BrokenModelError(ModelError):
    """The file's entity structure cannot be read (an id defined twice, an id
    too long to be one)."""


class NoGeometryError(ModelError):
    """The model has no element with a geometric representation."""


class SelectorError(BimcheckError):
    """A selector (IfcOpenShell selector syntax) does not parse.

    ``column`` is the 1-based column of the offending character in the selector.
    """

    def __init__(
        self,
        message: str,
        *,
        selector: str,
        column: int | None = None,
        path: str | Path | None = None,
    ) -> None:
        self.selector = selector
        self.column = column
        super().__init__(message, path=path)


class GeometryError(BimcheckError):
    """Geometry could not be produced or queried."""


class TessellationTimeout(GeometryError):
    """Tessellation did not finish within the time budget (seconds)."""

    def __init__(
        self, message: str, *, budget: float, done: int, total: int, path: str | Path | None = None
    ) -> None:
        self.budget = budget
        self.done = done
        self.total = total
        super().__init__(message, path=path)


class CacheError(BimcheckError):
    """The mesh cache directory cannot be used."""


class RulePackError(BimcheckError):
    """A rule pack is invalid. The message names the file, rule id and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        rule: str | None = None,
        field: str | None = None,
    ) -> None:
        self.rule = rule
        self.field = field
        super().__init__(message, path=path)

    def __str__(self) -> str:
        where = [p for p in (self.path, self.rule and f"rule {self.rule}", self.field) if p]
        return ": ".join([*where, self.message])


class LiftPlanError(BimcheckError):
    """A lift plan (``*.lift.yaml``) is invalid. The message names the file, the
    crane or lift, and the field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        crane: str | None = None,
        lift: str | None = None,
        field: str | None = None,
    ) -> None:
        self.crane = crane
        self.lift = lift
        self.field = field
        super().__init__(message, path=path)

    def __str__(self) -> str:
        where = [p for p in (self.path, self.crane and f"crane {self.crane}",
                             self.lift and f"lift {self.lift}", self.field) if p]
        return ": ".join([*where, self.message])


class OutputError(BimcheckError):
    """An output file cannot be written (exists without overwrite, unwritable...)."""


class MissingDependencyError(BimcheckError):
    """An optional dependency is needed for this feature; the message says how to install it."""


class IdsError(RulePackError):
    """An IDS file (buildingSMART Information Delivery Specification) is not
    valid IDS 1.0. The message names the file and what is invalid (the
    specification and facet where known, in ``field``)."""


class WaiverError(BimcheckError):
    """A waiver file is invalid. The message names the file, the entry and the field."""


class GateError(BimcheckError):
    """A gate file or a baseline report is invalid. The message names the file and field."""


class RateTableError(BimcheckError):
    """A rate table (``--rates``, CSV or YAML) is invalid, or cannot price a
    takeoff (a unit that is not the takeoff's, two rates for one element).
    The message names the file, the row or line, the field and the item code."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: str | None = None,
        field: str | None = None,
    ) -> None:
        self.row = row
        self.field = field
        super().__init__(message, path=path)

    def __str__(self) -> str:
        where = [p for p in (self.path, self.row, self.field) if p]
        return ": ".join([*where, self.message])


class HistoryError(BimcheckError):
    """The run history database (``--db``, SQLite) cannot be used: it is not a
    bimcheck history database, it is corrupt, it was written by a newer
    bimcheck, it is locked for too long, or a key or project asked for is not
    in it. The message names the file."""


class ManifestError(BimcheckError):
    """A batch manifest (``bimcheck batch MANIFEST.yaml``) or batch folder is
    invalid: the message names the file, the project and the field."""

    def __init__(self, message: str, *, path: str | Path | None = None,
                 project: str | None = None, field: str | None = None) -> None:
        self.project = project
        self.field = field
        super().__init__(message, path=path)

    def __str__(self) -> str:
        where = [p for p in (self.path, f"project {self.project!r}" if self.project else None,
                             self.field) if p]
        return ": ".join([*where, self.message])
