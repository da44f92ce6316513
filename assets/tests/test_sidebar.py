"""The library sidebar's folder links (assets/sidebar.py) read as the template drew them."""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.template import Context, Template

from assets.selectors import FolderNode
from assets.sidebar import folder_links
from lib.testing import html_tags

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
