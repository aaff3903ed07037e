"""What a target model accepts, as `protocols.TranslateOptions` for one translated request.

Two sources, neither of them a harness:

* LiteLLM's bundled model table (``model_prices_and_context_window_backup.json`` inside the
  installed ``litellm`` package), read as a data file by `providers.model_table` (once per
  process, off the event loop, shared with the prices; LiteLLM itself is never imported);
* a small table of provider rules the model table does not spell out (`PROVIDER_RULES`).

`options_for` turns both into options; `decide` is the pure part, tested rule by rule.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..providers.model_table import load_in_thread, load_shared_table
from .protocols.options import DEFAULT_OPTIONS, TranslateOptions

PROVIDER_RULES: dict[str, str] = {
    "anthropic-4.5": "Claude Sonnet/Haiku 4.5, Opus 4.1 and later take temperature or top_p, not both "
                     "(behind any API: OpenAI-compatible gateways to Claude answer the same 400)",
    "openai-reasoning": "OpenAI reasoning models (GPT-5, o-series) reject temperature/top_p and the penalties, "
                        "GPT-5, o3 and o4 also stop sequences; they take max_completion_tokens on Chat",
    "no-sampling": "models LiteLLM marks supports_sampling_params=false reject temperature, top_p and top_k",
    "no-reasoning": "models LiteLLM marks supports_reasoning=false reject reasoning parameters",
}
"""The rules `decide` applies, by id (docs/provider-mux.md lists them)."""

_CLAUDE = re.compile(r"claude-([a-z]+)-(\d+)(?:[-.](\d{1,2}))?(?!\d)")
_CLAUDE_VERSION_FIRST = re.compile(r"claude-(\d+)(?:[-.](\d{1,2}))?-([a-z]+)")  # gateways' claude-4.5-sonnet
_CLAUDE_LATEST = re.compile(r"claude-[a-z]+-latest")
_OPENAI_REASONING = re.compile(r"(?:^|/)(?:o\d+(?:-|$)|gpt-5)")
_OPENAI_TARGETS = ("openai-chat", "openai-responses")
_TAKES_STOP = re.compile(r"(?:^|/)(?:o1|o3-mini)(?:-|$)")  # the reasoning models that still take `stop`


def model_table() -> dict[str, Any]:
    """LiteLLM's model table (`providers.model_table`, shared with the prices), or {} when LiteLLM
    (or its file) is not installed. Blocking the first time: from the event loop, `load_model_table`."""
    return load_shared_table().entries


async def load_model_table() -> dict[str, Any]:
    return (await load_in_thread()).entries


def model_info(model: str, litellm_name: str | None = None) -> dict[str, Any] | None:
    """The table's entry for ``model``, or None: under the provider's LiteLLM name first (its own
    entry: ``gemini/gemini-2.5-pro``, not Vertex's ``gemini-2.5-pro``), then as named, then
    without a ``provider/`` prefix."""
    table = model_table()
    names = [model, model.removeprefix("models/"), model.rpartition("/")[2]]
    if litellm_name:
        names.insert(0, litellm_name)
    for name in names:
        entry = table.get(name)
        if isinstance(entry, dict):
            return entry
    return None


def claude_takes_one_sampling_param(model: str) -> bool:
    """Claude Sonnet/Haiku 4.5+, Opus 4.1+ (and ``-latest`` aliases): temperature or top_p, not both."""
    name = model.lower()
    if _CLAUDE_LATEST.search(name):
        return True
    found = _CLAUDE.search(name)
    if found is not None:
        family, major, minor = found.group(1), int(found.group(2)), int(found.group(3) or 0)
    elif (found := _CLAUDE_VERSION_FIRST.search(name)) is not None:
        family, major, minor = found.group(3), int(found.group(1)), int(found.group(2) or 0)
    else:
        return False
    return (major, minor) >= ((4, 1) if family == "opus" else (4, 5))


def is_openai_reasoning_model(model: str, info: dict[str, Any] | None) -> bool:
    name = model.lower()
    if "chat" in name.rpartition("/")[2]:  # gpt-5-chat-latest is a chat model with sampling
        return False
    if _OPENAI_REASONING.search(name):
        return True
    return bool(info and info.get("litellm_provider") == "openai" and info.get("supports_reasoning"))


def decide(target: str, model: str, info: dict[str, Any] | None,
           base: TranslateOptions = DEFAULT_OPTIONS) -> TranslateOptions:
    """Options for ``model`` behind a ``target`` API, from its table ``info`` (None: unknown) and the rules."""
    rejected: set[str] = set(base.rejected_sampling)
    reasoning, field, one_of, cap = base.reasoning, base.chat_max_tokens_field, base.temperature_or_top_p, base.max_tokens_cap
    if info is not None:
        if info.get("supports_reasoning") is False:
            reasoning = False
        elif info.get("supports_reasoning") is True:
            reasoning = True
        if info.get("supports_sampling_params") is False:
            rejected |= {"temperature", "top_p", "top_k"}
        table_cap = info.get("max_output_tokens")
        if cap is None and isinstance(table_cap, int) and table_cap > 0:
            cap = table_cap
    if claude_takes_one_sampling_param(model):
        one_of = True
    sampling_while_reasoning = base.sampling_while_reasoning
    if target in _OPENAI_TARGETS and is_openai_reasoning_model(model, info):
        reasoning, field, sampling_while_reasoning = True, "max_completion_tokens", False
        rejected |= {"presence_penalty", "frequency_penalty"}
        if not _TAKES_STOP.search(model.lower()):
            rejected.add("stop")
        # Models whose default effort is "none" (GPT-5.1) take sampling while not reasoning;
        # the encoders drop it when they send an effort.
        if not (info and info.get("default_reasoning_effort") == "none"):
            rejected |= {"temperature", "top_p"}
    return TranslateOptions(reasoning=reasoning, max_tokens_cap=cap, chat_max_tokens_field=field,
                            default_max_tokens=base.default_max_tokens, rejected_sampling=frozenset(rejected),
                            temperature_or_top_p=one_of, sampling_while_reasoning=sampling_while_reasoning,
                            why=f"model facts for {model}")


@functools.lru_cache(maxsize=256)
def _cached(target: str, model: str, litellm_name: str, base: TranslateOptions) -> TranslateOptions:
    return decide(target, model, model_info(model, litellm_name), base)


async def options_for(target: str, model: str, litellm_name: str, base: TranslateOptions) -> TranslateOptions:
    """`decide` for a request, the model table loaded off the event loop the first time."""
    await load_model_table()
    return _cached(target, model, litellm_name, base)
