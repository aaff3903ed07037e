"""Add or edit a provider. The whole resulting providers.json is validated before the form closes,
by the same models and type check the loader uses (`ConfigStore.preview_provider`), so what the form
accepts the file accepts; problems are listed above the fields and the fields concerned are marked.
Saving over another provider's name asks first."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ...config.errors import ConfigError
from ...config.formats import API_FORMATS
from ...config.models import AmuxConfig, ProviderConfig
from ...config.store import ConfigStore
from ...providers.presets import PRESETS
from ...providers.resolved import mask_secret
from ..widgets.check import Check


_MARK_CLEARED_ON = ("changed",)
"""When Textual's Input re-checks a field (and, having no validators, drops the -invalid mark we set on
a field with a problem): only when the person edits it, not when the focus merely leaves it."""


@dataclass(frozen=True)
class ProviderFormResult:
    name: str
    provider: ProviderConfig
    replaces: str | None
    """The provider's previous name when it was edited (and maybe renamed)."""
    make_default: bool
    replace_existing: bool = False
    """The person agreed to replace another provider that already had this name."""


class ProviderFormScreen(ModalScreen[ProviderFormResult | None]):
    CSS_PATH = "provider_form.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    FIELDS = ("name", "type", "api_base", "api_key", "api_format", "models", "default_model")

    def __init__(self, name: str | None, entry: ProviderConfig | None, *, is_default: bool = False,
                 store: ConfigStore | None = None):
        super().__init__()
        self._old_name = name
        self._entry = entry
        self._is_default = is_default
        self._store = store

    def compose(self) -> ComposeResult:
        entry = self._entry
        key = entry.api_key if entry else None
        literal_key = bool(key and not key.startswith("${"))
        with Vertical(id="form-box") as box:
            box.border_title = f"Edit {self._old_name}" if self._old_name else "Add a provider"
            yield Static("", id="form-errors")
            with Grid(id="form-grid"):
                yield Label("Name")
                yield Input(self._old_name or "", id="name", validate_on=_MARK_CLEARED_ON, placeholder="e.g. openrouter")
                yield Label("Type")
                yield Input(entry.type if entry else "", id="type", validate_on=_MARK_CLEARED_ON,
                            placeholder="a preset (openrouter, ollama…) or a LiteLLM prefix",
                            suggester=SuggestFromList(sorted(PRESETS), case_sensitive=False))
                yield Label("API base")
                yield Input(entry.api_base or "" if entry else "", id="api_base", validate_on=_MARK_CLEARED_ON,
                            placeholder="empty: the preset's; https://…/v1")
                yield Label("API key")
                key_hint = f"empty keeps {mask_secret(key)}" if literal_key else "${ENV_VAR} keeps the secret out of the file"
                yield Input("" if literal_key else (key or ""), id="api_key", validate_on=_MARK_CLEARED_ON,
                            password=literal_key, placeholder=key_hint)
                yield Label("API format")
                current_format = entry.api_formats()[0] if entry and entry.api_formats() else Select.NULL
                yield Select([(f, f) for f in API_FORMATS], value=current_format, id="api_format", allow_blank=True,
                             prompt="the preset's")
                yield Label("Models")
                yield Input(", ".join(entry.models) if entry else "", id="models", validate_on=_MARK_CLEARED_ON,
                            placeholder="comma separated; offered when the live list is unavailable")
                yield Label("Default model")
                yield Input(entry.default_model or "" if entry else "", id="default_model", validate_on=_MARK_CLEARED_ON)
                yield Label("")
                yield Check("default provider", self._is_default, id="make_default")
            with Horizontal(id="form-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name" if not self._old_name else "#type", Input).focus()

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def build(self) -> ProviderFormResult:
        """The form as a validated result; raises ValueError with every problem listed."""
        problems = []
        name = self._value("name")
        try:
            AmuxConfig.model_validate({"providers": {name: {"type": "x"}}})
        except ValidationError:
            problems.append("name: must be non-empty, without '/' or surrounding spaces")
        key = self._value("api_key")
        if not key and self._entry and self._entry.api_key and not self._entry.api_key.startswith("${"):
            key = self._entry.api_key  # an empty field keeps the stored literal key
        api_format = self.query_one("#api_format", Select).value
        fields = {
            "type": self._value("type"),
            "api_base": self._value("api_base") or None,
            "api_key": key or None,
            "api_format": None if api_format is Select.NULL else api_format,
            "models": [m.strip() for m in self._value("models").split(",") if m.strip()],
            "default_model": self._value("default_model") or None,
        }
        if self._entry is not None:
            fields["params"] = self._entry.params  # not editable here; kept as written
            if self._entry.small_model:
                fields["small_model"] = self._entry.small_model
            if isinstance(self._entry.api_format, list) and fields["api_format"] == self._entry.api_formats()[0]:
                fields["api_format"] = self._entry.api_format  # keep a multi-format list untouched
        try:
            provider = ProviderConfig.model_validate(fields)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"][:1]) or "provider"
                problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
            provider = None
            problems += self._type_problems(name, fields["type"])  # all at once, not one round each
        if problems or provider is None:
            raise ValueError("\n".join(dict.fromkeys(problems)))
        result = ProviderFormResult(name, provider, self._old_name, self.query_one("#make_default", Checkbox).value)
        if self._store is not None:
            try:  # the whole file as it would be written: types, the default provider, the other providers
                self._store.preview_provider(name, provider, replaces=self._old_name, make_default=result.make_default)
            except ConfigError as exc:
                raise ValueError("\n".join(_form_line(p.json_path, name, f"{p.message} ({p.fix})")
                                           for p in exc.problems)) from None
        return result

    def _type_problems(self, name: str, provider_type: str) -> list[str]:
        """The type check alone, for when another field already failed (the whole-file check needs a
        valid provider)."""
        if self._store is None or self._store.check is None or not provider_type:
            return []
        try:
            self._store.check(AmuxConfig.model_validate({"providers": {"p": {"type": provider_type}}}), "")
        except ConfigError as exc:
            return [f"type: {problem.message} ({problem.fix})" for problem in exc.problems]
        except ValidationError:
            return []
        return []

    def _existing_names(self) -> set[str]:
        stored = self._store.read() if self._store is not None else None
        return set(stored.config.providers) if stored and stored.config else set()

    def action_save(self) -> None:
        for field_id in self.FIELDS:
            self.query_one(f"#{field_id}").remove_class("-invalid")
        try:
            result = self.build()
        except ValueError as exc:
            self._show_problems(str(exc))
            return
        if result.name != self._old_name and result.name in self._existing_names():
            from .confirm import ConfirmScreen

            question = f"A provider named {result.name!r} already exists.\nReplace it with this one?"
            self.app.push_screen(ConfirmScreen(question, yes="Replace", no="Go back", title="Replace provider"),
                                 lambda yes: self.dismiss(replace(result, replace_existing=True)) if yes
                                 else self.query_one("#name", Input).focus())
            return
        self.dismiss(result)

    def _show_problems(self, text: str) -> None:
        errors = self.query_one("#form-errors", Static)
        errors.update(text)
        errors.add_class("-shown")
        marked = [field_id for field_id in self.FIELDS
                  if any(line.startswith(f"{field_id}:") for line in text.splitlines())]
        for field_id in marked:
            self.query_one(f"#{field_id}").add_class("-invalid")
        if marked:
            self.query_one(f"#{marked[0]}").focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


def _form_line(json_path: str, name: str, text: str) -> str:
    """``providers.NAME.type`` → ``type: ...`` (the form's field), anything else keeps its path."""
    prefix = f"providers.{name}."
    field = json_path.removeprefix(prefix) if json_path.startswith(prefix) else (json_path or "file")
    return f"{field.split('.')[0] if json_path.startswith(prefix) else field}: {text}"
