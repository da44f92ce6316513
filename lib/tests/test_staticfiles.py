"""Production's static storage keeps each URL once worked out, with the manifest's answers:
hashed names with DEBUG off, plain ones with it on, and a file missing from the manifest is an
error every time (never remembered as a URL)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from lib.staticfiles import ManifestStaticFilesStorage


@pytest.fixture
def storage(tmp_path, monkeypatch):
    store = ManifestStaticFilesStorage(location=str(tmp_path), base_url="/static/")
    store.hashed_files = {"css/app.css": "css/app.0a1b2c3d.css"}
    looked_up = []
    original = store.stored_name

    def stored_name(name):
        looked_up.append(name)
        return original(name)

    monkeypatch.setattr(store, "stored_name", stored_name)
    store.looked_up = looked_up
    return store


@override_settings(DEBUG=False)
def test_a_url_is_worked_out_once_and_is_the_manifests(storage):
    assert storage.url("css/app.css") == "/static/css/app.0a1b2c3d.css"
    assert storage.url("css/app.css") == "/static/css/app.0a1b2c3d.css"
    assert storage.looked_up == ["css/app.css"]


def test_with_debug_on_the_plain_name_is_given(storage):
    with override_settings(DEBUG=False):
        storage.url("css/app.css")
    with override_settings(DEBUG=True):
        assert storage.url("css/app.css") == "/static/css/app.css"


@override_settings(DEBUG=False)
def test_a_file_missing_from_the_manifest_is_an_error_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/gone.css")
