"""How a dashboard is started: which config, which environment, and the few knobs tests and the
benchmark need (no local probing, a stable latency text, a first-paint timestamp)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

FIRST_PAINT_ENV = "AMUX_FIRST_PAINT_FILE"
"""When set to a path, the app writes ``<time.time()> cpu=<ms> litellm=<bool> pydantic=<bool>``
there after its first frame (cpu: the process's CPU time so far), adds ``<time.time()> cpu=<ms>
providers=<count>`` once the providers table shows providers.json's rows, then ``... records=<count>``
once the session records were read (earlier sessions listed, lost ones marked), and exits
(bench/dashboard.py measures start-up with it)."""


def as_recorded(text: str) -> str:
    """Traffic shown as it was recorded."""
    return text


def format_latency(latency_ms: float | None) -> str:
    """``123 ms``, ``1.2 s``; an em dash when unknown."""
    if latency_ms is None:
        return "—"
    if latency_ms < 1000:
        return f"{latency_ms:.0f} ms"
    return f"{latency_ms / 1000:.1f} s"


@dataclass
class DashboardOptions:
    """Everything `AmuxApp` needs to know before it starts."""

    config_path: str | None = None
    """providers.json as given by ``--config``; None uses the lookup order ($AMUX_CONFIG, XDG)."""
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    """Environment used to resolve keys and passed to launched harnesses."""
    detect_local: bool = True
    """Probe localhost for Ollama / LM Studio / vLLM / llama.cpp servers."""
    health_interval: float = 30.0
    """Seconds between background health refreshes."""
    latency_text: Callable[[float | None], str] = format_latency
    """How a latency is shown; snapshot tests pass one that hides the number."""
    traffic_text: Callable[[str], str] = as_recorded
    """Applied to every text the request detail view shows (title, bodies, events); snapshot tests and
    screenshots pass one that masks request numbers, generated ids and timestamps."""
    first_paint_file: str | None = None
    """See `FIRST_PAINT_ENV`."""
    harness_search_path: str | None = None
    """PATH used to find harness binaries (None: the environment's PATH)."""
