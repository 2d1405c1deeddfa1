"""The CI gate: does a check report pass the project's policy?

:func:`gate` takes a :class:`~bimcheck.run.CheckReport`, a :class:`GatePolicy`
(``--fail-on SEVERITY`` or a ``gate.yaml``), optionally the keys of a
baseline report (a previous ``report.json``) and waivers, and returns the
report with each finding's status set and a :class:`Verdict`.

* Status: ``new`` / ``existing`` against the baseline (``open`` without one);
  ``waived`` when a waiver that has not expired names its key.
* Approved keys (review state ``approved`` in the run history, see
  docs/history.md) keep their status but are not counted, like waived ones;
  the verdict lists them (``approved``).
* The findings the gate counts: not waived, not approved, and with
  ``new_only`` only new ones.
* It fails when a counted finding is at or above ``fail_on``, when a rule
  has more counted findings than its ``max_per_rule``, or when an expired
  waiver names a finding that is still there (the line names the waiver).
* A waiver that names no finding of the report is stale: listed, not failing.

``gate.yaml``::

    fail_on: high            # critical | high | medium | low | info
    max_per_rule: {PR002: 20}
    new_only: true           # with --baseline: only findings new since then count

``waivers.yaml``::

    waivers:
      - key: 3f6d1ee65d0ab6064fd39bb50c92b324   # the finding's key (report.json)
        reason: Pipe sleeve detail agreed with the structural engineer (RFI-112)
        owner: j.chen
        expires: 2027-03-31                     # the waiver ends after this day
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bimcheck.errors import GateError, WaiverError
from bimcheck.packs.loader import load_yaml
from bimcheck.packs.schema import SEVERITIES, severity_rank

#: Largest baseline report read, in bytes (256 MiB).
MAX_BASELINE_BYTES = 256 * 1024 * 1024
#: Most waivers in one file.
MAX_WAIVERS = 100_000

_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class GatePolicy:
    """What fails the gate (see the module docstring)."""

    fail_on: str | None = None
    max_per_rule: dict[str, int] = field(default_factory=dict)
    new_only: bool = False

    @property
    def active(self) -> bool:
        """Whether anything can fail this gate."""
        return self.fail_on is not None or bool(self.max_per_rule)

    def as_dict(self) -> dict[str, Any]:
        return {"fail_on": self.fail_on, "max_per_rule": dict(sorted(self.max_per_rule.items())),
                "new_only": self.new_only}


@dataclass(frozen=True)
class Waiver:
    """A waived finding: its key, why, who, and the last day it holds."""

    key: str
    reason: str
    owner: str
    expires: dt.date
    index: int = 0

    def label(self) -> str:
        return f"waiver #{self.index + 1} ({self.key}, {self.owner}, expires {self.expires})"

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "reason": self.reason, "owner": self.owner,
                "expires": self.expires.isoformat()}


@dataclass
class Verdict:
    """The gate's answer and why."""

    passed: bool
    policy: GatePolicy
    reasons: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    counted: int = 0
    waived: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    expired: list[Waiver] = field(default_factory=list)
    stale: list[Waiver] = field(default_factory=list)
    new: int = 0
    existing: int = 0
    baseline: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "verdict": ("pass" if self.passed else "fail") if self.policy.active else "none",
            "policy": self.policy.as_dict(), "reasons": list(self.reasons),
            "failing": list(self.failing), "counted": self.counted,
            "waived": list(self.waived), "approved": list(self.approved),
            "expired_waivers": [w.as_dict() for w in self.expired],
            "stale_waivers": [w.as_dict() for w in self.stale],
            "baseline": self.baseline, "new": self.new, "existing": self.existing,
        }


def _severity(value: Any, path: Path, where: str) -> str:
    if value not in SEVERITIES:
        raise GateError(f"{where}: must be one of {', '.join(SEVERITIES)}, got {value!r}",
                        path=path)
    return value


def load_gate(path: str | os.PathLike[str]) -> GatePolicy:
    """Read and validate a ``gate.yaml``; GateError naming the file and field."""
    p = Path(path)
    raw = load_yaml(p, what="gate file", error=GateError)
    if not isinstance(raw, dict):
        raise GateError("a gate file must be a mapping (fail_on, max_per_rule, new_only)",
                        path=p)
    unknown = sorted(set(map(str, raw)) - {"fail_on", "max_per_rule", "new_only"})
    if unknown:
        raise GateError(f"{unknown[0]}: unknown field (known: fail_on, max_per_rule, "
                        "new_only)", path=p)
    fail_on = None if raw.get("fail_on") is None else _severity(raw["fail_on"], p, "fail_on")
    limits = raw.get("max_per_rule") or {}
    if not isinstance(limits, dict):
        raise GateError("max_per_rule: expected a mapping of rule id to a count", path=p)
    out = {}
    for rule, n in limits.items():
        if not isinstance(rule, str) or isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise GateError(f"max_per_rule.{rule}: expected a count >= 0, got {n!r}", path=p)
        out[rule] = n
    new_only = raw.get("new_only", False)
    if not isinstance(new_only, bool):
        raise GateError("new_only: must be true or false", path=p)
    return GatePolicy(fail_on=fail_on, max_per_rule=out, new_only=new_only)


def load_waivers(path: str | os.PathLike[str]) -> list[Waiver]:
    """Read and validate a ``waivers.yaml``; WaiverError naming the file, entry and field."""
    p = Path(path)
    raw = load_yaml(p, what="waiver file", error=WaiverError)
    if isinstance(raw, dict) and set(raw) == {"waivers"}:
        raw = raw["waivers"]
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise WaiverError("expected 'waivers:', a list of entries", path=p)
    if len(raw) > MAX_WAIVERS:
        raise WaiverError(f"more than {MAX_WAIVERS} waivers", path=p)
    out: list[Waiver] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"waivers[{i}]"
        if not isinstance(item, dict):
            raise WaiverError(f"{where}: expected a mapping with key, reason, owner, expires",
                              path=p)
        unknown = sorted(set(map(str, item)) - {"key", "reason", "owner", "expires"})
        if unknown:
            raise WaiverError(f"{where}.{unknown[0]}: unknown field", path=p)
        key = item.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise WaiverError(f"{where}.key: expected a finding key (32 hex characters, "
                              f"in quotes), got {key!r}", path=p)
        if key in seen:
            raise WaiverError(f"{where}.key: a second waiver for {key}", path=p)
        seen.add(key)
        texts = {}
        for name in ("reason", "owner"):
            value = item.get(name)
            if not isinstance(value, str) or not value.strip():
                raise WaiverError(f"{where}.{name}: required, a non-empty string", path=p)
            texts[name] = value.strip()
        out.append(Waiver(key, texts["reason"], texts["owner"],
                          _date(item.get("expires"), p, f"{where}.expires"), i))
    return out


def _date(value: Any, path: Path, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise WaiverError(f"{where}: required, a date YYYY-MM-DD, got {value!r}", path=path)


def load_baseline(path: str | os.PathLike[str]) -> set[str]:
    """The finding keys of a previous report (``bimcheck check``'s report.json,
    or ``bimcheck clash``'s JSON); GateError naming the file."""
    p = Path(path)
    try:
        if not p.is_file():
            raise GateError("baseline report: no such file", path=p)
        with p.open("rb") as fh:
            data = fh.read(MAX_BASELINE_BYTES + 1)
    except OSError as exc:
        raise GateError(f"baseline report: cannot read: {exc.strerror or exc}", path=p) from None
    if len(data) > MAX_BASELINE_BYTES:
        raise GateError(f"baseline report is over {MAX_BASELINE_BYTES} bytes", path=p)
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise GateError(f"baseline report is not JSON: {exc}", path=p) from None
    items = None
    if isinstance(doc, dict):
        items = doc.get("findings", doc.get("clashes"))
    if not isinstance(items, list):
        raise GateError("baseline report: expected a bimcheck report with a 'findings' list",
                        path=p)
    keys = set()
    for i, f in enumerate(items):
        key = f.get("key") if isinstance(f, dict) else None
        if not isinstance(key, str) or not _KEY.match(key):
            raise GateError(f"baseline report: findings[{i}] has no valid key", path=p)
        keys.add(key)
    return keys


def gate(report: Any, policy: GatePolicy, *, baseline: Iterable[str] | None = None,
         waivers: Sequence[Waiver] = (), approved: Iterable[str] = (),
         today: dt.date | None = None) -> tuple[Any, Verdict]:
    """``(report with statuses and its gate section, verdict)``; see the module."""
    statuses, verdict = evaluate(report.findings, policy, baseline=baseline, waivers=waivers,
                                 approved=approved, today=today)
    report = report.with_statuses(statuses)
    report.gate = verdict.as_dict()
    return report, verdict


def evaluate(findings: Sequence[Any], policy: GatePolicy, *,
             baseline: Iterable[str] | None = None, waivers: Sequence[Waiver] = (),
             approved: Iterable[str] = (),
             today: dt.date | None = None) -> tuple[dict[str, str], Verdict]:
    """``({key: status}, verdict)`` for ``findings`` (anything with ``key``,
    ``rule`` and ``severity``): the gate of every command. ``approved``: keys
    whose findings are not counted (their status is kept)."""
    today = today or dt.date.today()
    ok = set(approved)
    base = None if baseline is None else set(baseline)
    by_key = {w.key: w for w in waivers}
    present = {f.key for f in findings}
    statuses: dict[str, str] = {}
    verdict = Verdict(passed=True, policy=policy, baseline=base is not None)
    for f in findings:
        status = "open" if base is None else ("existing" if f.key in base else "new")
        if status == "new":
            verdict.new += 1
        elif status == "existing":
            verdict.existing += 1
        w = by_key.get(f.key)
        if w is not None and w.expires >= today:
            status = "waived"
        statuses[f.key] = status
    for w in waivers:
        if w.key not in present:
            verdict.stale.append(w)
        elif w.expires < today:
            verdict.expired.append(w)
    verdict.approved = sorted(k for k in present if k in ok and statuses[k] != "waived")
    counted = [f for f in findings if statuses[f.key] != "waived" and f.key not in ok
               and (not policy.new_only or base is None or statuses[f.key] == "new")]
    verdict.counted = len(counted)
    verdict.waived = sorted(k for k, s in statuses.items() if s == "waived")
    failing: set[str] = set()
    if policy.fail_on is not None:
        limit = severity_rank(policy.fail_on)
        over = [f for f in counted if severity_rank(f.severity) <= limit]
        if over:
            failing.update(f.key for f in over)
            scope = " new" if policy.new_only and base is not None else ""
            verdict.reasons.append(f"{len(over)}{scope} finding(s) at or above {policy.fail_on}")
    per_rule = Counter(f.rule for f in counted)
    for rule, limit in sorted(policy.max_per_rule.items()):
        if per_rule.get(rule, 0) > limit:
            failing.update(f.key for f in counted if f.rule == rule)
            verdict.reasons.append(f"rule {rule}: {per_rule[rule]} finding(s), at most {limit} "
                                   "allowed")
    if policy.active:
        for w in verdict.expired:
            failing.add(w.key)
            verdict.reasons.append(f"{w.label()} has expired; its finding is still there")
    verdict.failing = sorted(failing)
    verdict.passed = not verdict.reasons
    return statuses, verdict
