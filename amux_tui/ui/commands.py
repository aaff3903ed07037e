"""Command palette: "Launch <harness> with <provider>/<model>" for every installed harness and
every provider's default model (or the model highlighted in the Providers tab)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class LaunchCommands(Provider):
    def _candidates(self) -> list[tuple[str, str, str]]:
        app = self.app
        harnesses = [h.name for h in app.harness_catalog.known if h.installed]
        out = []
        for provider in app.registry:
            model = provider.default_model or (provider.models[0] if provider.models else None)
            if not model:
                continue
            for harness in harnesses:
                out.append((harness, provider.name, model))
        return out

    def _launch(self, harness: str, provider: str, model: str) -> None:
        self.app._main_screen().open_launcher(provider, model, harness)

    async def discover(self) -> Hits:
        for harness, provider, model in self._candidates():
            yield DiscoveryHit(f"Launch {harness} with {provider}/{model}", partial(self._launch, harness, provider, model),
                               help="open the launch dialog with these picked")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for harness, provider, model in self._candidates():
            text = f"Launch {harness} with {provider}/{model}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._launch, harness, provider, model),
                          help="open the launch dialog with these picked")
