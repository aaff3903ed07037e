"""A non-streamed answer carries the same content as the streamed one, for every pair.

The client's view of each is read back with amux's own decoder for the client's
protocol (a stream grammar is the same whichever side speaks it) and compared.
"""

from __future__ import annotations

import json

import pytest

from amux_tui.proxy.protocols import PROTOCOLS, StreamTranslator, TranslationReport, translate, translate_response
from amux_tui.proxy.protocols import ir
from amux_tui.proxy.protocols.codecs import CODECS
from amux_tui.proxy.protocols.fold import fold
from amux_tui.proxy.protocols.sse import SSEParser

from test_proxy_translate_roundtrip import upstream_answer  # noqa: E402

PAIRS = [(u, c) for u in PROTOCOLS for c in PROTOCOLS if u != c]


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


def content(resp: ir.Response) -> dict:
    parts = []
    for part in resp.parts:
        match part:
            case ir.Text(text=text):
                if parts and parts[-1][0] == "text":
                    parts[-1] = ("text", parts[-1][1] + text)
                elif text:
                    parts.append(("text", text))
            case ir.Thinking(text=text):
                if text:
                    parts.append(("thinking", text))
            case ir.ToolCall(id=call_id, name=name, arguments=arguments):
                parts.append(("call", call_id, name, json.loads(arguments)))
    usage = resp.usage
    return {"parts": parts, "stop": resp.stop_reason, "tokens": (usage.input_tokens, usage.output_tokens)}


@pytest.mark.parametrize("tool", [True, False], ids=["tool", "text"])
@pytest.mark.parametrize(("upstream", "client"), PAIRS, ids=[f"{u}->{c}" for u, c in PAIRS])
def test_streamed_and_whole_answers_match(upstream: str, client: str, tool: bool) -> None:
    name = "get_weather" if tool else None
    body = translate_response(upstream_answer(upstream, name, stream=False), source=upstream, target=client, model="m", report=TranslationReport())
    whole = content(CODECS[client].decode_response(body, TranslationReport()))

    translator = StreamTranslator(upstream=upstream, client=client, model="m", report=TranslationReport())
    raw = translator.feed(upstream_answer(upstream, name, stream=True)) + translator.finish()
    decoder = CODECS[client].stream_decoder(TranslationReport())
    events: list[ir.StreamEvent] = []
    parser = SSEParser()
    for event in parser.feed(raw) + parser.flush():
        decoder.decode(event, events)
    streamed = content(fold(events))

    assert whole == streamed
    assert whole["tokens"] == (20, 9)
    assert [p[0] for p in whole["parts"]][-1] == ("call" if tool else "text")
