"""`amux launch`: a harness session with what amux keeps of it (its record, its worktree) and the
proxy it may run through. Above the harnesses, records and worktrees rooms, so that none of them
imports another upward; `amux sessions resume` is given this launcher rather than importing it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

from .harnesses.commands import (announce, choose_model, open_proxy, prepare_offering_pull, print_resume_hint,
                                 select_launch, serve_proxy, trust_cwd_now)
from .harnesses.errors import LaunchError
from .harnesses.launch import cleanup_launch, prepare_launch
from .harnesses.registry import get_adapter
from .harnesses.resolve import LaunchPlan, decide_route, resume_arguments
from .harnesses.runner import run_plan
from .harnesses.trust import is_trusted
from .records import launch_hooks


def cmd_launch(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(launch(args))
    except LaunchError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code


async def launch(args: argparse.Namespace) -> int:
    adapter = get_adapter(args.harness)
    provider, model, notes = await select_launch(args, adapter)
    decision = decide_route(adapter, provider, args.proxy_mode)  # stops early when a proxy is needed
    resume_arguments(adapter, args.resume)
    model, model_note = await choose_model(adapter, provider, decision.route, model)
    notes += [model_note] if model_note else []
    options: dict[str, Any] = {"proxy_mode": args.proxy_mode, "harness_args": list(args.harness_args or []),
                               "resume": args.resume, "trust_cwd": getattr(args, "trust", False)}
    if options["trust_cwd"] and not args.dry_run:
        trust_cwd_now()
    if args.dry_run:
        plan = await prepare_launch(adapter, provider, model, dry_run=True, strict=False, **options)
        plan.notes[:0] = notes
        print(json.dumps(plan.to_public_dict(), indent=2))
        if plan.problems:  # the same problem stops the real launch, with the same code
            print(plan.problems[0].render(), file=sys.stderr)
            return plan.problems[0].exit_code
        return 0
    worktree = getattr(args, "existing_worktree", None)  # a resumed session goes on in its worktree
    if getattr(args, "worktree_from_dirty", False) and getattr(args, "worktree", None) is None:
        args.worktree = ""  # --worktree-from-dirty alone means a worktree with a generated name
    if getattr(args, "worktree", None) is not None:
        worktree = await launch_hooks.make_worktree(os.getcwd(), args.worktree or None, adapter.name,
                                                    from_dirty=args.worktree_from_dirty)
        options["cwd"] = str(launch_hooks.start_dir(worktree, os.getcwd()))
    if worktree is not None and not options["trust_cwd"]:
        # A worktree holds the same repository (hooks, MCP servers, settings) as the folder it came from.
        options["trust_cwd"] = await asyncio.to_thread(is_trusted, os.getcwd())
    # The proxy takes its port now and serves once the harness is spawned: importing aiohttp
    # (~170 ms) overlaps the harness's own start-up, and nothing asks the proxy before that.
    server = await open_proxy() if decision.route == "proxy" else None
    plan: LaunchPlan | None = None
    recorder = None
    totals: asyncio.Task | None = None
    exit_code: int | None = None
    try:
        plan = await prepare_offering_pull(adapter, provider, model, server, options)
        plan.notes[:0] = notes
        recorder = await launch_hooks.begin(plan, proxy_mode=args.proxy_mode, worktree=worktree)
        announce(plan, worktree)
        started = time.time()
        totals = asyncio.create_task(launch_hooks.keep_totals(recorder, plan, server))
        exit_code = await run_plan(plan, after_spawn=(lambda: serve_proxy(server)) if server is not None else None,
                                   on_spawn=lambda pid: launch_hooks.spawned(recorder, pid))
        print_resume_hint(plan, adapter, args, started, recorded=recorder is not None and worktree is not None)
        return exit_code
    finally:
        if totals is not None:
            totals.cancel()
        if plan is not None:
            await launch_hooks.end(recorder, plan, exit_code, server)
            await cleanup_launch(plan, server)
        elif worktree is not None and getattr(args, "existing_worktree", None) is None:
            # nothing ran in the new worktree: leave no worktree or branch behind
            await launch_hooks.drop_worktree(worktree)
        if server is not None:
            await server.stop()


def cmd_sessions(args: argparse.Namespace) -> int:
    """`amux sessions ...`, with this launcher for `resume`."""
    from .records.commands import cmd_sessions as sessions

    return sessions(args, launch=cmd_launch)
