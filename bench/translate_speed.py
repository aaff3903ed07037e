"""How fast the protocol translators are, against a same-run baseline.

Per streamed chunk: one upstream text-delta event in, one client event out, through
``StreamTranslator.feed`` — compared with the least any proxy must do to the same chunk,
``json.loads`` + ``json.dumps``. Per request: translating a small agent request (system
prompt, three tools, a tool round trip). Run: ``python bench/translate_speed.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from amux_tui.proxy.protocols import PROTOCOLS, StreamTranslator, TranslationReport, translate_request

TEXT = "Here is the next bit of the answer, "

UPSTREAM_CHUNKS: dict[str, bytes] = {
    "anthropic-messages": (
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        f'"delta":{{"type":"text_delta","text":"{TEXT}"}}}}\n\n'
    ).encode(),
    "openai-chat": (
        'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m",'
        f'"choices":[{{"index":0,"delta":{{"content":"{TEXT}"}},"logprobs":null,"finish_reason":null}}]}}\n\n'
    ).encode(),
    "openai-responses": (
        'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_1",'
        f'"output_index":0,"content_index":0,"delta":"{TEXT}","logprobs":[],"sequence_number":5}}\n\n'
    ).encode(),
    "gemini": (
        f'data: {{"candidates":[{{"content":{{"role":"model","parts":[{{"text":"{TEXT}"}}]}},"index":0}}],'
        '"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":3,"totalTokenCount":13},'
        '"modelVersion":"m","responseId":"r1"}\r\n\r\n'
    ).encode(),
}

SMALL_REQUEST = {
    "model": "m",
    "max_tokens": 4096,
    "stream": True,
    "system": [{"type": "text", "text": "You are a careful coding agent. " * 20}],
    "tools": [
        {
            "name": name,
            "description": f"The {name} tool.",
            "input_schema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}},
                "required": ["path"],
                "additionalProperties": False,
            },
        }
        for name in ("Read", "Write", "Bash")
    ],
    "messages": [
        {"role": "user", "content": "Read setup.py please."},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "setup.py"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "print('hi')\n" * 20}]},
    ],
}


CLOCK = time.process_time
"""CPU time of this process: other processes on the shared cores do not count (``--wall`` for wall time)."""


def paired_us(candidate: Callable[[], object], baseline: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Median µs per call of ``candidate`` and ``baseline``, timed in alternating batches
    so that both see the same machine load (the 2 cores are shared)."""
    clock = CLOCK
    batch = 100
    while True:
        start = clock()
        for _ in range(batch):
            candidate()
        elapsed = clock() - start
        if elapsed > 0.005:
            break
        batch *= 2
    rounds = max(int(seconds / (2 * elapsed)), 5)
    cand: list[float] = []
    base: list[float] = []
    for _ in range(rounds):
        for fn, sink in ((candidate, cand), (baseline, base)):
            start = clock()
            for _ in range(batch):
                fn()
            sink.append((clock() - start) / batch * 1e6)
    return statistics.median(cand), statistics.median(base)


def stream_pairs(seconds: float) -> None:
    print("per streamed text-delta chunk: StreamTranslator.feed vs json.loads+json.dumps of the same chunk")
    print(f"{'upstream':>18} -> {'client':<18} {'µs/chunk':>9} {'baseline µs':>12} {'ratio':>6}")
    for upstream in PROTOCOLS:
        chunk = UPSTREAM_CHUNKS[upstream]
        payload = chunk.split(b"data: ", 1)[1].strip()

        def baseline(payload: bytes = payload) -> object:
            return json.dumps(json.loads(payload))

        for client in PROTOCOLS:
            translator = StreamTranslator(upstream=upstream, client=client, model="m", report=TranslationReport())
            # opens the message and the text block (a Gemini client's chunk waits for the next one)
            first = translator.feed(chunk) + translator.feed(chunk)
            assert first, (upstream, client)
            feed = translator.feed
            cost, base = paired_us(lambda: feed(chunk), baseline, seconds)
            print(f"{upstream:>18} -> {client:<18} {cost:9.2f} {base:12.2f} {cost / base:6.2f}")


def requests(seconds: float) -> None:
    print("\nsmall request (3 tools, one tool round trip): json.loads + translate_request vs json.loads+json.dumps of it")
    raw = json.dumps(SMALL_REQUEST)
    source = "anthropic-messages"
    for target in PROTOCOLS:
        if target == source:
            continue
        cost, base = paired_us(
            lambda: translate_request(json.loads(raw), source=source, target=target, model="m", report=TranslationReport()),
            lambda: json.dumps(json.loads(raw)),
            seconds,
        )
        print(f"{source:>18} -> {target:<18} {cost:9.1f} µs   baseline {base:7.1f} µs   ratio {cost / base:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="time budget per measurement")
    parser.add_argument("--wall", action="store_true", help="wall-clock time instead of this process's CPU time")
    args = parser.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    print(f"clock: {'wall' if args.wall else 'process CPU'} time; medians of alternating batches\n")
    stream_pairs(args.seconds)
    requests(args.seconds)


if __name__ == "__main__":
    main()
