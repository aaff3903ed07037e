"""The fast lane: passthrough requests relayed without aiohttp's request machinery.

Passthrough (``/{provider}/...``) changes nothing but credentials, so most of what a web
framework does per request (request objects, routing, middlewares, a client session with its
tracing and timers) is cost without use there: through aiohttp, a relay adds about 0.9 ms to a
small answer; on the lane, a third of that (``bench/proxy_overhead.py``). The lane reads plain
HTTP/1.1 request heads itself (`head`), relays over pooled connections parsed by llhttp
(`pool`), records each request exactly as the aiohttp route does (`passthrough`), and hands the
connection to aiohttp at the first request it does not take (`front`): aiohttp still serves
every protocol route, every error answer and every unusual request.
"""
