"""bimcheck: clash, crane-lift, quantity and revision checks for IFC models.

The small public API::

    import bimcheck
    model = bimcheck.open_model("tower.ifc")
    geometry = bimcheck.tessellate(model, model.select("IfcWall"), cache=bimcheck.MeshCache())
"""

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

__version__ = "0.1.0"

__all__ = [
    "BimcheckError",
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
    "inspect_model",
    "open_model",
    "tessellate",
]
