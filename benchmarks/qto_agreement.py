"""Agreement of bimcheck's IFC base quantities with ifc5d's, on every shared model.

Run on demand (not part of the test suite; about 2 minutes on 2 idle cores
for the nine models of ``../shared/ifc``, most of it the Tekla model, the
Great Court roof and the Janesville restaurant)::

    .venv/bin/python benchmarks/qto_agreement.py [--shared DIR] [--only MODEL ...]
                                                 [--work DIR] [--reuse bimcheck|ifc5d]
                                                 [--markdown FILE] [--json-out FILE]
                                                 [--examples N]

For each ``*.ifc`` in ``--shared`` (or those ``--only`` names), one model at a
time and one tool at a time (never both at once):

* bimcheck: ``python -m bimcheck.cli -q qto MODEL -o WORK/STEM/bimcheck.json
  --cache-dir WORK/cache`` with the shipped pack (``rules/qto/ifc-base.yaml``);
  its rows are in m, m2, m3, kg whatever the file's units, rounded to 1e-6.
* ifc5d: ``peer_ifc5d.run_ifc5d`` (``ifc5d.qto.quantify`` with the
  ``IFC4QtoBaseQuantities`` rule set on every ``IfcProduct`` of the file, in a
  child process), converted back from the file's project units to the same
  SI units (see ``peer_ifc5d.py``). ifc5d is installed first if missing.

Both use the IFC quantity names (``Qto_WallBaseQuantities`` / ``NetVolume``),
so values are paired on (GlobalId, quantity set, quantity) with no mapping.
Per IFC class (the element's exact class, e.g. ``IfcWallStandardCase``) and
quantity the table gives: ``both``, the element-quantities both tools
computed; ``<=1%`` and ``<=5%``, how many of those agree within 1 % and 5 %;
the median relative difference over ``both``; ``only bimcheck`` and ``only
ifc5d``, values one tool gave and the other did not (not computed, no formula,
no body, or not selected by its rules). The relative difference of a pair
``b``, ``p`` is ``|b - p| / max(|b|, |p|)`` (symmetric, at most 100 %), and 0
when ``|b - p|`` is at most half a unit of the 6th decimal (bimcheck rounds
its JSON values to 6 decimals: a 7.5e-6 m3 marker solid is 8e-6 there). A
quantity whose units differ between the tools is counted apart (``unit!``).

A second table gives per model the elements each tool gave values for, the
same counts, bimcheck's failed elements and each tool's wall time (one run,
spawn to reap, bimcheck's mesh cache empty for that model; ``bench_qto.py``
is the timing benchmark). A tool that fails on a model (non-zero exit) is
reported as FAILED with its last log line, and its values for that model
count as missing; the other models go on.

``--examples N`` prints, per class and quantity, the N pairs that differ most
(GlobalId and both values); ``--json-out`` writes every group with its worst
pairs and every per-model figure. ``--work DIR`` keeps the outputs (default: a
temporary folder); with ``--reuse TOOL`` a model's existing ``TOOL`` output in
``--work`` is read instead of re-running that tool (e.g. ``--reuse ifc5d``
after a change to bimcheck's qto code). Progress and timings go to stderr;
the tables to stdout, and as markdown to ``--markdown FILE``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_util import repo_revision
from peer_ifc5d import DEFAULT_SHARED_IFC, RULE_SET, ensure_ifc5d, log_tail, run_child, run_ifc5d

#: Agreement thresholds, relative.
WITHIN = (0.01, 0.05)

#: bimcheck's JSON keeps 6 decimals; a difference that rounding explains is none.
DECIMALS = 6
ROUNDING = 10.0**-DECIMALS

Key = tuple[str, str, str]  # (GlobalId, quantity set, quantity)


def _log(message: str) -> None:
    sys.stderr.write(f"[qto_agreement] {message}\n")
    sys.stderr.flush()


def rel_diff(b: float, p: float) -> float:
    """``|b - p| / max(|b|, |p|)``; 0 when bimcheck's rounding explains the difference."""
    if abs(b - p) <= 0.5 * ROUNDING * (1 + 1e-6):
        return 0.0
    return abs(b - p) / max(abs(b), abs(p))


# --------------------------------------------------------------------------- running


@dataclass
class ModelRun:
    """Both tools' outputs on one model, and how long each took."""

    model: str
    bimcheck: dict[str, Any]
    ifc5d: dict[str, Any]
    bimcheck_s: float | None
    ifc5d_s: float | None


def run_bimcheck_qto(
    model: Path, out: Path, cache_dir: Path, timeout: float | None
) -> tuple[dict[str, Any], float]:
    """``python -m bimcheck.cli -q qto MODEL -o OUT --cache-dir CACHE``; (doc, wall s)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    log = out.with_suffix(".log")
    cmd = [sys.executable, "-m", "bimcheck.cli", "-q", "qto", str(model), "-o", str(out),
           "--cache-dir", str(cache_dir)]
    child = run_child(cmd, log, timeout)
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"bimcheck exited {child.returncode} on {model.name} after "
                           f"{child.wall_s:.1f} s:\n{log_tail(log)}")
    return json.loads(out.read_text(encoding="utf-8")), child.wall_s


def run_model(
    model: Path, work: Path, cache_dir: Path, reuse: set[str], timeout: float | None
) -> ModelRun:
    """Both tools on ``model``, one after the other (or their kept outputs)."""
    wd = work / model.stem
    b_out, p_out = wd / "bimcheck.json", wd / "ifc5d.json"
    if "bimcheck" in reuse and b_out.exists():
        b_doc, b_s = json.loads(b_out.read_text(encoding="utf-8")), None
        _log(f"{model.name}: bimcheck output reused from {b_out}")
    else:
        _log(f"{model.name}: running bimcheck qto ...")
        try:
            b_doc, b_s = run_bimcheck_qto(model, b_out, cache_dir, timeout)
            _log(f"{model.name}: bimcheck {b_s:.1f} s, {len(b_doc['rows'])} rows")
        except RuntimeError as exc:
            b_doc, b_s = {"rows": [], "error": str(exc)}, None
            _log(f"{model.name}: FAILED: {exc}")
    if "ifc5d" in reuse and p_out.exists():
        p_doc, p_s = json.loads(p_out.read_text(encoding="utf-8")), None
        _log(f"{model.name}: ifc5d output reused from {p_out}")
    else:
        _log(f"{model.name}: running ifc5d {RULE_SET} ...")
        try:
            run = run_ifc5d(model, wd, label="ifc5d", timeout=timeout)
            p_doc, p_s = run.doc, run.wall_s
            _log(f"{model.name}: ifc5d {p_s:.1f} s, {len(p_doc['rows'])} rows")
        except RuntimeError as exc:
            p_doc, p_s = {"rows": [], "error": str(exc)}, None
            _log(f"{model.name}: FAILED: {exc}")
    return ModelRun(model.name, b_doc, p_doc, b_s, p_s)


# --------------------------------------------------------------------------- comparing


@dataclass
class Pair:
    """One element-quantity both tools computed."""

    model: str
    global_id: str
    bimcheck: float
    ifc5d: float
    rel: float

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "global_id": self.global_id,
                "bimcheck": round(self.bimcheck, 6), "ifc5d": round(self.ifc5d, 6),
                "rel_diff": round(self.rel, 6)}


@dataclass
class Group:
    """The agreement for one (IFC class, quantity set, quantity)."""

    ifc_class: str
    item: str
    quantity: str
    unit: str = ""
    pairs: list[Pair] = field(default_factory=list)
    only_bimcheck: int = 0
    only_ifc5d: int = 0
    unit_mismatch: int = 0
    models: set[str] = field(default_factory=set)

    @property
    def both(self) -> int:
        return len(self.pairs)

    def within(self, threshold: float) -> int:
        return sum(1 for p in self.pairs if p.rel <= threshold)

    @property
    def median(self) -> float | None:
        return statistics.median(p.rel for p in self.pairs) if self.pairs else None

    def worst(self, n: int) -> list[Pair]:
        return sorted(self.pairs, key=lambda p: (-p.rel, p.model, p.global_id))[:n]

    def as_dict(self, examples: int) -> dict[str, Any]:
        med = self.median
        return {
            "ifc_class": self.ifc_class, "item": self.item, "quantity": self.quantity,
            "unit": self.unit, "both": self.both,
            **{f"within_{round(t * 100)}pct": self.within(t) for t in WITHIN},
            "median_rel_diff": None if med is None else round(med, 6),
            "only_bimcheck": self.only_bimcheck, "only_ifc5d": self.only_ifc5d,
            "unit_mismatch": self.unit_mismatch, "models": sorted(self.models),
            "worst": [p.as_dict() for p in self.worst(examples)],
        }


def _rows_by_key(rows: Iterable[Mapping[str, Any]], tool: str) -> dict[Key, Mapping[str, Any]]:
    out: dict[Key, Mapping[str, Any]] = {}
    for r in rows:
        key = (r["global_id"], r["item"], r["quantity"])
        if key in out:
            raise ValueError(f"{tool}: {key} appears twice")
        out[key] = r
    return out


def compare(runs: Iterable[ModelRun]) -> dict[tuple[str, str, str], Group]:
    """Groups by (class, quantity set, quantity) over every model's pairs."""
    groups: dict[tuple[str, str, str], Group] = {}

    def group(row: Mapping[str, Any]) -> Group:
        k = (row["ifc_class"], row["item"], row["quantity"])
        if k not in groups:
            groups[k] = Group(*k, unit=row["unit"])
        return groups[k]

    for run in runs:
        b = _rows_by_key(run.bimcheck["rows"], "bimcheck")
        p = _rows_by_key(run.ifc5d["rows"], "ifc5d")
        for key in b.keys() | p.keys():
            rb, rp = b.get(key), p.get(key)
            g = group(rb or rp)  # type: ignore[arg-type]
            g.models.add(run.model)
            if rb is None:
                g.only_ifc5d += 1
            elif rp is None:
                g.only_bimcheck += 1
            elif rb["unit"] != rp["unit"]:
                g.unit_mismatch += 1
            else:
                vb, vp = float(rb["value"]), float(rp["value"])
                g.pairs.append(Pair(run.model, key[0], vb, vp, rel_diff(vb, vp)))
    return dict(sorted(groups.items()))


def model_summary(run: ModelRun) -> dict[str, Any]:
    """Per-model counts: elements, pairs, agreement, one-sided values, times."""
    groups = compare([run])
    pairs = [p for g in groups.values() for p in g.pairs]
    return {
        "model": run.model,
        "bimcheck_elements": len({r["global_id"] for r in run.bimcheck["rows"]}),
        "ifc5d_elements": len({r["global_id"] for r in run.ifc5d["rows"]}),
        "both": len(pairs),
        **{f"within_{round(t * 100)}pct": sum(1 for p in pairs if p.rel <= t) for t in WITHIN},
        "only_bimcheck": sum(g.only_bimcheck for g in groups.values()),
        "only_ifc5d": sum(g.only_ifc5d for g in groups.values()),
        "bimcheck_failed": len(run.bimcheck.get("failed", [])),
        "bimcheck_skipped": len(run.bimcheck.get("skipped", [])),
        "bimcheck_s": None if run.bimcheck_s is None else round(run.bimcheck_s, 2),
        "ifc5d_s": None if run.ifc5d_s is None else round(run.ifc5d_s, 2),
        "bimcheck_error": _last_line(run.bimcheck.get("error")),
        "ifc5d_error": _last_line(run.ifc5d.get("error")),
    }


def _last_line(text: str | None) -> str | None:
    return None if not text else text.strip().splitlines()[-1]


# --------------------------------------------------------------------------- tables


def _pct(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x * 100:.2f}%" if x < 0.1 else f"{x * 100:.1f}%"


def agreement_rows(groups: Mapping[Any, Group]) -> tuple[list[str], list[list[str]]]:
    header = ["class", "quantity", "unit", "both", "<=1%", "<=5%", "median diff",
              "only bimcheck", "only ifc5d"]
    body = []
    for g in groups.values():
        quantity = f"{g.item}.{g.quantity}"
        if g.unit_mismatch:
            quantity += f" (unit! {g.unit_mismatch})"
        body.append([g.ifc_class, quantity, g.unit, str(g.both), str(g.within(WITHIN[0])),
                     str(g.within(WITHIN[1])), _pct(g.median), str(g.only_bimcheck),
                     str(g.only_ifc5d)])
    return header, body


def model_rows(summaries: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["model", "elements b/5d", "both", "<=1%", "<=5%", "only bimcheck",
              "only ifc5d", "bimcheck failed", "bimcheck s", "ifc5d s"]

    def secs(v: float | None, error: str | None) -> str:
        if error:
            return "FAILED"
        return "-" if v is None else f"{v:.1f}"

    body = [[s["model"], f"{s['bimcheck_elements']}/{s['ifc5d_elements']}", str(s["both"]),
             str(s["within_1pct"]), str(s["within_5pct"]), str(s["only_bimcheck"]),
             str(s["only_ifc5d"]), str(s["bimcheck_failed"]),
             secs(s["bimcheck_s"], s["bimcheck_error"]), secs(s["ifc5d_s"], s["ifc5d_error"])]
            for s in summaries]
    total = [sum(int(r[i]) for r in body) for i in range(2, 8)]
    body.append(["total", "", *map(str, total), "", ""])
    return header, body


_NUMERIC = {"both", "<=1%", "<=5%", "median diff", "only bimcheck", "only ifc5d",
            "bimcheck failed", "bimcheck s", "ifc5d s", "elements b/5d"}


def text_table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    for r in [header, *body]:
        cells = [c.rjust(w) if h in _NUMERIC else c.ljust(w)
                 for c, w, h in zip(r, widths, header, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def markdown_table(header: list[str], body: list[list[str]]) -> str:
    def esc(c: str) -> str:
        return c.replace("|", "\\|")

    lines = ["| " + " | ".join(map(esc, header)) + " |",
             "|" + "|".join("---:" if h in _NUMERIC else "---" for h in header) + "|"]
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in body]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED_IFC,
                        help="folder with the shared IFC models (default ../shared/ifc)")
    parser.add_argument("--only", action="append", metavar="MODEL",
                        help="only this model (file name, repeatable)")
    parser.add_argument("--work", type=Path,
                        help="keep outputs and the mesh cache here (default: a temp folder)")
    parser.add_argument("--reuse", action="append", choices=("bimcheck", "ifc5d"), default=[],
                        help="read this tool's output from --work when present (repeatable)")
    parser.add_argument("--markdown", type=Path, help="also write the tables as markdown here")
    parser.add_argument("--json-out", type=Path, help="write every group and figure here")
    parser.add_argument("--examples", type=int, default=0,
                        help="print the N most different pairs of each class and quantity")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per child, seconds")
    args = parser.parse_args(argv)

    shared = args.shared.resolve()
    models = sorted(shared.glob("*.ifc"))
    if args.only:
        wanted = set(args.only)
        unknown = wanted - {m.name for m in models}
        if unknown:
            parser.error(f"not in {shared}: {', '.join(sorted(unknown))}")
        models = [m for m in models if m.name in wanted]
    if not models:
        parser.error(f"no .ifc files in {shared}")
    if args.reuse and not args.work:
        parser.error("--reuse needs --work")

    version = ensure_ifc5d()
    revision = repo_revision()
    started = time.perf_counter()
    runs: list[ModelRun] = []
    with tempfile.TemporaryDirectory(prefix="qto_agreement_") as tmp:
        work = args.work.resolve() if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for model in models:
            runs.append(run_model(model, work, work / "cache", set(args.reuse), args.timeout))
    _log(f"done in {time.perf_counter() - started:.0f} s")

    groups = compare(runs)
    summaries = [model_summary(r) for r in runs]
    title = (f"bimcheck {revision} (rules/qto/ifc-base.yaml) vs ifc5d {version} ({RULE_SET}); "
             f"{len(runs)} models from {shared}")
    header, body = agreement_rows(groups)
    m_header, m_body = model_rows(summaries)
    print(title)
    print()
    print(text_table(header, body))
    print()
    print(text_table(m_header, m_body))
    failures = [f"{s['model']}: {tool} failed: {s[f'{tool}_error']}"
                for s in summaries for tool in ("bimcheck", "ifc5d") if s[f"{tool}_error"]]
    for line in failures:
        print(line)
    if args.examples > 0:
        print(f"\nThe {args.examples} most different pairs per class and quantity:")
        for g in groups.values():
            worst = [p for p in g.worst(args.examples) if p.rel > WITHIN[0]]
            for p in worst:
                print(f"  {g.ifc_class} {g.item}.{g.quantity}: {p.model} {p.global_id} "
                      f"bimcheck {p.bimcheck:.6g} ifc5d {p.ifc5d:.6g} {g.unit} "
                      f"({_pct(p.rel)})")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(
            f"{title}\n\n{markdown_table(header, body)}\n\n{markdown_table(m_header, m_body)}\n"
            + "".join(f"\n{line}\n" for line in failures),
            encoding="utf-8",
        )
        _log(f"markdown written to {args.markdown}")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "bimcheck": revision, "ifc5d": version, "rule_set": RULE_SET,
            "python": sys.version.split()[0], "cpus": os.cpu_count(),
            "models": summaries,
            "groups": [g.as_dict(max(args.examples, 5)) for g in groups.values()],
        }
        args.json_out.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        _log(f"JSON written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
