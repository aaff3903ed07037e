"""Bedrock through amux's proxy: LiteLLM really running against the local Bedrock runtime
(`upstream_bedrock`), signed with the AWS keys in the provider's params or carrying its Bedrock
API key; and the fixture's own wire checked against a real AWS client (botocore's event-stream
parser and SigV4 signer), so the harness cells that use it test the harnesses, not the fixture."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from amux_tui.providers.presets import PRESETS
from amux_tui.providers.resolved import ResolvedProvider
from aws_wire import event_message, sigv4_problem
from proxy_client import post, proxy_for, read_answer_text, request_body
from upstream_bedrock import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, BedrockUpstream, invoke_stream_events
from upstreams import Reply, ToolCall

BEDROCK_KEY = "bedrock-api-key-Fixture-0123456789"


def bedrock_provider(up: BedrockUpstream, **overrides) -> ResolvedProvider:
    """As a user configures it: type bedrock, a custom api_base, the keys and region in params."""
    fields = {"name": "aws", "type": "bedrock", "api_base": up.base_url, "api_formats": PRESETS["bedrock"].api_formats,
              "litellm_prefix": "bedrock", "params": {**up.route_settings()["params"], "max_retries": 0}}
    return ResolvedProvider(**(fields | overrides))


def test_event_messages_are_what_botocore_parses():
    frames = [event_message({":event-type": "chunk", ":message-type": "event"}, b'{"bytes":"e30="}'),
              event_message({}, b""), event_message({":content-type": "application/json"}, "é…".encode() * 40)]
    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(frames))
    parsed = list(buffer)
    assert [m.headers for m in parsed] == [{":event-type": "chunk", ":message-type": "event"}, {},
                                           {":content-type": "application/json"}]
    assert parsed[0].payload == b'{"bytes":"e30="}' and parsed[2].payload == "é…".encode() * 40


def test_invoke_stream_chunks_carry_anthropic_stream_events():
    events = invoke_stream_events(Reply(text="two words"), "m")
    decoded = [json.loads(base64.b64decode(payload["bytes"])) for kind, payload in events if kind == "chunk"]
    assert decoded[0]["type"] == "message_start" and decoded[-1]["type"] == "message_stop"
    assert "".join(e["delta"].get("text", "") for e in decoded if e["type"] == "content_block_delta") == "two words"


def _signed(path: str, body: bytes, secret: str = SECRET_ACCESS_KEY, region: str = REGION) -> dict[str, str]:
    request = AWSRequest("POST", f"http://127.0.0.1:8123{path}", data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCESS_KEY_ID, secret), "bedrock", region).add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()} | {"host": "127.0.0.1:8123"}


@pytest.mark.parametrize("path", ["/model/fixture-model/converse-stream",
                                  "/model/anthropic.claude-x-v1%3A0/invoke-with-response-stream"])
def test_sigv4_check_accepts_botocore_signatures_and_nothing_else(path):
    body = b'{"messages": []}'
    headers = _signed(path, body)
    check = dict(access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY)
    assert sigv4_problem("POST", path, headers, body, **check) is None
    assert sigv4_problem("POST", path, headers, body + b" ", **check) == "the signature does not match"
    other_secret = _signed(path, body, secret="other")
    assert sigv4_problem("POST", path, other_secret, body, **check) == "the signature does not match"
    assert "access key" in sigv4_problem("POST", path, headers, body, access_key_id="AKIAOTHER",
                                         secret_access_key=SECRET_ACCESS_KEY)
    assert "no AWS4-HMAC-SHA256" in sigv4_problem("POST", path, {"authorization": "Bearer x"}, body, **check)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("inbound", ["openai-chat", "anthropic-messages"])
async def test_the_proxy_reaches_a_bedrock_api_base_signed_with_the_configured_keys(inbound, stream):
    async with BedrockUpstream(script=[Reply(text="hello from bedrock", input_tokens=17, output_tokens=4)]) as up, \
            proxy_for(bedrock_provider(up), "fixture-model") as (_, session):
        status, raw = await post(session, inbound, request_body(inbound, "hi", stream=stream), stream=stream)
    assert status == 200, raw[:500]
    assert read_answer_text(inbound, raw, stream) == "hello from bedrock"
    (sent,) = up.requests
    assert sent.path == f"/model/fixture-model/{'converse-stream' if stream else 'converse'}"
    assert not up.auth_problems and f"Credential={ACCESS_KEY_ID}/" in sent.headers["authorization"]
    assert f"/{REGION}/bedrock/aws4_request" in sent.headers["authorization"]
    record = session.traffic.records()[0]
    assert SECRET_ACCESS_KEY not in record.upstream_body.decode()
    assert (record.input_tokens, record.output_tokens) == (17, 4)


async def test_a_bedrock_api_key_is_sent_as_a_bearer_token():
    async with BedrockUpstream(script=[Reply(text="keyed")], api_key=BEDROCK_KEY) as up, \
            proxy_for(bedrock_provider(up, api_key=BEDROCK_KEY, params={"aws_region_name": REGION}),
                      "fixture-model") as (_, session):
        status, raw = await post(session, "openai-chat", request_body("openai-chat", "hi"))
    assert status == 200, raw[:500]
    assert up.requests[0].headers["authorization"] == f"Bearer {BEDROCK_KEY}"


async def test_a_bedrock_tool_call_reaches_an_anthropic_caller():
    reply = Reply(tool_calls=(ToolCall("bash", {"command": "pwd"}, id="tooluse_1"),))
    async with BedrockUpstream(script=[reply]) as up, proxy_for(bedrock_provider(up)) as (_, session):
        body = {**request_body("anthropic-messages", "where am i", stream=True),
                "tools": [{"name": "bash", "input_schema": {"type": "object",
                                                            "properties": {"command": {"type": "string"}}}}]}
        status, raw = await post(session, "anthropic-messages", body, stream=True)
    assert status == 200, raw[:500]
    compact = raw.replace(b" ", b"")
    assert b'"tool_use"' in compact and b'"name":"bash"' in compact and b'"stop_reason":"tool_use"' in compact
    assert up.requests[0].json["toolConfig"]["tools"][0]["toolSpec"]["name"] == "bash"


async def test_a_bedrock_error_keeps_its_status_and_message():
    async with BedrockUpstream(script=[Reply.error(400, "model identifier is invalid (fixture 5521)")]) as up, \
            proxy_for(bedrock_provider(up)) as (_, session):
        status, raw = await post(session, "openai-chat", request_body("openai-chat", "hi"))
    assert status == 400
    assert "model identifier is invalid (fixture 5521)" in json.loads(raw)["error"]["message"]


@pytest.mark.parametrize("identity", ["keys", "profile"])
async def test_the_configured_identity_signs_whatever_aws_identity_the_shell_holds(identity, tmp_path, monkeypatch):
    # LiteLLM reads unset AWS settings from amux's own environment: the shell's bearer token would
    # replace the configured identity (a 403 from AWS), its session token ride along with the keys.
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "someone-elses-token")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "someone-elses-session")
    params = {**BedrockUpstream.route_settings()["params"], "max_retries": 0}
    if identity == "profile":
        credentials = tmp_path / "credentials"
        credentials.write_text(f"[team]\naws_access_key_id = {params.pop('aws_access_key_id')}\n"
                               f"aws_secret_access_key = {params.pop('aws_secret_access_key')}\n")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
        params["aws_profile_name"] = "team"
    async with BedrockUpstream(script=[Reply(text="signed")]) as up, \
            proxy_for(bedrock_provider(up, params=params), "fixture-model") as (_, session):
        status, raw = await post(session, "openai-chat", request_body("openai-chat", "hi"))
    assert status == 200 and not up.auth_problems, (raw[:300], up.auth_problems)
    assert f"Credential={ACCESS_KEY_ID}/" in up.requests[0].headers["authorization"]
