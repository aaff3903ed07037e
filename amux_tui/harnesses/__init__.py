"""Harnesses: one adapter module per coding-agent CLI, launch resolution, `amux launch`.

Public API (import from the modules; this package imports nothing heavy):

- `registry.ADAPTERS` / `registry.get_adapter(name)`: the adapters (`base.HarnessAdapter`).
- `resolve.decide_route(adapter, provider, proxy_mode)`: native / direct / proxy, no I/O.
- `launch.prepare_launch(...) -> resolve.LaunchPlan` and `launch.cleanup_launch(plan, proxy_server)`.
- `runner.run_plan(plan)`: run a plan in this terminal (``amux launch``).
- `inventory.list_harnesses()`, `matrix.support_matrix()`.
"""
