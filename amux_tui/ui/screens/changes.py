"""What one session changed in its worktree: files with +/- counts, the selected file's diff
(highlighted by Textual's own Markdown code fence, lexer ``diff``), and commit / merge / discard,
each after a confirmation. Git runs in worker threads; the screen never waits on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Markdown, Static

DIFF_LINES_SHOWN = 1500


def diff_markdown(diff: str) -> str:
    """A diff as a Markdown ``diff`` code fence (cut at `DIFF_LINES_SHOWN` lines)."""
    lines = diff.splitlines()
    cut = len(lines) > DIFF_LINES_SHOWN
    body = "\n".join(lines[:DIFF_LINES_SHOWN]).replace("```", "``\u200b`")
    note = f"\n\n*… {len(lines) - DIFF_LINES_SHOWN} more lines: `amux sessions diff` shows all*" if cut else ""
    return f"```diff\n{body}\n```{note}" if body else "*no textual change (binary file, or mode only)*"


class ChangesScreen(ModalScreen[None]):
    CSS_PATH = "changes.tcss"
    BINDINGS = [
        Binding("escape", "dismiss_screen", "Close"),
        Binding("c", "commit", "Commit"),
        Binding("m", "merge", "Merge"),
        Binding("d", "discard", "Discard"),
    ]

    def __init__(self, worktree, *, title: str, message: str, running: Callable[[], bool] = lambda: False):  # noqa: ANN001
        super().__init__()
        self.worktree, self._heading, self._commit_message, self._session_running = worktree, title, message, running
        self.files: list = []

    def compose(self) -> ComposeResult:
        with Vertical(id="changes-box") as box:
            box.border_title = f"Changes · {self._heading}"
            yield Static("reading the worktree…", id="changes-summary", markup=False)
            with Horizontal(id="changes-body"):
                yield DataTable(id="changes-files", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="changes-diff-scroll"):
                    yield Markdown("", id="changes-diff")
            with Horizontal(id="changes-buttons"):
                yield Button("Commit (c)", id="commit")
                yield Button("Merge (m)", id="merge", variant="primary")
                yield Button("Discard (d)", id="discard", variant="error")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#changes-files", DataTable).focus()
        self.reload()

    @work(exclusive=True, group="changes-load")
    async def reload(self) -> None:
        from ...worktrees.changes import changes
        from ...worktrees.git import GitError

        summary = self.query_one("#changes-summary", Static)
        table = self.query_one("#changes-files", DataTable)
        try:
            found = await asyncio.to_thread(changes, self.worktree.path, self.worktree.base_commit)
        except GitError as exc:
            summary.update(str(exc))
            table.clear(columns=True)
            self.query_one("#changes-diff", Markdown).update("")
            return
        self.files = list(found.files)
        table.clear(columns=True)  # new columns are as wide as what they hold now
        table.add_columns("+", "-", "file")
        for change in self.files:
            added = "bin" if change.binary else f"+{change.added}"
            removed = "" if change.binary else f"-{change.removed}"
            table.add_row(added, removed, change.path, key=change.path)
        where = f"{self.worktree.branch} against {self.worktree.base_commit[:10]}"
        summary.update(f"{len(self.files)} files changed, +{found.added} -{found.removed} · {where}"
                       if self.files else f"nothing changed yet · {where}")
        if self.files:
            self.show_diff(self.files[0].path)
        else:
            self.query_one("#changes-diff", Markdown).update("")

    @on(DataTable.RowHighlighted, "#changes-files")
    def _file_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self.show_diff(event.row_key.value)

    @work(exclusive=True, group="changes-diff")
    async def show_diff(self, path: str) -> None:
        from ...worktrees.changes import file_diff
        from ...worktrees.git import GitError

        try:
            text = await asyncio.to_thread(file_diff, self.worktree.path, self.worktree.base_commit, path)
        except GitError as exc:
            text = f"# {exc}"
        await self.query_one("#changes-diff", Markdown).update(diff_markdown(text))

    # --- actions --------------------------------------------------------------------------------

    def _ask(self, question: str, yes: str, then: Callable[[], None]) -> None:
        from .confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question, yes=yes, no="Back", title=yes), lambda ok: ok and then())

    def action_commit(self) -> None:
        self._ask(f"Commit everything uncommitted in {self.worktree.branch}?", "Commit", lambda: self._act("commit"))

    def action_merge(self) -> None:
        if self._session_running():
            self.notify("The session is still running: end it first, then merge.", severity="warning")
            return
        self._ask(f"Commit the session's work and merge {self.worktree.branch} into "
                  f"{self.worktree.origin_branch or '(detached HEAD)'} in {self.worktree.origin_path}?",
                  "Merge", lambda: self._act("merge"))

    def action_discard(self) -> None:
        if self._session_running():
            self.notify("The session is still running: end it first, then discard.", severity="warning")
            return
        self._ask(f"Remove {self.worktree.path} and branch {self.worktree.branch}, with every change in them?",
                  "Discard", lambda: self._act("discard"))

    @work(exclusive=True, group="changes-act")
    async def _act(self, what: str) -> None:
        from ...worktrees.git import GitError
        from ...worktrees.merging import commit_work, discard_worktree, merge_worktree

        try:
            if what == "commit":
                commit = await asyncio.to_thread(commit_work, self.worktree, self._commit_message)
                self.notify(f"committed {commit[:10]}" if commit else "nothing to commit", title="Commit")
            elif what == "merge":
                result = await asyncio.to_thread(merge_worktree, self.worktree, self._commit_message)
                self.notify(f"merged {self.worktree.branch} into {self.worktree.origin_branch} "
                            f"({result.commit[:10]})", title="Merged")
            else:
                await asyncio.to_thread(discard_worktree, self.worktree)
                self.notify(f"removed {self.worktree.path} and branch {self.worktree.branch}", title="Discarded")
        except GitError as exc:
            self.notify(str(exc), title=f"Not {what}d" if what != "merge" else "Not merged", severity="error",
                        timeout=12, markup=False)
        self.reload()

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        action = {"commit": self.action_commit, "merge": self.action_merge, "discard": self.action_discard,
                  "close": self.action_dismiss_screen}.get(event.button.id or "")
        if action is not None:
            action()
