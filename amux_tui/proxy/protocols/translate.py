"""One-shot translation of request and response bodies between protocols."""

from __future__ import annotations

from . import ir, names
from .sampling import fit_sampling
from .turns import merge_turns
from .codecs import CODECS
from .errors import RequestError, TranslationError, UpstreamError, invalid
from .options import DEFAULT_OPTIONS, TranslateOptions
from .report import TranslationReport

SAFETY_NET = True
"""Turn an unexpected exception from a decoder into a 400/502 instead of a traceback.
Tests switch it off so that such a bug fails loudly instead of hiding here."""

_UNEXPECTED = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


def check_protocol(protocol: str) -> ir.Protocol:
    if protocol not in CODECS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(CODECS)}")
    return protocol  # type: ignore[return-value]


def translate_request(
    body: dict,
    *,
    source: ir.Protocol,
    target: ir.Protocol,
    model: str,
    report: TranslationReport,
    options: TranslateOptions | None = None,
    stream: bool | None = None,
) -> dict:
    """The upstream body (``target`` protocol) for a client body (``source`` protocol).

    ``model`` is set in the result, except for Gemini, whose model is part of the URL.
    ``stream`` overrides the body's own stream flag (a Gemini client streams by URL, so
    pass ``is_streaming(body, source, url_stream=...)``); a Gemini target streams by URL.
    Raises ``RequestError`` for a body that cannot be translated.
    """
    check_protocol(source)
    check_protocol(target)
    if not isinstance(body, dict):
        raise invalid("body: expected a JSON object")
    if source == target:
        out = dict(body)
        if target != "gemini":
            out["model"] = model
            if stream is not None:
                out["stream"] = stream
        return out
    try:
        request = CODECS[source].decode_request(body, report)
        if not request.messages:
            raise invalid("messages: at least one user or assistant message is required")
        if stream is not None:
            request.stream = stream
        options = options or DEFAULT_OPTIONS
        merge_turns(request)
        names.fit_request(request, target, report)
        fit_sampling(request, options, report)
        return CODECS[target].encode_request(request, model, report, options)
    except TranslationError:
        raise
    except _UNEXPECTED as exc:
        if not SAFETY_NET:
            raise
        raise RequestError(400, f"invalid request body: {exc}", "invalid_request_error") from exc


def translate_response(
    body: dict, *, source: ir.Protocol, target: ir.Protocol, model: str, report: TranslationReport
) -> dict:
    """The client body (``target`` protocol) for an upstream non-streamed answer (``source``).

    ``report`` should be the one ``translate_request`` filled (it restores tool names).
    Raises ``UpstreamError`` (502) for an upstream body that cannot be read.
    """
    check_protocol(source)
    check_protocol(target)
    if source == target:
        return body
    try:
        response = CODECS[source].decode_response(body, report)
        if response.stop_reason == "end_turn" and any(isinstance(p, ir.ToolCall) for p in response.parts):
            response.stop_reason = "tool_use"
        return CODECS[target].encode_response(response, model, report)
    except TranslationError:
        raise
    except _UNEXPECTED as exc:
        if not SAFETY_NET:
            raise
        raise UpstreamError(f"unreadable upstream response: {exc}") from exc


def is_streaming(body: dict, source: ir.Protocol, *, url_stream: bool = False) -> bool:
    """Whether the client asked for a stream (Gemini asks by URL: ``:streamGenerateContent``)."""
    if source == "gemini":
        return url_stream
    return isinstance(body, dict) and body.get("stream") is True


def client_wants_usage(body: dict, source: ir.Protocol) -> bool:
    """Chat clients only get the trailing usage chunk when they ask for it."""
    if source != "openai-chat":
        return True
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True
