"""Qwen Code: speaks OpenAI Chat Completions (``OPENAI_BASE_URL``/``OPENAI_API_KEY``/``OPENAI_MODEL``).

Sessions use amux's own Qwen home (``QWEN_HOME``, history included, so resuming works) and a
per-session system-settings file (``QWEN_CODE_SYSTEM_SETTINGS_PATH``) that selects OpenAI auth,
sets the model's context window and turns off the self-update, which otherwise runs
``npm install -g`` on its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from .base import Endpoint, FileSeed, HarnessAdapter, InstallSpec, SessionSetup

class QwenCode(HarnessAdapter):
    name = "qwen"
    label = "Qwen Code"
    binary = "qwen"
    install = InstallSpec("npm", "@qwen-code/qwen-code", "npm install -g @qwen-code/qwen-code",
                          "https://github.com/QwenLM/qwen-code")
    protocols = ("openai-chat",)
    CAN_RESUME = True
    RESUME_BY_ID = True
    resume_usage = "qwen --continue | qwen --resume ID"
    headless_usage = "qwen PROMPT"
    HOME_ENV = "QWEN_HOME"

    def headless_args(self, prompt: str) -> list[str]:
        return [prompt]

    def resume_args(self, session_id: str | None) -> list[str]:
        return ["--resume", session_id] if session_id else ["--continue"]

    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        settings: dict = {
            "security": {"auth": {"selectedType": "openai"}},
            "general": {"enableAutoUpdate": False},
            "privacy": {"usageStatisticsEnabled": False},
        }
        generation: dict = {}
        if endpoint.context_window:
            generation["contextWindowSize"] = endpoint.context_window
        if endpoint.reasoning_effort:
            generation["extra_body"] = {"reasoning_effort": endpoint.reasoning_effort}
        if generation:
            settings["model"] = {"generationConfig": generation}
        settings_path = session_dir / "qwen-system-settings.json"
        env = {
            "QWEN_HOME": str(home),
            "QWEN_CODE_SYSTEM_SETTINGS_PATH": str(settings_path),
            "OPENAI_BASE_URL": endpoint.base_url,
            "OPENAI_API_KEY": endpoint.token,
            "OPENAI_MODEL": endpoint.model,
        }
        return SessionSetup(
            env=env, args=["--auth-type", "openai", "-m", endpoint.model],
            files=[FileSeed(settings_path, json.dumps(settings, indent=2))], secret_env=frozenset({"OPENAI_API_KEY"}),
        )
