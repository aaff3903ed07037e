"""Aligned text tables and terminal-safe writing for the providers room's commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from ..config.problems import printable


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell, two spaces apart; None shows as "-"."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[index]) for row in cells]) for index, header in enumerate(headers)]
    lines = []
    for row in [list(headers)] + cells:
        line = "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True))
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def write(text: str, stream: TextIO | None = None) -> None:
    """Write even to a terminal whose encoding cannot show every character (e.g. the … in masked keys)."""
    stream = stream or sys.stdout
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = stream.encoding or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding))
    stream.flush()


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return printable(str(value))
