"""A provider's models: a filter Input above an OptionList, the configured default marked."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...backend.catalog import ModelsView


class ModelPicker(Vertical):
    """Shows one provider's models; posts `Chosen` when one is picked with Enter or a click."""

    DEFAULT_CSS = """
    ModelPicker { height: 1fr; }
    ModelPicker > #model-filter { margin: 0; border: none; height: 1; padding: 0 1; background: $boost; }
    ModelPicker > #model-filter:focus { background: $surface-lighten-1; }
    ModelPicker > #model-list { height: 1fr; border: none; padding: 0; }
    ModelPicker > #model-source { height: auto; color: $text-muted; padding: 0 1; }
    """

    @dataclass
    class Chosen(Message):
        """A model was picked for launching."""

        provider: str
        model: str

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._provider: str | None = None
        self._view = ModelsView((), None, False)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter models", id="model-filter")
        yield OptionList(id="model-list")
        yield Static("", id="model-source")

    @property
    def provider(self) -> str | None:
        return self._provider

    def show_loading(self, provider: str) -> None:
        self._provider = provider
        self._view = ModelsView((), None, False)
        self.query_one("#model-list", OptionList).clear_options()
        self.query_one("#model-source", Static).update(f"{provider}: listing models…")

    def show(self, provider: str, view: ModelsView) -> None:
        self._provider = provider
        self._view = view
        self._refill()
        source = "live list" if view.live else "configured list"
        count = f"{len(view.models)} model" + ("" if len(view.models) == 1 else "s")
        note = f" ({view.error})" if view.error and not view.live else ""
        self.query_one("#model-source", Static).update(f"{provider}: {count}, {source}{note}")

    @property
    def highlighted_model(self) -> str | None:
        options = self.query_one("#model-list", OptionList)
        if options.highlighted is None:
            return self._view.default
        return options.get_option_at_index(options.highlighted).id

    def _refill(self) -> None:
        needle = self.query_one("#model-filter", Input).value.strip().lower()
        options = self.query_one("#model-list", OptionList)
        options.clear_options()
        default = self._view.default
        models = list(self._view.models)
        if default and default not in models:
            models.insert(0, default)
        shown = [m for m in models if needle in m.lower()]
        options.add_options(Option(f"{m}  (default)" if m == default else m, id=m) for m in shown)
        if shown:
            options.highlighted = shown.index(default) if default in shown else 0

    @on(Input.Changed, "#model-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refill()

    @on(Input.Submitted, "#model-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#model-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#model-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self._provider and event.option.id:
            self.post_message(self.Chosen(self._provider, event.option.id))
