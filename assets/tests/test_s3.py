"""The library against a local S3 (moto in server mode): upload, URLs, delete (RELIABILITY U7)."""

from __future__ import annotations

import io
import socket
import time
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from django.test import override_settings
from PIL import Image

from assets import services
from assets.models import Rendition
from assets.selectors import asset_instagram_url, asset_rendition_bytes
from assets.tests.factories import gps_exif, jpeg_bytes, upload
from tenants.scoping import tenant_scope

BUCKET = "tablecast-test-media"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS).create_bucket(
        Bucket=BUCKET
    )
    yield endpoint
    server.stop()


@pytest.fixture
def s3(s3_endpoint, settings):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 900,
                "file_overwrite": False,
            },
        },
    }
    with override_settings(STORAGES=storages, PUBLIC_MEDIA_BASE_URL=""):
        yield client


def _keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_upload_url_and_delete_against_s3(s3, tenant, django_capture_on_commit_callbacks):
    with tenant_scope(tenant):
        asset = services.asset_create_from_upload(
            tenant=tenant, upload=upload(jpeg_bytes(540, 960, exif=gps_exif()))
        ).asset
        keys = _keys(s3)
        assert len(keys) == 4 and all(k.startswith(f"{tenant.pk}/") for k in keys)
        stored = s3.get_object(Bucket=BUCKET, Key=asset.key)["Body"].read()
        assert b"PhoneMaker" not in stored and b"Exif" not in stored

        url = asset_instagram_url(asset=asset)
        query = parse_qs(urlparse(url).query)
        if "X-Amz-Expires" in query:  # SigV4: seconds
            expires = int(query["X-Amz-Expires"][0])
        else:  # SigV2: an epoch timestamp
            expires = int(query["Expires"][0]) - int(time.time())
        assert 0 < expires <= 900  # presigned, at most 15 minutes
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        img = Image.open(io.BytesIO(response.content))
        assert img.format == "JPEG" and img.size == (540, 675)
        assert asset_rendition_bytes(asset=asset, kind="instagram") == response.content

        # The bucket is private: the same key without a signature is refused.
        bare = url.split("?")[0]
        assert requests.get(bare, timeout=10).status_code == 403

        with django_capture_on_commit_callbacks(execute=True):
            services.assets_delete(tenant=tenant, assets=[asset])
    assert _keys(s3) == []


def test_bad_input_writes_nothing_to_s3(s3, tenant):
    with tenant_scope(tenant), pytest.raises(services.images.ImageRejected):
        services.asset_create_from_upload(tenant=tenant, upload=upload(b"<html></html>"))
    assert _keys(s3) == []


def test_a_public_media_base_url_wins_over_presigning(s3, tenant, settings):
    settings.PUBLIC_MEDIA_BASE_URL = "https://media.example.com"
    with tenant_scope(tenant):
        asset = services.asset_create_from_upload(
            tenant=tenant, upload=upload(jpeg_bytes(100, 100))
        ).asset
        token = Rendition.objects.get(asset=asset, kind="instagram").public_token
        assert (
            asset_instagram_url(asset=asset) == f"https://media.example.com/public/ig/{token}.jpg"
        )
