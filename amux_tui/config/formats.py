"""The wire APIs amux understands: what an endpoint speaks and what a harness speaks."""

from __future__ import annotations

from typing import Literal, get_args

ApiFormat = Literal["anthropic-messages", "openai-chat", "openai-responses", "gemini"]
"""A wire protocol. Every one of them is implemented by the proxy's translators."""

API_FORMATS: tuple[ApiFormat, ...] = get_args(ApiFormat)
