"""The bundled list of LiteLLM provider prefixes must not name anything LiteLLM no longer routes."""

from amux_tui.providers.litellm_bridge import litellm_provider_names
from amux_tui.providers.litellm_names import KNOWN_LITELLM_PROVIDERS
from amux_tui.providers.presets import PRESETS


def test_bundled_names_are_all_known_to_the_installed_litellm():
    stale = KNOWN_LITELLM_PROVIDERS - litellm_provider_names()
    assert not stale, f"remove from litellm_names.py (LiteLLM dropped them): {sorted(stale)}"


def test_presets_reach_litellm_by_a_prefix_it_knows():
    for preset in PRESETS.values():
        assert preset.litellm_prefix in KNOWN_LITELLM_PROVIDERS, preset.type


def test_agent_protocols_are_not_transports():
    assert "a2a" not in litellm_provider_names() and "a2a" not in KNOWN_LITELLM_PROVIDERS
