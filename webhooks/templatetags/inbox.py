"""``{% comment_body c %}`` and ``{% bubble m %}``: a thread page's comments and messages
(webhooks/thread_html.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from webhooks import thread_html

register = template.Library()


@register.simple_tag(takes_context=True)
def comment_body(context: template.Context, c: Any) -> SafeString:
    form = context.get("reply_form")
    reply_text = (form["text"].value() or "") if form is not None else ""
    csrf_field = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', context.get("csrf_token", "")
    )
    return mark_safe(  # noqa: S308 - every value in thread_html.comment is escaped
        thread_html.comment(
            c,
            account_name=context["conversation"].account.name,
            reply_text=str(reply_text),
            csrf_field=csrf_field,
        )
    )


@register.simple_tag(takes_context=True)
def bubble(context: template.Context, m: Any) -> SafeString:
    customer = context["conversation"].customer_name
    return mark_safe(thread_html.bubble(m, customer_name=customer))  # noqa: S308 - escaped there
