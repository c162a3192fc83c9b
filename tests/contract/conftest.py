"""The four services as real processes, for the contract check (the e2e suite's stack)."""

from tests.e2e.conftest import stack, stack_mongo_url

__all__ = ["stack", "stack_mongo_url"]
