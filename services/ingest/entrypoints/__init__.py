"""Ingest's entrypoints: HTTP routes and event subscribers."""
