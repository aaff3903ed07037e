#!/usr/bin/env python3
"""Write the harness x provider support matrix into README.md (between its matrix markers).

    python scripts/update_readme_matrix.py          # rewrite the block
    python scripts/update_readme_matrix.py --check  # exit 1 when the README is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amux_tui.harnesses.matrix import splice_readme  # noqa: E402


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = splice_readme(text)
    if "--check" in argv:
        if updated != text:
            print("README.md's support matrix is stale: run python scripts/update_readme_matrix.py", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
        print("README.md: support matrix updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
