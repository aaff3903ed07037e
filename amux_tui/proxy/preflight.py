"""Can the proxy start here? For ``amux launch`` (before it promises a proxied session) and
``amux doctor``. Each problem names its exact fix."""

from __future__ import annotations

import importlib.util
import socket

from .server import NotLoopbackError, check_loopback


async def check_proxy_can_start(host: str = "127.0.0.1") -> list[str]:
    """Problems that would stop the proxy from serving on ``host``; empty when it can."""
    problems: list[str] = []
    if importlib.util.find_spec("aiohttp") is None:
        problems.append("aiohttp is not installed: run `pip install aiohttp` in amux's environment "
                        "(or reinstall amux: `pip install -e .`)")
    try:
        address = check_loopback(host)
    except NotLoopbackError as exc:
        return [*problems, str(exc)]
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
            probe.listen(1)
    except OSError as exc:
        fix = ("enable the loopback interface (`ip link set lo up`)" if family == socket.AF_INET
               else "enable IPv6 on loopback, or use --host 127.0.0.1")
        problems.append(f"cannot listen on {address}: {exc.strerror or exc}; {fix}")
    return problems
