"""The provider registry: configured providers, presets detected from the environment, and
dynamic LiteLLM prefixes, resolved into `ResolvedProvider`s."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..config.env import MissingEnvVar, interpolate, interpolate_tree, referenced_vars
from ..config.urls import api_base_problem
from ..config.errors import ConfigError, ConfigProblem
from ..config.overrides import deep_merge
from .litellm_names import KNOWN_LITELLM_PROVIDERS
from .presets import PRESETS, Preset, preset_for
from .prices import ModelPrice
from .resolved import ResolvedProvider, mask_url, without_userinfo

if TYPE_CHECKING:  # the config models (pydantic) load with the config, not with this module
    from ..config.loader import LoadedConfig
    from ..config.models import AmuxConfig, ProviderConfig


class SelectionError(ValueError):
    """A provider or model selection that cannot be satisfied; the message says what to do."""


class ProviderRegistry:
    """All providers amux knows of, by name, in a stable order (configured first)."""

    def __init__(self, providers: Iterable[ResolvedProvider], *, default_provider: str | None = None,
                 source: str = "<config>"):
        self._providers: dict[str, ResolvedProvider] = {}
        for provider in providers:
            self._providers.setdefault(provider.name, provider)
        self.default_provider = default_provider
        self.source = source

    @classmethod
    def from_config(cls, loaded: LoadedConfig | AmuxConfig, env: Mapping[str, str] | None = None) -> ProviderRegistry:
        """Configured providers plus every preset whose key variable is set in ``env``.

        Local servers (Ollama, LM Studio...) are added by `amux_tui.providers.detect`, which probes them.
        """
        from ..config.loader import LoadedConfig

        env = os.environ if env is None else env
        config = loaded.config if isinstance(loaded, LoadedConfig) else loaded
        source = str(loaded.path) if isinstance(loaded, LoadedConfig) and loaded.path else "<no config file>"
        check_types(config, source)
        providers = [resolve_configured(name, entry, env) for name, entry in config.providers.items()]
        _check_interpolated_bases(config, providers, source)
        configured_types = {p.type for p in providers}
        for preset in PRESETS.values():
            if preset.local or preset.type in configured_types or preset.type in config.providers:
                continue
            key_var = next((var for var in preset.key_env + preset.detect_env if env.get(var)), None)
            if key_var:
                providers.append(_from_preset(preset, env, source="env"))
        registry = cls(providers, default_provider=config.default_provider, source=source)
        if config.default_provider and config.default_provider not in registry and not preset_for(config.default_provider):
            raise ConfigError(source, [ConfigProblem(
                "default_provider", f"{config.default_provider!r} is not a configured provider",
                f"use one of: {', '.join(registry.names()) or '(none configured)'}")])
        return registry

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def __iter__(self):
        return iter(self._providers.values())

    def __len__(self) -> int:
        return len(self._providers)

    def names(self) -> list[str]:
        return list(self._providers)

    def get(self, name: str) -> ResolvedProvider | None:
        return self._providers.get(name)

    def add(self, provider: ResolvedProvider) -> None:
        """Add a provider found later (a detected local server); a configured one of that name wins."""
        self._providers.setdefault(provider.name, provider)

    def provider(self, name: str, env: Mapping[str, str] | None = None) -> ResolvedProvider:
        """A provider by name: configured, detected, or a preset used ad hoc (``--provider groq``)."""
        if name in self._providers:
            return self._providers[name]
        preset = preset_for(name)
        if preset is not None:
            return _from_preset(preset, os.environ if env is None else env, source="dynamic")
        if _is_litellm_provider(name):
            return ResolvedProvider(name=name, type=name, api_base=None, api_formats=(), litellm_prefix=name, source="dynamic")
        raise SelectionError(_unknown(name, self.names() + list(PRESETS)))

    def model_prefix(self, model: str | None) -> str | None:
        """The provider that ``prefix/model`` names (a configured name, a preset, any LiteLLM provider), else
        None: "org/model" is then a model name for the chosen provider (vLLM, OpenRouter). SelectionError for
        a near miss of a name amux knows ("opnrouter/..."), or when there is no provider to hand it to."""
        if not model or "/" not in model:
            return None
        prefix = model.split("/", 1)[0]
        if prefix in self._providers or preset_for(prefix) or _is_litellm_provider(prefix):
            return prefix
        if (not self._providers and not self.default_provider) or _close_names(prefix, self.names() + list(PRESETS)):
            raise SelectionError(_unknown(prefix, self.names() + list(PRESETS)))
        return None

    def select(self, provider: str | None, model: str | None, *, params: Mapping[str, Any] | None = None,
               env: Mapping[str, str] | None = None, require_model: bool = True) -> tuple[ResolvedProvider, Any]:
        """Resolve what the user asked for into a provider and a model name for it.

        ``--model prefix/model`` without ``--provider`` picks the provider by prefix: a configured name,
        a preset, or any LiteLLM provider (passed to LiteLLM as is). ``params`` (from ``--provider-arg``)
        are merged over the provider's own. ``require_model=False`` returns the model as given (None
        when not given): `amux launch` chooses one itself (`providers.defaults`).
        """
        if provider is None and model and (prefix := self.model_prefix(model)) is not None:
            provider, model = prefix, model.split("/", 1)[1]
        if provider is None:
            provider = self.default_provider or (self.names()[0] if len(self) else None)
        if provider is None:
            raise SelectionError(
                "no provider configured or detected: set a key such as ANTHROPIC_API_KEY or OPENAI_API_KEY, "
                "start Ollama, or add one to providers.json (see docs/amux-provider-config.md)")
        resolved = self.provider(provider, env)
        if require_model:
            model = model or resolved.default_model or (resolved.models[0] if resolved.models else None)
        if not model and require_model:
            raise SelectionError(f"provider {resolved.name!r} has no default model: pass --model "
                                 f"(amux models {resolved.name} lists them)")
        if params:
            resolved = replace(resolved, params=deep_merge(resolved.params, dict(params)))
        return resolved, model


def check_types(config: AmuxConfig, source: str) -> None:
    """Every configured ``type`` must be a preset or a LiteLLM provider prefix."""
    problems = []
    for name, entry in config.providers.items():
        if preset_for(entry.type) is None and not _is_litellm_provider(entry.type):
            # A preset first: "opnai" means openai, not also LiteLLM's openai_like and topaz.
            close = _close_names(entry.type, PRESETS) or _close_names(entry.type, sorted(KNOWN_LITELLM_PROVIDERS))
            hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else (
                "use a preset (anthropic, openai, gemini, openrouter, ollama, bedrock, vertex_ai...) "
                "or a LiteLLM provider prefix")
            problems.append(ConfigProblem(f"providers.{name}.type", f"unknown provider type {entry.type!r}", hint))
    if problems:
        raise ConfigError(source, problems)


def _check_interpolated_bases(config: AmuxConfig, providers: list[ResolvedProvider], source: str) -> None:
    """An ``api_base`` made by ``${VAR}`` gets the file's own checks after interpolation: http(s) only,
    no control characters (a CR/LF in the variable became a header of its own upstream)."""
    problems = []
    for provider in providers:
        entry = config.providers.get(provider.name)
        if entry is None or not entry.api_base or "${" not in entry.api_base or not provider.api_base:
            continue
        wrong = api_base_problem(provider.api_base)
        if wrong:
            names = ", ".join(referenced_vars(entry.api_base))
            problems.append(ConfigProblem(
                f"providers.{provider.name}.api_base",
                f"{entry.api_base} gives {mask_url(provider.api_base)!r}, which {wrong}",
                f"set {names} to the endpoint's base URL, e.g. https://api.example.com/v1"))
    if problems:
        raise ConfigError(source, problems)


def _close_names(name: str, pool: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, list(dict.fromkeys(pool)), n=3, cutoff=0.6)


def resolve_configured(name: str, entry: ProviderConfig, env: Mapping[str, str]) -> ResolvedProvider:
    """Merge a configured provider with its preset and interpolate ``${VAR}`` references."""
    preset = preset_for(entry.type)
    api_base = entry.api_base or (preset_api_base(preset, env) if preset else None)
    key_problem = None
    if api_base and "${" in api_base:
        try:
            api_base = interpolate(api_base, env).rstrip("/")
        except MissingEnvVar as missing:
            key_problem, api_base = f"{missing.name} is not set (used by api_base)", None
    api_key, key_env = None, None
    if entry.api_key is not None:
        try:
            api_key = interpolate(entry.api_key, env)
        except MissingEnvVar as missing:
            key_env, key_problem = missing.name, f"{missing.name} is not set"
        else:
            if "${" in entry.api_key:
                key_env = entry.api_key[2:-1] if entry.api_key.startswith("${") and entry.api_key.endswith("}") else None
    elif preset:
        key_env = next((var for var in preset.key_env if env.get(var)), preset.key_env[0] if preset.key_env else None)
        api_key = env.get(key_env) if key_env else None
        if not api_key and preset.needs_key and key_env:
            key_problem = f"{key_env} is not set"
    try:
        params = interpolate_tree(entry.params, env)
    except MissingEnvVar as missing:
        params, key_problem = entry.params, f"{missing.name} is not set (used in params)"
    formats = entry.api_formats() or (preset.api_formats if preset else ())
    notes: tuple[str, ...] = ()
    if api_base and api_key and without_userinfo(api_base) != api_base:
        # aiohttp refuses a request with both (every request was a 500): the key wins, as on every provider.
        api_base = without_userinfo(api_base)
        notes = ("api_base has user:password@ and an api_key is set: amux sends the api_key and drops the "
                 "user-info (remove one of them to silence this)",)
    return ResolvedProvider(
        name=name, type=entry.type, api_base=api_base, api_formats=formats, api_key=api_key or None,
        key_env=key_env, key_problem=key_problem, models=tuple(entry.models), default_model=entry.default_model,
        small_model=entry.small_model, params=params, litellm_prefix=preset.litellm_prefix if preset else entry.type,
        local=bool(preset and preset.local), source="config", notes=notes, pricing=_pricing(name, entry),
    )


def _pricing(name: str, entry: ProviderConfig) -> ModelPrice | None:
    if entry.pricing is None:
        return None
    price = entry.pricing
    return ModelPrice.per_million(price.input, price.output, price.cached, source=f"providers.json: {name}.pricing")


def _from_preset(preset: Preset, env: Mapping[str, str], *, source: str) -> ResolvedProvider:
    key_env = next((var for var in preset.key_env if env.get(var)), preset.key_env[0] if preset.key_env else None)
    api_key = env.get(key_env) if key_env else None
    problem = f"{key_env} is not set" if preset.needs_key and key_env and not api_key else None
    api_base = preset_api_base(preset, env)
    return ResolvedProvider(
        name=preset.type, type=preset.type, api_base=api_base, api_formats=preset.api_formats, api_key=api_key,
        key_env=key_env, key_problem=problem, litellm_prefix=preset.litellm_prefix, local=preset.local,
        source=source,  # type: ignore[arg-type]
    )


def preset_api_base(preset: Preset, env: Mapping[str, str]) -> str | None:
    """The preset's base URL, moved by its environment variable when that is set (``OLLAMA_HOST``...)."""
    moved = env.get(preset.base_env) if preset.base_env else None
    if not moved:
        return preset.api_base
    if preset.type == "ollama":
        return ollama_base_from_host(moved) + "/v1"
    return moved.strip().rstrip("/")


def ollama_base_from_host(host: str) -> str:
    """``OLLAMA_HOST`` may be ``0.0.0.0``, ``host:port``, ``:port``, ``[::1]:port`` or a URL; return an
    http base URL without a path (a wildcard bind address becomes loopback: that is where to connect)."""
    host = host.strip().rstrip("/")
    default_port = 11434
    if "://" not in host:
        host = "http://" + host
    else:  # as Ollama itself reads it: an explicit scheme implies that scheme's port
        default_port = 443 if host.startswith("https://") else 80
    parts = urlsplit(host)
    hostname = parts.hostname or ""
    if hostname in ("", "0.0.0.0", "::"):
        hostname = "127.0.0.1"
    if ":" in hostname:
        hostname = f"[{hostname}]"
    try:
        port = parts.port or default_port
    except ValueError:
        port = default_port
    return f"{parts.scheme}://{hostname}:{port}"


def _is_litellm_provider(prefix: str) -> bool:
    """Whether LiteLLM knows this provider prefix. Imports LiteLLM only for a name missing from the
    bundled list (a typo, or a provider newer than that list)."""
    if prefix in KNOWN_LITELLM_PROVIDERS:
        return True
    from .litellm_bridge import litellm_provider_names

    return prefix in litellm_provider_names()


def _unknown(name: str, candidates: list[str]) -> str:
    from .litellm_bridge import litellm_provider_names

    close = _close_names(name, list(candidates) + sorted(litellm_provider_names()))
    hint = f" did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown provider {name!r}.{hint} (amux providers lists the configured ones)"
