"""The fast lane: relays served without aiohttp's per-request machinery.

A passthrough request (``/{provider}/...``) or a protocol route whose provider speaks the
caller's API changes nothing but credentials (and maybe the model name), so most of what a web
framework does per request (request objects, routing, middlewares, a client session with its
tracing and timers) is cost without use there: through aiohttp such a relay adds about 0.9 ms
to a small answer, on the lane well under half of that (``bench/proxy_overhead.py``).

* `front`: connections; the hand-over to aiohttp at the first request the lane does not take;
  the site that serves the bound socket.
* `head`: strict HTTP/1.1 request heads (anything unusual is aiohttp's).
* `routes`: which requests the lane takes; a bad token's 401.
* `lane`: serving one request: the record, the upstream request, failures.
* `answer`: writing the relayed answer, or an error, to the client.
* `pool`: pooled upstream connections, parsed by llhttp (httptools).

aiohttp still serves translation, LiteLLM, model lists and every request the lane leaves.
"""
