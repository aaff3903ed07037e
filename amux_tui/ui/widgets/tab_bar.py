"""The row of tab names above the main screen's content, drawn by one widget.

Textual's TabbedContent builds a Tabs widget with a widget per tab and an animated underline:
about 45 ms of the first frame on this project's 2-core machine, as much as everything else the
dashboard adds to a bare Textual app. This bar draws the names as one line of text; the content
lives in a plain ContentSwitcher next to it (see screens/main.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget


class TabBar(Widget, can_focus=False):
    """Tab names, the active one marked; a click posts `Clicked` (the screen decides what happens)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"tab-bar--tab", "tab-bar--active"}
    DEFAULT_CSS = """
    TabBar {
        height: 1;
        background: $panel;
        & > .tab-bar--tab { color: $text-muted; }
        & > .tab-bar--active { color: $text; background: $primary; text-style: bold; }
    }
    """

    @dataclass
    class Clicked(Message):
        """A tab's name was clicked."""

        tab_id: str

    def __init__(self, tabs: list[tuple[str, str]], active: str, **kwargs):
        super().__init__(**kwargs)
        self._tabs: dict[str, str] = dict(tabs)
        self._active = active
        self._spans: list[tuple[int, int, str]] = []
        """(first column, end column, tab id) of each name as last drawn, for clicks."""

    @property
    def tab_ids(self) -> list[str]:
        return list(self._tabs)

    def label(self, tab_id: str) -> str:
        return self._tabs[tab_id]

    @property
    def active(self) -> str:
        return self._active

    @active.setter
    def active(self, tab_id: str) -> None:
        if tab_id != self._active:
            self._active = tab_id
            self.refresh()

    def add(self, tab_id: str, label: str) -> None:
        self._tabs[tab_id] = label
        self.refresh()

    def remove(self, tab_id: str) -> None:
        if self._tabs.pop(tab_id, None) is not None:
            self.refresh()

    def render(self) -> Text:
        plain = self.get_component_rich_style("tab-bar--tab")
        active = self.get_component_rich_style("tab-bar--active")
        names = [(tab_id, f" {label} ") for tab_id, label in self._tabs.items()]
        # When the names do not fit, start late enough for the active one to show.
        first, width = 0, self.size.width
        while first < len(names) - 1 and _width(names[first:], self._active) > width:
            first += 1
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        self._spans = []
        if first:
            text.append("…", plain)
        for tab_id, name in names[first:]:
            start = text.cell_len
            text.append(name, active if tab_id == self._active else plain)
            self._spans.append((start, text.cell_len, tab_id))
            text.append(" ")
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, tab_id in self._spans:
            if start <= event.x < end:
                event.stop()
                self.post_message(self.Clicked(tab_id))
                return


def _width(names: list[tuple[str, str]], through: str) -> int:
    """Columns used by these names up to and including ``through`` (all of them if it is not there)."""
    total = 1  # room for the leading "…"
    for tab_id, name in names:
        total += cell_len(name) + 1
        if tab_id == through:
            break
    return total
