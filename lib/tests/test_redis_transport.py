"""lib/redis_transport.py: kombu's Redis channel with one redis-py client per pool."""

from __future__ import annotations

import base64
import json

import kombu
import pytest
import redis
from django.conf import settings
from kombu.transport import redis as kombu_redis

from config.celery import app
from lib.redis_transport import Channel, Transport

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs the Redis broker"
)
QUEUE = "transport-test"


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)


def test_settings_select_the_transport_for_a_redis_broker():
    assert settings.CELERY_BROKER_TRANSPORT == "lib.redis_transport:Transport"
    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, Transport)
        assert isinstance(connection.default_channel, Channel)


def test_a_channel_keeps_one_client_until_its_pool_is_replaced():
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        first = channel._create_client()
        assert channel._create_client() is first
        with channel.conn_or_acquire() as client:
            assert client is first
        assert channel._create_client(asynchronous=True) is not first  # BRPOP's own
        channel._disconnect_pools()  # what kombu does after a connection error
        replaced = channel._create_client()
        assert replaced is not first
        assert replaced.connection_pool is channel.pool


def test_messages_are_published_and_acknowledged_as_kombu_does(broker):
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue(QUEUE)
        for n in range(3):
            queue.put({"n": n})
        got = [queue.get(timeout=5) for _ in range(3)]
        assert [m.payload for m in got] == [{"n": 0}, {"n": 1}, {"n": 2}]
        for message in got:
            message.ack()
        channel = queue.channel
        assert broker.llen(QUEUE) == 0
        assert broker.hlen(channel.unacked_key) == 0  # every ack reached Redis
        queue.close()


def test_the_message_stored_is_the_one_kombus_stock_transport_stores(broker):
    """Both transports publish one message to the same queue; what lands in Redis is the same
    but for the delivery tag (a new UUID per message)."""

    def stored_by(transport) -> dict:
        with kombu.Connection(settings.CELERY_BROKER_URL, transport=transport) as connection:
            assert isinstance(connection.transport, transport)
            queue = connection.SimpleQueue(QUEUE)
            queue.put({"hello": "world", "n": [1, 2]}, headers={"origin": "test"})
            [raw] = broker.lrange(QUEUE, 0, -1) or [b"{}"]
            broker.delete(QUEUE)
            queue.close()
        message = json.loads(raw)
        assert message["properties"].pop("delivery_tag")
        return message

    ours, stock = stored_by(Transport), stored_by(kombu_redis.Transport)
    assert ours == stock
    assert ours["properties"]["delivery_info"]["routing_key"] == QUEUE
    assert json.loads(base64.b64decode(ours["body"])) == {"hello": "world", "n": [1, 2]}
