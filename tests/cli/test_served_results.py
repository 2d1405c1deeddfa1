"""An unchanged file is served from the result cache without being parsed:
``info`` and ``qto`` give the same bytes as a fresh run, say so in the log and
in ``--timings``, and any change to the file or the pack measures again."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from bimcheck.geometry.cache import MeshCache
from bimcheck.qto.rules import default_qto_pack_path, load_qto_pack
from bimcheck.qto.served import takeoff_file
from tests.conftest import SAMPLES

MODEL = SAMPLES / "tower_rev_a.ifc"


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "tower_rev_a.ifc"
    shutil.copyfile(MODEL, path)
    return path


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "results").rglob("*.json.z"))


@pytest.mark.parametrize("suffix", [".json", ".csv", ".xlsx"])
def test_a_served_takeoff_writes_the_same_bytes(tmp_path, model, suffix):
    cache = tmp_path / "cache"
    outs = []
    for n in range(3):
        out = tmp_path / f"takeoff{n}{suffix}"
        args = ["-v", "qto", model, "-o", out, "--cache-dir", cache]
        if n == 2:
            args += ["--no-cache"]
            args.remove("--cache-dir"), args.remove(cache)
        code, _, err = run(*args)
        assert code == 0, err
        served = "takeoff served from the result cache" in err
        assert served == (n == 1), err
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert len(_entries(cache)) == 2  # the takeoff, and its key by the files' bytes


def test_timings_say_where_the_takeoff_came_from(tmp_path, model):
    cache = tmp_path / "cache"
    docs = []
    for _ in range(2):
        code, out, err = run("qto", model, "--json", "--timings", "--cache-dir", cache)
        assert code == 0, err
        docs.append(json.loads(out))
    assert [d["timings"]["result_from_cache"] for d in docs] == [False, True]
    for d in docs:
        d.pop("timings")
    assert docs[0] == docs[1]


def test_a_changed_byte_or_another_pack_measures_again(tmp_path, model):
    cache = tmp_path / "cache"
    assert run("qto", model, "--json", "--cache-dir", cache)[0] == 0
    model.write_bytes(model.read_bytes() + b"\n")  # other bytes, the same content
    code, _, err = run("-v", "qto", model, "--json", "--cache-dir", cache)
    assert code == 0 and "served from the result cache" not in err
    pack = tmp_path / "pack.yaml"
    pack.write_text(default_qto_pack_path().read_text(encoding="utf-8")
                    .replace("reconcile: 0.01", "reconcile: 0.02"), encoding="utf-8")
    assert "reconcile: 0.02" in pack.read_text(encoding="utf-8")
    code, _, err = run("-v", "qto", model, "--json", "--rules", pack, "--cache-dir", cache)
    assert code == 0 and "served from the result cache" not in err
    assert len(_entries(cache)) == 6  # each takeoff, and its key by the files' bytes


def test_a_corrupt_entry_is_measured_again(tmp_path, model):
    cache = tmp_path / "cache"
    code, first, _ = run("qto", model, "--json", "--cache-dir", cache)
    assert code == 0
    for entry in _entries(cache):
        blob = bytearray(entry.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        entry.write_bytes(bytes(blob))
    code, again, err = run("-v", "qto", model, "--json", "--cache-dir", cache)
    assert code == 0 and again == first
    assert "served from the result cache" not in err


def test_a_takeoff_found_by_the_files_bytes_needs_its_entry(tmp_path, model):
    """The entry keyed by the bytes of the model and the pack points to the
    takeoff's own entry: when that one is gone, the takeoff is measured again."""
    cache = tmp_path / "cache"
    code, first, _ = run("qto", model, "--json", "--cache-dir", cache)
    assert code == 0
    biggest = max(_entries(cache), key=lambda e: e.stat().st_size)
    biggest.unlink()
    code, again, err = run("-v", "qto", model, "--json", "--cache-dir", cache)
    assert code == 0 and again == first
    assert "served from the result cache" not in err
    code, third, err = run("-v", "qto", model, "--json", "--cache-dir", cache)
    assert code == 0 and third == first and "served from the result cache" in err


_SERVED_IMPORTS = """
import sys
from click.testing import CliRunner
from bimcheck.cli.main import cli
result = CliRunner().invoke(cli, sys.argv[1:])
print(result.exit_code, sorted(m for m in sys.modules
                               if m.split(".")[0] in ("ifcopenshell", "lark", "fcl", "manifold3d")
                               or m in ("bimcheck.qto.takeoff", "bimcheck.clash.run",
                                        "bimcheck.packs.pack")))
"""


@pytest.mark.parametrize("command", ["qto", "clash"])
@pytest.mark.parametrize("history", ["--no-history", "--db"])
def test_a_run_served_by_the_files_bytes_loads_neither_pack_nor_ifcopenshell(tmp_path, model,
                                                                              history, command):
    """A takeoff or a clash run on an unchanged model under an unchanged pack
    loads no pack (no selector grammar) and imports neither IfcOpenShell nor
    fcl nor manifold3d. Recording the run in the history does not load them
    either (the store once imported the pack schema, and with it
    IfcOpenShell's selector grammar: 0.3 s of a 0.6 s served takeoff)."""
    import subprocess
    import sys

    cache = tmp_path / "cache"
    where = [] if history == "--no-history" else [str(tmp_path / "history.sqlite")]
    args = [command, str(model), "--json", "--cache-dir", str(cache), history, *where]
    env = {k: v for k, v in os.environ.items() if k != "BIMCHECK_NO_HISTORY"}
    assert run(*args)[0] == 0
    child = subprocess.run([sys.executable, "-c", _SERVED_IMPORTS, *args],
                           capture_output=True, text=True, check=True, env=env)
    assert child.stdout.split("\n")[-2] == "0 []", child.stdout[-500:]
    if history == "--db":
        from bimcheck.store import list_runs, open_db

        with open_db(tmp_path / "history.sqlite") as db:
            assert [r["command"] for r in list_runs(db)] == [command]  # the served run


def test_the_served_takeoff_has_not_parsed_the_model(tmp_path, model):
    cache = MeshCache(tmp_path / "cache")
    rules = load_qto_pack(default_qto_pack_path()).rules
    cold = takeoff_file(model, rules, cache=cache)
    warm = takeoff_file(model, rules, cache=cache)
    assert cold.model.parsed and not warm.model.parsed
    assert warm.as_dict() == cold.as_dict()
    assert warm.model.global_ids() == cold.model.global_ids()
    assert warm.model.length_unit == cold.model.length_unit
    assert not warm.model.parsed
    assert warm.model.file.by_type("IfcProject")  # asked for more: parsed then
    assert warm.model.parsed


def test_a_served_takeoff_is_recorded_in_the_history_like_a_fresh_one(tmp_path, model,
                                                                       monkeypatch):
    monkeypatch.delenv("BIMCHECK_NO_HISTORY", raising=False)
    lines = []
    for db, cache_args in (("a.sqlite", ["--cache-dir", tmp_path / "c"]),
                           ("b.sqlite", ["--no-cache"])):
        for _ in range(2):
            code, out, err = run("qto", model, "--db", tmp_path / db, *cache_args)
            assert code == 0, err
        lines.append(out.splitlines()[-1].replace(db, "DB"))
    assert lines[0] == lines[1]
    assert "run 2" in lines[0]


def test_info_is_served_with_the_same_json(tmp_path, model):
    cache = tmp_path / "cache"
    code, cold, _ = run("info", model, "--json", "--cache-dir", cache)
    assert code == 0
    code, warm, err = run("-v", "info", model, "--json", "--cache-dir", cache)
    assert code == 0 and warm == cold
    assert "summary served from the result cache" in err
    code, text, _ = run("info", model, "--cache-dir", cache)
    assert code == 0 and "served from the result cache" in text
    code, timed, _ = run("info", model, "--json", "--timings", "--cache-dir", cache)
    doc = json.loads(timed)
    assert doc["timings"]["result_from_cache"] is True
    assert doc["cache"]["tessellated"] == 0
    renamed = tmp_path / "renamed.ifc"
    shutil.copyfile(model, renamed)
    code, other, _ = run("info", renamed, "--json", "--cache-dir", cache)
    assert json.loads(other)["file"] == "renamed.ifc"  # served, under its own name


def test_a_result_cached_by_other_code_is_not_served(tmp_path, model, monkeypatch):
    """Any change to bimcheck's source (released or not) measures again: a
    development checkout must never be served what older code computed."""
    from bimcheck import results

    cache = tmp_path / "cache"
    assert run("qto", model, "--json", "--cache-dir", cache)[0] == 0
    monkeypatch.setattr(results, "_CODE_DIGEST", "0" * 40)
    code, _, err = run("-v", "qto", model, "--json", "--cache-dir", cache)
    assert code == 0 and "served from the result cache" not in err
    assert len(_entries(cache)) == 4  # by each code: the takeoff and its key by bytes


def test_a_served_clash_run_writes_the_same_bytes_and_history(tmp_path, model, monkeypatch):
    monkeypatch.delenv("BIMCHECK_NO_HISTORY", raising=False)
    outs, lines = [], []
    for db, cache_args in (("a.sqlite", ["--cache-dir", tmp_path / "c"]),
                           ("b.sqlite", ["--no-cache"])):
        for n in range(2):
            out, csv = tmp_path / f"{db}{n}.json", tmp_path / f"{db}{n}.csv"
            code, text, err = run("-v", "clash", model, "-o", out, "--csv", csv,
                                  "--db", tmp_path / db, *cache_args)
            assert code == 0, err
            served = "clashes served from the result cache" in err
            assert served == (n == 1 and db == "a.sqlite"), err
            outs.append((out.read_bytes(), csv.read_bytes()))
            lines.append(text.splitlines()[-1].replace(db, "DB"))
    assert outs[0] == outs[1] == outs[2] == outs[3]
    # test_clash_cmd.EXPECTED: the 9 clashes of the default pack, by hand
    assert json.loads(outs[0][0])["summary"]["clashes"] == 9
    assert lines[:2] == lines[2:]
    assert "run 2" in lines[1] and "9 active" in lines[1]


def test_a_federated_clash_run_is_served_only_for_the_same_files_in_order(tmp_path, model):
    cache = tmp_path / "cache"
    other = tmp_path / "tower_rev_b.ifc"
    shutil.copyfile(SAMPLES / "tower_rev_b.ifc", other)
    docs = []
    for files in ((model, other), (model, other), (other, model)):
        code, out, err = run("-v", "clash", *files, "--json", "--timings", "--no-history",
                             "--cache-dir", cache)
        assert code == 0, err
        docs.append(json.loads(out))
    assert [d["timings"]["result_from_cache"] for d in docs] == [False, True, False]
    assert docs[0]["clashes"] == docs[1]["clashes"]
    assert [m["path"] for m in docs[2]["models"]] == ["tower_rev_b.ifc", "tower_rev_a.ifc"]
    renamed = tmp_path / "renamed.ifc"
    shutil.copyfile(model, renamed)
    code, out, err = run("-v", "clash", renamed, other, "--json", "--no-history",
                         "--cache-dir", cache)
    assert code == 0 and "served from the result cache" not in err
    assert {e["a"]["model"] for e in json.loads(out)["clashes"]} >= {"renamed.ifc"}


def test_a_clash_run_served_by_bytes_has_the_rules_as_loaded(tmp_path, model):
    from bimcheck.clash.rules import default_pack_path, load_clash_rules
    from bimcheck.clash.served import clash_pack_files

    cache = MeshCache(tmp_path / "cache")
    fresh, _, rules = clash_pack_files([model], [], ["CL001", "CL006"], cache=cache)
    served, _, again = clash_pack_files([model], [], ["CL001", "CL006"], cache=cache)
    assert served.timings["result_from_cache"] and not fresh.timings["result_from_cache"]
    assert again == rules == load_clash_rules([default_pack_path()], ["CL001", "CL006"])
    assert [r.id for r in again] == ["CL001", "CL006"]
    assert served.as_dict() == fresh.as_dict()


def test_a_clash_run_by_bytes_is_checked_again_for_another_rule_or_a_changed_pack(tmp_path,
                                                                                  model):
    from bimcheck.clash.rules import default_pack_path

    cache = tmp_path / "cache"
    pack = tmp_path / "pack.yaml"
    shutil.copyfile(default_pack_path(), pack)

    def served(*extra: str | Path) -> bool:
        code, _, err = run("-v", "clash", model, "--rules", pack, "--json", "--no-history",
                           "--cache-dir", cache, *extra)
        assert code == 0, err
        return "served from the result cache" in err

    assert [served(), served(), served("--rule", "CL006"), served("--rule", "CL006")] == [
        False, True, False, True]
    pack.write_text(pack.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    # other bytes, the same rules: found again by the rules' content
    assert served() is True
    biggest = max(_entries(cache), key=lambda e: e.stat().st_size)
    biggest.unlink()
    assert served() is False  # the entry the bytes pointed to is gone: checked again


def _front_entries(cache: Path) -> list[tuple[Path, dict]]:
    """The by-bytes entries (clash-pack and qto-pack) of a cache, decoded."""
    from bimcheck import results

    found = []
    for path in _entries(cache):
        entry = results._decode(path.read_bytes())
        if entry is not None and ("rules" in entry or "result" in entry):
            found.append((path, entry))
    return found


def test_a_renamed_pack_is_not_served_under_its_old_name(tmp_path, model):
    from bimcheck.clash.rules import default_pack_path

    cache = tmp_path / "cache"
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    shutil.copyfile(default_pack_path(), first)
    shutil.copyfile(default_pack_path(), second)
    docs = []
    for pack in (first, second, second):
        code, out, err = run("-v", "clash", model, "--rules", pack, "--json", "--no-history",
                             "--cache-dir", cache)
        assert code == 0, err
        docs.append(json.loads(out))
    assert {r["pack"] for r in docs[0]["rules"]} == {"a.yaml"}
    assert {r["pack"] for r in docs[1]["rules"]} == {"b.yaml"} == {
        r["pack"] for r in docs[2]["rules"]}


def test_a_pack_that_includes_another_is_loaded_every_time(tmp_path, model):
    """The included file's bytes are not in the by-bytes key, and a fresh run
    checks that it is there: such a pack is never served by its bytes."""
    from bimcheck.clash.rules import default_pack_path

    cache = tmp_path / "cache"
    other = tmp_path / "other.yaml"
    shutil.copyfile(default_pack_path(), other)
    pack = tmp_path / "inc.yaml"
    pack.write_text(default_pack_path().read_text(encoding="utf-8")
                    + "include: [other.yaml]\n", encoding="utf-8")
    args = ["clash", model, "--rules", pack, "--json", "--no-history", "--cache-dir", cache]
    assert run(*args)[0] == 0
    assert [e for _, e in _front_entries(cache) if "rules" in e] == []
    other.unlink()
    code, _, err = run(*args)
    assert code == 2 and "inc.yaml" in err and "other.yaml" in err


@pytest.mark.parametrize("tamper", ["types", "fewer", "index"])
def test_a_tampered_by_bytes_entry_is_checked_again(tmp_path, model, tamper):
    """A by-bytes entry whose rules are not what a run stored (the cache may
    be shared) is a miss with a warning, never a traceback: the report is
    looked up under the rules rebuilt from it, and those must be rules."""
    from bimcheck import results

    cache = tmp_path / "cache"
    args = ["-v", "clash", model, "--json", "--no-history", "--cache-dir", cache]
    code, first, _ = run(*args)
    assert code == 0
    [(path, entry)] = [(p, e) for p, e in _front_entries(cache) if "rules" in e]
    if tamper == "types":
        rule = results.decode(entry["rules"][0]["rule"])
        entry["rules"][0]["rule"] = results.encode({**rule, "params": "not a mapping"})
    elif tamper == "fewer":
        entry["rules"] = entry["rules"][:1]
    else:
        entry["rules"][0]["pack_file"] = -1
    path.write_bytes(results._encode(entry))
    code, again, err = run(*args)
    assert code == 0, err
    assert again == first and "Traceback" not in err
    if tamper != "fewer":  # fewer rules lead to no cached report: a plain miss
        assert "does not read" in err


def test_a_by_bytes_takeoff_entry_must_point_to_a_result_key(tmp_path, model):
    from bimcheck import results

    cache = tmp_path / "cache"
    victim = tmp_path / "victim.json.z"
    victim.write_bytes(b"keep me")
    args = ["-v", "qto", model, "--json", "--no-history", "--cache-dir", cache]
    code, first, _ = run(*args)
    assert code == 0
    [(path, entry)] = [(p, e) for p, e in _front_entries(cache) if "result" in e]
    entry["result"] = str(victim)[: -len(".json.z")]
    path.write_bytes(results._encode(entry))
    code, again, err = run(*args)
    assert code == 0 and again == first and "does not read" in err
    assert victim.read_bytes() == b"keep me"


LIFT_PLAN = SAMPLES / "tower.lift.yaml"


def _check(tmp_path: Path, model: Path, out: str, *extra: str | Path) -> tuple[int, str, str]:
    return run("-v", "check", model, "--lift-plan", LIFT_PLAN, "--out", tmp_path / out,
               *extra)


def test_a_served_check_writes_the_same_report_files(tmp_path, model, monkeypatch):
    monkeypatch.delenv("BIMCHECK_NO_HISTORY", raising=False)
    cache = tmp_path / "cache"
    lines = []
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    for n, args in enumerate((["--cache-dir", cache, "--db", tmp_path / "a" / "h.sqlite"],
                              ["--cache-dir", cache, "--db", tmp_path / "a" / "h.sqlite"],
                              ["--no-cache", "--db", tmp_path / "b" / "h.sqlite"],
                              ["--no-cache", "--db", tmp_path / "b" / "h.sqlite"])):
        code, out, err = _check(tmp_path, model, f"r{n}", *args)
        assert code == 0, err
        assert ("check served from the result cache" in err) == (n == 1), err
        lines.append(out.splitlines()[-1].replace("/a/", "/").replace("/b/", "/"))
    files = sorted(p.name for p in (tmp_path / "r0").iterdir())
    assert files == ["findings.bcf", "report.html", "report.json", "report.junit.xml"]
    def read(folder: str, name: str) -> bytes:  # the previous run's time is a run time
        return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"T",
                      (tmp_path / folder / name).read_bytes())

    for name in files:  # run 1 and run 2 of each history: served or not, the same bytes
        for cached, fresh in (("r0", "r2"), ("r1", "r3")):
            assert read(cached, name) == read(fresh, name), (name, cached)
    assert lines[:2] == lines[2:]
    doc = json.loads((tmp_path / "r1" / "report.json").read_text(encoding="utf-8"))
    assert doc["summary"]["by_family"]["crane"] > 0  # the lift plan's checks ran


def test_a_served_check_is_gated_afresh_and_misses_on_a_changed_input(tmp_path, model):
    cache = tmp_path / "cache"
    code, _, err = _check(tmp_path, model, "a", "--cache-dir", cache, "--no-history")
    assert code == 0, err
    code, _, err = _check(tmp_path, model, "b", "--cache-dir", cache, "--no-history",
                          "--fail-on", "high")
    assert code == 1 and "check served from the result cache" in err, err
    assert "gate:" in err
    code, _, err = _check(tmp_path, model, "b-fresh", "--no-cache", "--no-history",
                          "--fail-on", "high")
    assert code == 1, err
    for name in ("report.json", "report.html", "report.junit.xml"):
        assert ((tmp_path / "b" / name).read_bytes()
                == (tmp_path / "b-fresh" / name).read_bytes()), name
    plan = tmp_path / "tower.lift.yaml"
    plan.write_bytes(LIFT_PLAN.read_bytes() + b"\n# the same plan, other bytes\n")
    code, _, err = run("-v", "check", model, "--lift-plan", plan, "--out", tmp_path / "c",
                       "--cache-dir", cache, "--no-history")
    assert code == 0 and "served from the result cache" not in err, err
    code, _, err = _check(tmp_path, model, "d", "--cache-dir", cache, "--no-history", "--glb")
    assert code == 0 and "served from the result cache" not in err, err
    assert (tmp_path / "d" / "report.glb").stat().st_size > 0


def test_result_keys_are_the_same_in_every_process(tmp_path):
    """Rules hold frozensets, whose repr follows the string hash seed: the key
    must not (a check would never be served in a new process)."""
    import subprocess
    import sys

    code = ("from pathlib import Path\n"
            "from bimcheck.check import CheckOptions, prepare_check\n"
            "from bimcheck.geometry.cache import MeshCache\n"
            f"o = CheckOptions(models=[Path({str(MODEL)!r})], lift_plan=Path({str(LIFT_PLAN)!r}))\n"
            f"print(prepare_check(o, cache=MeshCache(Path({str(tmp_path / 'c')!r}))).found.key)\n")
    keys = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**__import__("os").environ, "PYTHONHASHSEED": seed},
                              check=True)
        keys.add(done.stdout.strip())
    assert len(keys) == 1 and len(keys.pop()) == 40
