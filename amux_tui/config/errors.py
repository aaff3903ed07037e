"""The one error type for a bad config, carrying everything a person needs to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class ConfigProblem:
    """One thing wrong, at one place in the file."""

    json_path: str
    """Dotted path into the JSON document, e.g. ``providers.openrouter.api_base`` (empty for the whole file)."""
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.json_path or "(file)"
        return f"{where}: {self.message}\n    fix: {self.fix}"


class ConfigError(Exception):
    """A providers.json (or a command-line override) that amux cannot use.

    The CLI prints it and exits with code 2; the file itself is never touched.
    """

    def __init__(self, source: Path | str, problems: list[ConfigProblem]):
        self.source = str(source)
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"error: invalid amux config {self.source}"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


class UsageError(ValueError):
    """A command-line value amux cannot use (not a file problem): the CLI prints it and exits 2."""
