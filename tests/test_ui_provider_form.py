"""The dashboard's Add-provider form, driven by keys: it validates the whole resulting providers.json
with the loader's models and type check, shows the problems inline, never writes an invalid file,
and asks before replacing a provider of the same name."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import wait_until  # noqa: E402
from fixtures.ui.screen_text import screen_text  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

SIZE = (110, 32)
CONFIG = {"version": 1, "default_provider": "local",
          "providers": {"local": {"type": "ollama", "api_base": "http://127.0.0.1:1/v1", "models": ["m"]}}}


def make_app(tmp_path: Path) -> tuple[AmuxApp, Path]:
    path = tmp_path / "providers.json"
    path.write_text(json.dumps(CONFIG, indent=2))
    env = {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    return AmuxApp(DashboardOptions(config_path=str(path), env=env, detect_local=False,
                                    harness_search_path="/usr/bin:/bin")), path


async def open_form(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.query("#provider-table"), what="the providers table")
    await pilot.press("a")
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ProviderFormScreen", what="the form")


async def test_unknown_type_is_shown_inline_with_did_you_mean_and_nothing_is_written(tmp_path):
    app, path = make_app(tmp_path)
    before = path.read_text()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await pilot.press(*"router", "tab", *"opnrouter", "ctrl+s")
        await pilot.pause()
        form = app.screen
        assert type(form).__name__ == "ProviderFormScreen", "an invalid provider must keep the form open"
        text = screen_text(app)
        assert "unknown provider type 'opnrouter'" in text and "'openrouter'" in text
        assert form.query_one("#type").has_class("-invalid")
        assert form.focused is form.query_one("#type")
    assert path.read_text() == before
    assert not (tmp_path / "providers.json.bak").exists()


async def test_malformed_key_reference_is_refused(tmp_path):
    app, path = make_app(tmp_path)
    before = path.read_text()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await pilot.press(*"router", "tab", *"openrouter", "tab", "tab", *"${OPENROUTER_API_KEY", "ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "ProviderFormScreen"
        assert app.screen.query_one("#api_key").has_class("-invalid")
    assert path.read_text() == before


async def test_an_existing_name_asks_before_replacing(tmp_path):
    app, path = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await pilot.press(*"local", "tab", *"lmstudio", "ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the replace question")
        assert "already exists" in screen_text(app)
        await pilot.press("n")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ProviderFormScreen", what="back to the form")
        assert json.loads(path.read_text())["providers"]["local"]["type"] == "ollama"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the question again")
        await pilot.press("y")
        await wait_until(pilot, lambda: json.loads(path.read_text())["providers"]["local"]["type"] == "lmstudio",
                         what="the replaced provider on disk")


async def test_a_literal_key_makes_the_file_private_and_the_form_says_so(tmp_path):
    import os

    app, path = make_app(tmp_path)
    path.chmod(0o644)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await pilot.press(*"router", "tab", *"openrouter", "tab", "tab", *"sk-or-literal-0123456789", "ctrl+s")
        await wait_until(pilot, lambda: "router" in json.loads(path.read_text())["providers"], what="the save")
        await wait_until(pilot, lambda: any("0600" in n.message for n in app._notifications),
                         what="the notice about the file's mode")
    assert os.stat(path).st_mode & 0o777 == 0o600


async def test_unticking_default_provider_when_editing_the_default_takes_it_away(tmp_path):
    app, path = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: pilot.app.screen.query("#provider-table"), what="the providers table")
        await pilot.press("e")  # the highlighted (only) provider: local, the default
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ProviderFormScreen", what="the form")
        form = app.screen
        assert form.query_one("#make_default").value
        await pilot.press("tab", "tab", "tab", "tab", "tab", "tab")  # type → ... → the default checkbox
        assert form.focused is form.query_one("#make_default")
        await pilot.press("space", "ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen", what="the form closed")
        await wait_until(pilot, lambda: "default_provider" not in json.loads(path.read_text()), what="no default")
    assert json.loads(path.read_text())["providers"]["local"]["type"] == "ollama"


async def test_editing_starts_from_the_file_as_it_is_now_not_as_the_dashboard_first_read_it(tmp_path):
    """Hand edits made while the dashboard is open (here: params, which the form does not show) survive
    a save from the form."""
    app, path = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: pilot.app.screen.query("#provider-table"), what="the providers table")
        edited = json.loads(path.read_text())
        edited["providers"]["local"]["params"] = {"extra_headers": {"X-Team": "ml"}}
        edited["providers"]["local"]["small_model"] = "m-small"
        path.write_text(json.dumps(edited))  # in an editor, after the dashboard read the file
        await pilot.press("e")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ProviderFormScreen", what="the form")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen", what="the form closed")
        await wait_until(pilot, lambda: (tmp_path / "providers.json.bak").exists(), what="the save")
    local = json.loads(path.read_text())["providers"]["local"]
    assert local["params"] == {"extra_headers": {"X-Team": "ml"}} and local["small_model"] == "m-small"


async def test_every_problem_is_listed_at_once_the_type_with_a_bad_url(tmp_path):
    app, path = make_app(tmp_path)
    before = path.read_text()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await pilot.press(*"router", "tab", *"opnrouter", "tab", *"api.example.com", "ctrl+s")
        await pilot.pause()
        form = app.screen
        assert type(form).__name__ == "ProviderFormScreen"
        text = screen_text(app)
        assert "unknown provider type 'opnrouter'" in text and "http://" in text, text
        assert form.query_one("#type").has_class("-invalid") and form.query_one("#api_base").has_class("-invalid")
        assert form.focused is form.query_one("#type")
        await pilot.press("tab", "tab")  # moving on does not unmark a field: only editing it does
        await pilot.pause()
        assert form.query_one("#type").has_class("-invalid") and form.query_one("#api_base").has_class("-invalid")
        await pilot.press("shift+tab", "x")
        await pilot.pause()
        assert form.query_one("#type").has_class("-invalid") and not form.query_one("#api_base").has_class("-invalid")
    assert path.read_text() == before
