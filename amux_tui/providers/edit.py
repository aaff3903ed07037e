"""Adding and removing configured providers: one core for the dashboard's form and for
``amux providers add/remove``. The file handling (lock, merge, atomic write, ``.bak``, 0600) is the
config room's `ConfigStore`; this adds the provider-type check the registry applies when loading,
so nothing is written that `amux providers` would then refuse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..config.errors import ConfigError
from ..config.store import BrokenConfigFile, ConfigStore, ProviderExists, SaveResult

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def provider_store(path: Path | str) -> ConfigStore:
    """The store for one providers.json, checking provider types like the loader does."""
    from .registry import check_types

    return ConfigStore(path, check=check_types)


def build_provider(name: str, fields: dict[str, Any], *, source: str):
    """A `ProviderConfig` from command-line fields; ConfigError naming each bad field at the JSON path
    it would have in the file (``providers.NAME.api_base``)."""
    from dataclasses import replace

    from pydantic import ValidationError

    from ..config.models import ProviderConfig
    from ..config.problems import problems_from_validation

    try:
        return ProviderConfig.model_validate({key: value for key, value in fields.items() if value not in (None, [])})
    except ValidationError as exc:
        problems = [replace(problem, json_path=f"providers.{name}.{problem.json_path}")
                    for problem in problems_from_validation(exc)]
        raise ConfigError(source, problems) from None


def save_message(result: SaveResult, name: str, verb: str) -> str:
    text = f"{verb} {name} in {result.path}"
    if result.backup is not None:
        text += f" (previous file kept as {result.backup.name})"
    if result.made_private:
        text += "; it holds a literal secret (API key), so it is now readable only by you (0600)"
    return text


def config_path_for(args: argparse.Namespace) -> Path:
    from ..config.loader import find_config_path

    return find_config_path(getattr(args, "config", None))[0]


def cmd_providers_add(args: argparse.Namespace) -> int:
    path = config_path_for(args)
    models = [model for item in args.model or [] for model in item.split(",") if model.strip()]
    provider = build_provider(args.name, {
        "type": args.type, "api_base": args.api_base,
        "api_key": f"${{{args.key_env}}}" if args.key_env else None,
        "api_format": args.api_format, "models": [m.strip() for m in models],
        "default_model": args.default_model or (models[0].strip() if models else None),
    }, source=f"{path} (not written)")
    store = provider_store(path)
    try:
        result = store.save_provider(args.name, provider, make_default=True if args.default else None,
                                     replace_existing=args.replace)
    except ProviderExists as exc:
        print(f"error: {exc}; pass --replace to overwrite it, or pick another name", file=sys.stderr)
        return EXIT_USAGE
    except BrokenConfigFile as exc:
        print(f"error: {exc.path} does not load, so amux will not rewrite it:\n{exc.reason}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        # The result would not load: say what, with the name the user typed rather than the file's path.
        raise ConfigError(f"{path} (not written)", exc.problems) from None
    print(save_message(result, args.name, "added"))
    return EXIT_OK


def cmd_providers_remove(args: argparse.Namespace) -> int:
    path = config_path_for(args)
    store = provider_store(path)
    try:
        result = store.remove_provider(args.name)
    except KeyError:
        # A usage mistake, not a broken file: the file is fine and stays as it is.
        names = list((store.read().config or _empty()).providers)
        print(f"error: no provider named {args.name!r} in {path} (configured there: {', '.join(names) or 'none'})",
              file=sys.stderr)
        return EXIT_USAGE
    except BrokenConfigFile as exc:
        print(f"error: {exc.path} does not load, so amux will not rewrite it:\n{exc.reason}", file=sys.stderr)
        return EXIT_USAGE
    print(save_message(result, args.name, "removed"))
    return EXIT_OK


def _empty():
    from ..config.models import AmuxConfig

    return AmuxConfig()
