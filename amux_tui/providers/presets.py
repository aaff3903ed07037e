"""Named provider presets: defaults for where a provider lives and what it speaks.

A preset is data. Anything not named here can still be used as a LiteLLM provider prefix
(``bedrock/...``, ``vertex_ai/...``, ``together_ai/...``): those are reached through LiteLLM.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config.formats import ApiFormat


@dataclass(frozen=True, slots=True)
class Preset:
    type: str
    label: str
    api_base: str | None
    """Default base URL (OpenAI-style ones include /v1); None when only LiteLLM knows how to reach it."""
    api_formats: tuple[ApiFormat, ...]
    """Wire APIs the endpoint speaks, preferred first; empty means reached through LiteLLM only."""
    key_env: tuple[str, ...] = ()
    """Environment variables that hold the key, first found wins (also used for detection)."""
    litellm_prefix: str | None = None
    local: bool = False
    """A server on this machine (no key needed; detected by probing)."""
    needs_key: bool = True
    detect_env: tuple[str, ...] = ()
    """Variables whose presence makes the preset appear without being a key amux passes on: cloud
    SDK credentials (AWS, Google) that LiteLLM reads itself."""
    base_env: str | None = None
    """Environment variable that moves the server (``OLLAMA_HOST``, ``LM_STUDIO_API_BASE``...); for the
    hosted APIs, the one their own SDK and harness read (``ANTHROPIC_BASE_URL``...), so that what amux
    probes and shows is where the harness goes."""


PRESETS: dict[str, Preset] = {
    preset.type: preset
    for preset in (
        Preset("anthropic", "Anthropic", "https://api.anthropic.com", ("anthropic-messages",), ("ANTHROPIC_API_KEY",), "anthropic",
               base_env="ANTHROPIC_BASE_URL"),
        Preset("openai", "OpenAI", "https://api.openai.com/v1", ("openai-responses", "openai-chat"), ("OPENAI_API_KEY",), "openai",
               base_env="OPENAI_BASE_URL"),
        Preset("gemini", "Google Gemini", "https://generativelanguage.googleapis.com", ("gemini",), ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
               "gemini", base_env="GOOGLE_GEMINI_BASE_URL"),
        Preset("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", ("openai-chat",), ("OPENROUTER_API_KEY",), "openrouter"),
        Preset("deepseek", "DeepSeek", "https://api.deepseek.com/v1", ("openai-chat",), ("DEEPSEEK_API_KEY",), "deepseek"),
        Preset("groq", "Groq", "https://api.groq.com/openai/v1", ("openai-chat",), ("GROQ_API_KEY",), "groq"),
        Preset("mistral", "Mistral", "https://api.mistral.ai/v1", ("openai-chat",), ("MISTRAL_API_KEY",), "mistral"),
        Preset("xai", "xAI", "https://api.x.ai/v1", ("openai-chat",), ("XAI_API_KEY",), "xai"),
        Preset("bedrock", "AWS Bedrock", None, (), (), "bedrock", needs_key=False,
               detect_env=("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK")),
        Preset("vertex_ai", "Google Vertex AI", None, (), (), "vertex_ai", needs_key=False,
               detect_env=("GOOGLE_APPLICATION_CREDENTIALS", "VERTEXAI_PROJECT")),
        Preset("azure", "Azure OpenAI", None, (), ("AZURE_API_KEY",), "azure"),
        Preset("litellm", "LiteLLM gateway", "http://127.0.0.1:4000/v1", ("openai-chat",), ("LITELLM_PROXY_API_KEY", "LITELLM_API_KEY"),
               "litellm_proxy", base_env="LITELLM_PROXY_API_BASE"),
        Preset("ollama", "Ollama", "http://127.0.0.1:11434/v1", ("openai-chat",), (), "ollama_chat", local=True, needs_key=False,
               base_env="OLLAMA_HOST"),
        Preset("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1", ("openai-chat",), ("LM_STUDIO_API_KEY",), "lm_studio",
               local=True, needs_key=False, base_env="LM_STUDIO_API_BASE"),
        Preset("vllm", "vLLM", "http://127.0.0.1:8000/v1", ("openai-chat",), ("HOSTED_VLLM_API_KEY", "VLLM_API_KEY"), "hosted_vllm",
               local=True, needs_key=False, base_env="HOSTED_VLLM_API_BASE"),
        Preset("llamacpp", "llama.cpp server", "http://127.0.0.1:8080/v1", ("openai-chat",), (), "openai",
               local=True, needs_key=False, base_env="LLAMACPP_API_BASE"),
    )
}


def preset_for(type_: str) -> Preset | None:
    return PRESETS.get(type_)
