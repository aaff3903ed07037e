"""The core must run with no UI and start fast: importing it never pulls in Textual or LiteLLM."""

import json
import subprocess
import sys

CORE_MODULES = [
    "amux_tui",
    "amux_tui.config",
    "amux_tui.providers",
    "amux_tui.harnesses",
    "amux_tui.proxy",
    "amux_tui.terminal",
    "amux_tui.cli",
]


def _modules_after_import(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_core_never_imports_textual():
    imports = "\n".join(f"import {name}" for name in CORE_MODULES)
    loaded = _modules_after_import(imports)
    assert "textual" not in loaded
    assert not any(name.startswith("textual.") for name in loaded)


def test_core_import_does_not_import_litellm():
    imports = "\n".join(f"import {name}" for name in CORE_MODULES)
    loaded = _modules_after_import(imports)
    assert "litellm" not in loaded


def test_cli_help_imports_neither_litellm_nor_textual():
    loaded = _modules_after_import(
        "import contextlib, io\nfrom amux_tui import cli\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['--help'])"
    )
    assert "litellm" not in loaded
    assert "textual" not in loaded
