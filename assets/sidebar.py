"""The library's lists drawn in Python (as the tiles are, assets/tiles.py): the sidebar's
folder links (a link per folder with its depth, its count and whether it is the one shown) and
the options of its tag and bulk-action menus. Through the template engine each item's values
cost more than the list's query (docs/performance.md, "Pages"). Every value is escaped with
`html.escape` (`lib.display.escape`); numbers are plain ``int``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from assets.selectors import FolderNode
from lib.display import escape


def folder_links(nodes: Iterable[FolderNode], *, current_pk: int | None) -> SafeString:
    """One link per folder (``?folder=<pk>``) in `assets.selectors.folder_tree`'s order."""
    links = []
    for node in nodes:
        pk = int(node.folder.pk)
        current = ' aria-current="page"' if pk == current_pk else ""
        count = "None" if node.asset_count is None else int(node.asset_count)
        links.append(
            f'<a class="folder depth-{int(node.indent)}" href="?folder={pk}"{current}>'
            f"{escape(node.folder.name)} "
            f'<span class="count" data-count-for="{pk}">{count}</span></a>\n'
        )
    return mark_safe("".join(links))  # noqa: S308 - every value above is escaped or an int


def options(choices: Iterable[tuple[Any, Any]], *, selected: Any = None) -> SafeString:
    """``<option>`` elements for ``(value, label)`` pairs; the one whose value equals
    ``selected`` (compared as text) is selected. A label of None writes an empty option (a
    datalist's suggestion is its value)."""
    chosen = None if selected is None else str(selected)
    out = []
    for value, label in choices:
        text = str(value)
        mark = " selected" if text == chosen else ""
        shown = "" if label is None else escape(str(label))
        out.append(f'<option value="{escape(text)}"{mark}>{shown}</option>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
