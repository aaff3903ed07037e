"""Shared pytest hooks: the route matrix's summary table at the end of a run."""

from __future__ import annotations

MATRIX_MODULE = "test_harness_routes_e2e.py::"
OUTCOMES = ("passed", "failed", "xfailed", "xpassed", "skipped", "error")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line per route-matrix cell: result and seconds, then green/total and the minutes it took."""
    rows: dict[str, tuple[str, dict]] = {}
    for outcome in OUTCOMES:
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if MATRIX_MODULE not in nodeid:
                continue
            cell = nodeid.split("[", 1)[-1].rstrip("]")
            props = dict(getattr(report, "user_properties", ()))
            if report.when == "call" or cell not in rows:
                rows[cell] = (outcome, props)
    if not rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("harness route matrix")
    width = max(len(cell) for cell in rows)
    for cell, (outcome, props) in rows.items():
        seconds = props.get("matrix_seconds")
        shown = f"{seconds:6.1f} s" if isinstance(seconds, (int, float)) else "      -"
        write(f"{cell.ljust(width)}  {outcome:8}  {shown}")
    green = sum(outcome == "passed" for outcome, _ in rows.values())
    cell_seconds = sum(p.get("matrix_seconds", 0) for _, p in rows.values())
    wall = max((p.get("matrix_wall_seconds", 0) for _, p in rows.values()), default=0)
    counts = ", ".join(f"{sum(o == name for o, _ in rows.values())} {name}" for name in OUTCOMES
                       if any(o == name for o, _ in rows.values()))
    write(f"green {green}/{len(rows)} ({counts}); cells {cell_seconds / 60:.1f} min of harness time, "
          f"{wall / 60:.1f} min wall clock")
