"""What a script in an `amux launch shell` session does: one model request with the endpoint the
session's variables name, in its preferred format (``AMUX_API_FORMAT``), printing the answer.

Reads the same variables an SDK would (``OPENAI_BASE_URL``/``OPENAI_API_KEY``,
``ANTHROPIC_BASE_URL``/``ANTHROPIC_API_KEY``, ``GOOGLE_GEMINI_BASE_URL``/``GEMINI_API_KEY``) and
``AMUX_MODEL``. An HTTP error prints the provider's error message and exits 1.

    python shell_client.py PROMPT
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def request_for(fmt: str, prompt: str) -> tuple[str, dict[str, str], dict]:
    """(url, headers, body) of one non-streaming request in ``fmt``."""
    env, model = os.environ, os.environ["AMUX_MODEL"]
    if fmt == "anthropic-messages":
        return (env["ANTHROPIC_BASE_URL"].rstrip("/") + "/v1/messages",
                {"x-api-key": env["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"},
                {"model": model, "max_tokens": 256, "messages": [{"role": "user", "content": prompt}]})
    if fmt == "gemini":
        return (env["GOOGLE_GEMINI_BASE_URL"].rstrip("/") + f"/v1beta/models/{model}:generateContent",
                {"x-goog-api-key": env["GEMINI_API_KEY"]}, {"contents": [{"role": "user", "parts": [{"text": prompt}]}]})
    auth = {"authorization": f"Bearer {env['OPENAI_API_KEY']}"}
    if fmt == "openai-responses":
        return env["OPENAI_BASE_URL"].rstrip("/") + "/responses", auth, {"model": model, "input": prompt}
    return (env["OPENAI_BASE_URL"].rstrip("/") + "/chat/completions", auth,
            {"model": model, "messages": [{"role": "user", "content": prompt}]})


def answer_text(fmt: str, body: dict) -> str:
    if fmt == "anthropic-messages":
        return "".join(block.get("text", "") for block in body["content"])
    if fmt == "gemini":
        return "".join(part.get("text", "") for part in body["candidates"][0]["content"]["parts"])
    if fmt == "openai-responses":
        return "".join(part.get("text", "") for item in body["output"] if item.get("type") == "message"
                       for part in item["content"])
    return body["choices"][0]["message"]["content"]


def main() -> int:
    fmt = os.environ["AMUX_API_FORMAT"]
    url, headers, body = request_for(fmt, " ".join(sys.argv[1:]) or "hello")
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            print(answer_text(fmt, json.loads(response.read())))
    except urllib.error.HTTPError as error:
        detail = json.loads(error.read() or b"{}").get("error") or {}
        print(f"error {error.code}: {detail.get('message', detail)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
