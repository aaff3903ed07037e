#!/usr/bin/env python3
"""Write the caller x provider fidelity table into docs/provider-mux.md from the SDK tests' results.

    python scripts/update_fidelity_table.py          # run tests/test_proxy_sdk_matrix.py, rewrite the table
    python scripts/update_fidelity_table.py --check  # exit 1 when the docs disagree with a fresh run

The tests (the official SDKs against local recording upstreams) write each cell they checked to
the JSON file named by ``AMUX_SDK_RESULTS``: ✓, or the loss `tests/sdk_fidelity.py` documents.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from amux_tui.proxy.protocols import PROTOCOLS  # noqa: E402
from generated_block import write_or_check  # noqa: E402
from sdk_fidelity import DOCS, load, render, splice  # noqa: E402


def run_tests(results: Path) -> None:
    env = {**os.environ, "AMUX_SDK_RESULTS": str(results)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_proxy_sdk_matrix.py",
               "--deselect", "tests/test_proxy_sdk_matrix.py::test_the_docs_table_agrees_with_this_run"]
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"the SDK tests failed (exit {done.returncode}): fix them before writing the table")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "sdk-results.json"
        run_tests(results)
        table = render(PROTOCOLS, load(results))
    return write_or_check(DOCS, "docs/provider-mux.md", splice(DOCS.read_text(encoding="utf-8"), table),
                          "fidelity table", "scripts/update_fidelity_table.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
