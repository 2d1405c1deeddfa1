"""`bimcheck check` with the shipped rules/default on every model of ../shared/ifc:
what it finds per model and kind, its coverage, and how long it takes.

    .venv/bin/python benchmarks/check_models.py            # print the tables
    .venv/bin/python benchmarks/check_models.py --write    # also docs/check-shared-models.md

Each model is checked in a fresh process with an empty mesh cache (cold), so the
time is what a first upload costs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "ifc"


def run_one(model: Path, out: Path, cache: Path) -> tuple[dict, float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bimcheck.cli", "-q", "check", str(model), "--out", str(out),
         "--cache-dir", str(cache), "--overwrite"],
        capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{model.name}: exit {proc.returncode}: {proc.stderr.strip()}")
    return json.loads((out / "report.json").read_text()), seconds, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="write docs/check-shared-models.md")
    args = ap.parse_args()
    models = sorted(p for p in SHARED.glob("*.ifc"))
    rows = []
    kinds: Counter = Counter()
    per_model_kind: dict[str, Counter] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            doc, seconds, _ = run_one(m, Path(tmp) / m.stem, Path(tmp) / f"cache-{m.stem}")
            c = Counter(f"{f['family']}/{f['kind']}" for f in doc["findings"])
            per_model_kind[m.name] = c
            kinds.update(c)
            geo = doc["coverage"]["geometry"][0]
            sev = doc["summary"]["by_severity"]
            rows.append((m.name, seconds, geo, sev, len(doc["findings"]),
                         doc["summary"]["risk"]["total"], doc["coverage"]["warnings"]))
            print(f"{m.name:<48} {seconds:6.1f} s  {len(doc['findings']):5d} findings  "
                  f"{geo['meshed']} meshed, {geo['without_body']} without body, "
                  f"{geo['failed']} failed", flush=True)
    columns = sorted(kinds, key=lambda k: (-kinds[k], k))
    lines = ["# `bimcheck check` on the shared models", "",
             "The shipped `rules/default/` run unchanged on every model of the shared corpus "
             "(`benchmarks/check_models.py`, cold cache, 2 cores). Every run completed.", "",
             "| model | time s | meshed | without body | failed | findings | critical | high "
             "| medium | low | info | risk |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:"
             "|---:|---:|"]
    for name, seconds, geo, sev, n, risk, _ in rows:
        lines.append(f"| {name} | {seconds:.1f} | {geo['meshed']} | {geo['without_body']} | "
                     f"{geo['failed']} | {n} | {sev['critical']} | {sev['high']} | "
                     f"{sev['medium']} | {sev['low']} | {sev['info']} | {risk:.0f} |")
    lines += ["", "Findings per model and kind:", "",
              "| model | " + " | ".join(columns) + " |",
              "|---|" + "---:|" * len(columns)]
    for name, *_ in rows:
        c = per_model_kind[name]
        lines.append(f"| {name} | " + " | ".join(str(c.get(k, 0)) for k in columns) + " |")
    lines.append("| **all** | " + " | ".join(str(kinds[k]) for k in columns) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        target = REPO / "docs" / "check-shared-models.md"
        old = target.read_text() if target.exists() else ""
        marker = "\n## The largest groups"
        tail = old[old.index(marker):] if marker in old else ""
        target.write_text(text + tail)


if __name__ == "__main__":
    main()
