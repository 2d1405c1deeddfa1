"""bimcheck clash against IfcOpenShell's ifcclash 0.9.0: time, memory and the pairs found.

Run on demand (not part of the test suite; the measurements other than Janesville
and ACCA take about 10 minutes on 2 idle cores
with the default 3 repeats, 3 with ``--repeat 1``)::

    .venv/bin/python benchmarks/bench_clash.py [--only NAME ...] [--grid-elements N]
                                               [--repeat N] [--json-out FILE] [--keep DIR]

Every command runs ``--repeat`` times (default 3), ifcclash and bimcheck
alternating so that a slow spell of the machine (this 2-core VM varies by
±20 % from minute to minute) hits both; the *median* wall times are
compared, every run's time is printed, memory is the largest of the runs.
Each cold bimcheck run gets its own empty cache; each warm run re-uses the cache
of the cold run just before it, in the same alternation as ifcclash.

``--only`` (repeatable) picks measurements by name: ``b03_intersection``,
``b03_collision``, ``duplex_cross_file``, ``tekla_steel``, ``b03_clearance``
(measurement 1), ``pack_b03``, ``pack_b03_own_cells``, ``pack_tekla``,
``pack_duplex``, ``pack_fzk_haus``, ``pack_great_court``, ``pack_janesville``,
``pack_acca`` (measurements 2 and 3), ``grid`` (measurement 4),
``revision_great_court``, ``revision_tekla`` (measurement 5). ifcclash needs
about 4 minutes on Janesville and more than 12 on ACCA_RFI_Signalling (its
alignment-based placements) per run, so a run of every measurement takes the
better part of an hour. ifcclash is installed first if missing
(:func:`peer_ifcclash.ensure_ifcclash`).

How both tools are run and measured
    Each is a child process: ``python -m ifcclash clashsets.json -o
    clashes.json`` and ``python -m bimcheck.cli -q clash MODEL... -o out.json
    --timings --cache-dir DIR`` (the same interpreter, ``sys.executable``).
    Wall time runs from the spawn to the reap, so it includes interpreter
    start-up and imports for both; bimcheck's modules are byte-compiled first
    (``compileall``), as pip did for ifcclash at install. Peak memory is the command's ``ru_maxrss``
    from ``os.wait4``, as in ``peer_ifcclash.py``, with one difference: the
    command is spawned by a bare ``python -S`` launcher, not by this script.
    On Linux a child's ``ru_maxrss`` starts from the memory of the process it
    was forked from and keeps it across ``exec`` (``subprocess`` spawns with
    ``vfork``, so it even inherits that process's *peak*); spawned straight
    from this script, which holds models and meshes, every command would
    report at least this script's peak (``peer_ifcclash._run_measured`` has
    that floor: its parent has imported ifcclash, ~70 MiB). The launcher is
    ~10 MiB, so that is the floor here.

    wait4 reports the *largest single process* of the command's tree, not
    their sum: ifcclash is one process (threads), but bimcheck tessellates in
    forked worker processes (one per core). So every run is also sampled
    every 0.1 s (about 2 ms of one core per sample): the sum of RSS over the
    command's process group (an upper bound: the parsed model, shared by the
    parent and every worker after the fork, counts once per process) and the
    sum of PSS (each shared page split between its sharers, so counted once:
    the tree's real footprint). Those are printed as "tree" figures next to
    the wait4 ones. PASS/MISS on memory applies to the wait4 peaks and to the
    tree PSS sums (bimcheck's against ifcclash's), so that workers and parent
    peaking together cannot hide behind wait4's max.

The measurements and their targets (bimcheck / ifcclash)
    1. One clash set, cold cache (a fresh ``--cache-dir``), per baseline of
       :func:`peer_ifcclash.baseline_sets`: ifcclash intersection (tolerance
       0.01) against bimcheck ``--kind hard --tolerance 0.01``; ifcclash
       collision against that same bimcheck hard run (not re-run); ifcclash
       clearance 0.05 against ``--kind clearance --clearance 0.05``. Targets:
       time <= 1.0, memory <= 2.0. The pair sets are compared (both / only
       ifcclash / only bimcheck), and every pair found by one tool only is
       listed with what bimcheck's geometry queries say about it (distance,
       shared volume and its smallest width, whether the meshes are closed)
       and whether bimcheck's rule ignored it: an ad hoc rule keeps the
       default ``ignore`` rules (``filling_host``, ``same_assembly``,
       ``connected``), which ifcclash does not have.
    2. The default pack (``rules/clash/default.yaml``), cold cache, on every
       shared model (the Duplex pair federated) against ifcclash running the
       pack's hard and clearance rules as clash sets in one invocation.
       Target: time <= 0.2 on every model. Translation: hard -> ``intersection`` with the
       rule's tolerance, clearance -> ``clearance`` with its clearance,
       ``check_all: false``; each side lists every file whose selector matches
       an element with a representation (ifcclash's iterator fails on an
       empty selection, so a file matching nothing is left out of that side,
       and a set with an empty side is skipped); a self rule has no ``b``,
       which ifcclash runs as A against A without tessellating A twice.
       Not translatable: ``duplicate`` rules (ifcclash has no such mode) and
       every rule's ``ignore`` relations (``filling_host``, ``same_assembly``,
       ``connected`` by default: ifcclash reports those pairs too), so
       per-rule counts are printed but not compared.
    3. Warm re-run: the same bimcheck default-pack run again on the same cache
       directory (the same bytes: served from the result cache without
       parsing) against ifcclash's runs of 2, alternating. Target: time <= 0.2.
    4. Synthetic grid (``grid_model.build_grid_model``, default 50 000
       elements): bimcheck ad hoc ``--a "IfcDuctSegment, IfcPipeSegment" --b
       IfcBeam --kind hard`` cold and warm against ifcclash's
       ``grid_intersection``. The targets of 1 and 3 are applied (cold time
       <= 1.0, memory <= 2.0, warm time <= 0.2), and bimcheck must find
       exactly the layout's clash pairs.
    5. A design revision (``revision_model.make_revision``: 5 % of the
       elements with a body moved 0.1 m) of the great court roof or the Tekla
       model, the default pack: bimcheck on a copy of the cache of the model
       before it (meshes and pair tests of the unchanged elements reused)
       against ifcclash on the revision, alternating; the target of 2 (time
       <= 0.2). The revision's clashes must be those of a run from an empty
       cache.

The machine's load average is printed at the start and the end: other work
on the machine slows both tools, not necessarily equally.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.util.selector
from bench_util import load_average, repo_revision
from grid_model import build_grid_model
from peer_ifcclash import (
    DEFAULT_SHARED_IFC,
    PeerClash,
    PeerRun,
    baseline_sets,
    ensure_ifcclash,
    grid_sets,
    parse_ifcclash_output,
)

from bimcheck.clash.relations import Relations, ignore_reason
from bimcheck.clash.rules import load_clash_rules
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.query import distance, is_solid, overlap
from bimcheck.geometry.tessellate import tessellate
from bimcheck.model import open_model

B03 = "b03_heating_with_building_blenderBIM.ifc"
DUPLEX_ELEC = "Ifc2s3_Duplex_Electrical.ifc"
DUPLEX_ARCH = "Ifc2x3_Duplex_Architecture.ifc"
TEKLA = "ISSUE_021_Mini_Project.ifc"

#: Targets (bimcheck / ifcclash, at most).
TIME_ONE_SET = 1.0
MEMORY_ONE_SET = 2.0
TIME_PACK = 0.2
TIME_WARM = 0.2

#: How often the process tree's memory is sampled, seconds.
SAMPLE_INTERVAL = 0.1

SET_NAMES = (
    "b03_intersection",
    "b03_collision",
    "duplex_cross_file",
    "tekla_steel",
    "b03_clearance",
)
#: The default pack on every shared model (the Duplex pair federated).
PACK_MODELS: dict[str, tuple[str, ...]] = {
    "pack_b03": (B03,),
    "pack_b03_own_cells": ("2022_11_21_update_B03_Heating_ownCells.ifc",),
    "pack_tekla": (TEKLA,),
    "pack_duplex": (DUPLEX_ELEC, DUPLEX_ARCH),
    "pack_fzk_haus": ("AC20-FZK-Haus.ifc",),
    "pack_great_court": ("geometrygym_great_court_roof.ifc",),
    "pack_janesville": ("revit2012_janesville_restaurant.ifc",),
    "pack_acca": ("ACCA_RFI_Signalling.ifc",),
}
#: A design revision of a model (``revision_model.make_revision``: 5 % of its
#: elements moved 0.1 m), the default pack: bimcheck on the cache of the
#: revision before it (pair tests reused) against ifcclash on the revision.
REVISION_MODELS: dict[str, str] = {
    "revision_great_court": "geometrygym_great_court_roof.ifc",
    "revision_tekla": TEKLA,
}
ALL_NAMES = (*SET_NAMES, *PACK_MODELS, *REVISION_MODELS, "grid")

#: bimcheck's ad hoc arguments for each baseline (b03_collision reuses the hard run).
HARD_01 = ("--kind", "hard", "--tolerance", "0.01")
BIMCHECK_ADHOC: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (models, arguments); selectors come from the ifcclash set
    "b03_intersection": ((B03,), HARD_01),
    "b03_collision": ((B03,), HARD_01),
    "duplex_cross_file": ((DUPLEX_ELEC, DUPLEX_ARCH), HARD_01),
    "tekla_steel": ((TEKLA,), HARD_01),
    "b03_clearance": ((B03,), ("--kind", "clearance", "--clearance", "0.05")),
}


def _say(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- measuring


@dataclass
class Measured:
    """One child process: wall time, wait4 peak RSS and sampled process-tree memory."""

    wall_s: float
    peak_rss_bytes: int
    tree_rss_bytes: int | None
    tree_pss_bytes: int | None
    returncode: int
    #: Wall times of every repeat, seconds (``wall_s`` is their median).
    walls: tuple[float, ...] = ()

    @property
    def peak_mib(self) -> float:
        return self.peak_rss_bytes / 2**20

    @property
    def tree_mib(self) -> float:
        """Sampled peak of the RSS sum over the process group (>= wait4's when it sampled)."""
        if self.tree_rss_bytes is None:
            return self.peak_mib
        return max(self.peak_mib, self.tree_rss_bytes / 2**20)

    @property
    def tree_pss_mib(self) -> float | None:
        return None if self.tree_pss_bytes is None else self.tree_pss_bytes / 2**20

    def as_dict(self) -> dict[str, Any]:
        pss = self.tree_pss_mib
        return {
            "wall_s": round(self.wall_s, 3),
            "peak_rss_mib_wait4": round(self.peak_mib, 1),
            "tree_rss_sum_mib_sampled": round(self.tree_mib, 1),
            "tree_pss_sum_mib_sampled": None if pss is None else round(pss, 1),
            "returncode": self.returncode,
            "wall_s_runs": [round(w, 3) for w in self.walls or (self.wall_s,)],
        }

    @property
    def spread(self) -> str:
        """The repeats' wall times, when there were several."""
        if len(self.walls) < 2:
            return ""
        return " (runs " + " ".join(f"{w:.2f}" for w in self.walls) + ")"


def median_of(runs: Sequence[Measured]) -> Measured:
    """One figure for repeated runs: the median wall time, the largest memory."""
    walls = tuple(m.wall_s for m in runs)
    ordered = sorted(walls)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    def most(values: list[int | None]) -> int | None:
        known = [v for v in values if v is not None]
        return max(known) if known else None
    return Measured(
        wall_s=median,
        peak_rss_bytes=max(m.peak_rss_bytes for m in runs),
        tree_rss_bytes=most([m.tree_rss_bytes for m in runs]),
        tree_pss_bytes=most([m.tree_pss_bytes for m in runs]),
        returncode=max(m.returncode for m in runs),
        walls=walls,
    )


def _group_pids(pgid: int) -> list[int]:
    """Live processes whose process group is ``pgid`` (Linux /proc)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # After the command name (which may hold spaces): state, ppid, pgrp, ...
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def _memory_of(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) when it is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        pss = 0
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        return 0, 0
    return rss, pss


class _TreeSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process group until stopped."""

    def __init__(self, pgid: int, exclude: int | None = None) -> None:
        super().__init__(daemon=True)
        self.pgid = pgid
        self.exclude = exclude
        self.stop = threading.Event()
        self.rss = 0
        self.pss = 0
        self.enabled = os.path.exists("/proc/self/smaps_rollup")

    def run(self) -> None:
        while self.enabled and not self.stop.is_set():
            rss = pss = 0
            for pid in _group_pids(self.pgid):
                if pid == self.exclude:
                    continue
                r, p = _memory_of(pid)
                rss += r
                pss += p
            self.rss = max(self.rss, rss)
            self.pss = max(self.pss, pss)
            self.stop.wait(SAMPLE_INTERVAL)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


#: A minimal Python that spawns the measured command, reaps it with ``os.wait4``
#: and writes its wall time, peak RSS and exit code to ``argv[1]`` (JSON).
_LAUNCHER = """\
import json, os, sys, time
t0 = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(sys.argv[1], "w") as f:
    json.dump({"wall_s": wall, "maxrss": ru.ru_maxrss,
               "code": os.waitstatus_to_exitcode(status)}, f)
"""


def run_measured(cmd: Sequence[str], cwd: Path, log_path: Path, timeout: float) -> Measured:
    """Run ``cmd`` (``cmd[0]`` an absolute path) measured; see the module doc.

    Why a launcher: on Linux a child's ``ru_maxrss`` starts from the memory
    of the process it was forked from, and keeps it across ``exec`` (with
    ``vfork``, as ``subprocess`` uses, even that process's *peak*); so a
    command spawned straight from this script, which holds models and
    meshes, would report at least this script's peak. The command is
    therefore spawned by a bare ``python -S`` launcher (about 10 MiB) in its
    own session, which reaps it with ``os.wait4`` and reports its wall time
    (spawn to reap) and peak RSS. The sampler sums the rest of the session,
    i.e. the command's process tree without the launcher.
    """
    result = log_path.with_suffix(".measure.json")
    result.unlink(missing_ok=True)
    launcher = [sys.executable, "-S", "-c", _LAUNCHER, str(result), *cmd]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            launcher, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = _TreeSampler(proc.pid, exclude=proc.pid)
        sampler.start()
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            proc.wait()
        except BaseException:
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            timer.cancel()
            sampler.stop.set()
    sampler.join()
    if proc.returncode != 0 or not result.exists():
        raise RuntimeError(f"{cmd[0]} was killed or its launcher failed ({proc.returncode}); "
                           f"see {log_path}")
    measured = json.loads(result.read_text(encoding="utf-8"))
    maxrss = measured["maxrss"] * (1 if sys.platform == "darwin" else 1024)
    return Measured(
        wall_s=measured["wall_s"],
        peak_rss_bytes=maxrss,
        tree_rss_bytes=sampler.rss if sampler.enabled else None,
        tree_pss_bytes=sampler.pss if sampler.enabled else None,
        returncode=measured["code"],
    )


def _log_tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def run_peer(
    clash_sets: list[dict[str, Any]], workdir: Path, timeout: float
) -> tuple[PeerRun, Measured]:
    """ifcclash on ``clash_sets`` in ``workdir`` (as ``peer_ifcclash.run_ifcclash``), measured."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "clashsets.json").write_text(json.dumps(clash_sets, indent=2), encoding="utf-8")
    output = workdir / "clashes.json"
    output.unlink(missing_ok=True)
    log_path = workdir / "ifcclash.log"
    cmd = [sys.executable, "-m", "ifcclash", "clashsets.json", "-o", "clashes.json"]
    m = run_measured(cmd, workdir, log_path, timeout)
    if m.returncode != 0 or not output.exists():
        raise RuntimeError(
            f"ifcclash exited {m.returncode} in {workdir} after {m.wall_s:.1f} s:\n"
            + _log_tail(log_path)
        )
    pairs = parse_ifcclash_output(json.loads(output.read_text(encoding="utf-8")))
    tail = _log_tail(log_path).splitlines()
    return PeerRun(pairs, m.wall_s, m.peak_rss_bytes, 0, workdir, output, tail), m


@dataclass
class BimRun:
    """One ``bimcheck clash`` process: its JSON report and its measurement."""

    doc: dict[str, Any]
    measured: Measured
    cache_dir: Path
    models: tuple[Path, ...]

    def pairs(self, rule: str | None = None) -> dict[frozenset[str], dict[str, Any]]:
        """Unordered GlobalId pair -> clash item (of one rule, or of all)."""
        return {
            frozenset((c["a"]["global_id"], c["b"]["global_id"])): c
            for c in self.doc["clashes"]
            if rule is None or c["rule"] == rule
        }

    @property
    def timings(self) -> str:
        t = self.doc.get("timings", {})
        return ", ".join(f"{k} {v}" if isinstance(v, int) and not isinstance(v, bool)
                         else f"{k} {v:.2f} s" for k, v in t.items())


def run_bimcheck(
    models: Sequence[Path],
    args: Sequence[str],
    workdir: Path,
    cache_dir: Path,
    timeout: float,
    label: str = "bimcheck",
) -> BimRun:
    """``python -m bimcheck.cli -q clash MODELS ARGS -o out.json --timings``, measured."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"{label}.json"
    log_path = workdir / f"{label}.log"
    cmd = [
        sys.executable, "-m", "bimcheck.cli", "-q", "clash", *map(str, models), *args,
        "-o", str(out), "--overwrite", "--timings", "--cache-dir", str(cache_dir),
    ]
    m = run_measured(cmd, workdir, log_path, timeout)
    if m.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"bimcheck exited {m.returncode} in {workdir} after {m.wall_s:.1f} s:\n"
            + _log_tail(log_path)
        )
    return BimRun(json.loads(out.read_text(encoding="utf-8")), m, cache_dir, tuple(models))


# --------------------------------------------------------------------------- reporting


def _status(ratio: float, target: float | None) -> str:
    if target is None:
        return "-"
    return "PASS" if ratio <= target else "MISS"


@dataclass
class Summary:
    """Every ratio of the run, for the final table and the JSON."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, name: str, metric: str, bim: float, peer: float, target: float | None
    ) -> str:
        ratio = bim / peer if peer > 0 else float("inf")
        status = _status(ratio, target)
        self.rows.append({
            "measurement": name, "metric": metric, "bimcheck": round(bim, 3),
            "ifcclash": round(peer, 3), "ratio": round(ratio, 3), "target": target,
            "status": status,
        })
        return status

    def check(self, name: str, metric: str, ok: bool, detail: str) -> str:
        status = "PASS" if ok else "MISS"
        self.rows.append({
            "measurement": name, "metric": metric, "bimcheck": detail, "ifcclash": None,
            "ratio": None, "target": "exact", "status": status,
        })
        return status

    def print(self) -> None:
        _say(f"{'measurement':<20} {'metric':<34} {'bimcheck':>10} {'ifcclash':>10} "
             f"{'ratio':>7} {'target':>7}  status")
        for r in self.rows:
            if r["ratio"] is None:
                _say(f"{r['measurement']:<20} {r['metric']:<34} {r['bimcheck']:>29} "
                     f"{'exact':>7}  {r['status']}")
                continue
            target = "-" if r["target"] is None else f"<={r['target']:.1f}"
            _say(f"{r['measurement']:<20} {r['metric']:<34} {r['bimcheck']:>10.2f} "
                 f"{r['ifcclash']:>10.2f} {r['ratio']:>7.3f} {target:>7}  {r['status']}")

    @property
    def missed(self) -> int:
        return sum(r["status"] == "MISS" for r in self.rows)


def report_pair(
    summary: Summary,
    name: str,
    bim: Measured,
    peer: Measured,
    time_target: float | None,
    memory_target: float | None,
    bim_label: str = "bimcheck",
) -> None:
    """Print one measurement's time and memory ratios and add them to ``summary``."""
    t_status = summary.add(name, f"time s ({bim_label})", bim.wall_s, peer.wall_s, time_target)
    m_status = summary.add(
        name, f"peak MiB wait4 ({bim_label})", bim.peak_mib, peer.peak_mib, memory_target
    )
    pss_b = bim.tree_pss_mib
    pss_p = peer.tree_pss_mib
    if pss_b is not None and pss_p is not None:
        summary.add(name, f"tree MiB PSS sum ({bim_label})", pss_b, pss_p, memory_target)
    t_ratio = bim.wall_s / peer.wall_s
    m_ratio = bim.peak_mib / peer.peak_mib
    tt = "-" if time_target is None else f"<= {time_target:.1f}"
    mt = "-" if memory_target is None else f"<= {memory_target:.1f}"
    _say(f"  time  {bim_label} {bim.wall_s:7.2f} s   ifcclash {peer.wall_s:7.2f} s   "
         f"ratio {t_ratio:6.3f}  target {tt:>6}  {t_status}   (medians; bimcheck"
         f"{bim.spread or ' 1 run'}, ifcclash{peer.spread or ' 1 run'})")
    _say(f"  peak  {bim_label} {bim.peak_mib:7.1f} MiB ifcclash {peer.peak_mib:7.1f} MiB "
         f"ratio {m_ratio:6.3f}  target {mt:>6}  {m_status}   (wait4, largest process)")
    pss = "" if pss_b is None or pss_p is None else f"; PSS sum {pss_b:.1f} / {pss_p:.1f} MiB"
    _say(f"  tree  {bim_label} {bim.tree_mib:7.1f} MiB ifcclash {peer.tree_mib:7.1f} MiB "
         f"ratio {bim.tree_mib / peer.tree_mib:6.3f}   (sampled RSS sum of the process "
         f"group{pss})")


# --------------------------------------------------------------------------- pair analysis


class ElementIndex:
    """GlobalId -> (file name, class, Name) over the models involved (opened once)."""

    def __init__(self) -> None:
        self._files: dict[Path, ifcopenshell.file] = {}

    def file(self, path: Path) -> ifcopenshell.file:
        if path not in self._files:
            self._files[path] = ifcopenshell.open(str(path))
        return self._files[path]

    def describe(self, paths: Iterable[Path], gid: str) -> dict[str, Any]:
        for path in paths:
            try:
                e = self.file(path).by_guid(gid)
            except RuntimeError:
                continue
            return {"global_id": gid, "model": path.name, "ifc_class": e.is_a(),
                    "name": getattr(e, "Name", None)}
        return {"global_id": gid, "model": None, "ifc_class": None, "name": None}


#: Shared volume (m³) below which an overlap solid is taken as coincident faces.
ZERO_VOLUME = 1e-12


def geometry_verdicts(
    run: BimRun, pairs: Iterable[frozenset[str]]
) -> dict[frozenset[str], dict[str, Any]]:
    """What bimcheck sees for each pair, from the run's mesh cache and relations.

    Per pair: the ignore rule of the run's (single) rule that excludes the
    pair before any geometry test (``ignored``: ``same_assembly``,
    ``connected``, ... or None); the surfaces' distance (m) and whether they
    meet; whether each mesh is a closed solid; with both closed, the shared
    volume (m³), its smallest width (m, bimcheck's penetration depth) and its
    bounds' smallest extent (``depth``, m); and a ``category`` for grouping.
    """
    pairs = list(pairs)
    wanted = {g for p in pairs for g in p}
    if not wanted:
        return {}
    rule = run.doc["rules"][0]
    ignore = rule["params"].get("ignore") or {}
    tolerance = rule["params"].get("tolerance")
    cache = MeshCache(run.cache_dir)
    meshes = {}
    relations: dict[str, Relations] = {}
    for path in run.models:
        model = open_model(path)
        rel = Relations(model.file)
        elements = []
        for gid in sorted(wanted - meshes.keys()):
            try:
                elements.append(model.file.by_guid(gid))
            except RuntimeError:
                continue
            relations[gid] = rel
        if elements:
            meshes.update(tessellate(model, elements, cache=cache).meshes)
    out: dict[frozenset[str], dict[str, Any]] = {}
    for pair in pairs:
        ga, gb = sorted(pair)
        if ga not in meshes or gb not in meshes:
            out[pair] = {"verdict": "no mesh", "category": "no mesh", "ignored": None}
            continue
        ma, mb = meshes[ga], meshes[gb]
        d = distance(ma, mb)
        solid = (is_solid(ma), is_solid(mb))
        v: dict[str, Any] = {
            "ignored": ignore_reason(relations[ga], ga, relations[gb], gb, ignore),
            "distance": round(float(d.distance), 6),
            "meet": bool(d.intersecting),
            "solid": list(solid),
        }
        if all(solid):
            o = overlap(ma, mb)
            v.update(overlap_volume=float(f"{o.volume:.4g}"), width=round(o.width, 5),
                     depth=round(o.depth, 5))
            if o.volume >= ZERO_VOLUME:
                v["verdict"] = f"overlap {o.volume:.3g} m3, width {o.width * 1000:.1f} mm"
                if tolerance is None:
                    v["category"] = "overlap"
                else:
                    side = "<=" if o.width <= tolerance else ">"
                    v["category"] = f"overlap, width {side} tolerance"
            elif o.volume > 0:
                v["verdict"] = (f"zero-volume overlap ({o.volume:.2g} m3: coincident faces), "
                                f"width reported {o.width * 1000:.1f} mm")
                v["category"] = "zero-volume overlap (coincident faces)"
            elif d.intersecting:
                v["verdict"] = v["category"] = "touching (no shared volume)"
            else:
                v["verdict"] = f"apart, gap {d.distance * 1000:.1f} mm"
                v["category"] = "apart"
        elif d.intersecting:
            v["verdict"] = v["category"] = "surfaces meet (a mesh is open: no volume test)"
        else:
            v["verdict"] = f"apart, gap {d.distance * 1000:.1f} mm (a mesh is open)"
            v["category"] = "apart (a mesh is open)"
        if v["ignored"]:
            v["verdict"] = f"ignored by bimcheck ({v['ignored']}); {v['verdict']}"
        out[pair] = v
    return out


def _print_groups(items: list[dict[str, Any]], label: str, value_key: str) -> None:
    """One line per (class pair, finding, bimcheck's view) group of listed pairs."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for item in items:
        classes = " x ".join(sorted(f"{d['ifc_class']} {d['name']!r}" for d in (item["a"],
                                                                                item["b"])))
        g = item["geometry"]
        key = (classes, item[label], g.get("ignored") or "-", g["category"])
        groups.setdefault(key, []).append(item)
    for (classes, what, ignored, category), members in sorted(
        groups.items(), key=lambda kv: (-len(kv[1]), kv[0])
    ):
        values = [m[value_key] for m in members if m[value_key] is not None]
        span = f" {min(values):.4f}-{max(values):.4f} m" if values else ""
        widths = [m["geometry"]["width"] for m in members if "width" in m["geometry"]]
        wspan = f", width {min(widths) * 1000:.1f}-{max(widths) * 1000:.1f} mm" if widths else ""
        _say(f"    {len(members):4d}  {classes}: {what}{span}; ignored {ignored}; "
             f"geometry {category}{wspan}")


def compare_pairs(
    name: str, run: BimRun, peer: list[PeerClash], index: ElementIndex
) -> dict[str, Any]:
    """Both / only-ifcclash / only-bimcheck pairs, printed and returned (JSON-ready)."""
    bim = run.pairs()
    peer_by = {c.ids: c for c in peer}
    both = bim.keys() & peer_by.keys()
    only_peer = sorted(peer_by.keys() - bim.keys(), key=sorted)
    only_bim = sorted(bim.keys() - peer_by.keys(), key=sorted)
    _say(f"  pairs: both {len(both)}, only ifcclash {len(only_peer)}, "
         f"only bimcheck {len(only_bim)}  (bimcheck {len(bim)}, ifcclash {len(peer_by)})")
    verdicts = geometry_verdicts(run, [*only_peer, *only_bim])
    listed_peer = []
    for pair in only_peer:
        c = peer_by[pair]
        ga, gb = sorted(pair)
        item = {
            "a": index.describe(run.models, ga), "b": index.describe(run.models, gb),
            "ifcclash_type": c.type, "ifcclash_distance": round(c.distance, 6),
            "ifcclash_p1": [round(x, 4) for x in c.p1], "ifcclash_p2": [round(x, 4) for x in c.p2],
            "geometry": verdicts[pair],
        }
        listed_peer.append(item)
    listed_bim = []
    for pair in only_bim:
        c = bim[pair]
        item = {
            "a": index.describe(run.models, c["a"]["global_id"]),
            "b": index.describe(run.models, c["b"]["global_id"]),
            "relation": c["relation"], "exact": c["exact"],
            "overlap_volume": c["overlap_volume"], "penetration_depth": c["penetration_depth"],
            "distance": c["distance"], "geometry": verdicts[pair],
        }
        listed_bim.append(item)
    if listed_peer:
        _say("  only ifcclash, grouped (count, classes: ifcclash type and distance; bimcheck):")
        _print_groups(listed_peer, "ifcclash_type", "ifcclash_distance")
        _say("  only ifcclash, every pair:")
        for item in listed_peer:
            _say(f"    {_ref(item['a'])}  x  {_ref(item['b'])}")
            _say(f"      ifcclash {item['ifcclash_type']} {item['ifcclash_distance']:.4f} m; "
                 f"bimcheck: {item['geometry']['verdict']}")
    if listed_bim:
        _say("  only bimcheck, grouped (count, classes: relation and depth; bimcheck geometry):")
        _print_groups(listed_bim, "relation", "penetration_depth")
        _say("  only bimcheck, every pair:")
        for item in listed_bim:
            vol, depth = item["overlap_volume"], item["penetration_depth"]
            vol_s = "-" if vol is None else f"{vol:.3g} m3"
            depth_s = "-" if depth is None else f"{depth:.4f} m"
            _say(f"    {_ref(item['a'])}  x  {_ref(item['b'])}")
            _say(f"      bimcheck {item['relation']} exact={item['exact']} volume {vol_s} "
                 f"depth {depth_s} distance {item['distance']:.4f} m; "
                 f"geometry: {item['geometry']['verdict']}")
    return {
        "both": len(both), "only_ifcclash": listed_peer, "only_bimcheck": listed_bim,
        "bimcheck_count": len(bim), "ifcclash_count": len(peer_by),
    }


def _ref(d: dict[str, Any]) -> str:
    return f"{d['ifc_class']} {d['name']!r} {d['global_id']}"


# --------------------------------------------------------------------------- clash sets


def _selection_size(index: ElementIndex, path: Path, selector: str) -> int:
    """Elements with a representation that ``selector`` picks in ``path`` (ifcclash's view)."""
    found = ifcopenshell.util.selector.filter_elements(index.file(path), selector)
    return sum(1 for e in found if getattr(e, "Representation", None) is not None)


def pack_clash_sets(
    paths: Sequence[Path], index: ElementIndex
) -> tuple[list[dict[str, Any]], list[str]]:
    """The default pack's hard and clearance rules as ifcclash clash sets on ``paths``.

    Returns the sets and notes on what was left out (see the module doc).
    """
    sets: list[dict[str, Any]] = []
    notes: list[str] = []
    for rule in load_clash_rules():
        if rule.kind not in ("hard", "clearance"):
            notes.append(f"{rule.id} ({rule.kind}) left out: ifcclash has no {rule.kind} mode")
            continue
        sides = {}
        for side, selector in (("a", rule.a), ("b", rule.b)):
            if selector is None:
                continue
            sides[side] = [
                {"file": str(p), "mode": "i", "selector": selector}
                for p in paths
                if _selection_size(index, p, selector) > 0
            ]
        empty = [s for s, sources in sides.items() if not sources]
        if empty:
            notes.append(f"{rule.id} skipped: selector {'/'.join(empty)} matches nothing")
            continue
        if rule.kind == "hard":
            params = {"mode": "intersection", "tolerance": float(rule.params["tolerance"]),
                      "check_all": False}
        else:
            params = {"mode": "clearance", "clearance": float(rule.params["clearance"]),
                      "check_all": False}
        ignored = sorted(k for k, v in (rule.params.get("ignore") or {}).items() if v)
        if ignored:
            notes.append(f"{rule.id}: ifcclash cannot ignore pairs by {', '.join(ignored)}")
        sets.append({"name": rule.id, **params, **sides})
    return sets, notes


# --------------------------------------------------------------------------- measurements


@dataclass
class Context:
    shared: Path
    root: Path
    timeout: float
    summary: Summary
    index: ElementIndex
    results: dict[str, Any]
    repeat: int = 1
    bim_runs: dict[tuple[str, ...], BimRun] = field(default_factory=dict)

    def alternate(
        self, peer: Callable[[int], tuple[Any, Measured]], bim: Callable[[int], Any]
    ) -> tuple[Any, Measured, list[Any]]:
        """Run ifcclash and bimcheck ``repeat`` times, alternating, so that a slow
        spell of the machine hits both. Returns the first peer run, the peers'
        median measurement and every bimcheck run."""
        peers, bims = [], []
        for i in range(self.repeat):
            peers.append(peer(i))
            bims.append(bim(i))
        return peers[0][0], median_of([m for _, m in peers]), bims

    def model(self, name: str) -> Path:
        return self.shared / name


def measure_one_set(ctx: Context, name: str) -> None:
    """Measurement 1 for one baseline."""
    clash_set = baseline_sets(ctx.shared)[name]
    spec = clash_set[0]
    models, args = BIMCHECK_ADHOC[name]
    sel_a = spec["a"][0]["selector"]
    sel_b = spec["b"][0]["selector"]
    params = ", ".join(
        f"{k} {spec[k]}" for k in ("tolerance", "clearance", "allow_touching") if k in spec
    )
    _say(f"\n[1] {name}: ifcclash {spec['mode']} ({params}) vs bimcheck {' '.join(args)}")
    work = ctx.root / name
    key = (*models, sel_a, sel_b, *args)
    bim = ctx.bim_runs.get(key)
    note = None
    if bim is None:
        peer_run, peer_m, runs = ctx.alternate(
            lambda i: run_peer(clash_set, work / f"ifcclash{i}", ctx.timeout),
            lambda i: run_bimcheck(
                [ctx.model(m) for m in models], ["--a", sel_a, "--b", sel_b, *args],
                work, work / f"cache{i}", ctx.timeout,
            ),
        )
        bim = runs[0]
        bim.measured = median_of([r.measured for r in runs])
        ctx.bim_runs[key] = bim
    else:
        peer_run, peer_m, _ = ctx.alternate(
            lambda i: run_peer(clash_set, work / f"ifcclash{i}", ctx.timeout), lambda i: None
        )
        note = "bimcheck: the same hard run as b03_intersection (not re-run)"
        _say(f"  ({note})")
    cov = bim.doc["coverage"]["rules"][0]
    _say(f"  bimcheck --timings: {bim.timings}; candidates {cov['candidates']}, tested "
         f"{cov['tested']}, ignored {cov['ignored'] or 0}")
    report_pair(ctx.summary, name, bim.measured, peer_m, TIME_ONE_SET, MEMORY_ONE_SET)
    peer_clashes = [c for cs in peer_run.pairs.values() for c in cs]
    _say(f"  ifcclash types: {dict(Counter(c.type for c in peer_clashes))}; bimcheck relations: "
         f"{dict(Counter(c['relation'] for c in bim.doc['clashes']))}, "
         f"exact {sum(c['exact'] for c in bim.doc['clashes'])}/{len(bim.doc['clashes'])}")
    pairs = compare_pairs(name, bim, peer_clashes, ctx.index)
    ctx.results[name] = {
        "ifcclash_set": spec, "bimcheck_args": [*models, "--a", sel_a, "--b", sel_b, *args],
        "note": note, "bimcheck": bim.measured.as_dict(), "ifcclash": peer_m.as_dict(),
        "bimcheck_timings": bim.doc.get("timings"), "pairs": pairs,
    }


def measure_pack(ctx: Context, name: str) -> None:
    """Measurements 2 (cold) and 3 (warm) on one model or federation."""
    paths = [ctx.model(m) for m in PACK_MODELS[name]]
    sets, notes = pack_clash_sets(paths, ctx.index)
    _say(f"\n[2] {name}: default pack on {' + '.join(p.name for p in paths)}, cold cache")
    for n in notes:
        _say(f"  note: {n}")
    for s in sets:
        extra = ", ".join(f"{k} {s[k]}" for k in ("tolerance", "clearance") if k in s)
        b = "= a" if "b" not in s else "; ".join(Path(x["file"]).name for x in s["b"])
        _say(f"  ifcclash set {s['name']}: {s['mode']} {extra}; a: "
             f"{'; '.join(Path(x['file']).name for x in s['a'])}; b: {b}")
    work = ctx.root / name
    # Each repeat runs ifcclash, bimcheck cold (its own empty cache) and
    # bimcheck warm (that cache again) in turn, so that cold, warm and the
    # peer are measured in the same spell of the machine.
    peer_run, peer_m, runs = ctx.alternate(
        lambda i: run_peer(sets, work / f"ifcclash{i}", ctx.timeout),
        lambda i: (run_bimcheck(paths, [], work, work / f"cache{i}", ctx.timeout,
                                label=f"cold{i}"),
                   run_bimcheck(paths, [], work, work / f"cache{i}", ctx.timeout,
                                label=f"warm{i}")),
    )
    colds, warms = [c for c, _ in runs], [w for _, w in runs]
    cold = colds[0]
    cold.measured = median_of([r.measured for r in colds])
    _say(f"  bimcheck --timings: {cold.timings}")
    report_pair(ctx.summary, name, cold.measured, peer_m, TIME_PACK, None, "bimcheck cold")
    by_rule = cold.doc["summary"]["by_rule"]
    peer_counts = {k: len(v) for k, v in peer_run.pairs.items()}
    rule_ids = sorted({r["id"] for r in cold.doc["rules"]})
    _say("  clashes per rule (bimcheck / ifcclash): " + ", ".join(
        f"{r} {by_rule.get(r, 0)}/{peer_counts.get(r, '-')}" for r in rule_ids))

    _say(f"\n[3] {name}: the same bimcheck run again, warm cache, vs ifcclash's time from [2] "
         "(alternating with it)")
    warm = warms[0]
    warm.measured = median_of([r.measured for r in warms])
    _say(f"  bimcheck --timings: {warm.timings}")
    report_pair(ctx.summary, f"{name}_warm", warm.measured, peer_m, TIME_WARM, None,
                "bimcheck warm")
    same = warm.doc["clashes"] == cold.doc["clashes"]
    _say(f"  warm clashes identical to cold: {same}")
    ctx.results[name] = {
        "models": [p.name for p in paths], "ifcclash_sets": sets, "notes": notes,
        "ifcclash": peer_m.as_dict(), "bimcheck_cold": cold.measured.as_dict(),
        "bimcheck_warm": warm.measured.as_dict(),
        "bimcheck_timings": {"cold": cold.doc.get("timings"), "warm": warm.doc.get("timings")},
        "clashes_per_rule": {"bimcheck": by_rule, "ifcclash": peer_counts},
        "warm_identical": same,
    }


def measure_revision(ctx: Context, name: str) -> None:
    """Measurement 5: the default pack on a revision in which 5 % of the
    elements moved, bimcheck on the revision before it's cache (each run on
    a fresh copy of it), against ifcclash on the revision; the revision's
    clashes are compared with a run from an empty cache."""
    import shutil

    from revision_model import make_revision

    work = ctx.root / name
    work.mkdir(parents=True, exist_ok=True)
    base, revision = work / "base.ifc", work / "revision.ifc"
    moved = make_revision(ctx.model(REVISION_MODELS[name]), base, revision, 0.05)
    sets, _ = pack_clash_sets([revision], ctx.index)
    _say(f"\n[5] {name}: default pack on a revision of {REVISION_MODELS[name]} with "
         f"{len(moved)} element(s) moved 0.1 m, on the cache of the model before it")
    run_bimcheck([base], [], work, work / "base-cache", ctx.timeout, label="base")

    def on_base_cache(i: int) -> BimRun:
        cache = work / f"cache{i}"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(work / "base-cache", cache)
        return run_bimcheck([revision], [], work, cache, ctx.timeout, label=f"revision{i}")

    _, peer_m, runs = ctx.alternate(
        lambda i: run_peer(sets, work / f"ifcclash{i}", ctx.timeout), on_base_cache)
    run = runs[0]
    run.measured = median_of([r.measured for r in runs])
    _say(f"  bimcheck --timings: {run.timings}")
    report_pair(ctx.summary, name, run.measured, peer_m, TIME_PACK, None, "bimcheck revision")
    fresh = run_bimcheck([revision], [], work, work / "empty-cache", ctx.timeout, label="fresh")
    same = fresh.doc["clashes"] == run.doc["clashes"]
    _say(f"  revision clashes identical to a run from an empty cache: {same}")
    ctx.summary.check(name, "clashes == empty-cache run", same,
                      f"{len(run.doc['clashes'])} clashes")
    ctx.results[name] = {
        "model": REVISION_MODELS[name], "moved": len(moved), "ifcclash": peer_m.as_dict(),
        "bimcheck_revision": run.measured.as_dict(), "bimcheck_timings": run.doc.get("timings"),
        "identical_to_empty_cache": same,
    }


def measure_grid(ctx: Context, n_elements: int) -> None:
    """Measurement 4: the synthetic grid, cold and warm, against the layout's truth."""
    work = ctx.root / "grid"
    work.mkdir(parents=True, exist_ok=True)
    grid = work / "grid.ifc"
    t0 = time.perf_counter()
    truth = build_grid_model(grid, n_elements, with_pairs=True)
    _say(f"\n[4] grid: {n_elements} elements written in {time.perf_counter() - t0:.1f} s "
         f"({grid.stat().st_size / 1e6:.1f} MB), counts {truth['counts']}, "
         f"expected hard clashes {truth['expected_hard_clashes']}")
    expected = {frozenset(p) for p in truth["clash_pairs"]}
    sets = grid_sets(grid)["grid_intersection"]
    args = ["--a", "IfcDuctSegment, IfcPipeSegment", "--b", "IfcBeam", "--kind", "hard"]
    peer_run, peer_m, runs = ctx.alternate(  # ifcclash, cold, warm in turn
        lambda i: run_peer(sets, work / f"ifcclash{i}", ctx.timeout),
        lambda i: (run_bimcheck([grid], args, work, work / f"cache{i}", ctx.timeout,
                                label=f"cold{i}"),
                   run_bimcheck([grid], args, work, work / f"cache{i}", ctx.timeout,
                                label=f"warm{i}")),
    )
    colds, warms = [c for c, _ in runs], [w for _, w in runs]
    cold = colds[0]
    cold.measured = median_of([r.measured for r in colds])
    warm = warms[0]
    warm.measured = median_of([r.measured for r in warms])
    _say(f"  bimcheck --timings cold: {cold.timings}; warm: {warm.timings}")
    report_pair(ctx.summary, "grid", cold.measured, peer_m, TIME_ONE_SET, MEMORY_ONE_SET,
                "bimcheck cold")
    report_pair(ctx.summary, "grid_warm", warm.measured, peer_m, TIME_WARM, None,
                "bimcheck warm")
    checks = {}
    for label, found in (("bimcheck cold", set(cold.pairs())), ("bimcheck warm",
                         set(warm.pairs())), ("ifcclash", peer_run.pair_sets()[sets[0]["name"]])):
        missing, extra = len(expected - found), len(found - expected)
        checks[label] = {"found": len(found), "missing": missing, "extra": extra}
        _say(f"  {label}: {len(found)} pairs, {missing} of the truth missing, {extra} extra")
    for label in ("bimcheck cold", "bimcheck warm"):
        c = checks[label]
        ok = c["missing"] == 0 and c["extra"] == 0
        ctx.summary.check(f"grid ({label.split()[1]})", "pairs == truth", ok,
                          f"{c['found']}/{len(expected)}, -{c['missing']} +{c['extra']}")
    ctx.results["grid"] = {
        "n_elements": n_elements, "truth": {k: v for k, v in truth.items() if k != "clash_pairs"},
        "ifcclash": peer_m.as_dict(), "bimcheck_cold": cold.measured.as_dict(),
        "bimcheck_warm": warm.measured.as_dict(),
        "bimcheck_timings": {"cold": cold.doc.get("timings"), "warm": warm.doc.get("timings")},
        "pairs_vs_truth": checks,
    }


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", action="append", choices=ALL_NAMES, metavar="NAME",
                        help=f"run only this measurement (repeatable): {', '.join(ALL_NAMES)}")
    parser.add_argument("--grid-elements", type=int, default=50_000,
                        help="elements of the synthetic grid model (default 50000)")
    parser.add_argument("--json-out", type=Path, help="write every number and pair list here")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED_IFC,
                        help="folder with the shared IFC models (default ../shared/ifc)")
    parser.add_argument("--keep", type=Path, help="keep the work folders (caches, outputs) here")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per child, seconds")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each command (alternating the tools); medians are "
                             "compared (default 3)")
    args = parser.parse_args(argv)
    names = list(dict.fromkeys(args.only or ALL_NAMES))

    version = ensure_ifcclash()
    # ifcclash was byte-compiled by pip at install; give bimcheck (an editable
    # install, and PYTHONDONTWRITEBYTECODE may be set) the same footing.
    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "bimcheck"), quiet=1)
    shared = args.shared.resolve()
    revision = repo_revision(("bimcheck",))
    _say(f"bimcheck {revision} vs ifcclash {version}; python {sys.version.split()[0]}; "
         f"{os.cpu_count()} cores; {load_average()} at start")
    _say("Both tools run as child processes of this script; other work on the machine "
         "(if any) slows both.")
    started = time.perf_counter()
    summary = Summary()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_clash_") as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        ctx = Context(shared, root, args.timeout, summary, ElementIndex(), results,
                      repeat=max(1, args.repeat))
        for name in names:
            if name in SET_NAMES:
                measure_one_set(ctx, name)
            elif name in PACK_MODELS:
                measure_pack(ctx, name)
            elif name in REVISION_MODELS:
                measure_revision(ctx, name)
            else:
                measure_grid(ctx, args.grid_elements)
    _say(f"\nSummary ({time.perf_counter() - started:.0f} s in all; {load_average()} at the end; "
         "memory PASS/MISS on wait4 peaks and sampled tree PSS sums)")
    summary.print()
    _say(f"{summary.missed} target(s) missed")
    if args.json_out:
        doc = {
            "bimcheck_revision": revision, "ifcclash": version,
            "python": sys.version.split()[0], "cpus": os.cpu_count(),
            "sample_interval_s": SAMPLE_INTERVAL, "summary": summary.rows,
            "measurements": results,
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
        _say(f"details written to {args.json_out}")
    return 1 if summary.missed else 0


if __name__ == "__main__":
    sys.exit(main())
