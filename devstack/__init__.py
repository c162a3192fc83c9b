"""Run the whole system on one machine: the embedded default (make run, e2e tests)."""
