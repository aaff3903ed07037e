"""The end of every script that writes a generated block into a document: with ``--check``, say
whether the file is stale (exit 1, naming the script to run); otherwise write the new text if it changed."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(path: Path, shown: str, updated: str, what: str, script: str, argv: list[str]) -> int:
    """``shown``: the file as messages name it; ``what``: the block (\"support matrix\"); ``script``: what
    rewrites it."""
    text = path.read_text(encoding="utf-8")
    if "--check" in argv:
        if updated != text:
            print(f"{shown}'s {what} is stale: run python {script}", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        path.write_text(updated, encoding="utf-8")
        print(f"{shown}: {what} updated")
    return 0
