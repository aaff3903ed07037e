"""amux: run AI coding-agent CLIs against any model provider.

Importing this package is cheap on purpose: no LiteLLM, no Textual. The rooms
(`config`, `providers`, `harnesses`, `proxy`, `terminal`) are the core and run
without a UI; `ui` is the Textual dashboard on top of them.
"""

__version__ = "0.1.0"
