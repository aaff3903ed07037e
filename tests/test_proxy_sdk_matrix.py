"""The official SDKs (anthropic, openai, google-genai) drive the proxy for every caller protocol
against every provider format, through their streaming helpers, on 127.0.0.1.

The pairs come from amux's own protocol table (`protocols.PROTOCOLS`, caller x provider); each
case fills some cells of the fidelity table in docs/provider-mux.md (`sdk_fidelity.py`): a
cell is ✓, or the loss documented in `sdk_fidelity.KNOWN_LOSSES`, which the case then proves
is still there. A client-side exception (anything but the SDK's own API error for an upstream
error) or a turn missing from the history fails the case.
"""

from __future__ import annotations

import json

import pytest

from amux_tui.proxy.protocols import PROTOCOLS, TranslationReport
from amux_tui.proxy.protocols import ir
from amux_tui.proxy.protocols.codecs import CODECS
from proxy_client import post, proxy_for, request_body
from sdk_clients import PNG_B64, Answer, driver_for
import sdk_fidelity
from sdk_fidelity import END, TOOL, Cells, record_cells, sdk_error_status
from stream_grammar import grammar_faults
from upstreams import RecordedRequest, Reply, ToolCall, UpstreamServer

pytestmark = pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")

@pytest.fixture(scope="module", autouse=True)
def saved_results():  # noqa: ANN201
    """After the module: this run's cells where ``AMUX_SDK_RESULTS`` says (scripts/update_fidelity_table.py)."""
    yield
    sdk_fidelity.save(sdk_fidelity.RESULTS)


PAIRS = [(caller, provider) for caller in PROTOCOLS for provider in PROTOCOLS]
PAIR_IDS = [f"{caller}<-{provider}" for caller, provider in PAIRS]


def upstream_request(record: RecordedRequest) -> ir.Request:
    """What the provider was asked, read back by amux's own decoder for the provider's protocol."""
    return CODECS[record.protocol].decode_request(record.json, TranslationReport())  # type: ignore[index]


def results_of(request: ir.Request) -> list[tuple[str, str]]:
    return [(p.call_id, "".join(t.text for t in p.content if isinstance(t, ir.Text)))
            for m in request.messages for p in m.parts if isinstance(p, ir.ToolResult)]


def calls_of(request: ir.Request) -> list[tuple[str, str]]:
    return [(p.id, p.name) for m in request.messages for p in m.parts if isinstance(p, ir.ToolCall)]


def texts_of(request: ir.Request) -> list[tuple[str, str]]:
    """(role, text) per turn; consecutive messages of one role are one turn (google-genai's chat sends
    one model entry per streamed chunk, and a Gemini provider reads them as one turn)."""
    out: list[tuple[str, str]] = []
    for message in request.messages:
        text = "".join(p.text for p in message.parts if isinstance(p, ir.Text))
        if out and out[-1][0] == message.role:
            out[-1] = (message.role, out[-1][1] + text)
        else:
            out.append((message.role, text))
    return out


async def check_grammar(cells: Cells, caller: str, session) -> None:  # noqa: ANN001
    """The caller's raw stream for one more request (the script's last reply again), against the real
    API's grammar (`stream_grammar.py`): the SDKs' stream helpers forgive much."""
    status, raw = await post(session, caller, request_body(caller, "once more", stream=True), stream=True)
    faults = grammar_faults(caller, raw) if status == 200 else [f"status {status}"]
    cells.check("stream grammar", not faults, "; ".join(faults))


async def run_pair(caller: str, provider: str, script, case) -> Cells:  # noqa: ANN001
    async with UpstreamServer(provider, script=script) as up, proxy_for(up.provider()) as (_, session):
        return await case(caller, session, up)


# --- answers ------------------------------------------------------------------------------------------

async def plain(caller: str, session, up: UpstreamServer, *, stream: bool) -> Cells:  # noqa: ANN001
    async with driver_for(caller, session.base_url, session.token) as convo:
        answer = await convo.say("Say hello", stream=stream)
    cells = Cells()
    cells.check("text", answer.text == "Hello there friend", f"text {answer.text!r}")
    cells.check("usage", answer.usage == (11, 7) and answer.cached == 4, f"usage {answer.usage}, cached {answer.cached}")
    cells.check("stop reason", answer.stop == END[caller], f"stop {answer.stop}")
    if stream:
        await check_grammar(cells, caller, session)
    return cells


@pytest.mark.parametrize(("caller", "provider"), PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
async def test_plain_answer(caller: str, provider: str, stream: bool) -> None:
    cells = await run_pair(caller, provider, [Reply(text="Hello there friend", cached_tokens=4)],
                           lambda c, s, u: plain(c, s, u, stream=stream))
    record_cells(caller, provider, cells)


async def tool_loop(caller: str, session, up: UpstreamServer, *, parallel: bool) -> Cells:  # noqa: ANN001
    cities = ("Paris", "Oslo") if parallel else ("Paris",)
    async with driver_for(caller, session.base_url, session.token, tools=True) as convo:
        first = await convo.say("Weather in " + " and ".join(cities) + "?", stream=True)
        results = {call_id: f"sunny-21C in {args.get('city')}" for call_id, _, args in first.calls}
        second = await convo.tool_results(results, stream=True)
    aspect = "parallel tools" if parallel else "tools"
    cells = Cells()
    got = [(name, args) for _, name, args in first.calls]
    cells.check(aspect, got == [("get_weather", {"city": city}) for city in cities], f"calls {got}")
    cells.check("stop reason", first.stop == TOOL[caller] and second.stop == END[caller], f"stops {first.stop}, {second.stop}")
    cells.check(aspect, second.text == "It is sunny.", f"text after the results {second.text!r}")
    asked = upstream_request(up.requests[1])
    upstream_ids = [call_id for call_id, _ in calls_of(asked)]
    sent = results_of(asked)  # a Gemini caller's result is an object: its JSON text goes upstream
    matched = [cid for (cid, text), city in zip(sent, cities) if f"sunny-21C in {city}" in text]
    cells.check("request" if not parallel else aspect, matched == upstream_ids and len(sent) == len(cities),
                f"results upstream {sent} for calls {calls_of(asked)}")
    if up.protocol == "gemini":  # Gemini 3 validates the signature it put on each function call
        back = signatures_sent(up.requests[1])
        cells.check("thinking", back.count(("c2lnLWZpeHR1cmU=", "gemini")) == len(cities), f"signatures sent back {back}")
    await check_grammar(cells, caller, session)  # the script's third reply: the calls again
    return cells


def tool_script(parallel: bool):  # noqa: ANN201
    calls = (ToolCall("get_weather", {"city": "Paris"}, id="call_p1"),)
    if parallel:
        calls += (ToolCall("get_weather", {"city": "Oslo"}, id="call_p2"),)
    return [Reply(tool_calls=calls), Reply(text="It is sunny."), Reply(tool_calls=calls)]


@pytest.mark.parametrize(("caller", "provider"), PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("parallel", [False, True], ids=["one-call", "parallel"])
async def test_two_turn_tool_loop(caller: str, provider: str, parallel: bool) -> None:
    cells = await run_pair(caller, provider, tool_script(parallel), lambda c, s, u: tool_loop(c, s, u, parallel=parallel))
    record_cells(caller, provider, cells)


async def image(caller: str, session, up: UpstreamServer) -> Cells:  # noqa: ANN001
    async with driver_for(caller, session.base_url, session.token) as convo:
        answer = await convo.say("What is in this picture?", image=True)
    media = [p for m in upstream_request(up.requests[0]).messages for p in m.parts if isinstance(p, ir.Media)]
    cells = Cells()
    cells.check("request", [(m.media_type, m.data) for m in media] == [("image/png", PNG_B64)], f"media upstream {media}")
    cells.check("text", answer.text == "A green pixel.", f"text {answer.text!r}")
    return cells


@pytest.mark.parametrize(("caller", "provider"), PAIRS, ids=PAIR_IDS)
async def test_image(caller: str, provider: str) -> None:
    record_cells(caller, provider, await run_pair(caller, provider, [Reply(text="A green pixel.")], image))


async def thinking(caller: str, session, up: UpstreamServer) -> Cells:  # noqa: ANN001
    async with driver_for(caller, session.base_url, session.token, thinking=True) as convo:
        first = await convo.say("What is six times seven?", stream=True)
        second = await convo.say("And plus one?", stream=True)  # the reasoning goes back in the history
    asked = upstream_request(up.requests[0])
    cells = Cells()
    cells.check("thinking", asked.reasoning is not None and asked.reasoning.enabled, f"reasoning asked {asked.reasoning}")
    cells.check("thinking", first.thinking == "Six sevens.", f"thinking {first.thinking!r}")
    cells.check("text", (first.text, second.text) == ("42", "43"), f"texts {first.text!r}, {second.text!r}")
    reported = up.protocol != "anthropic-messages"  # the fixture's provider said 3 of the 7 were reasoning
    cells.check("usage", first.usage == (11, 7) and (first.reasoning == 3 or not reported),
                f"usage {first.usage}, reasoning {first.reasoning}")
    minted = {"anthropic-messages": "sig-fixture", "openai-responses": "enc-fixture"}.get(up.protocol)
    if minted:  # the provider's signed / encrypted reasoning must come home for it to resume reasoning
        back = signatures_sent(up.requests[1])
        cells.check("thinking", (minted, up.protocol) in back, f"reasoning tokens sent back {back}")
    await check_grammar(cells, caller, session)  # thinking, then text
    return cells


def signatures_sent(record: RecordedRequest) -> list[tuple[str | None, str | None]]:
    return [(p.signature, p.origin) for m in upstream_request(record).messages for p in m.parts if isinstance(p, ir.Thinking)]


@pytest.mark.parametrize(("caller", "provider"), PAIRS, ids=PAIR_IDS)
async def test_thinking(caller: str, provider: str) -> None:
    script = [Reply(thinking="Six sevens.", text="42", reasoning_tokens=3), Reply(thinking="Plus one.", text="43")]
    record_cells(caller, provider, await run_pair(caller, provider, script, thinking))


def turns(contents: list) -> list[str]:
    """Roles of google-genai's curated history, one per turn (it keeps one model entry per streamed chunk)."""
    roles: list[str] = []
    for content in contents:
        if not roles or roles[-1] != content.role:
            roles.append(content.role)
    return roles


async def history(caller: str, session, up: UpstreamServer) -> Cells:  # noqa: ANN001
    async with driver_for(caller, session.base_url, session.token) as convo:
        await convo.say("My name is Ada", stream=True)
        answer = await convo.say("What is my name?", stream=True)
        kept = turns(convo.history()) if caller == "gemini" else None  # type: ignore[attr-defined]
    cells = Cells()
    if kept is not None:  # the other SDKs keep no history: their drivers resend what they were given
        cells.check("SDK", kept == ["user", "model", "user", "model"], f"the SDK's curated history: {kept}")
    sent = texts_of(upstream_request(up.requests[1]))
    expected = [("user", "My name is Ada"), ("assistant", "Nice to meet you, Ada."), ("user", "What is my name?")]
    cells.check("SDK", sent == expected, f"second request carried {sent}")
    cells.check("text", answer.text == "Ada.", f"text {answer.text!r}")
    return cells


@pytest.mark.parametrize(("caller", "provider"), PAIRS, ids=PAIR_IDS)
async def test_history_after_two_streamed_turns(caller: str, provider: str) -> None:
    script = [Reply(text="Nice to meet you, Ada."), Reply(text="Ada.")]
    record_cells(caller, provider, await run_pair(caller, provider, script, history))


# --- errors -------------------------------------------------------------------------------------------

GEMINI_RETRY = json.dumps({"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED", "details": [
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.01s"}]}}).encode()


def error_script(provider: str, kind: str) -> list[Reply]:
    if kind == "429-retry":
        first = (Reply(status=429, raw=GEMINI_RETRY) if provider == "gemini"
                 else Reply(status=429, error_message="slow down", headers=(("retry-after-ms", "10"),)))
        return [first, Reply(text="ok after retry")]
    if kind == "mid-stream":
        return [Reply(text="one two three four five six seven", cut_after=4)]
    return [Reply.error(int(kind), f"scripted {kind}")]


async def upstream_error(caller: str, session, up: UpstreamServer, *, kind: str) -> Cells:  # noqa: ANN001
    cells = Cells()
    retries = 1 if kind == "429-retry" else 0
    async with driver_for(caller, session.base_url, session.token, retries=retries) as convo:
        try:
            answer: Answer | None = await convo.say("hi", stream=kind == "mid-stream")
        except Exception as exc:  # noqa: BLE001 - which one is the point
            status = sdk_error_status(caller, exc)  # re-raises anything but the SDK's own API error
            answer, message = None, str(exc)
    if kind == "429-retry":
        cells.check("errors", answer is not None and answer.text == "ok after retry" and len(up.requests) == 2,
                    f"429 then retry: {answer}, {len(up.requests)} requests")
    elif kind == "mid-stream":
        cells.check("errors", answer is None, f"a cut stream read as complete: {answer}")
    else:
        cells.check("errors", answer is None and status == int(kind) and f"scripted {kind}" in message,
                    f"{kind} seen as {answer or (status, message)}")
    return cells


@pytest.mark.parametrize(("caller", "provider"), PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("kind", ["400", "401", "429-retry", "500", "529", "mid-stream"])
async def test_upstream_error(caller: str, provider: str, kind: str) -> None:
    cells = await run_pair(caller, provider, error_script(provider, kind),
                           lambda c, s, u: upstream_error(c, s, u, kind=kind))
    record_cells(caller, provider, cells)


# --- the docs ------------------------------------------------------------------------------------------

def test_the_docs_table_agrees_with_this_run() -> None:
    """Runs last: every cell this run filled reads the same in docs/provider-mux.md."""
    if not sdk_fidelity.RESULTS:
        pytest.skip("no SDK case ran")
    documented = sdk_fidelity.documented_cells(sdk_fidelity.DOCS.read_text(encoding="utf-8"))
    observed = sdk_fidelity.documented_cells(
        f"{sdk_fidelity.START}\n{sdk_fidelity.render(PROTOCOLS, sdk_fidelity.RESULTS)}\n{sdk_fidelity.END_MARK}")
    stale = {key: (documented.get(key), value) for key, value in observed.items()
             if value != "–" and documented.get(key) != value}
    assert not stale, f"docs/provider-mux.md's fidelity table is stale (run scripts/update_fidelity_table.py): {stale}"
