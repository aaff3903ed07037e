"""Tool round trips through the proxy (tool call → tool result → answer), as each harness does
them, for every caller/provider pair the translators serve, streamed and not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from proxy_client import PAIRS, post, proxy_for, read_answer
from upstreams import RecordedRequest, Reply, ToolCall, UpstreamServer

SCHEMA = {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}
ARGS = {"command": "ls -la"}
OUTPUT = "file.txt  notes.md"


# --- the caller's side: requests each harness would send ----------------------------------------

def first_request(protocol: str, stream: bool) -> dict[str, Any]:
    return history(protocol, stream, None)


def history(protocol: str, stream: bool, call: tuple[str, str, dict] | None) -> dict[str, Any]:
    """The conversation: a question, and after a tool call, the call echoed back plus its result."""
    ask = "list the files"
    if protocol == "anthropic-messages":
        messages: list[Any] = [{"role": "user", "content": ask}]
        if call:
            messages += [{"role": "assistant", "content": [{"type": "tool_use", "id": call[0], "name": call[1],
                                                            "input": call[2]}]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call[0],
                                                       "content": OUTPUT}]}]
        return {"model": "claude-x", "max_tokens": 1000, "stream": stream, "messages": messages,
                "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
                "tools": [{"name": "bash", "description": "run a command", "input_schema": SCHEMA}]}
    if protocol == "openai-chat":
        messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": ask}]
        if call:
            messages += [{"role": "assistant", "content": None, "tool_calls": [
                {"id": call[0], "type": "function", "function": {"name": call[1], "arguments": json.dumps(call[2])}}]},
                         {"role": "tool", "tool_call_id": call[0], "content": OUTPUT}]
        body = {"model": "gpt-x", "stream": stream, "messages": messages,
                "tools": [{"type": "function", "function": {"name": "bash", "description": "run a command",
                                                            "parameters": SCHEMA}}]}
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body
    if protocol == "openai-responses":
        items: list[Any] = [{"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
                            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": ask}]}]
        if call:
            items += [{"type": "function_call", "call_id": call[0], "name": call[1], "arguments": json.dumps(call[2])},
                      {"type": "function_call_output", "call_id": call[0], "output": OUTPUT}]
        return {"model": "codex-x", "stream": stream, "store": False, "input": items,
                "tools": [{"type": "function", "name": "bash", "description": "run a command", "parameters": SCHEMA}]}
    contents: list[Any] = [{"role": "user", "parts": [{"text": ask}]}]
    if call:
        contents += [{"role": "model", "parts": [{"functionCall": {"id": call[0], "name": call[1], "args": call[2]}}]},
                     {"role": "user", "parts": [{"functionResponse": {"id": call[0], "name": call[1],
                                                                     "response": {"output": OUTPUT}}}]}]
    return {"contents": contents, "systemInstruction": {"parts": [{"text": "be brief"}]},
            "tools": [{"functionDeclarations": [{"name": "bash", "description": "run a command",
                                                 "parameters": SCHEMA}]}]}


# --- the provider's side: what reached it -------------------------------------------------------

def tool_result_in(protocol: str, body: dict) -> tuple[str | None, str | None, str]:
    """(id of the echoed call, id the result answers, result text) from an upstream request."""
    if protocol == "anthropic-messages":
        call = next(b for m in body["messages"] if m["role"] == "assistant" and isinstance(m["content"], list)
                    for b in m["content"] if b["type"] == "tool_use")
        result = next(b for m in body["messages"] if isinstance(m["content"], list)
                      for b in m["content"] if b["type"] == "tool_result")
        content = result["content"]
        text = content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
        assert call["name"] == "bash" and call["input"] == ARGS
        return call["id"], result["tool_use_id"], text
    if protocol == "openai-chat":
        call = next(tc for m in body["messages"] if m.get("tool_calls") for tc in m["tool_calls"])
        result = next(m for m in body["messages"] if m["role"] == "tool")
        assert call["function"]["name"] == "bash" and json.loads(call["function"]["arguments"]) == ARGS
        content = result["content"]
        text = content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
        return call["id"], result["tool_call_id"], text
    if protocol == "openai-responses":
        call = next(i for i in body["input"] if i.get("type") == "function_call")
        result = next(i for i in body["input"] if i.get("type") == "function_call_output")
        assert call["name"] == "bash" and json.loads(call["arguments"]) == ARGS
        output = result["output"]
        return call["call_id"], result["call_id"], output if isinstance(output, str) else json.dumps(output)
    parts = [p for c in body["contents"] for p in c["parts"]]
    call = next(p["functionCall"] for p in parts if "functionCall" in p)
    result = next(p["functionResponse"] for p in parts if "functionResponse" in p)
    assert call["name"] == "bash" and call.get("args") == ARGS
    return call.get("id") or call["name"], result.get("id") or result["name"], json.dumps(result["response"])


def scripted(protocol: str):
    def answer(request: RecordedRequest) -> Reply:
        if OUTPUT.split()[0] in request.body.decode():
            return Reply(text=f"I see {OUTPUT}", input_tokens=50, output_tokens=9)
        return Reply(text="let me look", tool_calls=(ToolCall("bash", ARGS, id="call_abc123"),))
    return answer


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("inbound,upstream", PAIRS)
async def test_tool_round_trip(inbound, upstream, stream):
    async with UpstreamServer(upstream, scripted(upstream)) as up, proxy_for(up.provider()) as (_, session):
        status, raw = await post(session, inbound, first_request(inbound, stream), stream=stream)
        assert status == 200, raw[:500]
        text, calls = read_answer(inbound, raw, stream)
        assert text == "let me look"
        assert len(calls) == 1 and calls[0][1:] == ("bash", ARGS)
        status, raw = await post(session, inbound, history(inbound, stream, calls[0]), stream=stream)
        assert status == 200, raw[:500]
        text, calls = read_answer(inbound, raw, stream)
    assert text == f"I see {OUTPUT}" and calls == []
    first, second = up.requests[0].json, up.requests[1].json
    call_id, result_id, result_text = tool_result_in(upstream, second)
    assert call_id == result_id and OUTPUT in result_text
    if upstream != "gemini":
        assert first["model"] == second["model"] == "fixture-model"
    else:
        assert up.requests[1].path.endswith("/fixture-model:" + ("streamGenerateContent" if stream else "generateContent"))
    records = session.traffic.records()
    assert [r.status for r in records] == [200, 200]
    assert records[1].input_tokens == 50 and records[1].output_tokens == 9


# --- what the real harnesses send (shapes from ../shared/harness-wire-notes.md) ---------------

CLAUDE_CODE = {
    "model": "claude-sonnet-4-5-20250929", "max_tokens": 32000, "stream": True,
    "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {"role": "system", "content": "a system message inside messages"},
        {"role": "user", "content": [{"type": "text", "text": "<system-reminder>x</system-reminder>"},
                                     {"type": "text", "text": "list files", "cache_control": {"type": "ephemeral"}}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "abc"},
                                          {"type": "tool_use", "id": "toolu_01", "name": "Bash", "input": ARGS}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": OUTPUT,
                                      "is_error": False, "cache_control": {"type": "ephemeral"}}]}],
    "tools": [{"name": "Bash", "description": "run", "input_schema": {**SCHEMA, "additionalProperties": False,
                                                                      "$schema": "http://json-schema.org/draft-07/schema#"}},
              {"name": "WebFetch", "description": "fetch", "defer_loading": True, "input_schema": {"type": "object"}}],
    "thinking": {"type": "adaptive", "display": "summarized"}, "output_config": {"effort": "high"},
    "context_management": {"edits": []}, "metadata": {"user_id": "u"}, "tool_choice": {"type": "auto"},
}

CODEX = {
    "model": "gpt-5-codex", "stream": True, "store": False, "parallel_tool_calls": True, "tool_choice": "auto",
    "reasoning": {"effort": "medium", "summary": "auto"}, "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "k",
    "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
        {"type": "function_call", "call_id": "call_9", "name": "shell", "arguments": json.dumps(ARGS)},
        {"type": "function_call_output", "call_id": "call_9", "output": OUTPUT}],
    "tools": [{"type": "function", "name": "shell", "description": "run", "strict": False, "parameters": SCHEMA},
              {"type": "namespace", "name": "mcp", "description": "tools", "tools": [
                  {"type": "function", "name": "read", "description": "read", "parameters": {"type": "object"}}]},
              {"type": "web_search"}],
}

GEMINI_CLI = {
    "contents": [
        {"role": "user", "parts": [{"text": "list files"}]},
        {"role": "model", "parts": [{"functionCall": {"id": "fc-1", "name": "run_shell_command", "args": ARGS},
                                     "thoughtSignature": "c2ln"}]},
        {"role": "user", "parts": [{"functionResponse": {"id": "fc-1", "name": "run_shell_command",
                                                         "response": {"output": OUTPUT}}}]}],
    "systemInstruction": {"role": "user", "parts": [{"text": "You are Gemini CLI."}]},
    "tools": [{"functionDeclarations": [{"name": "run_shell_command", "description": "run",
                                         "parametersJsonSchema": SCHEMA}]}],
    "generationConfig": {"temperature": 0, "topP": 1, "thinkingConfig": {"includeThoughts": True, "thinkingBudget": -1}},
}

OPENCODE = {
    "model": "qwen3", "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 32000,
    "messages": [
        {"role": "system", "content": "You are opencode."},
        {"role": "user", "content": [{"type": "text", "text": "list files"}]},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_7", "type": "function", "function": {"name": "bash", "arguments": json.dumps(ARGS)}}]},
        {"role": "tool", "tool_call_id": "call_7", "content": OUTPUT}],
    "tools": [{"type": "function", "function": {"name": "bash", "description": "run", "parameters": SCHEMA}}],
    "tool_choice": "auto",
}

HARNESS_CASES = [("anthropic-messages", CLAUDE_CODE), ("openai-responses", CODEX), ("gemini", GEMINI_CLI),
                 ("openai-chat", OPENCODE)]
HARNESS_TOOL = {"anthropic-messages": "Bash", "openai-responses": "shell", "gemini": "run_shell_command",
                "openai-chat": "bash"}


@pytest.mark.parametrize("upstream", ["anthropic-messages", "openai-chat", "openai-responses", "gemini"])
@pytest.mark.parametrize("inbound,body", HARNESS_CASES, ids=["claude-code", "codex", "gemini-cli", "opencode"])
async def test_real_harness_requests_are_served_by_every_upstream(inbound, body, upstream):
    if (inbound, upstream) not in PAIRS:
        pytest.skip(f"{inbound} -> {upstream} translation has not landed")
    reply = Reply(text="done", thinking="thought", tool_calls=(ToolCall(HARNESS_TOOL[inbound], ARGS),))
    async with UpstreamServer(upstream, [reply]) as up, proxy_for(up.provider()) as (_, session):
        status, raw = await post(session, inbound, body, stream=True)
    assert status == 200, raw[:500]
    text, calls = read_answer(inbound, raw, True)
    assert text == "done" and len(calls) == 1 and calls[0][2] == ARGS
    record = session.traffic.records()[0]
    assert record.status == 200 and not record.error
    assert OUTPUT.split()[0] in up.requests[0].body.decode()
    if upstream != inbound and inbound in ("anthropic-messages", "openai-responses"):
        assert record.dropped  # cache_control, deferred or hosted tools...: on the record for the dashboard
