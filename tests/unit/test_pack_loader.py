"""Where the shipped rule packs are found: env override, source tree, installed wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimcheck.packs import loader


def test_env_override_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BIMCHECK_RULES", str(tmp_path))
    assert loader.builtin_rules_dir() == tmp_path


def test_source_tree_rules_in_a_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIMCHECK_RULES", raising=False)
    found = loader.builtin_rules_dir()
    assert (found / "qto" / "ifc-base.yaml").is_file()
    assert (found / "clash" / "default.yaml").is_file()


def test_installed_wheel_rules_under_prefix_share(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A wheel install has no source tree: the packs are under <prefix>/share/bimcheck/rules."""
    monkeypatch.delenv("BIMCHECK_RULES", raising=False)
    site = tmp_path / "site" / "bimcheck" / "packs"
    site.mkdir(parents=True)
    monkeypatch.setattr(loader, "__file__", str(site / "loader.py"))
    prefix = tmp_path / "prefix"
    shipped = prefix / "share" / "bimcheck" / "rules"
    (shipped / "qto").mkdir(parents=True)
    monkeypatch.setattr(loader.sys, "prefix", str(prefix))
    assert loader.builtin_rules_dir() == shipped


def test_wheel_data_files_cover_every_shipped_pack() -> None:
    """Every YAML under rules/ is listed in pyproject's data-files, so a wheel ships it."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    listed: set[Path] = set()
    for patterns in data.values():
        for pattern in patterns:
            listed.update(p.resolve() for p in root.glob(pattern))
    shipped = {p.resolve() for p in (root / "rules").rglob("*.yaml")}
    assert shipped and shipped <= listed, sorted(str(p) for p in shipped - listed)
