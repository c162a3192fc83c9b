"""OAI-PMH harvesting of members' repositories (issue 7): its domain (``domain``,
``mapping``), settings (``config``) and use case (``runner.Harvester``).

Its ports are in ``services/ingest/ports.py`` (``HarvestStore``, ``OaiRepositories``,
``Submit``), their adapters in ``services/ingest/adapters/`` (``harvest_store``,
``oai_client``), its routes in ``services/ingest/entrypoints/harvest.py``; the ingest
bootstrap wires them (``build_harvest``).
"""
