"""A session carries what the launcher knows about the model: its real output limit clamps the
``max_tokens`` a harness asks for (Claude Code asks for 32k+, which smaller models reject)."""

from proxy_client import post, proxy_for
from upstreams import Reply, UpstreamServer

CLAUDE_LIKE = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 32000,
    "messages": [{"role": "user", "content": "hi"}],
}


async def test_max_output_tokens_clamps_translated_requests():
    async with UpstreamServer("openai-chat", [Reply(text="hello")]) as up:
        async with proxy_for(up.provider(), "small-model", max_output_tokens=4096) as (_, session):
            status, _ = await post(session, "anthropic-messages", CLAUDE_LIKE)
        assert status == 200
        assert up.requests[-1].json["max_tokens"] == 4096


async def test_without_a_known_limit_the_request_is_kept():
    async with UpstreamServer("openai-chat", [Reply(text="hello")]) as up:
        async with proxy_for(up.provider(), "small-model") as (_, session):
            status, _ = await post(session, "anthropic-messages", CLAUDE_LIKE)
        assert status == 200
        assert up.requests[-1].json["max_tokens"] == 32000
