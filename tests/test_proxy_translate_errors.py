"""Error bodies in each protocol's own shape, and reading upstream error bodies."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amux_tui.proxy.protocols import PROTOCOLS, error_body, parse_error_body


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (529, "overloaded_error"),
    ],
)
def test_anthropic_error_types_by_status(status: int, kind: str) -> None:
    assert error_body("anthropic-messages", status, "boom") == {"type": "error", "error": {"type": kind, "message": "boom"}}


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "INVALID_ARGUMENT"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (503, "UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
    ],
)
def test_gemini_statuses(status: int, name: str) -> None:
    assert error_body("gemini", status, "boom") == {"error": {"code": status, "message": "boom", "status": name}}


def test_openai_shape_and_codes() -> None:
    body = error_body("openai-chat", 429, "slow down")
    assert body == {"error": {"message": "slow down", "type": "rate_limit_error", "param": None, "code": "rate_limit_exceeded"}}
    assert error_body("openai-responses", 500, "x")["error"]["type"] == "server_error"
    assert error_body("openai-chat", 400, "too long", "context_length_exceeded")["error"]["code"] == "context_length_exceeded"


def test_explicit_type_wins_when_known() -> None:
    assert error_body("anthropic-messages", 500, "x", "overloaded_error")["error"]["type"] == "overloaded_error"
    assert error_body("anthropic-messages", 500, "x", "NOT_A_TYPE")["error"]["type"] == "api_error"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', "Overloaded"),
        (b'{"error":{"message":"Incorrect API key","type":"invalid_request_error"}}', "Incorrect API key"),
        (b'{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}', "Quota exceeded"),
        (b'[{"error":{"code":400,"message":"bad schema","status":"INVALID_ARGUMENT"}}]', "bad schema"),
        (b'{"error":"model not found"}', "model not found"),
        (b'{"detail":"Not authenticated"}', "Not authenticated"),
        (b"<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>"),
        (b"", "empty error body"),
        (b"\xff\xfe garbage", "\ufffd\ufffd garbage"),
    ],
)
def test_parse_error_body(body: bytes, message: str) -> None:
    assert parse_error_body("openai-chat", body) == message


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(st.binary(max_size=200), st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.sampled_from(["error", "message", "detail", "x"]), children, max_size=3)),
    max_leaves=20,
).map(lambda v: json.dumps(v).encode())))
def test_parse_error_body_never_raises(body: bytes) -> None:
    for protocol in PROTOCOLS:
        assert isinstance(parse_error_body(protocol, body), str)
