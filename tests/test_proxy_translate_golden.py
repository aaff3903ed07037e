"""Golden streams: an upstream event script and the exact client stream for every client.

Each ``tests/golden/streams/*.json`` holds one upstream script (what a provider sends)
and, under ``expected``, the client stream each other protocol's client gets, plus the
usage/stop reason the proxy records and what the report says was dropped.
Regenerate after an intended change with ``AMUX_REGEN_GOLDEN=1 pytest <this file>``
and read the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from amux_tui.proxy.protocols import ClientToolName, StreamTranslator, TranslationReport, translate
from amux_tui.proxy.protocols.codecs import CODECS
from amux_tui.proxy.protocols.sse import SSEParser, format_event

GOLDEN = Path(__file__).parent / "golden" / "streams"
SCENARIOS = sorted(GOLDEN.glob("*.json"))
REGEN = os.environ.get("AMUX_REGEN_GOLDEN") == "1"
_FRESH_ID = re.compile(r"[0-9a-f]{24}")


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def upstream_bytes(scenario: dict) -> bytes:
    sep = "\r\n\r\n" if scenario["upstream"] == "gemini" else "\n\n"
    out = []
    for item in scenario["upstream_stream"]:
        if "raw" in item:
            out.append(item["raw"])
            continue
        data = item["data"] if isinstance(item["data"], str) else json.dumps(item["data"], ensure_ascii=False)
        head = f"event: {item['event']}\n" if item.get("event") else ""
        out.append(f"{head}data: {data}{sep}")
    return "".join(out).encode()


def make_report(scenario: dict) -> TranslationReport:
    report = TranslationReport()
    for upstream_name, client in scenario.get("tool_names", {}).items():
        report.tool_names[upstream_name] = ClientToolName(**client)
    return report


def run(scenario: dict, client: str, chunks: list[bytes]) -> tuple[bytes, StreamTranslator, TranslationReport]:
    report = make_report(scenario)
    translator = StreamTranslator(
        upstream=scenario["upstream"], client=client, model="client-model", report=report,
        include_usage=scenario.get("include_usage", True),
    )  # fmt: skip
    out = b"".join(translator.feed(chunk) for chunk in chunks)
    if "fail" in scenario:
        out += translator.fail(**scenario["fail"])
    out += translator.finish()
    assert translator.finish() == b"" and translator.feed(b"data: {}\n\n") == b"", "a closed stream stays closed"
    return out, translator, report


def client_events(raw: bytes) -> list[dict]:
    """Client bytes as readable events, with fresh ids and timestamps made stable."""
    parser = SSEParser()
    events = parser.feed(raw) + parser.flush()
    names: dict[str, str] = {}

    def stable(match: re.Match) -> str:
        return names.setdefault(match.group(0), f"<id{len(names) + 1}>")

    out = []
    for ev in events:
        data_text = _FRESH_ID.sub(stable, ev.data)
        try:
            data = json.loads(data_text)
        except ValueError:
            data = data_text
        _zero_clock(data)
        out.append({"event": ev.event, "data": data} if ev.event else {"data": data})
    return out


def _zero_clock(value: object) -> None:
    if isinstance(value, dict):
        for key in ("created", "created_at"):
            if isinstance(value.get(key), int):
                value[key] = 0
        for child in value.values():
            _zero_clock(child)
    elif isinstance(value, list):
        for child in value:
            _zero_clock(child)


def observed(scenario: dict, client: str, chunks: list[bytes]) -> dict:
    raw, translator, report = run(scenario, client, chunks)
    usage = translator.usage
    return {
        "stream": client_events(raw),
        "usage": {k: getattr(usage, k) for k in ("input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens")},
        "stop_reason": translator.stop_reason,
        "dropped": report.dropped,
    }


def clients_for(scenario: dict) -> list[str]:
    return [p for p in CODECS if p != scenario["upstream"]]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_golden_stream(path: Path) -> None:
    scenario = load(path)
    whole = [upstream_bytes(scenario)]
    results = {client: observed(scenario, client, whole) for client in clients_for(scenario)}
    if REGEN:
        scenario["expected"] = results
        path.write_text(json.dumps(scenario, indent=1, ensure_ascii=False) + "\n")
    assert set(scenario["expected"]) == set(results), "golden file lacks a client: regenerate"
    for client, result in results.items():
        assert result == scenario["expected"][client], f"{path.stem} -> {client}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_passthrough_forwards_bytes_and_records_usage(path: Path) -> None:
    scenario = load(path)
    raw = upstream_bytes(scenario)
    out, translator, _ = run(scenario, scenario["upstream"], [raw])
    assert out.startswith(raw)
    some_client = clients_for(scenario)[0]
    assert translator.usage == observed_usage(scenario, some_client)


def observed_usage(scenario: dict, client: str) -> object:
    return run(scenario, client, [upstream_bytes(scenario)])[1].usage


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_one_byte_at_a_time_gives_the_same_stream(path: Path) -> None:
    scenario = load(path)
    raw = upstream_bytes(scenario)
    bytewise = [raw[i : i + 1] for i in range(len(raw))]
    for client in clients_for(scenario):
        assert observed(scenario, client, bytewise) == scenario["expected"][client]


def test_format_event_matches_golden_writer() -> None:
    assert upstream_bytes({"upstream": "openai-chat", "upstream_stream": [{"data": "[DONE]"}]}) == format_event(None, "[DONE]")
