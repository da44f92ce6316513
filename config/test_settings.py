"""Test overrides: real PostgreSQL and Redis (URLs from the environment), fast hashing."""

import os

os.environ.setdefault("TABLECAST_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tablecast")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/1")

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, INSTALLED_APPS

# Test-only models for the encrypted-field tests (lib/tests/test_crypto.py).
INSTALLED_APPS = [*INSTALLED_APPS, "lib.tests.encryption_app"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
FIELD_ENCRYPTION_KEYS = [
    "test2:dGVzdC1rZXktbnVtYmVyLXR3by0zMi1ieXRlcyEhISE=",
    "test1:dGVzdC1rZXktbnVtYmVyLW9uZS0zMi1ieXRlcyEhISE=",
]
STORAGES["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}  # noqa: F405
# Throttle counts in a per-process cache the root conftest empties before every test.
CACHES = {**CACHES, "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405
THROTTLE_CACHE = "throttle"
# Sessions (cached_db) in a per-process cache too: tests that empty the shared Redis cache must
# not turn another worker's session reads into database reads (query-count tests, pytest -n).
CACHES["sessions"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
SESSION_CACHE_ALIAS = "sessions"
