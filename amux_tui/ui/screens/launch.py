"""Pick a harness, a provider and a model; see how amux will run it (native, direct by protocol,
or through the proxy) and confirm before proxying. Dismisses with the `LaunchPreview` to start."""

from __future__ import annotations

import shlex

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..backend.sessions import LaunchChoice, LaunchPreview
from ..widgets.check import Check


class LaunchScreen(ModalScreen[LaunchPreview | None]):
    CSS_PATH = "launch.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+l", "launch", "Launch")]

    def __init__(self, *, provider: str | None = None, model: str | None = None, harness: str | None = None):
        super().__init__()
        self._want = {"provider": provider, "model": model, "harness": harness}
        self._preview: LaunchPreview | None = None
        self.repository_checked = False
        """True once "own worktree" shows whether the directory is a git repository with commits."""

    def compose(self) -> ComposeResult:
        with Vertical(id="launch-box") as box:
            box.border_title = "Launch a harness"
            with Horizontal(id="launch-lists"):
                with Vertical(classes="launch-column"):
                    yield Label("Harness")
                    yield OptionList(id="launch-harness")
                with Vertical(classes="launch-column"):
                    yield Label("Provider")
                    yield OptionList(id="launch-provider")
                with Vertical(classes="launch-column"):
                    yield Label("Model")
                    yield OptionList(id="launch-model")
            with Horizontal(id="launch-args-row"):
                yield Label("Arguments")
                yield Input(placeholder="extra harness arguments (for shell: the command to run)", id="launch-args")
                yield Check("always proxy", id="launch-always-proxy")
                yield Check("own worktree", id="launch-worktree", value=False, disabled=True)
                yield Check("trust this folder", id="launch-trust")
            yield Static("", id="launch-route")
            with Horizontal(id="launch-buttons"):
                yield Button("Launch (ctrl+l)", id="launch", variant="primary", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._fill_providers()
        self._fill_harnesses()
        self._check_repository()
        self._fill_trust()

    @work(exclusive=True, group="launch-repository")
    async def _check_repository(self) -> None:
        """Tick "own worktree" when the directory is a git repository with commits (git runs in a thread)."""
        import asyncio
        import os

        from ...worktrees.git import has_commits

        box = self.query_one("#launch-worktree", Checkbox)
        directory = self.app.sessions.cwd or os.getcwd()
        usable = await asyncio.to_thread(has_commits, directory)
        box.disabled = not usable
        box.value = usable
        box.tooltip = ("run in a new git worktree (branch amux/...), reviewed and merged from its Changes view (F5)"
                       if usable else f"{directory} is not a git repository with commits")
        self.repository_checked = True

    @work(exclusive=True, group="launch-trust")
    async def _fill_trust(self) -> None:
        # Checked when amux already trusts the folder; otherwise the harness asks, unless the user ticks it
        # (never unticked here: the user may have ticked it while the state file was read).
        if await self.app.sessions.folder_trusted():
            self.query_one("#launch-trust", Checkbox).value = True

    # --- lists ----------------------------------------------------------------------------------

    @work(exclusive=True, group="launch-harnesses")
    async def _fill_harnesses(self) -> None:
        views = await self.app.harness_catalog.harnesses()
        options = self.query_one("#launch-harness", OptionList)
        options.clear_options()
        for view in views:
            label = view.label if view.installed else f"{view.label} (missing)"
            options.add_option(Option(label, id=view.name, disabled=not view.installed))
        self._highlight(options, self._want["harness"] or next((v.name for v in views if v.installed), None))
        options.focus()
        self._update_preview()

    def _fill_providers(self) -> None:
        options = self.query_one("#launch-provider", OptionList)
        names = self.app.registry.names()
        options.add_options(Option(name, id=name) for name in names)
        self._highlight(options, self._want["provider"] or self.app.registry.default_provider or (names[0] if names else None))
        self._fill_models()

    @work(exclusive=True, group="launch-models")
    async def _fill_models(self) -> None:
        provider = self.app.registry.get(self._selected("#launch-provider") or "")
        options = self.query_one("#launch-model", OptionList)
        options.clear_options()
        if provider is None:
            return
        view = await self.app.catalog.models(provider)
        models = list(view.models)
        if view.default and view.default not in models:
            models.insert(0, view.default)
        options.add_options(Option(f"{m}  (default)" if m == view.default else m, id=m) for m in models)
        want = self._want["model"] if self._want["model"] in models else view.default
        self._highlight(options, want or (models[0] if models else None))
        self._update_preview()

    @staticmethod
    def _highlight(options: OptionList, option_id: str | None) -> None:
        if option_id is None:
            return
        try:
            options.highlighted = options.get_option_index(option_id)
        except Exception:  # noqa: BLE001 - an id not in the list: leave the cursor where it is
            pass

    def _selected(self, selector: str) -> str | None:
        options = self.query_one(selector, OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "launch-provider":
            self._want["provider"] = event.option.id
            self._fill_models()
        else:
            key = "harness" if event.option_list.id == "launch-harness" else "model"
            self._want[key] = event.option.id
        self._update_preview()

    @on(OptionList.OptionSelected)
    def _selected_option(self, event: OptionList.OptionSelected) -> None:
        # Enter moves on to the next column, and launches from the last one.
        order = ["launch-harness", "launch-provider", "launch-model"]
        index = order.index(event.option_list.id or order[0])
        if index < len(order) - 1:
            self.query_one(f"#{order[index + 1]}", OptionList).focus()
        else:
            self.action_launch()

    # --- preview and launch ---------------------------------------------------------------------

    def _update_preview(self) -> None:
        harness, provider_name, model = (self._selected("#launch-harness"), self._selected("#launch-provider"),
                                         self._selected("#launch-model"))
        route = self.query_one("#launch-route", Static)
        button = self.query_one("#launch", Button)
        provider = self.app.registry.get(provider_name or "")
        if not (harness and provider and model):
            self._preview = None
            route.update("Pick a harness, a provider and a model.")
            button.disabled = True
            return
        try:
            args = tuple(shlex.split(self.query_one("#launch-args", Input).value))
        except ValueError as exc:
            self._preview = None
            route.update(f"[b $error]arguments:[/] {_escape(str(exc))}")
            button.disabled = True
            return
        always = self.query_one("#launch-always-proxy", Checkbox).value
        worktree = self.query_one("#launch-worktree", Checkbox).value
        trusted = self.query_one("#launch-trust", Checkbox).value
        self._preview = self.app.sessions.preview(LaunchChoice(harness, provider, model, args, always, worktree,
                                                               trust_folder=trusted))
        if self._preview.ok:
            text = f"[b]{harness}[/] with {provider.name}/{model}\nruns {self._preview.explanation}"
            if not trusted:
                text += "\nthe harness asks whether to trust this folder (its hooks, MCP servers, settings)"
            if self._preview.route == "proxy":
                # Said here, once: launching is the consent (no second question after ctrl+l).
                text += ("\n[$warning]through amux's proxy[/] on 127.0.0.1, with a token for this session; "
                         "its requests are recorded in memory for the traffic panel (F7)")
            route.update(text)
        else:
            route.update(f"[b $error]cannot launch:[/] {_escape(self._preview.error or 'unknown reason')}")
        button.disabled = not self._preview.ok

    @on(Input.Changed, "#launch-args")
    @on(Checkbox.Changed, "#launch-always-proxy")
    @on(Checkbox.Changed, "#launch-worktree")
    @on(Checkbox.Changed, "#launch-trust")
    def _args_changed(self) -> None:
        self._update_preview()

    @on(Input.Submitted, "#launch-args")
    def _args_submitted(self) -> None:
        self.action_launch()

    def action_launch(self) -> None:
        preview = self._preview
        if preview is None or not preview.ok:
            return
        self.dismiss(preview)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#launch")
    def _launch_pressed(self) -> None:
        self.action_launch()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
