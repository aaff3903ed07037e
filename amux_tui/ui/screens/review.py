"""The main screen's review actions: Compare (F9), a session's Changes (F5), the Sessions tab's
earlier sessions and their resume. Kept apart from screens/main.py, which only binds the keys;
everything heavier is imported when used, not on the first frame."""

from __future__ import annotations

import asyncio


def open_compare(main) -> None:  # noqa: ANN001
    from .compare import CompareScreen

    live = [s.id for s in main.app.sessions.all_sessions()]
    ids = [i for i in main.broadcast_ids if i in live] or live
    if not ids:
        main.notify("No sessions to compare: launch some (F2) and broadcast a prompt (F3).", severity="warning")
        return
    main.app.push_screen(CompareScreen(ids))


def open_active_changes(main) -> None:  # noqa: ANN001
    session = main.app.sessions.get(main.active or "")
    if session is None:
        main.notify("Changes are per session: switch to a session's tab first.", severity="warning")
        return
    open_changes(main, session)


def open_changes(main, session) -> None:  # noqa: ANN001
    """The Changes view of a live session's worktree."""
    if session.worktree is None:
        main.notify(f"{session.label} runs in {session.cwd} without a worktree of its own: nothing to review "
                    "apart (tick \"own worktree\" when launching).", severity="warning", markup=False)
        return
    from .changes import ChangesScreen

    message = (f"amux: work of {session.harness} session {session.record_id}\n\n"
               f"{session.harness} on {session.provider}/{session.model} ({session.route}).")
    main.app.push_screen(ChangesScreen(session.worktree, title=session.label, message=message,
                                       running=lambda: session.running))


def open_record_changes(main, record) -> None:  # noqa: ANN001
    """The Changes view of a recorded (ended) session's worktree."""
    from ...records.commands import commit_message, worktree_of
    from ...worktrees.git import GitError
    from .changes import ChangesScreen

    try:
        worktree = worktree_of(record)
    except GitError as exc:
        main.notify(str(exc), severity="warning", markup=False)
        return
    main.app.push_screen(ChangesScreen(worktree, title=f"{record.harness} {record.id}",
                                       message=commit_message(record)))


async def resume_record(main, record) -> None:  # noqa: ANN001
    """Relaunch a recorded session with its harness's own resume (same directory, provider, model,
    route, worktree), in a new tab; refused with the reason when it cannot be."""
    from ...records.commands import worktree_of
    from ...records.resuming import resume_problem
    from ..backend.sessions import LaunchChoice

    problem = await asyncio.to_thread(resume_problem, record)
    provider = main.app.registry.get(record.provider)
    if problem is None and provider is None:
        problem = f"its provider {record.provider!r} is no longer configured"
    if problem:
        main.notify(f"cannot resume {record.id}: {problem}", title="Resume", severity="error", markup=False)
        return
    worktree = worktree_of(record) if record.worktree_path else None
    choice = LaunchChoice(record.harness, provider, record.model, always_proxy=record.proxy_mode == "always",
                          resume=record.harness_session_id, cwd=record.cwd, existing_worktree=worktree)
    preview = main.app.sessions.preview(choice)
    if not preview.ok:
        main.notify(preview.error or "cannot launch", title="Resume", severity="error", markup=False)
        return
    main.launch(preview)


def show_earlier(main, records: list) -> None:  # noqa: ANN001
    from ..widgets.sessions.earlier_pane import EarlierSessionsPane

    for pane in main.query(EarlierSessionsPane):
        pane.show_records(records)
