"""``bimcheck info``: output keys, determinism, and exit code 2 with one clear
line for every kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import ifcopenshell
import ifcopenshell.api
import pytest
from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import shared_model

FZK = "AC20-FZK-Haus.ifc"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_has_the_contract_keys_and_is_deterministic(tmp_path):
    path = shared_model(FZK)
    code, out1, _ = run("info", str(path), "--json")
    assert code == 0
    code, out2, _ = run("info", str(path), "--json")  # warm cache this time
    assert out1 == out2
    doc = json.loads(out1)
    for key in ("schema", "length_unit", "application", "counts", "storeys",
                "elements_with_geometry", "failures"):
        assert key in doc
    assert doc["schema"] == "IFC4"
    assert doc["length_unit"] == "m"
    assert doc["application"] == "ARCHICAD-64 20.0.0"
    assert doc["counts"]["IfcWallStandardCase"] == 13  # SOURCES.md census
    assert [s["name"] for s in doc["storeys"]] == ["Erdgeschoss", "Dachgeschoss"]
    assert doc["elements_with_geometry"] == 107  # the geometry iterator's shape count
    assert doc["failures"] == []


def test_text_output_and_file_output(tmp_path):
    path = shared_model(FZK)
    code, out, _ = run("info", str(path))
    assert code == 0 and "ARCHICAD" in out and "107 elements meshed" in out
    target = tmp_path / "info.json"
    assert run("info", str(path), "--json", "-o", str(target))[0] == 0
    first = target.read_text()
    code, _, err = run("info", str(path), "--json", "-o", str(target))
    assert code == 2 and "exists" in err and "--overwrite" in err
    assert target.read_text() == first  # untouched
    assert run("info", str(path), "--json", "-o", str(target), "--overwrite")[0] == 0


def test_timings_only_on_request():
    path = shared_model(FZK)
    doc = json.loads(run("info", str(path), "--json", "--timings")[1])
    assert doc["timings"]["total_s"] > 0
    assert "timings" not in json.loads(run("info", str(path), "--json")[1])


def test_feet_model_reports_feet():
    doc = json.loads(run("info", str(shared_model("Ifc2s3_Duplex_Electrical.ifc")), "--json")[1])
    assert doc["length_unit"] == "ft"
    assert doc["length_scale"] == 0.3048
    # Revit's storey elevations are stored in feet; reported in metres.
    assert [round(s["elevation"], 3) for s in doc["storeys"]] == [0.0, 3.1, 6.0]


def _no_geometry_model(path: Path) -> Path:
    f = ifcopenshell.api.run("project.create_file", version="IFC4")
    project = ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcProject", name="P")
    ifcopenshell.api.run("unit.assign_unit", f)
    ifcopenshell.api.run("context.add_context", f, context_type="Model")
    site = ifcopenshell.api.run("root.create_entity", f, ifc_class="IfcSite", name="S")
    ifcopenshell.api.run("aggregate.assign_object", f, products=[site], relating_object=project)
    f.write(str(path))
    return path


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    fzk = shared_model(FZK).read_bytes()
    (tmp / "empty.ifc").write_bytes(b"")
    (tmp / "image.ifc").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (tmp / "notes.ifc").write_text("just some notes\n")
    (tmp / "half.ifc").write_bytes(fzk[: len(fzk) // 2])
    old, new = b"FILE_SCHEMA(('IFC4'))", b"FILE_SCHEMA(('IFC2X_FINAL'))"
    (tmp / "ifc2x.ifc").write_bytes(fzk.replace(old, new))
    (tmp / "folder.ifc").mkdir()
    with zipfile.ZipFile(tmp / "empty.ifczip", "w") as z:
        z.writestr("readme.txt", "nothing here")
    return {
        "missing": (tmp / "nope.ifc", "file not found"),
        "folder": (tmp / "folder.ifc", "not a regular file"),
        "empty": (tmp / "empty.ifc", "the file is empty"),
        "png": (tmp / "image.ifc", "a PNG image"),
        "text": (tmp / "notes.ifc", "it is text"),
        "truncated": (tmp / "half.ifc", "truncated"),
        "schema": (tmp / "ifc2x.ifc", "IFC2X_FINAL"),
        "no geometry": (_no_geometry_model(tmp / "nogeom.ifc"), "no elements with geometry"),
        "zip without ifc": (tmp / "empty.ifczip", "holds no .ifc file"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "folder", "empty", "png", "text", "truncated", "schema", "no geometry",
     "zip without ifc"],
)
def test_bad_input_exits_2_with_one_line_naming_the_file(tmp_path, case):
    path, message = _bad_inputs(tmp_path)[case]
    code, out, err = run("info", str(path))
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bimcheck: error: ")
    assert str(path) in lines[0]
    assert message in lines[0]
    assert "Traceback" not in err


def test_ifczip_opens_like_the_ifc(tmp_path):
    path = shared_model(FZK)
    z = tmp_path / "haus.ifczip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(path, "AC20-FZK-Haus.ifc")
    a = json.loads(run("info", str(path), "--json")[1])
    b = json.loads(run("info", str(z), "--json")[1])
    a.pop("file"), b.pop("file")
    assert a == b


def test_time_budget_ends_cleanly_and_resumes_from_cache(tmp_path):
    """The Janesville restaurant needs ~5 s cold (fingerprints, then 1,660
    elements; 140 of them are cached after 2 s); a 2 s budget must end it with
    exit 2 and one line naming the file and the budget, within a few seconds."""
    path = shared_model("revit2012_janesville_restaurant.ifc")
    cmd = [sys.executable, "-m", "bimcheck.cli", "info", str(path), "--timeout", "2",
           "--cache-dir", str(tmp_path / "cache")]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0] and "time limit of 2 s" in lines[0]
    assert "Traceback" not in proc.stderr
    assert elapsed < 2 + 10  # opening (~2 s) plus the budget plus a little
    cached = sum(1 for _ in (tmp_path / "cache").rglob("*.mesh"))
    assert cached > 0  # what finished is kept for the next try


def test_output_to_a_device_writes_through_and_keeps_the_device(tmp_path):
    import os
    import stat

    path = shared_model(FZK)
    assert run("info", str(path), "--json", "-o", os.devnull)[0] == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # not replaced by a regular file
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    import threading

    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    assert run("info", str(path), "--json", "-o", str(fifo))[0] == 0
    reader.join(30)
    assert '"schema": "IFC4"' in got[0]


def test_verbose_logs_go_to_stderr_and_quiet_silences_them():
    path = shared_model(FZK)
    code, out, err = run("-v", "info", str(path), "--json")
    assert code == 0 and json.loads(out)["schema"] == "IFC4"
    assert "INFO: AC20-FZK-Haus.ifc: 107 elements meshed" in err
    code, out, err = run("-q", "info", str(path), "--json")
    assert code == 0 and err == ""
