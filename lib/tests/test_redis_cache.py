"""lib/redis_cache.py: Django's Redis cache with one redis-py client kept per pool, on the real
Redis of ``CACHE_URL``."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.cache import cache, caches

from lib.redis_cache import BACKEND, KeptClientRedisCacheClient

pytestmark = pytest.mark.skipif(
    settings.CACHES["default"]["BACKEND"] != BACKEND, reason="CACHE_URL is not Redis"
)


def test_the_client_is_built_once_per_pool_and_reused():
    client = cache._cache  # type: ignore[attr-defined]
    assert isinstance(client, KeptClientRedisCacheClient)
    first = client.get_client("a")
    assert client.get_client("b") is first
    assert client.get_client("c", write=True) is client.get_client("d", write=True)


def test_reads_writes_counts_and_deletes_work_as_with_djangos_client():
    cache.set("kept:text", "Caffè ☕", 30)
    cache.set_many({"kept:a": 1, "kept:b": [1, 2]}, 30)
    assert cache.get("kept:text") == "Caffè ☕"
    assert cache.get_many(["kept:a", "kept:b", "kept:none"]) == {"kept:a": 1, "kept:b": [1, 2]}
    assert cache.incr("kept:a") == 2
    assert cache.add("kept:a", 9) is False
    assert cache.delete("kept:text") is True and cache.get("kept:text") is None
    assert cache.touch("kept:b", 60) is True


def test_each_thread_has_its_own_cache_and_client_and_they_share_the_data():
    cache.set("kept:shared", "from the main thread", 30)
    seen: dict[str, object] = {}

    def other() -> None:
        other_cache = caches["default"]
        seen["client"] = other_cache._cache.get_client()  # type: ignore[attr-defined]
        seen["value"] = other_cache.get("kept:shared")

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["value"] == "from the main thread"
    assert seen["client"] is not cache._cache.get_client()  # type: ignore[attr-defined]
