"""The library sidebar's folder links, drawn in Python (as the tiles are, assets/tiles.py): a
link per folder with its depth, its count and whether it is the one shown; through the template
engine each folder's half a dozen values cost more than the list's query (docs/performance.md,
"Pages"). Every value is escaped with `html.escape`; numbers are plain ``int``."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from assets.selectors import FolderNode


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
