"""The bounded fuzz run of every input kind (docs/reliability.md): a fixed
seed and a fixed number of generated inputs per kind, 2,010 in all, each
run through a bimcheck command in its own time- and memory-limited process.
Every case must end with a result or one clean error line (exit 2): no exit
3, no traceback, no crash, no hang, no process left behind.

The on-demand run is the same campaign with more cases and other seeds:
``python -m bimcheck.testing.fuzz all --cases 10000 --seed 1``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Inputs per kind in the bounded run (about 3 minutes on 2 cores in all).
CASES = {
    "ifc": 500, "ifczip": 150, "clash-pack": 160, "qto-pack": 160, "lift-plan": 160,
    "rate-table": 160, "bill-pack": 160, "gate": 160, "waivers": 160, "manifest": 80,
    "ids": 160,
}


def test_the_bounded_run_has_at_least_two_thousand_inputs():
    assert sum(CASES.values()) >= 2000


@pytest.mark.parametrize("kind", sorted(CASES))
def test_no_input_of_a_kind_ends_in_an_internal_error_a_crash_or_a_hang(tmp_path, kind):
    out = tmp_path / "outcomes.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bimcheck.testing.fuzz", kind, "--cases", str(CASES[kind]),
         "--seed", "0", "--jobs", "2", "--timeout", "60", "--json", str(out)],
        capture_output=True, text=True, timeout=900)
    outcomes = json.loads(out.read_text())
    assert len(outcomes) == CASES[kind]
    bad = [o for o in outcomes if o["kind"] not in ("ok", "clean")]
    assert not bad, "\n".join(f"{o['kind']} {o['name']} {' '.join(o['args'])}\n{o['stderr']}"
                              for o in bad[:5])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Both outcomes occur: the campaign makes inputs that run, and inputs that are refused.
    kinds = {o["kind"] for o in outcomes}
    assert "clean" in kinds
