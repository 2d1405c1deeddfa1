"""Element selection with IfcOpenShell's selector syntax
(``ifcopenshell.util.selector``): parsing, validation with the column of the
error, warnings for selectors that parse but match nothing as meant, and the
``material`` facet with its negation fixed (installed on import).

Importing this module imports IfcOpenShell and builds its selector grammar
(about 0.3 s): :mod:`bimcheck.model` imports it only when a selector is used.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.util.element
import ifcopenshell.util.selector
import lark

from bimcheck.errors import SelectorError


def _material_facet(self: Any, args: Any) -> None:
    """IfcOpenShell 0.9.0's ``material`` selector facet, with negation fixed.

    Upstream compares each material with the negated operator and then negates
    the result again, so ``material!=X`` matches no element that has a material
    at all (and ``rules/qto/*.yaml`` rely on it for concrete and masonry). Here
    a negated comparison is the complement of the positive one over the
    element's materials (names and categories); elements without a material
    compare ``None`` as upstream does."""
    comparison, value = args
    negated = comparison.startswith("!")
    positive = comparison[1:] if negated else comparison

    def filter_function(element: ifcopenshell.entity_instance) -> bool:
        materials = ifcopenshell.util.element.get_materials(element)
        if not materials:
            return self.compare(None, comparison, value)
        found = any(self.compare(getattr(m, name, None), positive, value)
                    for m in materials for name in ("Name", "Category"))
        return not found if negated else found

    self.add_default_elements()
    self.elements = set(filter(filter_function, self.elements))


ifcopenshell.util.selector.FacetTransformer.material = _material_facet  # type: ignore[method-assign]


def lint_selector(selector: str) -> list[str]:
    """Problems in a selector that parses but will not select what was meant.

    ``query:storey.Name="X"`` parses as a property facet (property set
    ``query:storey``) and silently matches nothing; the keys must be quoted:
    ``query:"storey.Name"="X"``. Returns human-readable warnings (empty if fine).
    """
    try:
        tree = _parse_selector(selector)
    except lark.exceptions.LarkError:
        return []
    warnings = []
    for prop in tree.find_data("property"):
        pset = prop.children[0]
        token = pset.children[0] if pset.children else None
        text = str(getattr(token, "children", [token])[0]) if token is not None else ""
        if text.startswith("query:"):
            keys = text[len("query:") :]
            name = prop.children[1]
            attr = str(getattr(name.children[0], "children", [name.children[0]])[0])
            warnings.append(
                f"unquoted query keys 'query:{keys}.{attr}' match nothing; "
                f'write query:"{keys}.{attr}"'
            )
    return warnings


@lru_cache(maxsize=256)
def _parse_selector(selector: str) -> lark.Tree:
    """IfcOpenShell's parse tree of a selector (a pack repeats its selectors; an
    Earley parse costs ~10 ms). Raises lark's ``UnexpectedInput``; failures
    are not cached."""
    return ifcopenshell.util.selector.filter_elements_grammar.parse(selector)


def validate_selector(selector: str, *, path: str | Path | None = None) -> None:
    """Raise :class:`SelectorError` with the column if ``selector`` does not parse."""
    try:
        _parse_selector(selector)
    except lark.exceptions.UnexpectedInput as exc:
        raise _selector_error(selector, exc, path) from None


def _selector_error(
    selector: str, exc: lark.exceptions.UnexpectedInput, path: str | Path | None
) -> SelectorError:
    column = getattr(exc, "column", None)
    column = column if isinstance(column, int) and column > 0 else None
    if isinstance(exc, lark.exceptions.UnexpectedEOF) or column is None:
        column = len(selector) + 1
        what = "unexpected end of selector"
    else:
        char = selector[column - 1] if column - 1 < len(selector) else ""
        what = f"unexpected {char!r}"
    return SelectorError(
        f"invalid selector {selector!r}: {what} at column {column}",
        selector=selector,
        column=column,
        path=path,
    )


def filter_elements(ifc: ifcopenshell.file, selector: str,
                    path: str | Path | None = None) -> set[ifcopenshell.entity_instance]:
    """The elements of ``ifc`` matching ``selector``; :class:`SelectorError`
    naming ``path`` (with the column) when it does not parse."""
    try:
        return ifcopenshell.util.selector.filter_elements(ifc, selector)
    except lark.exceptions.UnexpectedInput as exc:
        raise _selector_error(selector, exc, path) from None
    except lark.exceptions.LarkError as exc:
        raise SelectorError(
            f"selector {selector!r} is invalid: {exc}", selector=selector, path=path
        ) from None
