"""Cost per request: LiteLLM's price table read as a data file, by the model the upstream reports;
a provider's `pricing` overrides it; unknown stays unknown with the reason. Session totals reach the
records, end to end through a real `amux launch --with-proxy` and a local upstream."""

import json
import sys
from pathlib import Path

import pytest

from amux_tui.providers.prices import (ModelPrice, PriceTable, load_price_table, price_table, request_cost,
                                       table_path)
from amux_tui.proxy.traffic import RequestRecord, TrafficLog
from amux_tui.proxy.usage import details_from_answer, usage_from_answer
from sessions_support import KEY, amux, make_env, sessions_json
from upstreams import Reply, UpstreamServer

CLIENT = """
import json, os, urllib.request
body = json.dumps({"model": "fixture-model", "messages": [{"role": "user", "content": "hi"}]}).encode()
for _ in range(2):
    request = urllib.request.Request(os.environ["OPENAI_BASE_URL"] + "/chat/completions", data=body,
        headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
"""


def table_entry(name: str) -> dict:
    return json.loads(Path(table_path()).read_text())[name]


def answer_naming(model: str, prompt: int, completion: int, cached: int = 0) -> Reply:
    body = {"id": "x", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                      "prompt_tokens_details": {"cached_tokens": cached}}}
    return Reply(raw=json.dumps(body).encode())


async def run_priced_session(tmp_path, reply: Reply, pricing: dict | None = None) -> dict:
    async with UpstreamServer("openai-chat", script=[reply], api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream)
        config = json.loads(Path(env["AMUX_CONFIG"]).read_text())
        if pricing is not None:
            config["providers"]["up"]["pricing"] = pricing
        Path(env["AMUX_CONFIG"]).write_text(json.dumps(config))
        code, _, err = await amux("launch", "shell", "--with-proxy", "--", sys.executable, "-c", CLIENT,
                                  env=env, cwd=tmp_path)
        assert code == 0, err
        assert sum(r.method == "POST" for r in upstream.requests) == 2
    [record] = await sessions_json(env, tmp_path)
    return record


async def test_a_session_is_priced_by_the_model_the_upstream_reports(tmp_path):
    record = await run_priced_session(tmp_path, answer_naming("gpt-4o", 1000, 200, cached=400))
    price = table_entry("gpt-4o")
    one = (600 * price["input_cost_per_token"] + 400 * price["cache_read_input_token_cost"]
           + 200 * price["output_cost_per_token"])
    assert record["requests"] == 2 and record["input_tokens"] == 2000 and record["output_tokens"] == 400
    assert record["cached_tokens"] == 800
    assert record["cost"] == pytest.approx(2 * one)


async def test_a_providers_pricing_overrides_the_table_and_fills_unknown_models(tmp_path):
    record = await run_priced_session(tmp_path, answer_naming("gpt-4o", 1000, 200, cached=400),
                                      pricing={"input": 2.0, "output": 10.0, "cached": 0.5})
    one = (600 * 2.0 + 400 * 0.5 + 200 * 10.0) / 1e6
    assert record["cost"] == pytest.approx(2 * one)


async def test_an_unknown_model_has_no_cost_and_says_why(tmp_path):
    record = await run_priced_session(tmp_path, answer_naming("house-model-7", 100, 10))
    assert record["cost"] is None
    assert "no price for house-model-7" in record["cost_note"] and '"pricing"' in record["cost_note"]
    assert record["input_tokens"] == 200


def test_prices_wait_for_the_table_and_then_come_from_it():
    table = PriceTable(table_path())
    waiting = request_cost(["gpt-4o"], 10, 10, table=table)
    assert waiting.cost is None and not waiting.ready
    table.load()
    priced = request_cost(["nobody/unknown", "openai/gpt-4o"], 1_000_000, 0, table=table)
    assert priced.cost == pytest.approx(table_entry("gpt-4o")["input_cost_per_token"] * 1_000_000)
    assert request_cost(["gpt-4o"], 0, 0, table=table).reason == "the upstream reported no token usage"


def test_a_missing_table_is_a_reason_not_a_crash(tmp_path):
    table = PriceTable(tmp_path / "absent.json").load()
    priced = request_cost(["gpt-4o"], 10, 10, table=table)
    assert priced.cost is None and "cannot be read" in priced.reason


def test_anthropic_usage_counts_cache_reads_as_input_and_as_cached():
    event = {"type": "message_start", "message": {"model": "claude-sonnet-4-5", "usage": {
        "input_tokens": 10, "cache_read_input_tokens": 900, "cache_creation_input_tokens": 90, "output_tokens": 1}}}
    data = f"event: message_start\ndata: {json.dumps(event)}\n\n".encode()
    assert usage_from_answer(data, sse=True) == (1000, 1)
    assert details_from_answer(data, sse=True) == (900, 90, "claude-sonnet-4-5")


def test_totals_carry_cached_tokens_and_the_reason_a_cost_is_unknown():
    load_price_table()
    log = TrafficLog()
    record = log.begin(RequestRecord(route="POST /v1/chat/completions", inbound="openai-chat",
                                     cost_model="vllm/mystery"))
    record.input_tokens, record.output_tokens, record.cache_read_tokens = 50, 5, 20
    log.finish(record, status=200)
    totals = log.totals()
    assert totals.cost is None and totals.cached_tokens == 20 and "no price for vllm/mystery" in totals.cost_note
    priced = log.begin(RequestRecord(route="POST /v1/chat/completions", inbound="openai-chat",
                                     pricing=ModelPrice.per_million(1.0, 2.0)))
    priced.input_tokens, priced.output_tokens = 1_000_000, 1_000_000
    log.finish(priced, status=200)
    assert log.totals().cost == pytest.approx(3.0)


def test_cache_reads_and_writes_are_priced_at_their_rates_and_never_twice():
    load_price_table()
    price = table_entry("claude-sonnet-4-5")
    record = RequestRecord("POST /v1/messages", "anthropic-messages", cost_model="anthropic/claude-sonnet-4-5",
                           input_tokens=4312, output_tokens=5, cache_read_tokens=4000, cache_write_tokens=300)
    record.in_flight = False
    expected = (12 * price["input_cost_per_token"] + 4000 * price["cache_read_input_token_cost"]
                + 300 * price["cache_creation_input_token_cost"] + 5 * price["output_cost_per_token"])
    assert record.cost == pytest.approx(expected)
    own = ModelPrice.per_million(3.0, 15.0, cached=0.3, cache_write=3.75)
    assert own.cost(4312, 5, 4000, 300) == pytest.approx((12 * 3.0 + 4000 * 0.3 + 300 * 3.75 + 5 * 15.0) / 1e6)
    assert own.cost(100, 0, 80, 80) == pytest.approx((80 * 0.3 + 20 * 3.75) / 1e6)  # never more cached than input


def test_prices_and_model_facts_read_litellms_table_once_between_them(monkeypatch):
    from amux_tui.providers import model_table
    from amux_tui.proxy import model_facts

    reads = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: reads.append(path.name) or read_bytes(path))
    monkeypatch.setattr(model_table, "_SHARED", model_table.ModelTable())
    assert not price_table().loaded
    assert model_facts.model_info("gpt-5") is not None
    assert price_table().loaded and request_cost(["gpt-4o"], 10, 10).cost
    load_price_table()
    assert reads.count(model_table.TABLE_FILE) == 1


SLOW_CLIENT = CLIENT.replace("for _ in range(2):", "for _ in range(1):") + """
import pathlib, time
while not pathlib.Path("stop").exists():
    time.sleep(0.05)
"""


async def test_a_running_sessions_totals_reach_its_record_while_it_runs(tmp_path):
    import asyncio
    import time

    async with UpstreamServer("openai-chat", script=[answer_naming("gpt-4o", 1000, 200)], api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream)
        running = asyncio.create_task(amux("launch", "shell", "--with-proxy", "--", sys.executable, "-c",
                                           SLOW_CLIENT, env=env, cwd=tmp_path))
        deadline = time.monotonic() + 30
        record: dict = {}
        while time.monotonic() < deadline:
            listed = await sessions_json(env, tmp_path)
            record = listed[0] if listed else {}
            if record.get("requests") == 1:
                break
            await asyncio.sleep(0.2)
        assert record["state"] == "running" and record["requests"] == 1 and record["input_tokens"] == 1000
        assert record["cost"] and record["cost"] > 0
        (tmp_path / "stop").touch()
        assert (await running)[0] == 0
