"""``python -m bimcheck.testing.fuzz KIND --cases N``: a fuzz campaign.

Prints one line per bad outcome and a summary table, and writes every
outcome as JSON with ``--json``; exits 1 when any case was not ``ok`` or
``clean``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bimcheck.testing.fuzz.campaigns import CAMPAIGNS
from bimcheck.testing.fuzz.runner import GOOD, run_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bimcheck.testing.fuzz")
    parser.add_argument("kinds", nargs="+", choices=["all", *sorted(CAMPAIGNS)])
    parser.add_argument("--cases", type=int, default=100, help="inputs per kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--keep", type=Path, help="make the inputs in this folder and keep them")
    args = parser.parse_args(argv)
    kinds = sorted(CAMPAIGNS) if "all" in args.kinds else args.kinds
    outcomes = []
    table: dict[str, Counter] = {}
    with tempfile.TemporaryDirectory(prefix="bimcheck-fuzz-cases-") as scratch:
        tmp = args.keep or scratch
        for kind in kinds:
            started = time.monotonic()
            folder = Path(tmp) / kind
            folder.mkdir(parents=True, exist_ok=True)
            cases = CAMPAIGNS[kind](folder, args.cases, args.seed)
            counts = table.setdefault(kind, Counter())
            for o in run_cases(cases, jobs=args.jobs, timeout=args.timeout):
                counts[o.kind] += 1
                row = o.as_dict() | {"campaign": kind}
                if o.kind in GOOD:
                    row["stderr"] = row["stderr"][-300:]
                outcomes.append(row)
                if o.kind not in GOOD:
                    tail = o.stderr.strip().splitlines()[-1:] or [""]
                    print(f"{o.kind:8} {o.case.name} {' '.join(o.case.args[:1])}: "
                          f"{tail[0][:300]}", flush=True)
            counts["seconds"] = round(time.monotonic() - started)
            runs = sum(v for k, v in counts.items() if k != "seconds")
            print(f"done {kind}: {runs} runs, {counts['ok']} ok, {counts['clean']} clean, "
                  f"{runs - counts['ok'] - counts['clean']} bad, {counts['seconds']} s",
                  flush=True)
    print(f"{'kind':12} {'runs':>6} {'ok':>6} {'clean':>6} {'bad':>5}  seconds")
    bad_total = 0
    for kind, c in table.items():
        runs = sum(v for k, v in c.items() if k != "seconds")
        bad = runs - c["ok"] - c["clean"]
        bad_total += bad
        others = ", ".join(f"{k} {v}" for k, v in sorted(c.items())
                           if k not in GOOD and k != "seconds")
        print(f"{kind:12} {runs:6} {c['ok']:6} {c['clean']:6} {bad:5}  {c['seconds']}"
              + (f"  ({others})" if others else ""))
    if args.json:
        outcomes.sort(key=lambda o: (o["campaign"], o["name"], o["args"]))
        args.json.write_text(json.dumps(outcomes, indent=1, sort_keys=True))
    return 1 if bad_total else 0


if __name__ == "__main__":
    sys.exit(main())
