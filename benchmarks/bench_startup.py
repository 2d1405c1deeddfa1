"""How fast the command line starts, against the floor of a bare interpreter.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_startup.py [--repeat N]

Alternating runs of ``bimcheck --help``, ``bimcheck crane --help`` (which
imports the crane command's module) and ``python -c pass`` (the floor: the
interpreter alone), each a fresh process; medians. Target (issue 17):
``bimcheck --help`` in at most 0.3 s. The exit status is 1 when it is
missed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_util import load_average, repo_revision

VENV_BIN = Path(sys.executable).parent
RUNS = {
    "bimcheck --help": [str(VENV_BIN / "bimcheck"), "--help"],
    "bimcheck crane --help": [str(VENV_BIN / "bimcheck"), "crane", "--help"],
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
}
TARGET_S = 0.3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    print(f"bimcheck {repo_revision()}; {load_average()} at start")
    times: dict[str, list[float]] = {k: [] for k in RUNS}
    for _ in range(args.repeat):
        for name, cmd in RUNS.items():  # alternating
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t)
    floor = statistics.median(times["python -c pass (floor)"])
    for name, xs in times.items():
        m = statistics.median(xs)
        print(f"{name:24s} median {m:.3f} s ({m / floor:.1f}x the floor)")
    median = statistics.median(times["bimcheck --help"])
    ok = median <= TARGET_S
    print(f"bimcheck --help {median:.3f} s, target <= {TARGET_S} s: {'PASS' if ok else 'MISS'}")
    print(f"{load_average()} at the end")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
