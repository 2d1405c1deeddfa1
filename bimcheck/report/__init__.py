"""Reports: turn findings and quantities into files. Never imports IfcOpenShell."""
