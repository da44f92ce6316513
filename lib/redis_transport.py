"""kombu's Redis transport, with one redis-py client per channel instead of one per command.

kombu's Redis channel builds a new ``redis.Redis`` for every message it publishes and every
message it acknowledges (``Channel.conn_or_acquire`` → ``_create_client``). That client is only
a front for the channel's connection pool, but building it fills a table of about 200 reply
callbacks: about a fifth of what an ``apply_async`` costs, and a tenth of a publish worker's
CPU per task at full speed (docs/performance.md, "Publishing pipeline"). This channel builds
the client once and keeps it for as long as the channel keeps the same pool (kombu replaces
the pool after a connection error). A redis-py client is safe to share between threads: each
command checks a connection out of the pool. Everything else (BRPOP, the unacked index,
visibility timeouts, priorities) is kombu's own code.

settings.py selects it for ``redis://`` broker URLs (``CELERY_BROKER_TRANSPORT``).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _shared_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:  # the consumer's BRPOP client: kombu keeps its own
            return super()._create_client(asynchronous=True)  # type: ignore[misc]  # kombu declares it untyped
        client = self._shared_client
        if client is None or client.connection_pool is not self.pool:
            client = self._shared_client = super()._create_client()  # type: ignore[misc]
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
