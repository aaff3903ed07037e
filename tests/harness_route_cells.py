"""The cells of the route matrix, generated from amux's own data: every harness adapter
(`ADAPTERS`) x every upstream wire format (`API_FORMATS`), on the route `--with-proxy-if-needed`
picks and on `--with-proxy`, plus every native provider type an adapter claims, with a custom
``api_base``. A new adapter, format or native type is covered without editing this file.

The expected route comes from `decide_route` on the provider amux itself resolves from the
cell's providers.json, so a cell also proves that the launch took the route it was meant to.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amux_tui.config.formats import API_FORMATS
from amux_tui.config.models import ProviderConfig
from amux_tui.harnesses.registry import ADAPTERS
from amux_tui.harnesses.resolve import decide_route
from amux_tui.providers.presets import PRESETS
from amux_tui.providers.registry import resolve_configured
from harness_runs import KEY, TOOL_PROMPT
from upstream_bedrock import BedrockUpstream
from upstream_cloud import CLOUD_UPSTREAMS, CloudUpstream

MODEL = "fixture-model"
GATEWAY_TYPE = "vllm"
"""The provider type of the format matrix: a self-hosted server, native to no harness, whose
``api_format`` is set to the format under test (so the route is direct or proxy)."""
ANSWER = "amux-plain-answer-3"
ERROR_MESSAGE = "fixture upstream refuses this request: unknown parameter (code 7731)"
NO_TOOL_CALLS = frozenset({"aider", "shell"})
"""Harnesses whose headless run does not call a shell tool: Aider edits files through its own
edit formats, `shell` is a script (its cells send one plain request instead)."""
TOOL_APPROVAL: dict[str, list[str]] = {"gemini": ["--yolo"], "qwen": ["--yolo"]}
"""Gemini CLI's and Qwen Code's headless modes leave tools that need approval (the shell) out of the
request unless told to approve everything; Claude Code's ``-p`` runs a read-only command such as
``printf`` by itself, Codex's ``exec`` in its workspace-write sandbox, OpenCode's ``run`` asks nobody."""
ERROR_EXIT_ZERO: dict[str, str] = {
    "aider": "aider --message prints the provider's error (litellm.BadRequestError ...) and still exits 0",
}
"""Harnesses whose headless mode reports an upstream error on screen but exits 0 (their own choice)."""
FIXTURES: dict[str, type[CloudUpstream]] = {**CLOUD_UPSTREAMS, BedrockUpstream.provider_type: BedrockUpstream}
"""Provider type -> the local fixture that speaks its cloud's own URLs, wire and auth."""
SHELL_CLIENT = str(Path(__file__).resolve().parent / "shell_client.py")
PLACEHOLDER_BASE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Cell:
    """One launch: harness, upstream, launch flag, what to prove, and the route expected."""

    harness: str
    upstream_format: str
    provider_type: str
    column: str
    """``auto`` (the --with-proxy-if-needed route), ``proxy`` (--with-proxy) or ``native``."""
    kind: str
    """``tool`` (answer after a shell-tool round trip), ``answer`` (a plain answer), ``error`` (an upstream 400)."""
    route: str
    harness_format: str | None
    flag: str = "--with-proxy-if-needed"
    same_as_proxy: bool = False
    """The auto route is the proxy with the same format, so this run stands for --with-proxy too."""
    unservable: str = ""
    """Why no local fixture can stand in for this provider type (the cell is skipped, saying so)."""
    model: str = MODEL

    @property
    def cloud(self) -> type[CloudUpstream] | None:
        """The fixture of a native cell's cloud provider (Azure, Vertex, Bedrock), whose URLs and auth are its own."""
        return FIXTURES.get(self.provider_type) if self.column == "native" else None

    @property
    def id(self) -> str:
        where = self.provider_type if self.column == "native" else self.upstream_format
        column = f"auto_{self.route}" if self.column == "auto" else self.column
        return f"{self.harness}-{where}-{column}-{self.kind}"

    @property
    def keyless(self) -> bool:
        """A native cell of a type that needs no key: a local server (Ollama, LM Studio), configured as
        users do, without one, against a server that asks for none; or a cloud whose credentials its
        fixture's settings carry instead (Vertex: a Google credentials file)."""
        preset = PRESETS.get(self.provider_type)
        return (self.column == "native" and preset is not None and (preset.local or self.cloud is not None)
                and not preset.needs_key)

    def config(self, api_base: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """The cell's providers.json; ``settings``: what a cloud fixture's entry adds (params)."""
        entry: dict[str, Any] = {"type": self.provider_type, "api_base": api_base,
                                 "models": [self.model], "default_model": self.model, **(settings or {})}
        if not self.keyless:
            entry["api_key"] = KEY
        if self.column != "native":
            entry["api_format"] = self.upstream_format
        return {"default_provider": "up", "providers": {"up": entry}}

    def harness_args(self) -> list[str]:
        prompt = TOOL_PROMPT if self.kind == "tool" else "Say hello."
        if self.harness == "shell":
            return [sys.executable, SHELL_CLIENT, prompt]
        args = ADAPTERS[self.harness].headless_args(prompt)
        return args + TOOL_APPROVAL.get(self.harness, []) if self.kind == "tool" else args


def _resolved(entry: dict[str, Any]):
    return resolve_configured("up", ProviderConfig(**entry), {})


def matrix_cells() -> list[Cell]:
    """Every harness x every upstream format, on the auto route and (when different) the proxy."""
    cells = []
    for name, adapter in ADAPTERS.items():
        success_kind = "answer" if name in NO_TOOL_CALLS else "tool"
        for fmt in API_FORMATS:
            probe = Cell(name, fmt, GATEWAY_TYPE, "auto", success_kind, "", None)
            provider = _resolved(probe.config(PLACEHOLDER_BASE)["providers"]["up"])
            auto = decide_route(adapter, provider, "if-needed")
            forced = decide_route(adapter, provider, "always")
            same = (auto.route, auto.api_format) == (forced.route, forced.api_format)
            for kind in (success_kind, "error"):
                cells.append(Cell(name, fmt, GATEWAY_TYPE, "auto", kind, auto.route, auto.api_format,
                                  same_as_proxy=same))
                if not same:
                    cells.append(Cell(name, fmt, GATEWAY_TYPE, "proxy", kind, forced.route, forced.api_format,
                                      flag="--with-proxy"))
    return cells


def native_cells() -> list[Cell]:
    """Every provider type an adapter reaches natively, pointed at a local ``api_base``."""
    cells = []
    for name, adapter in ADAPTERS.items():
        for ptype in sorted(adapter.native_providers):
            preset = PRESETS.get(ptype)
            formats = preset.api_formats if preset else ()
            cloud = FIXTURES.get(ptype)
            fmt = formats[0] if formats else cloud.wire_for(adapter.protocols) if cloud else "openai-chat"
            model = (cloud.model_for(fmt) if cloud else None) or MODEL
            unservable = "" if formats or cloud else (
                f"no local fixture serves {ptype}'s wire (harness_route_cells.FIXTURES has none for it)")
            probe = Cell(name, fmt, ptype, "native", "answer", "", None, model=model)
            entry = probe.config(PLACEHOLDER_BASE, cloud.route_settings() if cloud else None)["providers"]["up"]
            decision = decide_route(adapter, _resolved(entry), "if-needed")
            cells.append(Cell(name, fmt, ptype, "native", "answer", decision.route, decision.api_format,
                              unservable=unservable, model=model))
    return cells


def all_cells() -> list[Cell]:
    return matrix_cells() + native_cells()
