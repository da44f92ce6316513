from django.apps import AppConfig


class EncryptionAppConfig(AppConfig):
    """Test-only models for lib/crypto.py (installed by config/test_settings.py only)."""

    name = "lib.tests.encryption_app"
    label = "encryption_app"
