"""`amux doctor`: every check that decides whether amux can work here, each failure with its exact fix.

It reads; it never changes anything. Exit code 0 when nothing failed (warnings allowed), 1 when a
check failed, 2 when the config itself is invalid.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from argparse import Namespace
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]
_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Check:
    area: str
    status: Status
    summary: str
    fix: str | None = None


async def run_checks(config_path: str | None = None) -> tuple[list[Check], bool]:
    """All checks; the flag is True when the config was invalid (the rest then ran on no config)."""
    from .config import ConfigError, load_config
    from .harnesses.inventory import list_harnesses
    from .providers.detect import detect_local_providers
    from .providers.registry import ProviderRegistry
    from .proxy.preflight import check_proxy_can_start

    checks: list[Check] = [_python_check()]
    config_invalid = False
    try:
        loaded = load_config(config_path)
        where = str(loaded.path) if loaded.path else "no providers.json (providers come from the environment)"
        checks.append(Check("config", "ok", where))
        registry = ProviderRegistry.from_config(loaded)
    except ConfigError as exc:
        config_invalid = True
        for problem in exc.problems:
            checks.append(Check("config", "fail", f"{exc.source}: {problem.json_path or '(file)'}: {problem.message}",
                                problem.fix))
        registry = None

    harness_task = asyncio.ensure_future(list_harnesses())
    proxy_task = asyncio.ensure_future(check_proxy_can_start())
    if registry is not None:
        for provider in await detect_local_providers(registry):
            registry.add(provider)
        checks += await _provider_checks(registry)
    statuses = await harness_task
    checks += [_harness_check(status) for status in statuses]
    agents = [status for status in statuses if status.name != "shell"]
    if agents and not any(status.installed and not status.problem for status in agents):
        # shell still works (it is listed above); only the agent CLIs are missing
        checks.append(Check("harness", "warn", "no agent CLI is installed (only shell can be launched)",
                            f"install one, e.g. {agents[0].install_command}"))
    proxy_problems = await proxy_task
    # Each preflight problem already ends with its fix.
    checks += [Check("proxy", "fail", problem) for problem in proxy_problems] or [
        Check("proxy", "ok", "can listen on 127.0.0.1")]
    if importlib.util.find_spec("litellm") is None:
        checks.append(Check("litellm", "warn", "LiteLLM is not installed: Bedrock, Vertex, Azure and other "
                            "LiteLLM-only providers cannot be reached", "pip install litellm"))
    return checks, config_invalid


def _python_check() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 11):
        return Check("python", "fail", f"Python {version}", "use Python 3.11 or newer")
    return Check("python", "ok", f"Python {version}")


async def _provider_checks(registry) -> list[Check]:
    """Every provider's key, and one probe of each (all at once, a short timeout): a provider that does
    not answer or refuses the key fails here rather than at launch."""
    from .providers.health import check_all

    if not len(registry):
        return [Check("providers", "warn", "no provider configured or detected",
                      "export a key (ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY, ...), start Ollama, "
                      "or add providers to providers.json (amux providers add NAME --type TYPE ...)")]
    keyed = [provider for provider in registry if not provider.key_problem]
    health = {result.provider: result for result in await check_all(keyed, timeout=PROBE_TIMEOUT)}
    checks = []
    for provider in registry:
        route = "via LiteLLM" if provider.via_litellm else ", ".join(provider.api_formats)
        described = f"{provider.name} ({provider.type}, {route})"
        if provider.key_problem:
            variable = provider.key_env or "THE_KEY"
            checks.append(Check("providers", "fail", f"{provider.name}: {provider.key_problem}",
                                f"export {variable}=... (or set api_key in providers.json)"))
            continue
        result = health[provider.name]
        if result.status == "ok":
            latency = f", {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
            checks.append(Check("providers", "ok", f"{described}, key {provider.masked_key}: {result.detail}{latency}"))
        elif result.status == "unknown":
            checks.append(Check("providers", "ok", f"{described}, key {provider.masked_key}: not probed ({result.detail})"))
        else:
            where = provider.api_base or "its endpoint"
            fix = ("check the key (amux providers --check shows the answer)" if result.status == "auth_failed"
                   else f"start the server or fix api_base ({where})")
            checks.append(Check("providers", "fail", f"{described}: {result.status}: {result.detail}", fix))
    return checks


def _harness_check(status) -> Check:
    if status.installed and not status.problem:
        return Check("harness", "ok", f"{status.name} {status.version or '(version unknown)'} at {status.path}")
    if status.installed:
        return Check("harness", "warn", f"{status.name} at {status.path}: {status.problem}",
                     f"reinstall it: {status.install_command}")
    return Check("harness", "warn", f"{status.name} is not installed", status.install_command)


def cmd_doctor(args: Namespace) -> int:
    checks, config_invalid = asyncio.run(run_checks(getattr(args, "config", None)))
    if getattr(args, "json", False):
        print(json.dumps({"checks": [asdict(check) for check in checks],
                          "ok": not any(c.status == "fail" for c in checks)}, indent=2))
    else:
        for check in checks:
            print(f"[{_MARK[check.status]}] {check.area:<9} {check.summary}")
            if check.fix and check.status != "ok":
                print(f"{'':17}fix: {check.fix}")
    if config_invalid:
        return 2
    return 1 if any(check.status == "fail" for check in checks) else 0
