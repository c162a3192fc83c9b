"""``python -m services.ingest``: the ingest service (docs/operators/README.md §2 environment
variables)."""

from services.ingest.bootstrap import create_app
from shared.config import load_settings
from shared.runtime import serve


def main() -> None:
    settings = load_settings()
    serve(
        lambda: create_app(settings), service="ingest", port=settings.ingest_port, settings=settings
    )


if __name__ == "__main__":
    main()
