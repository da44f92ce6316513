"""Token health tasks: ids in, tenant scope on (TenantTask), one service call, retry policy here.

Beat (one instance) runs the three periodic ones; the data migration 0002 creates them."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from social import selectors, services
from social.graph import GraphError
from social.models import SocialAccount
from tenants.tasks import TenantTask

logger = logging.getLogger(__name__)


@shared_task(name="social.check_all_tokens")
def check_all_tokens() -> int:
    """Daily: enqueue one check per page, spread evenly over a window shorter than the
    broker's visibility timeout, so the app token's rate budget is never spent in a burst."""
    targets = selectors.accounts_to_check()
    window = settings.SOCIAL_TOKEN_CHECK_WINDOW_SECONDS
    step = window / max(len(targets), 1)
    for index, (tenant_id, account_id) in enumerate(targets):
        check_account_token.apply_async(
            kwargs={"tenant_id": tenant_id, "account_id": account_id}, countdown=int(index * step)
        )
    return len(targets)


@shared_task(
    name="social.check_account_token", base=TenantTask, bind=True, max_retries=5, acks_late=True
)
def check_account_token(
    self, *, tenant_id: int, account_id: str, trigger: str = "scheduled"
) -> str:
    account = SocialAccount.objects.filter(tenant_id=tenant_id, pk=account_id).first()
    if account is None or not account.is_holding:
        return "gone"
    try:
        check = services.account_check(account=account, trigger=trigger)
    except GraphError as exc:
        if not exc.retryable:
            raise
        countdown = getattr(exc, "retry_after", None) or 60 * 2**self.request.retries
        logger.info("token check of %s postponed %ss: %s", account_id, countdown, exc.describe())
        raise self.retry(countdown=countdown, exc=None) from None
    return check.result


@shared_task(name="social.refresh_user_tokens")
def refresh_user_tokens() -> int:
    """Daily: renew long-lived user tokens that are close to their end."""
    targets = selectors.accounts_with_user_tokens()
    for tenant_id, account_id in targets:
        refresh_user_token.apply_async(kwargs={"tenant_id": tenant_id, "account_id": account_id})
    return len(targets)


@shared_task(
    name="social.refresh_user_token", base=TenantTask, bind=True, max_retries=3, acks_late=True
)
def refresh_user_token(self, *, tenant_id: int, account_id: str) -> bool:
    account = SocialAccount.objects.filter(tenant_id=tenant_id, pk=account_id).first()
    if account is None:
        return False
    try:
        return services.account_refresh_user_token(account=account)
    except GraphError as exc:
        if exc.retryable:
            raise self.retry(countdown=getattr(exc, "retry_after", 300), exc=None) from None
        # Not renewable (e.g. already expired): the daily check flags the account.
        logger.info("user token of %s not renewed: %s", account_id, exc.describe())
        return False


@shared_task(name="social.purge_oauth_states")
def purge_oauth_states() -> int:
    """Hourly: OAuth states past their ten minutes and abandoned page pickers."""
    return services.oauth_states_purge()
