"""Gemini generateContent requests <-> IR (https://ai.google.dev/api/generate-content).

The model is part of the URL, so encoded bodies carry none. Gemini-specific rules:
function declarations take an OpenAPI-subset schema (``schema.to_gemini``); a
``functionResponse`` must name its function; tool-call ids may be absent (we
synthesize ``amuxgc_…`` ids and never send those back); Gemini 3 rejects a function
call in the current turn without its ``thoughtSignature``, so the signature of a
Gemini answer rides home through the client and is restored on the call, and a call
that never had one gets Google's documented placeholder.
"""

from __future__ import annotations

from .. import ir, signatures
from ..arguments import arguments_object
from ..body_fields import (
    json_object,
    json_text,
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
from ..reasoning import budget_of
from ..report import TranslationReport
from ..schema import from_gemini, to_gemini
from .spelling import camel_case_keys

GEMINI: ir.Protocol = "gemini"
SYNTHETIC_ID = "amuxgc_"
SKIP_SIGNATURE = "skip_thought_signature_validator"  # Google's placeholder for foreign history
_MAX_STOP = 5
_KNOWN_FIELDS = frozenset(
    {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent", "labels", "model"}
)
_LEVELS = {"minimal": "minimal", "low": "low", "medium": "medium", "high": "high"}
_GENERATION_FIELDS = frozenset({
    "maxOutputTokens", "temperature", "topP", "topK", "stopSequences", "seed", "presencePenalty", "frequencyPenalty",
    "candidateCount", "responseMimeType", "responseJsonSchema", "responseSchema", "thinkingConfig",
})  # fmt: skip


# ---------------------------------------------------------------- decode


class _CallIds:
    """Ids for function calls without one, matched to responses by name and order."""

    def __init__(self) -> None:
        self._pending: dict[str, list[str]] = {}
        self._count = 0

    def for_call(self, name: str, given: str | None) -> str:
        call_id = given or f"{SYNTHETIC_ID}req_{self._count}"
        self._count += 1
        self._pending.setdefault(name, []).append(call_id)
        return call_id

    def for_response(self, name: str, given: str | None) -> str:
        queue = self._pending.get(name) or []
        if given:
            if given in queue:
                queue.remove(given)
            return given
        if queue:
            return queue.pop(0)
        self._count += 1
        return f"{SYNTHETIC_ID}req_{self._count}"


def decode_request(body: dict, report: TranslationReport) -> ir.Request:
    body = camel_case_keys(require_dict(body, "body"))
    req = ir.Request()
    system = body.get("systemInstruction")
    if isinstance(system, str):
        req.system.append(system)
    elif system is not None:
        parts = require_dict(system, "systemInstruction").get("parts")
        for j, raw in enumerate(require_list(parts or [], "systemInstruction.parts")):
            text = require_dict(raw, f"systemInstruction.parts[{j}]").get("text")
            if isinstance(text, str) and text:
                req.system.append(text)
    contents = required(body, "contents")
    ids = _CallIds()
    for i, raw in enumerate(require_list(contents, "contents")):
        content = require_dict(raw, f"contents[{i}]")
        role = content.get("role", "user")
        if role not in ("user", "model", "function", "tool"):
            raise invalid(f"contents[{i}].role: must be 'user' or 'model'")
        parts: list[ir.Part] = []
        for j, part in enumerate(require_list(content.get("parts", []), f"contents[{i}].parts")):
            _part(require_dict(part, f"contents[{i}].parts[{j}]"), f"contents[{i}].parts[{j}]", parts, ids, report)
        req.messages.append(ir.Message("assistant" if role == "model" else "user", parts))
    _tools(body, req, report)
    _generation(body, req, report)
    report.note_untranslated(body.keys() - _KNOWN_FIELDS)
    for key in ("safetySettings", "cachedContent"):
        if body.get(key) is not None:
            report.note(f"{key} (gemini only)")
    return req


def _part(part: dict, where: str, out: list[ir.Part], ids: _CallIds, report: TranslationReport) -> None:
    signature = opt_str(part, "thoughtSignature", f"{where}.")
    text = opt_str(part, "text", f"{where}.")
    if part.get("thought") is True:
        origin, token, redacted = signatures.unwrap(signature or "", GEMINI)
        out.append(ir.Thinking(text or "", token or None, origin, redacted))
        return
    if signature:  # the signature belongs to this part: it precedes it in the IR
        origin, token, redacted = signatures.unwrap(signature, GEMINI)
        out.append(ir.Thinking("", token, origin, redacted))
    if text is not None:
        out.append(ir.Text(text))
    elif "inlineData" in part:
        blob = require_dict(part["inlineData"], f"{where}.inlineData")
        mime = opt_str(blob, "mimeType", f"{where}.inlineData.")
        data = standard_base64(require_str(blob.get("data"), f"{where}.inlineData.data"))
        out.append(ir.Media("image" if (mime or "").startswith("image/") else "file", mime, data))
    elif "fileData" in part:
        ref = require_dict(part["fileData"], f"{where}.fileData")
        mime = opt_str(ref, "mimeType", f"{where}.fileData.")
        url = require_str(ref.get("fileUri"), f"{where}.fileData.fileUri")
        out.append(ir.Media("image" if (mime or "").startswith("image/") else "file", mime, url=url))
    elif "functionCall" in part:
        call = require_dict(part["functionCall"], f"{where}.functionCall")
        name = require_str(call.get("name"), f"{where}.functionCall.name")
        args = call.get("args", {})
        given = opt_str(call, "id", f"{where}.functionCall.")
        out.append(ir.ToolCall(ids.for_call(name, given), name, json_text(require_dict(args, f"{where}.functionCall.args"), f"{where}.functionCall.args")))
    elif "functionResponse" in part:
        out.append(_function_response(require_dict(part["functionResponse"], f"{where}.functionResponse"), f"{where}.functionResponse", ids))
    else:
        report.note(f"part kind '{next(iter(part), 'empty')}'")


def _function_response(resp: dict, where: str, ids: _CallIds) -> ir.ToolResult:
    name = require_str(resp.get("name"), f"{where}.name")
    result = ir.ToolResult(ids.for_response(name, opt_str(resp, "id", f"{where}.")), name=name)
    payload = resp.get("response", {})
    payload = require_dict(payload, f"{where}.response")
    if set(payload) == {"error"}:
        result.is_error = True
        payload_text = payload["error"] if isinstance(payload["error"], str) else json_text(payload["error"], f"{where}.response")
    elif set(payload) <= {"output", "content"} and isinstance(payload.get("output", payload.get("content")), str):
        payload_text = payload.get("output", payload.get("content"))
    else:
        payload_text = json_text(payload, f"{where}.response")
    result.content.append(ir.Text(payload_text))
    for j, raw in enumerate(opt_list(resp, "parts", f"{where}.") or []):
        blob = require_dict(require_dict(raw, f"{where}.parts[{j}]").get("inlineData"), f"{where}.parts[{j}].inlineData")
        mime = opt_str(blob, "mimeType", f"{where}.parts[{j}].inlineData.")
        result.content.append(ir.Media("image", mime, standard_base64(require_str(blob.get("data"), f"{where}.parts[{j}].inlineData.data"))))
    return result


def _tools(body: dict, req: ir.Request, report: TranslationReport) -> None:
    for i, raw in enumerate(opt_list(body, "tools", "") or []):
        tool = require_dict(raw, f"tools[{i}]")
        declarations = tool.get("functionDeclarations")
        for j, decl in enumerate(require_list(declarations or [], f"tools[{i}].functionDeclarations")):
            where = f"tools[{i}].functionDeclarations[{j}]"
            decl = require_dict(decl, where)
            schema = decl.get("parametersJsonSchema")
            if schema is None and decl.get("parameters") is not None:
                schema = from_gemini(json_object(decl["parameters"], f"{where}.parameters"))
            req.tools.append(
                ir.Tool(
                    require_str(decl.get("name"), f"{where}.name"),
                    opt_str(decl, "description", f"{where}."),
                    None if schema is None else json_object(schema, f"{where}.parametersJsonSchema"),
                )
            )
        for key in tool.keys() - {"functionDeclarations"}:
            report.note(f"built-in tool '{key}': the target cannot run it")
    config = opt_dict(body, "toolConfig", "")
    calling = opt_dict(config, "functionCallingConfig", "toolConfig.") if config else None
    if calling is not None:
        mode = opt_str(calling, "mode", "toolConfig.functionCallingConfig.") or "AUTO"
        allowed = opt_list(calling, "allowedFunctionNames", "toolConfig.functionCallingConfig.") or []
        if mode in ("ANY", "VALIDATED") and len(allowed) == 1 and isinstance(allowed[0], str):
            req.tool_choice = ir.ToolChoice("tool", allowed[0])
        elif mode in ("ANY", "VALIDATED") and len(allowed) > 1:
            req.tool_choice = ir.ToolChoice("required")
            report.note("allowedFunctionNames with several names (the target forces a call to any tool)")
        elif mode in ("AUTO", "ANY", "NONE", "VALIDATED", "MODE_UNSPECIFIED"):
            req.tool_choice = ir.ToolChoice({"ANY": "required", "NONE": "none"}.get(mode, "auto"))  # type: ignore[arg-type]
        else:
            raise invalid("toolConfig.functionCallingConfig.mode: must be AUTO, ANY or NONE")


def _generation(body: dict, req: ir.Request, report: TranslationReport) -> None:
    config = opt_dict(body, "generationConfig", "") or {}
    where = "generationConfig."
    for key in config.keys() - _GENERATION_FIELDS:  # responseLogprobs, responseModalities, mediaResolution...
        report.note(f"{where}{key} (not translated)")
    req.max_tokens = opt_int(config, "maxOutputTokens", where, 1)
    req.temperature = opt_num(config, "temperature", where)
    req.top_p = opt_num(config, "topP", where)
    top_k = opt_num(config, "topK", where)
    req.top_k = int(top_k) if top_k is not None else None
    req.stop = str_or_list(config, "stopSequences", where)
    req.seed = opt_int(config, "seed", where)
    req.presence_penalty = opt_num(config, "presencePenalty", where)
    req.frequency_penalty = opt_num(config, "frequencyPenalty", where)
    if (opt_int(config, "candidateCount", where) or 1) > 1:
        report.note("candidateCount > 1 (one candidate is generated)")
    if opt_str(config, "responseMimeType", where) == "application/json":
        schema = config.get("responseJsonSchema")
        if schema is None and isinstance(config.get("responseSchema"), dict):
            schema = from_gemini(config["responseSchema"])
        kind = "json_schema" if isinstance(schema, dict) else "json_object"
        schema = json_object(schema, "generationConfig.responseSchema") if isinstance(schema, dict) else None
        req.response_format = ir.ResponseFormat(kind, schema, "response")  # type: ignore[arg-type]
    thinking = opt_dict(config, "thinkingConfig", where)
    if thinking is not None:
        budget = opt_int(thinking, "thinkingBudget", f"{where}thinkingConfig.")
        level = opt_str(thinking, "thinkingLevel", f"{where}thinkingConfig.")
        effort = _LEVELS.get((level or "").lower())
        show = thinking.get("includeThoughts") is True
        if budget == 0:
            req.reasoning = ir.Reasoning(enabled=False)
        elif budget is not None and budget > 0:
            req.reasoning = ir.Reasoning(True, None, budget, show)
        elif effort is not None or show:
            req.reasoning = ir.Reasoning(True, effort, None, show)  # type: ignore[arg-type]


# ---------------------------------------------------------------- encode


def encode_request(req: ir.Request, model: str, report: TranslationReport, options: TranslateOptions) -> dict:
    body: dict = {"contents": _contents(req, report)}
    system = [{"text": text} for text in req.system if text]
    if system:
        body["systemInstruction"] = {"parts": system}
    declarations = []
    for tool in req.tools:
        decl: dict = {"name": tool.name}
        if tool.description:
            decl["description"] = tool.description
        params, removed = to_gemini(tool.parameters)
        if params is not None:
            decl["parameters"] = params
        if removed:
            report.note(f"tool '{tool.name}' schema: removed {', '.join(removed)} (gemini rejects them)")
        declarations.append(decl)
    if declarations:
        body["tools"] = [{"functionDeclarations": declarations}]
        choice = req.tool_choice
        if choice is not None:
            mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}[choice.mode]
            calling: dict = {"mode": mode}
            if choice.mode == "tool":
                calling["allowedFunctionNames"] = [choice.name]
            body["toolConfig"] = {"functionCallingConfig": calling}
    config = _generation_config(req, report, options)
    if config:
        body["generationConfig"] = config
    if req.user:
        report.note("user id (not a gemini parameter)")
    if req.parallel_tool_calls is not None and req.tools:
        report.note("parallel_tool_calls (not a gemini parameter)")
    return body


def _contents(req: ir.Request, report: TranslationReport) -> list[dict]:
    names: dict[str, str] = {}
    contents: list[dict] = []
    for message in req.messages:
        role = "model" if message.role == "assistant" else "user"
        parts = _encode_parts(message, names, report)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents


def _encode_parts(message: ir.Message, names: dict[str, str], report: TranslationReport) -> list[dict]:
    parts: list[dict] = []
    pending: str | None = None  # a Gemini signature waiting for the part it belongs to
    signed = False
    for part in message.parts:
        encoded: list[dict] = []
        match part:
            case ir.Thinking(origin=origin, signature=signature):
                if origin == GEMINI:  # Gemini wants its signatures back, never its thoughts
                    pending = signature or pending
                elif part.text or signature:
                    report.note(f"reasoning from {origin or 'the client'} (gemini cannot verify it)")
                continue
            case ir.Text(text=text):
                if text:
                    encoded.append({"text": text})
            case ir.Media():
                media = _encode_media(part)
                if media is not None:
                    encoded.append(media)
            case ir.ToolCall(id=call_id, name=name, arguments=arguments):
                names[call_id] = name
                call: dict = {"name": name, "args": arguments_object(arguments, name, report)}
                if not call_id.startswith(SYNTHETIC_ID):
                    call["id"] = call_id
                encoded.append({"functionCall": call})
                if pending is None and not signed and message.role == "assistant":
                    pending = SKIP_SIGNATURE
            case ir.ToolResult():
                encoded.extend(_encode_result(part, names, report))
        if encoded and pending is not None:
            encoded[0]["thoughtSignature"] = pending
            pending, signed = None, True
        parts.extend(encoded)
    if pending is not None and parts and "thoughtSignature" not in parts[-1]:
        parts[-1]["thoughtSignature"] = pending
    return parts


def _encode_result(result: ir.ToolResult, names: dict[str, str], report: TranslationReport) -> list[dict]:
    name = names.get(result.call_id) or result.name
    if name is None:
        name = "unknown_tool"
        report.note(f"tool result '{result.call_id}' has no matching call; sent as '{name}'")
    text = "\n".join(p.text for p in result.content if isinstance(p, ir.Text))
    response: dict = {"name": name, "response": {"error" if result.is_error else "output": text}}
    if not result.call_id.startswith(SYNTHETIC_ID):
        response["id"] = result.call_id
    out = [{"functionResponse": response}]
    out.extend(m for p in result.content if isinstance(p, ir.Media) and (m := _encode_media(p)))
    return out


def _encode_media(media: ir.Media) -> dict | None:
    if media.data is not None:
        default = "image/png" if media.kind == "image" else "application/pdf"
        return {"inlineData": {"mimeType": media.media_type or default, "data": media.data}}
    if media.url is not None:
        mime = media.media_type or ("image/jpeg" if media.kind == "image" else "application/pdf")
        return {"fileData": {"mimeType": mime, "fileUri": media.url}}
    return None




def _generation_config(req: ir.Request, report: TranslationReport, options: TranslateOptions) -> dict:
    config: dict = {}
    max_tokens = req.max_tokens
    if max_tokens is not None and options.max_tokens_cap is not None:
        max_tokens = min(max_tokens, options.max_tokens_cap)
    pairs = (
        ("maxOutputTokens", max_tokens), ("temperature", req.temperature), ("topP", req.top_p), ("topK", req.top_k),
        ("seed", req.seed), ("presencePenalty", req.presence_penalty), ("frequencyPenalty", req.frequency_penalty),
    )  # fmt: skip
    config.update((key, value) for key, value in pairs if value is not None)
    if req.stop:
        if len(req.stop) > _MAX_STOP:
            report.note(f"stop sequences beyond the first {_MAX_STOP}")
        config["stopSequences"] = req.stop[:_MAX_STOP]
    fmt = req.response_format
    if fmt is not None:
        config["responseMimeType"] = "application/json"
        if fmt.schema is not None:
            schema, removed = to_gemini(fmt.schema)
            if schema is not None:
                config["responseSchema"] = schema
            if removed:
                report.note(f"response schema: removed {', '.join(removed)} (gemini rejects them)")
    reasoning = req.reasoning
    if reasoning is not None and options.reasoning is not False:
        if not reasoning.enabled or reasoning.effort == "none":
            pass  # budget 0 is an error on models that always think: leave the model's default
        else:
            budget = budget_of(reasoning, default=-1) if (reasoning.budget_tokens or reasoning.effort) else -1
            config["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": reasoning.show_thoughts}
    return config


def standard_base64(data: str) -> str:
    """google-genai sends inline bytes URL-safe base64 encoded (Gemini takes both); the other
    providers only take the standard alphabet."""
    return data.replace("-", "+").replace("_", "/") if "-" in data or "_" in data else data
