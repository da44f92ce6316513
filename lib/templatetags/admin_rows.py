"""``{% result_list cl %}`` with the rows drawn by lib/admin_rows.py; loaded by
``templates/admin/change_list.html`` after Django's ``admin_list``, so it takes the tag's name."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.template.base import Parser, Token

from lib.admin_rows import result_list

register = template.Library()


@register.tag(name="result_list")
def result_list_tag(parser: Parser, token: Token) -> InclusionAdminNode:
    node: Any = InclusionAdminNode  # django-stubs describe an older signature
    return node(
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
