"""One IR message per turn: consecutive messages of the same role are merged, parts in order.

google-genai's chat keeps one ``model`` entry per streamed chunk, and other clients split a
turn too; a chat or Anthropic provider would otherwise see one assistant message per chunk.
"""

from __future__ import annotations

from . import ir


def merge_turns(req: ir.Request) -> None:
    merged: list[ir.Message] = []
    for message in req.messages:
        if merged and merged[-1].role == message.role:
            merged[-1].parts.extend(message.parts)
        else:
            merged.append(message)
    req.messages = merged
