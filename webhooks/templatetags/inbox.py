"""``{% comment_list comments %}`` and ``{% bubble_list thread %}``: a thread page's comments and
messages (webhooks/thread_html.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from webhooks import thread_html

register = template.Library()


@register.simple_tag(takes_context=True)
def comment_list(context: template.Context, comments: list[tuple[Any, list[Any]]]) -> SafeString:
    """Each top-level comment with its replies (``selectors.comment_tree``), as the items of
    the thread's list; what every comment shares is worked out once."""
    form = context.get("reply_form")
    reply_text = (form["text"].value() or "") if form is not None else ""
    csrf_field = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', context.get("csrf_token", "")
    )
    account_name = context["conversation"].account.name

    def body(c: Any) -> str:
        return thread_html.comment(
            c, account_name=account_name, reply_text=str(reply_text), csrf_field=csrf_field
        )

    items = []
    for comment, answers in comments:
        replies = "".join(f'<li class="comment">{body(a)}</li>' for a in answers)
        nested = f'<ol class="comments comment-replies">{replies}</ol>' if answers else ""
        items.append(f'<li class="comment">\n{body(comment)}{nested}\n</li>\n')
    return mark_safe("".join(items))  # noqa: S308 - every value in thread_html.comment is escaped


@register.simple_tag(takes_context=True)
def bubble_list(context: template.Context, thread: list[Any]) -> SafeString:
    """Each message of a Messenger or Instagram thread as a bubble."""
    customer = context["conversation"].customer_name
    bubbles = "".join(thread_html.bubble(m, customer_name=customer) for m in thread)
    return mark_safe(bubbles)  # noqa: S308 - escaped there
