"""The sampling parameters a target model accepts (issue 12, item 7): LiteLLM's bundled model table
read as data (LiteLLM itself never imported) plus the provider rules, one test per rule, and the
proxy applying them to what reaches a recording upstream."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import anthropic
import pytest
from google import genai
from google.genai import types

from amux_tui.providers import model_table
from amux_tui.proxy import model_facts
from amux_tui.proxy.model_facts import PROVIDER_RULES, decide, model_info
from amux_tui.proxy.protocols import TranslateOptions, TranslationReport, translate_request
from proxy_client import post, proxy_for
from upstreams import RecordedRequest, Reply, UpstreamServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CHAT_SAMPLING = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.2, "top_p": 0.9,
                 "max_tokens": 500}


def test_the_model_table_is_read_without_importing_litellm():
    code = ("import sys, json\nfrom amux_tui.proxy import model_facts\n"
            "info = model_facts.model_info('gpt-5')\n"
            "print(json.dumps([info is not None, 'litellm' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [True, False]


async def test_the_table_loads_off_the_event_loop_once(monkeypatch: pytest.MonkeyPatch):
    readers: list[int] = []
    read_bytes = Path.read_bytes

    def watched(path: Path) -> bytes:  # the real read, noting the thread it runs on
        if path.name == model_table.TABLE_FILE:
            readers.append(threading.get_ident())
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", watched)
    monkeypatch.setattr(model_table, "_SHARED", model_table.ModelTable())  # not read yet in this process
    async with UpstreamServer("openai-chat", [Reply(text="ok")], models=("gpt-5",)) as up, \
            proxy_for(up.provider(), "gpt-5") as (_, session):
        assert (await post(session, "anthropic-messages", {"model": "gpt-5", "max_tokens": 10, "messages": [
            {"role": "user", "content": "hi"}]}))[0] == 200
        assert (await post(session, "anthropic-messages", {"model": "gpt-5", "max_tokens": 10, "messages": [
            {"role": "user", "content": "again"}]}))[0] == 200
    assert len(readers) == 1 and readers[0] != threading.get_ident()  # once, in a worker thread
    assert "max_completion_tokens" in up.requests[0].json  # and its facts were used
    table = model_facts.model_table()
    assert "claude-sonnet-4-5" in table


def test_lookup_strips_provider_prefixes():
    assert model_info("anthropic/claude-sonnet-4-5") == model_info("claude-sonnet-4-5") is not None
    assert model_info("models/gpt-5") is not None
    assert model_info("no-such-model-anywhere") is None


# ---------------------------------------------------------------- rule: anthropic-4.5


@pytest.mark.parametrize("model,one_of", [
    ("claude-sonnet-4-5", True), ("claude-sonnet-4-5-20250929", True), ("claude-haiku-4-5", True),
    ("claude-opus-4-1", True), ("claude-opus-4-1-20250805", True), ("claude-opus-4-5", True),
    ("claude-sonnet-latest", True), ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", True),
    ("claude-sonnet-4-20250514", False), ("claude-opus-4", False), ("claude-3-7-sonnet-20250219", False),
    ("claude-3-5-haiku-latest", False), ("glm-4.6", False),
    ("claude-4.5-sonnet", True), ("claude-4.1-opus", True), ("claude-4-opus", False), ("claude-3-7-sonnet", False),
    ("anthropic/claude-sonnet-4.5", True), ("claude-opus-4-1@20250805", True), ("claude-sonnet-4-6", True),
])
def test_rule_claude_45_takes_temperature_or_top_p(model, one_of):
    assert decide("anthropic-messages", model, model_info(model)).temperature_or_top_p is one_of
    assert "anthropic-4.5" in PROVIDER_RULES


def refuses_both(record: RecordedRequest) -> Reply:
    """Claude 4.5 answers this 400 behind any API (OpenAI-compatible gateways relay it)."""
    body = record.json or {}
    if body.get("temperature") is not None and body.get("top_p") is not None:
        return Reply(status=400, error_message="`temperature` and `top_p` cannot both be specified for this model.")
    return Reply(text="ok")


@pytest.mark.parametrize("upstream", ["openai-chat", "openai-responses", "anthropic-messages"])
async def test_rule_claude_45_holds_whatever_api_serves_it(upstream):
    model = "claude-sonnet-4-5"
    async with UpstreamServer(upstream, refuses_both, models=(model,)) as up, \
            proxy_for(up.provider(), model) as (_, session):
        client = genai.Client(api_key=session.token, http_options=types.HttpOptions(base_url=session.base_url))
        config = types.GenerateContentConfig(temperature=1, top_p=0.95, top_k=64)  # Gemini CLI's sampling
        answer = await client.aio.models.generate_content(model=model, contents="hi", config=config)
        assert answer.text == "ok"
    sent = [r.json for r in up.requests if r.protocol == upstream][0]
    assert "temperature" not in sent and sent["top_p"] == 0.95


# ---------------------------------------------------------------- rule: openai-reasoning


@pytest.mark.parametrize("model", ["gpt-5", "gpt-5-mini", "o3", "o4-mini", "openai/gpt-5-codex"])
@pytest.mark.parametrize("target", ["openai-chat", "openai-responses"])
def test_rule_openai_reasoning_models(model, target):
    options = decide(target, model, model_info(model))
    assert options.reasoning is True
    assert options.chat_max_tokens_field == "max_completion_tokens"
    assert {"temperature", "top_p"} <= options.rejected_sampling


def like_openai_reasoning(record: RecordedRequest) -> Reply:
    """What OpenAI's reasoning models answer on Chat to the parameters they do not take."""
    body = record.json or {}
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty", "stop", "max_tokens"):
        if body.get(name) is not None:
            return Reply(status=400, error_message=f"Unsupported parameter: '{name}' is not supported with this model.")
    return Reply(text="ok")


@pytest.mark.parametrize("model", ["o3", "o4-mini", "gpt-5", "gpt-5.1"])
async def test_rule_openai_reasoning_on_chat_drops_penalties_and_stop(model):
    async with UpstreamServer("openai-chat", like_openai_reasoning, models=(model,)) as up, \
            proxy_for(up.provider(), model) as (_, session):
        client = anthropic.AsyncAnthropic(api_key=session.token, base_url=session.base_url)
        answer = await client.messages.create(model=model, max_tokens=500, stop_sequences=["END"],
                                              messages=[{"role": "user", "content": "hi"}])
        assert answer.content[0].text == "ok"
        config = types.GenerateContentConfig(presence_penalty=0.5, frequency_penalty=0.2, stop_sequences=["END"],
                                             max_output_tokens=500)
        gemini_client = genai.Client(api_key=session.token, http_options=types.HttpOptions(base_url=session.base_url))
        answer = await gemini_client.aio.models.generate_content(model=model, contents="hi", config=config)
        assert answer.text == "ok"
    notes = [note for record in session.traffic.records() for note in record.dropped]
    for name in ("stop", "presence_penalty", "frequency_penalty"):
        assert any(note.startswith(f"{name}: the target model does not accept it") for note in notes), (name, notes)


def test_rule_openai_reasoning_models_that_take_stop_keep_it():
    for model in ("o3-mini", "o1", "o3-mini-2025-01-31"):
        assert "stop" not in decide("openai-chat", model, model_info(model)).rejected_sampling, model
    assert "stop" in decide("openai-chat", "o3-2025-04-16", model_info("o3-2025-04-16")).rejected_sampling


@pytest.mark.parametrize("model", ["gpt-5-chat-latest", "gpt-4.1", "gpt-4o", "llama3.1:8b"])
def test_rule_openai_reasoning_spares_chat_models(model):
    options = decide("openai-chat", model, model_info(model))
    assert options.chat_max_tokens_field == "max_tokens" and not options.rejected_sampling


def test_rule_openai_reasoning_with_a_default_effort_of_none_drops_sampling_only_while_reasoning():
    options = decide("openai-responses", "gpt-5.1", model_info("gpt-5.1"))
    assert options.reasoning is True and not {"temperature", "top_p"} & options.rejected_sampling
    plain = translate_request(CHAT_SAMPLING, source="openai-chat", target="openai-responses", model="gpt-5.1",
                              report=TranslationReport(), options=options)
    assert plain["temperature"] == 0.2 and plain["top_p"] == 0.9
    report = TranslationReport()
    thinking = translate_request({**CHAT_SAMPLING, "reasoning_effort": "low"}, source="openai-chat",
                                 target="openai-responses", model="gpt-5.1", report=report, options=options)
    assert "temperature" not in thinking and "top_p" not in thinking and thinking["reasoning"]["effort"] == "low"
    assert "temperature (reasoning models reject it)" in report.dropped


# ---------------------------------------------------------------- rules from the table


def test_rule_no_sampling_params_from_the_table():
    options = decide("anthropic-messages", "claude-opus-4-7", model_info("claude-opus-4-7"))
    assert options.rejected_sampling >= {"temperature", "top_p", "top_k"}
    report = TranslationReport()
    sent = translate_request({**CHAT_SAMPLING, "top_k": 40}, source="openai-chat", target="anthropic-messages",
                             model="claude-opus-4-7", report=report, options=options)
    assert not {"temperature", "top_p", "top_k"} & sent.keys()
    assert sum(note.endswith("(model facts for claude-opus-4-7)") for note in report.dropped) == 3


def test_rule_no_reasoning_from_the_table():
    info = {"litellm_provider": "gemini", "supports_reasoning": False, "max_output_tokens": 8192}
    options = decide("gemini", "gemini-2.0-flash", info)
    assert options.reasoning is False
    sent = translate_request({**CHAT_SAMPLING, "reasoning_effort": "high"}, source="openai-chat", target="gemini",
                             model="gemini-2.0-flash", report=TranslationReport(), options=options)
    assert "thinkingConfig" not in sent["generationConfig"]


async def test_rule_no_reasoning_is_noted_when_it_drops_a_request_for_thinking():
    async with UpstreamServer("openai-chat", [Reply(text="ok")], models=("gpt-audio",)) as up, \
            proxy_for(up.provider(), "gpt-audio") as (_, session):
        client = anthropic.AsyncAnthropic(api_key=session.token, base_url=session.base_url)
        await client.messages.create(model="gpt-audio", max_tokens=5000, thinking={"type": "enabled", "budget_tokens": 2048},
                                     messages=[{"role": "user", "content": "hi"}])
    assert "reasoning_effort" not in up.requests[0].json
    notes = session.traffic.records()[0].dropped
    assert "reasoning: the target model cannot reason (model facts for gpt-audio)" in notes, notes


def test_the_providers_own_table_entry_comes_first():
    assert model_info("gemini-2.5-flash-image", "gemini/gemini-2.5-flash-image")["litellm_provider"] == "gemini"
    assert model_info("gemini-2.5-flash-image")["litellm_provider"] != "gemini"


def test_the_tables_output_limit_caps_max_tokens_unless_the_session_knows_better():
    assert decide("anthropic-messages", "claude-sonnet-4-5", model_info("claude-sonnet-4-5")).max_tokens_cap == 64000
    base = TranslateOptions(max_tokens_cap=1000)
    assert decide("anthropic-messages", "claude-sonnet-4-5", model_info("claude-sonnet-4-5"), base).max_tokens_cap == 1000


async def test_max_tokens_lowered_to_the_models_limit_is_noted():
    async with UpstreamServer("openai-chat", [Reply(text="ok")], models=("gpt-4o",)) as up, \
            proxy_for(up.provider(), "gpt-4o") as (_, session):
        client = anthropic.AsyncAnthropic(api_key=session.token, base_url=session.base_url)
        async with client.messages.stream(model="gpt-4o", max_tokens=100000,
                                          messages=[{"role": "user", "content": "hi"}]) as stream:
            assert (await stream.get_final_message()).content[0].text == "ok"
    assert up.requests[0].json["max_tokens"] == 16384
    assert "max_tokens lowered from 100000 to 16384, the model's output limit (model facts for gpt-4o)" in \
        session.traffic.records()[0].dropped


def test_an_unknown_model_keeps_every_parameter():
    options = decide("anthropic-messages", "my-local-model", None)
    sent = translate_request(CHAT_SAMPLING, source="openai-chat", target="anthropic-messages", model="my-local-model",
                             report=TranslationReport(), options=options)
    assert sent["temperature"] == 0.2 and sent["top_p"] == 0.9


# ---------------------------------------------------------------- through the proxy


async def test_responses_provider_with_gpt5_gets_no_sampling_and_its_reasoning():
    body = {**CHAT_SAMPLING, "model": "gpt-5", "reasoning_effort": "medium"}
    async with UpstreamServer("openai-responses", [Reply(text="ok")], models=("gpt-5",)) as up, \
            proxy_for(up.provider(), "gpt-5") as (_, session):
        assert (await post(session, "openai-chat", body))[0] == 200
    sent = up.requests[0].json
    assert "temperature" not in sent and "top_p" not in sent
    assert sent["reasoning"] == {"effort": "medium", "summary": "auto"}
    notes = session.traffic.records()[0].dropped
    assert any(note.startswith("temperature") for note in notes) and any(note.startswith("top_p") for note in notes)


async def test_chat_provider_with_o3_gets_max_completion_tokens():
    body = {"model": "o3", "max_tokens": 3000, "temperature": 0.5, "messages": [{"role": "user", "content": "hi"}],
            "thinking": {"type": "enabled", "budget_tokens": 2048}}
    async with UpstreamServer("openai-chat", [Reply(text="ok")], models=("o3",)) as up, \
            proxy_for(up.provider(), "o3") as (_, session):
        assert (await post(session, "anthropic-messages", body))[0] == 200
    sent = up.requests[0].json
    assert sent["max_completion_tokens"] == 3000 and "max_tokens" not in sent
    assert "temperature" not in sent and sent["reasoning_effort"] == "low"


def test_other_reasoning_models_keep_sampling_while_reasoning():
    options = decide("openai-chat", "deepseek-reasoner", {"litellm_provider": "deepseek", "supports_reasoning": True})
    assert options.reasoning is True and options.sampling_while_reasoning
    body = {"model": "m", "max_tokens": 9000, "temperature": 0.2, "messages": [{"role": "user", "content": "hi"}],
            "thinking": {"type": "enabled", "budget_tokens": 8000}}
    sent = translate_request(body, source="anthropic-messages", target="openai-chat", model="deepseek-reasoner",
                             report=TranslationReport(), options=options)
    assert sent["temperature"] == 0.2 and sent["reasoning_effort"] == "medium"
    gpt = decide("openai-chat", "gpt-5.1", model_info("gpt-5.1"))
    sent = translate_request(body, source="anthropic-messages", target="openai-chat", model="gpt-5.1",
                             report=TranslationReport(), options=gpt)
    assert "temperature" not in sent and sent["reasoning_effort"] == "medium"
