"""Creating, scheduling, editing, cancelling and retrying posts: what the composer and admin call.

Keyword-only ``<thing>_<action>`` functions. Callers run inside the tenant's scope (portal
middleware, `TenantTask`); every lookup also filters by tenant, so another restaurant's account
or post is not found (a 404). Refusals raise `posting.rules.PostRefused` before anything is
written. State changes go through `posting.states.transition`; edits lock the publications
(``select_for_update``) so the dispatcher, which skips locked rows, cannot claim one mid-edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from assets.models import Asset, Rendition
from assets.services import asset_mark_used
from lib.tasks import enqueue_on_commit
from posting import rules, states
from posting.models import Post, PostMedia, Publication
from posting.rules import PostRefused
from posting.timing import ScheduledTime, local_to_utc
from social.models import SocialAccount
from tenants.models import Tenant

S = Publication.State
MAX_AHEAD = timedelta(days=365)
PAST_GRACE = timedelta(minutes=1)  # "now" typed a few seconds ago is not the past
RECONNECT_SENTENCE = (
    "{account} needs reconnecting, so this post is on hold. Reconnect it, then choose to "
    "publish the post now or at a new time."
)
# What a publication forgets when it is scheduled again (after a hold, a failure or an edit).
FRESH_START: dict[str, Any] = {
    "retry_count": 0,
    "hold_reason": "",
    "last_error": "",
    "last_error_code": None,
    "last_error_subcode": None,
    "failure_notified_at": None,
}
EDIT_REFUSED = (
    "This post is already being published (or has been), so it can no longer be changed. "
    "You can edit it on Facebook or Instagram directly."
)


@dataclass
class PostResult:
    post: Post
    publications: list[Publication]
    notes: list[str] = field(default_factory=list)  # what the person should know (DST, holds)


# -- reading the inputs ------------------------------------------------------------------------
def _accounts(*, tenant: Tenant, account_ids: Sequence[Any]) -> list[SocialAccount]:
    wanted = list(dict.fromkeys(str(a) for a in account_ids))
    if not wanted:
        raise PostRefused("Pick at least one Page or Instagram account.", code="no_target")
    found = {str(a.pk): a for a in SocialAccount.objects.filter(tenant=tenant, pk__in=wanted)}
    if len(found) != len(wanted):
        raise Http404("No such account.")
    accounts = [found[a] for a in wanted]
    for account in accounts:
        if account.status == SocialAccount.Status.REVOKED:
            raise PostRefused(
                f"{account} is disconnected. Connect it again to post there.",
                code="account_disconnected",
            )
    return accounts


def _assets(*, tenant: Tenant, asset_ids: Sequence[int]) -> list[Asset]:
    rules.check_photo_count(len(asset_ids))
    found = {a.pk: a for a in Asset.objects.filter(tenant=tenant, pk__in=list(asset_ids))}
    assets = []
    for asset_id in asset_ids:
        asset = found.get(int(asset_id))
        if asset is None:
            raise PostRefused(
                "One of the photos is no longer in the library (it was deleted). Pick another.",
                code="asset_deleted",
            )
        rules.check_asset_ready(asset)
        assets.append(asset)
    if len({a.pk for a in assets}) != len(assets):
        raise PostRefused("The same photo is in the post twice.", code="asset_repeated")
    return assets


def _check_instagram_renditions(assets: list[Asset]) -> None:
    renditions = {
        r.asset_id: r
        for r in Rendition.objects.filter(
            asset__in=assets, kind=Rendition.Kind.INSTAGRAM, tenant_id=assets[0].tenant_id
        )
    }
    for asset in assets:
        rules.check_instagram_rendition(asset, renditions.get(asset.pk))


def _network(account: SocialAccount) -> str:
    return Publication.Network.FACEBOOK if account.is_page else Publication.Network.INSTAGRAM


def _shapes(
    *, accounts: list[SocialAccount], assets: list[Asset], texts: dict[str, str], link: str
) -> dict[Any, str]:
    """Each target's derived shape, after every check the target's network makes."""
    shapes = {}
    for account in accounts:
        network = _network(account)
        shapes[account.pk] = rules.derive_shape(network=network, photos=len(assets), link=link)
        rules.check_text(network=network, text=texts[network], photos=len(assets), link=link)
    if assets and any(_network(a) == Publication.Network.INSTAGRAM for a in accounts):
        _check_instagram_renditions(assets)
    return shapes


def schedule_time(
    *, tenant: Tenant, when: datetime | None, publish_now: bool
) -> ScheduledTime | None:
    """The UTC instant for a wall time in the restaurant's zone (the time rule), or now.
    ``None`` when neither is given (a draft)."""
    now = timezone.now()
    if publish_now:
        local = now.astimezone(tenant.tzinfo).replace(tzinfo=None)
        return ScheduledTime(utc=now, local=local, zone=tenant.timezone)
    if when is None:
        return None
    scheduled = local_to_utc(wall=when, zone=tenant.timezone)
    if scheduled.utc < now - PAST_GRACE:
        raise PostRefused(
            f"{scheduled.local:%-d %B %Y, %H:%M} has already passed in {tenant.timezone}. "
            "Pick a later time, or publish it now.",
            code="in_past",
            choices=("publish_now",),
        )
    if scheduled.utc > now + MAX_AHEAD:
        raise PostRefused(
            "Posts can be scheduled at most a year ahead. Pick an earlier date.",
            code="too_far_ahead",
        )
    return scheduled


# -- creating --------------------------------------------------------------------------------
@transaction.atomic
def post_create(
    *,
    tenant: Tenant,
    author: Any,
    account_ids: Sequence[Any],
    text: str = "",
    text_facebook: str = "",
    text_instagram: str = "",
    link: str = "",
    asset_ids: Sequence[int] = (),
    when: datetime | None = None,
    publish_now: bool = False,
    post_type: str = "",
) -> PostResult:
    """A post and one publication per target account: a draft (no time), scheduled at
    ``when`` (the restaurant's wall time), or due now. A target whose account needs
    reconnecting is held, and the note says so."""
    accounts = _accounts(tenant=tenant, account_ids=account_ids)
    assets = _assets(tenant=tenant, asset_ids=asset_ids)
    texts: dict[str, str] = {
        Publication.Network.FACEBOOK: text_facebook or text,
        Publication.Network.INSTAGRAM: text_instagram or text,
    }
    shapes = _shapes(accounts=accounts, assets=assets, texts=texts, link=link)
    scheduled = schedule_time(tenant=tenant, when=when, publish_now=publish_now)
    post = Post.objects.create(
        tenant=tenant,
        author=author if getattr(author, "pk", None) else None,
        post_type=post_type,
        text=text,
        text_facebook=text_facebook,
        text_instagram=text_instagram,
        link=link,
        scheduled_at=scheduled.utc if scheduled else None,
        scheduled_local=f"{scheduled.local:%Y-%m-%d %H:%M}" if scheduled else "",
        scheduled_zone=scheduled.zone if scheduled else "",
        schedule_note=scheduled.note if scheduled else "",
    )
    PostMedia.objects.bulk_create(
        [PostMedia(tenant=tenant, post=post, asset=a, position=i) for i, a in enumerate(assets)]
    )
    publications = Publication.objects.bulk_create(
        [
            Publication(
                tenant=tenant,
                post=post,
                account=account,
                network=_network(account),
                shape=shapes[account.pk],
            )
            for account in accounts
        ]
    )
    notes = [scheduled.note] if scheduled and scheduled.note else []
    if scheduled is not None:
        notes += _schedule_publications(publications, due=scheduled.utc)
        for asset in assets:
            asset_mark_used(asset=asset)
    return PostResult(post=post, publications=publications, notes=notes)


def _schedule_publications(publications: list[Publication], *, due: datetime) -> list[str]:
    """Draft (or held) publications become scheduled at ``due``; those whose account needs
    reconnecting are held instead. Returns the notes for the person."""
    notes, ready, held = [], [], []
    for publication in publications:
        account = publication.account
        if account.status == SocialAccount.Status.NEEDS_RECONNECT:
            held.append(publication)
            notes.append(RECONNECT_SENTENCE.format(account=account))
        else:
            ready.append(publication)
    by_state: dict[str, list[Publication]] = {}
    for publication in ready:
        by_state.setdefault(publication.state, []).append(publication)
    for source, group in by_state.items():
        states.transition(
            ids=[p.pk for p in group],
            source=source,
            target=S.SCHEDULED,
            next_attempt_at=due,
            **FRESH_START,
        )
    for publication in held:
        if publication.state != S.HELD:
            states.transition(
                ids=[publication.pk],
                source=publication.state,
                target=S.HELD,
                next_attempt_at=due,
                hold_reason=Publication.HoldReason.RECONNECT,
                last_error=RECONNECT_SENTENCE.format(account=publication.account),
            )
    for publication in publications:
        publication.refresh_from_db()
    return notes


# -- changing it before it goes out ------------------------------------------------------------
def _locked_publications(post: Post) -> list[Publication]:
    """The post's publications, locked; refused when any is already on its way or out."""
    publications = list(
        Publication.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(tenant=post.tenant_id, post=post)
        .exclude(state=S.CANCELLED)
    )
    if any(not p.is_editable for p in publications):
        raise PostRefused(EDIT_REFUSED, code="already_claimed")
    return publications


@transaction.atomic
def post_edit(
    *,
    post: Post,
    text: str,
    text_facebook: str = "",
    text_instagram: str = "",
    link: str = "",
    asset_ids: Sequence[int] | None = None,
    post_type: str | None = None,
) -> PostResult:
    """Change the text, link or photos of a post that has not been claimed yet."""
    publications = _locked_publications(post)
    tenant = Tenant.objects.get(pk=post.tenant_id)
    if asset_ids is None:
        asset_ids = [m.asset_id for m in post.media_items.all() if m.asset_id]
    assets = _assets(tenant=tenant, asset_ids=asset_ids)
    texts: dict[str, str] = {
        Publication.Network.FACEBOOK: text_facebook or text,
        Publication.Network.INSTAGRAM: text_instagram or text,
    }
    accounts = [p.account for p in publications]
    shapes = _shapes(accounts=accounts, assets=assets, texts=texts, link=link)
    post.text, post.text_facebook, post.text_instagram, post.link = (
        text,
        text_facebook,
        text_instagram,
        link,
    )
    if post_type is not None:
        post.post_type = post_type
    post.save(
        update_fields=["post_type", "text", "text_facebook", "text_instagram", "link", "updated_at"]
    )
    PostMedia.objects.filter(tenant=post.tenant_id, post=post).delete()
    PostMedia.objects.bulk_create(
        [PostMedia(tenant=tenant, post=post, asset=a, position=i) for i, a in enumerate(assets)]
    )
    for publication in publications:
        if publication.shape != shapes[publication.account_id]:
            publication.shape = shapes[publication.account_id]
            publication.save(update_fields=["shape", "updated_at"])
    return PostResult(post=post, publications=publications)


@transaction.atomic
def post_reschedule(
    *, post: Post, when: datetime | None = None, publish_now: bool = False
) -> PostResult:
    """A new time (or now) for every publication of the post not claimed yet; held ones are
    released (the owner's choice after a reconnect)."""
    publications = _locked_publications(post)
    tenant = Tenant.objects.get(pk=post.tenant_id)
    scheduled = schedule_time(tenant=tenant, when=when, publish_now=publish_now)
    if scheduled is None:
        raise PostRefused("Pick a time, or publish it now.", code="no_time")
    post.scheduled_at, post.scheduled_local = scheduled.utc, f"{scheduled.local:%Y-%m-%d %H:%M}"
    post.scheduled_zone, post.schedule_note = scheduled.zone, scheduled.note
    post.save(
        update_fields=[
            "scheduled_at",
            "scheduled_local",
            "scheduled_zone",
            "schedule_note",
            "updated_at",
        ]
    )
    notes = [scheduled.note] if scheduled.note else []
    waiting = [p for p in publications if p.state != S.SCHEDULED]
    Publication.objects.filter(
        tenant=post.tenant_id, pk__in=[p.pk for p in publications], state=S.SCHEDULED
    ).update(next_attempt_at=scheduled.utc, updated_at=timezone.now())
    notes += _schedule_publications(waiting, due=scheduled.utc)
    for publication in publications:
        publication.refresh_from_db()
    return PostResult(post=post, publications=publications, notes=notes)


def _locked(publication: Publication) -> Publication:
    return (
        Publication.objects.select_for_update(of=("self",))
        .select_related("account", "post")
        .get(tenant=publication.tenant_id, pk=publication.pk)
    )


@transaction.atomic
def publication_cancel(*, publication: Publication) -> Publication:
    """Cancel one target before it is claimed (a failed one can be cancelled too)."""
    locked = _locked(publication)
    if locked.state == S.CANCELLED:
        return locked
    if locked.state not in (S.DRAFT, S.SCHEDULED, S.HELD, S.FAILED):
        raise PostRefused(EDIT_REFUSED, code="already_claimed")
    states.move(locked, S.CANCELLED, next_attempt_at=None)
    return locked


@transaction.atomic
def post_cancel(*, post: Post) -> PostResult:
    """Cancel every target of the post that has not been claimed."""
    publications = _locked_publications(post)
    for publication in publications:
        states.move(publication, S.CANCELLED, next_attempt_at=None)
    return PostResult(post=post, publications=publications)


@transaction.atomic
def publication_publish_now(*, publication: Publication) -> Publication:
    """Due now: a held one after a reconnect, a failed one (retry), or a scheduled one."""
    locked = _locked(publication)
    now = timezone.now()
    if locked.state == S.SCHEDULED:
        Publication.objects.filter(tenant=locked.tenant_id, pk=locked.pk, state=S.SCHEDULED).update(
            next_attempt_at=now
        )
        locked.next_attempt_at = now
        return locked
    return _release(locked, due=now)


@transaction.atomic
def publication_reschedule(*, publication: Publication, when: datetime) -> PostResult:
    """A new wall time for one held, failed or scheduled publication."""
    locked = _locked(publication)
    tenant = Tenant.objects.get(pk=locked.tenant_id)
    scheduled = schedule_time(tenant=tenant, when=when, publish_now=False)
    assert scheduled is not None
    if locked.state == S.SCHEDULED:
        Publication.objects.filter(tenant=locked.tenant_id, pk=locked.pk, state=S.SCHEDULED).update(
            next_attempt_at=scheduled.utc
        )
        locked.next_attempt_at = scheduled.utc
    else:
        _release(locked, due=scheduled.utc)
    return PostResult(
        post=locked.post, publications=[locked], notes=[scheduled.note] * bool(scheduled.note)
    )


def _release(publication: Publication, *, due: datetime) -> Publication:
    if publication.state not in (S.HELD, S.FAILED):
        raise PostRefused(_state_sentence(publication), code="wrong_state")
    if publication.account.tenant_id != publication.tenant_id:
        raise PostRefused(
            f"{publication.account} now belongs to another restaurant.", code="account_moved"
        )
    if publication.account.status in (
        SocialAccount.Status.NEEDS_RECONNECT,
        SocialAccount.Status.REVOKED,
    ):
        raise PostRefused(
            f"{publication.account} still needs reconnecting. Reconnect it first.",
            code="account_needs_reconnect",
        )
    states.move(
        publication,
        S.SCHEDULED,
        next_attempt_at=due,
        **FRESH_START,
    )
    return publication


def publication_retry(*, publication: Publication) -> Publication:
    """A new attempt for a failed publication. One whose outcome is unknown is checked on
    Facebook first (reconciliation), never re-sent blindly."""
    if publication.state == S.NEEDS_RECONCILE:
        raise PostRefused(
            "We are still checking on Facebook whether this post went out; it will be retried "
            "only if it did not.",
            code="reconciling",
        )
    return publication_publish_now(publication=publication)


def _state_sentence(publication: Publication) -> str:
    sentences: dict[str, str] = {
        S.PUBLISHED: "This post is already published.",
        S.PUBLISHING: "This post is being published right now.",
        S.CANCELLED: "This post was cancelled.",
        S.DRAFT: "This post is a draft: give it a time first.",
        S.NEEDS_RECONCILE: "We are checking on Facebook whether this post went out.",
    }
    return sentences.get(publication.state, "This post cannot be changed now.")


# -- token errors ------------------------------------------------------------------------------
def account_publications_hold(*, account: SocialAccount, sentence: str) -> int:
    """Hold every scheduled publication of the account (and of the Instagram accounts that
    publish with its Page token). Returns how many were held."""
    accounts = [account.pk]
    if account.is_page:
        accounts += list(account.instagram_accounts.values_list("pk", flat=True))
    elif account.linked_page_id:
        accounts.append(account.linked_page_id)
    ids = list(
        Publication.objects.filter(
            tenant=account.tenant_id, account__in=accounts, state=S.SCHEDULED
        ).values_list("pk", flat=True)
    )
    return states.transition(
        ids=ids,
        source=S.SCHEDULED,
        target=S.HELD,
        hold_reason=Publication.HoldReason.RECONNECT,
        last_error=sentence[:500],
    )


# -- operators ---------------------------------------------------------------------------------
STUCK_AFTER = timedelta(minutes=10)  # the admin's "stuck" filter and "reconcile now"


@transaction.atomic
def publication_reconcile_now(*, publication: Publication) -> Publication:
    """An operator's "reconcile now": a publication waiting for reconciliation is looked up at
    once; one stuck in ``publishing`` for more than ten minutes is sent to reconciliation (its
    worker is gone). Anything else is refused: reconciliation is for unknown outcomes only."""
    locked = _locked(publication)
    now = timezone.now()
    if locked.state == S.PUBLISHING and (locked.progress_at or locked.claimed_at or now) < (
        now - STUCK_AFTER
    ):
        states.move(locked, S.NEEDS_RECONCILE, next_attempt_at=now)
    elif locked.state == S.NEEDS_RECONCILE:
        Publication.objects.filter(tenant=locked.tenant_id, pk=locked.pk).update(
            next_attempt_at=now
        )
    else:
        raise PostRefused(
            "Only a publication whose outcome is unknown (checking on Facebook, or stuck "
            "publishing for more than ten minutes) can be reconciled.",
            code="not_ambiguous",
        )
    from posting.tasks import publication_reconcile

    enqueue_on_commit(publication_reconcile, tenant_id=locked.tenant_id, publication_id=locked.pk)
    return locked
