"""Opaque reasoning tokens carried through a client that speaks another protocol.

A signature is only valid for the protocol (provider) that minted it. When a client of
protocol P receives one minted by O != P, we hand it over tagged as
``amux:<O>:<s|r>:<token>`` in P's own opaque slot (Anthropic thinking ``signature``,
Responses ``encrypted_content``); the client echoes it back verbatim, and the request
decoder untags it, so an encoder only ever sends a token to the protocol that minted it.
``r`` marks Anthropic ``redacted_thinking`` data.
"""

from __future__ import annotations

from .ir import PROTOCOLS, Protocol

_PREFIX = "amux:"


def wrap(origin: Protocol, token: str, redacted: bool = False) -> str:
    return f"{_PREFIX}{origin}:{'r' if redacted else 's'}:{token}"


def unwrap(value: str, native: Protocol) -> tuple[Protocol, str, bool]:
    """(origin, token, redacted) of a signature a ``native``-protocol client echoed."""
    if value.startswith(_PREFIX):
        parts = value.split(":", 3)
        if len(parts) == 4 and parts[1] in PROTOCOLS and parts[2] in ("r", "s"):
            return parts[1], parts[3], parts[2] == "r"  # type: ignore[return-value]
    return native, value, False


def for_client(client: Protocol, origin: Protocol, token: str, redacted: bool = False) -> str:
    """The form of ``token`` a ``client`` should see."""
    return token if origin == client else wrap(origin, token, redacted)
