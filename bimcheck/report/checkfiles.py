"""The files of one check report (``report.json``, ``report.html``,
``report.junit.xml``, ``findings.bcf``, optionally ``report.glb``): their
names, their bytes, and writing them whole. ``bimcheck check`` and the batch
runner write the same files through these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bimcheck.report.files import write_atomic
from bimcheck.report.jsonout import dumps

#: Report files by format.
REPORT_FILES = {"json": "report.json", "html": "report.html", "junit": "report.junit.xml",
                "bcf": "findings.bcf", "glb": "report.glb"}


def report_targets(out: Path, *, glb: bool = False) -> dict[str, Path]:
    """The report files under folder ``out`` (``report.glb`` only with ``glb``)."""
    return {k: out / v for k, v in REPORT_FILES.items() if k != "glb" or glb}


def created_time(paths: Iterable[Path]) -> datetime:
    """BCF creation date: the newest model file's modification time (UTC,
    whole seconds), so the same files give the same bytes."""
    newest = max(int(Path(p).stat().st_mtime) for p in paths)
    return datetime.fromtimestamp(newest, tz=UTC)


#: Findings from which the BCF is made by a forked helper while this process
#: writes the other reports (28,717 findings: 4.0 s -> 2.4 s); below it the
#: fork costs about what it saves.
PARALLEL_FROM = 2_000


def report_payloads(doc: dict[str, Any], *, created: datetime) -> dict[str, bytes | str]:
    """The JSON, HTML, JUnit and BCF report of a check report's document
    (:meth:`~bimcheck.run.CheckReport.as_dict`), by format. Each is a pure
    function of the document: with :data:`PARALLEL_FROM` findings or more
    (and where no other thread runs), the BCF is made in a forked helper
    meanwhile, and here again if the helper fails."""
    from bimcheck import forking
    from bimcheck.report.checkbcf import check_bcf
    from bimcheck.report.checkhtml import check_html
    from bimcheck.report.junit import junit_xml

    helper = None
    if len(doc.get("findings") or ()) >= PARALLEL_FROM and forking.can_fork():
        try:
            helper = forking.fork(lambda: check_bcf(doc, created=created))
        except OSError:  # no process to be had (a process limit, memory): all here
            helper = None
    bcf = None
    try:
        text = dumps(doc, inline_from=4)
        junit = junit_xml(doc)
        html = check_html(doc)
        if helper is not None:
            bcf = forking.receive(helper)
    finally:
        if helper is not None:
            forking.reap(helper)
    if bcf is None:
        bcf = check_bcf(doc, created=created)
    return {"json": text, "junit": junit, "bcf": bcf, "html": html}


def write_reports(payloads: Mapping[str, bytes | str], targets: Mapping[str, Path], *,
                  overwrite: bool) -> None:
    """Each payload to its target, each written whole (temp file and rename);
    the folder is made when missing."""
    for name, payload in payloads.items():
        targets[name].parent.mkdir(parents=True, exist_ok=True)
        write_atomic(targets[name], payload, overwrite=overwrite)
