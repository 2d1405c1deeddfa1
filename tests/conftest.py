"""Shared fixtures: paths to the shared IFC corpus and an isolated mesh cache."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_IFC = REPO.parent / "shared" / "ifc"
SAMPLES = REPO / "samples"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never touch the user's ~/.cache/bimcheck from tests."""
    monkeypatch.setenv("BIMCHECK_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session", autouse=True)
def _no_run_history():
    """Commands record no run history in tests (so nothing is written into
    .bimcheck/ of the working directory, the repo, and a second run's report
    does not depend on the first); the history tests unset it and give
    --db in tmp_path."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIMCHECK_NO_HISTORY", "1")
        yield


def shared_model(name: str) -> Path:
    """A model from ../shared/ifc; skips the test when the corpus is absent."""
    path = SHARED_IFC / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def load_sample_script(filename: str):
    """A script of ``samples/`` (e.g. ``build_samples.py``) imported as a module, once."""
    import importlib.util
    import sys

    name = "_bimcheck_samples_" + filename.removesuffix(".py")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES / filename)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def forked_pids(monkeypatch):
    """The pids of the helper processes :mod:`bimcheck.forking` forks during
    the test (to check that each one was reaped)."""
    import os

    from bimcheck import forking

    pids: list[int] = []
    original = forking.fork

    def recording(work):
        child = original(work)
        pids.append(child.pid)
        return child

    monkeypatch.setattr(forking, "fork", recording)
    # A thread an earlier test left idle (a Dask cluster's) must not turn the
    # helpers off here; forking.can_fork's own test covers the refusal.
    monkeypatch.setattr(forking, "can_fork", lambda: hasattr(os, "fork"))
    return pids


def assert_reaped(pids: list[int]) -> None:
    """Every pid in ``pids`` is gone and reaped (no zombie left)."""
    import os

    assert pids
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
