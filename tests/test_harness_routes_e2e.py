"""Every route proven: each real harness CLI, through `amux launch`, reaches each kind of upstream.

The cells are generated (`harness_route_cells`): every harness adapter x every upstream wire
format, on the route ``--with-proxy-if-needed`` picks and on ``--with-proxy`` (one run stands for
both when they are the same route), plus every native provider type with a custom ``api_base``.
Each cell runs the harness headless in a fresh HOME against its own scripted upstream on
127.0.0.1 (a local-server type such as Ollama gets one that also speaks its own API, with no
key, as users run them; a cloud type, Azure or Vertex, a stand-in with that cloud's own URLs and
auth from `upstream_cloud`) and proves one thing:

- ``tool``: the upstream asks for the shell tool, the harness runs it, the output goes back
  upstream, the final answer is on screen (harnesses that call tools);
- ``answer``: a prompt gets the upstream's answer on screen (Aider, `shell`, native cells);
- ``error``: an upstream 400 with a message shows that message, and the launch exits non-zero
  (a harness that reports it and exits 0 on its own is named in ``ERROR_EXIT_ZERO``).

All cells run concurrently in a small pool (``AMUX_MATRIX_JOBS``, default 3) when the first of
them is set up; each test then checks its own cell. `conftest.py` prints the table (cell, result,
seconds) at the end of the run. Known product bugs are listed in `KNOWN_RED` with their exact
symptom (strict xfail: a fixed bug turns the run red until its entry goes).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness_bins import find_binary, require_binary
from harness_route_cells import ANSWER, ERROR_EXIT_ZERO, ERROR_MESSAGE, Cell, all_cells
from harness_runs import (
    FINAL, KEY, TOOL_OUTPUT, LocalServerUpstream, Run, dry_run_plan, run_amux, tool_round_trip,
)
from upstreams import RecordedRequest, Reply, UpstreamServer

pytestmark = pytest.mark.harness

CELLS = all_cells()
JOBS = max(1, int(os.environ.get("AMUX_MATRIX_JOBS", "3")))
KNOWN_RED: dict[str, str] = {}
"""Cell id -> the exact symptom of a product bug that keeps the cell red (empty while all are green)."""


@dataclass
class CellRun:
    run: Run
    requests: list[RecordedRequest]
    upstream_url: str
    dry_run: tuple[int, dict | None, str] | None
    """``--dry-run`` of the same launch, first (success cells only): exit code, plan, stderr."""
    wall_seconds: float = 0.0
    """How long the whole concurrent matrix took (the same for every cell)."""


def binary_name(cell: Cell) -> str:
    return "sh" if cell.harness == "shell" else cell.harness


def script_for(cell: Cell):
    if cell.kind == "tool":
        return tool_round_trip
    if cell.kind == "error":
        return [Reply.error(400, ERROR_MESSAGE)]
    return [Reply(text=ANSWER)]


async def run_cell(cell: Cell, tmp_path: Path) -> CellRun:
    server = cell.cloud or (LocalServerUpstream if cell.keyless else UpstreamServer)
    async with server(cell.upstream_format, script_for(cell), api_key=None if cell.keyless else KEY) as upstream:
        settings = upstream.provider_settings(tmp_path / "cloud") if cell.cloud else None
        config, binary = cell.config(upstream.base_url, settings), find_binary(binary_name(cell))
        dry = None if cell.kind == "error" else await dry_run_plan(tmp_path, cell.harness, config, cell.flag,
                                                                   binary=binary)
        run = await run_amux(tmp_path, cell.harness, config, cell.flag, harness_args=cell.harness_args(),
                             binary=binary)
        return CellRun(run, list(upstream.requests), upstream.root_url, dry)


async def run_pool(cells: list[tuple[Cell, Path]]) -> dict[str, CellRun | Exception]:
    """Each cell's run, or the exception that stopped it (raised again by its own test only)."""
    gate = asyncio.Semaphore(JOBS)

    async def one(cell: Cell, tmp_path: Path) -> tuple[str, CellRun | Exception]:
        async with gate:
            try:
                return cell.id, await run_cell(cell, tmp_path)
            except Exception as exc:  # noqa: BLE001 - one broken cell must not take the others down
                return cell.id, exc

    started = time.monotonic()
    done = dict(await asyncio.gather(*(one(cell, tmp) for cell, tmp in cells)))
    for cell_run in done.values():
        if isinstance(cell_run, CellRun):
            cell_run.wall_seconds = time.monotonic() - started
    return done


@pytest.fixture(scope="module")
def matrix_runs(request, tmp_path_factory) -> dict[str, CellRun | Exception]:
    """Runs every selected, runnable cell of this module at once (a pool of `JOBS`)."""
    selected = [item.callspec.params["cell"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")]
    runnable = [(cell, tmp_path_factory.mktemp(cell.id)) for cell in selected
                if not cell.unservable and find_binary(binary_name(cell))]
    return asyncio.run(run_pool(runnable))


@pytest.mark.parametrize("cell", [
    pytest.param(cell, id=cell.id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_RED[cell.id])]
                 if cell.id in KNOWN_RED else [])
    for cell in CELLS])
def test_route_cell(cell: Cell, matrix_runs: dict[str, CellRun | Exception], record_property):
    record_property("matrix_route", cell.route)
    if cell.unservable:
        pytest.skip(cell.unservable)
    require_binary(binary_name(cell))
    cell_run = matrix_runs[cell.id]
    if isinstance(cell_run, Exception):
        raise cell_run
    run, out = cell_run.run, cell_run.run.output
    screen = " ".join(out.split())  # harnesses wrap long lines to their width
    record_property("matrix_seconds", run.seconds)
    record_property("matrix_wall_seconds", cell_run.wall_seconds)
    assert run.code is not None, f"no exit within the timeout:\n{run.tail()}"
    assert not run.leftovers, f"left behind: {run.leftovers}"
    assert f"({cell.route}" in out, f"expected the {cell.route} route:\n{run.tail()}"
    posts = [r for r in cell_run.requests if r.method == "POST"]
    assert posts, f"no model request reached the local upstream (exit {run.code}):\n{run.tail()}"
    if cell.cloud:  # on the cloud's own paths (Bedrock's invoke/converse, Azure's deployments...)
        assert {r.protocol for r in posts} <= cell.cloud.protocols, [r.path for r in posts]
    elif cell.route != "native":
        assert {r.protocol for r in posts} == {cell.upstream_format}, [r.path for r in posts]
    if cell.kind == "error":
        assert ERROR_MESSAGE in screen, f"the upstream's message is not shown (exit {run.code}):\n{run.tail()}"
        if cell.harness not in ERROR_EXIT_ZERO:
            assert run.code != 0, f"the error was shown but the launch exited 0:\n{run.tail()}"
        return
    assert run.code == 0, f"exit {run.code} (upstream saw {[r.path for r in cell_run.requests]}):\n{run.tail()}"
    check_dry_run(cell, cell_run)
    if cell.kind == "tool":
        assert any(TOOL_OUTPUT in r.body for r in posts), f"the tool's output never reached the upstream:\n{run.tail()}"
        assert FINAL in screen, f"the final answer is not shown:\n{run.tail()}"
    else:
        assert ANSWER in screen, f"the upstream's answer is not shown:\n{run.tail()}"


def check_dry_run(cell: Cell, cell_run: CellRun) -> None:
    """``--dry-run`` exits as the launch did, on the same route, and names the URL the traffic went to."""
    assert cell_run.dry_run is not None
    code, plan, err = cell_run.dry_run
    assert code == 0 and plan is not None, f"--dry-run exit {code}:\n{err[-2000:]}"
    assert plan["route"] == cell.route, plan
    where = plan.get("upstream") if cell.route == "proxy" else plan.get("endpoint")
    assert where and where.startswith(cell_run.upstream_url), f"--dry-run shows {where!r} for {cell.route}: {plan}"
