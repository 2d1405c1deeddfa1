"""Fuzz and mutation runs of bimcheck's commands on hostile input.

:mod:`.runner` runs command lines in forked, time- and memory-limited
children and classifies what they did; the ``*_mutations`` modules make the
inputs (broken IFC files, packs, plans, rate tables, waivers, archives);
``python -m bimcheck.testing.fuzz`` runs a campaign and prints its table
(docs/reliability.md). Nothing in here is used by the bimcheck library.
"""
