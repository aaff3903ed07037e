"""The real Gemini CLI through the proxy to an Anthropic provider serving Claude Sonnet 4.5, which
answers 400 when a request carries both ``temperature`` and ``top_p`` (as Anthropic does for
Claude 4.5+). Gemini CLI always sends both (issue 12, item 1): the session must still complete
its shell-tool round trip."""

from __future__ import annotations

import pytest

from test_harness_e2e import FINAL, HEADLESS, KEY, TOOL_COMMAND, TOOL_OUTPUT, run_amux, tool_round_trip
from upstreams import RecordedRequest, Reply, UpstreamServer

pytestmark = pytest.mark.harness

MODEL = "claude-sonnet-4-5"
BOTH = "`temperature` and `top_p` cannot both be specified for this model. Please use only one."


def claude_45(record: RecordedRequest) -> Reply:
    body = record.json or {}
    if body.get("temperature") is not None and body.get("top_p") is not None:
        return Reply(status=400, error_message=BOTH)
    return tool_round_trip(record)


async def test_gemini_cli_session_against_claude_45(tmp_path):
    async with UpstreamServer("anthropic-messages", claude_45, api_key=KEY, models=(MODEL,)) as upstream:
        config = {"default_provider": "up", "providers": {"up": {
            "type": "anthropic", "api_base": upstream.base_url, "api_key": KEY, "api_format": "anthropic-messages",
            "models": [MODEL], "default_model": MODEL}}}
        prompt = f"Run the shell command `{TOOL_COMMAND}` and tell me what it printed."
        code, out, _ = await run_amux(tmp_path, "gemini", config, "--with-proxy",
                                      harness_args=HEADLESS["gemini"](prompt))
        bodies = [r.json for r in upstream.requests if r.method == "POST"]
    assert code == 0, out
    assert FINAL in out, out
    assert any(TOOL_OUTPUT.decode() in str(body) for body in bodies)
    assert not [b for b in bodies if b.get("temperature") is not None and b.get("top_p") is not None]
    assert any("top_p" in b for b in bodies), "Gemini CLI's topP 0.95 is the one kept"
