"""The dashboard starts without LiteLLM: a real app run (headless, in a fresh interpreter) paints its
first frame, and by then - and after the providers were probed - 'litellm' is not in sys.modules."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent("""
    import asyncio, sys
    from amux_tui.ui.app import AmuxApp
    from amux_tui.ui.options import DashboardOptions

    async def main():
        app = AmuxApp(DashboardOptions(config_path=sys.argv[1], env={"PATH": "/usr/bin:/bin"}, detect_local=False))
        async with app.run_test(size=(80, 24)) as pilot:
            at_mount = "litellm" in sys.modules
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            print(at_mount, "litellm" in sys.modules, app.screen.query_one("#provider-table").row_count)

    asyncio.run(main())
""")


def test_litellm_is_not_imported_by_the_dashboard(tmp_path: Path):
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"version": 1, "providers": {
        "local": {"type": "openai", "api_base": "http://127.0.0.1:9/v1", "models": ["m"]},
        "bedrock": {"type": "bedrock", "models": ["anthropic.claude-sonnet-4"]},  # a LiteLLM-only provider
    }}))
    result = subprocess.run([sys.executable, "-c", PROBE, str(config)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    at_mount, after_probes, rows = result.stdout.split()
    assert (at_mount, after_probes, rows) == ("False", "False", "2")


def test_first_paint_hook_writes_a_timestamp(tmp_path: Path):
    """The hook bench/dashboard.py relies on: AMUX_FIRST_PAINT_FILE gets the time of the first frame
    (painted before pydantic is imported: providers.json is read just after it), then the time the
    providers are listed, then the time the session records are read, and the app exits."""
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"version": 1, "providers": {
        "local": {"type": "openai", "api_base": "http://127.0.0.1:9/v1", "models": ["m"]}}}))
    marker = tmp_path / "painted"
    code = ("import sys\nfrom amux_tui.ui.app import AmuxApp\nfrom amux_tui.ui.options import DashboardOptions\n"
            f"app = AmuxApp(DashboardOptions(config_path={str(config)!r}, env={{}}, detect_local=False,"
            f" first_paint_file={str(marker)!r}))\napp.run(headless=True, size=(80, 24))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (painted, *first), (listed, *second), (recorded, *third) = (line.split() for line in marker.read_text().splitlines())
    first, second, third = (dict(field.split("=") for field in fields) for fields in (first, second, third))
    assert (first["litellm"], first["pydantic"], second["providers"], third["records"]) == ("False", "False", "1", "0")
    assert float(recorded) >= float(listed) >= float(painted) > 0 and float(second["cpu"]) >= float(first["cpu"]) > 0
