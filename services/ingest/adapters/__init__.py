"""Adapters of ingest's ports: MongoDB storage, RabbitMQ publishing."""
