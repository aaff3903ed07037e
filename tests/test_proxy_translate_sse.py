"""The incremental SSE parser and writer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from amux_tui.proxy.protocols.sse import SSEEvent, SSEParser, format_event


def parse_all(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    return events + parser.flush()


def test_event_names_data_and_comments() -> None:
    stream = b": keep-alive\n\nevent: ping\ndata: {}\n\nevent: message_start\ndata: {\"a\":1}\n\ndata: [DONE]\n\n"
    assert parse_all([stream]) == [
        SSEEvent("ping", "{}"),
        SSEEvent("message_start", '{"a":1}'),
        SSEEvent(None, "[DONE]"),
    ]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert parse_all([b"data: one\ndata: two\ndata:three\n\n"]) == [SSEEvent(None, "one\ntwo\nthree")]


def test_crlf_and_cr_line_endings() -> None:
    # Gemini ends events with CRLF CRLF; old servers use bare CR
    assert parse_all([b"data: a\r\n\r\ndata: b\r\rdata: c\n\n"]) == [
        SSEEvent(None, "a"),
        SSEEvent(None, "b"),
        SSEEvent(None, "c"),
    ]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    assert parse_all([b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"]) == [SSEEvent(None, "a"), SSEEvent(None, "b")]


def test_multibyte_character_split_inside() -> None:
    raw = "data: {\"t\":\"héllo 🌍\"}\n\n".encode()
    cut = raw.index("🌍".encode()) + 2
    assert parse_all([raw[:cut], raw[cut:]]) == [SSEEvent(None, '{"t":"héllo 🌍"}')]


def test_event_without_final_blank_line_is_delivered_by_flush() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: last") == []
    assert parser.flush() == [SSEEvent(None, "last")]


def test_field_without_colon_and_without_space() -> None:
    assert parse_all([b"data\n\nevent:x\ndata:y\n\n"]) == [SSEEvent(None, ""), SSEEvent("x", "y")]


def test_empty_chunks_change_nothing() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"") == []
    assert parser.feed(b"\n\n") == [SSEEvent(None, "a")]


def test_format_event() -> None:
    assert format_event("message_stop", '{"type":"message_stop"}') == b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    assert format_event(None, "[DONE]") == b"data: [DONE]\n\n"
    assert format_event(None, "a\nb") == b"data: a\ndata: b\n\n"


events_strategy = st.lists(
    st.tuples(
        st.one_of(st.none(), st.text(alphabet="abc_.", min_size=1, max_size=8)),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30),
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(events=events_strategy, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8), crlf=st.booleans())
def test_writer_output_parses_back_whatever_the_splits(events, cuts, crlf) -> None:
    raw = b"".join(format_event(name, data) for name, data in events)
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    points = sorted({min(c, len(raw)) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)])]
    assert parse_all(chunks) == [SSEEvent(name, data) for name, data in events]
