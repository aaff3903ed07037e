"""After a harness exits, `amux launch` prints the amux command that resumes it (the harness's own
hint looks in the user's config, not in amux's home for it). Real Claude Code and Codex binaries
against a local upstream; the printed command is run again and the harness gets its history back."""

import re
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_harness_e2e import KEY, config_for, run_amux  # noqa: E402
from upstreams import Reply, UpstreamServer  # noqa: E402

pytestmark = pytest.mark.harness
HINT = re.compile(r"amux: to resume this session: (amux launch .*)")


def printed_command(out: str) -> list[str]:
    match = HINT.search(out)
    assert match, out
    return shlex.split(match.group(1))


async def test_claude_hint_resumes_the_session_with_its_history(tmp_path):
    async with UpstreamServer("anthropic-messages", lambda record: Reply(text="first answer amux-7"),
                              api_key=KEY) as upstream:
        config = config_for(upstream, "anthropic", "anthropic-messages")
        code, out, _ = await run_amux(tmp_path, "claude", config, "--with-proxy",
                                      harness_args=["-p", "remember the word pelican"])
        assert code == 0, out
        words = printed_command(out)
        assert words[:3] == ["amux", "launch", "claude"] and "--with-proxy" in words
        session_id = words[words.index("--resume") + 1]
        assert re.fullmatch(r"[0-9a-f-]{36}", session_id), words
        homes = tmp_path / "home" / ".local/state/amux/homes/claude"
        assert list(homes.glob(f"projects/*/{session_id}.jsonl")), "the id names a transcript in amux's home"

        before = len(upstream.requests)
        code, out, _ = await run_amux(tmp_path, "claude", config, *words[3:], harness_args=["-p", "what word?"])
        assert code == 0, out
        resumed = [r for r in upstream.requests[before:] if r.method == "POST" and b"what word?" in r.body]
        assert resumed and b"remember the word pelican" in resumed[-1].body, "the resumed session has its history"


async def test_codex_hint_names_the_session_in_amuxs_home(tmp_path):
    async with UpstreamServer("openai-responses", lambda record: Reply(text="codex answer"), api_key=KEY) as upstream:
        config = config_for(upstream, "vllm", "openai-responses")
        code, out, _ = await run_amux(tmp_path, "codex", config,
                                      harness_args=["exec", "--skip-git-repo-check", "say hello"])
    assert code == 0, out
    words = printed_command(out)
    assert words[:3] == ["amux", "launch", "codex"] and "--with-proxy" not in words
    session_id = words[words.index("--resume") + 1]
    homes = tmp_path / "home" / ".local/state/amux/homes/codex"
    assert list(homes.glob(f"sessions/**/rollout-*{session_id}.jsonl"))
