"""A launch writes only into amux's own directories: after every adapter's session files are written
(native and direct routes, each provider type with and without a custom api_base), the user's HOME
holds nothing (amux's state and cache live elsewhere here), and each file amux wrote is owner-only."""

import json
import stat
from pathlib import Path

import pytest

from amux_tui.config.loader import load_config
from amux_tui.harnesses.errors import LaunchError
from amux_tui.harnesses.launch import cleanup_launch, prepare_launch
from amux_tui.harnesses.registry import harness_names
from amux_tui.providers.registry import ProviderRegistry

KEY = "sk-home-untouched-0123456789abcdef"
BASES = {"anthropic": "http://127.0.0.1:9/v1", "openai": "http://127.0.0.1:9/v1", "gemini": "http://127.0.0.1:9",
         "vllm": "http://127.0.0.1:9/v1"}


@pytest.mark.parametrize("custom_base", [True, False], ids=["custom-base", "preset-host"])
@pytest.mark.parametrize("provider_type", sorted(BASES))
@pytest.mark.parametrize("harness", harness_names())
async def test_a_launch_writes_nothing_into_the_users_home(tmp_path, harness, provider_type, custom_base):
    if provider_type == "vllm" and not custom_base:
        pytest.skip("a local server always has its own api_base")
    home, state = tmp_path / "home", tmp_path / "state"
    home.mkdir()
    entry = {"type": provider_type, "api_key": KEY, "default_model": "m"}
    if custom_base:
        entry["api_base"] = BASES[provider_type]
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"providers": {"gw": entry}}))
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_STATE_HOME": str(state),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    provider = ProviderRegistry.from_config(load_config(config), env).provider("gw", env)
    try:
        plan = await prepare_launch(harness, provider, "m", env=env, preflight=False, cwd=tmp_path)
    except LaunchError as exc:
        assert "proxy" in str(exc)  # only a route that needs the proxy stops here
        return
    try:
        written = [seed.path for seed in plan.files]
        assert not list(home.iterdir()), (plan.route, sorted(str(p) for p in home.rglob("*")))
        for path in written:
            assert path.is_relative_to(state) and stat.S_IMODE(path.stat().st_mode) == 0o600, path
        if plan.home is not None:
            assert stat.S_IMODE(plan.home.stat().st_mode) == 0o700
    finally:
        await cleanup_launch(plan)
