from services.notify.bootstrap import create_app
from shared.config import load_settings
from shared.runtime import serve


def main() -> None:
    settings = load_settings()
    serve(
        lambda: create_app(settings), service="notify", port=settings.notify_port, settings=settings
    )


if __name__ == "__main__":
    main()
