"""Errors, and how each protocol spells them.

    TranslationError            status + message + error_type; the proxy turns it into
    │                           ``error_body(client_protocol, ...)``
    ├── RequestError            the client's body is invalid        -> 4xx
    └── UpstreamError           the upstream's 200 body is unusable -> 502

``error_body`` builds the error JSON each protocol's clients parse; ``parse_error_body``
digs the provider's message out of whatever an upstream sent back.
"""

from __future__ import annotations

import json
import math
import re

from .ir import Protocol


class TranslationError(Exception):
    """A translation problem that becomes an error response of the client's protocol."""

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or anthropic_error_type(status)


class RequestError(TranslationError):
    """The client sent something we cannot translate (wrong types, no messages...)."""

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(status, message, error_type)


class UpstreamError(TranslationError):
    """The upstream answered 200 with a body we cannot read."""

    def __init__(self, message: str, status: int = 502, error_type: str | None = "api_error") -> None:
        super().__init__(status, message, error_type)


def invalid(message: str) -> RequestError:
    """A 400 ``invalid_request_error``, the usual answer to a malformed body."""
    return RequestError(400, message, "invalid_request_error")


# Anthropic's error types are the most specific vocabulary; OpenAI's are close.
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "server_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
    "insufficient_quota": 429,
    "context_length_exceeded": 400,
}
_OPENAI_CODES = {429: "rate_limit_exceeded", 503: "server_is_overloaded", 529: "server_is_overloaded"}
_GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
    529: "UNAVAILABLE",
}
_GEMINI_STATUS_CODE = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def anthropic_error_type(status: int) -> str:
    """Anthropic's error type for an HTTP status."""
    if status in _ANTHROPIC_TYPES:
        return _ANTHROPIC_TYPES[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def gemini_status(status: int) -> str:
    """Google's canonical status name for an HTTP status."""
    if status in _GEMINI_STATUS:
        return _GEMINI_STATUS[status]
    return "FAILED_PRECONDITION" if 400 <= status < 500 else "INTERNAL"


def status_for_type(error_type: str | None, default: int = 500) -> int:
    """The HTTP status an error type (any vocabulary) stands for."""
    if not isinstance(error_type, str):
        return default
    return _TYPE_STATUS.get(error_type) or _GEMINI_STATUS_CODE.get(error_type) or default


def error_body(protocol: Protocol, status: int, message: str, error_type: str | None = None, *,
               code: str | None = None, retry_after: str | None = None) -> dict:
    """The error JSON a client of ``protocol`` expects for ``status``.

    ``code``: an OpenAI-family provider's own error code, kept for OpenAI-family clients;
    ``retry_after``: the ``retry-after`` header, which Gemini clients read as ``RetryInfo``.
    """
    known = error_type if isinstance(error_type, str) and error_type in _TYPE_STATUS else None
    if protocol == "anthropic-messages":
        kind = known if known in _ANTHROPIC_TYPES.values() else anthropic_error_type(status)
        return {"type": "error", "error": {"type": kind, "message": message}}
    if protocol == "gemini":
        error: dict = {"code": status, "message": message, "status": gemini_status(status)}
        delay = _seconds(retry_after)
        if delay is not None:
            error["details"] = [{"@type": RETRY_INFO, "retryDelay": f"{delay:g}s"}]
        return {"error": error}
    kind = known or anthropic_error_type(status)
    if kind == "api_error":
        kind = "server_error"
    code = code or (error_type if error_type in ("context_length_exceeded", "insufficient_quota") else None)
    return {"error": {"message": message, "type": kind, "param": None, "code": code or _OPENAI_CODES.get(status)}}


RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s?\s*$")


def _seconds(value: str | None) -> float | None:
    """Seconds of a ``retry-after`` value or a protobuf duration (``"27s"``, ``"1.5s"``)."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    return float(match.group(1)) if match else None


def upstream_error_details(body: bytes) -> tuple[str | None, str | None]:
    """(the provider's error ``code``, a ``retry-after`` value) found in an upstream error body.

    The code is an OpenAI-family ``error.code`` string (``context_length_exceeded``); the
    retry delay is Gemini's ``RetryInfo.retryDelay`` in whole seconds, rounded up. Never raises.
    """
    try:
        value = json.loads(body)
    except (ValueError, RecursionError, TypeError):
        return None, None
    if isinstance(value, list) and value:  # Gemini's streaming errors are a one-element array
        value = value[0]
    error = value.get("error") if isinstance(value, dict) else None
    if not isinstance(error, dict):
        return None, None
    code = error.get("code") if isinstance(error.get("code"), str) and error.get("code") else None
    retry_after = None
    details = error.get("details")
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and detail.get("@type") == RETRY_INFO:
            delay = _seconds(detail.get("retryDelay"))
            if delay is not None:
                retry_after = str(math.ceil(delay))
    return code, retry_after


def parse_error_body(protocol: Protocol, body: bytes) -> str:
    """The provider's own message from an upstream error body; never raises.

    ``protocol`` is only a hint: providers behind an OpenAI-compatible URL answer in
    every shape (``{"error": {...}}``, ``{"error": "..."}``, ``{"detail": ...}``, HTML).
    """
    try:
        text = bytes(body).decode("utf-8", "replace").strip()
    except Exception:
        return "unreadable error body"
    if not text:
        return "empty error body"
    try:
        found = _message_in(json.loads(text), 0)
    except (ValueError, RecursionError):
        found = None
    if found:
        return found[:2000]
    return text[:2000]


def _message_in(value: object, depth: int) -> str | None:
    if depth > 6:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        for item in value[:4]:  # Gemini's streaming errors arrive as a one-element array
            found = _message_in(item, depth + 1)
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return None
    for key in ("error", "message", "detail", "error_message", "msg"):
        if key in value:
            found = _message_in(value[key], depth + 1)
            if found:
                return found
    return None
