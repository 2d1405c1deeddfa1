"""Runs ``bimcheck diff`` and ifcdiff on the pairs of ``diff_pairs.py``, scores
both against each pair's expected changes and renders the results table of
docs/diff-vs-ifcdiff.md. Entry point: ``benchmarks/diff_pairs.py`` (see its
docstring for the options).

Scoring, per tool, within the elements the tool compares (bimcheck: every
IfcElement, openings included; ifcdiff: IfcElement minus IfcFeatureElement,
plus spatial elements): *found* = expected changed elements it reports
changed, *missed* = expected ones it does not, *false* = elements it reports
changed (or added/removed) that did not change. For bimcheck the change
kinds and statuses are checked too (a placement-only change must be
``moved``), and the expected causes (storey, type, profile).
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ifcopenshell

from bimcheck.fingerprint import Fingerprinter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import load_average, repo_revision, run_measured
from diff_pairs import KINDS, SOURCES, Pair, build_pairs
from ifcdiff_peer import ALL_CHECKS, DEFAULT_CHECKS, PeerDiff, ensure_ifcdiff, run_ifcdiff

BIMCHECK = Path(sys.executable).parent / "bimcheck"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


@dataclass
class BimDiff:
    seconds: float
    #: GlobalId (new; old for removed) → [status, sorted change kinds, old GlobalId]
    entries: dict[str, list] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    matched_by: dict[str, int] = field(default_factory=dict)
    causes: list[list] = field(default_factory=list)   # [kind, number of elements]
    geometry_set_unchanged: bool | None = None


def run_bimcheck(old: Path, new: Path, work: Path, timeout: float | None = None) -> BimDiff:
    """``bimcheck diff OLD NEW -o diff.json`` in a child process, cold (an
    empty mesh cache of its own); its result."""
    out, cache = work / "bimcheck-diff.json", work / "cache"
    out.unlink(missing_ok=True)
    cmd = [str(BIMCHECK), "diff", str(old), str(new), "-o", str(out), "--cache-dir", str(cache)]
    code, wall, _ = run_measured(cmd, cwd=work, log_path=work / "bimcheck.log", timeout=timeout)
    if code != 0:
        raise RuntimeError(f"bimcheck diff failed ({code}): "
                           + (work / "bimcheck.log").read_text()[-2000:])
    subprocess.run(["rm", "-rf", str(cache)], check=False)
    return parse_bimcheck(json.loads(out.read_text()), wall)


def parse_bimcheck(doc: dict, seconds: float) -> BimDiff:
    res = BimDiff(seconds=round(seconds, 3), statuses=doc["summary"]["statuses"],
                  matched_by=doc["summary"]["matched_by"],
                  geometry_set_unchanged=doc["summary"].get("geometry_set_unchanged"))
    for e in doc["elements"]:
        if e["status"] == "unchanged" and not e.get("old_global_id"):
            continue
        res.entries[e["global_id"]] = [e["status"], sorted({c["kind"] for c in e["changes"]}),
                                       e.get("old_global_id")]
    res.causes = [[c["kind"], len(c["elements"])] for c in doc["causes"]]
    return res


def scopes(path: Path) -> tuple[dict[str, str], set[str]]:
    """(GlobalId → class of every IfcElement, the GlobalIds ifcdiff compares)."""
    f = ifcopenshell.open(str(path))
    elements = {e.GlobalId: e.is_a() for e in f.by_type("IfcElement")}
    spatial = "IfcSpatialStructureElement" if f.schema == "IFC2X3" else "IfcSpatialElement"
    peer = {g for g, c in elements.items() if not f.by_guid(g).is_a("IfcFeatureElement")}
    peer |= {e.GlobalId for e in f.by_type(spatial)}
    return elements, peer


def has_body_subcontext(path: Path) -> bool:
    """Whether the file has the Model/Body/MODEL_VIEW subcontext ifcdiff's
    geometry check looks for (read from the STEP text, no parse)."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"#") and b"IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body'" in line \
                    and b".MODEL_VIEW." in line:
                return True
    return False


def twins(path: Path) -> dict[str, str]:
    """GlobalId → (geometry, data) fingerprint of every element of ``path``
    that has an indistinguishable twin (same class, shape, world placement,
    attributes and properties: a co-located duplicate), for scoring a match
    across re-issued GlobalIds: matched to either twin is right."""
    f = ifcopenshell.open(str(path))
    fp = Fingerprinter(f)
    keys = {e.GlobalId: e.is_a() + fp.geometry(e) + fp.data(e) for e in f.by_type("IfcElement")}
    count = Counter(keys.values())
    return {g: k for g, k in keys.items() if count[k] > 1}


def score_bimcheck(pair: Pair, bim: BimDiff, new_elements: dict[str, str],
                   twin_keys: dict[str, str] | None = None) -> dict:
    expected = {g: k for g, k in pair.changes.items() if g in new_elements}
    changed = {g: v for g, v in bim.entries.items() if v[0] in ("modified", "moved")}
    added = {g for g, v in bim.entries.items() if v[0] == "added"}
    removed = {g for g, v in bim.entries.items() if v[0] == "removed"}
    wrong = []
    for g in sorted(set(expected) & set(changed)):
        status, kinds, _ = changed[g]
        want = "moved" if expected[g] == ["placement"] else "modified"
        if kinds != expected[g] or status != want:
            wrong.append(f"{g}: {status} {kinds}, expected {want} {expected[g]}")
    back = twin = 0
    inverse = {new: old for old, new in pair.renamed.items()}
    tk = twin_keys or {}
    for g, v in bim.entries.items():
        if not v[2] or g not in inverse:
            continue
        if pair.renamed.get(v[2]) == g:
            back += 1
        elif v[2] in tk and tk.get(v[2]) == tk.get(inverse[g]):
            twin += 1
    cause_kinds = {c[0] for c in bim.causes}
    missing_causes = [c for c in pair.causes if c not in cause_kinds]
    s = {
        "found": len(set(expected) & set(changed)), "expected": len(expected),
        "missed": len(set(expected) - set(changed)), "false": len(set(changed) - set(expected)),
        "false_added": len(added - set(pair.added)),
        "false_removed": len(removed - set(pair.removed)),
        "missed_added": len(set(pair.added) - added),
        "missed_removed": len(set(pair.removed) - removed),
        "wrong_kind": wrong, "matched_back": back + twin, "matched_twin": twin, "renamed": len(
            [g for g in pair.renamed.values() if g in new_elements]),
        "missing_causes": missing_causes,
    }
    s["exact"] = not (s["missed"] or s["false"] or s["false_added"] or s["false_removed"]
                      or s["missed_added"] or s["missed_removed"] or wrong or missing_causes
                      or s["matched_back"] != s["renamed"])
    return s


def score_ifcdiff(pair: Pair, peer: PeerDiff, compared_new: set[str], new_elements) -> dict:
    if peer.timed_out:
        return {"timed_out": True}
    expected = {g for g in pair.changes if g in compared_new}
    not_compared = sorted(g for g in pair.changes if g in new_elements and g not in compared_new)
    flagged = set(peer.changed)
    renamed_new = set(pair.renamed.values())
    return {
        "found": len(expected & flagged), "expected": len(expected),
        "missed": len(expected - flagged), "false": len(flagged - expected),
        "false_added": len(set(peer.added) - set(pair.added)),
        "false_deleted": len(set(peer.deleted) - set(pair.removed)),
        "added_renamed": len(set(peer.added) & renamed_new),
        "not_compared": len(not_compared),
        "flags": peer.flag_counts(),
    }


def run_all(pairs: list[Pair], timeout: float, log=print) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="diff-pairs-run-") as tmp:
        for pair in pairs:
            work = Path(tmp) / pair.name
            work.mkdir()
            new_elements, compared_new = scopes(pair.new)
            bim = run_bimcheck(pair.old, pair.new, work)
            twin_keys = twins(pair.old) if pair.renamed else {}
            peers = [run_ifcdiff(pair.old, pair.new, checks, timeout=timeout, workdir=work)
                     for checks in (DEFAULT_CHECKS, ALL_CHECKS)]
            if not has_body_subcontext(pair.old):  # ifcdiff's geometry check sees nothing
                peers.append(run_ifcdiff(pair.old, pair.new, DEFAULT_CHECKS, timeout=timeout,
                                         workdir=work, force_body=True))
            row = {
                "pair": pair.as_dict(), "bimcheck": vars(bim),
                "bimcheck_score": score_bimcheck(pair, bim, new_elements, twin_keys),
                "ifcdiff": [p.as_dict() for p in peers],
                "ifcdiff_score": [score_ifcdiff(pair, p, compared_new, new_elements)
                                  for p in peers],
            }
            rows.append(row)
            log(f"{pair.name}: bimcheck {bim.seconds:.1f} s "
                f"{'exact' if row['bimcheck_score']['exact'] else 'NOT EXACT'}; ifcdiff "
                f"{peers[0].seconds:.1f} s {peers[0].flag_counts()} "
                f"+{len(peers[0].added)}/-{len(peers[0].deleted)}")
    return rows


# -- rendering -------------------------------------------------------------------------


def _bim_cell(row: dict) -> str:
    b, s = row["bimcheck"], row["bimcheck_score"]
    st = {k: v for k, v in b["statuses"].items() if k != "unchanged" and v}
    parts = [", ".join(f"{v} {k}" for k, v in sorted(st.items())) or "no change"]
    kinds: dict[str, int] = {}
    for status, ks, _ in b["entries"].values():
        if status in ("modified", "moved"):
            for k in ks:
                kinds[k] = kinds.get(k, 0) + 1
    if kinds:
        parts.append("(" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")")
    if s["renamed"]:
        by = {k: v for k, v in b["matched_by"].items() if k != "global_id" and v}
        parts.append(f"{s['matched_back']}/{s['renamed']} matched back ("
                     + ", ".join(f"{k} {v}" for k, v in sorted(by.items())) + ")"
                     + (f", {s['matched_twin']} of them to an identical co-located twin"
                        if s.get("matched_twin") else ""))
    if b["causes"]:
        parts.append("causes: " + ", ".join(f"{k} ({n} el.)" for k, n in b["causes"]))
    if b.get("geometry_set_unchanged") and row["pair"]["kind"] == "swap":
        parts.append("geometry set unchanged")
    verdict = "**exact**" if s["exact"] else "**not exact**: " + _faults(s)
    return f"{verdict}; " + " ".join(parts)


def _faults(s: dict) -> str:
    out = [f"{s[k]} {k.replace('_', ' ')}" for k in
           ("missed", "false", "false_added", "false_removed", "missed_added", "missed_removed")
           if s.get(k)]
    if s["wrong_kind"]:
        out.append(f"{len(s['wrong_kind'])} wrong kind/status")
    if s["missing_causes"]:
        out.append("no " + "/".join(s["missing_causes"]) + " cause")
    if s["matched_back"] != s["renamed"]:
        out.append(f"{s['renamed'] - s['matched_back']} not matched back")
    return ", ".join(out)


def _peer_cell(peer: dict, s: dict) -> str:
    if s.get("timed_out"):
        return f"timed out after {peer['seconds']:.0f} s"
    parts = []
    if peer["added"] or peer["deleted"]:
        parts.append(f"{len(peer['deleted'])} deleted + {len(peer['added'])} added")
    flags = ", ".join(f"{v} {k}" for k, v in s["flags"].items())
    parts.append(flags or ("no other change" if parts else "no change"))
    score = f"found {s['found']}/{s['expected']}"
    if s["false"] or s["false_added"] or s["false_deleted"]:
        score += f", {s['false'] + s['false_added'] + s['false_deleted']} false"
    if s["not_compared"]:
        score += f", {s['not_compared']} not compared (openings)"
    return "; ".join(parts) + f" — {score}"


def render(rows: list[dict], skipped: list, meta: dict) -> str:
    lines = [
        BEGIN,
        f"Measured {meta['date']}: bimcheck {meta['bimcheck']} (commit {meta['commit']}), "
        f"ifcdiff {meta['ifcdiff']}, IfcOpenShell {meta['ifcopenshell']}, Python {meta['python']}; "
        f"{meta['cpus']} cores, {meta['load']} at the start. Regenerate with "
        "`.venv/bin/python benchmarks/diff_pairs.py --write docs/diff-vs-ifcdiff.md`.",
        "",
        "*found x/y*: of the y changed elements the tool compares, it reported x as changed; "
        "*false*: elements reported changed, added or deleted that did not change.",
        "",
        "| model | change | made | bimcheck diff | ifcdiff (attributes, geometry) "
        "| ifcdiff (+ property, container, type) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        p = row["pair"]
        lines.append(
            f"| {p['source']} | {p['label']} | {p['note']} | {_bim_cell(row)} | "
            f"{_peer_cell(row['ifcdiff'][0], row['ifcdiff_score'][0])} | "
            f"{_peer_cell(row['ifcdiff'][1], row['ifcdiff_score'][1])} |"
        )
    forced = [r for r in rows if len(r["ifcdiff"]) > 2]
    if forced:
        lines += ["", "Models without a Body/MODEL_VIEW subcontext (Revit IFC2X3): ifcdiff as "
                  "shipped compares no geometry there; the same command line with that one "
                  "test widened to any Body representation of the Model context "
                  "(`ifcdiff_peer.py --force-body`), default checks:", "",
                  "| model | change | ifcdiff, geometry check forced | s |", "|---|---|---|---|"]
        for row in forced:
            p = row["pair"]
            lines.append(f"| {p['source']} | {p['label']} | "
                         f"{_peer_cell(row['ifcdiff'][2], row['ifcdiff_score'][2])} | "
                         f"{row['ifcdiff'][2]['seconds']:.1f} |")
    lines += ["", "Times (wall, one cold run each, s): bimcheck diff / ifcdiff default / "
              "ifcdiff all checks.", "", "| pair | bimcheck | ifcdiff | ifcdiff all |",
              "|---|---|---|---|"]
    for row in rows:
        a, b = row["ifcdiff"][:2]
        lines.append(f"| {row['pair']['name']} | {row['bimcheck']['seconds']:.2f} | "
                     f"{a['seconds']:.2f} | {b['seconds']:.2f} |")
    if skipped:
        lines += ["", "Not made: " + "; ".join(f"{s}-{k}: {r}" for s, k, r in skipped) + "."]
    lines.append(END)
    return "\n".join(lines)


def rescore(row: dict) -> None:
    """Score a saved row's bimcheck result again (the scoring changed)."""
    d = dict(row["pair"])
    d["old"], d["new"] = Path(d["old"]), Path(d["new"])
    pair = Pair(**d)
    bim = BimDiff(**row["bimcheck"])
    row["bimcheck_score"] = score_bimcheck(pair, bim, scopes(pair.new)[0],
                                           twins(pair.old) if pair.renamed else {})


def merge(saved: list[dict]) -> dict:
    """Results of several runs as one: rows by pair name (later runs win, in
    the first run's order), skipped ones not made by any run, the dates and
    commits of all."""
    rows: dict[str, dict] = {}
    for doc in saved:
        for row in doc["rows"]:
            rows[row["pair"]["name"]] = row
    made = {(r["pair"]["source"], r["pair"]["kind"]) for r in rows.values()}
    skipped = {(s, k): r for doc in saved for s, k, r in doc["skipped"] if (s, k) not in made}
    meta = dict(saved[0]["meta"])
    for key in ("date", "commit", "load"):
        values = list(dict.fromkeys(doc["meta"][key] for doc in saved))
        meta[key] = " / ".join(values)
    order = {name: n for n, name in enumerate(SOURCES)}
    kinds = {k: n for n, k in enumerate(["samples", *KINDS])}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r["pair"]["source"], 99),
                                                    kinds.get(r["pair"]["kind"], 99)))
    return {"meta": meta, "rows": ordered,
            "skipped": [[s, k, r] for (s, k), r in skipped.items()]}


def write_doc(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else f"# bimcheck diff and ifcdiff\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} section to replace")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(head + block + tail)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="bimcheck diff and ifcdiff on labelled pairs")
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--keep", type=Path, help="build the pairs in DIR and keep them")
    ap.add_argument("--json", type=Path, help="save the results as JSON")
    ap.add_argument("--from-json", type=Path, nargs="+",
                    help="render saved results, run nothing (several: merged by pair, "
                         "later files win)")
    ap.add_argument("--write", type=Path, help="replace the results section of this file")
    ap.add_argument("--ifcdiff-timeout", type=float, default=900.0)
    ap.add_argument("--rescore", action="store_true",
                    help="with --from-json: score the saved tool results again (needs the "
                         "pairs' files: build them with --keep)")
    args = ap.parse_args(argv)
    if args.from_json:
        saved = merge([json.loads(p.read_text()) for p in args.from_json])
        if args.rescore:
            for row in saved["rows"]:
                rescore(row)
    else:
        ensure_ifcdiff(print)
        import bimcheck
        with tempfile.TemporaryDirectory(prefix="diff-pairs-") as tmp:
            work = args.keep or Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            meta = {
                "date": datetime.date.today().isoformat(), "bimcheck": bimcheck.__version__,
                "commit": repo_revision(), "ifcdiff": "0.9.0",
                "ifcopenshell": ifcopenshell.version, "python": sys.version.split()[0],
                "cpus": len(__import__("os").sched_getaffinity(0)), "load": load_average(),
            }
            pairs, skipped = build_pairs(work, args.sources.split(","), args.kinds.split(","))
            rows = run_all(pairs, args.ifcdiff_timeout)
        saved = {"meta": meta, "rows": rows, "skipped": skipped}
        if args.json:
            args.json.write_text(json.dumps(saved, indent=1, sort_keys=True, default=str))
    block = render(saved["rows"], saved["skipped"], saved["meta"])
    print(block)
    if args.write:
        write_doc(args.write, block)
    return 0
