"""Request translation: what the real harnesses send, as each upstream must receive it."""

from __future__ import annotations

import json

import pytest

from amux_tui.proxy.protocols import (
    RequestError,
    TranslateOptions,
    TranslationReport,
    client_wants_usage,
    is_streaming,
    translate,
    translate_request,
    translate_response,
)
from amux_tui.proxy.protocols.gemini.request import SKIP_SIGNATURE


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"command": {"type": "string", "description": "The command"}, "timeout": {"type": "number"}},
    "required": ["command"],
    "additionalProperties": False,
}

# Shaped like Claude Code 2.1's second turn (see ../shared/harness-wire-notes.md).
CLAUDE_CODE = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 32000,
    "stream": True,
    "system": [
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.332;"},
        {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
    ],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "List the files."}]},
        {"role": "system", "content": "The user switched to plan mode."},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I should run ls.", "signature": "EqQBsig"},
                {"type": "redacted_thinking", "data": "EmwKAhgBEgy"},
                {"type": "text", "text": "Running ls."},
                {"type": "tool_use", "id": "toolu_01", "name": "Bash", "input": {"command": "ls"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_01",
                    "content": [{"type": "text", "text": "a.py\nb.py"}],
                    "cache_control": {"type": "ephemeral"},
                },
                {"type": "tool_result", "tool_use_id": "toolu_02", "content": "permission denied", "is_error": True},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}},
                {"type": "text", "text": "Now read a.py"},
            ],
        },
    ],
    "tools": [
        {"name": "Bash", "description": "Run a command", "input_schema": SCHEMA, "cache_control": {"type": "ephemeral"}},
        {"name": "Read", "description": "Read a file", "input_schema": {"type": "object", "properties": {"p": {"type": "string"}}}, "input_examples": [{"p": "x"}]},
        {"name": "DeferredToolPlaceholder", "input_schema": {"type": "object", "properties": {}}, "defer_loading": True},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
    ],
    "thinking": {"type": "enabled", "budget_tokens": 31999, "display": "omitted"},
    "output_config": {"effort": "medium"},
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    "metadata": {"user_id": '{"session_id":"s"}'},
    "safeguards": {"x": 1},
}


def test_claude_code_to_chat_exactly() -> None:
    report = TranslationReport()
    body = translate_request(CLAUDE_CODE, source="anthropic-messages", target="openai-chat", model="gpt-x", report=report)
    assert body == {
        "model": "gpt-x",
        "messages": [
            {"role": "system", "content": "You are Claude Code.\n\nThe user switched to plan mode."},
            {"role": "user", "content": "List the files."},
            {
                "role": "assistant",
                "content": "Running ls.",
                "tool_calls": [{"id": "toolu_01", "type": "function", "function": {"name": "Bash", "arguments": '{"command":"ls"}'}}],
            },
            {"role": "tool", "tool_call_id": "toolu_01", "content": "a.py\nb.py"},
            {"role": "tool", "tool_call_id": "toolu_02", "content": "Error: permission denied"},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
                    {"type": "text", "text": "Now read a.py"},
                ],
            },
        ],
        "tools": [
            {"type": "function", "function": {"name": "Bash", "parameters": SCHEMA, "description": "Run a command"}},
            {"type": "function", "function": {"name": "Read", "parameters": {"type": "object", "properties": {"p": {"type": "string"}}}, "description": "Read a file"}},
        ],
        "max_tokens": 32000,
        "reasoning_effort": "medium",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    for note in (
        "cache_control on system[1]",
        "cache_control on messages[3].content[0]",
        "tool field 'cache_control'",
        "tool field 'input_examples'",
        "deferred tool 'DeferredToolPlaceholder' omitted until the tool search loads it",
        "server tool 'web_search' (web_search_20250305): the target cannot run it",
        "context_management (anthropic only)",
        "field 'safeguards' (not translated)",
        "reasoning from anthropic-messages (openai-chat has no input for it)",
    ):
        assert note in report.dropped


def test_claude_code_to_responses() -> None:
    report = TranslationReport()
    body = translate_request(CLAUDE_CODE, source="anthropic-messages", target="openai-responses", model="gpt-5", report=report)
    assert body["instructions"] == "You are Claude Code.\n\nThe user switched to plan mode."
    assert body["store"] is False and body["stream"] is True
    assert body["reasoning"] == {"effort": "medium"}  # display: omitted -> no summary asked
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["max_output_tokens"] == 32000
    assert body["tools"][0] == {"type": "function", "name": "Bash", "parameters": SCHEMA, "strict": False, "description": "Run a command"}
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "List the files."}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Running ls."}]},
        {"type": "function_call", "call_id": "toolu_01", "name": "Bash", "arguments": '{"command":"ls"}'},
        {"type": "function_call_output", "call_id": "toolu_01", "output": "a.py\nb.py"},
        {"type": "function_call_output", "call_id": "toolu_02", "output": "Error: permission denied"},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0K", "detail": "auto"},
                {"type": "input_text", "text": "Now read a.py"},
            ],
        },
    ]


def test_claude_code_to_gemini() -> None:
    report = TranslationReport()
    body = translate_request(CLAUDE_CODE, source="anthropic-messages", target="gemini", model="gemini-3-pro", report=report)
    assert "model" not in body
    assert body["systemInstruction"] == {"parts": [{"text": "You are Claude Code."}, {"text": "The user switched to plan mode."}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "List the files."}]},
        {
            "role": "model",
            "parts": [
                {"text": "Running ls."},
                {"functionCall": {"name": "Bash", "args": {"command": "ls"}, "id": "toolu_01"}, "thoughtSignature": SKIP_SIGNATURE},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "Bash", "response": {"output": "a.py\nb.py"}, "id": "toolu_01"}},
                {"functionResponse": {"name": "unknown_tool", "response": {"error": "permission denied"}, "id": "toolu_02"}},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}},
                {"text": "Now read a.py"},
            ],
        },
    ]
    bash = body["tools"][0]["functionDeclarations"][0]
    assert bash == {
        "name": "Bash",
        "description": "Run a command",
        "parameters": {
            "type": "OBJECT",
            "properties": {"command": {"type": "STRING", "description": "The command"}, "timeout": {"type": "NUMBER"}},
            "required": ["command"],
        },
    }
    assert "tool 'Bash' schema: removed $schema, additionalProperties (gemini rejects them)" in report.dropped
    assert body["generationConfig"] == {"maxOutputTokens": 32000, "thinkingConfig": {"thinkingBudget": 31999, "includeThoughts": False}}


def test_anthropic_thinking_maps_to_each_target() -> None:
    def body(**extra: object) -> dict:
        return {"model": "m", "max_tokens": 4000, "messages": [{"role": "user", "content": "hi"}], **extra}

    def go(target: str, **extra: object) -> dict:
        return translate_request(body(**extra), source="anthropic-messages", target=target, model="m", report=TranslationReport())

    assert go("openai-chat", thinking={"type": "enabled", "budget_tokens": 2048})["reasoning_effort"] == "low"
    assert go("openai-chat", thinking={"type": "adaptive"}).get("reasoning_effort") is None
    assert go("openai-chat", thinking={"type": "adaptive"}, output_config={"effort": "max"})["reasoning_effort"] == "high"
    assert go("openai-responses", thinking={"type": "adaptive"}, output_config={"effort": "high"})["reasoning"] == {"effort": "high", "summary": "auto"}
    assert go("gemini", thinking={"type": "adaptive"})["generationConfig"]["thinkingConfig"] == {"thinkingBudget": -1, "includeThoughts": True}
    assert "thinkingConfig" not in go("gemini", thinking={"type": "disabled"}).get("generationConfig", {})
    assert "reasoning_effort" not in translate_request(
        body(thinking={"type": "enabled", "budget_tokens": 2048}), source="anthropic-messages", target="openai-chat",
        model="m", report=TranslationReport(), options=TranslateOptions(reasoning=False),
    )  # fmt: skip


def test_chat_reasoning_effort_to_anthropic_thinking() -> None:
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "high", "temperature": 0.2, "max_tokens": 1000}
    report = TranslationReport()
    body = translate_request(chat, source="openai-chat", target="anthropic-messages", model="claude", report=report)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 24576}
    assert body["max_tokens"] == 24576 + 4096  # must exceed the budget
    assert "temperature" not in body and "temperature (anthropic rejects it while thinking)" in report.dropped
    capped = translate_request(
        chat, source="openai-chat", target="anthropic-messages", model="claude", report=TranslationReport(),
        options=TranslateOptions(max_tokens_cap=8000),
    )  # fmt: skip
    assert capped["max_tokens"] == 8000 and capped["thinking"]["budget_tokens"] == 7999


# Shaped like Codex 0.171's request after one tool call.
CODEX = {
    "model": "m",
    "stream": True,
    "store": False,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "k",
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "reasoning": {"effort": "high", "summary": "auto"},
    "client_metadata": {"session_id": "s"},
    "input": [
        {"type": "message", "id": "msg_1", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "close the agent"}]},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Close it."}], "encrypted_content": "amux:anthropic-messages:s:EqSig"},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "close_agent", "namespace": "multi_agent_v1", "arguments": '{"target":"a1"}'},
        {"type": "function_call_output", "id": "fco_1", "call_id": "call_1", "output": "closed"},
        {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"},
        {"type": "custom_tool_call_output", "call_id": "call_2", "output": "Done!"},
    ],
    "tools": [
        {"type": "function", "name": "exec_command", "description": "Run", "strict": False, "parameters": SCHEMA},
        {
            "type": "namespace",
            "name": "multi_agent_v1",
            "description": "Sub-agents",
            "tools": [{"type": "function", "name": "close_agent", "description": "Close", "strict": False, "parameters": {"type": "object", "properties": {"target": {"type": "string"}}}}],
        },
        {"type": "custom", "name": "apply_patch", "description": "Patch files", "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}},
        {"type": "web_search", "external_web_access": False},
    ],
}


def test_codex_to_anthropic() -> None:
    report = TranslationReport()
    body = translate_request(CODEX, source="openai-responses", target="anthropic-messages", model="claude", report=report)
    assert body["system"] == [{"type": "text", "text": "You are Codex."}]
    assert [t["name"] for t in body["tools"]] == ["exec_command", "multi_agent_v1__close_agent", "apply_patch"]
    assert body["tools"][2]["input_schema"]["required"] == ["input"]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "close the agent"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Close it.", "signature": "EqSig"},
                {"type": "tool_use", "id": "call_1", "name": "multi_agent_v1__close_agent", "input": {"target": "a1"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": [{"type": "text", "text": "closed"}]}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "call_2", "name": "apply_patch", "input": {"input": "*** Begin Patch\n*** End Patch"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_2", "content": [{"type": "text", "text": "Done!"}]}]},
    ]
    # the last tool turn (apply_patch) carries no reasoning: Anthropic would reject thinking
    assert "thinking" not in body
    assert "thinking: the client did not echo the reasoning of its tool call; thinking off" in report.dropped
    shorter = {**CODEX, "input": CODEX["input"][:5]}
    assert translate_request(shorter, source="openai-responses", target="anthropic-messages", model="c", report=TranslationReport())[
        "thinking"
    ] == {"type": "enabled", "budget_tokens": 24576}
    assert "built-in tool 'web_search': the target cannot run it" in report.dropped
    assert report.tool_names["multi_agent_v1__close_agent"].namespace == "multi_agent_v1"
    assert report.tool_names["apply_patch"].kind == "custom"


def test_codex_names_come_back_in_the_response() -> None:
    report = TranslationReport()
    translate_request(CODEX, source="openai-responses", target="openai-chat", model="gpt", report=report)
    upstream = {
        "id": "chatcmpl-1",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "multi_agent_v1__close_agent", "arguments": '{"target":"a2"}'}},
                        {"id": "c2", "type": "function", "function": {"name": "apply_patch", "arguments": '{"input":"*** Begin Patch"}'}},
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
    }
    out = translate_response(upstream, source="openai-chat", target="openai-responses", model="m", report=report)
    calls = out["output"]
    assert calls[0] | {"id": "x"} == {
        "id": "x", "type": "function_call", "status": "completed", "call_id": "c1", "name": "close_agent",
        "arguments": '{"target":"a2"}', "namespace": "multi_agent_v1",
    }  # fmt: skip
    assert calls[1] | {"id": "x"} == {"id": "x", "type": "custom_tool_call", "status": "completed", "call_id": "c2", "name": "apply_patch", "input": "*** Begin Patch"}
    assert out["status"] == "completed" and out["usage"]["input_tokens"] == 10


def test_long_tool_names_are_fitted_and_restored() -> None:
    long_name = "mcp__" + "very_long_server_name_" * 3 + "__tool.with.dots"
    req = {
        "model": "m",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": long_name, "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
        ],
        "tools": [{"name": long_name, "input_schema": {"type": "object", "properties": {"a": {"type": "string"}}}}],
        "tool_choice": {"type": "tool", "name": long_name},
    }
    report = TranslationReport()
    body = translate_request(req, source="anthropic-messages", target="openai-chat", model="m", report=report)
    fitted = body["tools"][0]["function"]["name"]
    assert len(fitted) == 64 and fitted != long_name
    assert body["messages"][1]["tool_calls"][0]["function"]["name"] == fitted
    assert body["tool_choice"] == {"type": "function", "function": {"name": fitted}}
    again = translate_request(req, source="anthropic-messages", target="openai-chat", model="m", report=TranslationReport())
    assert again["tools"][0]["function"]["name"] == fitted  # deterministic
    answer = {"choices": [{"message": {"tool_calls": [{"id": "c", "function": {"name": fitted, "arguments": "{}"}}]}, "finish_reason": "tool_calls"}]}
    out = translate_response(answer, source="openai-chat", target="anthropic-messages", model="m", report=report)
    assert out["content"][0]["name"] == long_name and out["stop_reason"] == "tool_use"


GEMINI_CLI = {
    "systemInstruction": {"parts": [{"text": "You are Gemini CLI."}]},
    "contents": [
        {"role": "user", "parts": [{"text": "read a.py"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Reading.", "thoughtSignature": "Q2lRQg=="},
                {"functionCall": {"id": "g-1", "name": "read_file", "args": {"file_path": "a.py"}}},
                {"functionCall": {"name": "glob", "args": {"pattern": "*"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"id": "g-1", "name": "read_file", "response": {"output": "print(1)"}}},
                {"functionResponse": {"name": "glob", "response": {"error": "no matches"}}},
            ],
        },
    ],
    "tools": [
        {
            "functionDeclarations": [
                {"name": "read_file", "description": "Read", "parametersJsonSchema": {"type": "object", "properties": {"file_path": {"type": "string"}}}},
                {"name": "glob", "description": "Glob", "parameters": {"type": "OBJECT", "properties": {"pattern": {"type": "STRING", "nullable": True}}}},
            ]
        },
        {"googleSearch": {}},
    ],
    "generationConfig": {"temperature": 1, "topP": 0.95, "topK": 64, "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 8192}},
}


def test_gemini_cli_to_chat() -> None:
    report = TranslationReport()
    body = translate_request(GEMINI_CLI, source="gemini", target="openai-chat", model="gpt", report=report)
    assert body["messages"][0] == {"role": "system", "content": "You are Gemini CLI."}
    assistant = body["messages"][2]
    assert assistant["content"] == "Reading."
    glob_id = assistant["tool_calls"][1]["id"]
    assert glob_id.startswith("amuxgc_")
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["read_file", "glob"]
    assert body["messages"][3:] == [
        {"role": "tool", "tool_call_id": "g-1", "content": "print(1)"},
        {"role": "tool", "tool_call_id": glob_id, "content": "Error: no matches"},
    ]
    assert body["tools"][1]["function"]["parameters"] == {"type": "object", "properties": {"pattern": {"type": ["string", "null"]}}}
    assert body["reasoning_effort"] == "medium"
    assert "top_k (not an openai-chat parameter)" in report.dropped
    assert "built-in tool 'googleSearch': the target cannot run it" in report.dropped


def test_gemini_signature_round_trip_through_anthropic_client() -> None:
    """A Gemini signature handed to Claude Code inside a thinking block returns onto its part."""
    claude = {
        "model": "m",
        "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "plan", "signature": "amux:gemini:s:"},
                    {"type": "text", "text": "ok"},
                    {"type": "thinking", "thinking": "", "signature": "amux:gemini:s:CiQsig"},
                    {"type": "tool_use", "id": "amuxgc_r1_0", "name": "f", "input": {"a": 1}},
                    {"type": "tool_use", "id": "amuxgc_r1_1", "name": "f", "input": {"a": 2}},
                ],
            },
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "amuxgc_r1_0", "content": "1"},
                {"type": "tool_result", "tool_use_id": "amuxgc_r1_1", "content": "2"},
            ]},  # fmt: skip
        ],
    }
    report = TranslationReport()
    body = translate_request(claude, source="anthropic-messages", target="gemini", model="g", report=report)
    assert body["contents"][1]["parts"] == [
        {"text": "ok"},
        {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "CiQsig"},
        {"functionCall": {"name": "f", "args": {"a": 2}}},
    ]
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "f", "response": {"output": "1"}}},
        {"functionResponse": {"name": "f", "response": {"output": "2"}}},
    ]
    assert report.dropped == []


def test_schema_cleaning_for_gemini() -> None:
    schema = {
        "type": "object",
        "$defs": {"Pos": {"type": "object", "properties": {"line": {"type": "integer", "exclusiveMinimum": 0}}}},
        "properties": {
            "at": {"$ref": "#/$defs/Pos"},
            "mode": {"const": "fast"},
            "kind": {"type": ["string", "null"], "format": "uri"},
            "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "empty": {"type": "object", "properties": {}},
            "level": {"enum": [1, 2]},
        },
        "required": ["at", "missing"],
    }
    report = TranslationReport()
    req = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "t", "parameters": schema}}]}
    body = translate_request(req, source="openai-chat", target="gemini", model="g", report=report)
    assert body["tools"][0]["functionDeclarations"][0]["parameters"] == {
        "type": "OBJECT",
        "properties": {
            "at": {"type": "OBJECT", "properties": {"line": {"type": "INTEGER"}}},
            "mode": {"enum": ["fast"], "type": "STRING"},
            "kind": {"nullable": True, "type": "STRING"},
            "either": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
            "empty": {"type": "OBJECT"},
            "level": {},
        },
        "required": ["at"],
    }
    assert report.dropped == [
        "tool 't' schema: removed exclusiveMinimum, format 'uri', non-string enum, oneOf (sent as anyOf) (gemini rejects them)"
    ]


def test_chat_client_images_and_tool_images() -> None:
    chat = {
        "model": "m",
        "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "high"}}]},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    body = translate_request(chat, source="openai-chat", target="anthropic-messages", model="c", report=TranslationReport())
    assert body["system"] == [{"type": "text", "text": "Be brief."}]
    assert body["messages"][0]["content"][1] == {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}
    assert body["max_tokens"] == 8192 and body["stream"] is True
    gem = translate_request(chat, source="openai-chat", target="gemini", model="g", report=TranslationReport())
    assert gem["contents"][0]["parts"][1] == {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://x/y.png"}}
    assert client_wants_usage(chat, "openai-chat") and not client_wants_usage({"stream": True}, "openai-chat")


def test_tool_result_images_for_chat_follow_the_tool_messages() -> None:
    claude = {
        "model": "m",
        "max_tokens": 5,
        "messages": [
            {"role": "user", "content": "shot"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Screenshot", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
                {"type": "text", "text": "here"}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAA"}},
            ]}]},  # fmt: skip
        ],
    }
    body = translate_request(claude, source="anthropic-messages", target="openai-chat", model="m", report=TranslationReport())
    assert body["messages"][-2:] == [
        {"role": "tool", "tool_call_id": "t", "content": "here"},
        {"role": "user", "content": [{"type": "text", "text": "Images returned by the tool:"}, {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAA"}}]},
    ]


def test_same_protocol_only_sets_the_model() -> None:
    body = {"model": "alias", "messages": [], "unknown": 1}
    assert translate_request(body, source="openai-chat", target="openai-chat", model="real", report=TranslationReport()) == {"model": "real", "messages": [], "unknown": 1}
    assert translate_request({"contents": []}, source="gemini", target="gemini", model="g", report=TranslationReport()) == {"contents": []}


def test_is_streaming() -> None:
    assert is_streaming({"stream": True}, "anthropic-messages")
    assert not is_streaming({"stream": "yes"}, "openai-chat")
    assert is_streaming({}, "gemini", url_stream=True) and not is_streaming({"stream": True}, "gemini")


@pytest.mark.parametrize(
    ("source", "body", "fragment"),
    [
        ("anthropic-messages", {"model": "m"}, "messages: field required"),
        ("anthropic-messages", {"messages": "hi"}, "messages: expected an array"),
        ("anthropic-messages", {"messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]}, "messages[0].content[0].text: expected a string"),
        ("anthropic-messages", {"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ("anthropic-messages", {"messages": [{"role": "user", "content": "x"}], "max_tokens": True}, "max_tokens: expected an integer"),
        ("anthropic-messages", {"messages": [{"role": "user", "content": "x"}], "temperature": float("nan")}, "temperature: expected a number"),
        ("anthropic-messages", {"messages": [{"role": "system", "content": "only system"}]}, "at least one"),
        ("openai-chat", {"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id: expected a string"),
        ("openai-chat", {"messages": [{"role": "user", "content": "x"}], "tool_choice": 5}, "tool_choice"),
        ("openai-responses", {"model": "m"}, "input: field required"),
        ("openai-responses", {"input": [{"type": "function_call", "name": "f"}]}, "input[0].call_id: expected a string"),
        ("gemini", {"contents": [{"role": "user", "parts": [{"functionCall": {"name": "f", "args": []}}]}]}, "functionCall.args: expected an object"),
        ("gemini", {"contents": {"role": "user"}}, "contents: expected an array"),
    ],
)
def test_invalid_bodies_are_request_errors(source: str, body: dict, fragment: str) -> None:
    target = "openai-chat" if source != "openai-chat" else "anthropic-messages"
    with pytest.raises(RequestError) as caught:
        translate_request(body, source=source, target=target, model="m", report=TranslationReport())
    assert caught.value.status == 400 and caught.value.error_type == "invalid_request_error"
    assert fragment in caught.value.message


def test_unknown_fields_are_tolerated_everywhere() -> None:
    body = json.loads(json.dumps(CLAUDE_CODE))
    body["messages"][0]["content"][0]["citations"] = None
    body["messages"][0]["future_field"] = {"x": 1}
    body["tools"][0]["eager_input_streaming"] = True
    for target in ("openai-chat", "openai-responses", "gemini"):
        translate_request(body, source="anthropic-messages", target=target, model="m", report=TranslationReport())
