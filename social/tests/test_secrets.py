"""RELIABILITY E1, E2, E9 for social's tokens, and issue 4's "no page or user token in any log
line, admin page or task argument": a full connect → check → break → reconnect → disconnect
run with every logger captured at DEBUG (urllib3 and requests included)."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse

from lib.crypto import DecryptionError
from social import tasks
from social.models import SocialAccount
from social.tests.conftest import issued_tokens
from tenants.scoping import scopes_disabled
from tenants.testing import make_tenant

MARKER = "EAAGmarker"


def test_e1_a_thousand_tokens_never_reach_the_column_in_plaintext(tenant):
    with scopes_disabled():
        SocialAccount.objects.bulk_create(
            SocialAccount(
                tenant=tenant,
                kind="facebook_page",
                external_id=str(10**14 + i),
                name=f"P{i}",
                page_token=f"{MARKER}page{i:04d}",
                user_token=f"{MARKER}user{i:04d}",
            )
            for i in range(1000)
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT page_token, user_token FROM social_socialaccount")
        rows = cursor.fetchall()
    assert len(rows) == 1000
    assert sum(MARKER in (a + b) for a, b in rows) == 0
    with scopes_disabled():
        assert (
            SocialAccount.objects.get(external_id=str(10**14 + 7)).page_token == f"{MARKER}page0007"
        )


def test_e2_ciphertext_copied_into_another_tenants_row_never_decrypts(tenant):
    tenant_b = make_tenant("Copy Target")
    with scopes_disabled():
        for owner, prefix in ((tenant, "a"), (tenant_b, "b")):
            SocialAccount.objects.bulk_create(
                SocialAccount(
                    tenant=owner,
                    kind="facebook_page",
                    external_id=f"{prefix}{i}",
                    name=f"{prefix}{i}",
                    page_token=f"{MARKER}{prefix}{i}",
                )
                for i in range(1000)
            )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE social_socialaccount b SET page_token = a.page_token FROM social_socialaccount a "
            "WHERE b.tenant_id = %s AND a.tenant_id = %s AND substr(b.external_id, 2) = substr(a.external_id, 2)",
            [tenant_b.pk, tenant.pk],
        )
        assert cursor.rowcount == 1000
    failures = 0
    with scopes_disabled():
        for account in SocialAccount.objects.filter(tenant=tenant_b):
            try:
                _ = account.page_token
            except DecryptionError:
                failures += 1
    assert failures == 1000


@pytest.mark.parametrize("field", ["page_token", "user_token"])
def test_e2_ciphertext_copied_into_another_row_of_the_same_tenant_never_decrypts(tenant, field):
    with scopes_disabled():
        a = SocialAccount.objects.create(
            tenant=tenant, kind="facebook_page", external_id="1", name="a", **{field: "secret-a"}
        )
        b = SocialAccount.objects.create(
            tenant=tenant, kind="facebook_page", external_id="2", name="b", **{field: "secret-b"}
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE social_socialaccount SET {field} = (SELECT {field} FROM social_socialaccount WHERE id = %s) WHERE id = %s",  # noqa: S608 - field is a parametrized constant
            [a.pk, b.pk],
        )
    with scopes_disabled(), pytest.raises(DecryptionError):
        getattr(SocialAccount.objects.get(pk=b.pk), field)


class RawCapture(logging.Handler):
    """Sees every record first, before any other handler's masking filter can rewrite it, so
    the test proves what the code emits, not what the console handler cleans up."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


def test_no_token_appears_in_logs_admin_pages_or_task_arguments(
    flow, sb, tenant, caplog, admin_client, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    raw = RawCapture()
    logging.getLogger().handlers.insert(0, raw)
    for name in ("urllib3", "urllib3.connectionpool", "requests", "social", "django", "celery"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    sent_args: list[object] = []

    def record(self, args=None, kwargs=None, **options):
        sent_args.append((args, kwargs))

    try:
        with mock.patch("celery.app.task.Task.apply_async", record):
            flow.connect(pages=["Trattoria da Maria", "Pizzeria Bella Napoli", "Osteria del Porto"])
            with scopes_disabled():
                page = SocialAccount.objects.get(name="Pizzeria Bella Napoli")
                ids = [str(a.pk) for a in SocialAccount.objects.all()]
            tasks.accounts_check()
            sb.revoke_token(page.page_token)
            with django_capture_on_commit_callbacks(execute=True):
                tasks.account_check(tenant_id=tenant.pk, account_id=str(page.pk))
            # reconnect, check now, disconnect
            dialog = flow.client.post(reverse("social:reconnect", args=[tenant.slug, page.pk]))[
                "Location"
            ]
            flow.callback(sb.approve_login(dialog))
            flow.client.post(reverse("social:check", args=[tenant.slug, page.pk]))
            # the admin: list, change page, "check tokens now"
            pages = [
                admin_client.get(reverse("admin:social_socialaccount_changelist")),
                admin_client.get(
                    reverse("admin:social_socialaccount_changelist")
                    + "?status__exact=needs_reconnect"
                ),
                *[
                    admin_client.get(reverse("admin:social_socialaccount_change", args=[i]))
                    for i in ids
                ],
                admin_client.get(reverse("admin:social_oauthstate_changelist")),
                admin_client.get(reverse("admin:social_tokencheck_changelist")),
            ]
            admin_client.post(
                reverse("admin:social_socialaccount_changelist"),
                {"action": "check_tokens_now", "_selected_action": ids},
            )
            flow.client.post(reverse("social:disconnect", args=[tenant.slug, page.pk]))
        with scopes_disabled():
            reprs = [repr(a) + str(a) for a in SocialAccount.objects.all()]
    finally:
        logging.getLogger().removeHandler(raw)
        for name in ("urllib3", "urllib3.connectionpool", "requests", "social", "django", "celery"):
            logging.getLogger(name).setLevel(logging.NOTSET)

    tokens = issued_tokens(sb)
    assert len(tokens) >= 5  # short and long user tokens, page tokens, the reconnect's
    lines = raw.lines + [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any(line.startswith("urllib3") and "debug_token" in line for line in raw.lines)
    assert len(sent_args) >= 3  # daily check fan-out and the admin action
    for token in [*tokens, sb.app_secret]:
        assert not [line for line in lines if token in line], "token in a log line"
        assert not [a for a in sent_args if token in repr(a)], "token in task arguments"
        for response in pages:
            assert response.status_code == 200
            assert token not in response.content.decode(), "token in an admin page"
        assert not [r for r in reprs if token in r]
