"""Statuses of findings between two consecutive runs of one project and
command (pure: no database).

The previous run leaves a set of *open* findings: those it found (``new``,
``active``) and those it could not retest (``unretested``, carried from
earlier runs). Against the findings of the new run, matched by key:

* a finding of the new run is ``active`` when its key is open, else ``new``
  (a resolved finding that comes back is therefore ``new`` again);
* an open finding the new run did not find is ``unretested`` when the new run
  could not have found it, else ``resolved``. It could not when its rule did
  not run, when the rule's selectors matched nothing, when one of its
  elements is not in the new model (a clash with a deleted element is
  unretested, never resolved: nothing tested that the clash went away), or,
  for a rule that needs meshes, when one of its elements has no mesh in the
  new run (its geometry failed or it lost its body).

An unretested finding stays open and is carried to the next run with the
reason; it is resolved or active once a run retests it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

#: Statuses the history gives, in report order.
HISTORY_STATUSES: tuple[str, ...] = ("new", "active", "resolved", "unretested")
#: Statuses that keep a finding open for the next run.
OPEN_STATUSES: tuple[str, ...] = ("new", "active", "unretested")


@dataclass(frozen=True)
class FindingRecord:
    """A finding as the history keeps it: key, rule, kind, severity, message
    and the GlobalIds of its elements (sorted)."""

    key: str
    rule: str
    kind: str
    severity: str
    message: str
    elements: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "rule": self.rule, "kind": self.kind,
                "severity": self.severity, "message": self.message,
                "elements": list(self.elements)}


@dataclass(frozen=True)
class OpenFinding:
    """A finding open after a run: the record, its status in that run and the
    id of the run where it was first found (this time: a resolved finding
    that came back starts again)."""

    record: FindingRecord
    status: str
    first_run: int


@dataclass(frozen=True)
class Gone:
    """An open finding the new run did not find: ``resolved`` or
    ``unretested`` (with why)."""

    record: FindingRecord
    status: str
    reason: str | None
    first_run: int

    def as_dict(self) -> dict[str, object]:
        return {**self.record.as_dict(), "status": self.status, "reason": self.reason,
                "first_run": self.first_run}


@dataclass
class Comparison:
    """The statuses of one run against the previous one's open findings."""

    #: key → ``new`` or ``active`` for every finding of the new run.
    statuses: dict[str, str] = field(default_factory=dict)
    #: key → run id where the finding's current streak began (``None``: this run).
    first_run: dict[str, int | None] = field(default_factory=dict)
    #: The previous open findings not found again, sorted by (rule, key).
    gone: list[Gone] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Findings by history status (every status, zeros included)."""
        out = dict.fromkeys(HISTORY_STATUSES, 0)
        for s in self.statuses.values():
            out[s] += 1
        for g in self.gone:
            out[g.status] += 1
        return out


def why_unretested(record: FindingRecord, rules_run: Collection[str],
                   rules_empty: Collection[str], elements: Collection[str],
                   unmeshed: Collection[str] = (),
                   mesh_rules: Collection[str] = ()) -> str | None:
    """Why the new run could not have found ``record`` again, or ``None`` when
    it could (so its absence means resolved). ``unmeshed``: GlobalIds without
    a mesh in the new run; ``mesh_rules``: the rules that need meshes."""
    if record.rule not in rules_run:
        return f"rule {record.rule} did not run"
    if record.rule in rules_empty:
        return f"rule {record.rule}: its selectors matched nothing"
    missing = [g for g in record.elements if g not in elements]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        return f"element {missing[0]}{more} not in the model"
    if record.rule in mesh_rules:
        bare = [g for g in record.elements if g in unmeshed]
        if bare:
            return f"element {bare[0]} has no mesh in this run"
    return None


def compare(previous: Mapping[str, OpenFinding], current: Sequence[FindingRecord], *,
            rules_run: Collection[str], rules_empty: Collection[str],
            elements: Collection[str], unmeshed: Collection[str] = (),
            mesh_rules: Collection[str] = ()) -> Comparison:
    """The statuses of ``current`` against the ``previous`` run's open
    findings (by key); see the module docstring. ``elements`` are the
    GlobalIds of the new run's models; ``unmeshed`` those without a mesh in
    it, which the ``mesh_rules`` could not test."""
    out = Comparison()
    found = set()
    for f in current:
        found.add(f.key)
        before = previous.get(f.key)
        out.statuses[f.key] = "active" if before is not None else "new"
        out.first_run[f.key] = None if before is None else before.first_run
    elements = elements if isinstance(elements, set | frozenset) else set(elements)
    unmeshed, mesh_rules = set(unmeshed), set(mesh_rules)
    for key in sorted(set(previous) - found, key=lambda k: (previous[k].record.rule, k)):
        before = previous[key]
        reason = why_unretested(before.record, rules_run, rules_empty, elements, unmeshed,
                                mesh_rules)
        out.gone.append(Gone(before.record, "unretested" if reason else "resolved", reason,
                             before.first_run))
    return out
