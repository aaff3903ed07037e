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
from generated_block import write_or_check  # noqa: E402


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    return write_or_check(readme, "README.md", splice_readme(readme.read_text(encoding="utf-8")), "support matrix",
                          "scripts/update_readme_matrix.py", argv)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
