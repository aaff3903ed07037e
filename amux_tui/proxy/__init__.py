"""amux's translation proxy (aiohttp, loopback only). Nothing is imported here, so importing the
package stays free; use the modules:

* `amux_tui.proxy.server`: `ProxyServer`, `NotLoopbackError`, `check_loopback`
* `amux_tui.proxy.sessions`: `SessionRegistration`, `Session`
* `amux_tui.proxy.traffic`: `TrafficLog`, `RequestRecord`, `TrafficTotals`
* `amux_tui.proxy.preflight`: `check_proxy_can_start`
* `amux_tui.proxy.app`: `create_app` (the aiohttp application factory)

See ``docs/provider-mux.md`` ("The proxy") for the design.
"""
