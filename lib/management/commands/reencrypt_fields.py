"""Re-encrypt every encrypted column under the newest key (RELIABILITY E6).

Run after putting a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones until this reports
0 failures). Rows are locked batch by batch (`select_for_update`, one transaction per batch), so
readers keep working: every key in the list still decrypts while the command runs.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django_scopes import scopes_disabled

from lib.crypto import (
    DecryptionError,
    EncryptedFieldsMixin,
    StoredCiphertext,
    key_id_of,
    keyring,
)


def encrypted_models() -> list[tuple[type[models.Model], list[str]]]:
    """Every installed model with encrypted fields, with those fields' names."""
    found: list[tuple[type[models.Model], list[str]]] = []
    for model in apps.get_models():
        if issubclass(model, EncryptedFieldsMixin) and not model._meta.proxy:
            names = [f.name for f in model.encrypted_fields()]
            if names:
                found.append((model, names))
    return found


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field value that is not under the newest key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        newest = keyring().primary.id
        failures = 0
        with scopes_disabled():
            for model, names in encrypted_models():
                rewritten, current, failed = self._model(model, names, newest, batch_size)
                failures += failed
                self.stdout.write(
                    f"{model._meta.label} ({', '.join(names)}): {rewritten} re-encrypted, "
                    f"{current} already under key {newest}, {failed} failed"
                )
        if failures:
            raise CommandError(
                f"{failures} row(s) could not be decrypted (see the log); keep the old keys "
                "configured until they are fixed or cleared."
            )

    def _model(
        self, model: type[models.Model], names: list[str], newest: str, batch_size: int
    ) -> tuple[int, int, int]:
        rewritten = current = failed = 0
        last_pk = None
        attnames = [model._meta.get_field(name).attname for name in names]  # type: ignore[union-attr]  # encrypted fields are concrete fields
        while True:
            with transaction.atomic():
                rows = model._base_manager.select_for_update().order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows[:batch_size])
                for row in batch:
                    stale = [
                        name
                        for name, attname in zip(names, attnames, strict=True)
                        if isinstance(raw := row.__dict__.get(attname), StoredCiphertext)
                        and raw != ""
                        and key_id_of(raw) != newest
                    ]
                    if not stale:
                        current += 1
                        continue
                    try:
                        for name in stale:
                            getattr(row, name)  # decrypt first: a failure leaves the row as is
                    except DecryptionError as exc:
                        failed += 1
                        self.stderr.write(str(exc))
                        continue
                    row.save(update_fields=stale)
                    rewritten += 1
            if len(batch) < batch_size:
                return rewritten, current, failed
            last_pk = batch[-1].pk
