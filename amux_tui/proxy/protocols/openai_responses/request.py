"""OpenAI Responses requests <-> IR (https://platform.openai.com/docs/api-reference/responses).

Codex sends the system prompt as ``developer`` message items, a ``namespace`` tool
whose functions it calls back as ``{"name", "namespace"}``, freeform ``custom`` tools
(``apply_patch``), ``web_search``, and echoes ``reasoning`` items with their
``encrypted_content``. Namespaced and custom tools become plain functions upstream;
``TranslationReport.tool_names`` remembers how to give them back.
"""

from __future__ import annotations

import json

from .. import ir, names, signatures
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
)
from ..errors import invalid
from ..openai_chat.request import error_text, media_from_url, media_to_url
from ..openai_tools import decode_tool_choice, function_tool
from ..options import TranslateOptions
from ..reasoning import effort_of
from ..report import ClientToolName, TranslationReport

RESPONSES: ir.Protocol = "openai-responses"
CUSTOM_INPUT = "input"  # the one string parameter a freeform tool becomes
_KNOWN_FIELDS = frozenset(
    {
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens",
        "temperature", "top_p", "reasoning", "text", "stream", "store", "include", "prompt_cache_key",
        "metadata", "user", "safety_identifier", "truncation", "service_tier", "previous_response_id",
        "client_metadata", "stream_options", "top_logprobs", "background", "max_tool_calls",
    }
)  # fmt: skip
_STORED_AT_OPENAI = {
    "previous_response_id": "that response, so the conversation it names cannot be continued",
    "conversation": "that conversation, so it cannot be continued",
    "prompt": "that prompt template, so its instructions cannot be used",
}
"""Fields naming state OpenAI keeps: another provider never had it, and dropping it loses meaning."""


def stored_state_unsupported(field: str) -> str:
    return (f"{field}: the amux proxy translates this request for a provider that is not OpenAI Responses, "
            f"which never stored {_STORED_AT_OPENAI[field]}; send the whole conversation in input "
            "(store: false) instead")


_ASSISTANT_ITEMS = {"function_call", "custom_tool_call", "reasoning"}
_USER_ITEMS = {"function_call_output", "custom_tool_call_output"}


# ---------------------------------------------------------------- decode


def decode_request(body: dict, report: TranslationReport) -> ir.Request:
    body = require_dict(body, "body")
    for field in _STORED_AT_OPENAI:
        if body.get(field) is not None:
            raise invalid(stored_state_unsupported(field))
    req = ir.Request()
    instructions = opt_str(body, "instructions", "")
    if instructions:
        req.system.append(instructions)
    items = required(body, "input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    for i, raw in enumerate(require_list(items, "input")):
        _item(require_dict(raw, f"input[{i}]"), f"input[{i}]", req, report)
    _tools(body, req, report)
    _settings(body, req, report)
    report.note_untranslated(body.keys() - _KNOWN_FIELDS)
    _note_responses_only(body, report)
    return req


def _note_responses_only(body: dict, report: TranslationReport) -> None:
    """Settings only the Responses API has: they are dropped, and said so."""
    for key in ("prompt_cache_key", "truncation", "max_tool_calls", "top_logprobs", "background"):
        if body.get(key) is not None:
            report.note(f"{key} (openai-responses only)")
    text = body.get("text")
    if isinstance(text, dict) and text.get("verbosity") is not None:
        report.note("text.verbosity (openai-responses only)")


def _append(req: ir.Request, role: str, part: ir.Part) -> None:
    last = req.messages[-1] if req.messages else None
    if last is not None and last.role == role:
        last.parts.append(part)
    else:
        req.messages.append(ir.Message(role, [part]))  # type: ignore[arg-type]


def _item(item: dict, where: str, req: ir.Request, report: TranslationReport) -> None:
    kind = item.get("type", "message")
    if not isinstance(kind, str):
        raise invalid(f"{where}.type: expected a string")
    if kind == "message":
        role = require_str(item.get("role"), f"{where}.role")
        content = item.get("content")
        if role in ("system", "developer"):
            req.system.extend(p.text for p in _content(content, f"{where}.content", report) if isinstance(p, ir.Text) and p.text)
        elif role in ("user", "assistant"):
            for part in _content(content, f"{where}.content", report):
                _append(req, role, part)
        else:
            raise invalid(f"{where}.role: unknown role '{role}'")
    elif kind in _ASSISTANT_ITEMS:
        _append(req, "assistant", _assistant_item(kind, item, where))
    elif kind in _USER_ITEMS:
        _append(req, "user", _output(item, where, report))
    else:
        report.note(f"input item type '{kind}'")


def _content(content: object, where: str, report: TranslationReport) -> list[ir.Part]:
    if content is None:
        return []
    if isinstance(content, str):
        return [ir.Text(content)] if content else []
    parts: list[ir.Part] = []
    for j, raw in enumerate(require_list(content, where)):
        part = require_dict(raw, f"{where}[{j}]")
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text", "refusal"):
            key = "refusal" if kind == "refusal" else "text"
            parts.append(ir.Text(require_str(part.get(key), f"{where}[{j}].{key}")))
        elif kind == "input_image":
            url = opt_str(part, "image_url", f"{where}[{j}].")
            if url is None:
                report.note("input_image by file_id")
                continue
            parts.append(media_from_url(url, "image", part.get("detail")))
        elif kind == "input_file":
            data = opt_str(part, "file_data", f"{where}[{j}].") or opt_str(part, "file_url", f"{where}[{j}].")
            if data is None:
                report.note("input_file by file_id")
                continue
            media = media_from_url(data, "file")
            media.filename = opt_str(part, "filename", f"{where}[{j}].")
            parts.append(media)
        else:
            report.note(f"content part type '{kind}'")
    return parts


def _assistant_item(kind: str, item: dict, where: str) -> ir.Part:
    if kind == "reasoning":
        summary = opt_list(item, "summary", f"{where}.") or []
        texts = [require_str(require_dict(s, f"{where}.summary").get("text", ""), f"{where}.summary.text") for s in summary]
        token = opt_str(item, "encrypted_content", f"{where}.") or ""
        origin, token, redacted = signatures.unwrap(token, RESPONSES)
        return ir.Thinking("".join(texts), token or None, origin, redacted)
    call_id = require_str(item.get("call_id"), f"{where}.call_id")
    name = require_str(item.get("name"), f"{where}.name")
    if kind == "custom_tool_call":
        text = require_str(item.get("input", ""), f"{where}.input")
        return ir.ToolCall(call_id, name, json_text({CUSTOM_INPUT: text}, f"{where}.input"))
    namespace = opt_str(item, "namespace", f"{where}.")
    arguments = item.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json_text(arguments, f"{where}.arguments")
    return ir.ToolCall(call_id, names.flatten(namespace, name), arguments)


def _output(item: dict, where: str, report: TranslationReport) -> ir.ToolResult:
    result = ir.ToolResult(require_str(item.get("call_id"), f"{where}.call_id"))
    output = item.get("output")
    if isinstance(output, str):
        result.content.append(ir.Text(output))
    elif isinstance(output, list):
        result.content.extend(p for p in _content(output, f"{where}.output", report) if isinstance(p, (ir.Text, ir.Media)))
    elif isinstance(output, dict) and isinstance(output.get("content"), str):  # old {content, success}
        result.content.append(ir.Text(output["content"]))
        result.is_error = output.get("success") is False
    elif output is not None:
        raise invalid(f"{where}.output: expected a string or an array")
    return result


def _tools(body: dict, req: ir.Request, report: TranslationReport) -> None:
    for i, raw in enumerate(opt_list(body, "tools", "") or []):
        tool = require_dict(raw, f"tools[{i}]")
        kind = tool.get("type")
        if kind == "function":
            req.tools.append(function_tool(tool, f"tools[{i}]"))
        elif kind == "namespace":
            namespace = require_str(tool.get("name"), f"tools[{i}].name")
            for j, inner in enumerate(opt_list(tool, "tools", f"tools[{i}].") or []):
                fn = function_tool(require_dict(inner, f"tools[{i}].tools[{j}]"), f"tools[{i}].tools[{j}]")
                report.tool_names[names.flatten(namespace, fn.name)] = ClientToolName(fn.name, namespace)
                fn.name = names.flatten(namespace, fn.name)
                req.tools.append(fn)
        elif kind == "custom":
            req.tools.append(_custom(tool, f"tools[{i}]", report))
        else:
            report.note(f"built-in tool '{kind}': the target cannot run it")
    req.tool_choice = decode_tool_choice(body.get("tool_choice"), _chosen_tool, "an object", report)
    req.parallel_tool_calls = opt_bool(body, "parallel_tool_calls", "")


def _chosen_tool(choice: dict) -> str | None:
    if choice.get("type") in ("function", "custom") and isinstance(choice.get("name"), str):
        return names.flatten(opt_str(choice, "namespace", "tool_choice."), choice["name"])
    return None


def _custom(tool: dict, where: str, report: TranslationReport) -> ir.Tool:
    """A freeform tool takes raw text; elsewhere it is a function of one string."""
    name = require_str(tool.get("name"), f"{where}.name")
    report.tool_names[name] = ClientToolName(name, None, "custom")
    description = opt_str(tool, "description", f"{where}.") or ""
    fmt = tool.get("format")
    hint = "The raw input text for this tool."
    if isinstance(fmt, dict) and fmt.get("type") == "grammar" and isinstance(fmt.get("definition"), str):
        hint += f" It must follow this {fmt.get('syntax', '')} grammar:\n{fmt['definition']}"
        report.note(f"custom tool '{name}': its grammar is now only a description")
    schema = {"type": "object", "properties": {CUSTOM_INPUT: {"type": "string", "description": hint}}, "required": [CUSTOM_INPUT]}
    return ir.Tool(name, description, schema)


def _settings(body: dict, req: ir.Request, report: TranslationReport) -> None:
    req.max_tokens = opt_int(body, "max_output_tokens", "", 1)
    req.temperature = opt_num(body, "temperature", "")
    req.top_p = opt_num(body, "top_p", "")
    req.stream = bool(opt_bool(body, "stream", ""))
    req.user = opt_str(body, "safety_identifier", "") or opt_str(body, "user", "")
    reasoning = opt_dict(body, "reasoning", "")
    if reasoning is not None:
        effort = opt_str(reasoning, "effort", "reasoning.")
        if effort is not None and effort not in ir.EFFORTS:
            raise invalid("reasoning.effort: must be one of " + ", ".join(ir.EFFORTS))
        summary = opt_str(reasoning, "summary", "reasoning.") or opt_str(reasoning, "generate_summary", "reasoning.")
        if effort is not None:  # Codex always asks for a summary; only an effort is a request to think
            req.reasoning = ir.Reasoning(effort != "none", effort, None, summary not in (None, "none"))  # type: ignore[arg-type]
    text = opt_dict(body, "text", "")
    fmt = opt_dict(text, "format", "text.") if text is not None else None
    if fmt is not None:
        if fmt.get("type") == "json_schema":
            schema = fmt.get("schema")
            req.response_format = ir.ResponseFormat(
                "json_schema", json_object(schema, "text.format.schema") if isinstance(schema, dict) else None, opt_str(fmt, "name", "text.format."),
                opt_bool(fmt, "strict", "text.format."),
            )  # fmt: skip
        elif fmt.get("type") == "json_object":
            req.response_format = ir.ResponseFormat("json_object")


# ---------------------------------------------------------------- encode


def encode_request(req: ir.Request, model: str, report: TranslationReport, options: TranslateOptions) -> dict:
    body: dict = {"model": model, "input": _items(req, report), "store": False}
    system = [text for text in req.system if text]
    if system:
        body["instructions"] = "\n\n".join(system)
    if req.tools:
        body["tools"] = [_encode_tool(tool) for tool in req.tools]
        if req.tool_choice is not None:
            choice = req.tool_choice
            body["tool_choice"] = {"type": "function", "name": choice.name} if choice.mode == "tool" else choice.mode
        if req.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = req.parallel_tool_calls
    max_tokens = req.max_tokens
    if max_tokens is not None and options.max_tokens_cap is not None:
        max_tokens = min(max_tokens, options.max_tokens_cap)
    if max_tokens is not None:
        body["max_output_tokens"] = max(max_tokens, 16)  # the API's minimum
    reasoning_on = _encode_reasoning(req, body, options)
    for key in ("temperature", "top_p"):
        value = getattr(req, key)
        if value is not None and not (reasoning_on and not options.sampling_while_reasoning):
            body[key] = value
        elif value is not None:
            report.note(f"{key} (reasoning models reject it)")
    unsupported = (("stop", req.stop), ("top_k", req.top_k), ("seed", req.seed),
                   ("presence_penalty", req.presence_penalty), ("frequency_penalty", req.frequency_penalty))
    for key, value in unsupported:
        if value is not None and value != []:
            report.note(f"{key} (not an openai-responses parameter)")
    if req.user:
        report.note("user id (not forwarded)")
    fmt = req.response_format
    if fmt is not None:
        if fmt.kind == "json_schema" and fmt.schema is not None:
            spec: dict = {"type": "json_schema", "name": fmt.name or "response", "schema": fmt.schema}
            if fmt.strict is not None:
                spec["strict"] = fmt.strict
            body["text"] = {"format": spec}
        else:
            body["text"] = {"format": {"type": "json_object"}}
    if req.stream:
        body["stream"] = True
    return body


def _encode_reasoning(req: ir.Request, body: dict, options: TranslateOptions) -> bool:
    reasoning = req.reasoning
    if reasoning is None or options.reasoning is False or not reasoning.enabled:
        return False
    settings: dict = {}
    effort = effort_of(reasoning)
    if effort is not None:
        settings["effort"] = effort
    if reasoning.show_thoughts:
        settings["summary"] = "auto"
    body["reasoning"] = settings
    body["include"] = ["reasoning.encrypted_content"]  # lets the reasoning survive store=false
    return True


def _items(req: ir.Request, report: TranslationReport) -> list[dict]:
    items: list[dict] = []
    for message in req.messages:
        pending: list[dict] = []  # content parts of the message item being built
        for part in message.parts:
            item = _encode_part(part, message.role, pending, report)
            if item is not None:
                if pending:
                    items.append(_message_item(message.role, pending))
                    pending = []
                items.append(item)
        if pending:
            items.append(_message_item(message.role, pending))
    return items


def _message_item(role: str, content: list[dict]) -> dict:
    return {"type": "message", "role": role, "content": content}


def _encode_part(part: ir.Part, role: str, pending: list[dict], report: TranslationReport) -> dict | None:
    """An item of its own, or None after adding content to ``pending``."""
    match part:
        case ir.Text(text=text):
            if text:
                pending.append({"type": "output_text" if role == "assistant" else "input_text", "text": text})
        case ir.Media():
            encoded = _encode_media(part)
            if encoded is not None:
                pending.append(encoded)
        case ir.ToolCall(id=call_id, name=name, arguments=arguments):
            return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}
        case ir.ToolResult(call_id=call_id, content=content):
            output: str | list = error_text(part, "\n".join(p.text for p in content if isinstance(p, ir.Text)), report)
            if any(isinstance(p, ir.Media) for p in content):
                output = [
                    encoded
                    for p in content
                    if (encoded := {"type": "input_text", "text": p.text} if isinstance(p, ir.Text) else _encode_media(p))
                ]
                if part.is_error:
                    output.insert(0, {"type": "input_text", "text": error_text(part, "", report)})
            return {"type": "function_call_output", "call_id": call_id, "output": output}
        case ir.Thinking():
            if part.origin == RESPONSES and part.signature:
                summary = [{"type": "summary_text", "text": part.text}] if part.text else []
                return {"type": "reasoning", "summary": summary, "encrypted_content": part.signature}
            if part.text or part.signature:
                report.note(f"reasoning from {part.origin or 'the client'} (openai-responses cannot verify it)")
    return None


def _encode_media(media: ir.Media) -> dict | None:
    url = media_to_url(media)
    if url is None:
        return None
    if media.kind == "image":
        return {"type": "input_image", "image_url": url, "detail": media.detail or "auto"}
    out = {"type": "input_file", "file_data" if media.data is not None else "file_url": url}
    if media.filename:
        out["filename"] = media.filename
    return out


def _encode_tool(tool: ir.Tool) -> dict:
    out: dict = {
        "type": "function",
        "name": tool.name,
        "parameters": tool.parameters or {"type": "object", "properties": {}},
        "strict": bool(tool.strict),  # the Responses API assumes strict schemas otherwise
    }
    if tool.description:
        out["description"] = tool.description
    return out


def custom_input(arguments: str) -> str:
    """The raw text of a freeform tool call from its one-string-argument JSON."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    if isinstance(value, dict) and isinstance(value.get(CUSTOM_INPUT), str):
        return value[CUSTOM_INPUT]
    return arguments
