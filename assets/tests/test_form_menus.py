"""The library's menus (filter, upload folder) draw their options once per process
(lib.form_rendering.FixedChoicesSelect): each is Django's own select, byte for byte, chosen
value, bad value and hostile folder names included."""

from __future__ import annotations

import pytest
from django import forms

from assets.forms import LibraryFilterForm, UploadForm
from assets.models import Folder
from assets.selectors import FolderNode

NODES = [
    FolderNode(Folder(pk=1, name="A & <b>"), 0, 3),
    FolderNode(Folder(pk=2, name='Sub "q"'), 1, 0),
]


def _as_django(form: forms.Form, name: str) -> str:
    form.fields[name].widget = forms.Select(choices=form.fields[name].choices)
    return str(form[name])


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"orientation": "square", "sort": "most_used", "used": "unused"},
        {"orientation": "<x>", "sort": "bad"},
        {"folder": "2"},
    ],
)
def test_each_menu_is_djangos_select(data, tenant):
    def bound() -> LibraryFilterForm:
        form = LibraryFilterForm(data, tenant=tenant, nodes=NODES, tags=[])
        form.is_valid()
        return form

    for name in ("orientation", "used", "sort"):
        assert str(bound()[name]) == _as_django(bound(), name), name

    def upload() -> UploadForm:
        return UploadForm(initial={"folder": data.get("folder", "")}, nodes=NODES)

    assert str(upload()["folder"]) == _as_django(upload(), "folder")
    assert "&lt;b&gt;" in str(upload()["folder"])
