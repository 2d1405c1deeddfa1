"""Batch runs over many projects and revisions (``bimcheck batch``, docs/batch.md).

* :mod:`~bimcheck.batch.manifest`: what to run (a manifest or a folder).
* :mod:`~bimcheck.batch.plan`: inputs read and checked, sizes, digests, resume keys.
* :mod:`~bimcheck.batch.spec`: tasks and outcomes as plain data (paths or bytes).
* :mod:`~bimcheck.batch.work`: a task's work (check; diff and price).
* :mod:`~bimcheck.batch.isolate`: each task in its own child process.
* :mod:`~bimcheck.batch.engines`: local worker processes or a Dask cluster.
* :mod:`~bimcheck.batch.runner`: the batch end to end; :mod:`~bimcheck.batch.finish`
  one revision's history transaction and files; :mod:`~bimcheck.batch.ledger` the
  batch's rows in the history database.
* :mod:`~bimcheck.batch.summary`, :mod:`~bimcheck.batch.portfolio`: what the
  dashboard and the digest are made from.
"""

from bimcheck.batch.manifest import Manifest, Project, Revision, discover, load_manifest

__all__ = ["Manifest", "Project", "Revision", "discover", "load_manifest"]
