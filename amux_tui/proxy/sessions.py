"""Proxy sessions: one per harness run, each with its own provider, model and secret token.

A token looks like ``amux-<session id>-<secret>``: the id finds the session, then the secret
(``secrets.token_urlsafe(32)``, 256 bits) is compared in constant time. A token is valid until
its session is unregistered; it is never accepted for another session.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..config.overrides import deep_merge
from ..providers.resolved import ResolvedProvider
from .traffic import TrafficLog

if TYPE_CHECKING:
    from .protocols.options import TranslateOptions

TOKEN_PREFIX = "amux-"
_DUMMY_SECRET = secrets.token_urlsafe(32)


@dataclass(eq=False)
class Session:
    """What one harness run may use through the proxy."""

    id: str
    provider: ResolvedProvider
    """The provider, with the session's params merged over its own."""
    model: str
    traffic: TrafficLog
    label: str | None = None
    model_aliases: dict[str, str] = field(default_factory=dict)
    secret: str = field(default="", repr=False)
    max_output_tokens: int | None = None
    """The model's real output limit, when the launcher knows it: translation clamps requests to it."""

    @cached_property
    def translate_options(self) -> TranslateOptions:
        """What translation must respect. Built on first use: a session is registered before the
        harness starts (`amux launch --with-proxy`), when the translators are not imported yet."""
        from .protocols.options import DEFAULT_OPTIONS, TranslateOptions

        return TranslateOptions(max_tokens_cap=self.max_output_tokens) if self.max_output_tokens else DEFAULT_OPTIONS

    @property
    def token(self) -> str:
        return f"{TOKEN_PREFIX}{self.id}-{self.secret}"

    @property
    def params(self) -> dict[str, Any]:
        return self.provider.params

    def known_models(self) -> list[str]:
        """The session model first, then alias targets and the provider's own models."""
        names = [self.model, *self.model_aliases.values()]
        names += [name for name in (self.provider.small_model, self.provider.default_model) if name]
        names += self.provider.models
        return list(dict.fromkeys(names))

    def resolve_model(self, requested: object) -> str:
        """The model to call for a request naming ``requested``.

        An alias (Claude Code's haiku name → the small model) or one of the session's known models is
        honoured; anything else (harnesses send their own model names) means the session model.
        """
        if isinstance(requested, str) and requested:
            name = requested.removeprefix("models/")
            if name in self.model_aliases:
                return self.model_aliases[name]
            if name in self.known_models():
                return name
        return self.model


@dataclass(frozen=True)
class SessionRegistration:
    """What a launcher needs: ``base_url, token = server.register_session(...)``.

    ``base_url`` is the proxy's root URL (no trailing slash). Anthropic and Gemini clients use it as
    is; OpenAI clients use ``openai_base_url`` (``base_url + "/v1"``); ``passthrough_url`` relays
    the provider's own API untouched.
    """

    base_url: str
    token: str = field(repr=False)
    session_id: str
    traffic: TrafficLog
    provider_name: str = ""

    def __iter__(self) -> Iterator[str]:
        return iter((self.base_url, self.token))

    @property
    def openai_base_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def passthrough_url(self) -> str:
        return f"{self.base_url}/{self.provider_name}"


class SessionTable:
    """Live sessions by id."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._sessions.values()))

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def add(self, provider: ResolvedProvider, model: str, params: Mapping[str, Any] | None = None, *,
            label: str | None = None, model_aliases: Mapping[str, str] | None = None,
            traffic: TrafficLog | None = None, max_output_tokens: int | None = None) -> Session:
        if not model:
            raise ValueError("a proxy session needs a model")
        session_id = secrets.token_hex(8)
        while session_id in self._sessions:
            session_id = secrets.token_hex(8)
        if params:
            provider = replace(provider, params=deep_merge(provider.params, dict(params)))
        session = Session(session_id, provider, model, traffic or TrafficLog(), label, dict(model_aliases or {}),
                          secrets.token_urlsafe(32), max_output_tokens or None)
        self._sessions[session_id] = session
        return session

    def remove(self, session_id: str) -> Session | None:
        return self._sessions.pop(session_id, None)

    def authenticate(self, candidates: Iterable[str]) -> Session | None:
        """The session one of the presented tokens belongs to, or None."""
        for token in candidates:
            session = self._verify(token)
            if session is not None:
                return session
        return None

    def _verify(self, token: str) -> Session | None:
        session_id, _, secret = token.removeprefix(TOKEN_PREFIX).partition("-")
        session = self._sessions.get(session_id) if token.startswith(TOKEN_PREFIX) else None
        expected = session.secret if session is not None else _DUMMY_SECRET
        # Compare even for an unknown id, so the answer time does not tell which ids exist.
        matches = hmac.compare_digest(secret.encode("utf-8", "replace"), expected.encode())
        return session if matches and session is not None else None

    def secrets_to_redact(self) -> list[str]:
        """Every live secret (session tokens and provider keys), for scrubbing log text."""
        values = []
        for session in self._sessions.values():
            values.append(session.secret)
            if session.provider.api_key:
                values.append(session.provider.api_key)
        return values
