"""Run history in SQLite (embedded, WAL): runs, their findings with statuses
across revisions (new, active, resolved, unretested), review states, trends.

* :mod:`~bimcheck.store.db`: the file, its schema and version, safety.
* :mod:`~bimcheck.store.status`: statuses between two runs (pure).
* :mod:`~bimcheck.store.record`: one run written in one transaction.
* :mod:`~bimcheck.store.query`: runs, trends, a finding's timeline, reviews.
* :mod:`~bimcheck.store.inputs`: project names and finding records from
  each command's results.
* :mod:`~bimcheck.store.checkreport`: the history in a check report.

See docs/history.md.
"""

from bimcheck.store.db import SCHEMA_VERSION, HistoryDB, integrity, open_db
from bimcheck.store.query import (
    REVIEW_STATES,
    Review,
    finding_timeline,
    list_runs,
    set_review,
    trends,
)
from bimcheck.store.record import COMMANDS, Recorded, RunInfo, RunInput, record_run
from bimcheck.store.status import HISTORY_STATUSES, Comparison, FindingRecord, Gone, compare

__all__ = [
    "COMMANDS", "HISTORY_STATUSES", "REVIEW_STATES", "SCHEMA_VERSION", "Comparison",
    "FindingRecord", "Gone", "HistoryDB", "Recorded", "Review", "RunInfo", "RunInput",
    "compare", "finding_timeline", "integrity", "list_runs", "open_db", "record_run",
    "set_review", "trends",
]
