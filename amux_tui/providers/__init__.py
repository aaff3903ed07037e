"""Providers: presets, the registry of configured/detected providers, health and model listing.

The names below are loaded on first use (PEP 562): importing ``providers.resolved`` or
``providers.presets`` alone stays free of the registry and the config models (pydantic).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

_EXPORTS = {
    "PRESETS": "presets", "Preset": "presets", "preset_for": "presets",
    "ProviderRegistry": "registry", "SelectionError": "registry",
    "ResolvedProvider": "resolved", "mask_secret": "resolved",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .presets import PRESETS, Preset, preset_for
    from .registry import ProviderRegistry, SelectionError
    from .resolved import ResolvedProvider, mask_secret


__getattr__ = lazy_exports(__name__, _EXPORTS)
