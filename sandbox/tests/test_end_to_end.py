"""The Done-when round trip: login dialog (posted like a browser) → code exchange →
long-lived token → /me/accounts Page tokens → multipart photo → a signed `feed` webhook
received by a tiny stdlib HTTP server that checks the signature. Client side: `requests`."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from PIL import Image

APP_SECRET = "sandbox-app-secret-change-me"
REDIRECT_URI = "http://127.0.0.1:8000/social/facebook/callback/"


def _start_receiver(received: list[dict]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # the subscription handshake
            query = parse_qs(urlsplit(self.path).query)
            ok = query.get("hub.verify_token") == ["sandbox-verify-token"] and query.get(
                "hub.mode"
            ) == ["subscribe"]
            body = query["hub.challenge"][0].encode() if ok else b"no"
            self.send_response(200 if ok else 403)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(expected, self.headers.get("X-Hub-Signature-256", ""))
            received.append({"valid": valid, "payload": json.loads(body)})
            self.send_response(200 if valid else 403)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_login_to_page_token_to_photo_to_signed_feed_webhook(graph_sandbox_factory):
    received: list[dict] = []
    receiver = _start_receiver(received)
    try:
        callback = f"http://127.0.0.1:{receiver.server_port}/webhooks/facebook"
        sb = graph_sandbox_factory(webhook_url=callback)
        base = sb.url

        def proof(token):
            return hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()

        # 1. The dialog, as a browser: GET the page, submit its form with Maria and her Pages.
        dialog = requests.get(
            f"{base}/v24.0/dialog/oauth",
            params={
                "client_id": sb.app_id,
                "redirect_uri": REDIRECT_URI,
                "state": "st-1",
                "scope": "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_metadata",
            },
            timeout=5,
        )
        assert dialog.status_code == 200
        html = dialog.text
        hidden = dict(re.findall(r"<input type='hidden' name='(\w+)' value='([^']*)'>", html))
        maria = re.search(
            r"name='user_id' value='(\d+)'[^>]*> Continue as Maria Rossi", html
        ).group(1)
        trattoria = re.search(
            r"name='page_ids' value='(\d+)' checked> Trattoria da Maria", html
        ).group(1)
        form = [*hidden.items(), ("user_id", maria), ("page_ids", trattoria), ("action", "approve")]
        form += [("scopes", s) for s in re.findall(r"name='scopes' value='([^']+)' checked>", html)]
        approved = requests.post(
            urljoin(dialog.url, ""), data=form, allow_redirects=False, timeout=5
        )
        assert approved.status_code == 302
        location = approved.headers["Location"]
        assert location.startswith(REDIRECT_URI) and location.endswith("#_=_")
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == ["st-1"]

        # 2. Code → short-lived token → long-lived token.
        short = requests.get(
            f"{base}/v24.0/oauth/access_token",
            params={
                "client_id": sb.app_id,
                "client_secret": APP_SECRET,
                "redirect_uri": REDIRECT_URI,
                "code": query["code"][0],
            },
            timeout=5,
        ).json()
        assert short["expires_in"] == 3600
        long = requests.get(
            f"{base}/v24.0/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": sb.app_id,
                "client_secret": APP_SECRET,
                "fb_exchange_token": short["access_token"],
            },
            timeout=5,
        ).json()["access_token"]

        # 3. Page tokens.
        accounts = requests.get(
            f"{base}/v24.0/me/accounts",
            params={"access_token": long, "appsecret_proof": proof(long)},
            timeout=5,
        ).json()["data"]
        assert [a["id"] for a in accounts] == [trattoria]
        page_token = accounts[0]["access_token"]

        # 4. Subscribe the Page to feed webhooks.
        subscribed = requests.post(
            f"{base}/v24.0/{trattoria}/subscribed_apps",
            params={
                "access_token": page_token,
                "appsecret_proof": proof(page_token),
                "subscribed_fields": "feed",
            },
            timeout=5,
        )
        assert subscribed.json() == {"success": True}

        # 5. Publish a photo (multipart upload).
        jpeg = io.BytesIO()
        Image.new("RGB", (1200, 900), (180, 40, 40)).save(jpeg, "JPEG")
        photo = requests.post(
            f"{base}/v24.0/{trattoria}/photos",
            params={"access_token": page_token, "appsecret_proof": proof(page_token)},
            data={"caption": "Tagliatelle al ragù"},
            files={"source": ("dish.jpg", jpeg.getvalue(), "image/jpeg")},
            timeout=10,
        ).json()
        assert set(photo) == {"id", "post_id"}

        # 6. The sandbox delivers a signed feed webhook; the receiver verified the signature.
        results = requests.post(f"{base}/_sandbox/webhooks/flush", timeout=10).json()
        assert [r["status"] for r in results] == ["delivered"]
        assert len(received) == 1 and received[0]["valid"] is True
        entry = received[0]["payload"]["entry"][0]
        assert received[0]["payload"]["object"] == "page" and entry["id"] == trattoria
        value = entry["changes"][0]["value"]
        assert entry["changes"][0]["field"] == "feed"
        assert (value["item"], value["verb"], value["photo_id"], value["post_id"]) == (
            "photo",
            "add",
            photo["id"],
            photo["post_id"],
        )
        assert value["message"] == "Tagliatelle al ragù"

        # Every Graph call with a token carried a valid proof; the exchange happened once.
        log = requests.get(f"{base}/_sandbox/requests", timeout=5).json()
        assert all(r["proof"] == "valid" for r in log if r["has_access_token"])
        codes = [
            r for r in log if r["graph_path"] == "/oauth/access_token" and "code" in r["params"]
        ]
        assert len(codes) == 1
    finally:
        receiver.shutdown()
        receiver.server_close()
