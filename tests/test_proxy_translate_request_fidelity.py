"""Request fidelity (issue 12, request side): what a translated request keeps, what the target model
accepts, and that every loss is in ``dropped``. Exact inputs from the issue; real upstreams on
127.0.0.1 record what arrives; the official SDKs are the clients where the issue names them."""

from __future__ import annotations

import json

import aiohttp
import openai
import pytest
from google import genai
from google.genai import types

from amux_tui.proxy.protocols import TranslationReport, translate, translate_request
from proxy_client import error_shape_ok, post, proxy_for
from upstreams import Reply, UpstreamServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PNG = "iVBORw0KGgo="
SCHEMA = {"type": "object", "properties": {"file_path": {"type": "string"}, "limit": {"type": "integer"}},
          "required": ["file_path"]}


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


def gemini_client(session, version: str | None = None) -> genai.Client:
    options = types.HttpOptions(base_url=session.base_url, api_version=version) if version else \
        types.HttpOptions(base_url=session.base_url)
    return genai.Client(api_key=session.token, http_options=options)


def model_requests(up: UpstreamServer) -> list[dict]:
    return [r.json for r in up.requests if r.protocol == up.protocol and "count" not in r.path.lower()]


def dropped_of(session) -> list[str]:
    return [note for record in session.traffic.records() for note in record.dropped]


# ---------------------------------------------------------------- item 1: temperature and top_p to Claude 4.5+

GEMINI_CLI_SAMPLING = {"temperature": 1, "topP": 0.95, "topK": 64}


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-haiku-4-5-20251001", "claude-opus-4-1"])
async def test_gemini_cli_sampling_to_claude_45_sends_only_top_p(model):
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": GEMINI_CLI_SAMPLING}
    async with UpstreamServer("anthropic-messages", [Reply(text="ok")], models=(model,)) as up, \
            proxy_for(up.provider(), model) as (_, session):
        status, _ = await post(session, "gemini", body, model=model)
        assert status == 200
    sent = model_requests(up)[0]
    assert "temperature" not in sent and sent["top_p"] == 0.95 and sent["top_k"] == 64
    assert any(note.startswith("temperature: the target model takes temperature or top_p") for note in dropped_of(session))


async def test_gemini_cli_utility_call_to_claude_45_keeps_temperature_zero():
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": {"temperature": 0, "topP": 1}}
    report = TranslationReport()
    from amux_tui.proxy.model_facts import decide
    options = decide("anthropic-messages", "claude-sonnet-4-5", None)
    sent = translate_request(body, source="gemini", target="anthropic-messages", model="claude-sonnet-4-5",
                             report=report, options=options)
    assert sent["temperature"] == 0 and "top_p" not in sent
    assert any(note.startswith("top_p:") for note in report.dropped)


async def test_chat_caller_setting_both_reaches_claude_45_with_one():
    body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.3,
            "top_p": 0.9}
    async with UpstreamServer("anthropic-messages", [Reply(text="ok")], models=("claude-sonnet-4-5",)) as up, \
            proxy_for(up.provider(), "claude-sonnet-4-5") as (_, session):
        client = openai.AsyncOpenAI(api_key=session.token, base_url=session.openai_base_url)
        answer = await client.chat.completions.create(**body)
        assert answer.choices[0].message.content == "ok"
    sent = model_requests(up)[0]
    assert sent["temperature"] == 0.3 and "top_p" not in sent


async def test_older_claude_keeps_both():
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": GEMINI_CLI_SAMPLING}
    async with UpstreamServer("anthropic-messages", [Reply(text="ok")], models=("claude-3-7-sonnet-20250219",)) as up, \
            proxy_for(up.provider(), "claude-3-7-sonnet-20250219") as (_, session):
        assert (await post(session, "gemini", body, model="claude-3-7-sonnet-20250219"))[0] == 200
    sent = model_requests(up)[0]
    assert sent["temperature"] == 1 and sent["top_p"] == 0.95


# ---------------------------------------------------------------- item 3: Gemini's proto snake_case

SNAKE_CASE = {  # what google-genai sends (see the issue): snake_case inside camelCase messages
    "contents": [{"role": "user", "parts": [{"inline_data": {"mime_type": "image/png", "data": PNG}},
                                            {"text": "what is this?"}]}],
    "system_instruction": {"parts": [{"text": "be brief"}]},
    "tools": [{"function_declarations": [{"name": "read_file", "description": "Read a file",
                                          "parameters_json_schema": SCHEMA}]}],
    "tool_config": {"function_calling_config": {"mode": "AUTO"}},
    "generation_config": {"max_output_tokens": 20000, "stop_sequences": ["END"],
                          "thinking_config": {"include_thoughts": True, "thinking_budget": 4096}},
}


def test_snake_case_gemini_request_keeps_schema_image_and_thinking():
    report = TranslationReport()
    sent = translate_request(SNAKE_CASE, source="gemini", target="anthropic-messages", model="claude-sonnet-4-5",
                             report=report)
    assert sent["tools"][0]["input_schema"] == SCHEMA  # property names kept as written (file_path)
    assert sent["messages"][0]["content"][0] == {"type": "image", "source": {
        "type": "base64", "media_type": "image/png", "data": PNG}}
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert sent["system"] == [{"type": "text", "text": "be brief"}]
    assert sent["max_tokens"] == 20000 and sent["stop_sequences"] == ["END"]
    assert not [note for note in report.dropped if "not translated" in note or "part kind" in note]


def test_snake_case_function_call_and_response_round_trip_to_chat():
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "read a.py"}]},
            {"role": "model", "parts": [{"function_call": {"id": "c1", "name": "read_file", "args": {"file_path": "a.py"}},
                                         "thought_signature": "c2ln"}]},
            {"role": "user", "parts": [{"function_response": {"id": "c1", "name": "read_file",
                                                              "response": {"output": "print(1)", "exit_code": 0}}}]},
        ],
        "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["read_file"]}},
        "tools": [{"function_declarations": [{"name": "read_file", "parameters": {
            "type": "OBJECT", "properties": {"file_path": {"type": "STRING"}}, "required": ["file_path"]}}]}],
    }
    sent = translate_request(body, source="gemini", target="openai-chat", model="gpt", report=TranslationReport())
    assistant, tool = sent["messages"][1], sent["messages"][2]
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"file_path": "a.py"}
    assert json.loads(tool["content"]) == {"output": "print(1)", "exit_code": 0}  # args/response keys untouched
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "read_file"}}
    assert sent["tools"][0]["function"]["parameters"]["properties"] == {"file_path": {"type": "string"}}


async def test_google_genai_request_reaches_anthropic_whole():
    async with UpstreamServer("anthropic-messages", [Reply(text="a PNG")], models=("claude-sonnet-4-5",)) as up, \
            proxy_for(up.provider(), "claude-sonnet-4-5") as (_, session):
        client = gemini_client(session)
        config = types.GenerateContentConfig(
            system_instruction="be brief", max_output_tokens=20000,
            tools=[types.Tool(function_declarations=[types.FunctionDeclaration(
                name="read_file", description="Read a file", parameters_json_schema=SCHEMA)])],
            thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=4096),
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
        contents = [types.Part.from_bytes(data=b"\x89PNG\r\n\x1a\n", mime_type="image/png"), "what is this?"]
        answer = await client.aio.models.generate_content(model="claude-sonnet-4-5", contents=contents, config=config)
        assert answer.text == "a PNG"
    sent = model_requests(up)[0]
    assert sent["tools"][0]["input_schema"] == SCHEMA
    assert sent["messages"][0]["content"][0]["type"] == "image"
    assert sent["messages"][0]["content"][0]["source"]["media_type"] == "image/png"
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 4096}


async def test_google_genai_openapi_schema_with_definitions_keeps_its_names():
    """google-genai sends a ``Schema`` in proto snake_case; ``defs`` is a map of names, like
    ``properties``, and Gemini's ``ref``/``defs`` are JSON Schema's ``$ref``/``$defs``."""
    S = types.Schema
    params = S(type="OBJECT", required=["file_path"], properties={
        "file_path": S(type="STRING"), "pet": S(ref="#/defs/pet_info"),
        "either": S(any_of=[S(type="STRING"), S(type="INTEGER")])},
        defs={"pet_info": S(type="OBJECT", properties={"pet_name": S(type="STRING", max_length=10)})})
    async with UpstreamServer("anthropic-messages", [Reply(text="ok")]) as up, \
            proxy_for(up.provider()) as (_, session):
        config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[
            types.FunctionDeclaration(name="adopt", parameters=params)])])
        await gemini_client(session).aio.models.generate_content(model="fixture-model", contents="hi", config=config)
    schema = model_requests(up)[0]["tools"][0]["input_schema"]
    assert schema["properties"]["file_path"] == {"type": "string"} and schema["required"] == ["file_path"]
    assert schema["properties"]["pet"] == {"$ref": "#/$defs/pet_info"}
    assert schema["properties"]["either"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert schema["$defs"] == {"pet_info": {"type": "object", "properties": {"pet_name": {"type": "string", "maxLength": 10}}}}


# ---------------------------------------------------------------- item 13: one turn per streamed chunk

CHUNKED_HISTORY = [  # google-genai's chat history after "My name is Ada" streamed in three chunks
    {"role": "user", "parts": [{"text": "hi"}]},
    {"role": "model", "parts": [{"text": "My name"}]},
    {"role": "model", "parts": [{"text": " is Ada"}]},
    {"role": "model", "parts": [{"text": "."}, {"function_call": {"id": "c1", "name": "read_file", "args": {}}}]},
    {"role": "user", "parts": [{"function_response": {"id": "c1", "name": "read_file", "response": {"output": "x"}}}]},
    {"role": "user", "parts": [{"text": "again"}]},
]


@pytest.mark.parametrize("target", ["openai-chat", "anthropic-messages", "openai-responses"])
def test_consecutive_model_turns_become_one_assistant_message(target):
    sent = translate_request({"contents": CHUNKED_HISTORY}, source="gemini", target=target, model="m",
                             report=TranslationReport())
    if target == "openai-chat":
        assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "tool", "user"]
        assert sent["messages"][1]["content"] == "My name is Ada."
        assert sent["messages"][1]["tool_calls"][0]["id"] == "c1"
    elif target == "anthropic-messages":
        assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
        blocks = sent["messages"][1]["content"]
        assert "".join(b.get("text", "") for b in blocks) == "My name is Ada." and blocks[-1]["type"] == "tool_use"
        assert [b["type"] for b in sent["messages"][2]["content"]] == ["tool_result", "text"]
    else:
        kinds = [(i["type"], i.get("role")) for i in sent["input"]]
        assert kinds == [("message", "user"), ("message", "assistant"), ("function_call", None),
                         ("function_call_output", None), ("message", "user")]


@pytest.mark.parametrize("upstream", ["openai-chat", "anthropic-messages"])
async def test_google_genai_chat_history_reaches_the_provider_as_one_turn(upstream):
    async with UpstreamServer(upstream, [Reply(text="My name is Ada", pieces=("My name", " is Ada")),
                                         Reply(text="ok")]) as up, \
            proxy_for(up.provider()) as (_, session):
        chat = gemini_client(session).aio.chats.create(model="fixture-model")
        async for _ in await chat.send_message_stream("who are you?"):
            pass
        history = chat.get_history(curated=False)
        async for _ in await chat.send_message_stream("again"):
            pass
    second = model_requests(up)[1]["messages"]
    assistant = [m for m in second if m["role"] == "assistant"]
    assert len(assistant) == 1, (history, second)
    content = assistant[0]["content"]
    text = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
    assert text == "My name is Ada"


# ---------------------------------------------------------------- item 8: previous_response_id

async def test_previous_response_id_is_a_400_in_openai_format():
    async with UpstreamServer("anthropic-messages", [Reply(text="ok")]) as up, \
            proxy_for(up.provider()) as (_, session):
        client = openai.AsyncOpenAI(api_key=session.token, base_url=session.openai_base_url)
        with pytest.raises(openai.BadRequestError) as raised:
            await client.responses.create(model="fixture-model", input="and then?", previous_response_id="resp_123")
        assert "previous_response_id" in raised.value.message and "whole conversation" in raised.value.message
        body = {"model": "fixture-model", "input": "and then?", "previous_response_id": "resp_123"}
        status, raw = await post(session, "openai-responses", body)
        assert status == 400 and error_shape_ok("openai-responses", json.loads(raw), 400)
    assert not model_requests(up)


@pytest.mark.parametrize("stored", [{"conversation": "conv_123"}, {"conversation": {"id": "conv_123"}},
                                    {"prompt": {"id": "pmpt_123", "version": "2"}}])
async def test_other_state_stored_at_openai_is_a_400_too(stored):
    """A conversation or a prompt template kept by OpenAI is as unreachable as a stored response."""
    async with UpstreamServer("openai-chat", [Reply(text="ok")]) as up, proxy_for(up.provider()) as (_, session):
        client = openai.AsyncOpenAI(api_key=session.token, base_url=session.openai_base_url)
        with pytest.raises(openai.BadRequestError) as raised:
            await client.responses.create(model="fixture-model", input="and then?", **stored)
        assert next(iter(stored)) in raised.value.message and "whole conversation" in raised.value.message
    assert not model_requests(up)


# ---------------------------------------------------------------- item 9: is_error and every drop noted

CLAUDE_TOOL_ERROR = {
    "model": "m", "max_tokens": 100,
    "messages": [
        {"role": "user", "content": "run it"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"c": "x"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True,
                                      "content": "permission denied"}]},
    ],
}


@pytest.mark.parametrize("upstream", ["openai-chat", "openai-responses"])
async def test_tool_result_is_error_reaches_openai_providers_as_text(upstream):
    async with UpstreamServer(upstream, [Reply(text="ok")]) as up, proxy_for(up.provider()) as (_, session):
        assert (await post(session, "anthropic-messages", CLAUDE_TOOL_ERROR))[0] == 200
    sent = model_requests(up)[0]
    if upstream == "openai-chat":
        output = next(m for m in sent["messages"] if m["role"] == "tool")["content"]
    else:
        output = next(i for i in sent["input"] if i["type"] == "function_call_output")["output"]
    assert output == "Error: permission denied"
    assert any("is_error" in note for note in dropped_of(session))


CHAT_EXTRAS = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 7, "presence_penalty": 0.5,
               "frequency_penalty": 0.2, "logprobs": True, "top_logprobs": 3, "logit_bias": {"50256": -100},
               "user": "u-1", "parallel_tool_calls": False,
               "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}


@pytest.mark.parametrize("target,expected", [
    ("anthropic-messages", ["seed", "presence_penalty", "frequency_penalty", "logprobs", "logit_bias"]),
    ("openai-responses", ["presence_penalty", "frequency_penalty", "user id", "logprobs", "seed"]),
    ("gemini", ["user id", "parallel_tool_calls", "logprobs", "logit_bias"]),
])
def test_every_dropped_chat_parameter_is_noted(target, expected):
    report = TranslationReport()
    translate_request(CHAT_EXTRAS, source="openai-chat", target=target, model="m", report=report)
    for name in expected:
        assert any(note.startswith(name) for note in report.dropped), (name, report.dropped)


def test_responses_only_settings_are_noted():
    body = {"model": "m", "input": "hi", "prompt_cache_key": "k", "text": {"verbosity": "low"},
            "truncation": "auto", "max_tool_calls": 3, "safety_identifier": "s"}
    report = TranslationReport()
    translate_request(body, source="openai-responses", target="openai-chat", model="m", report=report)
    for name in ("prompt_cache_key", "text.verbosity", "truncation", "max_tool_calls", "user id"):
        assert any(note.startswith(name) for note in report.dropped), (name, report.dropped)


async def test_gemini_generation_settings_no_other_api_has_are_noted():
    async with UpstreamServer("openai-chat", [Reply(text="ok")]) as up, proxy_for(up.provider()) as (_, session):
        config = types.GenerateContentConfig(response_logprobs=True, logprobs=3, temperature=0.5,
                                             media_resolution=types.MediaResolution.MEDIA_RESOLUTION_LOW)
        await gemini_client(session).aio.models.generate_content(model="fixture-model", contents="hi", config=config)
    assert model_requests(up)[0]["temperature"] == 0.5
    notes = dropped_of(session)
    for name in ("responseLogprobs", "logprobs", "mediaResolution"):
        assert f"generationConfig.{name} (not translated)" in notes, (name, notes)
    assert not [note for note in notes if "temperature" in note]


def test_gemini_any_with_several_allowed_names_is_noted():
    body = {"contents": [{"role": "user", "parts": [{"text": "go"}]}],
            "tools": [{"functionDeclarations": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a", "b"]}}}
    report = TranslationReport()
    sent = translate_request(body, source="gemini", target="openai-chat", model="m", report=report)
    assert sent["tool_choice"] == "required"
    assert any(note.startswith("allowedFunctionNames") for note in report.dropped)


def test_max_tokens_raised_for_a_thinking_budget_is_noted():
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2000,
            "reasoning_effort": "high"}
    report = TranslationReport()
    sent = translate_request(body, source="openai-chat", target="anthropic-messages", model="m", report=report)
    assert sent["max_tokens"] > sent["thinking"]["budget_tokens"] >= 1024
    assert any(note.startswith("max_tokens raised from 2000") for note in report.dropped)


async def test_drops_reach_the_traffic_record():
    async with UpstreamServer("anthropic-messages", [Reply(text="ok")]) as up, proxy_for(up.provider()) as (_, session):
        assert (await post(session, "openai-chat", CHAT_EXTRAS))[0] == 200
    assert any(note.startswith("logit_bias") for note in dropped_of(session))


async def test_count_tokens_reads_a_snake_case_wrapped_request():
    wrapped = {"generate_content_request": {"model": "models/fixture-model", "contents": [
        {"role": "user", "parts": [{"inline_data": {"mime_type": "image/png", "data": PNG}}, {"text": "count me"}]}]}}
    async with UpstreamServer("anthropic-messages") as up, proxy_for(up.provider()) as (_, session):
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{session.base_url}/v1/models/fixture-model:countTokens", json=wrapped,
                                 headers={"x-goog-api-key": session.token}) as resp:
                assert resp.status == 200 and (await resp.json())["totalTokens"] == up.token_count
    sent = up.requests[0].json
    assert sent["messages"][0]["content"][0]["type"] == "image"
    assert sent["messages"][0]["content"][1]["text"] == "count me"
