"""The support matrix (harness x provider preset -> native / direct / proxy), derived from the
adapters' data by the same `decide_route` that launches use, so it cannot drift from behaviour."""

from __future__ import annotations

from typing import Literal

from ..providers.presets import PRESETS, Preset
from ..providers.resolved import ResolvedProvider
from .registry import ADAPTERS
from .resolve import decide_route

Support = Literal["native", "direct", "proxy"]
LEGEND = {
    "native": "the harness reaches the provider by itself (your own login or key); a setting it cannot carry "
              "(e.g. a custom api_base) makes the route direct or proxy, and amux names it",
    "direct": "the harness speaks the provider's API: run directly, no proxy",
    "proxy": "through amux's translation proxy (--with-proxy-if-needed)",
}


def preset_provider(preset: Preset) -> ResolvedProvider:
    return ResolvedProvider(name=preset.type, type=preset.type, api_base=preset.api_base,
                            api_formats=preset.api_formats, litellm_prefix=preset.litellm_prefix,
                            local=preset.local, source="dynamic")


def support_matrix() -> dict[str, dict[str, Support]]:
    """{harness: {preset type: support}} in registry and preset order."""
    return {
        name: {ptype: decide_route(adapter, preset_provider(preset), "if-needed").route
               for ptype, preset in PRESETS.items()}
        for name, adapter in ADAPTERS.items()
    }


def render_markdown() -> str:
    """The README table: one row per provider preset, one column per harness."""
    matrix = support_matrix()
    harnesses = list(matrix)
    lines = ["| provider | " + " | ".join(f"`{h}`" for h in harnesses) + " |",
             "|---|" + "---|" * len(harnesses)]
    for ptype, preset in PRESETS.items():
        cells = [matrix[h][ptype] for h in harnesses]
        lines.append(f"| {preset.label} (`{ptype}`) | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- **{name}**: {text}" for name, text in LEGEND.items()]
    return "\n".join(lines) + "\n"


def render_text() -> str:
    """The same table for a terminal."""
    matrix = support_matrix()
    harnesses = list(matrix)
    width = max(len(p) for p in PRESETS) + 2
    col = max(8, *(len(h) + 2 for h in harnesses))
    rows = ["".ljust(width) + "".join(h.ljust(col) for h in harnesses)]
    for ptype in PRESETS:
        rows.append(ptype.ljust(width) + "".join(matrix[h][ptype].ljust(col) for h in harnesses))
    rows.append("")
    rows += [f"{name}: {text}" for name, text in LEGEND.items()]
    return "\n".join(rows) + "\n"


README_START = "<!-- matrix:"
README_END = "<!-- /matrix -->"


def splice_readme(text: str) -> str:
    """``text`` (the README) with the generated table between its matrix markers."""
    start = text.find(README_START)
    end = text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {README_START} ... {README_END} block")
    start_line_end = text.index("\n", start) + 1
    return text[:start_line_end] + render_markdown() + text[end:]
