"""Test overrides: real PostgreSQL and Redis (URLs from the environment), fast hashing."""

import os

os.environ.setdefault("TABLECAST_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tablecast")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/1")


def _own_redis_database(variable: str, number: int) -> None:
    """Point the Redis URL in ``variable`` at database ``number`` (same server)."""
    scheme, rest = os.environ[variable].split("://", 1)
    os.environ[variable] = f"{scheme}://{rest.split('/', 1)[0]}/{number}"


# `pytest -n N` (make test): each xdist worker ("gw0", "gw1", …) has its own test database
# (pytest-django names it) and its own Redis databases for the broker and the cache, so one
# worker's queue purges and cache clears never touch another's. Set in the environment, so the
# Celery worker and beat processes a test starts (posting/chaos.py) inherit them. Redis has 16
# databases: 0 and 1 for a run without xdist, two per worker after them (docs/recipes.md).
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw"):
    _n = int(_xdist_worker[2:])
    if 3 + 2 * _n > 15:
        raise RuntimeError("At most 7 test workers (pytest -n 7): Redis has 16 databases.")
    _own_redis_database("CELERY_BROKER_URL", 2 + 2 * _n)
    _own_redis_database("CACHE_URL", 3 + 2 * _n)

from config.settings import *  # noqa: E402, F403
from config.settings import BASE_DIR, INSTALLED_APPS  # noqa: E402

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
