"""Django's Redis cache, keeping its redis-py client (docs/performance.md, "Pages").

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` object around its connection pool for
every operation, and redis-py sets up its reply callbacks each time: about 100 µs of CPU per
``cache.get``, as much as the round trip to Redis. Every portal request reads its session from
the cache, and every publication reads its Page's rate budget. This backend keeps one client
per pool. A ``redis.Redis`` client is safe to share between threads (each command takes a
connection from the pool), and Django gives each thread its own cache object anyway; after a
fork, redis-py's pool notices the new process and opens new connections.

`config/settings.py` puts it in place of Django's backend whenever ``CACHE_URL`` is Redis."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class KeptClientRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        """Django's `get_client`, with the client it builds kept (the helpers are Django's
        own, which the type stubs do not list)."""
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient


BACKEND = "lib.redis_cache.RedisCache"  # what config/settings.py names
