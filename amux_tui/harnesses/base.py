"""What every harness adapter is: data about the CLI (class attributes) plus one function that
points it at an endpoint.

Only what every harness must do is abstract (`endpoint_setup`); optional abilities are class
flags (`CAN_RESUME`, `NEEDS_TTY`...), so adding a harness is one module and one registry line.
An adapter never writes into the user's own harness config: it returns environment variables,
arguments and files for amux's own space (see `locations`), and `resolve` applies them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..config.formats import ApiFormat
from ..providers.resolved import ResolvedProvider

FileMode = Literal["write", "merge-json"]


@dataclass(frozen=True)
class InstallSpec:
    """How to install a harness; ``command`` is shown verbatim to the user."""

    manager: Literal["npm", "pip", "system"]
    package: str
    command: str
    homepage: str = ""


@dataclass(frozen=True)
class Endpoint:
    """Where a proxied or direct session sends its requests, and what it should ask for."""

    base_url: str
    """URL the harness is given, already shaped for ``api_format`` (OpenAI ones end in /v1)."""
    api_format: ApiFormat
    token: str = field(repr=False)
    """The secret the harness authenticates with (proxy session token or the provider's key)."""
    model: str
    small_model: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    reasoning_effort: str | None = None
    supports_tools: bool | None = None
    via_proxy: bool = False
    all_formats: Mapping[ApiFormat, str] = field(default_factory=dict)
    """Every format reachable at this endpoint -> its URL (the proxy serves all four); for `shell`."""
    cwd_trusted: bool = False
    """The user trusts the session's folder in amux (`trust`): only then may the adapter pre-accept
    the harness's workspace-trust prompt; otherwise the harness asks as it normally does."""


@dataclass(frozen=True)
class NativeTarget:
    """A provider the harness reaches by itself: the user's own account, login and config."""

    provider: ResolvedProvider
    model: str | None
    """None: the harness picks its own default model (see `HarnessAdapter.own_default_model`)."""
    inherited_env: Mapping[str, str]
    session_dir: Path
    """Per-session directory for files such as model metadata (removed afterwards); never a config dir."""
    small_model: str | None = None
    context_window: int | None = None
    reasoning_effort: str | None = None
    home: Path | None = None
    """amux's own home for this harness: used only where the harness needs setup the user's own
    config may lack (Gemini CLI's auth type, Claude Code's onboarding); never the user's config dir."""
    cwd: Path | None = None
    cwd_trusted: bool = False
    """As `Endpoint.cwd_trusted`: pre-accept the workspace-trust prompt only when True."""


@dataclass(frozen=True)
class FileSeed:
    """A file amux writes before the launch, always inside amux's own directories.

    ``merge-json`` updates keys of an existing JSON object (the harness's own state file in
    amux's harness home, e.g. Claude Code's ``.claude.json``) instead of replacing it.
    """

    path: Path
    content: str | dict[str, Any]
    mode: FileMode = "write"
    secret: bool = False
    """The content is a credential: plans show its path, never its content."""


@dataclass
class SessionSetup:
    """What an adapter returns: how to run the harness against one endpoint."""

    env: dict[str, str] = field(default_factory=dict)
    unset_env: tuple[str, ...] = ()
    """Inherited variables that would override or contradict ours (e.g. ANTHROPIC_API_KEY)."""
    args: list[str] = field(default_factory=list)
    """Arguments placed before the user's own harness arguments."""
    files: list[FileSeed] = field(default_factory=list)
    secret_env: frozenset[str] = frozenset()
    """Names in ``env`` whose values are secrets (masked in every output)."""
    notes: list[str] = field(default_factory=list)
    base_url: str | None = None
    """Native route: the URL the harness was pointed at (None: its own default host for the provider)."""
    uses_home: bool = False
    """Native route: the session runs in amux's harness home (`NativeTarget.home`)."""
    trust_preaccepted: bool | None = None
    """The harness's workspace-trust prompt for the cwd: pre-accepted (True), left to the harness
    (False), or not amux's business (None: no such prompt, or the user's own config decides)."""


class HarnessAdapter(ABC):
    """One coding-agent CLI. Subclasses fill in the data and `endpoint_setup`."""

    name: ClassVar[str]
    label: ClassVar[str]
    binary: ClassVar[str]
    install: ClassVar[InstallSpec]
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    protocols: ClassVar[tuple[ApiFormat, ...]]
    """Wire APIs the harness can speak to a custom endpoint, preferred first (through the proxy
    it speaks the first one)."""
    native_providers: ClassVar[frozenset[str]] = frozenset()
    """Provider preset types the harness reaches by itself (its own login or key, no proxy)."""
    own_default_model: ClassVar[frozenset[str]] = frozenset()
    """Native provider types for which the harness picks a model itself when none is given (at the
    provider's own host); for the others amux must name one."""
    native_headers: ClassVar[bool] = False
    """The native route sends the provider's ``extra_headers``; else they make the route the proxy
    (the direct route has no way to send them either)."""

    CAN_RESUME: ClassVar[bool] = False
    RESUME_BY_ID: ClassVar[bool] = False
    resume_usage: ClassVar[str] = ""
    """How resuming looks on its own command line, for `amux harnesses`."""
    NEEDS_TTY: ClassVar[bool] = True
    """The interactive mode needs a terminal (every TUI); headless mode does not."""
    headless_usage: ClassVar[str] = ""
    """Its non-interactive form, e.g. ``claude -p PROMPT``."""
    HOME_ENV: ClassVar[str | None] = None
    """The harness's own override for its config/state directory, used for amux's harness home."""

    def headless_args(self, prompt: str) -> list[str]:
        """Arguments that run one prompt non-interactively."""
        raise NotImplementedError(f"{self.name} has no non-interactive mode")

    def resume_args(self, session_id: str | None) -> list[str]:
        """Arguments that resume the last session (``None``) or the given one."""
        raise NotImplementedError(f"{self.name} cannot resume sessions")

    def command(self, user_args: list[str], inherited_env: Mapping[str, str]) -> list[str]:
        """The program to run, before any arguments (`shell` runs the user's command or shell)."""
        return [self.binary]

    def build_argv(self, setup_args: list[str], extra_args: list[str], user_args: list[str],
                   inherited_env: Mapping[str, str]) -> list[str]:
        """The whole command line: program, amux's arguments, resume/headless ones, then the user's."""
        return [*self.command(user_args, inherited_env), *setup_args, *extra_args, *user_args]

    @abstractmethod
    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        """Point the harness at ``endpoint`` (proxy or direct) using env, args and files under
        ``home`` (amux's persistent home for this harness) or ``session_dir`` (removed afterwards)."""

    def native_gaps(self, provider: ResolvedProvider) -> list[str]:
        """Settings of ``provider`` this harness cannot carry on its native route, each named with
        its value (e.g. ``api_base https://...``); any gap makes the route direct or proxy instead."""
        return []

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        """Run against the user's own account for ``target.provider`` (never replaces their config)."""
        raise NotImplementedError(f"{self.name} has no native support for {target.provider.type}")

    def alias_map(self, model: str, small_model: str | None) -> dict[str, str]:
        """Model names the harness may send besides ``model`` -> the model to use (for the proxy)."""
        return {}


def key_if_not_inherited(var: str, key: str | None, inherited_env: Mapping[str, str]) -> dict[str, str]:
    """Pass a configured key in the harness's own variable, unless that variable already holds it."""
    if not key or inherited_env.get(var) == key:
        return {}
    return {var: key}


def custom_api_base(provider: ResolvedProvider) -> str | None:
    """The provider's api_base when it is not its preset's default host (a gateway, a local fixture)."""
    from ..providers.presets import preset_for

    if not provider.api_base:
        return None
    preset = preset_for(provider.type)
    default = (preset.api_base or "") if preset else ""
    base = provider.api_base.rstrip("/")
    return None if base == default.rstrip("/") else base


def format_gap(provider: ResolvedProvider, spoken: ApiFormat, label: str) -> list[str]:
    """A gap when the provider's configured API list leaves out what the harness's native client speaks."""
    if not provider.api_formats or spoken in provider.api_formats:
        return []
    return [f"api_format {'/'.join(provider.api_formats)} ({label} speaks {spoken} to {provider.type} natively)"]


def param_value(provider: ResolvedProvider, *names: str) -> str | None:
    """The first of ``names`` set in the provider's params, as a string."""
    for name in names:
        value = provider.params.get(name)
        if value not in (None, ""):
            return str(value)
    return None
