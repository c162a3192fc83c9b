"""The OAI-PMH 2.0 provider of the union catalogue (issue 7): its request rules
(``domain``), response documents (``render``), settings (``config``) and use case
(``provider.OaiProvider``).

It reads through the ``OaiRecords`` port (``services/catalogue/ports.py``; on MongoDB:
``services/catalogue/adapters/oai_store.py``); its route is
``services/catalogue/entrypoints/oai.py``; the catalogue's bootstrap wires them.
"""
