"""Our system and deploy checks (RELIABILITY D5), each turned on and off like Django's own
tests/check_framework/test_security.py."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from lib import checks

GOOD_KEY = "prod1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
SECRET = "a-long-random-production-secret-key-" + "q" * 30


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def key_entry(key_id: str, raw: bytes) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(raw).decode()}"


def test_malformed_keys_fail_the_startup_check_with_the_problem_named():
    with override_settings(FIELD_ENCRYPTION_KEYS=["k1:c2hvcnQ="]):
        (error,) = checks.check_field_encryption_keys()
    assert error.id == "lib.E010"
    assert "decodes to 5 bytes" in error.msg
    with override_settings(FIELD_ENCRYPTION_KEYS=[GOOD_KEY]):
        assert checks.check_field_encryption_keys() == []


def test_the_startup_check_runs_without_deploy():
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        assert "lib.E010" in ids(run_checks(include_deployment_checks=False))


@override_settings(SECRET_KEY=SECRET)
def test_missing_field_keys_fail_the_deploy_check():
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        assert ids(checks.check_field_encryption_keys_deploy()) == ["lib.E011"]
    with override_settings(FIELD_ENCRYPTION_KEYS=[GOOD_KEY]):
        assert checks.check_field_encryption_keys_deploy() == []


@override_settings(SECRET_KEY=SECRET)
@pytest.mark.parametrize("published", sorted(checks.PUBLISHED_FIELD_KEYS))
def test_a_published_key_fails_the_deploy_check_under_any_id(published):
    with override_settings(FIELD_ENCRYPTION_KEYS=[GOOD_KEY, f"renamed:{published}"]):
        (error,) = checks.check_field_encryption_keys_deploy()
    assert error.id == "lib.E011"
    assert "'renamed'" in error.msg


def test_the_published_keys_list_covers_the_keys_in_the_repository():
    root = Path(__file__).resolve().parents[2]
    texts = (root / "config" / "settings.py").read_text() + (
        root / "config" / "test_settings.py"
    ).read_text()
    in_repo = set(re.findall(r'"[A-Za-z0-9_-]+:([A-Za-z0-9_=-]{43,44})"', texts))
    assert in_repo
    assert in_repo <= checks.PUBLISHED_FIELD_KEYS
    assert set(settings.FIELD_ENCRYPTION_KEYS[0].split(":")[1:]) <= checks.PUBLISHED_FIELD_KEYS


@pytest.mark.parametrize(
    "derive",
    [
        lambda s: s.encode()[:32],
        lambda s: hashlib.sha256(s.encode()).digest(),
        lambda s: hashlib.sha512(s.encode()).digest()[:32],
    ],
    ids=["prefix", "sha256", "sha512"],
)
def test_a_key_derived_from_secret_key_or_its_fallbacks_fails_the_deploy_check(derive):
    with override_settings(
        SECRET_KEY=SECRET, FIELD_ENCRYPTION_KEYS=[key_entry("d", derive(SECRET))]
    ):
        assert ids(checks.check_field_encryption_keys_deploy()) == ["lib.E012"]
    old = "an-old-secret-key-still-in-fallbacks-" + "z" * 30
    with override_settings(
        SECRET_KEY=SECRET,
        SECRET_KEY_FALLBACKS=[old],
        FIELD_ENCRYPTION_KEYS=[GOOD_KEY, key_entry("d", derive(old))],
    ):
        assert ids(checks.check_field_encryption_keys_deploy()) == ["lib.E012"]
    with override_settings(SECRET_KEY=SECRET, FIELD_ENCRYPTION_KEYS=[GOOD_KEY]):
        assert checks.check_field_encryption_keys_deploy() == []


@pytest.mark.parametrize(
    ("setting", "sandbox_value", "check_id"),
    [
        ("FACEBOOK_APP_SECRET", checks.SANDBOX_APP_SECRET, "lib.E013"),
        ("FACEBOOK_WEBHOOK_VERIFY_TOKEN", checks.SANDBOX_VERIFY_TOKEN, "lib.E014"),
    ],
)
def test_meta_secrets_unset_or_sandbox_fail_the_deploy_check(setting, sandbox_value, check_id):
    real = {"FACEBOOK_APP_SECRET": "f" * 32, "FACEBOOK_WEBHOOK_VERIFY_TOKEN": "v" * 32}
    for bad in ("", sandbox_value):
        with override_settings(**{**real, setting: bad}):
            messages = checks.check_meta_secrets()
        assert ids(messages) == [check_id]
        assert setting in messages[0].msg
    with override_settings(**real):
        assert checks.check_meta_secrets() == []


def test_the_sandbox_defaults_match_the_development_settings():
    source = (Path(__file__).resolve().parents[2] / "config" / "settings.py").read_text()
    assert f'"FACEBOOK_APP_SECRET", "{checks.SANDBOX_APP_SECRET}"' in source
    assert f'"FACEBOOK_WEBHOOK_VERIFY_TOKEN", "{checks.SANDBOX_VERIFY_TOKEN}"' in source


@pytest.mark.parametrize("bad", [None, 0])
def test_an_unset_pixel_limit_fails_the_deploy_check(bad):
    with override_settings(ASSET_MAX_PIXELS=bad):
        assert ids(checks.check_asset_max_pixels()) == ["lib.E015"]
    with override_settings(ASSET_MAX_PIXELS=40_000_000):
        assert checks.check_asset_max_pixels() == []


def test_a_missing_or_unsafe_csp_fails_the_deploy_check():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    unsafe = {"DIRECTIVES": {**directives, "script-src": ["'self'", "'unsafe-inline'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=unsafe):
        assert ids(checks.check_content_security_policy()) == ["lib.E016"]
    with override_settings(CONTENT_SECURITY_POLICY=None):
        assert ids(checks.check_content_security_policy()) == ["lib.E016"]
    without = [m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]
    with override_settings(MIDDLEWARE=without):
        assert ids(checks.check_content_security_policy()) == ["lib.E016"]
    assert checks.check_content_security_policy() == []


def test_the_deploy_checks_are_registered_for_check_deploy():
    with override_settings(ASSET_MAX_PIXELS=None, FACEBOOK_APP_SECRET=""):
        found = ids(run_checks(include_deployment_checks=True, tags=["security"]))
    assert {"lib.E013", "lib.E015", "lib.E011"} <= set(found)
    assert "lib.E015" not in ids(run_checks(include_deployment_checks=False))


@pytest.mark.parametrize(
    "options",
    [
        {"list_display": ("label", "token")},
        {"readonly_fields": ("token",)},
        {"fields": ("label", ("token", "optional"))},
        {"search_fields": ("token__startswith",)},
        {"ordering": ("-token",)},
        {"fieldsets": ((None, {"fields": ("label", "optional")}),)},
    ],
)
def test_an_admin_showing_an_encrypted_field_fails_the_check(options):
    from django.contrib import admin

    from lib.tests.encryption_app.models import SecretNote

    site = admin.AdminSite(name="lint")
    site.register(SecretNote, type("NoteAdmin", (admin.ModelAdmin,), options))
    (error,) = checks.check_admin_hides_encrypted_fields(admin_sites=[site])
    assert error.id == "lib.E020"
    assert "SecretNote" in error.msg


def test_an_admin_without_encrypted_fields_and_the_real_site_pass_the_check():
    from django.contrib import admin

    from lib.tests.encryption_app.models import SecretNote

    site = admin.AdminSite(name="lint")
    site.register(SecretNote, type("NoteAdmin", (admin.ModelAdmin,), {"list_display": ("label",)}))
    assert checks.check_admin_hides_encrypted_fields(admin_sites=[site]) == []
    assert checks.check_admin_hides_encrypted_fields() == []
