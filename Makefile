# The two commands: `make run` (whole system, demo data) and `make test`.
# Both create/update .venv from pyproject.toml and make sure a RabbitMQ answers: the AMQP_URL
# that scripts/ensure-rabbitmq prints (the given one, or the project's own node's if the
# given local broker hangs) is the one they use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Two workers: most tests wait on processes, brokers and browsers, not on the CPU. Tests are
# dealt out one by one (--dist load): keeping the whole-stack tests in one worker made that
# worker's SecantusDB the bottleneck (a restarted catalogue took 38 s to read 4,500 records).
PYTEST_ARGS ?= -q -ra -n 2 --dist load
BENCH ?=

.PHONY: run test lint bench clean-data

# Re-install when pyproject.toml changes; the stamp is written only after a full success.
$(STAMP): pyproject.toml scripts/ensure-venv
	@PYTHON=$(PYTHON) scripts/ensure-venv $(VENV)
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	@url="$$(scripts/ensure-rabbitmq)" && AMQP_URL="$$url" exec $(PY) -m devstack

test: $(STAMP)
	@url="$$(scripts/ensure-rabbitmq)" && AMQP_URL="$$url" exec $(PY) -m pytest $(PYTEST_ARGS)

# `make lint`: the house style, checked (docs/operators/contributing.md). Configured in
# pyproject.toml: [tool.ruff], [tool.mypy] (strict on shared/ and the domains), [tool.importlinter].
lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/lint-imports --no-cache

# `make bench` runs every bench/*.py that has a __main__ block; `make bench BENCH=e2e_throughput` runs one.
bench: $(STAMP)
	@set -e; AMQP_URL="$$(scripts/ensure-rabbitmq)"; export AMQP_URL; \
	if [ -n "$(BENCH)" ]; then modules="$(BENCH)"; \
	else modules=$$(grep -l '__name__ == "__main__"' bench/*.py | xargs -n1 basename | sed 's/\.py$$//'); fi; \
	for m in $$modules; do echo "== bench.$$m"; $(PY) -m bench.$$m; done

clean-data:
	rm -rf .data
