"""Batch runs over many projects and revisions (issue 15, in progress):
:mod:`~bimcheck.batch.manifest` reads what to run (a manifest or a folder)."""

from bimcheck.batch.manifest import Manifest, Project, Revision, discover, load_manifest

__all__ = ["Manifest", "Project", "Revision", "discover", "load_manifest"]
