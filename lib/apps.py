from django.apps import AppConfig


class LibConfig(AppConfig):
    """Not a domain app: shared helpers (crypto, logging, checks). Registered for its checks and
    management commands."""

    name = "lib"
    label = "lib"

    def ready(self) -> None:
        from lib import checks  # noqa: F401  (registers deploy checks)
