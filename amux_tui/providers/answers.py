"""Reading providers' HTTP answers: JSON or not, auth failure or not, and a short, safe summary of an
error (the key scrubbed, terminal control characters escaped) for messages and `--json` output."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..config.problems import printable
from .resolved import mask_secret

def make_client(timeout: float) -> httpx.AsyncClient:
    """The client for probing providers. It honours HTTP(S)_PROXY and NO_PROXY like any tool; extra
    mounted transports would cost an SSL context each (a tenth of a second) for an edge case."""
    return httpx.AsyncClient(timeout=timeout)


def response_json(response: httpx.Response) -> Any | None:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return None


def is_auth_failure(response: httpx.Response) -> bool:
    """401/403, or Google's way of rejecting a key: 400 with reason API_KEY_INVALID."""
    if response.status_code in (401, 403):
        return True
    if response.status_code == 400:
        return "API_KEY_INVALID" in response.text
    return False


def error_summary(response: httpx.Response, secret: str | None = None) -> str:
    """``HTTP 401: invalid x-api-key`` from any provider's error body."""
    body = response_json(response)
    if body is not None:
        message = _message_in(body)
    else:
        lines = response.text.strip().splitlines()
        message = lines[0] if lines else ""
    summary = f"HTTP {response.status_code}"
    if message:
        summary += f": {scrub(message, secret)[:200]}"
    return summary


def scrub(text: str, secret: str | None) -> str:
    """Never echo a key back, even when a server quotes it in an error; escape control characters."""
    if secret and secret in text:
        text = text.replace(secret, mask_secret(secret))
    return printable(text)


def _message_in(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
        if isinstance(body.get("message"), str):
            return body["message"]
        if isinstance(body.get("detail"), str):
            return body["detail"]
    return ""


def transport_problem(exc: Exception, timeout: float) -> tuple[bool, str]:
    """(unreachable?, what happened) for an exception raised while sending a request."""
    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return True, f"no answer within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or "connection failed"
        return True, f"cannot connect: {printable(reason)[:160]}"
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return False, f"bad api_base: {printable(str(exc))[:160]}"
    return False, f"{type(exc).__name__}: {printable(str(exc))[:160]}"
