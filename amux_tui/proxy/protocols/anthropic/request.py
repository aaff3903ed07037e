"""Anthropic Messages requests <-> IR (https://docs.anthropic.com/en/api/messages).

Claude Code's bodies carry much that only Anthropic understands (``cache_control``,
``defer_loading``, ``context_management``...): decoding keeps what has a meaning
elsewhere and notes the rest, because decoding only happens when the target is another
protocol.
"""

from __future__ import annotations

import re

from .. import ir, signatures
from ..arguments import arguments_object
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
from ..options import TranslateOptions
from ..report import TranslationReport
from ..wirejson import dumps
from .thinking import encode_thinking

ANTHROPIC: ir.Protocol = "anthropic-messages"
_BILLING_HEADER = "x-anthropic-billing-header:"
_KNOWN_FIELDS = frozenset(
    {
        "model", "messages", "system", "max_tokens", "metadata", "stop_sequences", "stream",
        "temperature", "top_p", "top_k", "tools", "tool_choice", "thinking", "output_config",
        "output_format", "context_management", "service_tier", "container", "mcp_servers",
    }
)  # fmt: skip
_TOOL_EXTRAS = ("cache_control", "defer_loading", "input_examples", "eager_input_streaming", "allowed_callers")
_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "max": "xhigh", "xhigh": "xhigh"}


# ---------------------------------------------------------------- decode


def decode_request(body: dict, report: TranslationReport) -> ir.Request:
    body = require_dict(body, "body")
    req = ir.Request()
    req.system = _system(body.get("system"), report)
    referenced: set[str] = set()
    messages = required(body, "messages")
    for i, raw in enumerate(require_list(messages, "messages")):
        where = f"messages[{i}]"
        msg = require_dict(raw, where)
        role = require_str(msg.get("role"), f"{where}.role")
        content = msg.get("content")
        if role == "system":  # Claude Code sends these mid-conversation
            req.system.extend(_system(content, report, where))
            continue
        if role not in ("user", "assistant"):
            raise invalid(f"{where}.role: must be 'user' or 'assistant'")
        req.messages.append(ir.Message(role, _content(content, f"{where}.content", report, referenced)))
    req.tools = _tools(body, report, referenced)
    _tool_choice(body, req)
    _sampling(body, req, report)
    _reasoning(body, req, report)
    report.note_untranslated(body.keys() - _KNOWN_FIELDS)
    for key in ("context_management", "container", "mcp_servers", "service_tier"):
        if body.get(key) is not None:
            report.note(f"{key} (anthropic only)")
    return req


def _system(value: object, report: TranslationReport, where: str = "system") -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    out = []
    for j, block in enumerate(require_list(value, where)):
        block = require_dict(block, f"{where}[{j}]")
        if block.get("cache_control") is not None:
            report.note(f"cache_control on {where}[{j}]")
        text = require_str(block.get("text"), f"{where}[{j}].text")
        if text.startswith(_BILLING_HEADER):
            continue  # Anthropic billing metadata, not part of the prompt
        if text:
            out.append(text)
    return out


def _content(value: object, where: str, report: TranslationReport, referenced: set[str]) -> list[ir.Part]:
    if value is None:
        return []
    if isinstance(value, str):
        return [ir.Text(value)] if value else []
    parts: list[ir.Part] = []
    for j, raw in enumerate(require_list(value, where)):
        part = _block(require_dict(raw, f"{where}[{j}]"), f"{where}[{j}]", report, referenced)
        if part is not None:
            parts.append(part)
    return parts


def _block(block: dict, where: str, report: TranslationReport, referenced: set[str]) -> ir.Part | None:
    kind = require_str(block.get("type"), f"{where}.type")
    if block.get("cache_control") is not None:
        report.note(f"cache_control on {where}")
    match kind:
        case "text":
            return ir.Text(require_str(block.get("text"), f"{where}.text"))
        case "image" | "document":
            return _media(block, kind, where, report)
        case "tool_use":
            args = block.get("input", {})
            return ir.ToolCall(
                require_str(block.get("id"), f"{where}.id"),
                require_str(block.get("name"), f"{where}.name"),
                json_text(require_dict(args, f"{where}.input"), f"{where}.input"),
            )
        case "tool_result":
            return _tool_result(block, where, report, referenced)
        case "thinking" | "redacted_thinking":
            key = "thinking" if kind == "thinking" else "data"
            token = opt_str(block, "signature" if kind == "thinking" else "data", f"{where}.") or ""
            origin, token, redacted = signatures.unwrap(token, ANTHROPIC)
            text = require_str(block.get(key, ""), f"{where}.{key}") if kind == "thinking" else ""
            return ir.Thinking(text, token or None, origin, redacted or kind == "redacted_thinking")
        case _:
            report.note(f"content block type '{kind}'")
            return None


def _media(block: dict, kind: str, where: str, report: TranslationReport) -> ir.Part | None:
    source = require_dict(block.get("source"), f"{where}.source")
    media_kind = "image" if kind == "image" else "file"
    stype = source.get("type")
    if stype == "base64":
        return ir.Media(
            media_kind,
            opt_str(source, "media_type", f"{where}.source.") or None,
            require_str(source.get("data"), f"{where}.source.data"),
            filename=opt_str(block, "title", f"{where}."),
        )
    if stype == "url":
        return ir.Media(media_kind, None, url=require_str(source.get("url"), f"{where}.source.url"))
    if stype == "text":  # a plain-text document
        return ir.Text(require_str(source.get("data"), f"{where}.source.data"))
    report.note(f"{kind} source type '{stype}'")
    return None


def _tool_result(block: dict, where: str, report: TranslationReport, referenced: set[str]) -> ir.ToolResult:
    result = ir.ToolResult(
        require_str(block.get("tool_use_id"), f"{where}.tool_use_id"),
        is_error=bool(opt_bool(block, "is_error", f"{where}.")),
    )
    content = block.get("content")
    if isinstance(content, str):
        result.content.append(ir.Text(content))
    elif content is not None:
        for k, raw in enumerate(require_list(content, f"{where}.content")):
            inner = require_dict(raw, f"{where}.content[{k}]")
            if inner.get("type") == "tool_reference":  # Claude Code's tool search loaded a tool
                name = require_str(inner.get("tool_name"), f"{where}.content[{k}].tool_name")
                referenced.add(name)
                result.content.append(ir.Text(f"Tool '{name}' is now available."))
                continue
            part = _block(inner, f"{where}.content[{k}]", report, referenced)
            if isinstance(part, (ir.Text, ir.Media)):
                result.content.append(part)
            elif part is not None:
                report.note(f"{type(part).__name__} inside a tool_result")
    return result


def _tools(body: dict, report: TranslationReport, referenced: set[str]) -> list[ir.Tool]:
    tools = []
    for i, raw in enumerate(opt_list(body, "tools", "") or []):
        where = f"tools[{i}]"
        tool = require_dict(raw, where)
        kind = tool.get("type")
        name = require_str(tool.get("name"), f"{where}.name")
        if kind not in (None, "custom"):
            report.note(f"server tool '{name}' ({kind}): the target cannot run it")
            continue
        for extra in _TOOL_EXTRAS:
            if tool.get(extra) is not None:
                report.note(f"tool field '{extra}'")
        deferred = tool.get("defer_loading") is True
        if deferred and name not in referenced:
            report.note(f"deferred tool '{name}' omitted until the tool search loads it")
            continue
        schema = tool.get("input_schema")
        tools.append(
            ir.Tool(
                name,
                opt_str(tool, "description", f"{where}."),
                None if schema is None else json_object(schema, f"{where}.input_schema"),
                opt_bool(tool, "strict", f"{where}."),
            )
        )
    return tools


def _tool_choice(body: dict, req: ir.Request) -> None:
    choice = opt_dict(body, "tool_choice", "")
    if choice is None:
        return
    kind = require_str(choice.get("type"), "tool_choice.type")
    modes = {"auto": "auto", "any": "required", "none": "none", "tool": "tool"}
    if kind not in modes:
        raise invalid("tool_choice.type: must be auto, any, tool or none")
    name = require_str(choice.get("name"), "tool_choice.name") if kind == "tool" else None
    req.tool_choice = ir.ToolChoice(modes[kind], name)  # type: ignore[arg-type]
    if opt_bool(choice, "disable_parallel_tool_use", "tool_choice.") is True:
        req.parallel_tool_calls = False


def _sampling(body: dict, req: ir.Request, report: TranslationReport) -> None:
    req.max_tokens = opt_int(body, "max_tokens", "", minimum=1)
    req.temperature = opt_num(body, "temperature", "")
    req.top_p = opt_num(body, "top_p", "")
    req.top_k = opt_int(body, "top_k", "")
    req.stop = str_or_list(body, "stop_sequences", "")
    req.stream = bool(opt_bool(body, "stream", ""))
    metadata = opt_dict(body, "metadata", "")
    if metadata is not None and isinstance(metadata.get("user_id"), str):
        req.user = metadata["user_id"]
    for key in ("output_format",):
        fmt = opt_dict(body, key, "")
        if fmt is not None:
            req.response_format = _format(fmt, key)


def _reasoning(body: dict, req: ir.Request, report: TranslationReport) -> None:
    thinking = opt_dict(body, "thinking", "")
    config = opt_dict(body, "output_config", "") or {}
    effort = opt_str(config, "effort", "output_config.")
    fmt = opt_dict(config, "format", "output_config.")
    if fmt is not None:
        req.response_format = _format(fmt, "output_config.format")
    if thinking is None and effort is None:
        return
    reasoning = ir.Reasoning()
    if thinking is not None:
        kind = require_str(thinking.get("type"), "thinking.type")
        if kind == "disabled":
            reasoning.enabled = False
        elif kind == "enabled":
            reasoning.budget_tokens = opt_int(thinking, "budget_tokens", "thinking.", minimum=0)
        elif kind != "adaptive":
            raise invalid("thinking.type: must be enabled, adaptive or disabled")
        if thinking.get("display") == "omitted":
            reasoning.show_thoughts = False
    if effort is not None:
        if effort not in _EFFORTS:
            raise invalid("output_config.effort: must be low, medium, high or max")
        reasoning.effort = _EFFORTS[effort]  # type: ignore[assignment]
    req.reasoning = reasoning


def _format(fmt: dict, where: str) -> ir.ResponseFormat | None:
    if fmt.get("type") != "json_schema":
        return None
    schema = fmt.get("schema")
    return ir.ResponseFormat("json_schema", json_object(schema, f"{where}.schema") if isinstance(schema, dict) else None, "response")


# ---------------------------------------------------------------- encode

_VALID_ID = re.compile(r"[^a-zA-Z0-9_-]")


def encode_request(req: ir.Request, model: str, report: TranslationReport, options: TranslateOptions) -> dict:
    body: dict = {"model": model, "messages": _messages(req, report)}
    system = list(req.system)
    if req.response_format is not None:
        system.append(_format_instruction(req.response_format))
        report.note("response_format: anthropic has no portable equivalent; asked for JSON in the system prompt")
    if system:
        body["system"] = [{"type": "text", "text": text} for text in system if text]
    max_tokens = req.max_tokens or options.default_max_tokens
    if options.max_tokens_cap is not None and max_tokens > options.max_tokens_cap:
        max_tokens = options.max_tokens_cap
    body["max_tokens"] = max_tokens
    tools = [_tool(tool) for tool in req.tools]
    if tools:
        body["tools"] = tools
    choice = _encode_choice(req)
    if choice is not None and tools:
        body["tool_choice"] = choice
    _encode_sampling(req, body, report)
    encode_thinking(req, body, report, options)
    if req.user:
        body["metadata"] = {"user_id": req.user}
    if req.stream:
        body["stream"] = True
    return body


def _messages(req: ir.Request, report: TranslationReport) -> list[dict]:
    out: list[dict] = []
    for message in req.messages:
        blocks = [b for part in message.parts if (b := _encode_part(part, report)) is not None]
        if not blocks:
            continue
        if out and out[-1]["role"] == message.role:
            out[-1]["content"].extend(blocks)  # Anthropic merges them anyway; keep it explicit
        else:
            out.append({"role": message.role, "content": blocks})
    for message in out:  # tool results must lead their user message
        if message["role"] == "user":
            message["content"].sort(key=lambda b: b["type"] != "tool_result")
    return out


def _encode_part(part: ir.Part, report: TranslationReport) -> dict | None:
    match part:
        case ir.Text(text=text):
            return {"type": "text", "text": text} if text else None
        case ir.Media():
            return _encode_media(part)
        case ir.ToolCall(id=call_id, name=name, arguments=arguments):
            return {"type": "tool_use", "id": _VALID_ID.sub("_", call_id), "name": name, "input": arguments_object(arguments, name, report)}
        case ir.ToolResult():
            content = [b for item in part.content if (b := _encode_part(item, report)) is not None]
            block: dict = {"type": "tool_result", "tool_use_id": _VALID_ID.sub("_", part.call_id)}
            if content:
                block["content"] = content
            if part.is_error:
                block["is_error"] = True
            return block
        case ir.Thinking():
            if part.origin != ANTHROPIC or not part.signature:
                if part.text or part.signature:
                    report.note(f"reasoning from {part.origin or 'the client'} (anthropic cannot verify it)")
                return None
            if part.redacted:
                return {"type": "redacted_thinking", "data": part.signature}
            return {"type": "thinking", "thinking": part.text, "signature": part.signature}
    return None


def _encode_media(media: ir.Media) -> dict | None:
    kind = "image" if media.kind == "image" else "document"
    if media.data is not None:
        default = "image/png" if kind == "image" else "application/pdf"
        source = {"type": "base64", "media_type": media.media_type or default, "data": media.data}
    elif media.url is not None:
        source = {"type": "url", "url": media.url}
    else:
        return None
    return {"type": kind, "source": source}




def _tool(tool: ir.Tool) -> dict:
    schema = tool.parameters if tool.parameters else {"type": "object", "properties": {}}
    if "type" not in schema:
        schema = {"type": "object", **schema}
    out: dict = {"name": tool.name, "input_schema": schema}
    if tool.description:
        out["description"] = tool.description
    return out


def _encode_choice(req: ir.Request) -> dict | None:
    choice = req.tool_choice
    if choice is None:
        return {"type": "auto", "disable_parallel_tool_use": True} if req.parallel_tool_calls is False else None
    kind = {"auto": "auto", "required": "any", "none": "none", "tool": "tool"}[choice.mode]
    out: dict = {"type": kind}
    if kind == "tool":
        out["name"] = choice.name
    if req.parallel_tool_calls is False and kind != "none":
        out["disable_parallel_tool_use"] = True
    return out


def _encode_sampling(req: ir.Request, body: dict, report: TranslationReport) -> None:
    if req.temperature is not None:
        body["temperature"] = min(max(req.temperature, 0.0), 1.0)  # OpenAI allows up to 2
        if body["temperature"] != req.temperature:
            report.note(f"temperature {req.temperature} (anthropic's range is 0-1; sent {body['temperature']})")
    if req.top_p is not None:
        body["top_p"] = req.top_p
    if req.top_k is not None:
        body["top_k"] = req.top_k
    if req.stop:
        body["stop_sequences"] = req.stop
    for key in ("seed", "presence_penalty", "frequency_penalty"):
        if getattr(req, key) is not None:
            report.note(f"{key} (not an anthropic parameter)")


def _format_instruction(fmt: ir.ResponseFormat) -> str:
    if fmt.schema is not None:
        return "Respond only with a JSON value matching this JSON Schema:\n" + dumps(fmt.schema)
    return "Respond only with a valid JSON object."
