"""Sampling parameters and output tokens the target model accepts: applied to the IR request before encoding.

The facts (``TranslateOptions.rejected_sampling``, ``temperature_or_top_p``) come from
``proxy/model_facts.py``; this module only applies them, so every encoder sees a request the
model will take and every parameter left out is in ``TranslationReport.dropped``.
"""

from __future__ import annotations

from . import ir
from .options import TranslateOptions
from .report import TranslationReport

_DEFAULTS = {"temperature": 1.0, "top_p": 1.0}


def fit_sampling(req: ir.Request, options: TranslateOptions, report: TranslationReport) -> None:
    source = f" ({options.why})" if options.why else ""
    for name in options.rejected_sampling:
        if getattr(req, name, None) not in (None, []):
            setattr(req, name, [] if name == "stop" else None)
            report.note(f"{name}: the target model does not accept it{source}")
    cap = options.max_tokens_cap
    if cap is not None and req.max_tokens is not None and req.max_tokens > cap:
        report.note(f"max_tokens lowered from {req.max_tokens} to {cap}, the model's output limit{source}")
        req.max_tokens = cap
    reasoning = req.reasoning
    if options.reasoning is False and reasoning is not None and reasoning.enabled and reasoning.effort != "none":
        req.reasoning = None  # the encoders would leave it out too, without a word
        report.note(f"reasoning: the target model cannot reason{source}")
    if options.temperature_or_top_p and req.temperature is not None and req.top_p is not None:
        drop = _less_meaningful(req.temperature, req.top_p)
        kept = "top_p" if drop == "temperature" else "temperature"
        setattr(req, drop, None)
        report.note(f"{drop}: the target model takes temperature or top_p, not both; kept {kept}{source}")


def _less_meaningful(temperature: float, top_p: float) -> str:
    """The one of the two a client left at its default (Gemini CLI: temperature 1 with topP 0.95),
    else top_p: temperature is the knob clients mean."""
    if temperature == _DEFAULTS["temperature"] and top_p != _DEFAULTS["top_p"]:
        return "temperature"
    return "top_p"
