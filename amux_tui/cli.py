"""The `amux` command line. Thin: it parses arguments and calls the rooms.

Exit codes: 0 ok, 1 runtime failure, 2 usage or config error. Every subcommand's body lives in
its room (``providers.commands``, ``proxy.command``, ``harnesses.commands``...), imported only
when that subcommand runs, so ``amux --help`` stays instant and never imports LiteLLM or Textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

# subcommand -> "module:function"; each function takes the parsed args and returns an exit code.
COMMANDS = {
    "providers": "amux_tui.providers.commands:cmd_providers",
    "models": "amux_tui.providers.commands:cmd_models",
    "ollama": "amux_tui.providers.commands:cmd_ollama",
    "schema": "amux_tui.cli:cmd_schema",
    "doctor": "amux_tui.doctor:cmd_doctor",
    "proxy": "amux_tui.proxy.command:cmd_proxy",
    "launch": "amux_tui.launch_command:cmd_launch",
    "harnesses": "amux_tui.harnesses.commands:cmd_harnesses",
    "sessions": "amux_tui.launch_command:cmd_sessions",
}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="providers.json to use (default: $AMUX_CONFIG, then ~/.config/amux/providers.json)")
    selecting = argparse.ArgumentParser(add_help=False)
    selecting.add_argument("--provider-arg", metavar="KEY=VALUE", action="append", default=[],
                           help="extra LiteLLM parameter for the provider; JSON values are parsed, dotted keys nest "
                                "(repeatable, e.g. extra_headers.X-Team=ml)")

    parser = argparse.ArgumentParser(
        prog="amux", parents=[common],
        description="Run AI coding agents (Claude Code, Codex, Gemini CLI, OpenCode, ...) against any model provider. "
                    "With no command, opens the dashboard.")
    parser.add_argument("--version", action="version", version=f"amux {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("providers", parents=[common], help="list configured and detected providers")
    p.add_argument("--json", action="store_true", help="machine-readable output (stable; see docs)")
    p.add_argument("--check", action="store_true", help="probe every provider: health and latency")
    editing = p.add_subparsers(dest="providers_command", metavar="ACTION")
    add = editing.add_parser("add", parents=[common], help="add a provider to providers.json (validated; a .bak is kept)",
                             description="Add a provider to providers.json. The whole file is validated first; "
                                         "nothing is written when it would not load.")
    add.add_argument("name", help="the provider's name (typed on command lines, prefixes models)")
    add.add_argument("--type", required=True, help="a preset (openrouter, ollama, anthropic...) or a LiteLLM prefix")
    add.add_argument("--api-base", metavar="URL", help="endpoint base URL (default: the preset's)")
    add.add_argument("--key-env", metavar="VAR", help="environment variable holding the key (written as ${VAR})")
    add.add_argument("--api-format", metavar="FORMAT",
                     help="anthropic-messages, openai-chat, openai-responses or gemini (default: the preset's)")
    add.add_argument("--model", action="append", metavar="MODEL", help="a model to offer (repeatable; the first is the default)")
    add.add_argument("--default-model", metavar="MODEL", help="the model picked when none is given")
    add.add_argument("--default", action="store_true", help="make it the default provider")
    add.add_argument("--replace", action="store_true", help="replace a provider of the same name")
    remove = editing.add_parser("remove", parents=[common], help="remove a provider from providers.json")
    remove.add_argument("name")

    p = sub.add_parser("models", parents=[common, selecting], help="list a provider's models (live)")
    p.add_argument("provider", help="provider name (amux providers lists them)")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("ollama", parents=[common], help="manage the local Ollama server and its models")
    ollama = p.add_subparsers(dest="ollama_command", metavar="ACTION", required=True)
    ollama.add_parser("status", help="is ollama installed, is a server answering").add_argument("--json", action="store_true")
    ollama.add_parser("list", help="installed models").add_argument("--json", action="store_true")
    ollama.add_parser("serve", help="run `ollama serve` until Ctrl-C")
    ollama.add_parser("pull", help="pull a model with a progress bar").add_argument("model")

    sub.add_parser("schema", help="print the JSON schema of providers.json")

    p = sub.add_parser("doctor", parents=[common], help="check config, keys, harnesses and the proxy")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("proxy", parents=[common, selecting], help="run the translation proxy for one provider")
    p.add_argument("--provider", help="provider name (default: the configured default)")
    p.add_argument("--model", help="model (prefix/model picks the provider by prefix)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (loopback only)")
    p.add_argument("--port", type=int, default=0, help="listen port (0: any free port)")
    p.add_argument("--log", metavar="FILE", help="append the traffic record as JSON lines to FILE")

    p = sub.add_parser("launch", parents=[common, selecting], help="run a harness against a provider",
                       description="Run a harness in this terminal. Arguments after -- go to the harness.")
    p.add_argument("harness", help="claude, codex, gemini, opencode, qwen, aider, shell (amux harnesses lists them)")
    p.add_argument("--provider", help="provider name (default: the configured default, else the first healthy one "
                                      "found: a key in the environment, a local server)")
    p.add_argument("--model", help="model (prefix/model picks the provider by prefix; default: the harness's own on a "
                                   "native route, else the provider's default or the first model it lists)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--with-proxy", dest="proxy_mode", action="store_const", const="always",
                      help="always run through amux's proxy")
    mode.add_argument("--with-proxy-if-needed", dest="proxy_mode", action="store_const", const="if-needed",
                      help="use the proxy only when the harness cannot reach the provider directly")
    p.set_defaults(proxy_mode="never")
    p.add_argument("--resume", nargs="?", const="", default=None, metavar="ID",
                   help="resume the last (or the given) session, for harnesses that can")
    p.add_argument("--dry-run", action="store_true",
                   help="print the launch plan as JSON (secrets masked) and exit with the code the launch would")
    p.add_argument("--worktree", nargs="?", const="", default=None, metavar="NAME",
                   help="run in a new git worktree on branch amux/NAME (default name: harness-random) from HEAD")
    p.add_argument("--worktree-from-dirty", action="store_true",
                   help="with --worktree: copy this checkout's uncommitted changes into the new worktree")
    p.add_argument("--trust", action="store_true",
                   help="trust this folder (remembered in amux's state): its workspace-trust prompt is pre-accepted")
    p.set_defaults(harness_args=[])

    from .records.arguments import add_sessions_parser

    add_sessions_parser(sub, parents=[common])

    p = sub.add_parser("harnesses", parents=[common], help="list supported harnesses and what is installed")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--matrix", action="store_true", help="harness x provider support matrix")
    return parser


def cmd_schema(args: argparse.Namespace) -> int:
    from .config.schema import schema_json

    sys.stdout.write(schema_json())
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    from .ui.app import run_dashboard

    return run_dashboard(config_path=getattr(args, "config", None))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first "--" belongs to the harness, untouched by amux's own parsing.
    harness_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, harness_args = argv[:split], argv[split + 1:]
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        hint = " (arguments for the harness go after --, e.g. amux launch claude -- -p hi)" if args.command == "launch" else ""
        parser.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    resuming = args.command == "sessions" and getattr(args, "sessions_command", None) == "resume"
    if harness_args and args.command != "launch" and not resuming:
        parser.error("'--' separates harness arguments and only goes with amux launch (or amux sessions resume)")
    if args.command == "launch" or resuming:
        args.harness_args = harness_args
    if args.command is None:
        handler = cmd_dashboard
    else:
        module_name, _, func_name = COMMANDS[args.command].partition(":")
        handler = getattr(importlib.import_module(module_name), func_name)
    from .config.errors import ConfigError, UsageError
    from .providers.registry import SelectionError

    try:
        return handler(args)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_USAGE
    except (SelectionError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
