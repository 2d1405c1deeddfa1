"""Coverage-guided fuzzing (atheris, libFuzzer) of the readers of untrusted bytes.

``python -m bimcheck.testing.fuzz.guided TARGET [libFuzzer flags]``, e.g.
``-runs=20000 -seed=1``. Each target reads one input in this process, the
way bimcheck reads an upload, and may only accept it or raise
:class:`~bimcheck.errors.BimcheckError`; any other exception is a defect,
which libFuzzer reports with its traceback and the input that caused it
(exit status not 0). The mutation campaigns (:mod:`.campaigns`) run whole
commands; this one steers the bytes by the branches they reach, inside the
readers that see the bytes first.

Targets (:data:`TARGETS`): ``step`` (the STEP envelope, header and entity-id
scan), ``yaml`` (the bounded YAML loader), ``pack`` (a rule pack), ``plan`` (a
lift plan), ``rates`` (a CSV rate table), ``ids`` (an IDS file). The seed
inputs are the project's own samples and shipped packs, copied to a scratch
corpus (libFuzzer writes what it finds there).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

from bimcheck.errors import BimcheckError

#: The scratch folder of this run (made by :func:`main`): the corpus, and the
#: file each input is written to.
_SCRATCH = Path(tempfile.gettempdir())

Target = Callable[[bytes], None]


def _file(name: str, data: bytes) -> Path:
    path = _SCRATCH / name
    path.write_bytes(data)
    return path


def _samples() -> Path:
    return Path(__file__).resolve().parents[3] / "samples"


def _rules() -> Path:
    return Path(__file__).resolve().parents[3] / "rules"


def _step() -> tuple[Target, list[bytes]]:
    from bimcheck.stepcheck import check_envelope, scan_references

    def run(data: bytes) -> None:
        path = _file("m.ifc", data)
        check_envelope(path, data[:512])
        scan_references(path)

    model = (_samples() / "qto_m.ifc").read_bytes()
    return run, [model[:4096], model[:512] + model[-256:]]


def _yaml_seeds() -> list[bytes]:
    return [(_rules() / "clash/default.yaml").read_bytes()[:4096],
            (_rules() / "qto/ifc-base.yaml").read_bytes()[:4096]]


def _yaml() -> tuple[Target, list[bytes]]:
    from bimcheck.packs.loader import parse_yaml

    return (lambda data: parse_yaml(data, _SCRATCH / "y.yaml")), _yaml_seeds()


def _pack() -> tuple[Target, list[bytes]]:
    from bimcheck.packs.pack import load_pack

    return (lambda data: load_pack(_file("p.yaml", data))), _yaml_seeds()


def _plan() -> tuple[Target, list[bytes]]:
    from bimcheck.crane.plan import load_lift_plan

    return ((lambda data: load_lift_plan(_file("p.lift.yaml", data))),
            [(_samples() / "tower.lift.yaml").read_bytes()])


def _rates() -> tuple[Target, list[bytes]]:
    from bimcheck.diff.rates import load_rates

    return ((lambda data: load_rates(_file("r.csv", data))),
            [(_samples() / "tower.rates.csv").read_bytes()])


def _ids() -> tuple[Target, list[bytes]]:
    from bimcheck.ids.load import load_ids
    from bimcheck.testing.fuzz.campaigns import _IDS

    return (lambda data: load_ids(_file("i.ids", data))), [_IDS]


#: name -> (what is instrumented, what makes the target and its seed inputs):
#: bimcheck's readers, and the pure-Python YAML and XML Schema libraries
#: under them.
TARGETS: dict[str, tuple[list[str], Callable[[], tuple[Target, list[bytes]]]]] = {
    "step": (["bimcheck"], _step),
    "yaml": (["bimcheck", "yaml"], _yaml),
    "pack": (["bimcheck", "yaml"], _pack),
    "plan": (["bimcheck", "yaml"], _plan),
    "rates": (["bimcheck"], _rates),
    "ids": (["bimcheck", "xmlschema", "elementpath"], _ids),
}


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.stderr.write(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer flags]\n")
        sys.exit(2)
    global _SCRATCH
    _sweep()
    _SCRATCH = Path(tempfile.mkdtemp(prefix=f"bimcheck-guided-{os.getpid()}-"))
    os.environ.setdefault("BIMCHECK_CACHE", str(_SCRATCH / "cache"))
    include, make = TARGETS[argv[1]]
    with atheris.instrument_imports(include=include):
        run, seeds = make()
    corpus = _SCRATCH / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(seeds):
        (corpus / f"seed{i}").write_bytes(seed)

    def one(data: bytes) -> None:
        try:
            run(data)
        except BimcheckError:
            pass

    flags = [a for a in argv[2:] if a.startswith("-")]
    atheris.Setup([argv[0], *flags, str(corpus)], one)
    atheris.Fuzz()  # libFuzzer ends the process: the next run sweeps the scratch folder


def _sweep() -> None:
    """Remove the scratch folders of runs whose process has ended."""
    for folder in Path(tempfile.gettempdir()).glob("bimcheck-guided-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv)
