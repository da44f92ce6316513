"""What every social service shares: the account history rows (`TokenCheck`) and the time
conversions of Facebook's answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from social.models import SocialAccount, TokenCheck


def check_record(
    account: SocialAccount, result: str, before: str, trigger: str, detail: str, code: str = ""
) -> TokenCheck:
    return TokenCheck.objects.create(
        tenant_id=account.tenant_id,
        account=account,
        result=result,
        status_before=before,
        status_after=account.status,
        trigger=trigger,
        detail=detail[:500],
        error_code=code,
    )


def expiry_after(seconds: int | None) -> datetime | None:
    return timezone.now() + timedelta(seconds=seconds) if seconds else None


def from_unix(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None
