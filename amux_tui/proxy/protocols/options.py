"""Knobs the caller knows better than the translator (from the model's metadata)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SAMPLING_PARAMS: tuple[str, ...] = ("temperature", "top_p", "top_k", "seed", "presence_penalty", "frequency_penalty",
                                    "stop")
"""The IR request's sampling fields a model may refuse (``ir.Request`` attribute names)."""


@dataclass(frozen=True, slots=True)
class TranslateOptions:
    """Per-request facts about the upstream model (see ``proxy/model_facts.py``).

    The defaults suit an unknown model: send reasoning controls when the client asked
    for reasoning, don't cap output tokens, and use chat's widely accepted ``max_tokens``.
    """

    reasoning: bool | None = None
    """False: the target model rejects reasoning parameters, so never send them; True: it reasons."""

    sampling_while_reasoning: bool = True
    """False: ``temperature``/``top_p`` are rejected whenever a reasoning effort is sent (OpenAI's
    reasoning models whose default effort is ``none``, GPT-5.1)."""

    max_tokens_cap: int | None = None
    """The target model's output-token limit; larger client requests are clamped."""

    chat_max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """OpenAI's own reasoning models only accept ``max_completion_tokens``."""

    default_max_tokens: int = 8192
    """Anthropic requires ``max_tokens``; used when the client did not send one."""

    rejected_sampling: frozenset[str] = frozenset()
    """Names from ``SAMPLING_PARAMS`` the target model answers 400 to; dropped and noted."""

    temperature_or_top_p: bool = False
    """The model takes ``temperature`` or ``top_p``, not both (Claude Sonnet/Haiku 4.5, Opus 4.1
    and later): when a client sends both, the one left at its default is dropped."""

    why: str = ""
    """Where these facts come from (``model facts for claude-sonnet-4-5``), for the notes."""


DEFAULT_OPTIONS = TranslateOptions()
