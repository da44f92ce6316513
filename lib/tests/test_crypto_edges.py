"""Edges of lib/crypto.py that a one-line bug could break unnoticed (issue 14's mutation
findings): key material in reprs, invalid base64, the encryption-count alarm at exactly 2^30."""

from __future__ import annotations

import base64
import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

from lib import crypto
from lib.crypto import DecryptionError
from lib.tests.test_crypto import new_key


def test_no_repr_of_the_keyring_shows_key_material():
    ring = crypto.keyring()
    shown = [repr(ring), str(ring), repr(ring.keys), repr(ring.primary), str(ring.primary)]
    shown += [repr(key) for key in ring.keys]
    for key in ring.keys:
        forms = {
            repr(key.material),
            key.material.hex(),
            base64.urlsafe_b64encode(key.material).decode(),
            base64.b64encode(key.material).decode(),
            base64.urlsafe_b64encode(key.material).decode().rstrip("="),
        }
        assert key.id in repr(ring)  # the reprs do show something: the key ids
        for text in shown:
            for form in forms:
                assert form not in text


@pytest.mark.parametrize(
    "encoded",
    ["A", "AAAAA", "A" * 41],  # 1 more than a multiple of 4: no base64 decoder accepts it
)
def test_invalid_base64_is_a_decryption_error(encoded):
    key_id = crypto.keyring().primary.id
    with pytest.raises(DecryptionError, match="not valid base64"):
        crypto.decrypt_value(f"v1:{key_id}:{encoded}", b"")


def test_the_encryption_alarm_goes_off_at_exactly_two_to_the_thirty(caplog):
    key_id = "edge30"
    cache_key = f"lib.crypto.encryptions.{key_id}"
    flush = crypto._COUNT_FLUSH_EVERY
    assert crypto.ALARM_AT == 2**30
    cache.set(cache_key, 2**30 - 2 * flush, timeout=None)
    caplog.set_level(logging.ERROR, logger="lib.crypto")
    try:
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key(key_id)]):
            for _ in range(flush):
                crypto.encrypt_value("x", b"")
            assert cache.get(cache_key) == 2**30 - flush
            assert not caplog.records
            for _ in range(flush):
                crypto.encrypt_value("x", b"")
        assert cache.get(cache_key) == 2**30
        [record] = caplog.records
        assert f"key {key_id} has encrypted {2**30} values" in record.getMessage()
    finally:
        cache.delete(cache_key)
