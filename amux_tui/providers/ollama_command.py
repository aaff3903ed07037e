"""`amux ollama status|list|serve|pull MODEL`, on top of `OllamaManager`.

Exit codes: 0 ok; 1 when the action failed or (for ``status``) no server answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import TextIO

from ..config.problems import printable
from .ollama import OllamaError, OllamaManager, PullProgress
from .text_output import human_size, render_table, write

EXIT_OK, EXIT_FAILURE = 0, 1
INSTALL_HINT = "install it from https://ollama.com/download"


async def run_ollama_command(args: argparse.Namespace) -> int:
    async with OllamaManager() as manager:
        try:
            match args.ollama_command:
                case "status":
                    return await _status(manager, getattr(args, "json", False))
                case "list":
                    return await _list(manager, getattr(args, "json", False))
                case "serve":
                    return await _serve(manager)
                case "pull":
                    return await _pull(manager, args.model)
        except OllamaError as exc:
            write(f"error: {exc}\n", sys.stderr)
            return EXIT_FAILURE
    raise AssertionError(f"unhandled ollama action {args.ollama_command!r}")


async def _status(manager: OllamaManager, as_json: bool) -> int:
    status = await manager.status()
    if as_json:
        write(json.dumps(status.to_public_dict(), indent=2) + "\n")
    else:
        binary = status.binary or f"not installed ({INSTALL_HINT})"
        server = (f"running at {status.base_url} (version {status.version})" if status.running
                  else f"not answering at {status.base_url}" + (" (start it: amux ollama serve)" if status.binary else ""))
        write(f"ollama:  {binary}\nserver:  {server}\n")
    return EXIT_OK if status.running else EXIT_FAILURE


async def _list(manager: OllamaManager, as_json: bool) -> int:
    models = await manager.list_models()
    if as_json:
        write(json.dumps({"base_url": manager.base_url, "models": [m.to_public_dict() for m in models]}, indent=2) + "\n")
    elif models:
        rows = [[m.name, human_size(m.size), m.parameter_size, m.quantization, (m.modified_at or "")[:10] or None]
                for m in models]
        write(render_table(["NAME", "SIZE", "PARAMS", "QUANT", "MODIFIED"], rows))
    else:
        write(f"no models at {manager.base_url}: amux ollama pull MODEL\n", sys.stderr)
    return EXIT_OK


async def _serve(manager: OllamaManager) -> int:
    if not await manager.start():
        write(f"an Ollama server already answers at {manager.base_url} (not started by amux; left alone)\n")
        return EXIT_OK
    write(f"ollama serve is running at {manager.base_url}; Ctrl-C stops it\n")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        stopped, exited = asyncio.ensure_future(stop.wait()), asyncio.ensure_future(manager.wait())
        await asyncio.wait([stopped, exited], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if exited.done():
            code = exited.result()
            write(f"ollama serve exited with code {code}: {manager.last_output()}\n", sys.stderr)
            return EXIT_OK if code == 0 else EXIT_FAILURE
        exited.cancel()
        await manager.stop()
        write("stopped\n")
        return EXIT_OK
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _pull(manager: OllamaManager, model: str) -> int:
    if not await manager.is_running():
        if manager.find_binary() is None:
            raise OllamaError(f"no Ollama answers at {manager.base_url} and ollama is not installed: {INSTALL_HINT}")
        write("starting ollama serve for this pull (stopped afterwards)\n", sys.stderr)
        await manager.start()
    printer = PullPrinter(sys.stdout)
    try:
        async for progress in manager.pull(model):
            printer.show(progress)
    finally:
        printer.finish()
    return EXIT_OK


class PullPrinter:
    """Pull progress: on a terminal one line per step, its bar redrawn in place; elsewhere plain lines
    (each new step, and every quarter of a download), so logs stay readable."""

    BAR = 30

    def __init__(self, stream: TextIO, *, tty: bool | None = None):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._step: str | None = None
        self._quarter = -1
        self._open_line = False

    def show(self, progress: PullProgress) -> None:
        status = printable(progress.status)
        new_step = status != self._step
        if new_step:
            self.finish()
            self._step, self._quarter = status, -1
        fraction = progress.fraction
        if fraction is None:
            if new_step:
                write(status + "\n", self.stream)
            return
        text = f"{status} {self._bar(fraction)} {fraction:4.0%} " \
               f"{human_size(progress.completed)}/{human_size(progress.total)}"
        if self.tty:
            write("\r\x1b[2K" + text, self.stream)
            self._open_line = True
        elif int(fraction * 4) > self._quarter:
            self._quarter = int(fraction * 4)
            write(text + "\n", self.stream)

    def finish(self) -> None:
        if self._open_line:
            write("\n", self.stream)
            self._open_line = False

    def _bar(self, fraction: float) -> str:
        filled = round(fraction * self.BAR)
        return "[" + "#" * filled + "-" * (self.BAR - filled) + "]"
