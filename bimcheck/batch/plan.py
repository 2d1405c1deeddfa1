"""A batch planned before any long work: every project's inputs read and
checked (packs, lift plan, gate, rate table, measurement pack: a bad one
stops the batch with exit 2, naming the file), every model's size and
digest, and each revision's resume key.

**Resume key** of a revision: the BLAKE2b digest of the bimcheck version,
the project and label, the model's digest, the digests of the packs, lift
plan, gate, rate table and measurement pack, the options that change
results (``--fail-on``), and the previous revision's key (so a revision is
redone when the one it is compared with changed). A revision whose key has
results in the store, with its files unchanged on disk, is reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from bimcheck import limits
from bimcheck._version import __version__
from bimcheck.batch.manifest import Manifest, Project, Revision
from bimcheck.model import content_digest

#: Default per-model time-out (s) and largest model file (bytes) of a batch:
#: those of every command (:mod:`bimcheck.limits`).
DEFAULT_TIMEOUT_S = limits.DEFAULT_TIMEOUT_S
DEFAULT_MAX_FILE_SIZE = limits.DEFAULT_MAX_FILE_BYTES


@dataclass(frozen=True)
class ProjectInputs:
    """A project's inputs as read once by the driver, with their digests."""

    project: Project
    digests: dict[str, Any]


@dataclass
class Item:
    """One revision of the plan, in batch order (``position``)."""

    position: int
    project: Project
    revision: Revision
    index: int
    key: str
    digest: str
    size: int
    previous: Item | None = None
    #: Why it is not run ("over the size limit"), when it is not.
    refused: str | None = None

    @property
    def folder(self) -> str:
        """The revision's folder under ``--out``: ``<project>/<label>``."""
        return f"{self.project.name}/{self.revision.label}"


def read_inputs(project: Project) -> ProjectInputs:
    """Load and check the project's packs, lift plan, gate, rate table and
    measurement pack (a :class:`~bimcheck.errors.BimcheckError` naming the
    file otherwise) and take their digests."""
    from bimcheck.check import crane_pack_path
    from bimcheck.crane.plan import load_lift_plan
    from bimcheck.diff.rates import load_rates
    from bimcheck.gate import load_gate
    from bimcheck.packs.pack import load_pack, load_packs
    from bimcheck.qto.rules import default_qto_pack_path

    packs = load_packs(list(project.rules))
    digests: dict[str, Any] = {"packs": [p.digest for p in packs]}
    if project.lift_plan is not None:
        load_lift_plan(project.lift_plan)
        digests["lift_plan"] = content_digest(project.lift_plan)
        if not any(r.family == "crane" for p in packs for r in p.rules):
            digests["crane_pack"] = load_packs([crane_pack_path()])[0].digest
    if project.gate is not None:
        load_gate(project.gate)
        digests["gate"] = content_digest(project.gate)
    if project.rates is not None:
        digests["rates"] = load_rates(project.rates).digest
    price = project.price_rules or default_qto_pack_path()
    digests["price_rules"] = load_pack(price, family="qto").digest
    return ProjectInputs(project, digests)


def revision_key(inputs: ProjectInputs, revision: Revision, digest: str,
                 previous: str | None, options: dict[str, Any]) -> str:
    """The resume key (see the module)."""
    doc = {"version": __version__, "project": inputs.project.name, "label": revision.label,
           "model": digest, "inputs": inputs.digests, "options": options,
           "previous": previous}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()


def plan_batch(manifest: Manifest, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE,
               options: dict[str, Any] | None = None) -> list[Item]:
    """Every revision of the manifest in batch order, with its key; a model
    over ``max_file_size`` bytes is planned as refused (reported in its place)."""
    options = dict(options or {})
    items: list[Item] = []
    for project in manifest.projects:
        inputs = read_inputs(project)
        previous: Item | None = None
        for index, revision in enumerate(project.revisions):
            size = os.stat(revision.path).st_size
            refused = None
            if size > max_file_size:
                refused = (f"{revision.path.name}: {size / 1024**2:.1f} MiB is over the size "
                           f"limit of {max_file_size / 1024**2:.1f} MiB (--max-file-size)")
                digest = f"size:{size}"
            else:
                digest = content_digest(revision.path)
            key = revision_key(inputs, revision, digest,
                               None if previous is None else previous.key, options)
            item = Item(len(items), project, revision, index, key, digest, size,
                        previous=previous, refused=refused)
            items.append(item)
            previous = item
    return items


def batch_digest(items: list[Item]) -> str:
    """The digest of the whole plan (its keys in order): a batch started
    again on the same plan, after one was stopped, continues that batch."""
    h = hashlib.blake2b(digest_size=20)
    for item in items:
        h.update(item.key.encode("ascii") + b"\n")
    return h.hexdigest()
