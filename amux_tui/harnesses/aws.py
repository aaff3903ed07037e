"""How a Bedrock provider's settings reach a harness that signs its own AWS requests (the AWS SDKs
inside Claude Code and OpenCode; Aider reaches Bedrock through the proxy): the standard AWS
environment variables.

A provider carries its credentials the way LiteLLM takes them: ``api_key`` is a Bedrock API key
(sent as a bearer token), ``params`` may hold ``aws_access_key_id``/``aws_secret_access_key``/
``aws_session_token`` (SigV4), ``aws_profile_name``, ``aws_region_name`` and
``aws_bedrock_runtime_endpoint``. Settings an SDK cannot take from its environment (LiteLLM's own
assume-role flow) are gaps: the route is then the proxy, whose LiteLLM takes them all.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..providers.resolved import ResolvedProvider
from .base import custom_api_base, param_value

BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
_CREDENTIAL_ENV = {"aws_access_key_id": "AWS_ACCESS_KEY_ID", "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
                   "aws_session_token": "AWS_SESSION_TOKEN"}
SECRET_ENV = frozenset({BEARER_ENV, "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
# LiteLLM-only ways to get credentials (STS assume-role, web identity): no SDK reads them from the environment.
_UNCARRIED = ("aws_role_name", "aws_web_identity_token", "aws_sts_endpoint", "aws_external_id")


def bedrock_base(provider: ResolvedProvider) -> str | None:
    """The Bedrock runtime URL the provider names: a custom ``api_base``, else ``aws_bedrock_runtime_endpoint``."""
    base = custom_api_base(provider) or param_value(provider, "aws_bedrock_runtime_endpoint")
    return base.rstrip("/") if base else None


def bedrock_gaps(provider: ResolvedProvider) -> list[str]:
    """Provider settings an AWS SDK cannot take from its environment."""
    return [f"params.{name} (LiteLLM's own AWS credential flow)" for name in _UNCARRIED
            if param_value(provider, name) is not None]


def bedrock_credentials(provider: ResolvedProvider,
                        inherited_env: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """(variables to set, inherited variables to unset) so the harness signs with what amux was told.

    Configured keys or profile win over whatever the user's shell holds: Claude Code and OpenCode
    prefer a bearer token to both, the JavaScript AWS SDK a profile to access keys in the environment
    (aws-sdk-js-v3 issue 2549), and an inherited session token would be paired with the configured keys."""
    env: dict[str, str] = {BEARER_ENV: provider.api_key} if provider.api_key else {}
    unset: list[str] = []
    keys = {var: value for name, var in _CREDENTIAL_ENV.items() if (value := param_value(provider, name)) is not None}
    profile = param_value(provider, "aws_profile_name")
    if profile is not None:
        env["AWS_PROFILE"] = profile
    if keys:
        env |= keys
        if profile is None:
            unset.append("AWS_PROFILE")
        if "AWS_SESSION_TOKEN" not in keys:
            unset.append("AWS_SESSION_TOKEN")
    if (keys or profile is not None) and not provider.api_key:
        unset.append(BEARER_ENV)
    env = {var: value for var, value in env.items() if inherited_env.get(var) != value}
    return env, tuple(var for var in unset if var in inherited_env)
