"""lib.E017: throttle counts must live in a cache every web worker shares (docs/security.md)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from lib import checks

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
DUMMY = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://h:6379/1"}


@pytest.mark.parametrize("cache", [LOCMEM, DUMMY], ids=["locmem", "dummy"])
def test_a_per_process_throttle_cache_fails_the_deploy_check(cache):
    with override_settings(CACHES={"default": REDIS, "counts": cache}, THROTTLE_CACHE="counts"):
        (error,) = checks.check_throttle_cache()
    assert error.id == "lib.E017"
    assert "'counts'" in error.msg
    assert "every web worker would allow the whole limit" in error.msg
    assert "CACHE_URL" in error.hint


def test_a_shared_throttle_cache_passes():
    with override_settings(CACHES={"default": LOCMEM, "counts": REDIS}, THROTTLE_CACHE="counts"):
        assert checks.check_throttle_cache() == []


def test_the_default_alias_is_checked_when_none_is_named():
    with override_settings(CACHES={"default": LOCMEM}):
        from django.conf import settings

        del settings.THROTTLE_CACHE
        assert [e.id for e in checks.check_throttle_cache()] == ["lib.E017"]


def test_it_runs_with_the_deploy_checks_only():
    from django.core.checks import run_checks

    with override_settings(CACHES={"default": LOCMEM}, THROTTLE_CACHE="default"):
        assert "lib.E017" not in [m.id for m in run_checks(include_deployment_checks=False)]
        assert "lib.E017" in [m.id for m in run_checks(include_deployment_checks=True)]
