"""The portfolio dashboard (dashboard.html of ``bimcheck batch``) in headless
Chromium, like the risk report: no console errors; one matrix cell per
revision with the risk of batch.json; each cell's link opens that
revision's own report; the trend and cost charts per project hold one mark
per revision (the cost chart's bar is the change order's hand-made net);
a project whose element names are markup shows them as text and runs no
script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bimcheck.batch import load_manifest
from bimcheck.batch.portfolio import portfolio, portfolio_files
from bimcheck.batch.runner import BatchOptions, run_batch
from bimcheck.testing import Box, ModelFactory
from tests.browser.test_report_browser import HOSTILE_IMG, HOSTILE_SCRIPT, Chromium
from tests.browser.test_report_browser import browser as browser
from tests.conftest import SAMPLES

NET_A_TO_B = "3,525.56"  # samples: the change order A → B, by hand (docs/price.md)


def _hostile(tmp: Path, clash: bool) -> Path:
    f = ModelFactory(project_name="site", building_name="B")
    level = f.add_storey("L0", 0.0)
    f.add_element("IfcWall", HOSTILE_SCRIPT, shape=Box((0, 0, 0), (10, 0.2, 3)), storey=level)
    if clash:
        f.add_element("IfcWall", HOSTILE_IMG, shape=Box((5, -2, 0), (5.2, 4, 3)), storey=level)
    return f.write(tmp / f"r{2 if clash else 1}.ifc")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("dashboard")
    projects = [
        {"name": "tower", "revisions": [{"path": str(SAMPLES / "tower_rev_a.ifc"), "label": "A"},
                                        {"path": str(SAMPLES / "tower_rev_b.ifc"), "label": "B"}],
         "rates": str(SAMPLES / "tower.rates.csv"),
         "price_rules": str(SAMPLES / "tower.bill.yaml")},
        {"name": "hostile", "revisions": [str(_hostile(tmp, False)), str(_hostile(tmp, True))]},
    ]
    (tmp / "m.yaml").write_text(yaml.safe_dump({"projects": projects}))
    out = tmp / "out"
    result = run_batch(load_manifest(tmp / "m.yaml"),
                       BatchOptions(out=out, db=tmp / "h.sqlite", jobs=2))
    doc = portfolio(result, db_name="h.sqlite")
    for name, text in portfolio_files(doc).items():
        (out / name).write_text(text, "utf-8")
    return out / "dashboard.html", doc


def test_dashboard_cells_links_and_charts(browser: Chromium, dashboard) -> None:
    page, doc = dashboard
    browser.open(page)
    assert browser.problems() == []
    for p in doc["projects"]:
        for r in p["revisions"]:
            cell = f"cell-{p['name']}-{r['revision']}"
            got = browser.js(f"""(() => {{ const c = document.getElementById('{cell}');
                return c && [c.dataset.status, c.dataset.risk, c.dataset.new,
                             c.querySelector('a').getAttribute('href')]; }})()""")
            assert got is not None, cell
            assert got[0] == "ok" and got[1] == f"{r['check']['risk']:.1f}"
            assert got[2] == "true"  # every revision is new in a first batch
            assert (page.parent / got[3]).is_file()  # links the revision's own report
    # one column group per revision in the trend chart; the cost bar is the hand-made net
    marks = browser.js("document.querySelectorAll('#trend-tower circle').length")
    assert marks == 2
    bars = browser.js("Array.from(document.querySelectorAll('#cost-tower rect'))"
                      ".map(r => r.querySelector('title').textContent)")
    assert bars == [f"B: +{NET_A_TO_B} CNY"]
    link = browser.js("document.querySelector('#cell-tower-B a').href")
    browser.open(Path(link.removeprefix("file://")))
    assert browser.js("document.title").startswith("Risk report: tower_rev_b.ifc")
    report = json.loads((page.parent / "tower/B/report.json").read_text())
    assert browser.js("document.getElementById('sum-total').textContent") == str(
        report["summary"]["findings"])


def test_dashboard_shows_markup_as_text_and_runs_no_script(browser: Chromium,
                                                           dashboard) -> None:
    page, doc = dashboard
    browser.open(page)
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.scripts.length") == 0
    new = browser.js("document.getElementById('new-list').innerText")
    hostile = next(p for p in doc["projects"] if p["name"] == "hostile")["revisions"][1]
    assert hostile["check"]["new"]["high"] >= 1  # the second wall clashes with the first
    assert HOSTILE_SCRIPT in new and "onerror" in new
    assert browser.problems() == []
