"""The neutral intermediate representation (IR) every protocol translates through.

Each wire protocol has one decoder into these types and one encoder out of them, so
four protocols need 4 + 4 functions per direction instead of 12 pairwise translators.

Conventions that every decoder and encoder follows:

* Tool names in the IR are what the *upstream* will see: Responses namespaces are
  already flattened and over-long names already fitted (see ``names.py``); the
  client-facing name is restored from ``TranslationReport.tool_names`` on the way back.
* ``ToolCall.arguments`` is the JSON text the model produced (chat and Responses stream
  it as text); protocols that carry objects parse it at the edge.
* Opaque reasoning tokens (Anthropic thinking signatures, Responses
  ``encrypted_content``, Gemini ``thoughtSignature``) are only valid for the protocol
  that minted them, so they travel with their ``origin``.
* ``Usage.input_tokens`` counts every prompt token, cached ones included, and
  ``output_tokens`` every generated token, reasoning included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Protocol = Literal["anthropic-messages", "openai-chat", "openai-responses", "gemini"]
PROTOCOLS: tuple[Protocol, ...] = ("anthropic-messages", "openai-chat", "openai-responses", "gemini")

StopReason = Literal[
    "end_turn", "max_tokens", "tool_use", "stop_sequence", "content_filter", "refusal", "pause_turn"
]
Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")


# ---------------------------------------------------------------- content parts


@dataclass(slots=True)
class Text:
    """Plain text, from a user, the assistant or a system prompt.

    ``refusal``: the model declined (chat's ``refusal``, a Responses ``refusal`` part);
    protocols without a refusal form show it as text.
    """

    text: str
    refusal: bool = False


@dataclass(slots=True)
class Media:
    """An image or a file, inline (base64 ``data``) or by ``url``."""

    kind: Literal["image", "file"] = "image"
    media_type: str | None = None
    data: str | None = None
    url: str | None = None
    filename: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class Thinking:
    """Reasoning the model showed, and/or the opaque token that lets it resume it.

    ``redacted`` means ``signature`` holds Anthropic ``redacted_thinking`` data.
    """

    text: str = ""
    signature: str | None = None
    origin: Protocol | None = None
    redacted: bool = False


@dataclass(slots=True)
class ToolCall:
    """The model asked for a tool; ``arguments`` is JSON text."""

    id: str
    name: str
    arguments: str = "{}"


@dataclass(slots=True)
class ToolResult:
    """What a tool returned, for the call ``call_id``."""

    call_id: str
    content: list[Text | Media] = field(default_factory=list)
    is_error: bool = False
    name: str | None = None


Part: TypeAlias = Text | Media | Thinking | ToolCall | ToolResult


@dataclass(slots=True)
class Message:
    """One conversation turn; tool results ride in user messages (Anthropic style)."""

    role: Literal["user", "assistant"]
    parts: list[Part] = field(default_factory=list)


# ---------------------------------------------------------------- request


@dataclass(slots=True)
class Tool:
    """A function the model may call; ``parameters`` is a JSON Schema object."""

    name: str
    description: str | None = None
    parameters: dict | None = None
    strict: bool | None = None
    deferred: bool = False


@dataclass(slots=True)
class ToolChoice:
    """``tool`` forces the tool ``name``; ``required`` forces some tool."""

    mode: Literal["auto", "none", "required", "tool"]
    name: str | None = None


@dataclass(slots=True)
class Reasoning:
    """Reasoning controls; ``effort`` and ``budget_tokens`` are both optional hints."""

    enabled: bool = True
    effort: Effort | None = None
    budget_tokens: int | None = None
    show_thoughts: bool = True


@dataclass(slots=True)
class ResponseFormat:
    """Structured output: any JSON object, or JSON matching ``schema``."""

    kind: Literal["json_object", "json_schema"]
    schema: dict | None = None
    name: str | None = None
    strict: bool | None = None


@dataclass(slots=True)
class Request:
    """A whole model call, protocol-neutral."""

    messages: list[Message] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    reasoning: Reasoning | None = None
    response_format: ResponseFormat | None = None
    stream: bool = False
    user: str | None = None


# ---------------------------------------------------------------- response


@dataclass(slots=True)
class Usage:
    """Token counts; see the module docstring for what each one includes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(slots=True)
class Response:
    """A whole (non-streamed) model answer."""

    parts: list[Text | Thinking | ToolCall] = field(default_factory=list)
    stop_reason: StopReason = "end_turn"
    usage: Usage = field(default_factory=Usage)
    id: str | None = None
    model: str | None = None
    stop_sequence: str | None = None


# ---------------------------------------------------------------- stream events
# A stream decoder turns upstream events into these; a stream encoder turns them into
# the client's grammar, opening and closing its blocks/items as the kinds change.


@dataclass(slots=True)
class Start:
    """The upstream answer began."""

    id: str | None = None
    model: str | None = None


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class RefusalDelta:
    """Streamed refusal text (chat ``delta.refusal``, Responses ``response.refusal.delta``)."""

    text: str


@dataclass(slots=True)
class ThinkingDelta:
    text: str


@dataclass(slots=True)
class ThinkingSignature:
    """Closes the current reasoning block with its opaque token."""

    signature: str
    origin: Protocol
    redacted: bool = False


@dataclass(slots=True)
class ToolCallStart:
    """A tool call began; ``key`` identifies it in later deltas (the upstream index)."""

    key: int | str
    id: str
    name: str


@dataclass(slots=True)
class ToolArgsDelta:
    key: int | str
    fragment: str


@dataclass(slots=True)
class ToolCallEnd:
    key: int | str


@dataclass(slots=True)
class BlockEnd:
    """The current text or reasoning block ended; the next delta starts a new one."""


@dataclass(slots=True)
class UsageUpdate:
    """Cumulative usage so far (a snapshot, not an increment)."""

    usage: Usage


@dataclass(slots=True)
class Finish:
    """The model stopped; usage may still follow before ``End``."""

    reason: StopReason
    stop_sequence: str | None = None


@dataclass(slots=True)
class End:
    """The upstream stream reached its proper terminal event."""


@dataclass(slots=True)
class StreamError:
    """The upstream reported an error inside the stream."""

    status: int
    message: str
    error_type: str | None = None


StreamEvent: TypeAlias = (
    Start
    | TextDelta
    | RefusalDelta
    | ThinkingDelta
    | ThinkingSignature
    | ToolCallStart
    | ToolArgsDelta
    | ToolCallEnd
    | BlockEnd
    | UsageUpdate
    | Finish
    | End
    | StreamError
)
