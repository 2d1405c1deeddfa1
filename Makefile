# The README's two commands: `make demo` and `make test`. Everything else is internal.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint samples bench clean bytecode browser

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "bimcheck needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Byte-compile bimcheck ahead of time: with PYTHONDONTWRITEBYTECODE set (as on
# the CI machines) every command would otherwise recompile every module at
# start-up (~0.15 s). Only changed modules are recompiled.
bytecode: $(STAMP)
	$(PY) -m compileall -q bimcheck

# Headless Chromium for tests/browser (Debian's packages; no browser download).
browser:
	test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends chromium chromium-driver)

demo: $(STAMP) bytecode
	mkdir -p reports
	for f in samples/*.ifc; do \
		n=$$(basename $$f .ifc); \
		$(VENV)/bin/bimcheck info $$f --json -o reports/$$n.info.json --overwrite || exit $$?; \
		$(VENV)/bin/bimcheck info $$f; \
	done
	for n in tower_rev_a tower_rev_b; do \
		$(VENV)/bin/bimcheck clash samples/$$n.ifc -o reports/$$n.clashes.json --no-history \
			--csv reports/$$n.clashes.csv --bcf reports/$$n.clashes.bcf --overwrite || exit $$?; \
	done
	$(VENV)/bin/bimcheck qto samples/qto_m.ifc --no-history --group-by storey -o reports/qto_m.takeoff.json --overwrite
	$(VENV)/bin/bimcheck qto samples/qto_m.ifc --no-history -o reports/qto_m.takeoff.csv --overwrite
	$(VENV)/bin/bimcheck qto samples/qto_m.ifc --no-history --group-by storey -o reports/qto_m.takeoff.xlsx --overwrite
	$(VENV)/bin/bimcheck qto samples/qto_m.ifc --no-history --rules rules/qto/gb50854.yaml -o reports/qto_m.gb50854.csv --overwrite
	$(VENV)/bin/bimcheck qto samples/qto_m.ifc --no-history --rules rules/qto/gb50854.yaml -o reports/qto_m.gb50854.xlsx --overwrite
	$(VENV)/bin/bimcheck qto samples/qto_m.ifc --no-history --group-by storey
	$(VENV)/bin/bimcheck crane samples/tower_rev_a.ifc samples/tower.lift.yaml -o reports/tower.lifts.json \
		--html reports/tower.lifts.html --bcf reports/tower.lifts.bcf --overwrite
	$(VENV)/bin/bimcheck crane samples/tower_rev_a.ifc samples/tower.lift.yaml
	# obstacles at lift time (docs/crane.md): one lift against the finished frame, on its date, ...
	$(VENV)/bin/bimcheck crane samples/frame_4d.ifc samples/frame_4d.lift.yaml -o reports/frame_4d.lifts.json --overwrite
	$(VENV)/bin/bimcheck crane samples/frame_4d.ifc samples/frame_4d.lift.yaml
	$(VENV)/bin/bimcheck check samples/tower_rev_a.ifc --lift-plan samples/tower.lift.yaml \
		--out reports/tower_rev_a --overwrite --no-history
	$(VENV)/bin/bimcheck check samples/tower_rev_b.ifc --lift-plan samples/tower.lift.yaml \
		--baseline reports/tower_rev_a/report.json --out reports/tower_rev_b --overwrite --no-history
	# revision diff and the priced change order of rev A -> rev B (docs/diff.md, docs/price.md)
	$(VENV)/bin/bimcheck diff samples/tower_rev_a.ifc samples/tower_rev_b.ifc -o reports/tower.diff.json \
		--html reports/tower.diff.html --bcf reports/tower.diff.bcf --overwrite
	$(VENV)/bin/bimcheck diff samples/tower_rev_a.ifc samples/tower_rev_b.ifc
	for f in json xlsx; do \
		$(VENV)/bin/bimcheck price samples/tower_rev_a.ifc samples/tower_rev_b.ifc --no-history \
			--rules samples/tower.bill.yaml --rates samples/tower.rates.csv \
			-o reports/tower.change_order.$$f --overwrite || exit $$?; \
	done
	$(VENV)/bin/bimcheck price samples/tower_rev_a.ifc samples/tower_rev_b.ifc --no-history \
		--rules samples/tower.bill.yaml --rates samples/tower.rates.csv
	# run history (docs/history.md): its own database in .bimcheck/ (git-ignored), made afresh
	rm -f .bimcheck/demo.sqlite .bimcheck/demo.sqlite-wal .bimcheck/demo.sqlite-shm
	for n in tower_rev_a tower_rev_b; do \
		$(VENV)/bin/bimcheck check samples/$$n.ifc --db .bimcheck/demo.sqlite \
			--out .bimcheck/demo/$$n --overwrite || exit $$?; \
	done
	$(VENV)/bin/bimcheck history --db .bimcheck/demo.sqlite
	# a portfolio batch (docs/batch.md): reports/batch/dashboard.html and digest.md; run
	# again, it reuses every revision (its database remembers what is done)
	rm -f .bimcheck/batch.sqlite .bimcheck/batch.sqlite-wal .bimcheck/batch.sqlite-shm
	$(VENV)/bin/bimcheck batch samples/portfolio.yaml --out reports/batch --db .bimcheck/batch.sqlite
	$(VENV)/bin/bimcheck batch samples/portfolio.yaml --out reports/batch --db .bimcheck/batch.sqlite

test: $(STAMP) bytecode browser
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check bimcheck tests benchmarks samples

samples: $(STAMP)
	$(PY) samples/build_samples.py
	$(PY) samples/build_qto_samples.py
	$(PY) samples/build_schedule_sample.py

clean:
	rm -rf $(VENV) .pytest_cache
