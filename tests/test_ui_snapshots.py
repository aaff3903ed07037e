"""Snapshot tests: the real dashboard, driven from a fixture providers.json whose providers are
local servers (tests/fixtures/ui/world.py). Latencies, request numbers, generated ids and
timestamps are masked (display hooks of DashboardOptions) so the pictures are stable.

Update the pictures after an intended change with ``pytest tests/test_ui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui import world  # noqa: E402
from fixtures.ui.drive import (  # noqa: E402
    settled,
    steady,
    traffic_panel,
    translated_request_detail,
    two_sessions_side_by_side,
    wait_until,
)

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

SIZE = (100, 30)


@pytest.fixture(scope="module")
def servers():
    with world.fixture_servers():
        yield


@pytest.fixture
def make_app(tmp_path, servers):
    def make() -> AmuxApp:
        config = world.write_config(tmp_path)
        options = DashboardOptions(config_path=str(config), env=dict(world.ENV), detect_local=False,
                                   latency_text=world.masked_latency, traffic_text=world.masked_traffic,
                                   harness_search_path="/usr/bin:/bin")
        return AmuxApp(options)

    return make


def test_providers_with_health(make_app, snap_compare):
    """Five providers: healthy, bad key, Ollama, down, LiteLLM-only; the default one's live models."""
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settled)


def test_model_list_filtered(make_app, snap_compare):
    """The router's live models, filtered by typing into the filter box."""

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("slash", *"qwen")
        steady(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_provider_with_auth_failure_selected(make_app, snap_compare):
    """Moving to the provider whose key is refused shows why, and its configured models."""

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("down")
        await settled(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_add_provider_form_rejects_bad_base_url(make_app, snap_compare):
    """The add form validates with ProviderConfig: a base URL without http(s) is refused."""

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("a", *"groq2", "tab", *"groq", "tab", *"api.groq.com", "ctrl+s")
        steady(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_small_terminal(make_app, snap_compare):
    """80x24 still shows the table, the details and the models."""
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settled)


def test_harnesses_tab(make_app, snap_compare):
    """Harnesses: installed or not; the highlighted missing one shows its install command."""

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("ctrl+right")
        await pilot.app.workers.wait_for_complete()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_ollama_pull(make_app, snap_compare):
    """Ollama: the configured server's models; a pull streams progress into the bar until done."""

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("ctrl+right", "ctrl+right")
        app = pilot.app
        await wait_until(pilot, lambda: "answers" in str(app.screen.query_one("#ollama-status").render())
                         and app.screen.query_one("#ollama-models").row_count == 2)
        await pilot.press("p", *"tinyllama", "enter")
        await wait_until(pilot, lambda: "done" in str(app.screen.query_one("#pull-status").render())
                         and app.screen.query_one("#ollama-models").row_count == 3)
        await app.workers.wait_for_complete()
        steady(pilot)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_two_sessions_side_by_side(make_app, snap_compare):
    """Split view: a proxied and a direct session, each with its status line (tokens, cost, latency)."""
    assert snap_compare(make_app(), terminal_size=(120, 32), run_before=two_sessions_side_by_side)


def test_traffic_panel(make_app, snap_compare):
    """A proxied session's traffic panel lists its request with status, timing and tokens."""

    async def run_before(pilot):
        await traffic_panel(pilot, open_detail=False)

    assert snap_compare(make_app(), terminal_size=(120, 32), run_before=run_before)


def test_translated_request_side_by_side(make_app, snap_compare):
    """An Anthropic Messages request through the proxy to an OpenAI Chat provider: inbound, the
    translated upstream body and the response; the cache_control translation dropped is listed and
    highlighted in the inbound body."""
    assert snap_compare(make_app(), terminal_size=(120, 32), run_before=translated_request_detail)
