# The two commands: `make run` (whole system, demo data) and `make test`.
# Both create/update .venv from pyproject.toml and make sure a RabbitMQ answers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?= -q -ra
BENCH ?=

.PHONY: run test lint bench clean-data

# Re-install when pyproject.toml changes; the stamp is written only after a full success.
$(STAMP): pyproject.toml scripts/ensure-venv
	@PYTHON=$(PYTHON) scripts/ensure-venv $(VENV)
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	@scripts/ensure-rabbitmq
	@$(PY) -m devstack

test: $(STAMP)
	@scripts/ensure-rabbitmq
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

# `make bench` runs every bench/*.py that has a __main__ block; `make bench BENCH=e2e_throughput` runs one.
bench: $(STAMP)
	@scripts/ensure-rabbitmq
	@set -e; \
	if [ -n "$(BENCH)" ]; then modules="$(BENCH)"; \
	else modules=$$(grep -l '__name__ == "__main__"' bench/*.py | xargs -n1 basename | sed 's/\.py$$//'); fi; \
	for m in $$modules; do echo "== bench.$$m"; $(PY) -m bench.$$m; done

clean-data:
	rm -rf .data
