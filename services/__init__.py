"""stinet services."""
