"""The work of one task, in the process that runs it: open the models, run
``check`` (which includes the takeoff), or ``diff`` and ``price`` against
the previous revision, and give plain data back (:mod:`bimcheck.batch.spec`).

These functions raise; :mod:`bimcheck.batch.isolate` runs them in a child
process and turns what they raise, a time-out or a crash into a failed
:class:`~bimcheck.batch.spec.Outcome`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bimcheck.batch.spec import (
    Budget,
    ChangeSpec,
    ChangeValue,
    CheckSpec,
    CheckValue,
    ModelSource,
)

if TYPE_CHECKING:
    from bimcheck.context import Progress

#: Files a change task writes into the revision's folder.
CHANGE_FILES = ("diff.json", "diff.bcf", "change_order.json", "change_order.csv",
                "change_order.xlsx")


@contextlib.contextmanager
def model_paths(*sources: ModelSource) -> Iterator[list[Path]]:
    """The sources as files: a path as it is, bytes written to a private
    temporary folder under the model's own file name (removed afterwards)."""
    if all(s.data is None for s in sources):
        yield [Path(s.path) for s in sources]
        return
    with tempfile.TemporaryDirectory(prefix="bimcheck-batch-") as tmp:
        paths = []
        for i, s in enumerate(sources):
            if s.data is None:
                paths.append(Path(s.path))
                continue
            folder = Path(tmp) / str(i)
            folder.mkdir()
            p = folder / s.name
            p.write_bytes(s.data)
            if s.mtime is not None:
                os.utime(p, (s.mtime, s.mtime))
            paths.append(p)
        yield paths


def _cache(budget: Budget) -> Any:
    from bimcheck.geometry.cache import MeshCache

    return None if budget.no_cache else MeshCache(budget.cache_dir)


@contextlib.contextmanager
def _limits(budget: Budget) -> Iterator[None]:
    """The budget's file-size and element limits, for the models the task opens."""
    from bimcheck.limits import element_limit, file_size_limit

    with file_size_limit(budget.max_file_size), element_limit(budget.max_elements):
        yield


def run_check(spec: CheckSpec, progress: Progress | None = None) -> CheckValue:
    """``check`` of the revision (errors: :class:`~bimcheck.errors.BimcheckError`);
    ``progress(stage, done, total)`` as the run goes."""
    from bimcheck.check import CheckOptions, prepare_check, run_prepared
    from bimcheck.store.inputs import check_run_input

    with _limits(spec.budget), model_paths(spec.model) as (path,):
        options = CheckOptions(
            models=[path], sources=[Path(s) for s in spec.sources],
            lift_plan=None if spec.lift_plan is None else Path(spec.lift_plan),
            gate_file=None if spec.gate is None else Path(spec.gate), fail_on=spec.fail_on,
            timeout=spec.budget.timeout, threads=spec.budget.threads)
        prepared = prepare_check(options, cache=_cache(spec.budget))
        report, _ = run_prepared(prepared, progress=progress)
        run = check_run_input(report, prepared, project=spec.project, revision=spec.label)
        prepared.context = None
        return CheckValue(report=report, policy=prepared.policy, waivers=prepared.waivers,
                          run=run)


def run_change(spec: ChangeSpec, progress: Progress | None = None) -> ChangeValue:
    """``diff`` and ``price`` of the revision against the previous one, in one
    run context (the meshes of the diff serve the takeoffs of the price)."""
    from bimcheck.context import RunContext
    from bimcheck.diff import diff_models
    from bimcheck.diff.price import price_revision
    from bimcheck.diff.rates import load_rates
    from bimcheck.model import open_model
    from bimcheck.packs.pack import load_pack
    from bimcheck.qto.rules import default_qto_pack_path
    from bimcheck.report.changeorder import order_csv, order_json, order_xlsx
    from bimcheck.report.checkfiles import created_time
    from bimcheck.report.diffbcf import diff_bcf
    from bimcheck.report.jsonout import dumps
    from bimcheck.store.inputs import price_run_input

    table = None if spec.rates is None else load_rates(Path(spec.rates))
    pack = load_pack(Path(spec.price_rules) if spec.price_rules else default_qto_pack_path(),
                     family="qto")
    with _limits(spec.budget), model_paths(spec.old, spec.new) as (old_path, new_path):
        old, new = open_model(old_path), open_model(new_path)
        ctx = RunContext([old, new], cache=_cache(spec.budget), timeout=spec.budget.timeout,
                         threads=spec.budget.threads, progress=progress)
        diff = diff_models(old, new, context=ctx)
        order = price_revision(old, new, rules=pack.rules, packs=[pack], rates=table,
                               diff=diff, context=ctx)
        diff_doc = diff.as_dict()
        order_doc = order.as_dict()
        created = created_time([old_path, new_path])
        files = {
            "diff.json": dumps(diff_doc, inline_from=3).encode("utf-8"),
            "diff.bcf": diff_bcf(diff_doc, created=created),
            "change_order.json": order_json(order_doc).encode("utf-8"),
            "change_order.csv": order_csv(order_doc).encode("utf-8"),
            "change_order.xlsx": order_xlsx(order_doc),
        }
        run = price_run_input(order, old, new, pack, table, project=spec.project,
                              revision=spec.label)
    return ChangeValue(diff=diff_doc, order=order_doc, files=files, run=run)


def peak_mib() -> float:
    """Peak resident memory of this process and of its finished children (MiB)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    scale = 1.0 / 1024 if os.uname().sysname != "Darwin" else 1.0 / (1024 * 1024)
    return round(max(own, kids) * scale, 1)
