"""Encrypted model fields (design invariant 2; RELIABILITY §2).

Usage::

    class SocialAccount(EncryptedFieldsMixin, TenantOwned):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        page_token = EncryptedTextField(blank=True, default="")

``account.page_token`` is the plaintext (decrypted on first access); assigning sets the plaintext;
``save()`` stores ``"v1:<key id>:<urlsafe base64 of nonce + ciphertext + tag>"``.

- AES-256-GCM with a fresh 96-bit ``os.urandom`` nonce per write.
- Keys come from ``settings.FIELD_ENCRYPTION_KEYS`` (``"<id>:<urlsafe base64 of 32 bytes>"``,
  newest first): the first encrypts, every one decrypts. They are independent of SECRET_KEY.
- The associated data binds model, field, tenant and primary key, so a ciphertext copied into
  another row, column or tenant fails to decrypt.
- Any failure raises `DecryptionError`; a ciphertext is never returned as if it were the value.
- Filtering on an encrypted field raises (only ``isnull`` works), ``QuerySet.update()`` and
  ``bulk_update()`` with a plaintext raise (they have no row to bind to): use ``save()`` or
  ``bulk_create()``. The field is not editable in forms/admin and is left out of dumpdata.
- NULL stays NULL. A raw empty string in the column (e.g. a column added with ``default=""``)
  reads as ""; values saved through the model are always encrypted, "" included.
- ``manage.py reencrypt_fields`` rewrites every value not under the newest key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.core.signals import setting_changed
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.dispatch import receiver

logger = logging.getLogger(__name__)

__all__ = [
    "DecryptionError",
    "EncryptedFieldsMixin",
    "EncryptedTextField",
    "decrypt_value",
    "encrypt_value",
    "key_id_of",
    "keyring",
    "parse_keys",
]

VERSION = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# NIST SP 800-38D §8.3 caps random-nonce GCM at 2^32 encryptions per key; we alarm well before.
ALARM_AT = 2**30
_COUNT_FLUSH_EVERY = 1024
GENERATE_HINT = (
    'generate one with: python -c "import base64, os; '
    'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
)


class DecryptionError(Exception):
    """An encrypted value could not be decrypted (wrong or unknown key, tampered or copied
    ciphertext, malformed text). The message never contains the value."""


@dataclass(frozen=True)
class Key:
    id: str
    aead: AESGCM = field(repr=False)
    material: bytes = field(repr=False)  # the raw key (the deploy checks compare it)


@dataclass(frozen=True)
class Keyring:
    keys: tuple[Key, ...]

    @property
    def primary(self) -> Key:
        return self.keys[0]

    def get(self, key_id: str) -> Key | None:
        for key in self.keys:
            if key.id == key_id:
                return key
        return None


def parse_keys(entries: Any) -> Keyring:
    """Validate ``FIELD_ENCRYPTION_KEYS``; `ImproperlyConfigured` names the problem (never the
    key material)."""
    if isinstance(entries, str) or not isinstance(entries, list | tuple):
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be a list of '<id>:<urlsafe base64 of 32 bytes>'."
        )
    if not entries:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: set at least one '<id>:<urlsafe base64 of 32 bytes>' "
            f"key ({GENERATE_HINT})."
        )
    keys: list[Key] = []
    for position, entry in enumerate(entries, start=1):
        where = f"FIELD_ENCRYPTION_KEYS entry {position}"
        if not isinstance(entry, str) or ":" not in entry:
            raise ImproperlyConfigured(
                f"{where} is not of the form '<id>:<urlsafe base64 of 32 bytes>'."
            )
        key_id, _, encoded = entry.strip().partition(":")
        if not KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                f"{where}: the key id must be 1–32 letters, digits, '-' or '_'."
            )
        where = f"{where} (key id {key_id!r})"
        if any(key.id == key_id for key in keys):
            raise ImproperlyConfigured(f"{where}: this key id appears twice.")
        try:
            raw = base64.b64decode(encoded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(
                f"{where}: the key is not valid base64 ({GENERATE_HINT})."
            ) from None
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"{where}: the key decodes to {len(raw)} bytes; AES-256 needs exactly 32 "
                f"({GENERATE_HINT})."
            )
        keys.append(Key(id=key_id, aead=AESGCM(raw), material=raw))
    return Keyring(tuple(keys))


@functools.lru_cache(maxsize=8)
def _keyring_for(entries: tuple[Any, ...]) -> Keyring:
    return parse_keys(list(entries))


def keyring() -> Keyring:
    """The configured keys, parsed once per distinct setting value."""
    entries = getattr(settings, "FIELD_ENCRYPTION_KEYS", None)
    if entries is None:
        raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS (the field-encryption keys).")
    if isinstance(entries, str) or not isinstance(entries, list | tuple):
        return parse_keys(entries)  # raises with the message
    return _keyring_for(tuple(entries))


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _keyring_for.cache_clear()


# E5: count encryptions per key id (cheaply: flushed to the shared cache every 1,024) and alarm
# from 2^30 on, so a key is rotated long before GCM's random-nonce limit of 2^32.
_pending: Counter[str] = Counter()
_pending_lock = threading.Lock()


def _count_encryption(key_id: str) -> None:
    with _pending_lock:
        _pending[key_id] += 1
        n = _pending[key_id]
        if n < _COUNT_FLUSH_EVERY:
            return
        _pending[key_id] = 0
    from django.core.cache import cache

    cache_key = f"lib.crypto.encryptions.{key_id}"
    try:
        cache.add(cache_key, 0, timeout=None)
        total = cache.incr(cache_key, n)
    except Exception as exc:  # counting must never stop encryption
        logger.warning("could not count encryptions for key %s: %s", key_id, type(exc).__name__)
        return
    if total >= ALARM_AT:
        logger.error(
            "Field-encryption key %s has encrypted %d values (alarm at 2^30, GCM limit 2^32): "
            "add a new key first in FIELD_ENCRYPTION_KEYS and run manage.py reencrypt_fields.",
            key_id,
            total,
        )


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encrypt_value(plaintext: str, associated_data: bytes) -> str:
    """Encrypt under the newest key: ``"v1:<key id>:<b64(nonce + ciphertext + tag)>"``."""
    key = keyring().primary
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), associated_data)
    _count_encryption(key.id)
    return f"{VERSION}:{key.id}:{_b64encode(nonce + sealed)}"


def key_id_of(stored: str) -> str | None:
    """The key id a stored value was encrypted with (readable without decrypting)."""
    parts = stored.split(":")
    if len(parts) == 3 and parts[0] == VERSION:
        return parts[1]
    return None


def decrypt_value(stored: str, associated_data: bytes) -> str:
    """Decrypt a stored value or raise `DecryptionError`."""
    parts = stored.split(":")
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError("The stored value is not an encrypted field value (malformed).")
    key_id, encoded = parts[1], parts[2]
    key = keyring().get(key_id)
    if key is None:
        raise DecryptionError(
            f"The value was encrypted with key id {key_id!r}, which is not in "
            "FIELD_ENCRYPTION_KEYS."
        )
    try:
        blob = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("The stored value is not valid base64 (malformed).") from None
    # Refuse non-canonical encodings too, so no change to the stored text goes unnoticed.
    if _b64encode(blob) != encoded or len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("The stored value is malformed.")
    try:
        plaintext = key.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data)
    except InvalidTag:
        raise DecryptionError(
            f"Authentication failed with key {key_id!r}: wrong key, tampered value, or a value "
            "copied from another row, field or tenant."
        ) from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - only with a valid tag over non-UTF-8 bytes
        raise DecryptionError("The decrypted value is not UTF-8.") from None


class StoredCiphertext(str):
    """A value as read from the column, not yet decrypted."""


class Ciphertext(str):
    """A value encrypted by `EncryptedTextField.pre_save`, ready for the column."""


_ORIGIN = "_encryption_origin"


def _tenant_attname(model: Any) -> str | None:
    try:
        tenant = model._meta.get_field("tenant")
    except Exception:
        return None
    return getattr(tenant, "attname", None)


def _row_context(model: Any, tenant_id: Any, pk: Any) -> tuple[str, str | None]:
    """(tenant, pk) as canonical strings, so a pk assigned as "ABC…" and read back as a UUID
    (or a tenant id as "7" and 7) binds the same associated data."""

    def canonical(field: Any, value: Any) -> str:
        with contextlib.suppress(ValidationError):  # malformed: the database refuses it anyway
            value = field.to_python(value)
        return str(value)

    tenant = (
        ""
        if tenant_id is None
        else canonical(model._meta.get_field("tenant").target_field, tenant_id)
    )
    return tenant, None if pk is None else canonical(model._meta.pk, pk)


class EncryptedAttribute(DeferredAttribute):
    """Decrypts the raw column value on first access, with the instance's row context."""

    field: EncryptedTextField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, StoredCiphertext):
            plaintext = self.field.decrypt_stored(instance, value)
            instance.__dict__[self.field.attname] = plaintext
            return plaintext
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        # A data descriptor: without __set__, a value in instance.__dict__ would shadow __get__
        # and reads would return the raw ciphertext.
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text column stored encrypted and bound to its row. Use with `EncryptedFieldsMixin`."""

    description = "Text encrypted with AES-256-GCM, bound to its row"
    descriptor_class = EncryptedAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Never shown in forms or admin, never written by dumpdata (E9).
        kwargs["editable"] = False
        kwargs["serialize"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        kwargs.pop("serialize", None)
        return name, "lib.crypto.EncryptedTextField", args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not issubclass(self.model, EncryptedFieldsMixin):
            errors.append(
                checks.Error(
                    f"{self.model._meta.label} has an EncryptedTextField but does not subclass "
                    "lib.crypto.EncryptedFieldsMixin.",
                    obj=self,
                    id="lib.E002",
                )
            )
        if self.unique or getattr(self, "db_index", False) or self.primary_key:
            errors.append(
                checks.Error(
                    "An encrypted field cannot be unique, indexed or a primary key (its "
                    "ciphertext differs on every write).",
                    obj=self,
                    id="lib.E003",
                )
            )
        return errors

    # --- the row's associated data ------------------------------------------------------------

    def associated_data(self, instance: models.Model, *, origin: bool = False) -> bytes:
        """model label | field | tenant id | pk. With ``origin``, the row as it was loaded."""
        context = instance.__dict__.get(_ORIGIN) if origin else None
        if context is None:
            tenant_attname = _tenant_attname(type(instance))
            tenant_id = getattr(instance, tenant_attname) if tenant_attname else None
            context = _row_context(type(instance), tenant_id, instance.pk)
        tenant_id, pk = context
        if pk is None:
            raise ValueError(
                f"{self.model._meta.label}.{self.name} is encrypted with its row's primary key, "
                "which must be known before saving: give the model a default primary key, e.g. "
                "id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)."
            )
        parts = ["tablecast-field", VERSION, self.model._meta.label_lower, self.name]
        return json.dumps([*parts, tenant_id, pk], separators=(",", ":")).encode()

    def decrypt_stored(self, instance: models.Model, stored: str) -> str:
        if stored == "":
            return ""
        try:
            return decrypt_value(stored, self.associated_data(instance, origin=True))
        except DecryptionError as exc:
            raise DecryptionError(
                f"{self.model._meta.label}.{self.name} of row {instance.pk}: {exc}"
            ) from None

    # --- to and from the column ---------------------------------------------------------------

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else StoredCiphertext(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if self.attname not in model_instance.__dict__:
            value = getattr(model_instance, self.attname)
        current = self.associated_data(model_instance)
        if isinstance(value, StoredCiphertext):
            same_row = self.associated_data(model_instance, origin=True) == current
            if same_row and (value == "" or key_id_of(value) == keyring().primary.id):
                return Ciphertext(value)  # untouched, already under the newest key
            value = self.decrypt_stored(model_instance, value)
            model_instance.__dict__[self.attname] = value
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(
                f"{self.model._meta.label}.{self.name} holds text, not {type(value).__name__}."
            )
        return Ciphertext(encrypt_value(value, current))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext) or value == "":
            return None if value is None else str(value)
        raise ValueError(
            f"{self.model._meta.label}.{self.name} is encrypted per row: set the attribute and "
            "call save() (or bulk_create()); QuerySet.update() and bulk_update() cannot encrypt."
        )

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return "[encrypted]"

    def formfield(self, **kwargs: Any) -> None:
        return None  # never rendered, not even in admin (E9)

    # --- no lookups (E8) ------------------------------------------------------------------------

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is encrypted and cannot be filtered with "
                f"'{lookup_name}' (only isnull). Add an HMAC blind-index column if you need "
                "lookups."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted and has no '{lookup_name}' "
            "transform."
        )


class EncryptedFieldsMixin:
    """Provides the row context of `EncryptedTextField` values. Put it before the model base:
    ``class SocialAccount(EncryptedFieldsMixin, TenantOwned)``. The primary key must have a
    default (e.g. ``uuid.uuid4``) so it is known before the row is inserted."""

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Any:
        instance = super().from_db(db, field_names, values, **kwargs)  # type: ignore[misc]
        tenant_attname = _tenant_attname(cls)
        pk_attname = cls._meta.pk.attname  # type: ignore[attr-defined]
        data = instance.__dict__
        if pk_attname in data and (tenant_attname is None or tenant_attname in data):
            tenant_id = data[tenant_attname] if tenant_attname else None
            data[_ORIGIN] = _row_context(cls, tenant_id, data[pk_attname])
        return instance

    @classmethod
    def check(cls, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)  # type: ignore[misc]
        pk = cls._meta.pk  # type: ignore[attr-defined]
        if not getattr(cls._meta, "abstract", False) and pk is not None and not pk.has_default():  # type: ignore[attr-defined]
            errors.append(
                checks.Error(
                    f"{cls._meta.label} has encrypted fields bound to its primary key, which must "  # type: ignore[attr-defined]
                    "be known before insert.",
                    hint="id = models.UUIDField(primary_key=True, default=uuid.uuid4, "
                    "editable=False)",
                    obj=cls,
                    id="lib.E001",
                )
            )
        return errors

    @classmethod
    def encrypted_fields(cls) -> list[EncryptedTextField]:
        return [
            f
            for f in cls._meta.local_concrete_fields  # type: ignore[attr-defined]
            if isinstance(f, EncryptedTextField)
        ]
