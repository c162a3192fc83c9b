# The two commands: `make run` (whole system, demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench clean-data

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[embedded,dev]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	@scripts/ensure-rabbitmq
	@$(PY) -m devstack

test: $(STAMP)
	@scripts/ensure-rabbitmq
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check .

bench: $(STAMP)
	@scripts/ensure-rabbitmq
	@$(PY) -m bench

clean-data:
	rm -rf .data
