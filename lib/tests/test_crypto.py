"""Encrypted fields (RELIABILITY §2: E1–E8, falsy values, nonces), against PostgreSQL, with the
raw column read and written by SQL."""

from __future__ import annotations

import base64
import os
import random
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.core import serializers
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, models, transaction
from django.forms import modelform_factory
from django.forms.models import model_to_dict
from django.test import override_settings
from django.test.utils import isolate_apps

from lib import crypto
from lib.crypto import DecryptionError, EncryptedFieldsMixin, EncryptedTextField
from lib.tests.encryption_app.models import PlainSecret, SecretNote
from tenants.scoping import scopes_disabled
from tenants.testing import make_tenant

pytestmark = pytest.mark.django_db

MARKER = "EAAMARKERb64TokenZz"
TABLE = SecretNote._meta.db_table


def new_key(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def raw(pk, column: str = "token", table: str = TABLE):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def write_raw(pairs: list[tuple[str, uuid.UUID]], column: str = "token") -> None:
    """Set the raw column of many rows in one statement: pairs of (stored value, pk)."""
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", pairs)  # noqa: S608


def make_notes(tenant, count: int, prefix: str = MARKER) -> list[SecretNote]:
    with scopes_disabled():
        return SecretNote.objects.bulk_create(
            [SecretNote(tenant=tenant, token=f"{prefix}{i:05d}") for i in range(count)]
        )


def reload(notes: list[SecretNote]) -> list[SecretNote]:
    with scopes_disabled():
        by_pk = SecretNote.objects.in_bulk([n.pk for n in notes])
    return [by_pk[n.pk] for n in notes]


def count_failures(notes: list[SecretNote]) -> int:
    failures = 0
    for note in notes:
        try:
            value = note.token
        except DecryptionError:
            failures += 1
        else:
            pytest.fail(f"decrypted to {value[:6]}… instead of raising")
    return failures


def flip_bit(stored: str, rng: random.Random) -> str:
    version, key_id, encoded = stored.split(":")
    blob = bytearray(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    bit = rng.randrange(len(blob) * 8)
    blob[bit // 8] ^= 1 << (bit % 8)
    return f"{version}:{key_id}:{base64.urlsafe_b64encode(bytes(blob)).rstrip(b'=').decode()}"


def test_a_token_round_trips_and_the_column_holds_only_ciphertext(tenant):
    with scopes_disabled():
        note = SecretNote.objects.create(tenant=tenant, token=MARKER)
        stored = raw(note.pk)
        assert stored.startswith("v1:test2:")
        assert MARKER not in stored
        assert SecretNote.objects.get(pk=note.pk).token == MARKER


def test_a_thousand_tokens_leave_no_marker_in_a_raw_dump_e1(tenant):
    make_notes(tenant, 1000)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t::text FROM {TABLE} t")  # noqa: S608  (every column of every row)
        dump = [row[0] for row in cursor.fetchall()]
    assert len(dump) == 1000
    assert sum(MARKER in line or MARKER.lower() in line.lower() for line in dump) == 0


def test_a_ciphertext_copied_to_another_tenants_row_fails_every_time_e2(tenant, other_tenant):
    a_notes = make_notes(tenant, 1000, prefix="A")
    b_notes = make_notes(other_tenant, 1000, prefix="B")
    write_raw([(raw(a.pk), b.pk) for a, b in zip(a_notes, b_notes, strict=True)])
    assert count_failures(reload(b_notes)) == 1000


def test_a_ciphertext_copied_within_a_tenant_or_to_another_field_fails(tenant):
    notes = make_notes(tenant, 100)
    write_raw([(raw(a.pk), b.pk) for a, b in zip(notes[:50], notes[50:], strict=True)])
    write_raw([(raw(n.pk), n.pk) for n in notes[:50]], column="optional")
    assert count_failures(reload(notes[50:])) == 50
    for note in reload(notes[:50]):
        with pytest.raises(DecryptionError):
            _ = note.optional


def test_a_ciphertext_moved_to_a_tenantless_model_fails(tenant):
    (note,) = make_notes(tenant, 1)
    plain = PlainSecret.objects.create(token="x")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PlainSecret._meta.db_table} SET token = %s WHERE id = %s",  # noqa: S608
            [raw(note.pk), plain.pk],
        )
    with pytest.raises(DecryptionError):
        _ = PlainSecret.objects.get(pk=plain.pk).token


def test_one_flipped_bit_in_each_of_a_thousand_ciphertexts_fails_every_time_e3(tenant):
    notes = make_notes(tenant, 1000)
    rng = random.Random(3)
    write_raw([(flip_bit(raw(n.pk), rng), n.pk) for n in notes])
    assert count_failures(reload(notes)) == 1000


def test_a_changed_character_in_the_stored_text_fails(tenant):
    (note,) = make_notes(tenant, 1)
    stored = raw(note.pk)
    for position in range(len("v1:test2:"), len(stored)):
        replacement = "A" if stored[position] != "A" else "B"
        write_raw([(stored[:position] + replacement + stored[position + 1 :], note.pk)])
        with pytest.raises(DecryptionError):
            _ = reload([note])[0].token


def test_a_wrong_key_raises_and_never_returns_the_ciphertext_e4(tenant):
    notes = make_notes(tenant, 10)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key("test2")]):
        assert count_failures(reload(notes)) == 10


def test_a_missing_key_id_raises_naming_it_e4(tenant):
    (note,) = make_notes(tenant, 1)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[new_key("test9")]),
        pytest.raises(DecryptionError, match=r"'test2'.*not in FIELD_ENCRYPTION_KEYS"),
    ):
        _ = reload([note])[0].token


@pytest.mark.parametrize(
    "stored",
    [MARKER, "v1:test2:", "v1:test2:!!!!", "v1:test2:QUJD", "v2:test2:QUJDREVGR0g", "v1:test2"],
)
def test_plaintext_or_malformed_text_in_the_column_raises(tenant, stored):
    (note,) = make_notes(tenant, 1)
    write_raw([(stored, note.pk)])
    with pytest.raises(DecryptionError) as excinfo:
        _ = reload([note])[0].token
    assert MARKER not in str(excinfo.value)


def test_rotation_while_four_threads_read_loses_nothing_e6(transactional_db):
    old = "test1:dGVzdC1rZXktbnVtYmVyLW9uZS0zMi1ieXRlcyEhISE="
    with scopes_disabled():
        tenant = make_tenant("Rotation")
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        notes = make_notes(tenant, 600)
    expected = {n.pk: f"{MARKER}{i:05d}" for i, n in enumerate(notes)}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE token LIKE 'v1:test1:%%'")  # noqa: S608
        assert cursor.fetchone()[0] == 600

    stop = threading.Event()
    errors: list[str] = []
    reads = [0]

    def reader() -> None:
        from django.db import connection as thread_connection

        try:
            with scopes_disabled():
                while not stop.is_set():
                    for note in SecretNote.objects.filter(tenant=tenant).iterator(chunk_size=100):
                        if note.token != expected[note.pk]:
                            errors.append(f"wrong value for {note.pk}")
                        reads[0] += 1
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            thread_connection.close()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key("new1"), old]):
        threads = [threading.Thread(target=reader) for _ in range(4)]
        for thread in threads:
            thread.start()
        call_command("reencrypt_fields", batch_size=50, stdout=open(os.devnull, "w"))  # noqa: SIM115
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert reads[0] > 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token FROM {TABLE}")  # noqa: S608
            keys = {crypto.key_id_of(row[0]) for row in cursor.fetchall()}
        assert keys == {"new1"}
        assert {n.pk: n.token for n in reload(notes)} == expected


def test_the_reencrypt_command_reports_counts_and_skips_current_rows(tenant):
    notes = make_notes(tenant, 5)
    PlainSecret.objects.create(token="p")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key("new2"), *crypto_settings_keys()]):
        out = run_reencrypt()
        assert "encryption_app.SecretNote (token, optional): 5 re-encrypted" in out
        assert "encryption_app.PlainSecret (token): 1 re-encrypted" in out
        assert "0 failed" in out
        again = run_reencrypt()
        assert "encryption_app.SecretNote (token, optional): 0 re-encrypted, 5 already" in again
        assert [n.token for n in reload(notes)] == [f"{MARKER}{i:05d}" for i in range(5)]


def test_the_reencrypt_command_fails_on_an_undecryptable_row_and_keeps_it(tenant):
    notes = make_notes(tenant, 3)
    old_value = flip_bit(raw(notes[0].pk), random.Random(1))
    write_raw([(old_value, notes[0].pk)])
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key("new3"), *crypto_settings_keys()]):
        with pytest.raises(Exception, match="1 row\\(s\\) could not be decrypted"):
            run_reencrypt()
        assert raw(notes[0].pk) == old_value
        assert crypto.key_id_of(raw(notes[1].pk)) == "new3"


def crypto_settings_keys() -> list[str]:
    from django.conf import settings

    return list(settings.FIELD_ENCRYPTION_KEYS)


def run_reencrypt() -> str:
    from io import StringIO

    out = StringIO()
    call_command("reencrypt_fields", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_rotating_secret_key_leaves_every_token_readable_e7(tenant):
    notes = make_notes(tenant, 100)
    with override_settings(SECRET_KEY="a-completely-different-secret-key-" + "x" * 40):
        values = [n.token for n in reload(notes)]
    assert values == [f"{MARKER}{i:05d}" for i in range(100)]


@pytest.mark.parametrize(
    "lookup",
    [
        {"token": MARKER},
        {"token__exact": MARKER},
        {"token__iexact": MARKER},
        {"token__startswith": "EAA"},
        {"token__in": [MARKER]},
        {"token__contains": "A"},
    ],
)
def test_filtering_on_an_encrypted_field_raises_e8(tenant, lookup):
    with scopes_disabled():
        with pytest.raises(FieldError, match="encrypted and cannot be filtered"):
            list(SecretNote.objects.filter(**lookup))
        with pytest.raises(FieldError, match="encrypted"):
            list(SecretNote.objects.exclude(**lookup))


def test_isnull_is_the_one_lookup_that_works(tenant):
    with scopes_disabled():
        SecretNote.objects.create(tenant=tenant, token="a", optional=None)
        SecretNote.objects.create(tenant=tenant, token="b", optional="c")
        assert SecretNote.objects.filter(optional__isnull=True).count() == 1


def test_update_and_bulk_update_refuse_to_write_plaintext(tenant):
    (note,) = make_notes(tenant, 1)
    with scopes_disabled():
        with pytest.raises(ValueError, match="cannot encrypt"), transaction.atomic():
            SecretNote.objects.filter(pk=note.pk).update(token=MARKER)
        note.token = MARKER
        with pytest.raises(ValueError, match="cannot encrypt"), transaction.atomic():
            SecretNote.objects.bulk_update([note], ["token"])
    assert MARKER not in raw(note.pk)


@pytest.mark.parametrize("value", ["", "0", " ", "False"])
def test_falsy_looking_values_round_trip_encrypted(tenant, value):
    with scopes_disabled():
        note = SecretNote.objects.create(tenant=tenant, token=value, optional=value)
    assert raw(note.pk).startswith("v1:test2:")
    assert raw(note.pk, "optional").startswith("v1:test2:")
    (loaded,) = reload([note])
    assert loaded.token == value
    assert loaded.optional == value


def test_none_stays_null(tenant):
    with scopes_disabled():
        note = SecretNote.objects.create(tenant=tenant, token="x")
    assert raw(note.pk, "optional") is None
    assert reload([note])[0].optional is None


def test_a_raw_empty_column_reads_as_empty(tenant):
    (note,) = make_notes(tenant, 1)
    write_raw([("", note.pk)])
    assert reload([note])[0].token == ""


def test_a_thousand_encryptions_of_one_value_never_repeat_a_nonce():
    aad = b"aad"
    stored = [crypto.encrypt_value(MARKER, aad) for _ in range(1000)]
    nonces = {base64.urlsafe_b64decode(s.split(":")[2] + "==")[:12] for s in stored}
    assert len(nonces) == 1000
    assert len(set(stored)) == 1000
    assert {crypto.decrypt_value(s, aad) for s in stored} == {MARKER}


@pytest.mark.slow
def test_a_million_nonces_are_all_distinct_e5(monkeypatch):
    monkeypatch.setattr(crypto, "_count_encryption", lambda key_id: None)
    monkeypatch.setattr(crypto.os, "urandom", counted := _RecordingUrandom(os.urandom))
    for _ in range(1_000_000):
        crypto.encrypt_value("", b"")
    assert len(counted.seen) == 1_000_000
    assert all(len(n) == 12 for n in list(counted.seen)[:100])


class _RecordingUrandom:
    def __init__(self, real):
        self.real, self.seen = real, set()

    def __call__(self, n: int) -> bytes:
        value = self.real(n)
        self.seen.add(value)
        return value


def test_the_per_key_counter_alarms_past_its_threshold(monkeypatch, caplog):
    from django.core.cache import cache

    key_id = "alarm1"
    cache.delete(f"lib.crypto.encryptions.{key_id}")
    monkeypatch.setattr(crypto, "_COUNT_FLUSH_EVERY", 10)
    monkeypatch.setattr(crypto, "ALARM_AT", 25)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key(key_id)]):
        for _ in range(20):
            crypto.encrypt_value("x", b"")
        assert cache.get(f"lib.crypto.encryptions.{key_id}") == 20
        assert "alarm at 2^30" not in caplog.text
        for _ in range(10):
            crypto.encrypt_value("x", b"")
    assert f"key {key_id} has encrypted 30 values" in caplog.text
    cache.delete(f"lib.crypto.encryptions.{key_id}")


def test_an_untouched_value_is_not_rewritten_on_save_but_a_read_one_gets_a_new_nonce(tenant):
    (note,) = make_notes(tenant, 1)
    before = raw(note.pk)
    (loaded,) = reload([note])
    loaded.label = "renamed"
    loaded.save()
    assert raw(note.pk) == before
    assert loaded.token == f"{MARKER}00000"
    loaded.save()
    assert raw(note.pk) != before
    assert reload([note])[0].token == f"{MARKER}00000"


def test_a_copied_row_is_re_encrypted_for_its_new_primary_key(tenant):
    (note,) = make_notes(tenant, 1)
    (copy,) = reload([note])
    copy.pk = uuid.uuid4()
    copy._state.adding = True
    with scopes_disabled():
        copy.save()
    assert reload([copy])[0].token == f"{MARKER}00000"
    assert reload([note])[0].token == f"{MARKER}00000"


def test_a_primary_key_or_tenant_id_assigned_as_text_binds_the_same_row(tenant):
    pk = uuid.uuid4()
    with scopes_disabled():
        SecretNote.objects.create(id=str(pk).upper(), tenant_id=str(tenant.pk), token=MARKER)
        assert SecretNote.objects.get(pk=pk).token == MARKER


def test_a_deferred_field_decrypts_when_loaded(tenant):
    (note,) = make_notes(tenant, 1)
    with scopes_disabled():
        loaded = SecretNote.objects.defer("token").get(pk=note.pk)
    assert loaded.token == f"{MARKER}00000"


def test_a_tenantless_model_round_trips():
    secret = PlainSecret.objects.create(token=MARKER)
    assert MARKER not in raw(secret.pk, table=PlainSecret._meta.db_table)
    assert PlainSecret.objects.get(pk=secret.pk).token == MARKER


def test_a_row_without_a_primary_key_refuses_to_encrypt(tenant):
    # save() fills a defaulted pk first; this is the path of a model whose pk the database
    # assigns (which the lib.E001 check also reports).
    note = SecretNote(tenant=tenant, token=MARKER)
    note.id = None
    with pytest.raises(ValueError, match="must be known before saving"):
        SecretNote._meta.get_field("token").pre_save(note, add=True)


def test_repr_str_forms_and_serializers_never_show_the_plaintext_e9(tenant):
    with scopes_disabled():
        note = SecretNote.objects.create(tenant=tenant, token=MARKER)
        loaded = SecretNote.objects.get(pk=note.pk)
    assert loaded.token == MARKER  # decrypted and cached on the instance
    assert MARKER not in repr(loaded)
    assert MARKER not in str(loaded)
    form = modelform_factory(SecretNote, fields="__all__")(instance=loaded)
    assert "token" not in form.fields
    assert MARKER not in str(form)
    assert "token" not in model_to_dict(loaded)
    assert MARKER not in serializers.serialize("json", [loaded])
    assert SecretNote._meta.get_field("token").formfield() is None


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([], "FIELD_ENCRYPTION_KEYS is empty"),
        ("k1:" + "A" * 43, "must be a list"),
        (["no-colon-here"], "entry 1 is not of the form"),
        (["bad id!:" + "A" * 44], "entry 1: the key id must be"),
        (["k1:not base64 at all!"], "entry 1 \\(key id 'k1'\\): the key is not valid base64"),
        (["k1:" + base64.urlsafe_b64encode(b"s" * 16).decode()], "decodes to 16 bytes"),
        ([new_key("k1"), new_key("k1")], "entry 2 \\(key id 'k1'\\): this key id appears twice"),
    ],
)
def test_malformed_keys_are_refused_with_the_problem_named(keys, message):
    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        crypto.parse_keys(keys)
    assert "c3Nz" not in str(excinfo.value)  # never echoes key material
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=keys),
        pytest.raises(ImproperlyConfigured, match=message),
    ):
        crypto.encrypt_value("x", b"")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "short:QUJD",
            "FIELD_ENCRYPTION_KEYS entry 1 (key id 'short'): the key decodes to 3 bytes",
        ),
        ("nocolon", "FIELD_ENCRYPTION_KEYS entry 1 is not of the form"),
    ],
)
def test_a_process_with_malformed_keys_stops_at_start(value, message):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TABLECAST_ENV": "development",
        "FIELD_ENCRYPTION_KEYS": value,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@isolate_apps("lib.tests.encryption_app")
def test_a_model_without_a_default_primary_key_fails_its_check():
    class AutoPkSecret(EncryptedFieldsMixin, models.Model):
        token = EncryptedTextField()

        class Meta:
            app_label = "encryption_app"

    assert [e.id for e in AutoPkSecret.check()] == ["lib.E001"]


@isolate_apps("lib.tests.encryption_app")
def test_a_model_without_the_mixin_or_with_an_indexed_encrypted_field_fails_its_check():
    class NoMixin(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        token = EncryptedTextField(db_index=True)

        class Meta:
            app_label = "encryption_app"

    assert sorted(e.id for e in NoMixin.check()) == ["lib.E002", "lib.E003"]


def test_the_test_models_pass_their_checks():
    assert SecretNote.check() == []
    assert PlainSecret.check() == []
