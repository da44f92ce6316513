"""System checks of our own.

- ``lib.E010`` (every start, e.g. runserver/migrate): the field-encryption keys parse.
- Deploy checks (RELIABILITY D5; ``manage.py check --deploy``, run by .ci/run under production
  settings), each tested on and off in lib/tests/test_checks.py:
  ``lib.E011`` field-encryption keys missing or published (development/test keys),
  ``lib.E012`` a field-encryption key equal to or derived from SECRET_KEY,
  ``lib.E013`` Meta app secret unset or the sandbox default,
  ``lib.E014`` webhook verify token unset or the sandbox default,
  ``lib.E015`` ASSET_MAX_PIXELS unset,
  ``lib.E016`` no enforced CSP, or a script-src that allows 'unsafe-inline',
  ``lib.E017`` throttle counts kept in a per-process cache (each worker would count apart).
- ``lib.E020`` (every start): a ModelAdmin that would display an encrypted field (E9).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from lib.crypto import EncryptedFieldsMixin, parse_keys

# Keys published in this repository (config/settings.py's development default and
# config/test_settings.py's keys): anyone can read them, so production must not use them.
PUBLISHED_FIELD_KEYS = frozenset(
    {
        "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE=",
        "dGVzdC1rZXktbnVtYmVyLXR3by0zMi1ieXRlcyEhISE=",
        "dGVzdC1rZXktbnVtYmVyLW9uZS0zMi1ieXRlcyEhISE=",
    }
)
# The development defaults of config/settings.py.
SANDBOX_APP_SECRET = "sandbox-app-secret-change-me"  # noqa: S105
SANDBOX_VERIFY_TOKEN = "sandbox-verify-token"  # noqa: S105


@register(Tags.security)
def check_field_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        parse_keys(getattr(settings, "FIELD_ENCRYPTION_KEYS", None))
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="lib.E010")]
    return []


def _derivations(secret: str) -> set[bytes]:
    """32-byte keys a hurried operator might derive from SECRET_KEY."""
    raw = secret.encode()
    found = {
        raw[:32],
        hashlib.sha256(raw).digest(),
        hashlib.sha512(raw).digest()[:32],
        hashlib.blake2b(raw, digest_size=32).digest(),
        hashlib.sha3_256(raw).digest(),
    }
    with contextlib.suppress(ValueError):
        found.add(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))[:32])
    return found


@register(Tags.security, deploy=True)
def check_field_encryption_keys_deploy(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    entries = getattr(settings, "FIELD_ENCRYPTION_KEYS", None)
    if not entries:
        return [
            Error(
                "FIELD_ENCRYPTION_KEYS is not set: tokens cannot be stored encrypted.",
                id="lib.E011",
            )
        ]
    try:
        keys = parse_keys(entries).keys
    except ImproperlyConfigured:
        return []  # lib.E010 reports it
    errors: list[CheckMessage] = []
    published = {base64.urlsafe_b64decode(k) for k in PUBLISHED_FIELD_KEYS}
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    derived = set().union(*(_derivations(s) for s in secrets if s))
    for key in keys:
        if key.material in published:
            errors.append(
                Error(
                    f"Field-encryption key {key.id!r} is a development/test key published in the "
                    "repository.",
                    hint="Generate a new key and put it first in FIELD_ENCRYPTION_KEYS.",
                    id="lib.E011",
                )
            )
        if key.material in derived:
            errors.append(
                Error(
                    f"Field-encryption key {key.id!r} is derived from SECRET_KEY; the keys must "
                    "be independent so rotating one does not expose or break the other.",
                    hint="Generate the key from os.urandom(32).",
                    id="lib.E012",
                )
            )
    return errors


def _secret_check(name: str, sandbox_default: str, check_id: str) -> list[CheckMessage]:
    value = getattr(settings, name, "")
    if not value or value == sandbox_default:
        return [
            Error(
                f"{name} is unset or the sandbox default.",
                hint=f"Set {name} to the value from the Meta app dashboard.",
                id=check_id,
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_meta_secrets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        *_secret_check("FACEBOOK_APP_SECRET", SANDBOX_APP_SECRET, "lib.E013"),
        *_secret_check("FACEBOOK_WEBHOOK_VERIFY_TOKEN", SANDBOX_VERIFY_TOKEN, "lib.E014"),
    ]


@register(Tags.security, deploy=True)
def check_asset_max_pixels(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    value = getattr(settings, "ASSET_MAX_PIXELS", None)
    if not isinstance(value, int) or value <= 0:
        return [
            Error(
                "ASSET_MAX_PIXELS is unset: uploads need a pixel limit against decompression "
                "bombs.",
                hint="Set ASSET_MAX_PIXELS (e.g. 40000000).",
                id="lib.E015",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_content_security_policy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    scripts = policy.get("DIRECTIVES", {}).get("script-src") or policy.get("DIRECTIVES", {}).get(
        "default-src"
    )
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE or not scripts:
        return [
            Error(
                "No enforced Content-Security-Policy with a script-src.",
                hint="Keep csp.middleware.CSPMiddleware and CONTENT_SECURITY_POLICY.",
                id="lib.E016",
            )
        ]
    if "'unsafe-inline'" in scripts:
        return [
            Error(
                "The Content-Security-Policy script-src allows 'unsafe-inline'.",
                hint="Give inline scripts a nonce instead.",
                id="lib.E016",
            )
        ]
    return []


# Cache backends whose counts live inside one process (or nowhere): with several gunicorn
# workers each would allow the whole limit (docs/security.md, "Throttling").
PROCESS_LOCAL_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@register(Tags.security, deploy=True)
def check_throttle_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    alias = getattr(settings, "THROTTLE_CACHE", "default")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    if backend in PROCESS_LOCAL_CACHES:
        return [
            Error(
                f"Log-in, password-reset and sign-up attempts are counted in the {alias!r} "
                f"cache, which lives inside each process ({backend.rsplit('.', 1)[-1]}): every "
                "web worker would allow the whole limit.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://host:6379/1.",
                id="lib.E017",
            )
        ]
    return []


_ADMIN_OPTIONS = (
    "list_display",
    "list_display_links",
    "readonly_fields",
    "fields",
    "search_fields",
    "list_filter",
    "ordering",
    "sortable_by",
)


def _admin_names(model_admin: Any) -> set[str]:
    names: set[str] = set()
    for option in _ADMIN_OPTIONS:
        for item in getattr(model_admin, option, None) or ():
            for entry in item if isinstance(item, list | tuple) else (item,):
                if isinstance(entry, str):
                    names.add(entry.lstrip("-^=@").split("__")[0])
    for _title, options in getattr(model_admin, "fieldsets", None) or ():
        for item in options.get("fields", ()):
            for entry in item if isinstance(item, list | tuple) else (item,):
                names.add(entry)
    return names


@register(Tags.admin, Tags.security)
def check_admin_hides_encrypted_fields(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    from django.contrib import admin

    errors: list[CheckMessage] = []
    sites = [admin.site, *kwargs.get("admin_sites", ())]
    for site in sites:
        for model, model_admin in site._registry.items():
            if not issubclass(model, EncryptedFieldsMixin):
                continue
            encrypted = {f.name for f in model.encrypted_fields()}
            shown = sorted(encrypted & _admin_names(model_admin))
            if shown:
                errors.append(
                    Error(
                        f"{type(model_admin).__name__} would show the encrypted field(s) "
                        f"{', '.join(shown)} of {model._meta.label}.",
                        hint="Tokens never appear in admin pages; remove them from the admin.",
                        obj=type(model_admin),
                        id="lib.E020",
                    )
                )
    return errors
