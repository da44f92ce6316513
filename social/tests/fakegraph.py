"""A recorded-response transport for `requests`: the exotic Graph answers the sandbox does not
make on demand (graph-api.md §6, §7), replayed through the real `GraphClient`."""

from __future__ import annotations

import json
from typing import Any

import requests
from requests.adapters import BaseAdapter


class RecordedGraph(BaseAdapter):
    """Answers each request with the next recorded ``(status, body, headers)`` or raises the
    next recorded exception; keeps every prepared request for assertions."""

    def __init__(self, *answers: Any) -> None:
        super().__init__()
        self.answers = list(answers)
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, body, headers = (*answer, {})[:3]
        response = requests.Response()
        response.status_code = status
        response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        response.headers.update(headers)
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def session_with(*answers: Any) -> tuple[requests.Session, RecordedGraph]:
    adapter = RecordedGraph(*answers)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


def error_body(
    code: int, subcode: int | None = None, message: str = "An error", **extra: Any
) -> dict:
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf123",
        **extra,
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}
