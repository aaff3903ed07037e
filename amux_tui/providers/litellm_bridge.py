"""The only door to LiteLLM outside the proxy's LiteLLM backend. LiteLLM's import takes seconds
and ~190 MB, so it happens lazily, when a name amux does not know needs checking."""

from __future__ import annotations

import functools


@functools.cache
def litellm_provider_names() -> frozenset[str]:
    import litellm  # noqa: PLC0415 - deliberately lazy

    names = set()
    for item in litellm.provider_list:
        names.add(getattr(item, "value", item))
    return frozenset(names)
