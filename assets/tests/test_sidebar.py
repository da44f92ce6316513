"""The library's folder links and menu options (assets/sidebar.py) read as the template drew
them, and the menus offer what the forms accept."""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.template import Context, Template
from django.urls import reverse

from assets.forms import BulkForm
from assets.models import Folder
from assets.selectors import FolderNode, folder_tree
from assets.sidebar import folder_links, options
from lib.testing import html_tags
from tenants.scoping import scopes_disabled

# The loop the sidebar's template had before the links moved to Python.
_OLD = (
    "{% for node in nodes %}{% with pk=node.folder.pk %}"
    '<a class="folder depth-{{ node.indent }}" href="?folder={{ pk }}"'
    '{% if pk == current_folder_pk %} aria-current="page"{% endif %}>{{ node.folder.name }} '
    '<span class="count" data-count-for="{{ pk }}">{{ node.asset_count }}</span></a>'
    "{% endwith %}{% endfor %}"
)


def _node(pk: int, name: str, depth: int, count: int | None) -> FolderNode:
    return FolderNode(SimpleNamespace(pk=pk, name=name), depth, count)  # type: ignore[arg-type]


def test_the_links_read_as_the_template_drew_them():
    nodes = [
        _node(1, "Dishes & <drinks>", 0, 12),
        _node(2, 'Season "1"', 1, 0),
        _node(3, "Deep", 6, None),
        _node(4, "Caffè", 2, 3),
    ]
    for current in (None, 2, 99):
        old = Template(_OLD).render(Context({"nodes": nodes, "current_folder_pk": current}))
        new = folder_links(nodes, current_pk=current)
        html_tags(new)
        assert re.sub(r">\s+<", "><", new.strip()) == old
    assert new.count('aria-current="page"') == 0
    assert folder_links(nodes, current_pk=2).count('aria-current="page"') == 1
    assert "Dishes &amp; &lt;drinks&gt;" in new and "depth-4" in new  # deeper stays at 4


# The library's option loops before they moved to Python.
_OLD_TAG_OPTIONS = (
    '{% for t in tags %}<option value="{{ t.pk }}"{% if t.pk == selected_tag_pk %} selected'
    "{% endif %}>{{ t.name }}</option>{% endfor %}"
)
_OLD_PAIRS = (
    '{% for value, label in choices %}<option value="{{ value }}">{{ label }}</option>{% endfor %}'
)
_OLD_SUGGESTIONS = '{% for t in tags %}<option value="{{ t.name }}"></option>{% endfor %}'


def test_the_options_read_as_the_template_drew_them():
    tags = [
        SimpleNamespace(pk=pk, name=name)
        for pk, name in [(3, 'Wine & "beer"'), (7, "<b>x</b>"), (12, "caffè")]
    ]
    for selected in (None, 7, 99):
        old = Template(_OLD_TAG_OPTIONS).render(
            Context({"tags": tags, "selected_tag_pk": selected})
        )
        new = options(((t.pk, t.name) for t in tags), selected=selected)
        html_tags(new)
        assert new == old
    assert Template(_OLD_SUGGESTIONS).render(Context({"tags": tags})) == options(
        (t.name, None) for t in tags
    )
    choices = [("", "No folder"), ("4", "\u2003Season <1>"), ("5", "A & B")]
    assert Template(_OLD_PAIRS).render(Context({"choices": choices})) == options(choices)


def test_the_library_menus_offer_what_the_bulk_form_accepts(owner_client, tenant):
    with scopes_disabled():
        parent = Folder.objects.create(tenant=tenant, name="Dishes & <drinks>")
        Folder.objects.create(tenant=tenant, name="Summer", parent=parent)
        nodes = folder_tree(tenant=tenant)
        form = BulkForm(tenant=tenant, nodes=nodes)
    html = owner_client.get(reverse("assets:library", args=[tenant.slug])).content.decode()
    for select, field in (("bulk-folder", "folder"), ("bulk-action", "action")):
        drawn = re.search(rf'<select name="{field}" id="{select}">(.*?)</select>', html)
        assert drawn is not None
        assert drawn[1] == options(form.fields[field].choices)
