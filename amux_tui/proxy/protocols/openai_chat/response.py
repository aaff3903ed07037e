"""OpenAI Chat Completions non-streamed responses <-> IR, and the shared stop/usage maps."""

from __future__ import annotations

from .. import ir
from ..errors import UpstreamError
from ..ids import new_id, unix_now
from ..lenient import as_dict, as_int, as_json_text, as_list, as_str
from ..report import TranslationReport
from .request import CHAT

STOP_FROM_CHAT: dict[str, ir.StopReason] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filter",
}
STOP_TO_CHAT: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filter": "content_filter",
    "refusal": "content_filter",
}



def usage_from_chat(raw: object) -> ir.Usage | None:
    if not isinstance(raw, dict):
        return None
    usage = ir.Usage(as_int(raw.get("prompt_tokens")) or 0, as_int(raw.get("completion_tokens")) or 0)
    prompt = raw.get("prompt_tokens_details")
    if isinstance(prompt, dict):
        usage.cached_tokens = as_int(prompt.get("cached_tokens")) or 0
    elif as_int(raw.get("prompt_cache_hit_tokens")):  # DeepSeek's spelling
        usage.cached_tokens = raw["prompt_cache_hit_tokens"]
    completion = raw.get("completion_tokens_details")
    if isinstance(completion, dict):
        usage.reasoning_tokens = as_int(completion.get("reasoning_tokens")) or 0
    return usage


def usage_to_chat(usage: ir.Usage) -> dict:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def decode_response(body: dict, report: TranslationReport) -> ir.Response:
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list):
        raise UpstreamError("chat completion without choices")
    resp = ir.Response(
        id=body.get("id") if isinstance(body.get("id"), str) else None,
        model=body.get("model") if isinstance(body.get("model"), str) else None,
        usage=usage_from_chat(body.get("usage")) or ir.Usage(),
    )
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = as_dict(choice.get("message"))
    for key in ("reasoning_content", "reasoning"):
        if isinstance(message.get(key), str) and message[key]:
            resp.parts.append(ir.Thinking(message[key], None, CHAT))
            break
    content = message.get("content")
    if isinstance(content, str) and content:
        resp.parts.append(ir.Text(content))
    elif isinstance(content, list):
        resp.parts.extend(ir.Text(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    refused = isinstance(message.get("refusal"), str) and bool(message["refusal"])
    if refused:
        resp.parts.append(ir.Text(message["refusal"], refusal=True))
    for call in as_list(message.get("tool_calls")):
        if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
            continue
        fn = call["function"]
        args = fn.get("arguments")
        args = args if isinstance(args, str) else as_json_text(args) if isinstance(args, dict) else "{}"
        call_id = call.get("id") if isinstance(call.get("id"), str) and call["id"] else new_id("call_")
        resp.parts.append(ir.ToolCall(call_id, as_str(fn.get("name")) or "", args))
    reason = choice.get("finish_reason")
    resp.stop_reason = STOP_FROM_CHAT.get(reason, "end_turn") if isinstance(reason, str) else "end_turn"
    if resp.stop_reason == "end_turn" and any(isinstance(p, ir.ToolCall) for p in resp.parts):
        resp.stop_reason = "tool_use"
    elif resp.stop_reason == "end_turn" and refused:
        resp.stop_reason = "refusal"
    return resp


def encode_response(resp: ir.Response, model: str, report: TranslationReport) -> dict:
    texts: list[str] = []
    refusals: list[str] = []
    reasoning: list[str] = []
    calls: list[dict] = []
    for part in resp.parts:
        match part:
            case ir.Text(text=text, refusal=refusal):
                (refusals if refusal else texts).append(text)
            case ir.Thinking(text=text):
                if text:
                    reasoning.append(text)
            case ir.ToolCall(id=call_id, name=name, arguments=arguments):
                client_name = report.client_tool(name).name
                calls.append({"id": call_id, "type": "function", "function": {"name": client_name, "arguments": arguments}})
    message: dict = {"role": "assistant", "content": "".join(texts) if texts else None}
    if refusals:
        message["refusal"] = "".join(refusals)
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    return {
        "id": resp.id if resp.id and resp.id.startswith("chatcmpl") else new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop" if refusals and resp.stop_reason == "refusal" else STOP_TO_CHAT[resp.stop_reason]}],
        "usage": usage_to_chat(resp.usage),
    }
