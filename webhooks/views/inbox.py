"""The inbox: one list of conversations and comment threads, a thread view with replies, and
the auto-reply settings. Members and owners use it; only owners change the settings.
Views parse, call one service, render (docs/webhooks.md, "Inbox")."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.urls import reverse_many
from tenants.access import owner_required
from tenants.http import TenantRequest
from webhooks import inbox_rows, replies, selectors, services
from webhooks.access import access_comment, access_conversation, access_rule
from webhooks.forms import (
    InboxFilterForm,
    ReplyForm,
    ReplySettingsForm,
    RuleForm,
    filter_fields,
)
from webhooks.models import Conversation, Message


def _conversation(request: TenantRequest, conversation_id, *, tokens: bool = True) -> Conversation:
    return access_conversation(tenant=request.tenant, id=conversation_id, tokens=tokens)


def _comment(request: TenantRequest, conversation: Conversation, message_id) -> Message:
    return access_comment(tenant=request.tenant, conversation=conversation, id=message_id)


def _list_context(request: TenantRequest, current_id: str = "") -> dict:
    accounts = selectors.inbox_accounts(tenant=request.tenant)
    query = request.GET.copy()
    for name in ("current", "v"):
        query.pop(name, None)
    before = selectors.InboxCursor.parse(query.pop("before", [""])[-1])
    form = InboxFilterForm(query or None, accounts=accounts)
    page = selectors.inbox_threads(tenant=request.tenant, before=before, **form.filters())
    threads = page.threads
    # Opening a thread keeps the list as it was (filters and page): its links carry the query.
    if before is not None:
        query["before"] = str(before)
    list_query = query.urlencode()
    older = query.copy()
    older["before"] = str(page.older)
    newest = query.copy()
    newest.pop("before", None)
    current_id = _uuid_text(current_id)  # the poll's ?current= is the browser's to send
    query["current"] = current_id
    slug = request.tenant.slug
    inbox_url = reverse("webhooks:inbox", kwargs={"tenant_slug": slug})
    here = (  # the page the list is on (the poll, too, answers for that page)
        reverse("webhooks:thread", kwargs={"tenant_slug": slug, "conversation_id": current_id})
        if current_id
        else inbox_url
    )
    return {
        "filter_form": form,
        "inbox_url": inbox_url,
        "threads": threads,
        "rows": inbox_rows.rows(
            threads, tenant=request.tenant, current_id=current_id, query=list_query
        ),
        # "← All conversations" on a phone's thread page: back to the same list page.
        "list_url": inbox_url + (f"?{list_query}" if list_query else ""),
        "older_url": f"{here}?{older.urlencode()}" if page.older else "",
        "newest_url": f"{here}?{newest.urlencode()}" if before is not None else "",
        "list_poll_url": reverse(
            "webhooks:inbox_items", kwargs={"tenant_slug": request.tenant.slug}
        )
        + "?"
        + query.urlencode(),
        "list_version": _list_version(threads),
        "current_id": current_id,
        "accounts": accounts,
        "poll_seconds": settings.WEBHOOK_INBOX_POLL_SECONDS,
        "tz": request.tenant.tzinfo,
    }


def _page_context(request: TenantRequest, current_id: str = "") -> dict:
    """The list with the filter form above it (the inbox and thread pages; the list's poll
    answers with the list alone)."""
    context = _list_context(request, current_id)
    context["filter_fields"] = filter_fields(context["filter_form"], accounts=context["accounts"])
    return context


def _uuid_text(text: str) -> str:
    """``text`` as a thread id's canonical text, or "" when it is not one."""
    try:
        return str(uuid.UUID(text)) if text else ""
    except ValueError:
        return ""


# What a message shows, worked out once here: a thread page shows up to a few hundred
# (docs/performance.md, "Pages"); the list's rows are drawn by webhooks/inbox_rows.py.
def _present_messages(
    thread: list[Message], *, conversation: Conversation, zone, form_for: str = "", action: str = ""
) -> None:
    """Times, and for comments the three action links and which form is open (after a refusal)."""
    current = timezone.get_current_timezone()  # looked up once, not per message
    when = inbox_rows.when
    for m in thread:
        m.when_iso, m.when = when(m.sent_at, zone, current)  # type: ignore[attr-defined]
    if not conversation.is_comments:
        return
    kwargs = {"tenant_slug": conversation.tenant.slug, "conversation_id": conversation.pk}
    reply, private, hide = (
        reverse_many(f"webhooks:{name}", vary="message_id", kwargs=kwargs)
        for name in ("comment_reply", "comment_private_reply", "comment_hide")
    )
    for m in thread:
        pk = m.pk
        m.reply_url = reply(pk)  # type: ignore[attr-defined]
        m.private_url = private(pk)  # type: ignore[attr-defined]
        m.hide_url = hide(pk)  # type: ignore[attr-defined]
        m.open_form = action if form_for and form_for == str(pk) else ""  # type: ignore[attr-defined]


def _list_version(threads: list[selectors.ThreadRow]) -> str:
    """Changes whenever anything the list shows changes."""
    state = "|".join(
        f"{t.pk}:{t.last_message_at}:{t.unread}:{t.needs_human}:{t.done}:{t.last_message_text}"
        for t in threads
    )
    return hashlib.sha256(state.encode()).hexdigest()[:16]


@require_GET
def inbox(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return render(request, "webhooks/inbox.html", _page_context(request))


@require_GET
def inbox_items(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The list alone, for htmx polling; 204 (nothing to swap) when nothing changed."""
    context = _list_context(request, current_id=request.GET.get("current", ""))
    if request.GET.get("v") == context["list_version"]:
        return HttpResponse(status=204)
    return render(request, "webhooks/_list.html", context)


def _thread_context(request: TenantRequest, conversation: Conversation, **extra) -> dict:
    thread = selectors.thread_messages(conversation=conversation)
    _present_messages(
        thread,
        conversation=conversation,
        zone=request.tenant.tzinfo,
        form_for=extra.get("comment_form_for", ""),
        action=extra.get("comment_action", ""),
    )
    allowed, tag, why = services.reply_mode(conversation=conversation)
    context = {
        **_page_context(request, current_id=str(conversation.pk)),
        "conversation": conversation,
        "thread": thread,
        "comments": selectors.comment_tree(messages=thread) if conversation.is_comments else [],
        "reply_allowed": allowed,
        "reply_tag": tag,
        "reply_blocked_reason": why,
        "reply_limit": replies.text_limit(conversation),
        "reply_form": extra.pop("reply_form", None) or ReplyForm(),
        "last_marker": _marker(thread),
        "version": _version(thread),
        "now": timezone.now(),
    }
    context.update(extra)
    return context


def _marker(thread: list[Message]) -> str:
    return thread[-1].sent_at.isoformat() if thread else ""


def _version(thread: list[Message]) -> str:
    """Changes whenever anything shown in the thread changes (new, sent, hidden, edited)."""
    state = "|".join(
        f"{m.pk}:{m.status}:{m.comment_state}:{m.edited_at}:{m.private_reply_at}" for m in thread
    )
    return hashlib.sha256(state.encode()).hexdigest()[:16]


@require_GET
def thread(request: TenantRequest, tenant_slug: str, conversation_id) -> HttpResponse:
    conversation = _conversation(request, conversation_id, tokens=False)
    services.conversation_mark(conversation=conversation, read=True)
    return render(request, "webhooks/thread.html", _thread_context(request, conversation))


@require_GET
def thread_poll(request: TenantRequest, tenant_slug: str, conversation_id) -> HttpResponse:
    """The thread's messages for htmx polling, with what is new announced to screen readers."""
    conversation = _conversation(request, conversation_id, tokens=False)
    try:
        since = datetime.fromisoformat(request.GET.get("after", ""))
    except ValueError:
        since = None
    thread = selectors.thread_messages(conversation=conversation)
    _present_messages(thread, conversation=conversation, zone=request.tenant.tzinfo)
    version = _version(thread)
    if request.GET.get("v") == version:
        return HttpResponse(status=204)  # nothing changed: htmx keeps the page as it is
    new = [m for m in thread if since is None or m.sent_at > since]
    incoming = [m for m in new if m.direction == Message.Direction.IN]
    if incoming:
        services.conversation_mark(conversation=conversation, read=True)
    return render(
        request,
        "webhooks/_thread_poll.html",
        {
            "conversation": conversation,
            "thread": thread,
            "comments": selectors.comment_tree(messages=thread) if conversation.is_comments else [],
            "announce": incoming if since is not None else [],
            "last_marker": _marker(thread),
            "version": version,
            "poll_seconds": settings.WEBHOOK_INBOX_POLL_SECONDS,
            "tz": request.tenant.tzinfo,
            "now": timezone.now(),
        },
    )


def _thread_url(conversation: Conversation) -> str:
    return reverse(
        "webhooks:thread",
        kwargs={"tenant_slug": conversation.tenant.slug, "conversation_id": conversation.pk},
    )


def _refused(
    request: TenantRequest, conversation, error: str, form: ReplyForm, **extra
) -> HttpResponse:
    context = _thread_context(request, conversation, reply_form=form, **extra)
    context["reply_error"] = error
    return render(request, "webhooks/thread.html", context, status=400)


@require_POST
def reply(request: TenantRequest, tenant_slug: str, conversation_id) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _refused(request, conversation, str(form.errors["text"][0]), form)
    try:
        services.conversation_reply(
            conversation=conversation, text=form.cleaned_data["text"], user=request.user
        )
    except services.ReplyRefused as exc:
        return _refused(request, conversation, str(exc), form)
    messages.success(request, "Reply sent.")
    return redirect(_thread_url(conversation))


def _comment_action(request: TenantRequest, conversation_id, message_id, action: str):
    conversation = _conversation(request, conversation_id)
    comment = _comment(request, conversation, message_id)
    form = ReplyForm(request.POST)
    extra = {"comment_form_for": str(comment.pk), "comment_action": action}
    if action != "hide" and not form.is_valid():
        return _refused(request, conversation, str(form.errors["text"][0]), form, **extra)
    try:
        if action == "reply":
            services.comment_reply(
                thread=conversation,
                comment=comment,
                text=form.cleaned_data["text"],
                user=request.user,
            )
            messages.success(request, "Reply posted under the comment.")
        elif action == "private":
            services.comment_private_reply(
                thread=conversation,
                comment=comment,
                text=form.cleaned_data["text"],
                user=request.user,
            )
            messages.success(request, "Private reply sent to the customer's messages.")
        else:
            services.comment_hide(thread=conversation, comment=comment)
            messages.success(
                request, "Comment hidden. Only its author and their friends still see it."
            )
    except services.ReplyRefused as exc:
        return _refused(request, conversation, str(exc), form, **extra)
    return redirect(_thread_url(conversation))


@require_POST
def comment_reply(
    request: TenantRequest, tenant_slug: str, conversation_id, message_id
) -> HttpResponse:
    return _comment_action(request, conversation_id, message_id, "reply")


@require_POST
def comment_private_reply(
    request: TenantRequest, tenant_slug: str, conversation_id, message_id
) -> HttpResponse:
    return _comment_action(request, conversation_id, message_id, "private")


@require_POST
def comment_hide(
    request: TenantRequest, tenant_slug: str, conversation_id, message_id
) -> HttpResponse:
    return _comment_action(request, conversation_id, message_id, "hide")


MARKS = {
    "done": ({"done": True}, "Marked as done."),
    "reopen": ({"done": False}, "Moved back to your to-do list."),
    "unread": ({"read": False}, "Marked as unread."),
    "resume": ({"human_done": True}, "Automatic replies are back on for this conversation."),
}


@require_POST
def mark(request: TenantRequest, tenant_slug: str, conversation_id) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    choice = MARKS.get(request.POST.get("mark", ""))
    if choice is None:
        messages.error(request, "That action is not known; nothing was changed.")
        return redirect(_thread_url(conversation))
    changes, sentence = choice
    services.conversation_mark(conversation=conversation, **changes)
    messages.success(request, sentence)
    # Done, or unread (the thread page would mark it read again): back to the list.
    if changes.get("done") or changes.get("read") is False:
        return redirect(reverse("webhooks:inbox", kwargs={"tenant_slug": tenant_slug}))
    return redirect(_thread_url(conversation))


# -- auto-reply settings (owners) --------------------------------------------------------------
@owner_required
@require_http_methods(["GET", "POST"])
def reply_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    reply_row = replies.reply_settings_for(tenant=request.tenant)
    accounts = selectors.inbox_accounts(tenant=request.tenant)
    form = ReplySettingsForm(request.POST or None, instance=reply_row, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        services.reply_settings_update(reply=reply_row, data=form.cleaned_data)
        messages.success(request, "Auto-reply settings saved.")
        return redirect(reverse("webhooks:settings", kwargs={"tenant_slug": tenant_slug}))
    return render(
        request,
        "webhooks/settings.html",
        {
            "form": form,
            "rule_form": RuleForm(),
            "rules": selectors.reply_rules(tenant=request.tenant),
        },
        status=400 if form.errors else 200,
    )


@owner_required
@require_POST
def rule_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = RuleForm(request.POST)
    if form.is_valid():
        services.rule_create(tenant=request.tenant, **form.cleaned_data)
        messages.success(request, "Rule added.")
        return redirect(reverse("webhooks:settings", kwargs={"tenant_slug": tenant_slug}))
    reply_row = replies.reply_settings_for(tenant=request.tenant)
    accounts = selectors.inbox_accounts(tenant=request.tenant)
    return render(
        request,
        "webhooks/settings.html",
        {
            "form": ReplySettingsForm(instance=reply_row, accounts=accounts),
            "rule_form": form,
            "rules": selectors.reply_rules(tenant=request.tenant),
        },
        status=400,
    )


@owner_required
@require_POST
def rule_delete(request: TenantRequest, tenant_slug: str, rule_id: int) -> HttpResponse:
    rule = access_rule(tenant=request.tenant, id=rule_id)
    services.rule_delete(rule=rule)
    messages.success(request, "Rule deleted.")
    return redirect(reverse("webhooks:settings", kwargs={"tenant_slug": tenant_slug}))
