"""The registry: for each protocol, its request/response codecs and stream halves."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Protocol as TypingProtocol

from . import ir
from .anthropic import request as anthropic_request
from .anthropic import response as anthropic_response
from .anthropic import stream as anthropic_stream
from .gemini import request as gemini_request
from .gemini import response as gemini_response
from .gemini import stream as gemini_stream
from .openai_chat import request as chat_request
from .openai_chat import response as chat_response
from .openai_chat import stream as chat_stream
from .openai_responses import request as responses_request
from .openai_responses import response as responses_response
from .openai_responses import stream as responses_stream
from .options import TranslateOptions
from .report import TranslationReport
from .sse import SSEEvent


class StreamDecoder(TypingProtocol):
    """Upstream half of a stream: SSE events in, IR events out."""

    finished: bool  # a stop reason was seen, so a missing terminal event is forgivable

    def decode(self, event: SSEEvent, out: list[ir.StreamEvent]) -> None: ...

    def skippable(self, event: SSEEvent) -> bool: ...


class StreamEncoder(TypingProtocol):
    """Client half of a stream: IR events in, wire bytes out."""

    terminated: bool  # the client stream is complete (terminal or error event written)

    def encode(self, ev: ir.StreamEvent, out: list[bytes]) -> None: ...

    def error(self, status: int, message: str, error_type: str | None = None) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Codec:
    decode_request: Callable[[dict, TranslationReport], ir.Request]
    encode_request: Callable[[ir.Request, str, TranslationReport, TranslateOptions], dict]
    decode_response: Callable[[dict, TranslationReport], ir.Response]
    encode_response: Callable[[ir.Response, str, TranslationReport], dict]
    stream_decoder: Callable[[TranslationReport], StreamDecoder]
    stream_encoder: Callable[[str, TranslationReport, bool], StreamEncoder]


CODECS: dict[ir.Protocol, Codec] = {
    "anthropic-messages": Codec(
        anthropic_request.decode_request,
        anthropic_request.encode_request,
        anthropic_response.decode_response,
        anthropic_response.encode_response,
        anthropic_stream.AnthropicStreamDecoder,
        anthropic_stream.AnthropicStreamEncoder,
    ),
    "openai-chat": Codec(
        chat_request.decode_request,
        chat_request.encode_request,
        chat_response.decode_response,
        chat_response.encode_response,
        chat_stream.ChatStreamDecoder,
        chat_stream.ChatStreamEncoder,
    ),
    "openai-responses": Codec(
        responses_request.decode_request,
        responses_request.encode_request,
        responses_response.decode_response,
        responses_response.encode_response,
        responses_stream.ResponsesStreamDecoder,
        responses_stream.ResponsesStreamEncoder,
    ),
    "gemini": Codec(
        gemini_request.decode_request,
        gemini_request.encode_request,
        gemini_response.decode_response,
        gemini_response.encode_response,
        gemini_stream.GeminiStreamDecoder,
        gemini_stream.GeminiStreamEncoder,
    ),
}
