"""What amux's providers need at run time is installed with amux itself, not only with the test extras."""

import tomllib
from pathlib import Path

from amux_tui.providers.presets import PRESETS

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def runtime_requirements() -> set[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return {entry.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower()
            for entry in project["dependencies"]}


def test_vertex_through_litellm_has_its_google_auth():
    # LiteLLM's Vertex AI calls import google.auth (identity pool, service account, ADC), which
    # LiteLLM does not depend on: without it a Vertex provider fails in amux's proxy with
    # "Google Cloud SDK not found". The test extras bring it in through google-genai, so only the
    # declared dependencies show whether a plain `pip install amux-tui` can reach Vertex.
    assert "vertex_ai" in PRESETS
    assert "google-auth" in runtime_requirements()
