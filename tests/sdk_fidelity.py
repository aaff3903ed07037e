"""The caller x provider fidelity table of docs/provider-mux.md, filled by the SDK tests.

Each SDK case (`test_proxy_sdk_matrix.py`) checks some aspects of one pair and hands them to
`record_cells`: an aspect that fails is a test failure unless `KNOWN_LOSSES` documents it,
and then the table shows the loss instead of ✓. `render` writes the table from the recorded
cells; `scripts/update_fidelity_table.py` runs the SDK tests and splices it into the docs, and
the matrix's last test checks that the docs agree with what this run observed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

ASPECTS = ("request", "text", "tools", "parallel tools", "thinking", "usage", "stop reason", "stream grammar",
           "errors", "SDK")
END = {"anthropic-messages": "end_turn", "openai-chat": "stop", "openai-responses": "completed", "gemini": "STOP"}
TOOL = {"anthropic-messages": "tool_use", "openai-chat": "tool_calls", "openai-responses": "completed", "gemini": "STOP"}
SHORT = {"anthropic-messages": "Anthropic", "openai-chat": "Chat", "openai-responses": "Responses", "gemini": "Gemini"}

_NO_SLOT = "shown; the provider's reasoning token is not carried back (the caller's protocol has no slot)"
KNOWN_LOSSES: dict[tuple[str, str, str], str] = {
    ("openai-chat", "anthropic-messages", "thinking"): _NO_SLOT,
    ("gemini", "anthropic-messages", "thinking"): _NO_SLOT,
    ("openai-chat", "openai-responses", "thinking"): _NO_SLOT,
    ("gemini", "openai-responses", "thinking"): _NO_SLOT,
    ("openai-chat", "gemini", "thinking"): "shown; function-call signatures are not carried back (Google's placeholder goes instead)",
    **{("anthropic-messages", provider, "usage"): "reasoning tokens not counted apart (Anthropic's usage has no field)"
       for provider in ("openai-chat", "openai-responses", "gemini")},
}
"""(caller, provider, aspect) -> the loss the docs state; the case may fail on that aspect only."""

START, END_MARK = "<!-- fidelity-table:start -->", "<!-- fidelity-table:end -->"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "provider-mux.md"

RESULTS: dict[tuple[str, str, str], list[str]] = {}
"""(caller, provider, aspect) -> failures seen this run (empty: ✓)."""


class Cells:
    """The aspects one case checked, and what failed."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}

    def check(self, aspect: str, ok: bool, detail: str = "") -> None:
        assert aspect in ASPECTS, aspect
        failures = self.seen.setdefault(aspect, [])
        if not ok:
            failures.append(detail)


def record_cells(caller: str, provider: str, cells: Cells) -> None:
    """Keep the case's cells for the table; fail on a loss the docs do not state."""
    undocumented = []
    for aspect, failures in cells.seen.items():
        RESULTS.setdefault((caller, provider, aspect), []).extend(failures)
        if failures and (caller, provider, aspect) not in KNOWN_LOSSES:
            undocumented.append(f"{aspect}: {'; '.join(failures)}")
    assert not undocumented, f"{caller} <- {provider}: " + " | ".join(undocumented)
    RESULTS.setdefault((caller, provider, "SDK"), [])  # every case that got here ran without a client-side exception


def cell(caller: str, provider: str, aspect: str, results: dict[tuple[str, str, str], list[str]]) -> str:
    failures = results.get((caller, provider, aspect))
    if failures is None:
        return "–"
    return KNOWN_LOSSES[(caller, provider, aspect)] if failures else "✓"


def render(protocols: tuple[str, ...], results: dict[tuple[str, str, str], list[str]]) -> str:
    """The markdown table: one row per caller <- provider pair, one column per aspect."""
    lines = ["| caller ← provider | " + " | ".join(ASPECTS) + " |", "|---|" + "---|" * len(ASPECTS)]
    for caller in protocols:
        for provider in protocols:
            name = f"{SHORT[caller]} ← {SHORT[provider]}" + (" (relayed)" if caller == provider else "")
            lines.append(f"| {name} | " + " | ".join(cell(caller, provider, a, results) for a in ASPECTS) + " |")
    return "\n".join(lines)


def splice(text: str, table: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END_MARK), re.S)
    if not pattern.search(text):
        raise ValueError(f"{DOCS.name} lacks the {START} … {END_MARK} markers")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END_MARK}", text)


def documented_cells(text: str) -> dict[tuple[str, str], str]:
    """(row name, aspect) -> cell text, read back from the docs' table."""
    block = text.split(START, 1)[1].split(END_MARK, 1)[0].strip().splitlines()
    out = {}
    for line in block[2:]:
        values = [v.strip() for v in line.strip().strip("|").split("|")]
        out.update({(values[0], aspect): value for aspect, value in zip(ASPECTS, values[1:])})
    return out


def save(results: dict[tuple[str, str, str], list[str]]) -> None:
    """Write this run's cells where ``AMUX_SDK_RESULTS`` says (the docs script reads them)."""
    target = os.environ.get("AMUX_SDK_RESULTS")
    if target:
        Path(target).write_text(json.dumps([[*key, failures] for key, failures in sorted(results.items())], indent=1))


def load(path: Path) -> dict[tuple[str, str, str], list[str]]:
    return {(c, p, a): failures for c, p, a, failures in json.loads(path.read_text())}


def sdk_error_status(caller: str, exc: BaseException) -> int | None:
    """The HTTP status the caller's SDK reports for an upstream failure; anything else that the
    SDK raised (a parse error, a validation error: a client-side exception) is re-raised."""
    if caller == "gemini":
        from google.genai import errors

        if isinstance(exc, errors.APIError):
            return exc.code
    elif caller == "anthropic-messages":
        import anthropic

        if isinstance(exc, anthropic.APIError):
            return getattr(exc, "status_code", None)
    else:
        import openai

        if isinstance(exc, openai.APIError):
            return getattr(exc, "status_code", None)
    raise exc
