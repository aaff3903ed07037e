"""A local Bedrock runtime: a real aiohttp server on 127.0.0.1 that speaks the endpoints the real
clients call, from the same `Reply` script as `upstreams.UpstreamServer`::

    async with BedrockUpstream(script=[Reply(text="hi")]) as up:
        config = {"type": "bedrock", "api_base": up.base_url, **up.route_settings()}

=============================================  ==================================================
``POST /model/{id}/invoke``                    an Anthropic Messages body -> its JSON answer
``POST /model/{id}/invoke-with-response-stream``  -> an event stream whose ``chunk`` events carry
                                                the Anthropic stream events, base64, in ``bytes``
``POST /model/{id}/converse``                  the Converse API -> its JSON answer
``POST /model/{id}/converse-stream``           -> an event stream of ``messageStart``,
                                                ``contentBlockDelta``... events
=============================================  ==================================================

Streams use the real ``application/vnd.amazon.eventstream`` framing (`aws_wire.event_message`).
Every request must be signed (SigV4, fully verified) with the fixture's access key and secret
(and only with its session token, if it has one), or carry its Bedrock API key (``api_key``, when given) as a bearer token: otherwise 403 with
Bedrock's error body, as AWS answers. Requests are recorded with ``protocol`` ``bedrock-invoke``
or ``bedrock-converse``; a bad signature is recorded too, with what was wrong in ``auth_problems``.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from aiohttp import web

from aws_wire import event_message, sigv4_problem, signed_region
from upstream_wire import Reply, anthropic_events, anthropic_json
from upstream_cloud import CloudUpstream
from upstreams import RecordedRequest, Script

ACCESS_KEY_ID = "AKIAFIXTURE0EXAMPLE7"
SECRET_ACCESS_KEY = "fixture/Secret+Access/Key0123456789abcdefg"
REGION = "eu-west-3"
_ROUTE = re.compile(r"/model/(?P<model>[^/]+)/(?P<action>invoke|invoke-with-response-stream|converse|converse-stream)")
_EVENTSTREAM = "application/vnd.amazon.eventstream"


class BedrockUpstream(CloudUpstream):
    """A scripted Bedrock runtime on 127.0.0.1 (see the module docstring)."""

    provider_type = "bedrock"
    wires = ("anthropic-messages",)
    """Claude Code's invoke calls carry Anthropic Messages bodies; other clients use Converse."""
    protocols = frozenset({"bedrock-invoke", "bedrock-converse"})

    def __init__(self, protocol: str = "anthropic-messages", script: Script = (), *, api_key: str | None = None,
                 access_key_id: str = ACCESS_KEY_ID, secret_access_key: str = SECRET_ACCESS_KEY, region: str = REGION,
                 session_token: str | None = None):
        super().__init__(protocol, script, api_key=api_key)
        self.access_key_id, self.secret_access_key, self.region = access_key_id, secret_access_key, region
        self.session_token = session_token
        """The temporary credentials' token a signed request must carry (None: long-term keys, none)."""
        self.auth_problems: list[str] = []

    @classmethod
    def route_settings(cls) -> dict[str, Any]:
        """Besides its ``api_base``: the region and the AWS access key the fixture checks signatures
        with (as the docs tell users to configure them)."""
        return {"params": {"aws_region_name": REGION, "aws_access_key_id": ACCESS_KEY_ID,
                           "aws_secret_access_key": SECRET_ACCESS_KEY}}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        route = _ROUTE.fullmatch(request.path)
        action = route["action"] if route else ""
        protocol = ("bedrock-converse" if action.startswith("converse") else "bedrock-invoke") if route else None
        record = self._record(request, await request.read(), protocol)
        await self._notify()
        problem = self._auth_problem(request, record)
        if problem:
            self.auth_problems.append(problem)
            return _error(403, "UnrecognizedClientException", f"fixture Bedrock refuses the request: {problem}")
        if route is None or request.method != "POST":
            return _error(404, "UnknownOperationException", f"no route {request.method} {request.path}")
        try:
            record.json
        except ValueError:
            return _error(400, "ValidationException", "body is not JSON")
        reply = self._next_reply(record)
        if reply.status >= 400:
            return _error(reply.status, "ValidationException", reply.error_message or "scripted failure")
        model = route["model"]
        if action == "invoke":
            return web.json_response(anthropic_json(reply, model))
        if action == "converse":
            return web.json_response(converse_json(reply))
        response = web.StreamResponse(headers={"Content-Type": _EVENTSTREAM, "x-amzn-RequestId": "fixture-request"})
        if action == "invoke-with-response-stream":
            response.headers["X-Amzn-Bedrock-Content-Type"] = "application/json"
        await response.prepare(request)
        events = invoke_stream_events(reply, model) if action == "invoke-with-response-stream" else \
            converse_stream_events(reply)
        for event_type, payload in events:
            await response.write(event_message(
                {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
                json.dumps(payload).encode()))
        await response.write_eof()
        return response

    def _auth_problem(self, request: web.Request, record: RecordedRequest) -> str | None:
        authorization = record.headers.get("authorization", "")
        if self.api_key is not None and authorization == f"Bearer {self.api_key}":
            return None
        problem = sigv4_problem(request.method, request.raw_path, record.headers, record.body,
                                access_key_id=self.access_key_id, secret_access_key=self.secret_access_key)
        if problem is None and signed_region(record.headers) != self.region:
            problem = f"signed for region {signed_region(record.headers)!r}, not the configured {self.region!r}"
        if problem is None and record.headers.get("x-amz-security-token") != self.session_token:
            problem = "the security token included in the request is invalid"  # AWS's words
        return problem


def _error(status: int, kind: str, message: str) -> web.Response:
    """Bedrock's error answer: the exception's name in ``x-amzn-ErrorType``, the message in the body."""
    return web.json_response({"message": message}, status=status, headers={"x-amzn-ErrorType": kind})


def invoke_stream_events(reply: Reply, model: str) -> list[tuple[str, dict[str, Any]]]:
    """``chunk`` events, each carrying one Anthropic stream event (JSON, base64) in ``bytes``."""
    events = []
    for sse in anthropic_events(reply, model):
        data = next(line[6:] for line in sse.decode().splitlines() if line.startswith("data: "))
        events.append(("chunk", {"bytes": base64.b64encode(data.encode()).decode()}))
    return events


def _converse_usage(reply: Reply) -> dict[str, int]:
    return {"inputTokens": reply.input_tokens, "outputTokens": reply.output_tokens,
            "totalTokens": reply.input_tokens + reply.output_tokens}


def converse_json(reply: Reply) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"text": reply.full_text}] if reply.full_text else []
    content += [{"toolUse": {"toolUseId": call.id, "name": call.name, "input": call.arguments}}
                for call in reply.tool_calls]
    return {"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "tool_use" if reply.tool_calls else "end_turn", "usage": _converse_usage(reply),
            "metrics": {"latencyMs": 12}}


def converse_stream_events(reply: Reply) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    index = 0
    if reply.full_text:
        events += [("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
                   for piece in reply.text_pieces()]
        events.append(("contentBlockStop", {"contentBlockIndex": 0}))
        index = 1
    for call in reply.tool_calls:
        events.append(("contentBlockStart", {"contentBlockIndex": index,
                                             "start": {"toolUse": {"toolUseId": call.id, "name": call.name}}}))
        events.append(("contentBlockDelta", {"contentBlockIndex": index,
                                             "delta": {"toolUse": {"input": json.dumps(call.arguments)}}}))
        events.append(("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    events.append(("messageStop", {"stopReason": "tool_use" if reply.tool_calls else "end_turn"}))
    events.append(("metadata", {"usage": _converse_usage(reply), "metrics": {"latencyMs": 12}}))
    return events

