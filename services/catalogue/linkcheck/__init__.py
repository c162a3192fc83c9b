"""The catalogue's link checker (docs/thanh-vien/chat-luong.md): record ``url`` and member
``website`` checked on change and every ``LINKCHECK_INTERVAL_DAYS``, politely, SSRF-safe; broken
after two
failed checks in a row.

Here: its domain (``domain``), per-host politeness, metrics and use cases (``sweep``). Its
ports are in ``services/catalogue/ports.py`` (``LinkStore``, ``ChangedRecords``,
``LinkChecker``), their adapters in ``services/catalogue/adapters/`` (``linkcheck_store``,
``link_checker``); the catalogue's bootstrap wires them and starts the sweep.
"""
