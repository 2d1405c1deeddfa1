"""bimcheck: clash, crane-lift, quantity and revision checks for IFC models.

The small public API::

    import bimcheck
    model = bimcheck.open_model("tower.ifc")
    geometry = bimcheck.tessellate(model, model.select("IfcWall"), cache=bimcheck.MeshCache())
    report = bimcheck.run_clash([model], bimcheck.load_clash_rules(), cache=bimcheck.MeshCache())
    report.as_dict()   # the JSON document of docs/clash.md
"""

from bimcheck._version import __version__
from bimcheck.clash.rules import adhoc_rule, load_clash_rules
from bimcheck.clash.run import ClashReport, run_clash
from bimcheck.errors import (
    BimcheckError,
    GeometryError,
    ModelError,
    RulePackError,
    SelectorError,
    TessellationTimeout,
)
from bimcheck.geometry.cache import MeshCache
from bimcheck.geometry.mesh import Mesh
from bimcheck.geometry.tessellate import Geometry, TessellationSettings, tessellate
from bimcheck.info import inspect_model
from bimcheck.model import Model, open_model

__all__ = [
    "BimcheckError",
    "ClashReport",
    "Geometry",
    "GeometryError",
    "Mesh",
    "MeshCache",
    "Model",
    "ModelError",
    "RulePackError",
    "SelectorError",
    "TessellationSettings",
    "TessellationTimeout",
    "__version__",
    "adhoc_rule",
    "inspect_model",
    "load_clash_rules",
    "open_model",
    "run_clash",
    "tessellate",
]
