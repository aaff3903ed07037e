"""providers.json: models, loading, env interpolation, schema export. No UI, no network."""

from .errors import ConfigError, ConfigProblem
from .formats import API_FORMATS, ApiFormat
from .loader import LoadedConfig, default_config_path, find_config_path, load_config, parse_config
from .models import AmuxConfig, ProviderConfig
from .schema import schema_json

__all__ = [
    "API_FORMATS", "AmuxConfig", "ApiFormat", "ConfigError", "ConfigProblem", "LoadedConfig",
    "ProviderConfig", "default_config_path", "find_config_path", "load_config", "parse_config", "schema_json",
]
