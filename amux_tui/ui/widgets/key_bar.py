"""The bottom line of keys: the screen's active bindings, drawn by one widget.

Textual's Footer mounts a widget per key and, whenever the bindings change (every focus move,
every tab switch), recomposes and restyles all of them: about 0.1 s with a dozen keys on a
loaded machine, which shows up as event-loop lag while sessions stream. This bar draws the same
keys as one line of text and repaints only when the shown keys actually changed.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
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

    The most important keys come first (`RANKS`: launch, broadcast, split, the session keys, then
    the focused area's own, then quit, tab moves and theme); a narrow terminal drops whole entries
    from the end, never cutting one mid-word."""

    ALLOW_SELECT = False
    RANKS = {"launch": 0, "broadcast": 1, "toggle_split": 2, "leave_terminal": 3, "toggle_traffic": 4,
             "close_tab": 6, "quit": 7, "request_quit": 7, "next_tab": 8, "toggle_dark": 9}
    """Which keys stay when the bar is narrow (lower first); the focused area's own keys rank 5."""
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
        ranked = sorted(keys.items(), key=lambda item: self.RANKS.get(item[0], 5))
        new = tuple(shown for _, (_, shown) in ranked)
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

        palette = None
        if self._palette is not None:
            palette = Text("▏", style="dim", end="")
            add(self._palette, palette)
            palette_span = self._spans.pop()
        room = max(0, self.size.width - (palette.cell_len if palette is not None else 0))
        for entry in self._keys:
            # Whole entries only: a narrow bar drops the least important keys rather than cutting one.
            if text.cell_len + cell_len(f" {entry.display} {entry.description} ") > room:
                continue  # a shorter, less important one may still fit
            add(entry, text)
        if palette is not None:
            # The palette key sits at the right edge.
            start, end, key = palette_span
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
