"""The inbox, under /t/<tenant_slug>/inbox/ (config/urls.py)."""

from django.urls import path

from webhooks.views import inbox as views

app_name = "webhooks"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("items/", views.inbox_items, name="inbox_items"),
    path("auto-replies/", views.reply_settings, name="settings"),
    path("auto-replies/rules/", views.rule_create, name="rule_create"),
    path("auto-replies/rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("<uuid:conversation_id>/", views.thread, name="thread"),
    path("<uuid:conversation_id>/poll/", views.thread_poll, name="thread_poll"),
    path("<uuid:conversation_id>/reply/", views.reply, name="reply"),
    path("<uuid:conversation_id>/mark/", views.mark, name="mark"),
    path(
        "<uuid:conversation_id>/comments/<uuid:message_id>/reply/",
        views.comment_reply,
        name="comment_reply",
    ),
    path(
        "<uuid:conversation_id>/comments/<uuid:message_id>/private-reply/",
        views.comment_private_reply,
        name="comment_private_reply",
    ),
    path(
        "<uuid:conversation_id>/comments/<uuid:message_id>/hide/",
        views.comment_hide,
        name="comment_hide",
    ),
]
