"""Revision diff and change-order pricing.

:func:`diff_models` matches the elements of two revisions one to one (by
GlobalId, by shape and placement where GlobalIds were re-issued, by name and
position), says what changed in each (shape, placement, data, type,
container, openings, material, classification) and which single changes
explain many (a storey moved, a type edited, a shared profile edited).
"""

from bimcheck.diff.result import Cause, Change, ElementDiff, RevisionDiff
from bimcheck.diff.run import diff_models

__all__ = ["Cause", "Change", "ElementDiff", "RevisionDiff", "diff_models"]
