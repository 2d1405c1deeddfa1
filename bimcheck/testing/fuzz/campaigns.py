"""The fuzz campaigns: for each input kind, how its cases are made.

A campaign ``(folder, count, seed) -> list[Case]`` writes its inputs under
``folder`` and returns the command lines that read them. Models and packs are
the project's own samples (``samples/``, ``rules/``), found from the package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bimcheck.packs.loader import builtin_rules_dir
from bimcheck.testing.fuzz import data_mutations as dm
from bimcheck.testing.fuzz import ifc_mutations, zip_mutations
from bimcheck.testing.fuzz.runner import Case

Campaign = Callable[[Path, int, int], list[Case]]


def samples_dir() -> Path:
    """The source tree's ``samples/`` folder."""
    return builtin_rules_dir().parent / "samples"


#: Time limit given to every command of a campaign (``--timeout``), in
#: seconds: the runner's own limit is longer, so a command that does not stop
#: by itself is a hang.
COMMAND_TIMEOUT_S = 20

#: The commands each mutated model is given to (``{model}`` and ``{out}`` filled in).
IFC_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("info", "{model}", "--json"),
    ("qto", "{model}", "--no-history", "-o", "{out}.csv"),
    ("clash", "{model}", "--no-history", "-o", "{out}.json"),
    ("check", "{model}", "--no-history", "--out", "{out}"),
)

_LIMITS = ("--timeout", str(COMMAND_TIMEOUT_S))


def ifc_campaign(folder: Path, count: int, seed: int) -> list[Case]:
    """``count`` mutated models (of the samples, in turn), each given to one
    command of :data:`IFC_COMMANDS` in turn."""
    bases = [samples_dir() / n for n in ("qto_m.ifc", "tower_rev_a.ifc", "frame_4d.ifc")]
    datas = [b.read_bytes() for b in bases]
    cache = folder / "cache"
    cases = []
    per_base = -(-count // len(datas))
    serial = 0
    for b, data in enumerate(datas):
        for name, blob in ifc_mutations.mutants(data, per_base, seed=seed * 1000 + b):
            if serial >= count:
                break
            path = folder / f"m{serial:05d}.ifc"
            path.write_bytes(blob)
            cmd = IFC_COMMANDS[serial % len(IFC_COMMANDS)]
            args = tuple(a.format(model=path, out=folder / f"o{serial:05d}") for a in cmd)
            args = (*args, *_LIMITS)
            cases.append(Case(f"ifc/{bases[b].stem}/{name}", args, str(folder),
                              (("BIMCHECK_CACHE", str(cache)),)))
            serial += 1
    return cases


def _file_campaign(seed_text: bytes, suffix: str, mutations: dict[str, dm.Mutation],
                   command: tuple[str, ...], heavy: frozenset[str] = frozenset()) -> Campaign:
    """A campaign that mutates ``seed_text`` into files ``*{suffix}`` and runs
    ``command`` (``{input}``, ``{out}``, ``{samples}`` filled in) on each."""
    def campaign(folder: Path, count: int, seed: int) -> list[Case]:
        cache = folder / "cache"
        cases = []
        for serial, (name, blob) in enumerate(
                dm.mutants(seed_text, mutations, count, seed=seed, heavy=heavy)):
            path = folder / f"i{serial:05d}{suffix}"
            path.write_bytes(blob)
            out = folder / f"o{serial:05d}"
            args = tuple(a.format(input=path, out=out, samples=samples_dir()) for a in command)
            cases.append(Case(f"{suffix.lstrip('.')}/{name}", (*args, *_LIMITS), str(folder),
                              (("BIMCHECK_CACHE", str(cache)),)))
        return cases
    return campaign


def _sample(name: str) -> bytes:
    return (samples_dir() / name).read_bytes()


def _rules(name: str) -> bytes:
    return (builtin_rules_dir() / name).read_bytes()


_GATE = b"fail_on: high\nmax_per_rule:\n  CL001: 0\n  CL002: 3\nnew_only: false\n"
_WAIVERS = (b"waivers:\n  - key: CL001/hard/abc\n    reason: accepted by the designer\n"
            b"    owner: li.wei\n    expires: 2027-06-30\n")
_MANIFEST = (b"projects:\n  - name: qto\n    revisions:\n"
             b"      - {path: {samples}/qto_m.ifc, label: m}\n")


def _campaigns() -> dict[str, Campaign]:
    qto_model = "{samples}/qto_m.ifc"
    return {
        "ifc": ifc_campaign,
        "ifczip": zip_mutations.campaign,
        "clash-pack": _file_campaign(
            _rules("clash/default.yaml"), ".yaml", dm.YAML_MUTATIONS,
            ("clash", qto_model, "--rules", "{input}", "--no-history", "-o", "{out}.json"),
            dm.YAML_HEAVY),
        "qto-pack": _file_campaign(
            _rules("qto/ifc-base.yaml"), ".yaml", dm.YAML_MUTATIONS,
            ("qto", qto_model, "--rules", "{input}", "--no-history", "-o", "{out}.csv"),
            dm.YAML_HEAVY),
        "lift-plan": _file_campaign(
            _sample("tower.lift.yaml"), ".lift.yaml", dm.YAML_MUTATIONS,
            ("crane", "{samples}/tower_rev_a.ifc", "{input}", "-o", "{out}.json"),
            dm.YAML_HEAVY),
        "rate-table": _file_campaign(
            _sample("tower.rates.csv"), ".csv", dm.CSV_MUTATIONS,
            ("price", "{samples}/tower_rev_a.ifc", "{samples}/tower_rev_b.ifc", "--rules",
             "{samples}/tower.bill.yaml", "--rates", "{input}", "--no-history",
             "-o", "{out}.xlsx"), frozenset({"huge-file"})),
        "bill-pack": _file_campaign(
            _sample("tower.bill.yaml"), ".yaml", dm.YAML_MUTATIONS,
            ("price", "{samples}/tower_rev_a.ifc", "{samples}/tower_rev_b.ifc", "--rules",
             "{input}", "--rates", "{samples}/tower.rates.csv", "--no-history",
             "-o", "{out}.json"), dm.YAML_HEAVY),
        "gate": _file_campaign(
            _GATE, ".yaml", dm.YAML_MUTATIONS,
            ("check", qto_model, "--gate", "{input}", "--no-history", "--out", "{out}"),
            dm.YAML_HEAVY),
        "waivers": _file_campaign(
            _WAIVERS, ".yaml", dm.YAML_MUTATIONS,
            ("check", qto_model, "--waivers", "{input}", "--no-history", "--out", "{out}"),
            dm.YAML_HEAVY),
        "manifest": _file_campaign(
            _MANIFEST.replace(b"{samples}", str(samples_dir()).encode()), ".yaml",
            dm.YAML_MUTATIONS,
            ("batch", "{input}", "--out", "{out}", "--db", "{out}.sqlite", "-j", "1"),
            dm.YAML_HEAVY),
        "ids": _file_campaign(
            _IDS, ".ids", dm.XML_MUTATIONS,
            ("check", qto_model, "--rules", "{input}", "--no-history", "--out", "{out}")),
    }


_IDS = b"""<?xml version="1.0" encoding="UTF-8"?>
<ids:ids xmlns:ids="http://standards.buildingsmart.org/IDS"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://standards.buildingsmart.org/IDS
  http://standards.buildingsmart.org/IDS/1.0/ids.xsd">
  <ids:info>
    <ids:title>walls have a fire rating</ids:title>
  </ids:info>
  <ids:specifications>
    <ids:specification name="Fire rating" ifcVersion="IFC4">
      <ids:applicability minOccurs="0" maxOccurs="unbounded">
        <ids:entity><ids:name><ids:simpleValue>IFCWALL</ids:simpleValue></ids:name></ids:entity>
      </ids:applicability>
      <ids:requirements>
        <ids:property dataType="IFCLABEL">
          <ids:propertySet><ids:simpleValue>Pset_WallCommon</ids:simpleValue></ids:propertySet>
          <ids:baseName><ids:simpleValue>FireRating</ids:simpleValue></ids:baseName>
        </ids:property>
      </ids:requirements>
    </ids:specification>
  </ids:specifications>
</ids:ids>
"""

CAMPAIGNS: dict[str, Campaign] = _campaigns()
