"""Reasoning effort <-> token budget, shared by every encoder that needs the other one."""

from __future__ import annotations

from .ir import Effort, Reasoning

EFFORT_BUDGET: dict[str, int] = {"minimal": 1024, "low": 4096, "medium": 10240, "high": 24576, "xhigh": 32768}


def budget_of(reasoning: Reasoning, default: int = 10240) -> int:
    """A token budget for ``reasoning`` (its own, else one matching its effort)."""
    if reasoning.budget_tokens is not None:
        return reasoning.budget_tokens
    return EFFORT_BUDGET.get(reasoning.effort or "", default)


def effort_of(reasoning: Reasoning) -> Effort | None:
    """An effort level for ``reasoning``; None when the client gave neither hint."""
    if reasoning.effort is not None:
        return reasoning.effort
    budget = reasoning.budget_tokens
    if budget is None:
        return None
    if budget <= 0:
        return "none"
    if budget <= 4096:
        return "low"
    if budget <= 16384:
        return "medium"
    return "high"
