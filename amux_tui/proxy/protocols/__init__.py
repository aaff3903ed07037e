"""Translation between the four wire protocols amux's proxy speaks.

Protocol ids: ``"anthropic-messages"``, ``"openai-chat"``, ``"openai-responses"``,
``"gemini"``. See ``architecture.md`` beside this file for the design.
"""

from .errors import RequestError, TranslationError, UpstreamError, error_body, parse_error_body
from .ir import PROTOCOLS, Protocol, StopReason, Usage
from .options import TranslateOptions
from .report import ClientToolName, TranslationReport
from .stream import StreamTranslator
from .translate import client_wants_usage, is_streaming, translate_request, translate_response

__all__ = [
    "PROTOCOLS",
    "ClientToolName",
    "Protocol",
    "RequestError",
    "StopReason",
    "StreamTranslator",
    "TranslateOptions",
    "TranslationError",
    "TranslationReport",
    "UpstreamError",
    "Usage",
    "client_wants_usage",
    "error_body",
    "is_streaming",
    "parse_error_body",
    "translate_request",
    "translate_response",
]
