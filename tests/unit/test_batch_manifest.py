"""Batch inputs: a manifest (every field checked, errors naming file, project
and field) and a folder DIR/<project>/<revision>.ifc in natural order."""

from __future__ import annotations

import shutil

import pytest

from bimcheck.batch import discover, load_manifest
from bimcheck.batch.manifest import natural_key
from bimcheck.errors import ManifestError
from tests.conftest import SAMPLES


@pytest.fixture()
def folder(tmp_path):
    for rev in ("r10", "r2", "r1"):
        (tmp_path / "tower").mkdir(exist_ok=True)
        shutil.copy(SAMPLES / "tower_rev_a.ifc", tmp_path / "tower" / f"{rev}.ifc")
    (tmp_path / "alpha").mkdir()
    shutil.copy(SAMPLES / "qto_m.ifc", tmp_path / "alpha" / "v1.ifc")
    (tmp_path / "alpha" / "notes.txt").write_text("not a model")
    (tmp_path / "empty").mkdir()
    return tmp_path


def test_natural_order():
    assert sorted(["r10", "r2", "R1", "r1a"], key=natural_key) == ["R1", "r1a", "r2", "r10"]


def test_folder_projects_by_name_revisions_in_natural_order(folder):
    m = discover(folder)
    assert [p.name for p in m.projects] == ["alpha", "tower"]
    assert [r.label for r in m.projects[1].revisions] == ["r1", "r2", "r10"]
    assert [r.path.name for r in m.projects[0].revisions] == ["v1.ifc"]


def test_folder_without_models_is_refused(tmp_path):
    (tmp_path / "p").mkdir()
    with pytest.raises(ManifestError, match="no project folder"):
        discover(tmp_path)


def _write(tmp_path, text):
    p = tmp_path / "batch.yaml"
    p.write_text(text)
    return p


def test_manifest_paths_relative_to_it(tmp_path):
    shutil.copy(SAMPLES / "tower_rev_a.ifc", tmp_path / "a.ifc")
    shutil.copy(SAMPLES / "tower_rev_b.ifc", tmp_path / "b.ifc")
    shutil.copy(SAMPLES / "tower.rates.csv", tmp_path / "rates.csv")
    m = load_manifest(_write(tmp_path, """
projects:
  - name: tower
    revisions: [{path: a.ifc, label: A}, b.ifc]
    rates: rates.csv
"""))
    (tower,) = m.projects
    assert [(r.path, r.label) for r in tower.revisions] == [(tmp_path / "a.ifc", "A"),
                                                            (tmp_path / "b.ifc", "b")]
    assert tower.rates == tmp_path / "rates.csv" and tower.gate is None


@pytest.mark.parametrize(("text", "message"), [
    ("projects: []", "non-empty list of projects"),
    ("other: 1", "one field, 'projects'"),
    ("projects: [{name: t, revisions: [missing.ifc]}]",
     "project 't': revisions[0].path: missing.ifc: no such file"),
    ("projects: [{name: t, revisions: [a.ifc], colour: red}]", "unknown field 'colour'"),
    ("projects: [{name: t, revisions: [a.ifc, a.ifc]}]", "revision label 'a' given twice"),
    ("projects: [{name: 'a b', revisions: [a.ifc]}]", "projects[0].name"),
    ("projects: [{name: t, revisions: [a.ifc]}, {name: t, revisions: [a.ifc]}]",
     "project 't' given twice"),
    ("projects: [{name: t, revisions: [a.ifc], gate: g.yaml}]", "gate: g.yaml: no such file"),
    ("projects: [{name: t, revisions: []}]", "non-empty list of revisions"),
    ("projects: [{name: t, revisions: [{path: a.ifc, label: [1]}]}]", "revisions[0].label"),
    ("projects: [", "invalid YAML"),
])
def test_manifest_errors_name_file_project_and_field(tmp_path, text, message):
    shutil.copy(SAMPLES / "tower_rev_a.ifc", tmp_path / "a.ifc")
    path = _write(tmp_path, text)
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)
