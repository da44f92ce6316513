from django.apps import AppConfig


class LibConfig(AppConfig):
    """Not a domain app: shared helpers (crypto, logging, checks). Registered for its checks and
    management commands."""

    name = "lib"
    label = "lib"

    def ready(self) -> None:
        from lib import checks  # noqa: F401  (registers the system and deploy checks)
        from lib.crypto import keyring

        # Missing or malformed field-encryption keys stop every process (web, worker, beat,
        # manage.py) at start with ImproperlyConfigured naming the problem.
        keyring()
