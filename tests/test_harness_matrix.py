"""The support matrix is derived from the adapters and the README shows exactly it."""

import subprocess
import sys
from pathlib import Path

from amux_tui.harnesses.matrix import render_markdown, splice_readme, support_matrix
from amux_tui.providers.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent


def test_readme_block_is_in_sync():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert splice_readme(text) == text, "README's support matrix is stale: python scripts/update_readme_matrix.py"
    assert render_markdown() in text


def test_update_script_check_mode_agrees():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_readme_matrix.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_matrix_covers_every_harness_and_preset_with_known_routes():
    matrix = support_matrix()
    assert set(matrix) == {"claude", "codex", "gemini", "opencode", "qwen", "aider", "shell"}
    for row in matrix.values():
        assert set(row) == set(PRESETS)
        assert set(row.values()) <= {"native", "direct", "proxy"}
    assert matrix["claude"]["anthropic"] == "native"
    assert matrix["claude"]["openrouter"] == "proxy"
    assert matrix["codex"]["openai"] == "native"
    assert matrix["gemini"]["gemini"] == "native"
    assert matrix["opencode"]["vllm"] == "direct"
    assert matrix["qwen"]["ollama"] == "direct"
    assert matrix["shell"]["bedrock"] == "proxy"


def test_splice_replaces_only_the_block():
    text = "intro\n<!-- matrix: x -->\nold table\n<!-- /matrix -->\noutro\n"
    spliced = splice_readme(text)
    assert spliced.startswith("intro\n<!-- matrix: x -->\n| provider |")
    assert spliced.endswith("<!-- /matrix -->\noutro\n") and "old table" not in spliced
