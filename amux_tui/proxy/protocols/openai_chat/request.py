"""OpenAI Chat Completions requests <-> IR
(https://platform.openai.com/docs/api-reference/chat/create).

The encoder aims at the whole OpenAI-compatible world (vLLM, Ollama, Groq, DeepSeek,
OpenRouter...), so it prefers the forms every server accepts: a string system message
first, string content when a message is only text, tool messages right after the
assistant message that called them.
"""

from __future__ import annotations

from .. import ir
from ..body_fields import (
    json_object,
    json_text,
    opt_bool,
    opt_dict,
    opt_int,
    opt_list,
    opt_num,
    opt_str,
    require_dict,
    require_list,
    require_str,
    required,
    str_or_list,
)
from ..errors import invalid
from ..ids import new_id
from ..openai_tools import decode_tool_choice, function_tool
from ..options import TranslateOptions
from ..reasoning import effort_of
from ..report import TranslationReport

CHAT: ir.Protocol = "openai-chat"
_KNOWN_FIELDS = frozenset(
    {
        "model", "messages", "tools", "functions", "tool_choice", "function_call", "parallel_tool_calls",
        "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop", "seed",
        "presence_penalty", "frequency_penalty", "n", "reasoning_effort", "response_format", "stream",
        "stream_options", "user", "safety_identifier", "metadata", "store", "logprobs", "top_logprobs",
        "logit_bias", "service_tier", "prompt_cache_key", "verbosity",
    }
)  # fmt: skip
_MAX_STOP = 4
ERROR_PREFIX = "Error:"


# ---------------------------------------------------------------- decode


def decode_request(body: dict, report: TranslationReport) -> ir.Request:
    body = require_dict(body, "body")
    messages = required(body, "messages")
    req = ir.Request()
    for i, raw in enumerate(require_list(messages, "messages")):
        _message(require_dict(raw, f"messages[{i}]"), f"messages[{i}]", req, report)
    _tools(body, req, report)
    _sampling(body, req, report)
    report.note_untranslated(body.keys() - _KNOWN_FIELDS)
    return req


def _message(msg: dict, where: str, req: ir.Request, report: TranslationReport) -> None:
    role = require_str(msg.get("role"), f"{where}.role")
    content = msg.get("content")
    if role in ("system", "developer"):
        req.system.extend(t for t in _texts(content, f"{where}.content") if t)
    elif role == "user":
        req.messages.append(ir.Message("user", _user_parts(content, f"{where}.content", report)))
    elif role == "assistant":
        req.messages.append(ir.Message("assistant", _assistant_parts(msg, where, report)))
    elif role in ("tool", "function"):
        key = "tool_call_id" if role == "tool" else "name"
        call_id = require_str(msg.get(key), f"{where}.{key}")
        result = ir.ToolResult(call_id, [ir.Text(t) for t in _texts(content, f"{where}.content")])
        last = req.messages[-1] if req.messages else None
        if last is not None and last.role == "user" and all(isinstance(p, ir.ToolResult) for p in last.parts):
            last.parts.append(result)
        else:
            req.messages.append(ir.Message("user", [result]))
    else:
        raise invalid(f"{where}.role: unknown role '{role}'")


def _texts(content: object, where: str) -> list[str]:
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    out = []
    for j, raw in enumerate(require_list(content, where)):
        part = require_dict(raw, f"{where}[{j}]")
        if part.get("type") in ("text", "input_text", "output_text", "refusal", None):
            key = "refusal" if part.get("type") == "refusal" else "text"
            out.append(require_str(part.get(key), f"{where}[{j}].{key}"))
    return out


def _user_parts(content: object, where: str, report: TranslationReport) -> list[ir.Part]:
    if content is None:
        return []
    if isinstance(content, str):
        return [ir.Text(content)]
    parts: list[ir.Part] = []
    for j, raw in enumerate(require_list(content, where)):
        part = require_dict(raw, f"{where}[{j}]")
        kind = part.get("type")
        if kind == "text":
            parts.append(ir.Text(require_str(part.get("text"), f"{where}[{j}].text")))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image if isinstance(image, str) else require_dict(image, f"{where}[{j}].image_url").get("url")
            detail = image.get("detail") if isinstance(image, dict) else None
            parts.append(media_from_url(require_str(url, f"{where}[{j}].image_url.url"), "image", detail))
        elif kind == "file":
            file = require_dict(part.get("file"), f"{where}[{j}].file")
            data = opt_str(file, "file_data", f"{where}[{j}].file.")
            if data is None:
                report.note("file parts by file_id (upload the file inline instead)")
                continue
            media = media_from_url(data, "file")
            media.filename = opt_str(file, "filename", f"{where}[{j}].file.")
            parts.append(media)
        else:
            report.note(f"user content part type '{kind}'")
    return parts


def media_from_url(url: str, kind: str, detail: object = None) -> ir.Media:
    """A ``data:`` URL becomes inline base64; anything else stays a URL."""
    media = ir.Media(kind, detail=detail if isinstance(detail, str) else None)  # type: ignore[arg-type]
    if url.startswith("data:") and ";base64," in url:
        head, _, data = url.partition(";base64,")
        media.media_type = head[5:] or None
        media.data = data
    else:
        media.url = url
    return media


def media_to_url(media: ir.Media) -> str | None:
    if media.data is not None:
        default = "image/png" if media.kind == "image" else "application/octet-stream"
        return f"data:{media.media_type or default};base64,{media.data}"
    return media.url


def _assistant_parts(msg: dict, where: str, report: TranslationReport) -> list[ir.Part]:
    parts: list[ir.Part] = []
    for key in ("reasoning_content", "reasoning"):
        value = msg.get(key)
        if isinstance(value, str) and value:
            parts.append(ir.Thinking(value, None, CHAT))
            break
    parts.extend(ir.Text(t) for t in _texts(msg.get("content"), f"{where}.content") if t)
    for k, raw in enumerate(opt_list(msg, "tool_calls", f"{where}.") or []):
        call = require_dict(raw, f"{where}.tool_calls[{k}]")
        if call.get("type", "function") != "function":
            report.note(f"assistant tool call type '{call.get('type')}'")
            continue
        fn = require_dict(call.get("function"), f"{where}.tool_calls[{k}].function")
        parts.append(_call(require_str(call.get("id"), f"{where}.tool_calls[{k}].id"), fn, f"{where}.tool_calls[{k}].function"))
    legacy = opt_dict(msg, "function_call", f"{where}.")
    if legacy is not None:
        name = require_str(legacy.get("name"), f"{where}.function_call.name")
        parts.append(_call(name, legacy, f"{where}.function_call"))
    return parts


def _call(call_id: str, fn: dict, where: str) -> ir.ToolCall:
    args = fn.get("arguments")
    if args is None:
        args = "{}"
    elif not isinstance(args, str):  # a few clients send the object itself
        args = json_text(require_dict(args, f"{where}.arguments"), f"{where}.arguments")
    return ir.ToolCall(call_id, require_str(fn.get("name"), f"{where}.name"), args)


def _tools(body: dict, req: ir.Request, report: TranslationReport) -> None:
    for i, raw in enumerate(opt_list(body, "tools", "") or []):
        tool = require_dict(raw, f"tools[{i}]")
        if tool.get("type", "function") != "function":
            report.note(f"tool type '{tool.get('type')}': the target cannot run it")
            continue
        req.tools.append(function_tool(require_dict(tool.get("function"), f"tools[{i}].function"), f"tools[{i}].function"))
    for i, raw in enumerate(opt_list(body, "functions", "") or []):
        req.tools.append(function_tool(require_dict(raw, f"functions[{i}]"), f"functions[{i}]"))
    choice = body.get("tool_choice", body.get("function_call"))
    req.tool_choice = decode_tool_choice(choice, _chosen_function, "a function", report)
    req.parallel_tool_calls = opt_bool(body, "parallel_tool_calls", "")


def _chosen_function(choice: dict) -> str | None:
    fn = choice.get("function") if isinstance(choice.get("function"), dict) else choice
    return fn["name"] if isinstance(fn.get("name"), str) else None


def _sampling(body: dict, req: ir.Request, report: TranslationReport) -> None:
    req.max_tokens = opt_int(body, "max_completion_tokens", "", 1) or opt_int(body, "max_tokens", "", 1)
    req.temperature = opt_num(body, "temperature", "")
    req.top_p = opt_num(body, "top_p", "")
    req.top_k = opt_int(body, "top_k", "")
    req.stop = str_or_list(body, "stop", "")
    req.seed = opt_int(body, "seed", "")
    req.presence_penalty = opt_num(body, "presence_penalty", "")
    req.frequency_penalty = opt_num(body, "frequency_penalty", "")
    req.stream = bool(opt_bool(body, "stream", ""))
    req.user = opt_str(body, "safety_identifier", "") or opt_str(body, "user", "")
    if (opt_int(body, "n", "") or 1) > 1:
        report.note("n > 1 (one choice is generated)")
    for key in ("logprobs", "top_logprobs", "logit_bias"):
        if body.get(key) not in (None, False):
            report.note(f"{key} (not translated)")
    effort = opt_str(body, "reasoning_effort", "")
    if effort is not None:
        if effort not in ir.EFFORTS:
            raise invalid("reasoning_effort: must be one of " + ", ".join(ir.EFFORTS))
        req.reasoning = ir.Reasoning(enabled=effort != "none", effort=effort)  # type: ignore[arg-type]
    fmt = opt_dict(body, "response_format", "")
    if fmt is not None:
        kind = fmt.get("type")
        if kind == "json_object":
            req.response_format = ir.ResponseFormat("json_object")
        elif kind == "json_schema":
            spec = require_dict(fmt.get("json_schema"), "response_format.json_schema")
            schema = spec.get("schema")
            req.response_format = ir.ResponseFormat(
                "json_schema",
                json_object(schema, "response_format.json_schema.schema") if isinstance(schema, dict) else None,
                opt_str(spec, "name", "response_format.json_schema.") or "response",
                opt_bool(spec, "strict", "response_format.json_schema."),
            )


# ---------------------------------------------------------------- encode


def encode_request(req: ir.Request, model: str, report: TranslationReport, options: TranslateOptions) -> dict:
    messages: list[dict] = []
    system = [text for text in req.system if text]
    if system:
        messages.append({"role": "system", "content": "\n\n".join(system)})
    for message in req.messages:
        if message.role == "assistant":
            encoded = _encode_assistant(message, report)
            if encoded is not None:
                messages.append(encoded)
        else:
            messages.extend(_encode_user(message, report))
    body: dict = {"model": model, "messages": messages}
    if req.tools:
        body["tools"] = [_encode_tool(tool) for tool in req.tools]
        if req.tool_choice is not None:
            body["tool_choice"] = encode_choice(req.tool_choice)
        if req.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = req.parallel_tool_calls
    _encode_sampling(req, body, report, options)
    if req.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}  # the proxy records usage either way
    return body


def _encode_assistant(message: ir.Message, report: TranslationReport) -> dict | None:
    texts: list[str] = []
    calls: list[dict] = []
    reasoning: list[str] = []
    for part in message.parts:
        match part:
            case ir.Text(text=text):
                texts.append(text)
            case ir.ToolCall(id=call_id, name=name, arguments=arguments):
                calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}})
            case ir.Thinking(origin=origin, text=text):
                if origin == CHAT and text:
                    reasoning.append(text)  # providers that think in chat want it back in tool loops
                elif text or part.signature:
                    report.note(f"reasoning from {origin or 'the client'} (openai-chat has no input for it)")
            case _:
                report.note(f"{type(part).__name__} in an assistant message")
    if not texts and not calls and not reasoning:
        return None
    out: dict = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        out["tool_calls"] = calls
    if reasoning:
        out["reasoning_content"] = "".join(reasoning)
    return out


def _encode_user(message: ir.Message, report: TranslationReport) -> list[dict]:
    out: list[dict] = []
    content: list[dict] = []
    tool_media: list[dict] = []
    for part in message.parts:
        match part:
            case ir.ToolResult(call_id=call_id, content=result):
                text = "\n".join(p.text for p in result if isinstance(p, ir.Text))
                out.append({"role": "tool", "tool_call_id": call_id, "content": error_text(part, text, report)})
                tool_media.extend(m for p in result if isinstance(p, ir.Media) and (m := _encode_media(p)))
            case ir.Text(text=text):
                content.append({"type": "text", "text": text})
            case ir.Media():
                encoded = _encode_media(part)
                if encoded is not None:
                    content.append(encoded)
            case _:
                report.note(f"{type(part).__name__} in a user message")
    if tool_media:  # chat tool messages cannot hold images: show them right after
        out.append({"role": "user", "content": [{"type": "text", "text": "Images returned by the tool:"}, *tool_media]})
    if content:
        only_text = all(c["type"] == "text" for c in content)
        value = "\n\n".join(c["text"] for c in content) if only_text else content
        out.append({"role": "user", "content": value})
    return out


def error_text(result: ir.ToolResult, text: str, report: TranslationReport) -> str:
    """A failed tool's output, marked in its text: OpenAI's tool outputs have no error flag."""
    if not result.is_error:
        return text
    report.note("tool_result.is_error (no such flag here: the output starts with 'Error:')")
    return text if text.startswith(ERROR_PREFIX) else f"{ERROR_PREFIX} {text}" if text else ERROR_PREFIX


def _encode_media(media: ir.Media) -> dict | None:
    url = media_to_url(media)
    if url is None:
        return None
    if media.kind == "image":
        image: dict = {"url": url}
        if media.detail:
            image["detail"] = media.detail
        return {"type": "image_url", "image_url": image}
    file: dict = {"file_data": url}
    if media.filename:
        file["filename"] = media.filename
    return {"type": "file", "file": file}


def _encode_tool(tool: ir.Tool) -> dict:
    fn: dict = {"name": tool.name, "parameters": tool.parameters or {"type": "object", "properties": {}}}
    if tool.description:
        fn["description"] = tool.description
    if tool.strict is not None:
        fn["strict"] = tool.strict
    return {"type": "function", "function": fn}


def encode_choice(choice: ir.ToolChoice) -> str | dict:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


def _encode_sampling(req: ir.Request, body: dict, report: TranslationReport, options: TranslateOptions) -> None:
    max_tokens = req.max_tokens
    if max_tokens is not None and options.max_tokens_cap is not None:
        max_tokens = min(max_tokens, options.max_tokens_cap)
    if max_tokens is not None:
        body[options.chat_max_tokens_field] = max_tokens
    effort = effort_of(req.reasoning) if req.reasoning is not None and req.reasoning.enabled else None
    reasoning_on = effort not in (None, "none") and options.reasoning is not False
    for key in ("temperature", "top_p", "seed", "presence_penalty", "frequency_penalty"):
        value = getattr(req, key)
        if value is None:
            continue
        if reasoning_on and not options.sampling_while_reasoning and key in ("temperature", "top_p"):
            report.note(f"{key} (reasoning models reject it)")
        else:
            body[key] = value
    if req.top_k is not None:
        report.note("top_k (not an openai-chat parameter)")
    if req.stop:
        if len(req.stop) > _MAX_STOP:
            report.note(f"stop sequences beyond the first {_MAX_STOP}")
        body["stop"] = req.stop[:_MAX_STOP]
    if reasoning_on:
        body["reasoning_effort"] = "high" if effort == "xhigh" else effort
    fmt = req.response_format
    if fmt is not None:
        if fmt.kind == "json_schema" and fmt.schema is not None:
            spec: dict = {"name": fmt.name or "response", "schema": fmt.schema}
            if fmt.strict is not None:
                spec["strict"] = fmt.strict
            body["response_format"] = {"type": "json_schema", "json_schema": spec}
        else:
            body["response_format"] = {"type": "json_object"}
    if req.user:
        report.note("user id (not forwarded)")


def new_call_id() -> str:
    return new_id("call_")

