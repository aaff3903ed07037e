"""Why a launch cannot go ahead, with the fix and the exit code the CLI uses."""

from __future__ import annotations

from ..url_masking import mask_url

EXIT_FAILURE, EXIT_USAGE = 1, 2


class LaunchError(Exception):
    """A launch that cannot run as asked. ``exit_code`` 2: fix the command or config; 1: the
    environment (binary missing, provider down, proxy cannot start)."""

    def __init__(self, message: str, *, fix: str | None = None, exit_code: int = EXIT_USAGE):
        message = mask_url(message)  # a provider's api_base may carry user:password@ or ?token=
        super().__init__(message)
        self.message = message
        self.fix = mask_url(fix) if fix else fix
        self.exit_code = exit_code

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text
