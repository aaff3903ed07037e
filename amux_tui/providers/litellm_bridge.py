"""The only door to LiteLLM outside the proxy's LiteLLM backend. LiteLLM's import takes seconds
and ~190 MB, so it happens lazily, when a name amux does not know needs checking."""

from __future__ import annotations

import functools
import os

# LiteLLM provider prefixes that are not model transports amux can route a harness through.
_NOT_TRANSPORTS = frozenset({"a2a", "a2a_agent"})


def import_litellm():  # noqa: ANN201 - the module, typed loosely on purpose (its import is the point)
    """Import LiteLLM without its start-up download of the model price map (it would retry for
    seconds on a machine without network); the copy bundled with LiteLLM is used instead."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm  # noqa: PLC0415 - deliberately lazy

    return litellm


@functools.cache
def litellm_provider_names() -> frozenset[str]:
    """Every provider prefix LiteLLM routes (``bedrock``, ``vertex_ai``, ``together_ai``...)."""
    litellm = import_litellm()
    names = {getattr(item, "value", item) for item in litellm.provider_list}
    return frozenset(str(name) for name in names) - _NOT_TRANSPORTS
