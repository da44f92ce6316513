"""Before the test suite: are PostgreSQL and Redis there? One clear sentence if not."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis

database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
broker_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
problems = []
db = urlparse(database_url)
try:
    psycopg.connect(
        host=db.hostname,
        port=db.port or 5432,
        user=db.username or "postgres",
        password=db.password,
        dbname="postgres",
        connect_timeout=3,
    ).close()
except psycopg.Error:
    problems.append(
        f"PostgreSQL is not answering at {db.hostname}:{db.port or 5432}; start it with "
        "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
        "or set DATABASE_URL."
    )
try:
    redis.Redis.from_url(broker_url, socket_connect_timeout=3).ping()
except redis.RedisError:
    r = urlparse(broker_url)
    problems.append(
        f"Redis is not answering at {r.hostname}:{r.port or 6379}; start it with "
        '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no` '
        "or set CELERY_BROKER_URL."
    )
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
