"""Counting attempts per account and per client address: log-in, password-reset requests and
sign-up (see docs/security.md, "Throttling").

Fixed windows in Django's cache (Redis in production, so every web process shares the counts):
the first attempt opens a window of ``window`` seconds, each attempt adds one, and once the count
reaches ``limit`` the key is refused until the window ends. Keys hold a hash of what they count,
never an email address or a client address in clear.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window: int  # seconds


def _rule(name: str) -> Rule:
    limit, window = settings.THROTTLE_RULES[name]
    return Rule(name=name, limit=int(limit), window=int(window))


def _cache():
    return caches[settings.THROTTLE_CACHE]


def _key(rule: Rule, value: str) -> str:
    digest = hashlib.sha256(f"{rule.name}\0{value}".encode()).hexdigest()[:32]
    return f"throttle:{rule.name}:{digest}"


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or with ``TRUSTED_PROXY_COUNT`` = n > 0 the n-th
    address from the right of X-Forwarded-For (each trusted proxy appends the address it saw;
    anything further left was written by the client and is ignored). IPv6 counts per /64."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def blocked_minutes(rule_name: str, value: str) -> int:
    """0 when ``value`` may try again under this rule, else the minutes until it may."""
    rule = _rule(rule_name)
    key = _key(rule, value)
    found = _cache().get_many([key, f"{key}:until"])
    if found.get(key, 0) < rule.limit:
        return 0
    return _minutes(found.get(f"{key}:until", time.time() + rule.window) - time.time())


def record(rule_name: str, value: str) -> None:
    """Count one attempt of ``value`` under this rule."""
    rule = _rule(rule_name)
    key, cache = _key(rule, value), _cache()
    if cache.add(key, 1, rule.window):
        cache.set(f"{key}:until", time.time() + rule.window, rule.window)
        return
    try:
        cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, rule.window)
        cache.set(f"{key}:until", time.time() + rule.window, rule.window)


def reset(rule_name: str, value: str) -> None:
    """Forget the attempts of ``value`` under this rule (e.g. an account after a good log-in)."""
    key = _key(_rule(rule_name), value)
    _cache().delete_many([key, f"{key}:until"])


def too_many_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many attempts. For your security, please wait and try again in {minutes} {unit}."
