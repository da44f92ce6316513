"""The inbox filter's fields, drawn once per list of accounts when the form is unbound
(webhooks.forms.filter_fields): the markup the template loop gave, byte for byte, every value
escaped (docs/performance.md, "Pages")."""

from __future__ import annotations

import uuid

import pytest
from django.http import QueryDict
from django.template import Context, Template

from webhooks import selectors
from webhooks.forms import InboxFilterForm, filter_fields

# The loop inbox.html drew the fields with before templates/webhooks/_filter_fields.html.
_INLINE = Template(
    """{% for field in filter_form %}
          {% if field.field.widget.input_type == "checkbox" %}
            <p class="inbox-check">{{ field }} <label for="{{ field.id_for_label }}">{{ field.label }}</label></p>
          {% else %}
            <p>{{ field.label_tag }} {{ field }}</p>
          {% endif %}
        {% endfor %}"""
)


def _accounts(*names: str) -> list[selectors.InboxAccount]:
    kinds = ["facebook_page", "instagram"]
    return [
        selectors.InboxAccount(uuid.UUID(int=n + 1), name, kinds[n % 2])
        for n, name in enumerate(names)
    ]


def _inline(form: InboxFilterForm) -> str:
    return _INLINE.render(Context({"filter_form": form}))


@pytest.mark.parametrize(
    "query", ["", "state=done&unread=on", "account=x&network=myspace", "kind=<script>&state='"]
)
def test_the_filter_fields_are_the_template_loops_byte_for_byte(query):
    accounts = _accounts('Trattoria "<da>" Maria & Co', "@maria's <script>alert(1)</script>")
    if query:
        query = query.replace("account=x", f"account={accounts[1].pk}")
    form = InboxFilterForm(QueryDict(query) or None, accounts=accounts)
    markup = filter_fields(form, accounts=accounts)
    assert markup == _inline(InboxFilterForm(QueryDict(query) or None, accounts=accounts))
    assert "<script>" not in markup
    assert "Trattoria &quot;&lt;da&gt;&quot; Maria &amp; Co" in markup


def test_the_unbound_filter_is_drawn_once_per_list_of_accounts():
    accounts = _accounts("Maria", "@maria")
    first = filter_fields(InboxFilterForm(accounts=accounts), accounts=accounts)
    assert filter_fields(InboxFilterForm(accounts=accounts), accounts=list(accounts)) is first
    renamed = _accounts("Maria <new>", "@maria")
    markup = filter_fields(InboxFilterForm(accounts=renamed), accounts=renamed)
    assert "Maria &lt;new&gt;" in markup and markup == _inline(InboxFilterForm(accounts=renamed))
