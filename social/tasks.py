"""Token health tasks: ids in, tenant scope on (TenantTask), one service call, retry policy here.

Beat (one instance) runs the three periodic ones; the data migrations 0002 and 0003 create
and name them. Naming: docs/conventions.md ("Tasks")."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from lib.tasks import bounded_countdown
from social import selectors
from social.graph import GraphError
from social.models import SocialAccount
from social.services import lifecycle, token_health
from tenants.tasks import TenantTask

logger = logging.getLogger(__name__)


@shared_task(name="social.accounts_check")
def accounts_check() -> int:
    """Daily: enqueue one check per page, spread evenly over a window shorter than the
    broker's visibility timeout, so the app token's rate budget is never spent in a burst."""
    targets = selectors.accounts_to_check()
    window = settings.SOCIAL_TOKEN_CHECK_WINDOW_SECONDS
    step = window / max(len(targets), 1)
    for index, (tenant_id, account_id) in enumerate(targets):
        account_check.apply_async(
            kwargs={"tenant_id": tenant_id, "account_id": account_id},
            countdown=bounded_countdown(index * step),
        )
    return len(targets)


@shared_task(name="social.account_check", base=TenantTask, bind=True, max_retries=5, acks_late=True)
def account_check(self, *, tenant_id: int, account_id: str, trigger: str = "scheduled") -> str:
    account = SocialAccount.objects.filter(tenant_id=tenant_id, pk=account_id).first()
    if account is None or not account.is_holding:
        return "gone"
    try:
        check = token_health.account_check(account=account, trigger=trigger)
    except GraphError as exc:
        if not exc.retryable:
            raise
        countdown = getattr(exc, "retry_after", None) or 60 * 2**self.request.retries
        logger.info("token check of %s postponed %ss: %s", account_id, countdown, exc.describe())
        raise self.retry(countdown=bounded_countdown(countdown), exc=None) from None
    return check.result


@shared_task(name="social.user_tokens_refresh")
def user_tokens_refresh() -> int:
    """Daily: renew long-lived user tokens that are close to their end."""
    targets = selectors.accounts_with_user_tokens()
    for tenant_id, account_id in targets:
        user_token_refresh.apply_async(kwargs={"tenant_id": tenant_id, "account_id": account_id})
    return len(targets)


@shared_task(
    name="social.user_token_refresh", base=TenantTask, bind=True, max_retries=3, acks_late=True
)
def user_token_refresh(self, *, tenant_id: int, account_id: str) -> bool:
    account = SocialAccount.objects.filter(tenant_id=tenant_id, pk=account_id).first()
    if account is None:
        return False
    try:
        return token_health.account_refresh_user_token(account=account)
    except GraphError as exc:
        if exc.retryable:
            raise self.retry(
                countdown=bounded_countdown(getattr(exc, "retry_after", 300)), exc=None
            ) from None
        # Not renewable (e.g. already expired): the daily check flags the account.
        logger.info("user token of %s not renewed: %s", account_id, exc.describe())
        return False


@shared_task(name="social.oauth_states_purge")
def oauth_states_purge() -> int:
    """Hourly: OAuth states past their ten minutes and abandoned page pickers."""
    return lifecycle.oauth_states_purge()
