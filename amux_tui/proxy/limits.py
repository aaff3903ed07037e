"""How much of an upstream answer the proxy holds in memory on the translating path, configurable:

=========================  ==========  ===================================================
``AMUX_PROXY_MAX_BODY``    64 MiB      a whole (not streamed) answer read to be translated
``AMUX_PROXY_MAX_EVENT``   16 MiB      one event of a stream being translated
=========================  ==========  ===================================================

Values are bytes, or a number with ``KiB``/``MiB``/``GiB``. Past a limit the caller gets a 502 in its
own format (or the stream ends with its error event) saying which variable to raise. Relayed answers
(same protocol, passthrough) are streamed through and never held whole, so they have no limit.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

from .protocols import sse
from . import upstream

log = logging.getLogger("amux_tui.proxy")

BODY_ENV, EVENT_ENV = "AMUX_PROXY_MAX_BODY", "AMUX_PROXY_MAX_EVENT"
_UNITS = {"": 1, "b": 1, "kib": 1024, "kb": 1024, "k": 1024, "mib": 1024**2, "mb": 1024**2, "m": 1024**2,
          "gib": 1024**3, "gb": 1024**3, "g": 1024**3}
_SIZE = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int | None:
    found = _SIZE.fullmatch(text)
    if found is None or found.group(2).lower() not in _UNITS or int(found.group(1)) <= 0:
        return None
    return int(found.group(1)) * _UNITS[found.group(2).lower()]


def configure_from_env(env: Mapping[str, str] | None = None) -> None:
    """Apply the two variables (a bad value is logged and the default kept)."""
    env = os.environ if env is None else env
    for name, module, attribute in ((BODY_ENV, upstream, "MAX_BODY_BYTES"), (EVENT_ENV, sse, "MAX_EVENT_BYTES")):
        value = env.get(name)
        if not value:
            continue
        size = parse_size(value)
        if size is None:
            log.warning("%s=%r is not a size (e.g. 64MiB); keeping %d bytes", name, value, getattr(module, attribute))
        else:
            setattr(module, attribute, size)
