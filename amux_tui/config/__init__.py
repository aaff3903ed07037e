"""providers.json: models, loading, env interpolation, schema export. No UI, no network.

The names below are loaded on first use (PEP 562), so importing a light submodule such as
``config.formats``, ``config.env`` or ``config.errors`` does not import pydantic: the dashboard
paints its first frame before the models are built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

_EXPORTS = {
    "ConfigError": "errors", "ConfigProblem": "errors",
    "API_FORMATS": "formats", "ApiFormat": "formats",
    "LoadedConfig": "loader", "default_config_path": "loader", "find_config_path": "loader",
    "load_config": "loader", "parse_config": "loader",
    "AmuxConfig": "models", "ProviderConfig": "models",
    "schema_json": "schema",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .errors import ConfigError, ConfigProblem
    from .formats import API_FORMATS, ApiFormat
    from .loader import LoadedConfig, default_config_path, find_config_path, load_config, parse_config
    from .models import AmuxConfig, ProviderConfig
    from .schema import schema_json


__getattr__ = lazy_exports(__name__, _EXPORTS)
