"""Writing providers.json: one edit at a time, validated whole, atomic, with a ``.bak``.

Used by the dashboard's provider form and by ``amux providers add/remove``. Every edit:

- takes an advisory lock (``fcntl.flock`` on a ``.lock`` file beside the config) and re-reads the file
  under it, so concurrent writers merge instead of overwriting each other's providers;
- writes to the file a symlink points at (the link stays a link);
- validates the whole resulting document with the loader's models (plus a caller's extra check, such
  as the provider-type check) and writes nothing when it does not validate;
- replaces the file atomically (temp file + ``os.replace``), keeping the previous one as ``.bak``;
- makes the file private (0600) when it holds a literal secret (an api_key, or a secret in params),
  and reports that it did.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import locked
from .env import referenced_vars
from .errors import ConfigError
from .loader import parse_config
from .models import AmuxConfig, ProviderConfig

Document = dict[str, Any]
Check = Callable[[AmuxConfig, str], None]
"""An extra check of the resulting config (raises ConfigError), e.g. that every type is known."""


class BrokenConfigFile(Exception):
    """The file on disk is not a valid providers.json; writing would lose what is in it."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path} is not a valid providers.json: {reason}")


class ProviderExists(Exception):
    """Adding a provider whose name is already configured; the caller must ask before replacing."""

    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = path
        super().__init__(f"a provider named {name!r} already exists in {path}")


@dataclass(frozen=True)
class StoredConfig:
    """What is on disk right now."""

    path: Path
    exists: bool
    config: AmuxConfig | None
    """None when the file is missing or broken."""
    problem: str | None = None
    """Why the file cannot be used (rendered ConfigError), None when it is fine."""


@dataclass(frozen=True)
class SaveResult:
    config: AmuxConfig
    path: Path
    """The file actually written (a symlink's target)."""
    made_private: bool
    """The file holds a literal secret and its mode was tightened to 0600 by this write."""
    backup: Path | None = None
    """Where the previous file was kept (None when there was none)."""


class ConfigStore:
    """One providers.json file, edited whole under a lock."""

    def __init__(self, path: Path | str, *, check: Check | None = None):
        self.path = Path(path)
        self.check = check

    @property
    def target(self) -> Path:
        """The file written: a symlinked providers.json is edited where it really lives."""
        return Path(os.path.realpath(self.path))

    @property
    def backup_path(self) -> Path:
        return self.target.with_name(self.target.name + ".bak")

    def read(self) -> StoredConfig:
        if not self.path.exists():
            return StoredConfig(self.path, False, AmuxConfig())
        try:
            text = self.path.read_text(encoding="utf-8")
            config = self._validate(text)
            return StoredConfig(self.path, True, config)
        except ConfigError as exc:
            return StoredConfig(self.path, True, None, exc.render())
        except (OSError, UnicodeDecodeError) as exc:
            return StoredConfig(self.path, True, None, f"cannot read: {exc}")

    # --- edits ----------------------------------------------------------------------------------

    def save_provider(self, name: str, provider: ProviderConfig, *, replaces: str | None = None,
                      make_default: bool | None = None, overwrite_broken: bool = False,
                      replace_existing: bool = True) -> SaveResult:
        """Add or replace one provider and write the file.

        ``replaces`` is the provider's old name when it was edited (maybe renamed). ``make_default``
        True makes it the default provider, False makes sure it is not (a form's unticked box), None
        leaves the default as it is (a command line without ``--default``). With
        ``replace_existing`` False, a different provider already holding ``name`` raises
        `ProviderExists`. Raises `BrokenConfigFile` when the file on disk does not validate and
        ``overwrite_broken`` is False, `ConfigError` when the result would not validate (nothing is
        written then).
        """
        def edit(raw: Document) -> Document:
            return with_provider(raw, name, provider, replaces=replaces, make_default=make_default,
                                 replace_existing=replace_existing, path=self.target)

        return self._edit(edit, overwrite_broken=overwrite_broken)

    def remove_provider(self, name: str) -> SaveResult:
        """Remove one provider (and the default when it was that one). KeyError when it is not there."""
        def edit(raw: Document) -> Document:
            providers = dict(raw.get("providers") or {})
            if name not in providers:
                raise KeyError(name)
            del providers[name]
            raw["providers"] = providers
            if raw.get("default_provider") == name:
                raw.pop("default_provider")
            return raw

        return self._edit(edit, overwrite_broken=False)

    def preview_provider(self, name: str, provider: ProviderConfig, *, replaces: str | None = None,
                         make_default: bool | None = None) -> AmuxConfig:
        """The config a `save_provider` would write, validated; writes nothing (for a form's live check)."""
        stored = self.read()
        raw = self._raw_document() if stored.config is not None else {"version": 1, "providers": {}}
        raw = with_provider(raw, name, provider, replaces=replaces, make_default=make_default,
                            replace_existing=True, path=self.target)
        return self._validate(_dump(raw))

    def _edit(self, edit: Callable[[Document], Document], *, overwrite_broken: bool) -> SaveResult:
        target = self.target
        target.parent.mkdir(parents=True, exist_ok=True)
        with locked(target.with_name(f".{target.name}.lock")):
            stored = self.read()  # re-read under the lock: another writer may have saved meanwhile
            if stored.config is None and stored.exists and not overwrite_broken:
                raise BrokenConfigFile(self.path, stored.problem or "unreadable")
            raw = self._raw_document() if stored.config is not None else {"version": 1, "providers": {}}
            text = _dump(edit(raw))
            config = self._validate(text)  # the whole file must still validate
            existed = target.exists()
            # The .bak is private when the old file may hold a secret (held one, or could not be read).
            old_secret = stored.config is None or holds_literal_secret(stored.config)
            made_private = self._write_atomically(target, text, secret=holds_literal_secret(config),
                                                  old_secret=existed and old_secret)
        return SaveResult(config, target, made_private, self.backup_path if existed else None)

    # --- helpers --------------------------------------------------------------------------------

    def _validate(self, text: str) -> AmuxConfig:
        config = parse_config(text, source=self.path)
        if self.check is not None:
            self.check(config, str(self.path))
        return config

    def _raw_document(self) -> Document:
        # Edit the JSON as written (not a pydantic dump) so untouched providers stay byte-for-byte the same.
        if not self.path.exists():
            return {"version": 1, "providers": {}}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _write_atomically(self, target: Path, text: str, *, secret: bool, old_secret: bool = False) -> bool:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        made_private = False
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                shutil.copy2(target, self.backup_path)
                mode = os.stat(target).st_mode & 0o777
                if secret and mode & 0o077:
                    mode, made_private = 0o600, True
                if made_private or old_secret:
                    # the .bak may hold the same secret, or one the person has just taken out of the file
                    os.chmod(self.backup_path, 0o600)
                os.chmod(tmp_name, mode)
            else:
                os.chmod(tmp_name, 0o600)  # mkstemp's mode; said explicitly: a new file is private
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return made_private


def with_provider(raw: Document, name: str, provider: ProviderConfig, *, replaces: str | None,
                  make_default: bool | None, replace_existing: bool, path: Path) -> Document:
    """``raw`` with one provider added or replaced (``raw`` itself is not modified)."""
    raw = dict(raw)
    providers: Document = dict(raw.get("providers") or {})
    if name in providers and name != replaces and not replace_existing:
        raise ProviderExists(name, path)
    if replaces and replaces != name:
        providers.pop(replaces, None)
        if raw.get("default_provider") == replaces:
            raw["default_provider"] = name
    providers[name] = provider.model_dump(mode="json", exclude_defaults=True)
    raw["providers"] = providers
    if make_default:
        raw["default_provider"] = name
    elif make_default is False and raw.get("default_provider") == name:
        raw.pop("default_provider")
    raw.setdefault("version", 1)
    return raw


_SECRET_WORDS = ("key", "secret", "token", "password", "credential", "authorization")


def holds_literal_secret(config: AmuxConfig) -> bool:
    """Whether a secret is written in the file itself rather than as ``${ENV_VAR}``: an api_key, or a
    params value LiteLLM reads as one (aws_secret_access_key, a service-account JSON, an Authorization
    header...)."""
    for entry in config.providers.values():
        key = entry.api_key
        if key and not (key.startswith("${") and key.endswith("}") and len(referenced_vars(key)) == 1):
            return True
        if any(_literal_secret_param(name, value) for name, value in entry.params.items()):
            return True
    return False


def _literal_secret_param(name: str, value: Any) -> bool:
    if isinstance(value, dict):  # extra_headers / headers: judged header by header
        return any(_literal_secret_param(header, text) for header, text in value.items())
    if not isinstance(value, str) or "${" in value or not any(word in name.lower() for word in _SECRET_WORDS):
        return False
    # vertex_credentials is a path or the JSON itself; only the JSON is the secret
    return not name.lower().endswith("credentials") or value.lstrip().startswith("{")


def _dump(raw: Document) -> str:
    return json.dumps(raw, indent=2, ensure_ascii=False) + "\n"
