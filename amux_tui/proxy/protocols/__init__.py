"""Translation between the four wire protocols amux's proxy speaks.

Protocol ids: ``"anthropic-messages"``, ``"openai-chat"``, ``"openai-responses"``,
``"gemini"``.
"""

from .errors import RequestError, TranslationError, UpstreamError, error_body, parse_error_body
from .ir import PROTOCOLS, Protocol, StopReason, Usage
from .report import ClientToolName, TranslationReport
