"""The head of an HTTP/1.1 request, read strictly enough to relay it safely or not at all.

`read_request_head` accepts only the plain case every SDK sends: ``METHOD /target HTTP/1.1``,
token header names, visible-ASCII values, an optional decimal ``Content-Length``. Anything
else (chunked or ``Expect`` bodies, upgrades, obs-fold, percent-escapes, non-ASCII bytes,
duplicate lengths, HTTP/1.0...) returns None, and the connection goes to aiohttp, which knows
every corner of HTTP and answers in the caller's format. Being strict here is what makes the
lane small: it never has to be right about an unusual request, only to recognise one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from multidict import CIMultiDict

HEAD_LIMIT = 64 * 1024
"""Bytes a request head may take on the lane; a longer one goes to aiohttp, which takes up to
`HEADER_LIMIT` lines of `LINE_LIMIT` bytes and answers 400 past that. Agent heads stay far below."""
LINE_LIMIT = 8190
"""aiohttp's own header line limit: a longer line must get aiohttp's error, not a relay."""
HEADER_LIMIT = 128
"""aiohttp's own limit on the number of header lines."""
RELAYED_METHODS = frozenset({b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS"})
"""HEAD is left out: a HEAD answer's length headers describe a body that never comes."""

_HEADER_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?[ \t]*")
_TARGET = re.compile(rb"/[!$&'()*+,\-./0-9:;=?@A-Z_a-z~]*")
"""Origin form without ``%`` or ``#``: decoding escapes the way aiohttp's router does is aiohttp's job."""
_LANE_SHY_HEADERS = frozenset({"transfer-encoding", "expect", "upgrade", "http2-settings"})


@dataclass(slots=True)
class RequestHead:
    """One parsed request head; ``size`` counts its bytes including the blank line."""

    method: str
    path: str
    query_string: str
    headers: CIMultiDict[str]
    content_length: int
    close: bool
    """The client asked to close the connection after this answer."""
    size: int

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    @property
    def shown_target(self) -> str:
        """Path and query as aiohttp's ``request.path_qs`` shows them (``+`` in the query is a space)."""
        return f"{self.path}?{self.query_string.replace('+', ' ')}" if self.query_string else self.path

    def query(self) -> dict[str, str]:
        """The query's first value per name (as ``request.query.get`` sees it); only called when the
        target has one, and the target has no escapes to decode (`_TARGET`)."""
        values: dict[str, str] = {}
        for name, value in self.query_items():
            values.setdefault(name, value)
        return values

    def query_items(self) -> list[tuple[str, str]]:
        """Every (name, value) of the query, in order, ``+`` read as a space."""
        return [(name.replace("+", " "), value.replace("+", " "))
                for name, _, value in (pair.partition("=") for pair in self.query_string.split("&") if pair)]


def read_request_head(buffer: bytes | bytearray, end: int, max_body: int) -> RequestHead | None:
    """The head ending at ``buffer[end:end + 4] == b"\\r\\n\\r\\n"``, or None when the lane must not relay it."""
    lines = bytes(buffer[:end]).split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[2] != b"HTTP/1.1" or parts[0] not in RELAYED_METHODS:
        return None
    if len(lines[0]) > LINE_LIMIT or len(lines) - 1 > HEADER_LIMIT or not _TARGET.fullmatch(parts[1]):
        return None
    path = parts[1].split(b"?", 1)[0]
    if b"//" in path or b"/./" in path or b"/../" in path or path.endswith((b"/.", b"/..")):
        return None  # aiohttp normalizes such paths before routing
    headers: CIMultiDict[str] = CIMultiDict()
    content_length: int | None = None
    close = False
    for line in lines[1:]:
        found = _HEADER_LINE.fullmatch(line) if len(line) <= LINE_LIMIT else None
        if found is None:
            return None
        name = found.group(1).decode("ascii")
        value = (found.group(2) or b"").decode("ascii")
        lowered = name.lower()
        if lowered in _LANE_SHY_HEADERS:
            return None
        if lowered == "content-length":
            if content_length is not None or not value.isdigit() or len(value) > 18:
                return None
            content_length = int(value)
        elif lowered == "connection":
            tokens = {token.strip().lower() for token in value.split(",")}
            if "upgrade" in tokens:
                return None
            close = close or "close" in tokens
        headers.add(name, value)
    if content_length is not None and content_length > max_body:
        return None  # aiohttp answers 413 in the caller's format
    if "host" not in headers:
        return None  # HTTP/1.1 requires it; aiohttp answers 400
    path, _, query_string = parts[1].decode("ascii").partition("?")
    return RequestHead(parts[0].decode("ascii"), path, query_string, headers, content_length or 0, close, end + 4)


_EXPECT_LINE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*([^\r\n]*?)[ \t]*(?=\r\n)", re.IGNORECASE)


def refused_expectation(buffer: bytes | bytearray, end: int) -> tuple[str, str] | None:
    """(path, expectation) when the head asks for something other than ``100-continue``: the lane answers
    417 itself, since aiohttp's own expect handler fails with a 500 on a value that is not UTF-8."""
    head = bytes(buffer[:end + 2])
    found = _EXPECT_LINE.search(head)
    if found is None or found.group(1).lower() == b"100-continue":
        return None
    request_line = head.split(b"\r\n", 1)[0].split(b" ")
    path = request_line[1].decode("latin-1") if len(request_line) > 1 else "/"
    return path, found.group(1).decode("ascii", "backslashreplace")
