"""The bottom line of keys: the screen's active bindings, drawn by one widget.

Textual's Footer mounts a widget per key and, whenever the bindings change (every focus move,
every tab switch), recomposes and restyles all of them: about 0.1 s with a dozen keys on a
loaded machine, which shows up as event-loop lag while sessions stream. This bar draws the same
keys as one line of text and repaints only when the shown keys actually changed.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class ShownKey(NamedTuple):
    key: str
    """The key to simulate when the entry is clicked."""
    display: str
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    """One line: ``F2 Launch  F3 Broadcast ...`` and the command palette key on the right.

    Keys that work everywhere (priority bindings: launch, broadcast, split, quit, the session keys)
    come first, then the focused area's own, so a narrow terminal still shows the main ones."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        & > .key-bar--description { color: $footer-description-foreground; background: $footer-description-background; }
    }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._keys: tuple[ShownKey, ...] = ()
        self._palette: ShownKey | None = None
        self._spans: list[tuple[int, int, str]] = []
        """(first column, end column, key) of each entry as last drawn, for clicks."""

    @property
    def shown(self) -> tuple[ShownKey, ...]:
        """The keys on the bar now (the palette key last, when shown)."""
        return self._keys + ((self._palette,) if self._palette else ())

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        app = self.app
        keys: dict[str, tuple[bool, ShownKey]] = {}  # one entry per action, first key wins (as the Footer does)
        palette = None
        for key, (_, binding, enabled, _tooltip) in screen.active_bindings.items():
            shown = ShownKey(key, app.get_key_display(binding), binding.description, enabled)
            if key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = shown
            elif binding.show:
                keys.setdefault(binding.action, (binding.priority, shown))
        new = tuple(shown for _, shown in sorted(keys.values(), key=lambda entry: not entry[0]))
        if new != self._keys or palette != self._palette:
            self._keys, self._palette = new, palette
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        self._spans = []

        def add(entry: ShownKey, into: Text) -> None:
            start = into.cell_len
            into.append(f" {entry.display} ", key_style)
            into.append(f"{entry.description} ", description_style)
            if not entry.enabled:
                into.stylize("dim", start)
            self._spans.append((start, into.cell_len, entry.key))

        for entry in self._keys:
            add(entry, text)
        if self._palette is not None:
            # The palette key sits at the right edge; the others give way (cut with an ellipsis).
            palette = Text("▏", style="dim", end="")
            add(self._palette, palette)
            start, end, key = self._spans.pop()
            room = max(0, self.size.width - palette.cell_len)
            if text.cell_len > room:
                text.truncate(max(0, room - 1), overflow="ellipsis", pad=False)
                self._spans = [(a, min(b, room - 1), k) for a, b, k in self._spans if a < room - 1]
            text.append(" " * (room - text.cell_len))
            offset = text.cell_len
            text.append_text(palette)
            self._spans.append((start + offset, end + offset, key))
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
