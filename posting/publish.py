"""One publication → the Graph calls that publish it (docs/publishing.md, "Publishing").

`publication_publish` runs once per claim. Under a row lock it checks the publication is still
``publishing`` and that this claim has no attempt yet (a duplicate or redelivered task stops
there), then writes the `PublishAttempt` and commits *before* calling Facebook. The outcome is
stored with a compare-and-set on the claim number.

- Facebook: text/link → ``/feed``; one photo → ``/photos`` with the web rendition's bytes;
  several → each uploaded unpublished, then ``/feed`` with ``attached_media``.
- Instagram: publishing quota first; containers from the Instagram rendition's public URL; the
  status is polled by `publication_poll` (a task re-enqueued every ≤ 60 s, for ≤ 5 minutes,
  never a sleep); then ``media_publish``, guarded so only one poll may send it.

A write that raised without Facebook's answer (timeout, reset, broken body) may have gone out:
the publication goes to ``needs_reconcile`` (`posting.reconcile`), never straight to a retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from assets.selectors import asset_instagram_url, asset_rendition_bytes
from assets.services import asset_mark_posted
from lib.statements import INT, Statement
from lib.tasks import bounded_countdown, enqueue_on_commit
from posting import budget, errors, states
from posting.models import Publication, PublishAttempt
from posting.services import account_publications_hold
from social.graph import GraphClient, GraphError, RateLimited, publishing
from social.models import SocialAccount
from social.services.token_health import account_mark_broken
from tenants.scoping import current_tenant
from tenants.statements import TENANT

logger = logging.getLogger(__name__)
S = Publication.State
Outcome = PublishAttempt.Outcome
Shape = Publication.Shape
POLL_STEP = "poll"
FIRST_STEP: dict[str, str] = {
    Shape.FB_TEXT: "feed",
    Shape.FB_LINK: "feed",
    Shape.FB_PHOTO: "photo",
    Shape.FB_ALBUM: "photo 1 unpublished",
    Shape.IG_IMAGE: "content_publishing_limit",
    Shape.IG_CAROUSEL: "content_publishing_limit",
}
PUBLISH_STEP = "media_publish"
TEXT_SHAPES = (Shape.FB_TEXT, Shape.FB_LINK)
ASSET_GONE = (
    "A photo of this post was deleted from the library before it went out, so it was not "
    "published. Edit the post with another photo, then retry."
)
ACCOUNT_GONE = "{account} is no longer connected, so this post is on hold until it is."
ACCOUNT_MOVED = (
    "This account now belongs to another restaurant on Tablecast, so this post was not "
    "published there."
)
POLL_TIMEOUT = "Instagram took too long to prepare the photo; we will try again."


class Ambiguous(Exception):
    """A write whose outcome is unknown: Facebook may have made the post."""

    def __init__(self, error: GraphError) -> None:
        super().__init__(error.describe())
        self.error = error


class QuotaSpent(Exception):
    pass


@dataclass
class Context:
    publication: Publication
    attempt: PublishAttempt
    client: GraphClient
    token: str = ""
    assets: list[Any] = field(default_factory=list)  # the post's photos, in order

    @property
    def object_id(self) -> str:
        return self.publication.account.external_id


# -- helpers ---------------------------------------------------------------------------------
def _write(call: Any, **kwargs: Any) -> Any:
    """A publishing write. Without Facebook's error envelope the outcome is unknown."""
    try:
        return call(**kwargs)
    except GraphError as exc:
        if exc.code is None:
            raise Ambiguous(exc) from None
        raise


def _step(ctx: Context, step: str) -> None:
    """Record which call is about to be made (before making it), and that we are alive.
    The attempt is created with its first step already written, so a one-call shape costs
    nothing here."""
    if ctx.attempt.step == step:
        return
    with transaction.atomic():
        PublishAttempt.objects.filter(pk=ctx.attempt.pk).update(step=step)
        Publication.objects.filter(pk=ctx.publication.pk).update(progress_at=timezone.now())
    ctx.attempt.step = step


def _finish_attempt(ctx: Context, outcome: str, *, error: GraphError | None = None, detail=""):
    fields: dict[str, Any] = {
        "outcome": outcome,
        "ended_at": timezone.now(),
        "detail": detail[:500],
    }
    if error is not None:
        fields.update(
            error_code=error.code, error_subcode=error.subcode, fbtrace_id=error.fbtrace_id
        )
    PublishAttempt.objects.filter(pk=ctx.attempt.pk).update(**fields)


def _message(publication: Publication, assets: list[Any] | None = None) -> str:
    post = publication.post
    text = post.text_for(publication.network)
    has_photos = bool(assets) if assets is not None else post.media_items.exists()
    if publication.network == Publication.Network.FACEBOOK and post.link and has_photos:
        text = f"{text}\n\n{post.link}".strip()  # a photo post carries the link in its text
    return text


def _assets(publication: Publication) -> list[Any]:
    return [m.asset for m in publication.post.media_items.select_related("asset")]


def _enqueue_poll(publication: Publication, *, after: int) -> None:
    from posting.tasks import publication_poll

    kwargs = {"tenant_id": publication.tenant_id, "publication_id": publication.pk}
    wait = bounded_countdown(min(after, 60))  # polls ≤ 60 s apart
    transaction.on_commit(lambda: publication_poll.apply_async(kwargs=kwargs, countdown=wait))


def _notify_failed(publication: Publication) -> None:
    from posting.tasks import publication_notify_failed

    enqueue_on_commit(
        publication_notify_failed, tenant_id=publication.tenant_id, publication_id=publication.pk
    )


# -- one claim -------------------------------------------------------------------------------
def _claimed(tenant: Any, publication_id: int) -> Any:
    """The publication with its account, Page and post, locked, and whether this claim already
    has its attempt. Compiled once per process (lib/statements.py): building and compiling it,
    with the task's restaurant (tenants/tasks.py), was a third of a publication's Python work in
    the worker (docs/publishing.md, "Proof under failure, and the benchmark")."""
    return (
        Publication.objects.select_for_update(of=("self",))
        .select_related("account", "account__linked_page", "post")
        # Whether this claim already has its attempt, in the same query.
        .annotate(
            claim_started=Exists(
                PublishAttempt.objects.filter(
                    publication=OuterRef("pk"), number=OuterRef("attempt_count")
                )
            )
        )
        .filter(pk=publication_id)
        .order_by()[:1]  # one row by id: no ORDER BY
    )


_CLAIMED = Statement(_claimed, tenant=TENANT, publication_id=INT)


def _begin(publication_id: Any) -> Context | str:
    with transaction.atomic():
        publication = _CLAIMED.first(tenant=current_tenant(), publication_id=int(publication_id))
        if publication is None or publication.state != S.PUBLISHING:
            return "not publishing"
        number = publication.attempt_count
        if publication.claim_started:
            return "duplicate"  # another delivery of this claim runs or ran; the sweeper watches
        account = publication.account
        if account.tenant_id != publication.tenant_id:  # moved to another restaurant
            states.move(publication, S.FAILED, last_error=ACCOUNT_MOVED, next_attempt_at=None)
            _notify_failed(publication)
            return "failed"
        token = account.graph_token
        if account.status in (SocialAccount.Status.NEEDS_RECONNECT, SocialAccount.Status.REVOKED):
            token = ""
        if not token:
            states.move(
                publication,
                S.HELD,
                hold_reason=Publication.HoldReason.RECONNECT,
                last_error=ACCOUNT_GONE.format(account=account),
            )
            return "held"
        until = budget.blocked_until(account.external_id)
        if until is not None:
            states.move(publication, S.SCHEDULED, next_attempt_at=until)
            return "budget"
        # A text or link post has no photos by construction (its shape is derived from them).
        assets = [] if publication.shape in TEXT_SHAPES else _assets(publication)
        if any(asset is None for asset in assets):
            states.move(publication, S.FAILED, last_error=ASSET_GONE, next_attempt_at=None)
            _notify_failed(publication)
            return "failed"
        attempt = PublishAttempt.objects.create(
            tenant_id=publication.tenant_id,
            publication=publication,
            number=number,
            step=FIRST_STEP[publication.shape],
            request_summary={
                "shape": publication.shape,
                "account": account.external_id,
                "text_length": len(_message(publication, assets)),
                "assets": [a.pk for a in assets],
                "link": bool(publication.post.link),
            },
        )
        Publication.objects.filter(pk=publication.pk).update(progress_at=timezone.now())
    return Context(
        publication=publication, attempt=attempt, client=GraphClient(), token=token, assets=assets
    )


def publication_publish(*, publication_id: Any) -> str:
    """Publish one claimed publication (see the module docstring). Returns what happened."""
    ctx = _begin(publication_id)
    if isinstance(ctx, str):
        return ctx
    try:
        if ctx.publication.network == Publication.Network.FACEBOOK:
            remote_id, permalink = _facebook(ctx)
            if not permalink:  # photo posts: the permalink is the post's, read separately
                permalink = _read_quietly(
                    publishing.post_permalink, ctx, post_id=remote_id, token=ctx.token
                )
            return _succeed(ctx, remote_id=remote_id, permalink=permalink)
        return _instagram_start(ctx)
    except Ambiguous as exc:
        return _ambiguous(ctx, exc.error)
    except QuotaSpent:
        return _apply_rule(ctx, errors.TABLE[(9, 2207042)], error=None)
    except GraphError as exc:
        return _graph_error(ctx, exc)
    finally:
        budget.record_usage(ctx.object_id, ctx.client.last_usage)


def _read_quietly(call: Any, ctx: Context, **kwargs: Any) -> str:
    """A read after success (the permalink): a failure costs the link, never the outcome."""
    try:
        return call(ctx.client, **kwargs)
    except GraphError as exc:
        logger.info("publication %s: permalink not read: %s", ctx.publication.pk, exc.describe())
        return ""


def _facebook(ctx: Context) -> tuple[str, str]:
    """Publish on the Page; returns the post id and, when Facebook gave it, its permalink."""
    publication = ctx.publication
    page_id, message = publication.account.external_id, _message(publication, ctx.assets)
    common: dict[str, Any] = {"page_id": page_id, "token": ctx.token}
    client = ctx.client
    if publication.shape in (Shape.FB_TEXT, Shape.FB_LINK):
        _step(ctx, "feed")
        created = _write(
            publishing.feed_create,
            client=client,
            message=message,
            link=publication.post.link,
            **common,
        )
        return created.id, created.permalink
    assets = ctx.assets
    if publication.shape == Shape.FB_PHOTO:
        image = asset_rendition_bytes(asset=assets[0], kind="web")
        _step(ctx, "photo")
        upload = _write(
            publishing.photo_upload, client=client, image=image, caption=message, **common
        )
        return upload.post_id or upload.id, ""
    photo_ids = []
    for index, asset in enumerate(assets, start=1):
        image = asset_rendition_bytes(asset=asset, kind="web")
        _step(ctx, f"photo {index} unpublished")
        # An unpublished photo is not a post: a lost answer here is a plain retry.
        photo_ids.append(publishing.photo_upload(client, image=image, published=False, **common).id)
    PublishAttempt.objects.filter(pk=ctx.attempt.pk).update(
        request_summary={**ctx.attempt.request_summary, "photo_ids": photo_ids}
    )
    _step(ctx, "feed")
    created = _write(
        publishing.feed_create, client=client, message=message, photo_ids=photo_ids, **common
    )
    return created.id, created.permalink


def _instagram_start(ctx: Context) -> str:
    publication = ctx.publication
    ig_id = publication.account.external_id
    common: dict[str, Any] = {"ig_user_id": ig_id, "token": ctx.token}
    _step(ctx, "content_publishing_limit")
    since = int((timezone.now() - timedelta(days=1)).timestamp())
    quota = publishing.publishing_quota(ctx.client, since=since, **common)
    if quota.spent:
        raise QuotaSpent
    urls = [asset_instagram_url(asset=a) for a in ctx.assets]
    caption = _message(publication, ctx.assets)
    children: list[str] = []
    # Containers publish nothing: a lost answer while creating one is a plain retry.
    if publication.shape == Shape.IG_IMAGE:
        _step(ctx, "container")
        container = publishing.container_create(
            ctx.client, image_url=urls[0], caption=caption, **common
        )
    else:
        for index, url in enumerate(urls, start=1):
            _step(ctx, f"carousel item {index}/{len(urls)}")
            children.append(
                publishing.container_create(ctx.client, image_url=url, carousel_item=True, **common)
            )
        _step(ctx, "carousel")
        container = publishing.container_create(
            ctx.client, children=children, caption=caption, **common
        )
    with transaction.atomic():
        now = timezone.now()
        saved = Publication.objects.filter(
            pk=publication.pk, state=S.PUBLISHING, attempt_count=ctx.attempt.number
        ).update(
            ig_container_id=container,
            ig_children_ids=children,
            poll_started_at=now,
            progress_at=now,
        )
        PublishAttempt.objects.filter(pk=ctx.attempt.pk).update(
            step=POLL_STEP,
            outcome=Outcome.WAITING,
            request_summary={
                **ctx.attempt.request_summary,
                "container": container,
                "children": children,
            },
        )
        if saved:
            _enqueue_poll(publication, after=settings.INSTAGRAM_POLL_SECONDS)
    return "waiting"


def publication_poll(*, publication_id: Any) -> str:
    """One look at an Instagram container; publishes it when FINISHED (once), polls again in
    ≤ 60 s while IN_PROGRESS, for at most ``INSTAGRAM_POLL_MAX_SECONDS``."""
    publication = (
        Publication.objects.select_related("account", "account__linked_page", "post")
        .filter(pk=publication_id, state=S.PUBLISHING)
        .first()
    )
    if publication is None or not publication.ig_container_id:
        return "not waiting"
    attempt = PublishAttempt.objects.filter(
        publication=publication, number=publication.attempt_count, step=POLL_STEP
    ).first()
    if attempt is None:
        return "not waiting"
    ctx = Context(
        publication=publication,
        attempt=attempt,
        client=GraphClient(),
        token=publication.account.graph_token,
        assets=_assets(publication),
    )
    try:
        return _poll(ctx)
    except Ambiguous as exc:
        return _ambiguous(ctx, exc.error)
    except GraphError as exc:
        return _graph_error(ctx, exc)
    finally:
        budget.record_usage(ctx.object_id, ctx.client.last_usage)


def _poll(ctx: Context) -> str:
    publication = ctx.publication
    Publication.objects.filter(pk=publication.pk).update(progress_at=timezone.now())
    status = publishing.container_status(
        ctx.client, container_id=publication.ig_container_id, token=ctx.token
    )
    code = status.status_code
    if code == "IN_PROGRESS":
        started = publication.poll_started_at or publication.claimed_at or timezone.now()
        if timezone.now() - started >= timedelta(seconds=settings.INSTAGRAM_POLL_MAX_SECONDS):
            return _apply_rule(ctx, errors.Rule(errors.Action.RETRY, POLL_TIMEOUT), error=None)
        _enqueue_poll(publication, after=settings.INSTAGRAM_POLL_SECONDS)
        return "waiting"
    if code == "PUBLISHED":  # an earlier media_publish did land: look it up, never publish again
        return _ambiguous(ctx, None)
    if code in ("ERROR", "EXPIRED"):
        rule = _container_rule(status) if code == "ERROR" else errors.TABLE[(-2, 2207020)]
        return _apply_rule(ctx, rule, error=None, detail=f"container {code} {status.status}")
    if code != "FINISHED":
        _enqueue_poll(publication, after=settings.INSTAGRAM_POLL_SECONDS)
        return "waiting"
    # Only one poll may send media_publish for this claim (compare-and-set on the step).
    if not PublishAttempt.objects.filter(pk=ctx.attempt.pk, step=POLL_STEP).update(
        step=PUBLISH_STEP
    ):
        return "duplicate"
    Publication.objects.filter(pk=publication.pk).update(progress_at=timezone.now())
    try:
        media_id = _write(
            publishing.media_publish,
            client=ctx.client,
            ig_user_id=publication.account.external_id,
            token=ctx.token,
            creation_id=publication.ig_container_id,
        )
    except GraphError as exc:
        if (exc.code, exc.subcode) == (9007, 2207027):  # not ready after all: keep polling
            PublishAttempt.objects.filter(pk=ctx.attempt.pk).update(step=POLL_STEP)
            _enqueue_poll(publication, after=settings.INSTAGRAM_POLL_SECONDS)
            return "waiting"
        raise
    permalink = _read_quietly(publishing.media_permalink, ctx, media_id=media_id, token=ctx.token)
    return _succeed(ctx, remote_id=media_id, permalink=permalink)


def _container_rule(status: publishing.ContainerStatus) -> errors.Rule:
    subcode = status.subcode
    for (_code, sub), rule in errors.TABLE.items():
        if sub is not None and sub == subcode:
            return rule
    return errors.IG_MEDIA


# -- outcomes --------------------------------------------------------------------------------
def _succeed(ctx: Context, *, remote_id: str, permalink: str) -> str:
    publication, number = ctx.publication, ctx.attempt.number
    done = {
        "remote_id": remote_id,
        "permalink": permalink,
        "published_at": timezone.now(),
        "last_error": "",
        "next_attempt_at": None,
    }
    with transaction.atomic():
        guard = {"attempt_count": number}
        moved = states.transition(
            ids=[publication.pk], source=S.PUBLISHING, target=S.PUBLISHED, guard=guard, **done
        ) or states.transition(  # the sweeper thought this worker had died
            ids=[publication.pk], source=S.NEEDS_RECONCILE, target=S.PUBLISHED, guard=guard, **done
        )
        _finish_attempt(ctx, Outcome.PUBLISHED, detail=f"Published as {remote_id}.")
        if not moved:
            logger.error(
                "publication %s published as %s but its state moved meanwhile",
                publication.pk,
                remote_id,
            )
            return "published elsewhere"
        published_photos(publication, ctx.assets)
    return "published"


def published_photos(publication: Publication, assets: list[Any] | None = None) -> None:
    for asset in _assets(publication) if assets is None else assets:
        if asset is not None:
            asset_mark_posted(asset=asset)


def _ambiguous(ctx: Context, error: GraphError | None) -> str:
    with transaction.atomic():
        if error is not None:
            _finish_attempt(ctx, Outcome.AMBIGUOUS, error=error, detail=error.describe())
        else:
            _finish_attempt(ctx, Outcome.AMBIGUOUS, detail="Instagram reports it published.")
        # Facebook may still be working on the request that timed out: the sweeper enqueues
        # the reconciliation once PUBLISH_RECONCILE_DELAY_SECONDS have passed.
        states.transition(
            ids=[ctx.publication.pk],
            source=S.PUBLISHING,
            target=S.NEEDS_RECONCILE,
            guard={"attempt_count": ctx.attempt.number},
            next_attempt_at=timezone.now()
            + timedelta(seconds=settings.PUBLISH_RECONCILE_DELAY_SECONDS),
        )
    return "ambiguous"


def _graph_error(ctx: Context, exc: GraphError) -> str:
    logger.info("publication %s: %s", ctx.publication.pk, exc.describe())
    if isinstance(exc, RateLimited):
        budget.block(ctx.object_id, seconds=exc.retry_after)
    return _apply_rule(ctx, errors.decide(exc), error=exc)


def _apply_rule(
    ctx: Context, rule: errors.Rule, *, error: GraphError | None, detail: str = ""
) -> str:
    publication, number = ctx.publication, ctx.attempt.number
    now = timezone.now()
    codes: dict[str, Any] = {"last_error": rule.sentence[:500]}
    if error is not None:
        codes.update(
            last_error_code=error.code,
            last_error_subcode=error.subcode,
            last_fbtrace_id=error.fbtrace_id,
        )
    action = rule.action
    if action == errors.Action.RETRY and publication.retry_count >= settings.PUBLISH_MAX_RETRIES:
        action, codes["last_error"] = errors.Action.FAIL, errors.TOO_MANY_RETRIES
    guard = {"attempt_count": number}
    common: dict[str, Any] = {"ids": [publication.pk], "source": S.PUBLISHING, "guard": guard}
    detail = detail or (error.describe() if error else rule.sentence)
    with transaction.atomic():
        if action == errors.Action.RETRY:
            floor = getattr(error, "retry_after", 0) if error else 0
            due: datetime = now + errors.backoff(retry=publication.retry_count, floor_seconds=floor)
            states.transition(
                target=S.SCHEDULED,
                next_attempt_at=due,
                retry_count=publication.retry_count + 1,
                ig_container_id="",
                ig_children_ids=[],
                **codes,
                **common,
            )
            _finish_attempt(ctx, Outcome.RETRY, error=error, detail=detail)
            return "retry"
        if action == errors.Action.HOLD:
            states.transition(target=S.HELD, hold_reason=rule.hold_reason, **codes, **common)
            _finish_attempt(ctx, Outcome.HELD, error=error, detail=detail)
            if rule.hold_reason == Publication.HoldReason.RECONNECT:
                _token_broken(publication.account, sentence=rule.sentence, error=error)
            return "held"
        if states.transition(target=S.FAILED, next_attempt_at=None, **codes, **common):
            _notify_failed(publication)
        _finish_attempt(ctx, Outcome.FAILED, error=error, detail=detail)
        return "failed"


def _token_broken(account: SocialAccount, *, sentence: str, error: GraphError | None) -> None:
    """Code 190: hold every pending publication of the account and mark it needs_reconnect
    (social's marking: history row and one email to the owners with the reconnect link)."""
    account_publications_hold(account=account, sentence=sentence)
    code = (
        f"{error.code}/{error.subcode}"
        if error and error.subcode
        else str(getattr(error, "code", ""))
    )
    words = getattr(error, "user_message", "") or sentence
    account_mark_broken(account=account, words=words, code=code, trigger="publish")
