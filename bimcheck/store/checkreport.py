"""The run history in a check report: :func:`apply_history` puts a
:class:`~bimcheck.store.record.Recorded` run into a
:class:`~bimcheck.run.CheckReport` and gates it again.

* With a previous run and no ``--baseline`` file, the previous run is the
  gate's baseline (``new_only`` counts the findings new since then) and each
  finding's status is its history status, ``new`` or ``active`` (``waived``
  stays). A ``--baseline`` file wins: statuses are ``new`` / ``existing``
  against it, and the history statuses are in ``history.statuses``.
* On the first run of a project the statuses stay ``open``: there is nothing
  to compare with.
* Approved findings (review state in force ``approved``) are not counted by
  the gate; ``gate.approved`` lists them.
* ``report.trend``: the earlier revisions' totals; ``report.history``: the
  :meth:`~bimcheck.store.record.Recorded.as_dict` section, with ``baseline``
  (``"file"``, ``"previous run"`` or ``None``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bimcheck.gate import GatePolicy, Verdict, gate
from bimcheck.store.record import Recorded


def apply_history(report: Any, recorded: Recorded, *, db_name: str, policy: GatePolicy,
                  baseline: set[str] | None = None, waivers: Sequence[Any] = (),
                  today: dt.date | None = None) -> tuple[Any, Verdict]:
    """``(report with history statuses, trend and section, verdict)``; see the module.

    The gate runs again here (the first gate of the run knew neither the
    previous run nor the approvals); it reads only keys, so this is cheap."""
    first = recorded.previous is None
    source = "file" if baseline is not None else (None if first else "previous run")
    base = baseline if baseline is not None else (None if first else recorded.previous_open)
    report, verdict = gate(report, policy, baseline=base, waivers=waivers,
                           approved=recorded.approved, today=today)
    if source == "previous run":
        statuses = recorded.comparison.statuses
        report = report.with_statuses({f.key: statuses[f.key] for f in report.findings
                                       if f.status != "waived" and f.key in statuses})
    section = recorded.as_dict(db_name)
    section["baseline"] = source
    report.history = section
    report.trend = recorded.trend
    return report, verdict
