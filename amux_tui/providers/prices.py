"""What a request cost: LiteLLM's bundled model price table, read as a data file (LiteLLM is never
imported; `model_table` reads it once for the whole process), or a provider's own ``pricing`` from
providers.json, which wins where both exist.

Until the table is loaded (`load_price_table`, blocking: call it from a worker thread where a loop
must not wait), `request_cost` answers "not yet" (``ready=False``) and callers ask again later.
Cached prompt tokens are counted in the input and priced at the cache rates, never twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .model_table import ModelTable, load_shared_table, shared_table, table_path

__all__ = ["ModelPrice", "PriceTable", "Priced", "load_price_table", "price_table", "request_cost", "table_path"]

PER_MILLION = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """USD per token; ``cached`` (cache reads) or ``cache_write`` None: those cost what input costs."""

    input: float
    output: float
    cached: float | None = None
    source: str = ""
    cache_write: float | None = None

    @classmethod
    def per_million(cls, input: float, output: float, cached: float | None = None, source: str = "",
                    cache_write: float | None = None) -> ModelPrice:
        def per_token(value: float | None) -> float | None:
            return None if value is None else value / PER_MILLION

        return cls(input / PER_MILLION, output / PER_MILLION, per_token(cached), source, per_token(cache_write))

    def cost(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0, cache_write_tokens: int = 0) -> float:
        """``input_tokens`` counts every prompt token, the cache reads (``cached_tokens``) and writes
        included: those are priced at their own rates instead of the input rate."""
        read = min(max(cached_tokens, 0), input_tokens)
        written = min(max(cache_write_tokens, 0), input_tokens - read)
        read_price = self.input if self.cached is None else self.cached
        write_price = self.input if self.cache_write is None else self.cache_write
        return ((input_tokens - read - written) * self.input + read * read_price + written * write_price
                + output_tokens * self.output)


@dataclass(frozen=True)
class Priced:
    cost: float | None
    reason: str | None = None
    """Why the cost is unknown (None when known)."""
    ready: bool = True
    """False while the price table is still to be read: ask again later."""


class PriceTable:
    """Prices from a `ModelTable` (None: the process's shared one, read once for every reader)."""

    def __init__(self, path: Path | None = None):
        self._table = ModelTable(path) if path is not None else None

    @property
    def source(self) -> ModelTable:
        return self._table or shared_table()

    @property
    def loaded(self) -> bool:
        return self.source.loaded

    @property
    def problem(self) -> str | None:
        return self.source.problem

    def load(self) -> PriceTable:
        """Read the table (blocking) if it was not yet."""
        self.source.load()
        return self

    def find(self, names: Iterable[str]) -> ModelPrice | None:
        """The first of ``names`` (or the name without its ``provider/`` prefix) the table prices."""
        table = self.source
        for name in names:
            lowered = name.lower()
            for key in (lowered, lowered.split("/", 1)[-1], lowered.rsplit("/", 1)[-1]):
                entry = table.get(key, any_case=True)
                if entry and _is_rate(entry.get("input_cost_per_token")) and _is_rate(entry.get("output_cost_per_token")):
                    cached, written = entry.get("cache_read_input_token_cost"), entry.get("cache_creation_input_token_cost")
                    return ModelPrice(float(entry["input_cost_per_token"]), float(entry["output_cost_per_token"]),
                                      float(cached) if _is_rate(cached) else None, f"LiteLLM price table: {key}",
                                      float(written) if _is_rate(written) else None)
        return None


def _is_rate(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TABLE = PriceTable()


def price_table() -> PriceTable:
    return _TABLE


def load_price_table() -> PriceTable:
    """The shared table, read now if it was not yet (blocking)."""
    load_shared_table()
    return _TABLE


def request_cost(models: Iterable[str | None], input_tokens: int | None, output_tokens: int | None,
                 cached_tokens: int | None = None, pricing: ModelPrice | None = None,
                 table: PriceTable | None = None, *, cache_write_tokens: int | None = None) -> Priced:
    """The cost of one request priced by the first model of ``models`` that has a price.

    ``input_tokens`` counts every prompt token; of them, ``cached_tokens`` were read from the
    provider's cache and ``cache_write_tokens`` written to it. ``pricing`` (the provider's own, from
    providers.json) wins over the table."""
    names = [name for name in models if name]
    if not (input_tokens or output_tokens):
        return Priced(None, "the upstream reported no token usage")
    counts = (input_tokens or 0, output_tokens or 0, cached_tokens or 0, cache_write_tokens or 0)
    if pricing is not None:
        return Priced(pricing.cost(*counts))
    table = table or _TABLE
    if not table.loaded:
        return Priced(None, "the price table is not loaded yet", ready=False)
    price = table.find(names)
    if price is None:
        why = table.problem or f"no price for {' / '.join(dict.fromkeys(names)) or 'an unnamed model'} in LiteLLM's table"
        return Priced(None, f"{why}: add \"pricing\" to the provider in providers.json")
    return Priced(price.cost(*counts))
