"""The traffic record: what the dashboard reads, live, bounded, with secrets redacted."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from amux_tui.proxy.traffic import (
    CAPTURE_LIMIT, Capture, JsonLinesSink, RequestRecord, TrafficLog, redact_headers, redact_url,
)
from proxy_client import post, proxy_for, request_body
from upstreams import Reply, UpstreamServer


async def test_records_observers_and_totals_through_the_proxy():
    seen: list[tuple[int, bool]] = []
    async with UpstreamServer("anthropic-messages", [Reply(text="hi", input_tokens=30, output_tokens=4),
                                                     Reply.error(429, "busy")]) as up, \
            proxy_for(up.provider()) as (_, session):
        unsubscribe = session.traffic.subscribe(lambda record: seen.append((record.id, record.in_flight)))
        await post(session, "anthropic-messages", request_body("anthropic-messages", "hello", stream=True))
        await post(session, "anthropic-messages", request_body("anthropic-messages", "again"))
        unsubscribe()
        await post(session, "anthropic-messages", request_body("anthropic-messages", "unseen"))
    records = session.traffic.records()
    assert [r.status for r in records] == [200, 429, 429]
    first = records[0]
    assert first.inbound == "anthropic-messages" and first.upstream == "anthropic-messages"
    assert first.stream and first.ttfb_ms is not None and first.duration_ms >= first.ttfb_ms
    assert (first.input_tokens, first.output_tokens) == (30, 4)
    assert "message_stop" in first.response_text()
    assert json.loads(first.inbound_text())["messages"][0]["content"] == "hello"
    assert records[1].error and "busy" in records[1].error
    assert seen == [(records[0].id, True), (records[0].id, False), (records[1].id, True), (records[1].id, False)]
    totals = session.traffic.totals()
    assert (totals.requests, totals.in_flight, totals.errors) == (3, 0, 2)
    assert (totals.input_tokens, totals.output_tokens) == (30, 4)
    assert totals.last_latency_ms == records[-1].duration_ms


def test_ring_is_bounded_and_a_broken_observer_is_harmless():
    log = TrafficLog(capacity=3)
    log.subscribe(lambda record: 1 / 0)
    for n in range(5):
        record = log.begin(RequestRecord(route=f"POST /{n}", inbound="openai-chat"))
        log.finish(record, status=200)
    assert [r.route for r in log.records()] == ["POST /2", "POST /3", "POST /4"]
    assert log.totals().requests == 5 and log.in_flight == 0


def test_redaction():
    headers = redact_headers({"Authorization": "Bearer sk-1", "x-api-key": "k", "X-Goog-Api-Key": "g",
                              "anthropic-beta": "b"})
    assert headers == {"Authorization": "[redacted]", "x-api-key": "[redacted]", "X-Goog-Api-Key": "[redacted]",
                       "anthropic-beta": "b"}
    assert redact_url("/v1beta/models/m:gen?alt=sse&key=SECRET") == "/v1beta/models/m:gen?alt=sse&key=[redacted]"
    assert redact_url("/x?key=SECRET&y=1") == "/x?key=[redacted]&y=1"


def test_capture_keeps_a_bounded_head_and_the_tail():
    capture = Capture()
    chunk = b"x" * 1000
    for _ in range(400):
        capture.add(chunk)
    capture.add(b'data: {"usage": 1}\n\n')
    assert capture.total == 400 * 1000 + 20
    assert len(capture.data()) == CAPTURE_LIMIT and capture.truncated
    assert capture.tail().endswith(b'{"usage": 1}\n\n') and len(capture.tail()) <= Capture.TAIL_LIMIT + 1000


async def test_session_token_and_provider_key_never_recorded():
    async with UpstreamServer("gemini", [Reply(text="ok")]) as up, proxy_for(up.provider()) as (_, session):
        await post(session, "gemini", request_body("gemini", "hi"))
    record = session.traffic.records()[0]
    everything = json.dumps(record.summary()) + json.dumps(record.request_headers) + record.route
    everything += record.inbound_text() + record.upstream_text() + record.response_text()
    assert session.token not in everything and up.api_key not in everything


async def test_json_lines_sink_batches_off_the_loop(tmp_path):
    path = tmp_path / "log.jsonl"
    sink = JsonLinesSink(path, interval=0.05)
    log = TrafficLog(sink=sink)
    for n in range(20):
        log.finish(log.begin(RequestRecord(route=f"POST /{n}", inbound="gemini")), status=200)
    assert not path.exists()  # nothing written synchronously
    await asyncio.sleep(0.2)
    await sink.aclose()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["route"] for line in lines] == [f"POST /{n}" for n in range(20)]


def test_cost_comes_from_litellms_price_table_read_as_data_never_by_importing_litellm():
    code = (
        "import sys\n"
        "from amux_tui.proxy.traffic import RequestRecord, TrafficLog\n"
        "from amux_tui.providers.prices import load_price_table\n"
        "log = TrafficLog()\n"
        "r = log.begin(RequestRecord(route='x', inbound='openai-chat', cost_model='openai/gpt-4o'))\n"
        "r.input_tokens, r.output_tokens = 1000, 1000\n"
        "log.finish(r, status=200)\n"
        "assert r.cost is None and log.totals().cost is None  # the table is not read yet: asked again later\n"
        "load_price_table()\n"
        "assert r.cost and r.cost > 0, r.cost\n"
        "assert log.totals().cost == r.cost\n"
        "assert 'litellm' not in sys.modules\n"
        "import litellm\n"
        "expected = sum(litellm.cost_per_token(model='openai/gpt-4o', prompt_tokens=1000, completion_tokens=1000))\n"
        "assert abs(r.cost - expected) < 1e-12, (r.cost, expected)\n"
    )
    env_code = "import os; os.environ['LITELLM_LOCAL_MODEL_COST_MAP'] = 'True'\n" + code
    result = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_only_the_newest_records_keep_their_bodies_and_those_are_capped():
    log = TrafficLog(bodies_kept=2)
    big = b"y" * (CAPTURE_LIMIT * 3)
    records = []
    for n in range(4):
        record = log.begin(RequestRecord(route=f"POST /{n}", inbound="openai-chat"))
        record.request_body, record.upstream_body = big, b"up"
        record.response.add(b"data: x\n\n")
        log.finish(record, status=200)
        records.append(record)
    assert [r.bodies_released for r in records] == [True, True, False, False]
    assert records[0].inbound_text() == "" and records[0].response_text() == ""
    assert records[0].summary()["status"] == 200  # the summary stays
    assert len(records[3].request_body) == CAPTURE_LIMIT and records[3].upstream_text() == "up"
    assert records[3].response_text() == "data: x\n\n"
