"""The embedded terminal core: PTY sessions, the emulated screen, input encoding.

No UI library here (``amux_tui.ui.terminal_view`` renders it with Textual):

* :class:`PtySession` - a command in its own PTY and process group, non-blocking I/O,
  ``close()`` ends its whole process tree.
* :class:`Terminal` - a session plus its :class:`TerminalScreen`: parsing in bounded
  slices, query answers, title / busy / exit callbacks, key/paste/mouse input.
* :func:`encode_key`, :func:`encode_paste`, :class:`MouseEvent` / :func:`encode_mouse`.
"""

from .colors import TerminalColors
from .keys import encode_focus, encode_key, encode_paste
from .mouse import MouseEvent, encode_mouse
from .pty_session import PtySession
from .screen import TerminalScreen
from .stream import TerminalStream
from .terminal import Terminal

__all__ = [
    "MouseEvent",
    "PtySession",
    "Terminal",
    "TerminalColors",
    "TerminalScreen",
    "TerminalStream",
    "encode_focus",
    "encode_key",
    "encode_mouse",
    "encode_paste",
]
