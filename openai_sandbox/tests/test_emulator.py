"""The emulator spoken to by the official `openai` client, over HTTP: shapes, errors, control."""

from __future__ import annotations

import json

import openai
import pytest
import requests

from posting.ai import DRAFTS_SCHEMA

# The schema the AI writer sends (posting/ai.py): the emulator is tested as the app uses it.
SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "drafts", "strict": True, "schema": DRAFTS_SCHEMA},
}
DATA = {
    "notes": "truffle risotto tonight",
    "post_type": "daily special",
    "restaurant": {"name": "Alba", "signature_hashtags": "#alba"},
}


def _client(sandbox, **kw):
    return openai.OpenAI(
        api_key=kw.pop("api_key", sandbox.api_key), base_url=sandbox.base_url, max_retries=0, **kw
    )


def _ask(client):
    return client.chat.completions.create(
        model="gpt-test",
        messages=[
            {"role": "system", "content": "Write."},
            {"role": "user", "content": "Data: " + json.dumps(DATA)},
        ],
        response_format=SCHEMA,
    )


def test_three_deterministic_drafts_from_the_prompt(openai_sandbox):
    first = _ask(_client(openai_sandbox))
    second = _ask(_client(openai_sandbox))
    drafts = json.loads(first.choices[0].message.content)["drafts"]
    assert len(drafts) == 3 and len({d["text"] for d in drafts}) == 3
    assert all("truffle risotto tonight" in d["text"] and "#alba" in d["hashtags"] for d in drafts)
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.object == "chat.completion" and first.model == "gpt-test"
    assert first.usage.total_tokens > 0 and first.choices[0].message.refusal is None


def test_a_wrong_key_is_a_401_in_openais_envelope(openai_sandbox):
    with pytest.raises(openai.AuthenticationError) as error:
        _ask(_client(openai_sandbox, api_key="sk-wrong-key-123456"))
    assert error.value.status_code == 401
    assert error.value.code == "invalid_api_key"
    assert "sk-wrong-key" not in str(error.value)  # the key is masked in the message


def test_rate_limit_carries_retry_headers(openai_sandbox):
    openai_sandbox.fault("429")
    with pytest.raises(openai.RateLimitError) as error:
        _ask(_client(openai_sandbox))
    assert error.value.response.headers["retry-after"] == "20"
    assert error.value.code == "rate_limit_exceeded"
    _ask(_client(openai_sandbox))  # count=1: the next call works again


def test_quota_server_error_refusal_invalid_json(openai_sandbox):
    client = _client(openai_sandbox)
    openai_sandbox.fault("quota")
    with pytest.raises(openai.RateLimitError) as error:
        _ask(client)
    assert error.value.code == "insufficient_quota"
    openai_sandbox.fault("500")
    with pytest.raises(openai.InternalServerError):
        _ask(client)
    openai_sandbox.fault("refusal")
    message = _ask(client).choices[0].message
    assert message.content is None and message.refusal
    openai_sandbox.fault("invalid_json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(_ask(client).choices[0].message.content)


def test_timeout_is_a_client_timeout(openai_sandbox):
    openai_sandbox.fault("timeout", seconds=2)
    with pytest.raises(openai.APITimeoutError):
        _ask(_client(openai_sandbox, timeout=0.5))


def test_bad_requests_get_400(openai_sandbox):
    with pytest.raises(openai.BadRequestError):
        _client(openai_sandbox).chat.completions.create(
            model="gpt-test",
            messages=[{"role": "user", "content": "x"}],
            response_format={"type": "json_schema"},
        )


def test_control_api_over_http(openai_sandbox):
    root = openai_sandbox.base_url.removesuffix("/v1")
    http = requests.Session()
    assert http.post(f"{root}/_control/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    assert (
        http.post(
            f"{root}/_control/faults", json={"kind": "500", "count": 2}, timeout=5
        ).status_code
        == 200
    )
    client = _client(openai_sandbox)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            _ask(client)
    _ask(client)
    assert len(http.get(f"{root}/_control/requests", timeout=5).json()) == 3
    http.post(f"{root}/_control/faults", json={"kind": "500", "count": None}, timeout=5)
    http.delete(f"{root}/_control/faults", timeout=5)
    _ask(client)
    http.post(f"{root}/_control/reset", timeout=5)
    assert http.get(f"{root}/_control/requests", timeout=5).json() == []
