"""Every official buildingSMART IDS 1.0 test case (``../shared/ids-testcases``,
read from there, unmodified): the outcome in the file name is the answer.

* ``pass-NAME``: ``check_ids`` reports no failure and every specification passes;
* ``fail-NAME``: at least one failure, and the result does not pass;
* ``invalid-NAME``: ``load_ids`` refuses the IDS with an ``IdsError`` whose
  one-line message names the file.

Test ids are ``facet/name`` (the folder and the IDS file name without
``.ids``). Each case loads its IDS and opens its IFC model once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bimcheck.errors import IdsError
from bimcheck.ids import check_ids, load_ids
from bimcheck.model import open_model
from tests.conftest import REPO

IDS_CASES = REPO.parent / "shared" / "ids-testcases"

#: Counts stated in the corpus' SOURCE.md.
EXPECTED_COUNTS = {"pass": 176, "fail": 111, "invalid": 27}


def _cases() -> list[Path]:
    return sorted(IDS_CASES.glob("*/*.ids")) if IDS_CASES.is_dir() else []


CASES = _cases()


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _outcome(path: Path) -> str:
    return path.name.split("-", 1)[0]


def test_corpus_is_complete():
    """The corpus holds the 314 cases SOURCE.md lists, each IDS with its IFC."""
    if not CASES:
        pytest.skip(f"{IDS_CASES} not available")
    counts = {k: sum(1 for p in CASES if _outcome(p) == k) for k in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS
    assert all(p.with_suffix(".ifc").is_file() for p in CASES)


@pytest.mark.parametrize(
    "ids_path", CASES or [pytest.param(None, marks=pytest.mark.skip("no IDS test cases"))],
    ids=_case_id if CASES else None,
)
def test_official_case(ids_path: Path):
    outcome = _outcome(ids_path)
    if outcome == "invalid":
        with pytest.raises(IdsError) as excinfo:
            load_ids(ids_path)
        message = str(excinfo.value)
        assert str(ids_path) in message and "\n" not in message
        return
    doc = load_ids(ids_path)
    model = open_model(ids_path.with_suffix(".ifc"), require_geometry=False)
    result = check_ids(model, doc)
    if outcome == "pass":
        assert result.failures == []
        assert result.passed
    else:
        assert outcome == "fail"
        assert result.failures
        assert not result.passed
        assert any(s["status"] == "fail" for s in result.specifications)
