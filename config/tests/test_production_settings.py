"""Production settings, loaded in a subprocess with TABLECAST_ENV=production (item 9, D1):
missing required variables stop the import with the variable's name; the full set gives the
strict security settings; `check --deploy --fail-level WARNING` passes exactly as .ci/run runs it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "TABLECAST_ENV": "production",
    "SECRET_KEY": "ci-" + secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "tablecast.example.com",
    "SITE_URL": "https://tablecast.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "rediscache://127.0.0.1:6379/1",
    "FIELD_ENCRYPTION_KEYS": "ci1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "FACEBOOK_APP_ID": "1234567890123456",
    "FACEBOOK_APP_SECRET": secrets.token_hex(16),
    "FACEBOOK_WEBHOOK_VERIFY_TOKEN": secrets.token_hex(16),
}
# CACHE_URL is not needed to start, but `check --deploy` refuses a per-process cache (lib.E017).
REQUIRED = sorted(set(PRODUCTION_ENV) - {"TABLECAST_ENV", "CACHE_URL"})


def run(code_or_args: str | list[str], **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION_ENV and not key.startswith(("DJANGO_", "CELERY_", "CACHE_"))
    }
    env.update(PRODUCTION_ENV)
    env.update(overrides)  # "" counts as unset (and wins over a developer's .env file)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_required_production_variable_stops_the_import_naming_it(name):
    result = run("import config.settings", **{name: ""})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Set the environment variable {name} (required in production)." in result.stderr


def test_production_settings_are_strict():
    result = run(
        "import json; from config import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'session_secure': s.SESSION_COOKIE_SECURE,"
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'session_httponly': s.SESSION_COOKIE_HTTPONLY,"
        "'samesite': s.SESSION_COOKIE_SAMESITE, 'hsts': s.SECURE_HSTS_SECONDS,"
        "'hsts_sub': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'ssl_redirect': s.SECURE_SSL_REDIRECT,"
        "'exempt': s.SECURE_REDIRECT_EXEMPT, 'xfo': s.X_FRAME_OPTIONS,"
        "'referrer': s.SECURE_REFERRER_POLICY, 'coop': s.SECURE_CROSS_ORIGIN_OPENER_POLICY,"
        "'nosniff': s.SECURE_CONTENT_TYPE_NOSNIFF, 'log_format': s.LOG_FORMAT,"
        "'script_src': [str(v) for v in s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']],"
        "'frame_ancestors': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-ancestors'],"
        "}))"
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "debug": False,
        "session_secure": True,
        "csrf_secure": True,
        "session_httponly": True,
        "samesite": "Lax",
        "hsts": 31_536_000,
        "hsts_sub": True,
        "ssl_redirect": True,
        "exempt": ["^healthz$", "^readyz$"],
        "xfo": "DENY",
        "referrer": "same-origin",
        "coop": "same-origin",
        "nosniff": True,
        "log_format": "json",
        "script_src": ["'self'", "csp.constants.NONCE"],
        "frame_ancestors": ["'none'"],
    }


@pytest.mark.parametrize(("value", "threshold"), [(None, 5), ("false", None), ("true", 5)])
def test_prepared_statements_are_on_unless_a_pooler_needs_them_off(value, threshold):
    """docs/performance.md, "Pages": psycopg's prepare_threshold (Django sets None); values are
    bound on the server either way."""
    overrides = {} if value is None else {"DATABASE_PREPARED_STATEMENTS": value}
    result = run(
        "from config import settings as s; o = s.DATABASES['default']['OPTIONS']; "
        "print(o.get('prepare_threshold', 'absent'), o.get('server_side_binding', 'absent'))",
        **overrides,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{threshold} True"


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("rediscache://127.0.0.1:6379/1", "lib.redis_cache.RedisCache"),
        ("locmemcache://x", "django.core.cache.backends.locmem.LocMemCache"),
    ],
)
def test_a_redis_cache_url_gets_the_kept_client_backend(url, backend):
    """docs/performance.md, "Pages": lib/redis_cache.py in place of Django's Redis backend."""
    result = run(
        "from config import settings as s; print(s.CACHES['default']['BACKEND'])", CACHE_URL=url
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_check_deploy_passes_with_production_settings_d1():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_fails_on_the_development_encryption_key_and_sandbox_secret():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        FIELD_ENCRYPTION_KEYS="dev1:ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE=",
        FACEBOOK_APP_SECRET="sandbox-app-secret-change-me",
    )
    assert result.returncode != 0
    assert "lib.E011" in result.stderr
    assert "lib.E013" in result.stderr


def test_check_deploy_fails_without_a_shared_cache_for_the_throttle_counts():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], CACHE_URL="")
    assert result.returncode != 0
    assert "lib.E017" in result.stderr
    assert "every web worker would allow the whole limit" in result.stderr


def test_malformed_encryption_keys_stop_a_production_process_at_start():
    result = run("import django; django.setup()", FIELD_ENCRYPTION_KEYS="ci1:tooshort")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS entry 1 (key id 'ci1')" in result.stderr
