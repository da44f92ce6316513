"""The inbox pages and their bad inputs (docs/webhooks.md, "Inbox")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from social.graph import PermissionMissing, messaging
from tenants.scoping import tenant_scope
from webhooks.models import AutoReplyRule, Conversation, Message
from webhooks.tests.helpers import account

pytestmark = pytest.mark.django_db


class FakeGraph:
    """Stands in for social.graph.messaging at the boundary; records what would be sent."""

    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, dict]] = []
        self.error: Exception | None = None
        for name in ("message_send", "private_reply_send", "comment_reply", "comment_hide"):
            monkeypatch.setattr(messaging, name, self._recorder(name))

    def _recorder(self, name):
        def call(client, **kwargs):
            if self.error is not None:
                raise self.error
            self.calls.append((name, kwargs))
            if name in ("message_send", "private_reply_send"):
                return messaging.Sent(kwargs.get("recipient_id", "2001"), f"m_{len(self.calls)}")
            if name == "comment_reply":
                return f"reply_{len(self.calls)}"
            return True

        return call


@pytest.fixture
def graph(monkeypatch):
    return FakeGraph(monkeypatch)


def _conversation(tenant, *, hours_ago=1, **fields):
    page = fields.pop("account", None) or account(tenant)
    with tenant_scope(tenant):
        conversation = Conversation.objects.create(
            tenant=tenant,
            account=page,
            kind=fields.pop("kind", "messages"),
            network=fields.pop("network", "facebook"),
            customer_id=fields.pop("customer_id", "2001"),
            customer_name=fields.pop("customer_name", "Giulia Bianchi"),
            last_incoming_at=timezone.now() - timedelta(hours=hours_ago),
            last_message_at=timezone.now() - timedelta(hours=hours_ago),
            last_message_text="Hello",
            **fields,
        )
        Message.objects.create(
            tenant=tenant,
            conversation=conversation,
            direction="in",
            text="Hello <b>there</b>",
            remote_id=f"m_in_{conversation.pk}",
            sent_at=timezone.now() - timedelta(hours=hours_ago),
        )
    return conversation


def _thread(tenant, conversation):
    return reverse("webhooks:thread", args=[tenant.slug, conversation.pk])


def _url(name, tenant, *args):
    return reverse(f"webhooks:{name}", args=[tenant.slug, *args])


@pytest.fixture
def staff_browser(staff_member):
    """A second browser, so owner_client and this one stay logged in as different people."""
    from django.test import Client

    client = Client()
    client.force_login(staff_member)
    return client


def test_members_and_owners_see_the_inbox_with_filters(owner_client, staff_browser, tenant):
    unread = _conversation(tenant, unread=True)
    flagged = _conversation(tenant, customer_id="2002", customer_name="Marco", needs_human=True)
    ig = _conversation(tenant, customer_id="1003", customer_name="ig_foodie", network="instagram")
    done = _conversation(tenant, customer_id="2004", customer_name="Old news", done=True)
    for client in (owner_client, staff_browser):
        page = client.get(_url("inbox", tenant)).content.decode()
        assert "Giulia Bianchi" in page and "Marco" in page and "ig_foodie" in page
        assert "Old news" not in page  # done ones are out of the to-do list
        assert '<span class="badge badge-bad">Needs a person</span>' in page

    def names(query):
        return {t.pk for t in owner_client.get(_url("inbox", tenant), query).context["threads"]}

    assert names({"unread": "on"}) == {unread.pk}
    assert names({"needs_human": "on"}) == {flagged.pk}
    assert names({"network": "instagram"}) == {ig.pk}
    assert names({"state": "done"}) == {done.pk}
    assert names({"kind": "comments"}) == set()
    assert names({"account": str(ig.account_id)}) == {ig.pk}
    assert names({"network": "myspace"}) == {unread.pk, flagged.pk, ig.pk}  # bad filter: ignored


def test_a_customers_html_is_escaped_in_the_thread(owner_client, tenant):
    conversation = _conversation(tenant, customer_name="<script>alert(1)</script>")
    with tenant_scope(tenant):
        Message.objects.create(
            tenant=tenant,
            conversation=conversation,
            direction="in",
            text="<img src=x onerror=alert(1)>",
            remote_id="m_x",
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_text="<img src=x onerror=alert(1)>"
        )
    for url in (_thread(tenant, conversation), _url("inbox", tenant)):
        page = owner_client.get(url).content.decode()
        assert "<img src=x" not in page and "<script>alert(1)" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_opening_a_thread_marks_it_read_and_the_poll_only_answers_when_something_changed(
    owner_client, tenant
):
    conversation = _conversation(tenant, unread=True)
    response = owner_client.get(_thread(tenant, conversation))
    assert response.status_code == 200
    row = f'<li class="inbox-item is-current">\n<a href="{_thread(tenant, conversation)}"'
    assert row + ' aria-current="page">' in response.content.decode()  # read by opening it
    conversation.refresh_from_db()
    assert conversation.unread is False
    poll = _url("thread_poll", tenant, conversation.pk)
    context = response.context
    unchanged = owner_client.get(poll, {"after": context["last_marker"], "v": context["version"]})
    assert unchanged.status_code == 204
    with tenant_scope(tenant):
        Message.objects.create(
            tenant=tenant,
            conversation=conversation,
            direction="in",
            text="Are you there?",
            remote_id="m_new",
        )
    fresh = owner_client.get(
        poll, {"after": context["last_marker"], "v": context["version"]}
    ).content.decode()
    assert "Are you there?" in fresh
    assert 'id="inbox-live"' in fresh and "New message from Giulia Bianchi: Are you there?" in fresh


def test_a_reply_inside_the_window_goes_through_the_send_api(owner_client, tenant, graph):
    conversation = _conversation(tenant)
    response = owner_client.post(
        _url("reply", tenant, conversation.pk), {"text": "Yes, we are open!"}
    )
    assert response.status_code == 302
    [(name, call)] = graph.calls
    assert name == "message_send" and call["recipient_id"] == "2001" and call["tag"] == ""
    assert call["page_id"] == conversation.account.external_id
    page = owner_client.get(_thread(tenant, conversation)).content.decode()
    assert "Yes, we are open!" in page and "Reply sent." in page


def test_a_reply_over_messengers_limit_is_refused_with_a_sentence_and_nothing_is_sent(
    owner_client, tenant, graph
):
    conversation = _conversation(tenant)
    long_text = "x" * 2001
    response = owner_client.post(_url("reply", tenant, conversation.pk), {"text": long_text})
    assert response.status_code == 400
    assert (
        "Messenger accepts at most 2,000 characters in one message; yours has 2,001."
        in response.content.decode()
    )
    assert long_text in response.content.decode()  # the text is kept to shorten
    assert graph.calls == []
    with tenant_scope(tenant):
        assert not Message.objects.filter(direction="out").exists()


def test_after_the_window_closed_the_reply_box_is_disabled_and_a_post_sends_nothing(
    owner_client, tenant, graph
):
    conversation = _conversation(tenant, hours_ago=30)
    page = owner_client.get(_thread(tenant, conversation)).content.decode()
    assert "More than 24 hours have passed since the customer&#x27;s last message" in page
    assert 'id="reply-send"' not in page
    response = owner_client.post(
        _url("reply", tenant, conversation.pk), {"text": "Sorry for the delay"}
    )
    assert response.status_code == 400
    assert "More than 24 hours have passed" in response.content.decode()
    assert graph.calls == []


@override_settings(WEBHOOK_HUMAN_AGENT_TAG=True)
def test_with_the_human_agent_setting_a_late_reply_is_tagged_up_to_seven_days(
    owner_client, tenant, graph
):
    late = _conversation(tenant, hours_ago=30)
    assert "human agent tag" in owner_client.get(_thread(tenant, late)).content.decode()
    assert owner_client.post(_url("reply", tenant, late.pk), {"text": "Sorry!"}).status_code == 302
    assert graph.calls[0][1]["tag"] == "HUMAN_AGENT"
    too_late = _conversation(tenant, hours_ago=24 * 8, customer_id="2009")
    assert (
        owner_client.post(_url("reply", tenant, too_late.pk), {"text": "Hello?"}).status_code == 400
    )
    assert len(graph.calls) == 1


def test_facebook_refusing_a_reply_keeps_it_marked_not_sent_with_the_reason(
    owner_client, tenant, graph
):
    conversation = _conversation(tenant)
    graph.error = PermissionMissing("(#10) outside of allowed window", code=10, subcode=2018278)
    response = owner_client.post(_url("reply", tenant, conversation.pk), {"text": "Hi"})
    assert response.status_code == 400
    assert "24-hour reply window has closed" in response.content.decode()
    with tenant_scope(tenant):
        kept = Message.objects.get(direction="out")
    assert (kept.status, kept.text) == ("failed", "Hi")


def test_an_empty_reply_is_refused(owner_client, tenant, graph):
    conversation = _conversation(tenant)
    response = owner_client.post(_url("reply", tenant, conversation.pk), {"text": "  "})
    assert response.status_code == 400 and "Write a reply first." in response.content.decode()


def test_another_restaurants_conversation_or_comment_is_a_404(
    owner_client, tenant, other_tenant, graph
):
    theirs = _conversation(other_tenant)
    with tenant_scope(other_tenant):
        their_comment = Message.objects.filter(conversation=theirs).first()
    ours = _conversation(tenant, kind="comments", customer_id="", post_id="1_1")
    assert owner_client.get(_thread(tenant, theirs)).status_code == 404
    assert owner_client.post(_url("reply", tenant, theirs.pk), {"text": "hi"}).status_code == 404
    assert owner_client.post(_url("mark", tenant, theirs.pk), {"mark": "done"}).status_code == 404
    # Our thread with their comment id in the URL.
    for name in ("comment_reply", "comment_private_reply", "comment_hide"):
        assert (
            owner_client.post(
                _url(name, tenant, ours.pk, their_comment.pk), {"text": "hi"}
            ).status_code
            == 404
        )
    assert graph.calls == []


def _comment_thread(tenant, *, days_ago=1):
    page = account(tenant)
    with tenant_scope(tenant):
        thread = Conversation.objects.create(
            tenant=tenant,
            account=page,
            kind="comments",
            network="facebook",
            post_id=f"{page.external_id}_5",
            last_message_at=timezone.now(),
        )
        comment = Message.objects.create(
            tenant=tenant,
            conversation=thread,
            direction="in",
            text="Do you do takeaway?",
            remote_id="5_77",
            author_id="3001",
            author_name="Luca",
            sent_at=timezone.now() - timedelta(days=days_ago),
        )
    return thread, comment


def test_comment_reply_private_reply_once_and_hide(owner_client, tenant, graph):
    thread, comment = _comment_thread(tenant)
    page = owner_client.get(_thread(tenant, thread)).content.decode()
    assert "Do you do takeaway?" in page and "Reply privately" in page
    assert (
        owner_client.post(
            _url("comment_reply", tenant, thread.pk, comment.pk), {"text": "Yes, every evening!"}
        ).status_code
        == 302
    )
    assert graph.calls[-1] == (
        "comment_reply",
        {
            "comment_id": "5_77",
            "page_token": "test-page-token",
            "text": "Yes, every evening!",
            "instagram": False,
        },
    )
    assert (
        owner_client.post(
            _url("comment_private_reply", tenant, thread.pk, comment.pk),
            {"text": "Here is our menu"},
        ).status_code
        == 302
    )
    assert graph.calls[-1][0] == "private_reply_send" and graph.calls[-1][1]["comment_id"] == "5_77"
    again = owner_client.post(
        _url("comment_private_reply", tenant, thread.pk, comment.pk), {"text": "Again"}
    )
    assert again.status_code == 400 and "already sent a private reply" in again.content.decode()
    assert owner_client.post(_url("comment_hide", tenant, thread.pk, comment.pk)).status_code == 302
    comment.refresh_from_db()
    assert comment.comment_state == "hidden" and comment.private_reply_at is not None
    with tenant_scope(tenant):
        dm = Conversation.objects.get(kind="messages")
    assert dm.customer_name == "Luca"
    assert len(graph.calls) == 3


def test_a_private_reply_after_seven_days_is_refused(owner_client, tenant, graph):
    thread, comment = _comment_thread(tenant, days_ago=8)
    response = owner_client.post(
        _url("comment_private_reply", tenant, thread.pk, comment.pk), {"text": "Hi"}
    )
    assert response.status_code == 400 and "more than 7 days old" in response.content.decode()
    assert graph.calls == []


def test_mark_done_reopen_and_resume_automatic_replies(owner_client, tenant):
    conversation = _conversation(
        tenant, needs_human=True, needs_human_reason="The customer asked for a person."
    )
    assert (
        owner_client.post(_url("mark", tenant, conversation.pk), {"mark": "done"}).status_code
        == 302
    )
    conversation.refresh_from_db()
    assert conversation.done
    owner_client.post(_url("mark", tenant, conversation.pk), {"mark": "resume"})
    owner_client.post(_url("mark", tenant, conversation.pk), {"mark": "reopen"})
    conversation.refresh_from_db()
    assert not conversation.done and not conversation.needs_human
    response = owner_client.post(
        _url("mark", tenant, conversation.pk), {"mark": "explode"}, follow=True
    )
    assert "That action is not known; nothing was changed." in response.content.decode()


def test_mark_unread_leaves_the_thread_unread_and_goes_back_to_the_list(owner_client, tenant):
    conversation = _conversation(tenant, unread=True)
    owner_client.get(_thread(tenant, conversation))  # opening it marks it read
    conversation.refresh_from_db()
    assert conversation.unread is False
    response = owner_client.post(
        _url("mark", tenant, conversation.pk), {"mark": "unread"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("webhooks:inbox", args=[tenant.slug])
    conversation.refresh_from_db()
    assert conversation.unread is True  # not read again by showing the thread
    page = response.content.decode()
    assert "Marked as unread." in page and '<li class="inbox-item is-unread">' in page


def test_opening_a_thread_already_read_writes_nothing(owner_client, tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    conversation = _conversation(tenant, unread=False)
    with CaptureQueriesContext(connection) as queries:
        assert owner_client.get(_thread(tenant, conversation)).status_code == 200
    assert not [q for q in queries if q["sql"].startswith("UPDATE")], queries.captured_queries


def test_owners_edit_auto_replies_and_rules_staff_cannot(owner_client, staff_browser, tenant):
    page = account(tenant)
    assert staff_browser.get(_url("settings", tenant)).status_code == 403
    response = owner_client.post(
        _url("settings", tenant),
        {
            "enabled": "on",
            "accounts_off": [str(page.pk)],
            "greeting": "Ciao!",
            "away_message": "Closed now.",
        },
    )
    assert response.status_code == 302
    with tenant_scope(tenant):
        from webhooks.models import ReplySettings

        row = ReplySettings.objects.get()
    assert row.accounts_off == [str(page.pk)] and row.greeting == "Ciao!"
    bad = owner_client.post(_url("rule_create", tenant), {"keywords": "a, b", "answer": "x"})
    assert bad.status_code == 400 and "at least 3 letters" in bad.content.decode()
    assert (
        owner_client.post(
            _url("rule_create", tenant),
            {"keywords": "truffle,  tartufo ", "answer": "Until January"},
        ).status_code
        == 302
    )
    with tenant_scope(tenant):
        rule = AutoReplyRule.objects.get()
    assert rule.keywords == "truffle, tartufo"
    assert staff_browser.post(_url("rule_delete", tenant, rule.pk)).status_code == 403
    assert owner_client.post(_url("rule_delete", tenant, rule.pk)).status_code == 302
    with tenant_scope(tenant):
        assert not AutoReplyRule.objects.exists()


def test_the_list_poll_answers_only_when_the_list_changed(owner_client, tenant):
    conversation = _conversation(tenant, unread=True)
    page = owner_client.get(_url("inbox", tenant), {"network": "facebook"})
    version = page.context["list_version"]
    assert "network=facebook" in page.context["list_poll_url"]
    items = _url("inbox_items", tenant)
    assert (
        owner_client.get(items, {"network": "facebook", "current": "", "v": version}).status_code
        == 204
    )
    with tenant_scope(tenant):
        Conversation.objects.filter(pk=conversation.pk).update(last_message_text="Still there?")
    fresh = owner_client.get(items, {"network": "facebook", "current": "", "v": version})
    assert fresh.status_code == 200 and "Still there?" in fresh.content.decode()
    assert 'id="inbox-list"' in fresh.content.decode()


@pytest.mark.parametrize("kind", ["messages", "comments"])
def test_a_thread_page_and_its_poll_read_no_token_and_no_account_twice(owner_client, tenant, kind):
    """They show the account's name and send nothing: the account's tokens stay unread, and
    the name comes with the conversation (no query per deferred field)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    conversation = _conversation(tenant, kind=kind, post_id="1_2" if kind == "comments" else "")
    with tenant_scope(tenant):
        for n in range(3):
            Message.objects.create(
                tenant=tenant, conversation=conversation, direction="in", text=f"Hi {n}",
                remote_id=f"m_{n}", author_name="Giulia",
            )  # fmt: skip
    for url in (_thread(tenant, conversation), _url("thread_poll", tenant, conversation.pk)):
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(url)
        assert response.status_code == 200
        sqls = [q["sql"] for q in queries.captured_queries]
        assert not any("page_token" in sql or "user_token" in sql for sql in sqls), url
        from_accounts = [sql for sql in sqls if 'FROM "social_socialaccount"' in sql]
        assert len(from_accounts) <= 2, from_accounts  # the inbox filter's list, the banner
        assert account(tenant).name in response.content.decode() or url.endswith("poll/")


def test_a_replys_author_is_shown_without_loading_their_account(owner_client, tenant):
    """The thread names who replied (first name, else email); the messages' query reads those
    two columns of the author's account, never the password hash, and no query per reply."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.testing import make_user

    marco = make_user("marco@alba.example")
    marco.first_name = "Marco"
    marco.save()
    conversation = _conversation(tenant, kind="messages")

    def add(n: int) -> None:
        with tenant_scope(tenant):
            Message.objects.create(
                tenant=tenant, conversation=conversation, direction="out", text=f"Reply {n}",
                remote_id=f"r_{n}", sent_by=marco,
            )  # fmt: skip

    add(0)
    with CaptureQueriesContext(connection) as first:
        page = owner_client.get(_thread(tenant, conversation)).content.decode()
    assert "Marco" in page
    [messages_sql] = [
        q["sql"] for q in first.captured_queries if 'FROM "webhooks_message"' in q["sql"]
    ]
    assert '"auth_user"."password"' not in messages_sql and '"auth_user"."email"' in messages_sql
    for n in range(1, 4):
        add(n)
    with CaptureQueriesContext(connection) as more:
        owner_client.get(_thread(tenant, conversation))
    assert len(more.captured_queries) == len(first.captured_queries)
