"""Providers: presets, the registry of configured/detected providers, health and model listing."""

from .presets import PRESETS, Preset, preset_for
from .registry import ProviderRegistry, SelectionError
from .resolved import ResolvedProvider, mask_secret

__all__ = ["PRESETS", "Preset", "ProviderRegistry", "ResolvedProvider", "SelectionError", "mask_secret", "preset_for"]
