"""`.env.example` documents every variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_the_settings_read_is_documented():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'(?:env(?:\.\w+)?|_required)\(\s*"([A-Z][A-Z0-9_]+)"', settings_source))
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert read, "the pattern found no variables: it is broken"
    assert sorted(read - documented) == []


def example_values() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text()
    return dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, re.M))


def test_a_copy_of_env_example_starts_the_app_with_the_defaults():
    """`cp .env.example .env` is what a new developer does first: every empty `NAME=` means the
    documented default (SQLite, a cache in files every process shares), not a crash parsing ""."""
    import os
    import subprocess
    import sys

    values = example_values()
    assert values["DATABASE_URL"] == "" and values["CACHE_URL"] == ""  # the case under test
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "CACHE_", "DATABASE_", "TABLECAST_"))
    }
    env.update(values)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.ASSET_MAX_PIXELS, bool(s.FIELD_ENCRYPTION_KEYS))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.filebased.FileBasedCache",  # shared by the web workers
        "40000000",
        "True",
    ]
