"""pydantic models of `providers.json`.

The JSON schema at the repository root (`providers.schema.json`) is generated
from these models (`amux schema`), so every docstring here is user documentation.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from .formats import ApiFormat
from .params import param_type_problems
from .urls import CONTROL_CHARACTERS, api_base_problem

SCHEMA_VERSION = 1
PROVIDER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_ENV_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_BARE_REFERENCE = re.compile(r"\$[A-Z_][A-Z0-9_]*")
ProviderName = Annotated[str, StringConstraints(pattern=PROVIDER_NAME_PATTERN)]


class PricingConfig(BaseModel):
    """What this provider charges, in USD per million tokens. Used for cost instead of LiteLLM's price
    table (and for models the table does not know, e.g. a local or private deployment)."""

    model_config = ConfigDict(extra="forbid", title="Pricing")

    input: float = Field(ge=0, description="USD per million input (prompt) tokens.", examples=[3.0])
    output: float = Field(ge=0, description="USD per million output (completion) tokens.", examples=[15.0])
    cached: float | None = Field(
        default=None, ge=0,
        description="USD per million cached input tokens (cache reads). Omitted: the input price.", examples=[0.3])


class ProviderConfig(BaseModel):
    """One model provider: where it lives, how to authenticate, which wire API it speaks."""

    model_config = ConfigDict(extra="forbid", title="Provider")

    type: str = Field(
        description=(
            "A named preset (anthropic, openai, gemini, bedrock, vertex_ai, azure, openrouter, deepseek, "
            "groq, mistral, xai, ollama, lmstudio, vllm, llamacpp, litellm) or any LiteLLM provider prefix. "
            "The preset supplies defaults for api_base, api_format and the key variable."
        ),
        min_length=1,
        examples=["openrouter", "ollama", "bedrock"],
    )
    api_base: str | None = Field(
        default=None,
        description=(
            "Base URL of the endpoint. OpenAI-style endpoints include the version path "
            "(https://openrouter.ai/api/v1); Anthropic and Gemini endpoints do not (https://api.anthropic.com)."
        ),
    )
    api_key: str | None = Field(
        default=None,
        description='The key, literally or as "${ENV_VAR}" (recommended: keeps the secret out of the file).',
    )
    api_format: ApiFormat | Annotated[list[ApiFormat], Field(min_length=1)] | None = Field(
        default=None,
        description=(
            "Which wire API the endpoint itself speaks. A list when it speaks several (the first is preferred). "
            "Omitted: the preset's; no preset and no api_format means the provider is reached through LiteLLM."
        ),
    )
    models: list[str] = Field(default_factory=list, description="Models to offer when the live list is unavailable.")
    default_model: str | None = Field(default=None, description="The model picked when none is given.")
    small_model: str | None = Field(
        default=None,
        description="A cheaper model for a harness's background tasks (e.g. Claude Code's haiku alias).",
    )
    pricing: PricingConfig | None = Field(
        default=None,
        description="Prices for cost figures (USD per million tokens); overrides LiteLLM's price table.",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Passed to LiteLLM untouched: rpm, tpm, extra_headers, num_retries, timeout, "
            "aws_bedrock_runtime_endpoint, vertex_credentials, anything LiteLLM accepts."
        ),
    )

    @field_validator("api_base")
    @classmethod
    def _api_base_is_http(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "${" in value:  # checked once interpolated (`providers.registry`); a control character never belongs
            if CONTROL_CHARACTERS.search(value):
                raise ValueError("must not contain control characters (CR, LF, tab...)")
            return value
        wrong = api_base_problem(value)
        if wrong:
            raise ValueError(f"{wrong}, e.g. https://openrouter.ai/api/v1")
        return value.rstrip("/")

    @field_validator("params")
    @classmethod
    def _known_params_have_their_types(cls, value: dict[str, Any]) -> dict[str, Any]:
        problems = param_type_problems(value)
        if problems:
            raise ValueError("; ".join(message for _, message in problems))
        return value

    @field_validator("api_key")
    @classmethod
    def _api_key_reference_is_well_formed(cls, value: str | None) -> str | None:
        # A half-written reference would be sent upstream as the key itself.
        if value is None:
            return value
        if value.count("${") != len(_ENV_REFERENCE.findall(value)):
            raise ValueError(f'{value!r} is not a usable reference: write "${{ENV_VAR}}" (letters, digits, _)')
        if _BARE_REFERENCE.fullmatch(value):
            raise ValueError(f'{value!r} would be sent as the key itself: write "${{{value[1:]}}}" to read the variable')
        return value

    def api_formats(self) -> tuple[ApiFormat, ...]:
        """The configured formats as a tuple, preferred first (empty when not set)."""
        if self.api_format is None:
            return ()
        if isinstance(self.api_format, list):
            return tuple(self.api_format)
        return (self.api_format,)


class AmuxConfig(BaseModel):
    """The whole `providers.json`."""

    model_config = ConfigDict(extra="forbid", title="amux providers.json", populate_by_name=True)

    schema_: str | None = Field(
        default=None, alias="$schema", description="Optional link to providers.schema.json, for editors."
    )
    version: int = Field(default=SCHEMA_VERSION, description="Format version of this file.", ge=1, le=SCHEMA_VERSION,
                         strict=True)
    default_provider: str | None = Field(default=None, description="The provider picked when none is given.")
    providers: dict[ProviderName, ProviderConfig] = Field(
        default_factory=dict,
        description="Providers by name. A name is typed on command lines and prefixes models (name/model).",
    )
