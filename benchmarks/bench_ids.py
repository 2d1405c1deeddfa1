"""bimcheck's IDS checking against ifctester 0.9.0 on the buildingSMART IDS 1.0 test cases.

Run on demand (not part of the test suite; a few seconds)::

    .venv/bin/python benchmarks/bench_ids.py [--cases DIR] [--repeat N] [--list-wrong]

The cases are ``../shared/ids-testcases`` unless ``--cases`` names another
folder laid out as ``<facet>/<outcome>-<name>.ids`` with the IFC model
``<outcome>-<name>.ifc`` beside each. The outcome in the file name is the
right answer: ``pass`` (the model passes every specification), ``fail`` (at
least one specification fails) or ``invalid`` (the IDS is not valid IDS 1.0).

How each tool is run, in this process
    * bimcheck: ``load_ids(ids)``, ``open_model(ifc, require_geometry=False)``,
      ``check_ids``; an ``IdsError`` from ``load_ids`` is the answer "invalid",
      otherwise ``result.passed`` decides pass or fail;
    * ifctester: ``ifctester.ids.open(ids, validate=True)``,
      ``ifcopenshell.open(ifc)``, ``Ids.validate``; an exception from ``open``
      is "invalid", otherwise every specification's ``status`` decides. An
      exception from ``validate`` counts as a wrong answer.

Wall time covers reading the IDS, opening the IFC and checking, for every
case; one untimed pass first builds both tools' XSD schemas and warms the
imports. Each tool then runs ``--repeat`` times (default 3), alternating which
goes first, and the medians are printed with the ratio bimcheck / ifctester.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ifcopenshell
from bench_util import load_average, repo_revision
from ifctester import ids as ifctester_ids

from bimcheck.errors import IdsError
from bimcheck.ids import check_ids, load_ids
from bimcheck.model import open_model

DEFAULT_CASES = Path(__file__).resolve().parents[2] / "shared" / "ids-testcases"
FOLDERS = ("attribute", "classification", "entity", "ids", "material", "partof",
           "property", "restriction", "tolerance")


def bimcheck_answer(ids_path: Path) -> str:
    """``pass``, ``fail`` or ``invalid`` by bimcheck."""
    try:
        doc = load_ids(ids_path)
    except IdsError:
        return "invalid"
    model = open_model(ids_path.with_suffix(".ifc"), require_geometry=False)
    return "pass" if check_ids(model, doc).passed else "fail"


def ifctester_answer(ids_path: Path) -> str:
    """``pass``, ``fail``, ``invalid`` or ``error: ...`` by ifctester."""
    try:
        doc = ifctester_ids.open(str(ids_path), validate=True)
    except Exception:  # any refusal is ifctester's "invalid"
        return "invalid"
    try:
        doc.validate(ifcopenshell.open(str(ids_path.with_suffix(".ifc"))))
    except Exception as exc:  # a crash is a wrong answer, reported
        return f"error: {type(exc).__name__}"
    return "pass" if all(s.status for s in doc.specifications) else "fail"


def run_all(cases: list[Path], answer: Callable[[Path], str]) -> tuple[dict[Path, str], float]:
    """Every case's answer and the wall time over all of them (s)."""
    t0 = time.perf_counter()
    answers = {p: answer(p) for p in cases}
    return answers, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--list-wrong", action="store_true",
                    help="list every case either tool answers wrongly")
    args = ap.parse_args(argv)
    cases = sorted(args.cases.glob("*/*.ids")) if args.cases.is_dir() else []
    if not cases:
        print(f"no IDS test cases under {args.cases}", file=sys.stderr)
        return 2
    logging.disable(logging.CRITICAL)  # ifctester logs per facet
    print(f"bimcheck {repo_revision()}; ifctester {_ifctester_version()}; "
          f"{load_average()} at start")
    print(f"{len(cases)} cases under {args.cases}")

    tools = {"bimcheck": bimcheck_answer, "ifctester": ifctester_answer}
    answers = {name: run_all(cases, fn)[0] for name, fn in tools.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in tools}
    for i in range(max(1, args.repeat)):
        order = list(tools) if i % 2 == 0 else list(reversed(tools))
        for name in order:
            answers[name], seconds = run_all(cases, tools[name])
            times[name].append(seconds)

    def outcome(p: Path) -> str:
        return p.name.split("-", 1)[0]

    folders = [f for f in FOLDERS if any(p.parent.name == f for p in cases)]
    folders += sorted({p.parent.name for p in cases} - set(folders))
    print()
    print(f"{'facet folder':<16}{'cases':>7}{'bimcheck right':>16}{'ifctester right':>17}")
    for folder in [*folders, "total"]:
        sel = [p for p in cases if folder in ("total", p.parent.name)]
        if folder == "total":
            print("-" * 56)
        right = {n: sum(answers[n][p] == outcome(p) for p in sel) for n in tools}
        print(f"{folder:<16}{len(sel):>7}{right['bimcheck']:>16}{right['ifctester']:>17}")
    print()
    print(f"{'by outcome':<16}{'cases':>7}{'bimcheck right':>16}{'ifctester right':>17}")
    for kind in ("pass", "fail", "invalid"):
        sel = [p for p in cases if outcome(p) == kind]
        right = {n: sum(answers[n][p] == kind for p in sel) for n in tools}
        print(f"{kind:<16}{len(sel):>7}{right['bimcheck']:>16}{right['ifctester']:>17}")

    med = {n: statistics.median(t) for n, t in times.items()}
    print()
    for name in tools:
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:<10} wall time over all cases: {med[name]:.2f} s median ({runs})")
    print(f"ratio bimcheck / ifctester: {med['bimcheck'] / med['ifctester']:.2f}")
    if args.list_wrong:
        print()
        for p in cases:
            got = {n: answers[n][p] for n in tools}
            if any(g != outcome(p) for g in got.values()):
                print(f"{p.parent.name}/{p.stem}: bimcheck {got['bimcheck']}, "
                      f"ifctester {got['ifctester']}")
    print(f"\n{load_average()} at end")
    return 0


def _ifctester_version() -> str:
    try:
        return importlib.metadata.version("ifctester")
    except importlib.metadata.PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
