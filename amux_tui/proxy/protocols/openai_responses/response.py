"""OpenAI Responses non-streamed responses <-> IR, plus the item and response-object
builders the stream encoder shares."""

from __future__ import annotations

from .. import ir, signatures
from ..errors import UpstreamError
from ..ids import new_id, unix_now
from ..lenient import as_int, as_list, as_str
from ..report import TranslationReport
from .request import RESPONSES, custom_input

# Responses has no stop reason: a finished answer is "completed", a cut one "incomplete".
INCOMPLETE_REASON: dict[str, str] = {"max_tokens": "max_output_tokens", "content_filter": "content_filter", "refusal": "content_filter"}
STOP_FROM_INCOMPLETE: dict[str, ir.StopReason] = {"max_output_tokens": "max_tokens", "content_filter": "content_filter"}



def usage_from_responses(raw: object) -> ir.Usage | None:
    if not isinstance(raw, dict):
        return None
    usage = ir.Usage((as_int(raw.get("input_tokens")) or 0), (as_int(raw.get("output_tokens")) or 0))
    details = raw.get("input_tokens_details")
    if isinstance(details, dict):
        usage.cached_tokens = (as_int(details.get("cached_tokens")) or 0)
    details = raw.get("output_tokens_details")
    if isinstance(details, dict):
        usage.reasoning_tokens = (as_int(details.get("reasoning_tokens")) or 0)
    return usage


def usage_to_responses(usage: ir.Usage) -> dict:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def response_object(
    response_id: str, created_at: int, model: str, status: str, output: list[dict], usage: ir.Usage | None = None,
    *, incomplete_reason: str | None = None, error: dict | None = None,
) -> dict:  # fmt: skip
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage_to_responses(usage) if usage is not None else None,
    }


def message_item(item_id: str, text: str, status: str = "completed", *, refusal: bool = False) -> dict:
    part = {"type": "refusal", "refusal": text} if refusal else {"type": "output_text", "text": text, "annotations": []}
    content = [part] if status == "completed" else []
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def reasoning_item(item_id: str, text: str, token: str | None) -> dict:
    item: dict = {"id": item_id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}] if text else []}
    if token is not None:
        item["encrypted_content"] = token
    return item


def call_item(item_id: str, call_id: str, upstream_name: str, arguments: str, report: TranslationReport, status: str = "completed") -> dict:
    """A function_call (or custom_tool_call) item under the client's own tool name."""
    client = report.client_tool(upstream_name)
    if client.kind == "custom":
        return {"id": item_id, "type": "custom_tool_call", "status": status, "call_id": call_id, "name": client.name, "input": custom_input(arguments) if status == "completed" else ""}
    item = {"id": item_id, "type": "function_call", "status": status, "call_id": call_id, "name": client.name, "arguments": arguments}
    if client.namespace:
        item["namespace"] = client.namespace
    return item


def client_token(part: ir.Thinking) -> str:
    return signatures.for_client(RESPONSES, part.origin or "openai-chat", part.signature or "", part.redacted)


def decode_response(body: dict, report: TranslationReport) -> ir.Response:
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, list):
        raise UpstreamError("responses answer without an output list")
    resp = ir.Response(
        id=body.get("id") if isinstance(body.get("id"), str) else None,
        model=body.get("model") if isinstance(body.get("model"), str) else None,
        usage=usage_from_responses(body.get("usage")) or ir.Usage(),
    )
    for item in output:
        if isinstance(item, dict):
            decode_item(item, resp.parts, report)
    details = body.get("incomplete_details")
    if body.get("status") == "incomplete" and isinstance(details, dict):
        cause = details.get("reason")
        resp.stop_reason = STOP_FROM_INCOMPLETE.get(cause if isinstance(cause, str) else "", "max_tokens")  # type: ignore[arg-type]
    elif any(isinstance(part, ir.Text) and part.refusal for part in resp.parts):
        resp.stop_reason = "refusal"
    return resp


def decode_item(item: dict, parts: list, report: TranslationReport) -> None:
    kind = item.get("type")
    if kind == "message":
        for content in as_list(item.get("content")):
            if isinstance(content, dict):
                refusal = content.get("type") == "refusal"
                text = content.get("refusal") if refusal else content.get("text")
                if isinstance(text, str) and text:
                    parts.append(ir.Text(text, refusal=refusal))
    elif kind == "function_call":
        args = item.get("arguments")
        parts.append(ir.ToolCall(as_str(item.get("call_id")) or new_id("call_"), as_str(item.get("name")) or "", args if isinstance(args, str) else "{}"))
    elif kind == "reasoning":
        texts = [s.get("text") for s in as_list(item.get("summary")) if isinstance(s, dict) and isinstance(s.get("text"), str)]
        if not texts:
            texts = [c.get("text") for c in as_list(item.get("content")) if isinstance(c, dict) and isinstance(c.get("text"), str)]
        parts.append(ir.Thinking("\n\n".join(texts), as_str(item.get("encrypted_content")), RESPONSES))
    else:
        report.note(f"output item type '{kind}'")



def encode_response(resp: ir.Response, model: str, report: TranslationReport) -> dict:
    output: list[dict] = []
    texts: list[str] = []
    refused = False
    refusing = False  # the texts being gathered are a refusal

    def flush_text() -> None:
        if texts:
            output.append(message_item(new_id("msg_"), "".join(texts), refusal=refusing))
            texts.clear()

    for part in resp.parts:
        match part:
            case ir.Text(text=text, refusal=refusal):
                if refusal != refusing:
                    flush_text()
                    refusing = refusal
                refused = refused or refusal
                texts.append(text)
            case ir.Thinking():
                flush_text()
                output.append(reasoning_item(new_id("rs_"), part.text, client_token(part)))
            case ir.ToolCall(id=call_id, name=name, arguments=arguments):
                flush_text()
                output.append(call_item(new_id("fc_"), call_id, name, arguments, report))
    flush_text()
    incomplete = None if refused else INCOMPLETE_REASON.get(resp.stop_reason)
    response_id = resp.id if resp.id and resp.id.startswith("resp_") else new_id("resp_")
    status = "incomplete" if incomplete else "completed"
    return response_object(response_id, unix_now(), model, status, output, resp.usage, incomplete_reason=incomplete)

