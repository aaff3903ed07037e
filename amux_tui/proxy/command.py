"""``amux proxy``: run the proxy for one provider and model until SIGINT/SIGTERM/SIGHUP.

Prints one JSON line, ``{"url": ..., "token": ...}``, on stdout once it serves (a launcher
reads it), a human note on stderr, and exits 0 after a clean shutdown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Each stops the proxy cleanly (the traffic log flushed, exit 0). HUP too: a closed terminal or a
supervisor's reload signal must not kill it mid-write."""


def cmd_proxy(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..config.overrides import parse_provider_args
    from ..providers.registry import ProviderRegistry
    from .server import NotLoopbackError, check_loopback

    try:
        check_loopback(args.host)
    except NotLoopbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    loaded = load_config(getattr(args, "config", None))
    registry = ProviderRegistry.from_config(loaded)
    provider, model = registry.select(args.provider, args.model,
                                      params=parse_provider_args(getattr(args, "provider_arg", None) or []))
    if provider.key_problem:
        print(f"warning: {provider.key_problem}; the provider will likely refuse requests", file=sys.stderr)
    logging.basicConfig(level=logging.WARNING, format="amux proxy: %(levelname)s %(message)s", stream=sys.stderr)
    return asyncio.run(serve(provider, model, host=args.host, port=args.port, log_path=args.log))


async def serve(provider, model: str, *, host: str = "127.0.0.1", port: int = 0,
                log_path: str | Path | None = None) -> int:
    """Serve one session until SIGINT/SIGTERM/SIGHUP; return the exit code."""
    from .server import ProxyServer

    server = ProxyServer(host, port, log_path=log_path, server_log=True)
    try:
        await server.start()
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc} (try --port 0 for any free port)",
              file=sys.stderr)
        return EXIT_FAILURE
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        registration = server.register_session(provider, model, label="amux proxy")
        sys.stdout.write(json.dumps({"url": registration.base_url, "token": registration.token}) + "\n")
        sys.stdout.flush()
        route = "LiteLLM" if provider.via_litellm else ", ".join(provider.api_formats)
        print(f"amux proxy: {provider.name} ({route}) model {model} at {registration.base_url} "
              f"(OpenAI clients: {registration.openai_base_url}); Ctrl-C stops it", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
        await server.stop()
    return EXIT_OK
