"""bimcheck: clash, crane-lift, quantity and revision checks for IFC models."""

__version__ = "0.1.0"
