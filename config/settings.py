"""Tablecast settings: one module, everything read from the environment.

`TABLECAST_ENV` picks the defaults:
- ``development`` (default): SQLite, a Celery broker on the filesystem (no server needed), console
  email, the Graph sandbox on 127.0.0.1:8001 as Facebook, and clearly-labelled development keys.
- ``production``: nothing secret has a default; a missing variable stops the process at start
  with its name (see `_required`).
Tests use `config.test_settings`, which imports this module and overrides a few things.
Every variable is documented in `.env.example`.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# `NAME=` with nothing after it (as .env.example lists every variable) means "use the default",
# for every variable: django-environ would otherwise parse "" (no database engine, no cache
# scheme, int("")). An empty variable in the environment still wins over the .env file's value.
for _name in [name for name, value in os.environ.items() if value == ""]:
    del os.environ[_name]

TABLECAST_ENV = env.str("TABLECAST_ENV", default="development")
if TABLECAST_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"TABLECAST_ENV must be development, production or test, not {TABLECAST_ENV!r}"
    )
PRODUCTION = TABLECAST_ENV == "production"


def _missing(name: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Set the environment variable {name} (required in production).")


def _required(name: str, dev_default: str) -> str:
    """A variable production must set; development falls back to a labelled default."""
    if name in env.ENVIRON and env.ENVIRON[name] != "":
        return env.get_value(name)
    if PRODUCTION:
        raise _missing(name)
    return dev_default


DEBUG = env.bool("DEBUG", default=not PRODUCTION and TABLECAST_ENV != "test")
SECRET_KEY = _required(
    "SECRET_KEY", "development-only-secret-key-not-for-production-0123456789abcdefghijkl"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise _missing("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL of this deployment; OAuth redirect URIs and links in emails are built from
# it and never from the request's Host header (RELIABILITY O6).
SITE_URL = _required("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "csp",
    "lib",
    "tenants",
    "social",
    "assets",
    "posting",
    "webhooks",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL in the query string: 400 before any lookup sees it (lib/middleware.py).
    "lib.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Logged-in pages: Cache-Control: private, no-store (lib/middleware.py).
    "lib.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: resolves /t/<slug>/, checks membership and runs the view inside the tenant's scope.
    "tenants.middleware.TenantScopeMiddleware",
]

# Static files straight from gunicorn (development too: the Procfile runs gunicorn); outside
# production WhiteNoise finds them in the apps' folders, as runserver's static view did. Tests
# serve them through the test server's own handler.
if TABLECAST_ENV != "test":
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "tenants.context_processors.tenant",
            ],
        },
    },
]

# Django's widget templates, drawn in Python where the markup is the same (lib/form_rendering.py).
FORM_RENDERER = "lib.form_rendering.FastTemplates"

DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=("" if PRODUCTION else f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
    )
}
if PRODUCTION and not DATABASES["default"].get("NAME"):
    raise _missing("DATABASE_URL")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Values are bound on the server and a statement run five times on a connection is
    # prepared: PostgreSQL parses and plans a page's queries once per connection instead of on
    # every request (Django binds on the client and leaves psycopg's preparing off by default;
    # docs/performance.md, "Pages"). Behind a transaction-mode pooler without prepared-statement
    # support (PgBouncer before 1.21), set DATABASE_PREPARED_STATEMENTS=false.
    prepared = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # DATABASE_URL's own win
    _options.setdefault("server_side_binding", True)
    _options.setdefault("prepare_threshold", 5 if prepared else None)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Web, worker and beat share the file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Development's default cache lives in files under var/: the web server runs two worker
# processes (Procfile), and sessions (read from the cache) and throttle counts must be the same in
# both. A per-process cache gave each worker its own stale copy of a session (a page picked after
# "Connect Facebook" could answer "expired" when the other worker served it). Production sets
# CACHE_URL (Redis); `check --deploy` refuses a per-process cache (lib.E017).
_DEV_CACHE = f"filecache://{BASE_DIR / 'var' / 'cache'}"
CACHES = {
    "default": env.cache(
        "CACHE_URL", default="locmemcache://tablecast" if PRODUCTION else _DEV_CACHE
    )
}
# Django's Redis backend with its client kept (lib/redis_cache.py).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "lib.redis_cache.RedisCache"
# Sessions are read from the cache (Redis in production) and written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Throttling (docs/security.md): name → (attempts, window in seconds). The log-in counts are of
# failures; the others of requests. Counts live in this cache (Redis in production).
THROTTLE_CACHE = "default"
THROTTLE_RULES = {
    "login_account": (10, 15 * 60),
    "login_address": (30, 15 * 60),
    "password_reset_email": (3, 60 * 60),
    "password_reset_address": (10, 60 * 60),
    "signup_address": (10, 60 * 60),
    # Sign-up emails (confirmation link or "you already have an account") to one address.
    "signup_email": (3, 60 * 60),
}
# Sign-ups whose email is not confirmed within this many days are removed (tenants/registration.py).
SIGNUP_UNCONFIRMED_DAYS = env.int("SIGNUP_UNCONFIRMED_DAYS", default=10)
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the header is
# ignored and the client address is REMOTE_ADDR (a client can write any X-Forwarded-For).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# English only (no translations, no LocaleMiddleware): without the i18n machinery every
# gettext, date and number format skips a per-call language lookup (docs/performance.md).
USE_I18N = False
USE_TZ = True
# Dates and times as "1 Dec 2026, 15:54 UTC": the zone is named wherever a time is shown.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "lib.staticfiles.ManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# S3 (or any S3-compatible store) replaces the filesystem when a bucket is named.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=900)  # ≤ 15 min (U7)
# Where Meta fetches Instagram renditions from; empty means presigned S3 URLs or SITE_URL.
PUBLIC_MEDIA_BASE_URL = env.str("PUBLIC_MEDIA_BASE_URL", default="")

# Uploads (RELIABILITY §5): our own limits; Django's do not cover file data.
ASSET_MAX_UPLOAD_BYTES = env.int("ASSET_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
ASSET_MAX_PIXELS = env.int("ASSET_MAX_PIXELS", default=40_000_000)
ASSET_TENANT_QUOTA_BYTES = env.int("ASSET_TENANT_QUOTA_BYTES", default=5 * 1024**3)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Field encryption (design invariant 2): "<key id>:<urlsafe base64 of 32 bytes>", comma-separated,
# newest first. The first encrypts, all decrypt. Independent of SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=[] if PRODUCTION else ["dev1:ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="],
)
if PRODUCTION and not FIELD_ENCRYPTION_KEYS:
    raise _missing("FIELD_ENCRYPTION_KEYS")

# Facebook / Instagram. Production points the base URLs at Meta; development at the Graph sandbox.
FACEBOOK_GRAPH_URL = env.str("FACEBOOK_GRAPH_URL", default="http://127.0.0.1:8001").rstrip("/")
FACEBOOK_DIALOG_URL = env.str("FACEBOOK_DIALOG_URL", default="http://127.0.0.1:8001").rstrip("/")
FACEBOOK_GRAPH_VERSION = env.str("FACEBOOK_GRAPH_VERSION", default="v24.0")
FACEBOOK_APP_ID = _required("FACEBOOK_APP_ID", "1234567890123456")
FACEBOOK_APP_SECRET = _required("FACEBOOK_APP_SECRET", "sandbox-app-secret-change-me")
FACEBOOK_WEBHOOK_VERIFY_TOKEN = _required("FACEBOOK_WEBHOOK_VERIFY_TOKEN", "sandbox-verify-token")
FACEBOOK_SCOPES = env.list(
    "FACEBOOK_SCOPES",
    default=[
        "pages_show_list",
        "pages_manage_posts",
        "pages_read_engagement",
        "pages_manage_metadata",
        "pages_messaging",
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "instagram_manage_messages",
        "business_management",
        "read_insights",
        "instagram_manage_insights",
    ],
)
# Deauthorize / data-deletion callbacks older than this (their signed issued_at) are refused.
FACEBOOK_SIGNED_REQUEST_MAX_AGE_SECONDS = env.int(
    "FACEBOOK_SIGNED_REQUEST_MAX_AGE_SECONDS", default=3600
)
# Analytics (docs/analytics.md): posts with figures before "best time to post" says anything.
ANALYTICS_BEST_TIME_MIN_POSTS = 8
GRAPH_CONNECT_TIMEOUT = env.float("GRAPH_CONNECT_TIMEOUT", default=5.0)
GRAPH_READ_TIMEOUT = env.float("GRAPH_READ_TIMEOUT", default=30.0)

# Publishing engine (docs/publishing.md). Retries are rows due again, never long countdowns.
PUBLISH_BATCH_SIZE = env.int("PUBLISH_BATCH_SIZE", default=500)
PUBLISH_BACKOFF_BASE_SECONDS = env.int("PUBLISH_BACKOFF_BASE_SECONDS", default=60)
PUBLISH_BACKOFF_MAX_SECONDS = env.int("PUBLISH_BACKOFF_MAX_SECONDS", default=3600)
PUBLISH_MAX_RETRIES = env.int("PUBLISH_MAX_RETRIES", default=6)
# A publication "publishing" for longer than this lost its worker: the sweeper reconciles it.
PUBLISH_STUCK_AFTER_SECONDS = env.int("PUBLISH_STUCK_AFTER_SECONDS", default=600)
# An ambiguous publish is looked up after this delay (Facebook may still be processing it),
# and looked up again every RETRY seconds while Facebook cannot be asked.
PUBLISH_RECONCILE_DELAY_SECONDS = env.int("PUBLISH_RECONCILE_DELAY_SECONDS", default=120)
PUBLISH_RECONCILE_RETRY_SECONDS = env.int("PUBLISH_RECONCILE_RETRY_SECONDS", default=300)
# Instagram containers: check every POLL seconds (at most 60), give up after POLL_MAX.
INSTAGRAM_POLL_SECONDS = env.int("INSTAGRAM_POLL_SECONDS", default=20)
INSTAGRAM_POLL_MAX_SECONDS = env.int("INSTAGRAM_POLL_MAX_SECONDS", default=300)
# Instagram's documented caption limits; the hashtag one is configurable (some report 5).
INSTAGRAM_MAX_HASHTAGS = env.int("INSTAGRAM_MAX_HASHTAGS", default=30)
# A Page whose usage headers pass this percentage waits before the next call.
PAGE_BUDGET_THRESHOLD_PERCENT = env.int("PAGE_BUDGET_THRESHOLD_PERCENT", default=90)

OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-5-mini")
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=20.0)
# AI generations (drafts and automatic answers) per restaurant per local day; then the offline writer.
AI_DAILY_LIMIT = env.int("AI_DAILY_LIMIT", default=50)

# Celery. Development: kombu's filesystem transport, so worker and beat need no server.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default="" if PRODUCTION else "filesystem://localhost//"
)
if PRODUCTION and not CELERY_BROKER_URL:
    raise _missing("CELERY_BROKER_URL")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = BASE_DIR / "var" / "celery-broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if CELERY_BROKER_URL.startswith("redis://"):
    # kombu's Redis transport, minus a new redis-py client per publish and ack (lib/redis_transport.py).
    CELERY_BROKER_TRANSPORT = "lib.redis_transport:Transport"
# Celery closes every database connection before and after every task unless this is set: it
# then closes them only every 2 × N tasks. config/celery.py applies Django's own rule instead
# (CONN_MAX_AGE, unusable connections), so Celery's never needs to.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues by task name ("<app>.<thing>_<action>", docs/conventions.md): publishing and webhook
# work never wait behind slow default work. The worker in Procfile consumes all three.
CELERY_TASK_ROUTES = {
    "posting.*": {"queue": "publish"},
    "webhooks.*": {"queue": "webhooks"},
}
# Longest countdown any task may carry (lib.tasks.bounded_countdown): well below the Redis
# visibility timeout, past which an unacknowledged message is delivered a second time.
CELERY_MAX_COUNTDOWN_SECONDS = 900
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Only one beat sends tasks; a second one stands by (config/beat.py).
CELERY_BEAT_SCHEDULER = "config.beat:SingleBeatScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
DJANGO_CELERY_BEAT_TZ_AWARE = True

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tablecast <hello@tablecast.local>")

# Security (RELIABILITY §6). Production gets the strict set; `check --deploy` runs in CI.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz and /readyz are probed over plain HTTP inside the cluster.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # NONCE is django-csp's sentinel object (the string "'nonce'" would be sent literally).
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        # Pictures come from Facebook's CDN (or the sandbox) and from blob: previews while uploading.
        "img-src": ["'self'", "data:", "blob:", "https:", FACEBOOK_GRAPH_URL],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", FACEBOOK_DIALOG_URL],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_secrets": {"()": "lib.logging.SecretMaskingFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["mask_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # runserver's access log goes through the masking handler too (OAuth codes in URLs).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "urllib3": {"level": "WARNING"},
    },
}

# Callables adding banners to portal pages (e.g. "reconnect Facebook"); see tenants.context_processors.
TENANT_BANNER_PROVIDERS: list[str] = ["social.banners.reconnect_banner"]

# Facebook connections (social app). PKCE (RFC 7636, S256) is sent only when on: Meta's support
# for it in the web login flow is unconfirmed (RELIABILITY O5), so it is off by default.
FACEBOOK_USE_PKCE = env.bool("FACEBOOK_USE_PKCE", default=False)
# The daily token check spreads its per-account checks over this window; keep it shorter than
# the Redis visibility timeout (3600 s) so delayed tasks are not redelivered.
SOCIAL_TOKEN_CHECK_WINDOW_SECONDS = env.int("SOCIAL_TOKEN_CHECK_WINDOW_SECONDS", default=2700)
# Long-lived user tokens are renewed when they end within this many days.
SOCIAL_USER_TOKEN_REFRESH_DAYS = env.int("SOCIAL_USER_TOKEN_REFRESH_DAYS", default=10)

# Webhooks (docs/webhooks.md). Meta batches up to 1,000 updates per POST; a larger body is
# refused (413) before it is read. Events are kept at least 7 days (Meta retries for 36 h and the
# dedupe key must outlive every retry); pending ones are re-enqueued after the sweep delay.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=3 * 1024 * 1024)
WEBHOOK_RETENTION_DAYS = max(env.int("WEBHOOK_RETENTION_DAYS", default=14), 7)
WEBHOOK_SWEEP_AFTER_MINUTES = env.int("WEBHOOK_SWEEP_AFTER_MINUTES", default=10)
# At most one automatic reply per conversation per this many minutes (stops bot loops).
WEBHOOK_AUTO_REPLY_INTERVAL_MINUTES = env.int("WEBHOOK_AUTO_REPLY_INTERVAL_MINUTES", default=2)
# Outside the 24-hour window, staff may still reply with the HUMAN_AGENT tag (up to 7 days).
WEBHOOK_HUMAN_AGENT_TAG = env.bool("WEBHOOK_HUMAN_AGENT_TAG", default=False)
# Answer questions no rule matches with posting/ai.py (grounded in the profile; needs OPENAI_API_KEY).
WEBHOOK_AI_REPLIES = env.bool("WEBHOOK_AI_REPLIES", default=True)
# How often the inbox asks for new messages (htmx polling), in seconds.
WEBHOOK_INBOX_POLL_SECONDS = env.int("WEBHOOK_INBOX_POLL_SECONDS", default=5)
