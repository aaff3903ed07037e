"""The Ollama tab: is the server up, start/stop it, its installed models, and pulling a model
with a progress bar fed by the manager's progress stream."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, ProgressBar, Static

from ...backend.ollama_control import OllamaControl


class OllamaPane(Vertical):
    BINDINGS = [Binding("r", "refresh", "Refresh"), Binding("p", "focus_pull", "Pull a model")]

    DEFAULT_CSS = """
    OllamaPane #ollama-status { height: auto; padding: 0 1; }
    OllamaPane #ollama-actions { height: auto; }
    OllamaPane #ollama-actions Button { margin-right: 1; min-width: 10; }
    OllamaPane #ollama-models { height: 1fr; }
    OllamaPane #ollama-pull { height: auto; }
    OllamaPane #pull-model { width: 1fr; }
    OllamaPane #pull-progress { height: 1; padding: 0 1; display: none; }
    OllamaPane.-pulling #pull-progress { display: block; }
    OllamaPane #pull-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Ollama: checking…", id="ollama-status")
        with Horizontal(id="ollama-actions"):
            yield Button("Start server", id="ollama-start")
            yield Button("Stop server", id="ollama-stop")
            yield Button("Refresh", id="ollama-refresh")
        yield DataTable(id="ollama-models", cursor_type="row")
        with Horizontal(id="ollama-pull"):
            yield Input(placeholder="model to pull, e.g. qwen3:8b", id="pull-model")
            yield Button("Pull", id="pull-button", variant="primary")
        yield ProgressBar(id="pull-progress", show_eta=False)
        yield Static("", id="pull-status")

    @property
    def control(self) -> OllamaControl:
        return self.app.ollama

    def on_mount(self) -> None:
        local = next((p for p in self.app.registry if p.type == "ollama" and p.api_base), None)
        if local is not None:
            from ....providers.endpoints import ollama_server_url

            self.control.point_at(ollama_server_url(local.api_base))
        table = self.query_one("#ollama-models", DataTable)
        table.add_column("model", key="name")
        table.add_column("size", key="size")
        table.add_column("family", key="family")
        self.call_after_refresh(self.action_refresh)

    @work(exclusive=True, group="ollama-status")
    async def action_refresh(self) -> None:
        status = await self.control.status()
        self.query_one("#ollama-status", Static).update(status.summary)
        self.query_one("#ollama-start", Button).disabled = status.running or not status.installed
        self.query_one("#ollama-stop", Button).disabled = not status.running or not status.managed
        table = self.query_one("#ollama-models", DataTable)
        table.clear()
        models = await self.control.models() if status.running else []
        for model in models:
            table.add_row(model.name, model.size_text, model.family or "—", key=model.name)

    @work(exclusive=True, group="ollama-server")
    async def _start(self) -> None:
        message = await self.control.start()
        self.notify(message, title="Ollama")
        self.action_refresh()

    @work(exclusive=True, group="ollama-server")
    async def _stop(self) -> None:
        message = await self.control.stop()
        self.notify(message, title="Ollama")
        self.action_refresh()

    @work(exclusive=True, group="ollama-pull")
    async def pull(self, model: str) -> None:
        bar = self.query_one("#pull-progress", ProgressBar)
        status = self.query_one("#pull-status", Static)
        self.add_class("-pulling")
        bar.update(total=100, progress=0)
        status.update(f"pulling {model}…")
        layers: dict[str, tuple[int, int]] = {}  # digest -> (completed, total): the bar covers all layers
        try:
            async for step in self.control.pull(model):
                if step.total and step.digest:
                    layers[step.digest] = (step.completed or 0, step.total)
                    bar.update(total=sum(t for _, t in layers.values()), progress=sum(c for c, _ in layers.values()))
                status.update(f"{model}: {step.status}")
        except Exception as exc:  # the manager raises its own error with a message for people
            status.update(f"{model}: failed: {exc}")
            self.notify(str(exc), title=f"Pull {model}", severity="error")
            return
        if bar.total:
            bar.update(progress=bar.total)
        status.update(f"{model}: done")
        self.action_refresh()

    def action_focus_pull(self) -> None:
        self.query_one("#pull-model", Input).focus()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        match event.button.id:
            case "ollama-start":
                self._start()
            case "ollama-stop":
                self._stop()
            case "ollama-refresh":
                self.action_refresh()
            case "pull-button":
                self._pull_from_input()

    @on(Input.Submitted, "#pull-model")
    def _pull_submitted(self) -> None:
        self._pull_from_input()

    def _pull_from_input(self) -> None:
        model = self.query_one("#pull-model", Input).value.strip()
        if model:
            self.pull(model)
