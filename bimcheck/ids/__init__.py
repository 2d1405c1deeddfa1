"""IDS 1.0 (buildingSMART Information Delivery Specification) checking.

:func:`load_ids` reads and validates an ``.ids`` file (XSD and the IDS 1.0
rules the XSD cannot express); :func:`check_ids` checks a
:class:`bimcheck.model.Model` against it and returns an :class:`IdsResult`
with one :class:`IdsFailure` per failing specification x requirement x entity.
Facets are evaluated by IfcOpenShell's ifctester, corrected where it departs
from IDS 1.0 (see :mod:`bimcheck.ids.facets` and :mod:`bimcheck.ids.values`).
"""

from bimcheck.ids.check import IdsFailure, IdsResult, check_ids
from bimcheck.ids.load import IdsDocument, IdsSpecification, load_ids

__all__ = [
    "IdsDocument",
    "IdsFailure",
    "IdsResult",
    "IdsSpecification",
    "check_ids",
    "load_ids",
]
