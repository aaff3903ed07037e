"""Which terminal modes a program has switched on, and which ones amux implements.

DECRQM answers come from here, so a program asking "do you support X?" gets
"not recognised" for anything amux does not actually do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: ANSI (non-private) modes: insert (IRM) and automatic newline (LNM).
ANSI_MODES = frozenset({4, 20})

#: Mouse tracking modes: X10 press-only, normal, button-event, any-event.
MOUSE_TRACKING = (9, 1000, 1002, 1003)

#: DEC private modes amux implements.
PRIVATE_MODES = frozenset({
    1,      # DECCKM application cursor keys
    6,      # DECOM origin mode
    7,      # DECAWM auto-wrap
    12,     # cursor blinking (kept, the view decides)
    25,     # DECTCEM cursor visible
    47, 1047, 1049,  # alternate screen (1049 saves the cursor too)
    *MOUSE_TRACKING,
    1004,   # focus in/out events
    1007,   # alternate scroll: the wheel sends cursor keys in the alternate screen
    1006,   # SGR mouse encoding
    1015,   # urxvt mouse encoding
    2004,   # bracketed paste
    2026,   # synchronized output
})


@dataclass
class ModeState:
    """The DEC private modes currently on (plus keypad mode, set by ESC = / ESC >)."""

    enabled: set[int] = field(default_factory=lambda: {7, 25, 1007})
    ansi_enabled: set[int] = field(default_factory=set)
    application_keypad: bool = False
    #: The mouse tracking mode in force (0 = off); the last one switched on wins.
    mouse_tracking: int = 0

    def set(self, mode: int, on: bool) -> None:
        if mode not in PRIVATE_MODES:
            return
        if on:
            self.enabled.add(mode)
        else:
            self.enabled.discard(mode)
        if mode in MOUSE_TRACKING:
            if on:
                self.mouse_tracking = mode
            elif self.mouse_tracking == mode:
                self.mouse_tracking = 0

    def set_ansi(self, mode: int, on: bool) -> None:
        if mode in ANSI_MODES:
            (self.ansi_enabled.add if on else self.ansi_enabled.discard)(mode)

    @property
    def application_cursor_keys(self) -> bool:
        return 1 in self.enabled

    @property
    def mouse_sgr(self) -> bool:
        return 1006 in self.enabled

    @property
    def mouse_urxvt(self) -> bool:
        return 1015 in self.enabled

    @property
    def focus_events(self) -> bool:
        return 1004 in self.enabled

    @property
    def bracketed_paste(self) -> bool:
        return 2004 in self.enabled

    @property
    def synchronized_output(self) -> bool:
        return 2026 in self.enabled

    @property
    def alternate_scroll(self) -> bool:
        return 1007 in self.enabled

    @property
    def cursor_blink(self) -> bool:
        return 12 in self.enabled

    def report(self, mode: int, *, private: bool) -> int:
        """DECRQM status: 0 not recognised, 1 set, 2 reset."""
        if private:
            if mode not in PRIVATE_MODES:
                return 0
            return 1 if mode in self.enabled else 2
        if mode not in ANSI_MODES:
            return 0
        return 1 if mode in self.ansi_enabled else 2
