"""Editing providers.json from the dashboard: validate with the config room's pydantic models,
write atomically (temp file + ``os.replace``), keep the previous file as ``.bak``, and never
overwrite a file that does not parse unless the person said so."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...config.errors import ConfigError
from ...config.loader import parse_config
from ...config.models import AmuxConfig, ProviderConfig


class BrokenConfigFile(Exception):
    """The file on disk is not a valid providers.json; writing would lose what is in it."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path} is not a valid providers.json: {reason}")


@dataclass(frozen=True)
class StoredConfig:
    """What is on disk right now."""

    path: Path
    exists: bool
    config: AmuxConfig | None
    """None when the file is missing or broken."""
    problem: str | None = None
    """Why the file cannot be used (rendered ConfigError), None when it is fine."""


class ConfigStore:
    """One providers.json file, read and written whole."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak")

    def read(self) -> StoredConfig:
        if not self.path.exists():
            return StoredConfig(self.path, False, AmuxConfig())
        try:
            text = self.path.read_text(encoding="utf-8")
            return StoredConfig(self.path, True, parse_config(text, source=self.path))
        except ConfigError as exc:
            return StoredConfig(self.path, True, None, exc.render())
        except (OSError, UnicodeDecodeError) as exc:
            return StoredConfig(self.path, True, None, f"cannot read: {exc}")

    def save_provider(self, name: str, provider: ProviderConfig, *, replaces: str | None = None,
                      make_default: bool = False, overwrite_broken: bool = False) -> AmuxConfig:
        """Add or replace one provider and write the file; return the config written.

        ``replaces`` is the provider's old name when it was renamed. Raises `BrokenConfigFile` when
        the current file does not validate and ``overwrite_broken`` is False; raises `ConfigError`
        when the result would not validate (nothing is written then).
        """
        stored = self.read()
        if stored.config is None and not overwrite_broken:
            raise BrokenConfigFile(self.path, stored.problem or "unreadable")
        raw = self._raw_document() if stored.config is not None else {"version": 1, "providers": {}}
        providers: dict[str, Any] = dict(raw.get("providers") or {})
        if replaces and replaces != name:
            providers.pop(replaces, None)
            if raw.get("default_provider") == replaces:
                raw["default_provider"] = name
        providers[name] = provider.model_dump(mode="json", exclude_defaults=True)
        raw["providers"] = providers
        if make_default:
            raw["default_provider"] = name
        text = json.dumps(raw, indent=2, ensure_ascii=False) + "\n"
        config = parse_config(text, source=self.path)  # the whole file must still validate
        self._write_atomically(text)
        return config

    def remove_provider(self, name: str) -> AmuxConfig:
        stored = self.read()
        if stored.config is None:
            raise BrokenConfigFile(self.path, stored.problem or "unreadable")
        raw = self._raw_document()
        providers = dict(raw.get("providers") or {})
        providers.pop(name, None)
        raw["providers"] = providers
        if raw.get("default_provider") == name:
            raw.pop("default_provider")
        text = json.dumps(raw, indent=2, ensure_ascii=False) + "\n"
        config = parse_config(text, source=self.path)
        self._write_atomically(text)
        return config

    def _raw_document(self) -> dict[str, Any]:
        # Edit the JSON as written (not a pydantic dump) so untouched providers stay byte-for-byte the same.
        if not self.path.exists():
            return {"version": 1, "providers": {}}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _write_atomically(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            if self.path.exists():
                shutil.copy2(self.path, self.backup_path)
                # the new file keeps the old one's permissions (it may hold literal keys)
                shutil.copymode(self.path, tmp_name)
            else:
                os.chmod(tmp_name, 0o600)
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
