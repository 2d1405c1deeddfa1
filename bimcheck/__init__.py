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

from bimcheck._version import __version__
from bimcheck.check import CheckOptions, check_models
from bimcheck.clash.rules import adhoc_rule, load_clash_rules
from bimcheck.clash.run import ClashReport, run_clash
from bimcheck.context import RunContext
from bimcheck.errors import (
    BimcheckError,
    GeometryError,
    ModelError,
    RulePackError,
    SelectorError,
    TessellationTimeout,
)
from bimcheck.exitcodes import ExitCode
from bimcheck.findings import ElementRef, Finding, finding_key
from bimcheck.gate import GatePolicy, Verdict, gate
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.mesh import Mesh
from bimcheck.geometry.tessellate import Geometry, TessellationSettings, tessellate
from bimcheck.info import inspect_model
from bimcheck.model import Model, open_model
from bimcheck.packs.pack import load_packs
from bimcheck.run import CheckReport, run_checks

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
