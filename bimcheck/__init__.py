"""bimcheck: clash, crane-lift, quantity and revision checks for IFC models.

The small public API::

    import bimcheck
    model = bimcheck.open_model("tower.ifc")
    geometry = bimcheck.tessellate(model, model.select("IfcWall"), cache=bimcheck.MeshCache())
    report = bimcheck.run_clash([model], bimcheck.load_clash_rules(), cache=bimcheck.MeshCache())
    report.as_dict()   # the JSON document of docs/clash.md

    # every rule kind in one run, gated (docs/check.md)
    report, verdict = bimcheck.check_models(bimcheck.CheckOptions(models=[path], fail_on="high"))
    # or one level down
    ctx = bimcheck.RunContext([model], cache=bimcheck.MeshCache())
    packs = bimcheck.load_packs()                     # rules/default/
    report = bimcheck.run_checks(ctx, [r for p in packs for r in p.rules], packs=packs)
    report, verdict = bimcheck.gate(report, bimcheck.GatePolicy(fail_on="high"))
"""

from __future__ import annotations

import importlib
from typing import Any

from bimcheck._version import __version__

#: Where each public name lives. They are imported on first use, so that
#: ``import bimcheck`` (and the command line's start, and the report writers)
#: do not load IfcOpenShell, fcl or manifold3d until a model is opened.
_LAZY = {
    "CheckOptions": "bimcheck.check", "check_models": "bimcheck.check",
    "adhoc_rule": "bimcheck.clash.rules", "load_clash_rules": "bimcheck.clash.rules",
    "ClashReport": "bimcheck.clash.run", "run_clash": "bimcheck.clash.run",
    "RunContext": "bimcheck.context",
    "BimcheckError": "bimcheck.errors", "GeometryError": "bimcheck.errors",
    "ModelError": "bimcheck.errors", "RulePackError": "bimcheck.errors",
    "SelectorError": "bimcheck.errors", "TessellationTimeout": "bimcheck.errors",
    "ExitCode": "bimcheck.exitcodes",
    "ElementRef": "bimcheck.findings", "Finding": "bimcheck.findings",
    "finding_key": "bimcheck.findings",
    "GatePolicy": "bimcheck.gate", "Verdict": "bimcheck.gate", "gate": "bimcheck.gate",
    "MeshCache": "bimcheck.geometry.cache", "Mesh": "bimcheck.geometry.mesh",
    "Geometry": "bimcheck.geometry.tessellate",
    "TessellationSettings": "bimcheck.geometry.tessellate",
    "tessellate": "bimcheck.geometry.tessellate",
    "inspect_model": "bimcheck.info",
    "Model": "bimcheck.model", "open_model": "bimcheck.model",
    "load_packs": "bimcheck.packs.pack",
    "CheckReport": "bimcheck.run", "run_checks": "bimcheck.run",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bimcheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "BimcheckError",
    "CheckOptions",
    "CheckReport",
    "ClashReport",
    "ElementRef",
    "ExitCode",
    "Finding",
    "GatePolicy",
    "Geometry",
    "GeometryError",
    "Mesh",
    "MeshCache",
    "Model",
    "ModelError",
    "RulePackError",
    "RunContext",
    "SelectorError",
    "TessellationSettings",
    "TessellationTimeout",
    "Verdict",
    "__version__",
    "adhoc_rule",
    "check_models",
    "finding_key",
    "gate",
    "inspect_model",
    "load_clash_rules",
    "load_packs",
    "open_model",
    "run_checks",
    "run_clash",
    "tessellate",
]
