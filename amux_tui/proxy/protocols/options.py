"""Knobs the caller knows better than the translator (from the model's metadata)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class TranslateOptions:
    """Per-request facts about the upstream model.

    The defaults suit an unknown model: send reasoning controls when the client asked
    for reasoning, don't cap output tokens, and use chat's widely accepted ``max_tokens``.
    """

    reasoning: bool | None = None
    """False: the target model rejects reasoning parameters, so never send them."""

    max_tokens_cap: int | None = None
    """The target model's output-token limit; larger client requests are clamped."""

    chat_max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """OpenAI's own reasoning models only accept ``max_completion_tokens``."""

    default_max_tokens: int = 8192
    """Anthropic requires ``max_tokens``; used when the client did not send one."""


DEFAULT_OPTIONS = TranslateOptions()
