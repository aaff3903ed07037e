"""The official SDKs as the proxy's callers: one conversation driver per inbound protocol.

Each driver keeps its conversation the way its SDK's users do (the SDK's own response objects
turned back into the next request; google-genai's ``Chat`` keeps its own history) and reads
every answer through the SDK's streaming helper when asked to stream::

    async with driver_for("openai-responses", session.base_url, session.token) as convo:
        answer = await convo.say("hi", stream=True)           # an `Answer`
        answer = await convo.tool_results({"call_1": "sunny"}, stream=True)

SDK retries are off unless a test asks for them (``retries``), so error tests are quick.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

MODEL = "fixture-model"
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}},
                  "required": ["city"]}


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


PNG = _tiny_png()
PNG_B64 = base64.b64encode(PNG).decode()


@dataclass
class Answer:
    """What the caller's SDK made of one answer, in the caller protocol's own spelling."""

    text: str = ""
    refusal: str = ""
    """Chat's ``refusal``, Responses' ``refusal`` parts (the other protocols show a refusal as text)."""
    thinking: str = ""
    calls: list[tuple[str, str, dict]] = field(default_factory=list)
    stop: str | None = None
    usage: tuple[int | None, int | None] = (None, None)
    """(input tokens, cached ones included; output tokens, reasoning included)."""
    cached: int | None = None
    reasoning: int | None = None
    """Reasoning tokens, where the caller's protocol reports them apart (Anthropic does not)."""


class Conversation:
    """The common face of the four drivers."""

    protocol: str

    def __init__(self, base_url: str, token: str, *, tools: bool = False, thinking: bool = False,
                 retries: int = 0) -> None:
        self.base_url, self.token, self.tools, self.thinking, self.retries = base_url, token, tools, thinking, retries

    async def __aenter__(self) -> Conversation:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.client.close()  # type: ignore[attr-defined]

    async def say(self, text: str, *, stream: bool = False, image: bool = False) -> Answer:
        raise NotImplementedError

    async def tool_results(self, results: dict[str, str], *, stream: bool = False) -> Answer:
        raise NotImplementedError


class AnthropicConversation(Conversation):
    protocol = "anthropic-messages"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from anthropic import AsyncAnthropic

        self.client = AsyncAnthropic(api_key=self.token, base_url=self.base_url, max_retries=self.retries)
        self.messages: list[dict] = []

    async def say(self, text: str, *, stream: bool = False, image: bool = False) -> Answer:
        content: list[dict] = [{"type": "text", "text": text}]
        if image:
            content.insert(0, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}})
        self.messages.append({"role": "user", "content": content})
        return await self._send(stream)

    async def tool_results(self, results: dict[str, str], *, stream: bool = False) -> Answer:
        self.messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call_id, "content": out} for call_id, out in results.items()]})
        return await self._send(stream)

    async def _send(self, stream: bool) -> Answer:
        kwargs: dict[str, Any] = {"model": MODEL, "max_tokens": 2048, "messages": self.messages}
        if self.tools:
            kwargs["tools"] = [{"name": "get_weather", "description": "Weather of a city", "input_schema": WEATHER_SCHEMA}]
        if self.thinking:
            kwargs["thinking"] = {"type": "enabled", "budget_tokens": 1024}
        if stream:
            async with self.client.messages.stream(**kwargs) as events:
                message = await events.get_final_message()
        else:
            message = await self.client.messages.create(**kwargs)
        self.messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]})
        usage = message.usage
        cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
        return Answer(
            text="".join(b.text for b in message.content if b.type == "text"),
            thinking="".join(b.thinking for b in message.content if b.type == "thinking"),
            calls=[(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"],
            stop=message.stop_reason, usage=(usage.input_tokens + cached, usage.output_tokens),
            cached=usage.cache_read_input_tokens)


class ChatConversation(Conversation):
    protocol = "openai-chat"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from openai import AsyncOpenAI

        self.client = AsyncOpenAI(api_key=self.token, base_url=self.base_url + "/v1", max_retries=self.retries)
        self.messages: list[dict] = []

    async def say(self, text: str, *, stream: bool = False, image: bool = False) -> Answer:
        content: list[dict] = [{"type": "text", "text": text}]
        if image:
            content.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}})
        self.messages.append({"role": "user", "content": content})
        return await self._send(stream)

    async def tool_results(self, results: dict[str, str], *, stream: bool = False) -> Answer:
        self.messages += [{"role": "tool", "tool_call_id": call_id, "content": out} for call_id, out in results.items()]
        return await self._send(stream)

    async def _send(self, stream: bool) -> Answer:
        kwargs: dict[str, Any] = {"model": MODEL, "messages": self.messages}
        if self.tools:
            kwargs["tools"] = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                                                 "parameters": WEATHER_SCHEMA}}]
        if self.thinking:
            kwargs["reasoning_effort"] = "low"
        if stream:
            async with self.client.chat.completions.stream(**kwargs, stream_options={"include_usage": True}) as events:
                async for _ in events:
                    pass
                completion = await events.get_final_completion()
        else:
            completion = await self.client.chat.completions.create(**kwargs)
        choice = completion.choices[0]
        message = choice.message
        self.messages.append(message.model_dump(exclude_none=True, exclude={"parsed"}))
        extra = message.model_extra or {}
        return Answer(
            text=message.content or "", refusal=message.refusal or "", thinking=extra.get("reasoning_content") or "",
            calls=[(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []],
            stop=choice.finish_reason,
            usage=(completion.usage.prompt_tokens, completion.usage.completion_tokens) if completion.usage else (None, None),
            cached=completion.usage.prompt_tokens_details.cached_tokens
            if completion.usage and completion.usage.prompt_tokens_details else None,
            reasoning=completion.usage.completion_tokens_details.reasoning_tokens
            if completion.usage and completion.usage.completion_tokens_details else None)


class ResponsesConversation(Conversation):
    protocol = "openai-responses"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from openai import AsyncOpenAI

        self.client = AsyncOpenAI(api_key=self.token, base_url=self.base_url + "/v1", max_retries=self.retries)
        self.items: list[dict] = []

    async def say(self, text: str, *, stream: bool = False, image: bool = False) -> Answer:
        content: list[dict] = [{"type": "input_text", "text": text}]
        if image:
            content.append({"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"})
        self.items.append({"type": "message", "role": "user", "content": content})
        return await self._send(stream)

    async def tool_results(self, results: dict[str, str], *, stream: bool = False) -> Answer:
        self.items += [{"type": "function_call_output", "call_id": call_id, "output": out} for call_id, out in results.items()]
        return await self._send(stream)

    async def _send(self, stream: bool) -> Answer:
        kwargs: dict[str, Any] = {"model": MODEL, "input": self.items}
        if self.tools:
            kwargs["tools"] = [{"type": "function", "name": "get_weather", "description": "Weather of a city",
                                "parameters": WEATHER_SCHEMA, "strict": False}]
        if self.thinking:
            kwargs["reasoning"] = {"effort": "low", "summary": "auto"}
            kwargs["include"] = ["reasoning.encrypted_content"]
        if stream:
            async with self.client.responses.stream(**kwargs) as events:
                async for _ in events:
                    pass
                response = await events.get_final_response()
        else:
            response = await self.client.responses.create(**kwargs)
        self.items += [item.model_dump(exclude_none=True, exclude={"parsed_arguments"}) for item in response.output]
        messages = [c for item in response.output if item.type == "message" for c in item.content]
        return Answer(
            text="".join(c.text for c in messages if c.type == "output_text"),
            refusal="".join(c.refusal for c in messages if c.type == "refusal"),
            thinking="".join(s.text for item in response.output if item.type == "reasoning" for s in item.summary),
            calls=[(i.call_id, i.name, json.loads(i.arguments)) for i in response.output if i.type == "function_call"],
            stop=response.status,
            usage=(response.usage.input_tokens, response.usage.output_tokens) if response.usage else (None, None),
            cached=response.usage.input_tokens_details.cached_tokens if response.usage else None,
            reasoning=response.usage.output_tokens_details.reasoning_tokens if response.usage else None)


class GeminiConversation(Conversation):
    """google-genai's ``Chat``: the SDK keeps the history itself (and drops turns it thinks invalid)."""

    protocol = "gemini"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from google import genai
        from google.genai import types

        self.types = types
        retry = types.HttpRetryOptions(attempts=1 + self.retries, initial_delay=0.01, max_delay=0.05)
        self.client = genai.Client(api_key=self.token, http_options=types.HttpOptions(
            base_url=self.base_url, retry_options=retry if self.retries else None))
        config = types.GenerateContentConfig()
        if self.tools:
            config.tools = [types.Tool(function_declarations=[types.FunctionDeclaration(
                name="get_weather", description="Weather of a city", parameters_json_schema=WEATHER_SCHEMA)])]
        if self.thinking:
            config.thinking_config = types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
        self.chat = self.client.aio.chats.create(model=MODEL, config=config)
        self.calls: dict[str, str] = {}  # call id -> function name, for the responses

    async def close(self) -> None:
        await self.client.aio.aclose()

    async def say(self, text: str, *, stream: bool = False, image: bool = False) -> Answer:
        parts: list[Any] = [self.types.Part.from_bytes(data=PNG, mime_type="image/png")] if image else []
        return await self._send([*parts, self.types.Part.from_text(text=text)], stream)

    async def tool_results(self, results: dict[str, str], *, stream: bool = False) -> Answer:
        parts = [self.types.Part(function_response=self.types.FunctionResponse(
            id=call_id, name=self.calls[call_id], response={"result": out})) for call_id, out in results.items()]
        return await self._send(parts, stream)

    async def _send(self, parts: list[Any], stream: bool) -> Answer:
        if stream:
            chunks = [chunk async for chunk in await self.chat.send_message_stream(parts)]
        else:
            chunks = [await self.chat.send_message(parts)]
        answer = Answer()
        for chunk in chunks:
            candidate = chunk.candidates[0] if chunk.candidates else None
            for part in (candidate.content.parts or []) if candidate and candidate.content else []:
                if part.function_call:
                    call = part.function_call
                    call_id = call.id or call.name
                    self.calls[call_id] = call.name
                    answer.calls.append((call_id, call.name, dict(call.args or {})))
                elif part.text and part.thought:
                    answer.thinking += part.text
                elif part.text:
                    answer.text += part.text
            if candidate and candidate.finish_reason:
                answer.stop = candidate.finish_reason.name
            if chunk.usage_metadata:
                meta = chunk.usage_metadata
                answer.usage = (meta.prompt_token_count, (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0))
                answer.cached = meta.cached_content_token_count
                answer.reasoning = meta.thoughts_token_count
        return answer

    def history(self) -> list[Any]:
        return self.chat.get_history(curated=True)


DRIVERS: dict[str, type[Conversation]] = {
    cls.protocol: cls for cls in (AnthropicConversation, ChatConversation, ResponsesConversation, GeminiConversation)}


def driver_for(protocol: str, base_url: str, token: str, **options: Any) -> Conversation:
    return DRIVERS[protocol](base_url, token, **options)
