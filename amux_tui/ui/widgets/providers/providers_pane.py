"""The Providers tab: the table, the highlighted provider's details and its models.

It runs the I/O (health probes, model listing, local detection) in exclusive workers and
talks to the core only through ``app.catalog`` and ``providers.edit``.
"""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from ....config.errors import ConfigError
from ...backend.catalog import CatalogLoad, HealthView
from .model_picker import ModelPicker
from .provider_detail import ProviderDetail
from .provider_table import ProviderTable


class ProvidersPane(Vertical):
    BINDINGS = [
        Binding("a", "add_provider", "Add provider"),
        Binding("e", "edit_provider", "Edit"),
        Binding("r", "refresh_health", "Check health"),
        Binding("slash", "filter_models", "Filter models"),
    ]

    DEFAULT_CSS = """
    ProvidersPane #providers-problem { display: none; height: auto; color: $error; padding: 0 1; }
    ProvidersPane.-config-problem #providers-problem { display: block; }
    ProvidersPane #providers-bottom { height: 1fr; }
    ProvidersPane ProviderDetail { width: 1fr; }
    ProvidersPane ModelPicker { width: 1fr; border-left: vkey $panel; }
    ProvidersPane ProviderTable { height: auto; max-height: 50%; min-height: 4; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._load: CatalogLoad | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="providers-problem")
        yield ProviderTable(self.app.options.latency_text, id="provider-table")
        # The details and the model list (an Input and an OptionList: about a third of the first
        # frame's cost) are mounted by show_details, once the rows are on screen.
        yield Horizontal(id="providers-bottom")

    async def on_mount(self) -> None:
        self._probing = False
        self.query_one(ProviderTable).focus()
        if self.app.catalog_load is not None:
            self.providers_loaded()
            await self.show_details()

    def providers_loaded(self) -> None:
        """The app has read providers.json: show its providers in the table."""
        self.reload(from_disk=False)

    async def show_details(self) -> None:
        """Mount the highlighted provider's details and model list, then, once they are on screen,
        start the probes (HTTP clients and TLS contexts are not needed before)."""
        bottom = self.query_one("#providers-bottom")
        if not bottom.children:
            await bottom.mount(ProviderDetail(id="provider-detail"), ModelPicker(id="model-picker"))
        self._show_rows()
        if not self._probing:
            self.call_after_refresh(self._start_probing)

    def _start_probing(self) -> None:
        if self._probing:
            return
        self._probing = True
        self._detect_local()
        self.action_refresh_health()
        name = self.query_one(ProviderTable).highlighted_name
        if name:
            self._list_models(name)
        self.set_interval(self.app.options.health_interval, self.action_refresh_health)

    @property
    def catalog_load(self) -> CatalogLoad | None:
        return self._load

    def reload(self, *, from_disk: bool = True) -> None:
        """Re-read providers.json, show the providers, then probe them."""
        self._load = self.app.reload_providers() if from_disk else self.app.catalog_load
        problem = self.query_one("#providers-problem", Static)
        problem.update(self._load.problem or "")
        self.set_class(bool(self._load.problem), "-config-problem")
        self._show_rows()
        if self._probing:
            self._detect_local()
            self.action_refresh_health()

    def _show_rows(self) -> None:
        table = self.query_one(ProviderTable)
        table.show(self.app.registry, self.app.registry.default_provider)
        if table.highlighted_name:
            self._picked(table.highlighted_name)
        else:
            for detail in self.query(ProviderDetail):
                detail.show(None, HealthView("unknown"), "")

    @work(exclusive=True, group="providers-detect")
    async def _detect_local(self) -> None:
        found = await self.app.catalog.detect_local(self.app.registry)
        if found:
            for provider in found:
                self.app.registry.add(provider)
            self._show_rows()
            self.action_refresh_health()

    @work(exclusive=True, group="providers-health")
    async def action_refresh_health(self) -> None:
        table = self.query_one(ProviderTable)
        providers = list(self.app.registry)
        for provider in providers:
            if table.health_of(provider.name).status == "unknown":
                table.show_health(provider.name, HealthView("checking"))

        async def probe(provider):
            return provider.name, await self.app.catalog.health(provider)

        for next_done in asyncio.as_completed([probe(p) for p in providers]):
            name, health = await next_done
            table.show_health(name, health)
            if name == table.highlighted_name:
                self._show_detail(name)

    @work(exclusive=True, group="providers-models")
    async def _list_models(self, name: str) -> None:
        picker = self.query_one(ModelPicker)
        provider = self.app.registry.get(name)
        if provider is None:
            return
        picker.show_loading(name)
        view = await self.app.catalog.models(provider)
        picker.show(name, view)

    def _show_detail(self, name: str) -> None:
        table = self.query_one(ProviderTable)
        health = table.health_of(name)
        for detail in self.query(ProviderDetail):  # none until show_details
            detail.show(self.app.registry.get(name), health, self.app.options.latency_text(health.latency_ms))

    def _picked(self, name: str) -> None:
        self._show_detail(name)
        if self._probing and self.query_one(ModelPicker).provider != name:
            self._list_models(name)

    @on(ProviderTable.Picked)
    def _on_picked(self, event: ProviderTable.Picked) -> None:
        self._picked(event.name)

    def action_filter_models(self) -> None:
        for model_filter in self.query("#model-filter"):  # none before providers.json was read
            model_filter.focus()

    # --- add / edit -----------------------------------------------------------------------------

    def action_add_provider(self) -> None:
        self._open_form(None)

    def action_edit_provider(self) -> None:
        self._open_form(self.query_one(ProviderTable).highlighted_name)

    def _open_form(self, name: str | None) -> None:
        from ...screens.provider_form import ProviderFormScreen

        from ....providers.edit import provider_store

        store = provider_store(self.app.catalog.config_path)
        # The file as it is now: it may have been edited by hand (or by amux providers add) since the
        # dashboard read it, and the form writes back what it does not show (params, small_model).
        config = store.read().config or (self._load.config if self._load else None)
        entry = config.providers.get(name) if (config and name) else None
        default = bool(config and name and config.default_provider == name)
        self.app.push_screen(ProviderFormScreen(name if entry else None, entry, is_default=default, store=store),
                             self._form_done)

    def _form_done(self, result) -> None:
        if result is not None:
            self._save(result, overwrite_broken=False)

    def _save(self, result, *, overwrite_broken: bool) -> None:
        from ....config.store import BrokenConfigFile, ProviderExists
        from ....providers.edit import provider_store, save_message
        from ...screens.confirm import ConfirmScreen

        store = provider_store(self.app.catalog.config_path)
        try:
            saved = store.save_provider(result.name, result.provider, replaces=result.replaces,
                                        make_default=result.make_default, overwrite_broken=overwrite_broken,
                                        replace_existing=result.replace_existing)
        except BrokenConfigFile as exc:
            question = (f"{exc.path} is not valid:\n{exc.reason}\n\nReplace it with a new file holding "
                        f"only {result.name!r}? The old file is kept as {store.backup_path.name}.")
            self.app.push_screen(ConfirmScreen(question, yes="Replace", no="Keep file"),
                                 lambda yes: yes and self._save(result, overwrite_broken=True))
            return
        except (ConfigError, ProviderExists, OSError) as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=8)
            return
        self.notify(save_message(saved, result.name, "Saved"), title="providers.json",
                    severity="warning" if saved.made_private else "information")
        self.reload()
