"""A checkbox whose state reads without colour: Textual's draws an X in both states and tells them
apart by colour alone, which 256-colour themes blur and NO_COLOR removes."""

from __future__ import annotations

from textual.widgets import Checkbox


class Check(Checkbox):
    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - Textual's name, read when the button is drawn
        return "x" if self.value else " "
