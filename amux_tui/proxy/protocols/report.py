"""What a translation dropped, and what the way back needs to know.

One ``TranslationReport`` per proxied exchange: ``translate_request`` fills it and the
response side (``translate_response`` / ``StreamTranslator``) must get the *same*
object, because it carries the tool-name map that restores the client's own tool
names (Codex namespaces, names fitted to a 64-character limit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class ClientToolName:
    """How the client knows a tool the upstream knows under another name."""

    name: str
    namespace: str | None = None
    kind: Literal["function", "custom"] = "function"


@dataclass
class TranslationReport:
    """Human-readable notes on what translation dropped or could not map."""

    dropped: list[str] = field(default_factory=list)
    tool_names: dict[str, ClientToolName] = field(default_factory=dict)
    """upstream tool name -> the client's name, only for tools whose names differ."""

    def note(self, what: str) -> None:
        """Record one loss; repeats of the same note are kept once."""
        if what not in self.dropped:
            self.dropped.append(what)

    def note_untranslated(self, fields: Iterable[str]) -> None:
        """Record fields of the client's body that the decoder does not know."""
        for key in fields:
            self.note(f"field '{key}' (not translated)")

    def client_tool(self, upstream_name: str) -> ClientToolName:
        """The client's name for a tool the upstream called ``upstream_name``."""
        found = self.tool_names.get(upstream_name)
        return found if found is not None else ClientToolName(upstream_name)
